"""notes: front matter, chart blocks with line numbers, safe Markdown."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import line_of

from reportgen.model import Month
from reportgen.notehtml import fill_chart_slots, render_markdown, sanitize_html
from reportgen.notes import chart_placeholder, load_notes, parse_note

FULL = """\
---
title: October 2026 performance
status: final
summary: Leads up 18% on the new landing page.
highlights:
  - Cost per lead fell below target for the first time.
  - Search grew.
recommendations:
  - Shift budget to search.
next_steps:
  - {task: Launch holiday campaign, owner: Jane Doe, due: 2026-11-15, done: false}
  - {task: Fix tracking, done: true}
meetings:
  - {date: 2026-10-12, title: Monthly review, attendees: [Jane Doe, Sam Lee],
     notes: "Agreed to shift 10% budget to search."}
  - {date: 2026-10-02, attendees: Jane Doe}
annotations:
  - {date: 2026-10-05, text: New landing page live}
---
## What happened
Free Markdown: headings, lists, tables, links, emphasis.

```chart
metric: leads            # any base or derived metric
type: line
by: day
compare: previous
title: Leads per day
```

Between the charts.

~~~chart
metric: spend
type: pie
by: channel
~~~
"""

MONTH = Month(2026, 10)


def parse(text: str):
    note, problems = parse_note(text, "content/acme/2026-10.md", "acme", MONTH)
    return note, [str(p) for p in problems]


def test_every_front_matter_field():
    note, problems = parse(FULL)
    assert problems == []
    assert note.title == "October 2026 performance"
    assert note.status == "final" and not note.is_draft
    assert note.summary == "Leads up 18% on the new landing page."
    assert note.highlights == ("Cost per lead fell below target for the first time.", "Search grew.")
    assert note.recommendations == ("Shift budget to search.",)
    first, second = note.next_steps
    assert (first.task, first.owner, first.due, first.done) == (
        "Launch holiday campaign",
        "Jane Doe",
        dt.date(2026, 11, 15),
        False,
    )
    assert (second.task, second.owner, second.due, second.done) == ("Fix tracking", None, None, True)
    # meetings sorted by date; a single attendee is a list of one
    early, review = note.meetings
    assert (early.date, early.attendees) == (dt.date(2026, 10, 2), ("Jane Doe",))
    assert (review.title, review.attendees, review.notes) == (
        "Monthly review",
        ("Jane Doe", "Sam Lee"),
        "Agreed to shift 10% budget to search.",
    )
    (annotation,) = note.annotations
    assert (annotation.date, annotation.text) == (dt.date(2026, 10, 5), "New landing page live")
    assert (note.client_id, note.month, note.path) == ("acme", MONTH, "content/acme/2026-10.md")


def test_chart_blocks_parsed_with_line_numbers():
    note, _ = parse(FULL)
    leads, spend = note.charts
    assert (leads.metric, leads.type, leads.by, leads.compare, leads.title) == (
        "leads",
        "line",
        "day",
        "previous",
        "Leads per day",
    )
    assert leads.line == line_of(FULL, "```chart")
    assert (spend.metric, spend.type, spend.by, spend.compare, spend.title) == (
        "spend",
        "pie",
        "channel",
        None,
        None,
    )
    assert spend.line == line_of(FULL, "~~~chart")
    # the blocks are lifted out of the body and replaced by placeholders, in order
    assert "metric: leads" not in note.body
    assert (
        note.body.index(chart_placeholder(0))
        < note.body.index("Between the charts")
        < note.body.index(chart_placeholder(1))
    )


def test_chart_defaults():
    note, problems = parse("```chart\nmetric: clicks\n```\n")
    assert problems == []
    (chart,) = note.charts
    assert (chart.type, chart.by, chart.compare, chart.line) == ("line", "day", None, 1)


def test_no_front_matter_and_defaults():
    note, problems = parse("Just a body.\n")
    assert problems == []
    assert note.status == "final" and note.title is None and note.summary is None
    assert note.highlights == () and note.next_steps == () and note.charts == ()


def test_draft_status():
    note, _ = parse("---\nstatus: draft\n---\nbody\n")
    assert note.is_draft


@pytest.mark.parametrize(
    "front, line, fragment",
    [
        ("status: maybe", 2, "expected one of final, draft"),
        ("summery: hi", 2, "did you mean 'summary'?"),
        ("title: x\nhighlights: just one", 3, "expected a list"),
        ("title: x\n\nnext_steps:\n  - {owner: me}", 5, "missing required field 'next_steps[1].task'"),
        ("meetings:\n  - {date: 2026-02-30, title: x}", 3, "expected a date as YYYY-MM-DD"),
        ("annotations:\n  - {date: 2026-10-05}", 3, "missing required field"),
        ("next_steps:\n  - {task: x, done: maybe}", 3, "expected true or false"),
        ("title: a\ntitle: b", 3, "duplicate key 'title'"),
        ("title: [unclosed", (2, 3), "front matter: invalid YAML"),
    ],
)
def test_front_matter_errors_have_lines(front, line, fragment):
    note, problems = parse(f"---\n{front}\n---\nbody\n")
    assert note is None
    lines = line if isinstance(line, tuple) else (line,)
    assert any(
        p.startswith(tuple(f"content/acme/2026-10.md:{n}: " for n in lines)) and fragment in p
        for p in problems
    ), problems


def test_front_matter_not_closed():
    note, problems = parse("---\ntitle: x\nbody\n")
    assert note is None and problems[0].startswith("content/acme/2026-10.md:1: ")


def test_front_matter_must_be_mapping():
    note, problems = parse("---\n- a\n- b\n---\n")
    assert note is None and problems[0].startswith("content/acme/2026-10.md:2: ")


@pytest.mark.parametrize(
    "block, offset, fragment",
    [
        ("metric: leads\ntype: donut", 2, "expected one of line, bar, area, pie"),
        ("metric: leads\nby: year", 2, "expected one of day, week, month, campaign, channel"),
        ("type: line", (0, 1), "missing required field 'chart.metric'"),
        ("metric: leads\ncolour: red", 2, "unknown field"),
        ("metric: leads\ntype: pie\nby: day", 0, "pie chart needs"),
        ("metric: leads\ntype: pie\nby: channel\ncompare: previous", 0, "pie chart cannot compare"),
        ("metric: leads\nby: campaign\ncompare: target", 0, "compare: target"),
        ("metric: [unclosed", (1, 2), "chart block: invalid YAML"),
        ("just text", 0, "chart block must hold"),
    ],
)
def test_chart_block_errors_have_lines(block, offset, fragment):
    text = "---\ntitle: x\n---\nIntro\n\nMore\n```chart\n" + block + "\n```\n"
    fence = line_of(text, "```chart")
    note, problems = parse(text)
    assert note is None
    offsets = offset if isinstance(offset, tuple) else (offset,)
    prefixes = tuple(f"content/acme/2026-10.md:{fence + o}: " for o in offsets)
    assert any(p.startswith(prefixes) and fragment in p for p in problems), (prefixes, problems)


def test_unclosed_chart_block():
    note, problems = parse("Intro\n```chart\nmetric: leads\n")
    assert note is None
    assert problems == ["content/acme/2026-10.md:2: chart block has no closing ```"]


def test_crlf_note():
    note, problems = parse(FULL.replace("\n", "\r\n"))
    assert problems == [] and len(note.charts) == 2
    assert note.charts[0].line == line_of(FULL, "```chart")


# --- files ------------------------------------------------------------------------


def write_note(root: Path, client: str, name: str, text: str) -> None:
    path = root / "content" / client / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_load_notes_by_client_oldest_first(tmp_path):
    write_note(tmp_path, "acme", "2026-10.md", "October\n")
    write_note(tmp_path, "acme", "2026-09.md", "September\n")
    write_note(tmp_path, "acme", "README.txt", "ignored: not Markdown")
    notes, problems = load_notes(tmp_path, {"acme", "beta"})
    assert problems == []
    assert [str(n.month) for n in notes["acme"]] == ["2026-09", "2026-10"]
    assert notes["beta"] == []


@pytest.mark.parametrize("name", ["October.md", "2026-13.md", "2026-1.md", "2026-10-01.md", "26-10.md"])
def test_bad_file_name(tmp_path, name):
    write_note(tmp_path, "acme", name, "x\n")
    _notes, problems = load_notes(tmp_path, {"acme"})
    assert [str(p) for p in problems] == [
        f"content/acme/{name}: a note's file name must be the month it covers, YYYY-MM.md (e.g. 2026-10.md)"
    ]


def test_folder_of_unknown_client_is_a_warning(tmp_path):
    write_note(tmp_path, "acmee", "2026-10.md", "x\n")
    _notes, problems = load_notes(tmp_path, {"acme"})
    (problem,) = problems
    assert problem.severity == "warning" and "did you mean 'acme'?" in problem.message


def test_not_utf8_note(tmp_path):
    path = tmp_path / "content" / "acme" / "2026-10.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    _notes, problems = load_notes(tmp_path, {"acme"})
    assert len(problems) == 1 and "UTF-8" in problems[0].message


# --- Markdown and sanitizing --------------------------------------------------------------


HOSTILE_BODY = """\
## What happened

<script>alert(1)</script>

<img src=x onerror=alert(1)>

<a href="javascript:alert(1)">one</a> <a href="JaVaScRiPt:alert(2)">two</a>
<a href=" javascript:alert(3)">three</a> [four](javascript:alert(4))
<a href="&#106;avascript:alert(5)">five</a>

<p onclick="alert(6)" onmouseover="alert(7)">para</p>

<iframe src="https://evil.example"></iframe>
<svg onload=alert(8)><circle/></svg>
<style>body{display:none}</style>
<form action="https://evil.example"><input name=x></form>
<object data="x"></object><embed src="x">

<details><summary>More</summary>Hidden text</details>
"""


def test_sanitizer_removes_scripts_handlers_and_javascript_urls():
    html = render_markdown(HOSTILE_BODY)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "alert(1)" not in lowered
    assert not re.search(r"\son\w+\s*=", lowered)
    assert "javascript:" not in lowered
    assert "&#106;avascript" not in lowered
    for tag in ("<iframe", "<svg", "<style", "<form", "<input", "<object", "<embed", "<img"):
        assert tag not in lowered, tag
    assert "para" in html and "one" in html and "four" in html
    assert "<details>" in html and "<summary>More</summary>" in html


def test_sanitizer_keeps_tables_headings_links_and_emphasis():
    html = render_markdown("""\
# Top heading
## What happened
Some *emphasis*, **strong**, `code` and a [link](https://example.com/x?a=1&b=2).

| Channel | Spend |
|:--|--:|
| search | 100 |

1. one
2. two
""")
    assert '<h2 id="note-top-heading">Top heading</h2>' in html  # one <h1> per page: the report's
    assert "<h1" not in html
    assert '<h2 id="note-what-happened">What happened</h2>' in html
    assert "<em>emphasis</em>" in html and "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.com/x?a=1&amp;b=2"' in html
    assert "<table>" in html and "<th" in html and "<td" in html and ">search</td>" in html
    assert "<ol>" in html


def test_unicode_heading_ids():
    html = render_markdown("## Kết quả tháng 10\n")
    assert re.search(r'<h2 id="[^"]+">Kết quả tháng 10</h2>', html)


def test_sanitize_html_directly():
    assert (
        sanitize_html('<a href="javascript:x()" onclick="y()">a</a>') == '<a rel="noopener noreferrer">a</a>'
    )


def test_fill_chart_slots():
    note, _ = parse(FULL)
    html = fill_chart_slots(render_markdown(note.body), ["<figure>A</figure>", "<figure>B</figure>"])
    assert "RGCHARTSLOT" not in html
    assert (
        html.index("<figure>A</figure>") < html.index("Between the charts") < html.index("<figure>B</figure>")
    )


def test_placeholder_text_in_body_cannot_become_a_chart():
    note, _ = parse(f"{chart_placeholder(0)}\n\n```chart\nmetric: leads\n```\n")
    html = fill_chart_slots(render_markdown(note.body), ["<figure>A</figure>"])
    assert html.count("<figure>A</figure>") == 1
