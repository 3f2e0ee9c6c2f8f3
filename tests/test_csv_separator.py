"""A canonical CSV saved with ';' or tabs gets one message naming the separator.

A spreadsheet in a decimal-comma locale saves "CSV" with semicolons; before,
the AE got two errors about a column called 'date;campaign;…' and had to guess.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.canonicalcsv import parse_metric_text

NAMES = st.lists(
    st.sampled_from(["campaign", "channel", "impressions", "clicks", "spend", "leads", "revenue"]),
    unique=True,
    max_size=5,
)
SEPARATORS = {";": "';'", "\t": "tabs"}


@settings(max_examples=150, deadline=None)
@given(
    names=NAMES.filter(bool),
    date_at=st.integers(0, 5),
    separator=st.sampled_from(sorted(SEPARATORS)),
    rows=st.lists(st.lists(st.sampled_from(["2026-11-01", "12", "3,5", "x", ""]), max_size=6), max_size=4),
)
def test_a_header_glued_by_another_separator_is_one_error_naming_it(names, date_at, separator, rows):
    names.insert(min(date_at, len(names)), "date")
    lines = [separator.join(names)] + [separator.join(row) for row in rows]
    table, problems = parse_metric_text("\n".join(lines) + "\n", "data/a/2026-11.csv")
    assert table is None
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.line == 1 and problem.severity == "error"
    assert f"separated by {SEPARATORS[separator]}, not commas" in problem.message


@settings(max_examples=150, deadline=None)
@given(names=NAMES, text=st.text(alphabet="ab;\t", max_size=6))
def test_a_comma_header_is_never_taken_for_another_separator(names, text):
    """A quoted cell holding ';' in a real comma header keeps the old messages."""
    header = ",".join(["date", *names, f'"{text}"'])
    _table, problems = parse_metric_text(
        header + "\n2026-11-01," + ",".join("1" for _ in names) + ",1\n", "x.csv"
    )
    assert not any("separated by" in p.message for p in problems)
