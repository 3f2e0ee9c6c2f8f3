"""A note's heading ids never repeat the page's ids, nor each other's (issue 11).

Every id a note makes (a Markdown heading's anchor or a raw `<hN id=...>`) is
`note-` and the id the note gave, made unique within the note; a link in the
note to one of its own anchors follows it, a link to a page section stays.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.notehtml import NOTE_ID_PREFIX, render_markdown

CLIENT = "acme-corp"
NOTE = Path("content") / CLIENT / "2026-10.md"
REPORT = Path("site") / CLIENT / "2026-10" / "index.html"
# The report page's own ids (templates/report.html, partials/note.html, partials/chart.html).
PAGE_IDS = [
    "main",
    "kpis",
    "budget",
    "trends",
    "channels",
    "campaigns",
    "downloads",
    "commentary",
    "recommendations",
    "next-steps",
    "meetings",
    "chart-1",
    "chart-2-data",
    "chart-3-title",
    "download-metrics-csv",
    "download-report-json",
]


class Ids(HTMLParser):
    """Every id attribute on a page, and the fragment links inside the note's prose."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.note_ids: list[str] = []
        self.note_links: list[str] = []
        self._prose_depth = 0  # open elements inside <div class="prose">, 0 = outside

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        inside = self._prose_depth > 0
        if inside:
            self._prose_depth += 1
        elif tag == "div" and "prose" in (attributes.get("class") or "").split():
            self._prose_depth = 1
        if "id" in attributes:
            self.ids.append(attributes["id"])
            if inside:
                self.note_ids.append(attributes["id"])
        if inside and tag == "a" and (attributes.get("href") or "").startswith("#"):
            self.note_links.append(attributes["href"][1:])

    def handle_startendtag(self, tag, attrs):
        inside = self._prose_depth > 0
        self.handle_starttag(tag, attrs)
        if inside:
            self._prose_depth -= 1

    def handle_endtag(self, tag):
        if self._prose_depth > 0:
            self._prose_depth -= 1


def page_ids(html: str) -> Ids:
    parser = Ids()
    parser.feed(html)
    return parser


def duplicates(ids: list[str]) -> list[str]:
    return [name for name, count in Counter(ids).items() if count > 1]


# --- the Markdown stage -----------------------------------------------------------------


def test_note_ids_are_prefixed_and_unique_in_the_note():
    html = render_markdown(
        '# Budget\n\n## Budget\n\n<h2 id="budget">raw</h2>\n\n<h3 id="note-budget">raw</h3>\n\n'
        "## note-budget\n\n## KPIs\n\n[own](#budget) [page](#campaigns) [kpis](#kpis)\n"
    )
    ids = re.findall(r' id="([^"]*)"', html)
    assert ids == [
        "note-budget",
        "note-budget_1",
        "note-budget-2",
        "note-note-budget",
        "note-note-budget-2",
        "note-kpis",
    ]
    assert 'href="#note-budget"' in html  # the note's own "Budget", the first one
    assert 'href="#campaigns"' in html  # a page section: unchanged
    assert 'href="#note-kpis"' in html  # the note has a "KPIs" heading: its own anchor wins


def test_id_like_text_is_not_an_id():
    html = render_markdown('A paragraph that says id="budget" and `<h2 id="x">` as code.\n')
    assert ' id="budget"' in html and "note-" not in html


# --- the built page ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def note_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("noteids") / "proj"
    make_project(root)
    for other in ("saigon-foods", "berlin-bikes"):  # one client keeps each build short
        shutil.rmtree(root / "data" / other)
        shutil.rmtree(root / "content" / other)
    text = (root / "clients.yaml").read_text(encoding="utf-8")
    (root / "clients.yaml").write_text(text.split("- id: saigon-foods")[0], encoding="utf-8")
    return root


def build_report(root: Path, body: str) -> str:
    (root / NOTE).write_text(f"---\nsummary: ids\n---\n{body}", encoding="utf-8")
    result = run_cli("build", "--project", root, "--client", CLIENT, "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    return (root / REPORT).read_text(encoding="utf-8")


def test_built_page_ids_are_unique_for_headings_named_like_page_sections(note_project):
    body = "".join(f'## {name}\n\n## {name.title()}\n\n<h3 id="{name}">raw</h3>\n\n' for name in PAGE_IDS)
    body += " ".join(f"[{name}](#{name})" for name in PAGE_IDS) + "\n"
    parsed = page_ids(build_report(note_project, body))
    assert duplicates(parsed.ids) == []
    assert parsed.note_ids and all(i.startswith(NOTE_ID_PREFIX) for i in parsed.note_ids)
    assert set(parsed.ids) >= {"kpis", "budget", "commentary", "chart-1"}
    assert set(parsed.note_links) <= set(parsed.ids)


SLUG = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)
NAMES = st.one_of(
    st.sampled_from(PAGE_IDS),
    st.sampled_from(PAGE_IDS).map(NOTE_ID_PREFIX.__add__),
    SLUG,
    SLUG.map(lambda s: s + "_1"),
)
ITEM = st.one_of(
    NAMES.map(lambda n: f"## {n}\n\n"),
    NAMES.map(lambda n: f"### {n.replace('-', ' ').title()}\n\n"),
    NAMES.map(lambda n: f'<h2 id="{n}">raw {n}</h2>\n\n'),
    NAMES.map(lambda n: f"A link to [{n}](#{n}).\n\n"),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(ITEM, min_size=1, max_size=14))
def test_generated_note_headings_never_duplicate_an_id(note_project, items):
    parsed = page_ids(build_report(note_project, "".join(items)))
    assert duplicates(parsed.ids) == [], items
    assert all(i.startswith(NOTE_ID_PREFIX) for i in parsed.note_ids), items
    # A link to one of the note's headings or raw ids leads to it; any other link is
    # left as written (a page section, or nothing when the page has no such section).
    headings = {
        item.split(" ", 1)[1].strip().lower().replace(" ", "-") for item in items if item.startswith("#")
    }
    raw = set(re.findall(r'id="([^"]*)"', "".join(items)))
    for link in parsed.note_links:
        if link.removeprefix(NOTE_ID_PREFIX) in headings | raw and link not in parsed.note_ids:
            pytest.fail(f"#{link} does not lead to the note's own anchor: {items}")
        if link in parsed.note_ids:
            continue
        assert link.removeprefix(NOTE_ID_PREFIX) not in headings | raw or link in parsed.ids, items
