"""depends.rows_digest, the digest of a month's rows as marshal writes them: two months
get the same digest exactly when the old digest (the repr of the rows) is the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.depends import _hash, rows_digest
from reportgen.model import MetricRow

NAMES = st.one_of(st.none(), st.sampled_from(["brand", "Brand", "", "a'b", 'q"x', "ü", "brand "]))
NUMBERS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, 0.0, -0.0, 1.0, 2**63, -(2**63), 2**63 - 1]),
    st.floats(allow_nan=False),
    st.just(Decimal("1.5")),  # a value marshal does not write: by its repr
    st.booleans(),
)


@st.composite
def months(draw: st.DrawFn) -> tuple[MetricRow, ...]:
    width = draw(st.integers(0, 3))
    rows = draw(
        st.lists(
            st.builds(
                MetricRow,
                st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
                NAMES,
                NAMES,
                st.tuples(*[NUMBERS] * width),
            ),
            max_size=8,
        )
    )
    return tuple(rows)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[object, object]:
    first = draw(months())
    if draw(st.booleans()) or not first:
        return first, draw(st.one_of(months(), st.just(first), st.none()))
    rows = list(first)  # one small change: a cell, a name, a date, or a row's order
    at = draw(st.integers(0, len(rows) - 1))
    row = rows[at]
    change = draw(st.sampled_from(["value", "campaign", "channel", "date", "swap", "drop"]))
    if change == "value" and row.values:
        index = draw(st.integers(0, len(row.values) - 1))
        values = list(row.values)
        values[index] = draw(NUMBERS)
        rows[at] = row._replace(values=tuple(values))
    elif change in ("campaign", "channel"):
        rows[at] = row._replace(**{change: draw(NAMES)})
    elif change == "date":
        rows[at] = row._replace(date=row.date + dt.timedelta(days=draw(st.integers(-2, 2))))
    elif change == "swap":
        rows.reverse()
    else:
        rows.pop(at)
    return first, tuple(rows)


@settings(max_examples=400, deadline=None)
@given(pair=pairs())
def test_same_digest_exactly_when_the_repr_is_the_same(pair):
    first, second = pair
    assert (rows_digest(first) == rows_digest(second)) == (_hash(first) == _hash(second))


def test_rows_of_different_widths_fall_back_to_the_repr():
    day = dt.date(2026, 10, 1)
    rows = (MetricRow(day, None, None, (1,)), MetricRow(day, None, None, (1, 2)))
    assert rows_digest(rows) == _hash(rows)
    assert rows_digest(None) == _hash(None) and rows_digest(()) == _hash(())
