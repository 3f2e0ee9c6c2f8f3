"""The fast paths of loading a client answer exactly as the slow paths they stand in for.

Random inputs, each read both ways: a canonical CSV by the column-wise and line-wise fast
paths and by the csv reader (canonicalcsv.py); the same table and the same problems, with
the same messages and lines.
"""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import canonicalcsv

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- canonical CSVs ------------------------------------------------------------

DATES = st.sampled_from(
    ["2026-10-01", "2026-10-02", "2026-10-31", " 2026-10-03", "2026-10-04 ", "2026-13-01", "1899-12-31",
     "2026-1-5", "", "20261001", "2026-10-01T00:00"]
)  # fmt: skip
PLAIN_DATES = st.sampled_from(["2026-10-01", "2026-10-02"])
NAMES = st.sampled_from(["a", "b", "search-1", " a ", "", " ", "Été", "x y", "a;b"])
NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(0, 10**15).map(str),
    st.tuples(st.integers(0, 10**5), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
    st.sampled_from(
        ["", " ", "0", "007", "0.0", " 12", "12 ", "1e3", "+2", "-3", "-0", ".5", "5.", "1_000", "x", "nan",
         "inf", "١٢", "²", "9999999999999999", "999999999999999", "123456789012345.5", "1.5e-3", "0.000"]
    ),
)  # fmt: skip
HEADERS = st.sampled_from(
    [
        "date,campaign,channel,impressions,clicks,spend",
        "date,clicks,spend",
        "campaign,date,leads",
        "date,channel,clicks,ctr",
        "date",
        "date,clicks",
        "Date, Clicks ,spend",
    ]
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    header = draw(HEADERS)
    columns = [c.strip().lower() for c in header.split(",")]
    plain = draw(st.booleans())  # most files are whole and plain: the columns path
    lines = [header]
    for _ in range(draw(st.integers(0, 12))):
        cells = []
        for name in columns:
            if name == "date":
                cells.append(draw(PLAIN_DATES if plain else DATES))
            elif name in ("campaign", "channel"):
                cells.append(draw(NAMES))
            elif plain:
                cells.append(draw(st.integers(0, 10**6).map(str) | st.just("3.25") | st.just("")))
            else:
                cells.append(draw(NUMBERS))
        if not plain and draw(st.integers(0, 9)) == 0:
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "1"]  # another width
        if not plain and draw(st.integers(0, 14)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", '"q",1', "a\rb"])))
        lines.append(",".join(cells))
    end = draw(st.sampled_from(["\n", "", "\n\n"])) if not plain else "\n"
    return "\n".join(lines) + end


def _slow(text: str) -> str:
    with mock.patch.object(canonicalcsv, "_fast_rows", lambda *args: None):
        return repr(canonicalcsv.parse_metric_text(text, "data/m.csv"))


@SETTINGS
@given(csv_texts())
def test_csv_fast_paths_read_what_the_csv_reader_reads(text: str) -> None:
    fast = repr(canonicalcsv.parse_metric_text(text, "data/m.csv"))
    assert fast == _slow(text)


@SETTINGS
@given(csv_texts())
def test_csv_columns_read_what_lines_read(text: str) -> None:
    lines = text.split("\n")
    header = [c.strip().lower() for c in lines[0].split(",")]
    if "date" not in header:
        return
    at = {name: i for i, name in enumerate(header)}
    metric_at = [i for i, name in enumerate(header) if name not in ("date", "campaign", "channel")]
    body = lines[1:]
    if body and not body[-1]:
        body.pop()
    if not body or any(line.count(",") != len(header) - 1 for line in body) or '"' in text or "\r" in text:
        return
    args = (len(header), at["date"], at.get("campaign"), at.get("channel"), metric_at)
    by_lines = canonicalcsv._fast_lines(lines, *args)
    if by_lines is not None:  # (a one-column file's last line end is left to the csv reader)
        assert repr(canonicalcsv._fast_columns(body, *args)) == repr(by_lines)
