"""Issue 15's fast paths on the render path, each checked against the code it replaced
on random inputs: the same answer, bit for bit (reprs compared, so -0.0, inf and NaN
count)."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from functools import partial, reduce
from itertools import repeat

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import sums
from reportgen.model import MetricRow

NUMBERS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, 0.0, -0.0, 1.0, 0.1, 0.2, 1e16, -1e16, 2**53 + 1]),
    st.floats(),
)
_FOLD = partial(reduce, operator.add)


def _column_sums_before(rows: Sequence[MetricRow], width: int) -> list[object] | None:
    """sums._column_sums as it was: every row looked at for None and its length first."""
    values = list(map(operator.itemgetter(3), rows))
    if any(map(operator.contains, values, repeat(None))) or set(map(len, values)) != {width}:
        return None
    return list(map(_FOLD, zip(*values, strict=True))) if width else []


@st.composite
def groups(draw: st.DrawFn) -> tuple[list[MetricRow], int]:
    width = draw(st.integers(0, 4))
    # mostly rows of the group's width, sometimes one shorter or longer
    lengths = st.one_of(st.just(width), st.just(width), st.just(width), st.integers(0, 5))
    rows = draw(
        st.lists(
            st.builds(
                MetricRow,
                st.just(dt.date(2026, 1, 1)),
                st.none(),
                st.none(),
                lengths.flatmap(lambda n: st.tuples(*[NUMBERS] * n)),
            ),
            max_size=7,
        )
    )
    return rows, draw(st.one_of(st.just(width), st.integers(0, 5)))


@settings(max_examples=300, deadline=None)
@given(groups())
def test_column_sums_answers_as_before(group: tuple[list[MetricRow], int]) -> None:
    rows, width = group
    assert repr(sums._column_sums(rows, width)) == repr(_column_sums_before(rows, width))


def _outcome(compute: object) -> str:
    try:
        return repr(compute())  # type: ignore[operator]
    except Exception as exc:  # both ways must fail alike
        return type(exc).__name__


def _sums_before(rows: Sequence[MetricRow], width: int) -> list[object]:
    total = _column_sums_before(rows, width)
    if total is None:
        total = [None] * width
        for row in rows:
            sums.add_into(total, row.values)  # type: ignore[arg-type]
    return total


@settings(max_examples=200, deadline=None)
@given(groups())
def test_sums_of_any_group_unchanged(group: tuple[list[MetricRow], int]) -> None:
    """The whole of sums._sums (the fold, else the row-by-row additions) on any rows."""
    rows, width = group
    if rows:
        assert _outcome(lambda: sums._sums(rows, width)) == _outcome(lambda: _sums_before(rows, width))
