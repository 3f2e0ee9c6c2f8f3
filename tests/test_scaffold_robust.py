"""`init` and `new report` on any day, for any client: installable under its
own name, a demo that passes its own CI on the day it is created, and the
report month and language an AE expects."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project
from hypothesis import example, given, settings
from hypothesis import strategies as st

import reportgen
from reportgen import ciworkflow
from reportgen.ciworkflow import WORKFLOW, install_requirement
from reportgen.model import Month

REPO = Path(__file__).resolve().parent.parent


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=dt.UTC).timestamp()))


# --- a fresh init passes its own scheduled command, whatever the day -------------------------


@settings(max_examples=12, deadline=None)
@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)), st.booleans())
@example(dt.date(2026, 11, 23), True)  # the day the issue was seen
@example(dt.date(2026, 12, 1), True)  # the first of a month: last month just complete
@example(dt.date(2028, 2, 29), True)
@example(dt.date(2026, 12, 31), True)
@example(dt.date(2027, 1, 1), False)
@example(dt.date(2026, 3, 31), False)
def test_fresh_init_passes_its_scheduled_build_on_any_day(tmp_path_factory, day, demo):
    root = tmp_path_factory.mktemp("init") / "agency"
    env = {"SOURCE_DATE_EPOCH": epoch(day)}
    created = run_cli("init", root, *(["--demo"] if demo else []), env=env)
    assert created.exit_code == 0, created.output
    built = run_cli("build", "--project", root, "--month", "previous", "--strict", env=env)
    assert built.exit_code == 0, (day, built.output)
    assert "warning" not in built.stderr
    # serve's view (drafts included) and a plain build are clean too
    checked = run_cli("check", "--project", root, "--strict", "--drafts", env=env)
    assert checked.exit_code == 0, (day, checked.output)


def test_demo_next_steps_are_not_overdue_on_the_day_of_creation(tmp_path):
    day = dt.date(2026, 11, 23)
    root = tmp_path / "agency"
    assert run_cli("init", root, "--demo", env={"SOURCE_DATE_EPOCH": epoch(day)}).exit_code == 0
    open_steps = 0
    for note in (root / "content").glob("*/*.md"):
        front = yaml.safe_load(note.read_text(encoding="utf-8").split("---")[1])
        if Month.parse(note.stem) >= Month.of(day).previous:
            for step in front.get("next_steps") or []:
                if not step.get("done"):
                    open_steps += 1
                    assert step["due"] >= day, (note, step)
    assert open_steps  # the demo still shows open next steps on the client home


# --- installable under its own name -----------------------------------------------------------


def test_distribution_name_is_our_own():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == reportgen.DISTRIBUTION != "reportgen"
    assert project["scripts"]["reportgen"] == "reportgen.cli:main"  # the command stays reportgen
    assert "version" in project.get("dynamic", []) or project.get("version") == reportgen.__version__


def test_the_workflow_pins_the_exact_version(tmp_path, monkeypatch):
    # installed from the package index (a checkout with a git remote pins the remote
    # instead: tests/test_attack_fixes_serve.py)
    monkeypatch.setattr(
        ciworkflow,
        "install_source",
        lambda: ciworkflow.InstallSource(f"{reportgen.DISTRIBUTION}=={reportgen.__version__}"),
    )
    root = tmp_path / "agency"
    assert run_cli("init", root).exit_code == 0
    text = (root / WORKFLOW).read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    runs = [str(step.get("run", "")) for step in workflow["jobs"]["build"]["steps"]]
    installs = [run for run in runs if "pip install" in run]
    assert installs == [f'pip install "{reportgen.DISTRIBUTION}=={reportgen.__version__}"']
    assert not re.search(r"pip install\s+[\"']?reportgen(?![-\w])", text)


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (
            {
                "url": "https://github.com/brightline/reportgen",
                "vcs_info": {"vcs": "git", "commit_id": "a" * 40},
            },
            f"{reportgen.DISTRIBUTION} @ git+https://github.com/brightline/reportgen@{'a' * 40}",
        ),
        (
            {"url": "file:///home/me/reportgen", "dir_info": {"editable": True}},
            f"{reportgen.DISTRIBUTION}=={reportgen.__version__}",
        ),
        (
            {"url": 'https://evil.example/x" && curl', "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
            f"{reportgen.DISTRIBUTION}=={reportgen.__version__}",
        ),
        (None, f"{reportgen.DISTRIBUTION}=={reportgen.__version__}"),
    ],
)
def test_a_git_install_is_pinned_to_its_commit(monkeypatch, direct_url, expected):
    from importlib import metadata

    class Distribution:
        def read_text(self, name):
            return json.dumps(direct_url) if direct_url is not None and name == "direct_url.json" else None

    def distribution(name):
        assert name == reportgen.DISTRIBUTION
        return Distribution()

    monkeypatch.setattr(metadata, "distribution", distribution)
    assert install_requirement() == expected
    assert expected in ciworkflow.workflow_text()


def test_readme_installs_our_distribution():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for match in re.finditer(r"pip install ([^\n&]+)", readme):
        target = match.group(1).strip().strip("`")
        assert target.startswith(("-e", '"-e', reportgen.DISTRIBUTION, f'"{reportgen.DISTRIBUTION}')), target


# --- new report: the month the client is waiting for, in the client's language -----------------


HEADER = "date,campaign,channel,impressions,clicks,spend,conversions,leads\n"


def small_project(root: Path, data_months: set[Month], finals: set[Month], drafts: set[Month]) -> None:
    assert run_cli("init", root).exit_code == 0
    for folder in ("data/example-client", "content/example-client"):
        for path in (root / folder).glob("*"):
            path.unlink()
    for month in data_months:
        rows = "".join(
            f"{month.first_day.replace(day=d)},brand-search,search,100,10,20.5,2,1\n" for d in (1, 15)
        )
        (root / "data" / "example-client" / f"{month}.csv").write_text(HEADER + rows, encoding="utf-8")
    for month in finals | drafts:
        status = "draft" if month in drafts else "final"
        (root / "content" / "example-client" / f"{month}.md").write_text(
            f"---\nstatus: {status}\nsummary: Month {month}.\n---\nText.\n", encoding="utf-8"
        )


def expected_month(data_months: set[Month], finals: set[Month], drafts: set[Month], today: dt.date) -> Month:
    if finals:
        newest = max(finals)
        later = [mo for mo in data_months if mo > newest]
        return min(later) if later else newest.next
    complete = [mo for mo in data_months if mo.last_day < today]
    if complete:
        return max(complete)
    return max(data_months) if data_months else Month.of(today).previous


TODAY = dt.date(2026, 11, 23)
MONTHS = [Month(2012, 1).shift(i) for i in range(0, 180, 7)] + [
    Month(2026, 9),
    Month(2026, 10),
    Month(2026, 11),
]


@settings(max_examples=25, deadline=None)
@given(
    st.sets(st.sampled_from(MONTHS), max_size=8),
    st.sets(st.sampled_from(MONTHS), max_size=4),
    st.sets(st.sampled_from(MONTHS), max_size=3),
)
@example(
    {Month(2012, m) for m in range(1, 13)} | {Month(2013, m) for m in range(1, 7)}, {Month(2013, 3)}, set()
)  # data ends in 2013: the report after the last final note
def test_new_report_defaults_to_the_first_month_with_data_after_the_newest_final_note(
    tmp_path_factory, data_months, finals, drafts
):
    drafts = drafts - finals
    root = tmp_path_factory.mktemp("new") / "agency"
    small_project(root, data_months, finals, drafts)
    wanted = expected_month(data_months, finals, drafts, TODAY)
    result = run_cli("new", "report", "example-client", "--project", root)
    if wanted in finals | drafts:
        assert result.exit_code == 1 and f"{wanted}.md already exists" in result.output
        return
    assert result.exit_code == 0, result.output
    assert f"{wanted}.md" in result.output
    assert (root / "content" / "example-client" / f"{wanted}.md").is_file()
    if data_months and finals:
        assert wanted <= max(max(data_months), max(finals).next)  # never a month beyond the data


@pytest.mark.parametrize(
    ("client", "words"),
    [
        ("acme-corp", ["## What happened", "## What we recommend", "on last month"]),
        ("berlin-bikes", ["## Was passiert ist", "## Was wir empfehlen", "Vormonat"]),
        ("saigon-foods", ["## Những gì đã diễn ra", "## Đề xuất của chúng tôi", "so với tháng trước"]),
    ],
)
def test_new_report_writes_in_the_clients_language(tmp_path, client, words):
    root = tmp_path / "proj"
    make_project(root)
    (root / "content" / client / "2026-10.md").unlink()
    result = run_cli("new", "report", client, "--month", "2026-10", "--project", root)
    assert result.exit_code == 0, result.output
    text = (root / "content" / client / "2026-10.md").read_text(encoding="utf-8")
    for word in words:
        assert word in text, (word, text)
    if client != "acme-corp":
        assert "What happened" not in text and "on last month" not in text
    assert run_cli("check", "--project", root, "--drafts").exit_code == 0


# --- the repository's own demo ---------------------------------------------------------------


def documented_demo_day() -> dt.date:
    """The day the repository's demo project is for (data through the day before)."""
    from reportgen.demo import REFERENCE_DAY

    return REFERENCE_DAY


def test_the_repository_demo_is_what_init_demo_writes_on_its_day(tmp_path):
    from reportgen.demo import write_demo_agency

    write_demo_agency(tmp_path, documented_demo_day())
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written
    stale = [str(p) for p in written if (REPO / p).read_bytes() != (tmp_path / p).read_bytes()]
    assert stale == [], "init --demo on the reference day copies the repository's demo unchanged"


def test_the_repository_demo_builds_without_warnings_for_a_newcomer():
    env = {"SOURCE_DATE_EPOCH": epoch(documented_demo_day())}
    result = run_cli("check", "--project", REPO, "--strict", env=env)  # writes nothing into the repo
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
