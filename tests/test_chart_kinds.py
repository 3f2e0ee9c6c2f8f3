"""Chart kinds are a registry keyed by `by:` (reportgen/chartkinds.py): adding one is one
function and one test, and note validation, its hints and the README follow the registry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.chartkinds import CHART_KINDS, ChartRequest, chart_from_spec, chart_kind, kinds_where
from reportgen.model import ChartSpec, Month
from reportgen.notes import CHART_TYPES, parse_note

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
MONTH = Month(2026, 10)


def note_with_chart(block: str) -> str:
    return f"---\nsummary: s\n---\nBody.\n\n```chart\n{block}\n```\n"


def parse(block: str):
    note, problems = parse_note(note_with_chart(block), "content/c/2026-10.md", "c", MONTH)
    return note, [p.message for p in problems if p.severity == "error"]


@pytest.fixture
def weekday_kind() -> Iterator[list[ChartRequest]]:
    """A throwaway kind, `by: weekday`, registered for one test and removed after it."""
    seen: list[ChartRequest] = []

    @chart_kind("weekday")
    def by_weekday(request: ChartRequest):
        seen.append(request)
        return "a chart by weekday"

    yield seen
    del CHART_KINDS["weekday"]


def test_a_registered_kind_is_accepted_by_notes_and_drawn_by_its_builder(weekday_kind):
    note, errors = parse("metric: leads\nby: weekday\ncompare: target")
    assert errors == []
    (spec,) = note.charts
    assert spec.by == "weekday"
    drawn = chart_from_spec(spec, facts=None, month=MONTH, elapsed=31, fmt=None, annotations=())
    assert drawn == "a chart by weekday" and weekday_kind[0].spec is spec
    # a kind of dates is no pie; the hint names the kinds of names
    _note, errors = parse("metric: leads\nby: weekday\ntype: pie")
    assert errors == ["chart: a pie chart needs 'by: campaign' or 'by: channel'"]


def test_without_it_the_same_note_is_an_error_naming_every_kind():
    _note, errors = parse("metric: leads\nby: weekday")
    assert errors == [
        "chart.by: expected one of day, week, month, campaign, channel, got 'weekday' (did you mean 'week'?)"
    ]


def test_hints_follow_the_registry(weekday_kind):
    _note, errors = parse("metric: leads\nby: campaign\ncompare: target")
    assert errors == ["chart: 'compare: target' works with by: day, week, month or weekday"]
    _note, errors = parse("metric: leads\nby: wekday")
    assert errors == [
        "chart.by: expected one of day, week, month, campaign, channel, weekday, "
        "got 'wekday' (did you mean 'weekday'?)"
    ]


def test_the_readme_lists_every_kind():
    line = re.search(r"^by: \w+ +# (.+)$", README, re.M)
    assert line, "the README's chart block example lists the kinds after `by:`"
    assert line[1].split(" | ") == list(CHART_KINDS)


def test_the_builtin_kinds():
    assert list(CHART_KINDS) == ["day", "week", "month", "campaign", "channel"]
    assert kinds_where(groups=True) == ("campaign", "channel")


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(CHART_TYPES),
    by=st.sampled_from(list(CHART_KINDS)),
    compare=st.sampled_from([None, "previous", "target"]),
)
def test_validation_follows_each_kinds_rules(kind, by, compare):
    block = f"metric: leads\ntype: {kind}\nby: {by}" + (f"\ncompare: {compare}" if compare else "")
    note, errors = parse(block)
    groups = CHART_KINDS[by].groups
    valid = (
        (kind != "pie" or groups) and not (compare and kind == "pie") and not (compare == "target" and groups)
    )
    assert (errors == []) == valid, errors
    if valid:
        assert note.charts == (ChartSpec(metric="leads", type=kind, by=by, compare=compare, line=6),)
