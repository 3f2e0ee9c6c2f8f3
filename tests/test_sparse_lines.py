"""Every value a line chart's table shows is also drawn (attack a15d).

A line (`mode: lines`, `connectgaps: false`) draws nothing for a value with no
value beside it: one day of data, or a weekly/monthly export's total on its
first day, left the daily charts empty. Property: for any series with gaps,
every value either touches a neighbour (a segment is drawn) or has a marker.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.charts import ChartStyle, Series, _trace
from reportgen.i18n import Formatter

STYLE = ChartStyle(brand="#2563eb", fmt=Formatter("en_US", "USD"))
VALUES = st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))


def drawn(trace: dict, index: int) -> bool:
    ys = trace["y"]
    if ys[index] is None:
        return True
    touches = (index > 0 and ys[index - 1] is not None) or (index + 1 < len(ys) and ys[index + 1] is not None)
    if touches and "lines" in trace["mode"]:
        return True
    if "markers" not in trace["mode"]:
        return False
    size = trace.get("marker", {}).get("size", 6)
    return (size[index] if isinstance(size, list) else size) > 0


@settings(max_examples=200, deadline=None)
@given(
    ys=st.lists(VALUES, min_size=1, max_size=62),
    kind=st.sampled_from(["line", "area"]),
    style=st.sampled_from(["main", "previous", "target", "extra"]),
)
def test_every_value_is_drawn(ys, kind, style):
    series = Series("Clicks", [(f"Day {i}", y) for i, y in enumerate(ys)], "count", style)
    trace = _trace(series, STYLE, kind)
    assert all(drawn(trace, i) for i in range(len(ys))), (trace["mode"], trace.get("marker"), ys)


def test_a_full_month_keeps_a_plain_line():
    """No markers where every value has a neighbour: the long charts stay as they were."""
    series = Series("Clicks", [(f"Day {i}", float(i)) for i in range(31)], "count")
    trace = _trace(series, STYLE, "line")
    assert trace["mode"] == "lines" and "marker" not in trace
