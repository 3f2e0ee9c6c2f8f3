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
SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


@settings(max_examples=150, deadline=None)
@given(
    names=NAMES.filter(bool),
    date_at=st.integers(0, 5),
    separator=st.sampled_from(sorted(SEPARATORS)),
    rows=st.lists(st.lists(st.sampled_from(["2026-11-01", "12", "3,5", "x", ""]), max_size=6), max_size=4),
    quoted=st.booleans(),
    suffix=st.sampled_from(["", ", net", " (EUR)"]),
)
def test_a_header_glued_by_another_separator_is_one_error_naming_it(
    names, date_at, separator, rows, quoted, suffix
):
    names.insert(min(date_at, len(names)), "date")
    if quoted:  # a spreadsheet quotes every cell, and a name may hold a comma
        names = [f'"{name}{suffix}"' if name != "date" else '"date"' for name in names]
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


@settings(max_examples=150, deadline=None)
@given(
    padding=st.lists(
        st.sampled_from(["", " ", "\t", ",,,", ";;", " , ", "\u00a0", "\u200b", "\ufeff ,"]),
        min_size=1,
        max_size=4,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
    rest=st.sampled_from(["date,spend\n2026-11-01,3\n", "date\n", "spend\n1\n"]),
)
def test_blank_lines_above_the_header_are_named_not_called_an_empty_file(padding, newline, rest):
    """(attack a15e) Blank or padding lines above the header were reported as "empty file"."""
    text = newline.join(padding) + newline + rest.replace("\n", newline)
    _table, problems = parse_metric_text(text, "x.csv")
    assert [p.line for p in problems] == [1]
    assert "empty file" not in problems[0].message
    assert f"above line {len(padding) + 1}" in problems[0].message


@given(blank=st.text(alphabet=" \t\r\n,;", max_size=8))
def test_a_file_of_only_blanks_is_an_empty_file(blank):
    _table, problems = parse_metric_text(blank, "x.csv")
    assert [p.message for p in problems] == ["empty file: expected a header line starting with 'date'"]


@given(
    mark=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    quoted=st.booleans(),
    padding=st.sampled_from(["", ",", ",,,"]),
)
def test_a_spreadsheet_sep_line_is_named(mark, newline, quoted, padding):
    line = f'"sep={mark}"' if quoted else f"sep={mark}"
    text = f"{line}{padding}{newline}date,spend{newline}2026-11-01,3{newline}"
    _table, problems = parse_metric_text(text, "x.csv")
    assert len(problems) == 1 and problems[0].line == 1, problems
    assert "'sep=" in problems[0].message and "line, not the header" in problems[0].message
