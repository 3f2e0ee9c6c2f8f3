"""A moved demo keeps every campaign's month totals exactly (so every figure a
note quotes stays true), keeps each day sane, and is refused on a day it
cannot be moved to (reportgen/demo.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.demo import REFERENCE_DAY, _apportioned, demo_days, demo_source, write_demo_agency
from reportgen.model import Month

FIRST, LAST = demo_days()
BOUNDED = [
    ("clicks", "impressions"),
    ("conversions", "clicks"),
    ("leads", "clicks"),
    ("leads", "conversions"),
]


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp()))


def table(path: Path) -> tuple[list[str], list[list[str]]]:
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    return header.split(","), [line.split(",") for line in lines]


def totals(path: Path) -> dict[tuple[str, str], Decimal]:
    columns, rows = table(path)
    out: dict[tuple[str, str], Decimal] = {}
    for cells in rows:
        for name, cell in zip(columns[3:], cells[3:], strict=True):
            out[cells[1], name] = out.get((cells[1], name), Decimal(0)) + Decimal(cell)
    return out


def always(rows: list[list[str]], columns: list[str], low: str, high: str) -> bool:
    if low not in columns or high not in columns:
        return False
    a, b = columns.index(low), columns.index(high)
    return all(int(cells[a]) <= int(cells[b]) for cells in rows)


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=FIRST, max_value=LAST))
@example(dt.date(2027, 1, 1))  # the attacker's day: November moved onto December
@example(dt.date(2028, 3, 1))  # a leap February complete
@example(dt.date(2028, 2, 29))
@example(dt.date(2027, 3, 31))
@example(dt.date(2030, 8, 1))
@example(FIRST)
@example(LAST)
def test_every_moved_month_keeps_each_campaigns_totals_and_sane_days(tmp_path_factory, day):
    root = tmp_path_factory.mktemp("demo")
    write_demo_agency(root, day)
    yesterday = day - dt.timedelta(days=1)
    shift = (yesterday.year - 2026) * 12 + yesterday.month - 11
    source = demo_source()
    for csv in sorted((source / "data").glob("*/*.csv")):
        target = Month.parse(csv.stem).shift(shift)
        moved = root / "data" / csv.parent.name / f"{target}.csv"
        columns, rows = table(moved)
        ref_columns, ref_rows = table(csv)
        assert columns == ref_columns
        for low, high in BOUNDED:  # a day's funnel holds wherever the checked-in month's does
            if always(ref_rows, ref_columns, low, high):
                assert always(rows, columns, low, high), (day, moved, low, high)
        if target.last_day <= yesterday:  # a complete month: its totals are the checked-in ones
            assert totals(moved) == totals(csv), (day, moved)
            assert len({cells[0] for cells in rows}) == target.days


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=40).flatmap(
        lambda caps: st.tuples(
            st.just(caps),
            st.lists(st.integers(0, 50), min_size=len(caps), max_size=len(caps)),
            st.integers(0, sum(caps)),
        )
    )
)
def test_apportioning_hits_the_total_within_the_caps(case):
    caps, weights, total = case
    values = _apportioned(total, weights, list(caps))
    assert sum(values) == total
    assert all(0 <= v <= c for v, c in zip(values, caps, strict=True))
    if sum(weights) == 0:  # evenly, give or take one, where the caps allow
        free = [v for v, c in zip(values, caps, strict=True) if c > max(values)]
        assert not free or max(values) - min(free) <= 1


def test_the_reference_day_is_still_the_identity():
    assert FIRST <= REFERENCE_DAY <= LAST


# --- days the demo cannot be moved to ------------------------------------------------------------


def test_the_demo_fits_exactly_the_days_demo_days_names():
    assert demo_days() == (dt.date(1901, 3, 2), dt.date(2999, 12, 1))


@pytest.mark.slow
@pytest.mark.parametrize("day", [FIRST, LAST])
def test_the_first_and_last_day_give_a_demo_that_checks_clean(tmp_path, day):
    env = {"SOURCE_DATE_EPOCH": epoch(day)}
    assert run_cli("init", tmp_path / "agency", "--demo", env=env).exit_code == 0
    checked = run_cli("check", "--project", tmp_path / "agency", "--strict", "--drafts", env=env)
    assert checked.exit_code == 0, (day, checked.output)


@pytest.mark.parametrize(
    "day",
    [
        FIRST - dt.timedelta(days=1),
        LAST + dt.timedelta(days=1),
        dt.date(1900, 1, 1),
        dt.date(1900, 3, 1),
        dt.date(2999, 12, 31),
    ],
)
def test_a_day_outside_them_is_a_usage_error_and_writes_nothing(tmp_path, day):
    result = run_cli("init", tmp_path / "agency", "--demo", env={"SOURCE_DATE_EPOCH": epoch(day)})
    assert result.exit_code == 2, result.output
    assert f"the demo cannot be moved to {day}" in result.stderr
    assert f"from {FIRST} to {LAST}" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "agency").exists()
