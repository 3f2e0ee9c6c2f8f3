"""Default words are translated where they are shown, never written into the model in English.

A KPI without `label:` shows its metric's built-in label in the client's language
(vi_VN: "Lượt nhấp", de_DE: "Klicks") on the report page, the home page and in
report.json; a label written in clients.yaml is shown as written. A meeting without
`title:` is titled in the client's language too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project, note_text
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.config import load_project_config
from reportgen.i18n import Formatter, translations_for
from reportgen.vocabulary import (
    BUILTIN_METRICS,
    DEFAULT_MEETING_TITLE,
    kpi_label,
    meeting_title,
    metric_label,
    metric_words,
)

LOCALES = ("en_US", "vi_VN", "de_DE")
EXPLICIT = "Klicks qzexplicitqz"  # an AE's own label: never translated, even when it is a msgid


def _unlabelled_project(root: Path) -> None:
    make_project(root)
    document = yaml.safe_load((root / "clients.yaml").read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] in ("saigon-foods", "berlin-bikes"):
            client["kpis"] = [
                {"metric": "clicks", "target": 1000},
                {"metric": "cvr", "target": "2%"},
                {"metric": "leads", "label": EXPLICIT, "target": 400},
            ]
    (root / "clients.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    for client_id in ("saigon-foods", "berlin-bikes"):  # a meeting without a title
        note = root / "content" / client_id / "2026-10.md"
        _, front, body = note.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        for meeting in meta["meetings"]:
            del meeting["title"]
        note.write_text(note_text(meta, body), encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("labels") / "proj"
    _unlabelled_project(root)
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output + result.stderr
    return root


def test_the_model_keeps_no_english_default(built):
    config = load_project_config(built)
    saigon = next(c for c in config.clients if c.id == "saigon-foods")
    assert [k.label for k in saigon.kpis] == [None, None, EXPLICIT]


@pytest.mark.parametrize(("client_id", "locale"), [("saigon-foods", "vi_VN"), ("berlin-bikes", "de_DE")])
def test_unlabelled_kpis_show_translated_words(built, client_id, locale):
    _ = translations_for(locale).gettext
    clicks, cvr = _("Clicks"), _("Conversion rate")
    assert clicks != "Clicks" and cvr != "Conversion rate"
    if locale == "vi_VN":
        assert clicks == "Lượt nhấp"  # the issue's own example
    month = built / "site" / client_id / "2026-10"
    report = json.loads((month / "report.json").read_text(encoding="utf-8"))
    assert [k["label"] for k in report["kpis"]] == [clicks, cvr, EXPLICIT]
    page = (month / "index.html").read_text(encoding="utf-8")
    assert clicks in page and cvr in page and EXPLICIT in page
    assert not re.search(r">\s*Clicks\s*<", page)  # the English default is nowhere on the page
    assert _("Meeting") in page and _("Meeting") != DEFAULT_MEETING_TITLE
    home = (built / "site" / client_id / "index.html").read_text(encoding="utf-8")
    assert clicks in home and not re.search(r">\s*Clicks\s*<", home)


def test_english_client_keeps_its_labels(built):
    report = json.loads((built / "site" / "acme-corp" / "2026-10" / "report.json").read_text())
    labels = [k["label"] for k in report["kpis"]]
    assert labels and all(label.startswith(("Leads ", "Cost per lead ", "ROAS ")) for label in labels)


# --- the rule, for every built-in metric, locale and label ---------------------------------


@settings(max_examples=50, deadline=None)
@given(
    metric=st.sampled_from([m.name for m in BUILTIN_METRICS]),
    locale=st.sampled_from(LOCALES),
    label=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
)
def test_a_label_is_as_written_else_the_translated_default(metric, locale, label):
    gettext = translations_for(locale).gettext
    builtin = next(m for m in BUILTIN_METRICS if m.name == metric)
    shown = kpi_label(label, metric, gettext)
    assert shown == (label if label is not None else gettext(builtin.label))
    assert metric_words(metric) == builtin.label  # untranslated: English, for terminal output


@settings(max_examples=30, deadline=None)
@given(name=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True), locale=st.sampled_from(LOCALES))
def test_a_metric_of_its_own_is_its_name_made_readable(name, locale):
    from reportgen.model import Client, Kpi, Person

    if any(m.name == name for m in BUILTIN_METRICS):
        return
    client = Client(
        id="c", name="C", account_executive=Person(name="AE"), locale=locale, kpis=(Kpi(name, None),)
    )
    gettext = translations_for(locale).gettext
    assert metric_label(client, name, gettext) == name.replace("_", " ").capitalize()


@pytest.mark.parametrize("locale", LOCALES)
def test_meeting_title(locale):
    fmt = Formatter(locale, "USD")
    assert fmt.meeting_title("Kick-off") == "Kick-off"
    assert fmt.meeting_title(None) == meeting_title(None, fmt.gettext) == fmt.gettext("Meeting")


def test_an_override_printing_meeting_title_gets_the_translated_default(tmp_path):
    # A project's own note.html written before titles became optional prints
    # `meeting.title` as it is: it must read "Cuộc họp", never "None".
    root = tmp_path / "proj"
    _unlabelled_project(root)
    override = root / "templates" / "partials" / "note.html"
    override.parent.mkdir(parents=True)
    override.write_text(
        "{% for meeting in note.meetings %}<p class=m>{{ meeting.title }}</p>{% endfor %}\n", encoding="utf-8"
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output + result.stderr
    page = (root / "site" / "saigon-foods" / "2026-10" / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r"<p class=m>([^<]*)</p>", page)
    assert titles and set(titles) == {translations_for("vi_VN").gettext("Meeting")}
