"""Present: the text inside a Plotly figure, safe by construction.

Plotly draws a subset of HTML in every text it shows (`<a href>`, `<b>`,
`<br>`, `style=`), so a campaign named `<a href=...>` would become a live
link. Every string in a figure is therefore a `PlotlyText`, made by
`plotly_text` (which escapes `&`, `<` and `>`; Plotly shows the entities as
the characters) or, for reportgen's own markup, by `plotly_markup`;
`plotly_figure` refuses a figure with any other string where Plotly shows text.
"""

from __future__ import annotations

from typing import Any

# A Plotly figure, trace or layout: JSON-ready, with every text a PlotlyText.
PlotlyDict = dict[str, Any]
# Every Plotly trace type a figure may use (`plotly_figure` refuses others): a bundle set
# in `agency.plotly_js` must register each of them (plotlybundle.py).
TRACE_TYPES = ("scatter", "bar", "pie")


class PlotlyText(str):
    """A string Plotly may show: escaped user text, or reportgen's own markup."""

    __slots__ = ()


def plotly_text(text: str) -> PlotlyText:
    """User text as Plotly shows it literally: the one way user text enters a figure."""
    if isinstance(text, PlotlyText):
        return text
    if text.__class__ is str:  # day labels and formatted values recur on every chart: memoised
        known = _ESCAPED.get(text)
        if known is None:
            if len(_ESCAPED) >= _ESCAPED_MAX:
                _ESCAPED.clear()
            known = _ESCAPED[text] = _escape(text)
        return known
    return _escape(str(text))


def _escape(text: str) -> PlotlyText:
    return PlotlyText(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


_ESCAPED: dict[str, PlotlyText] = {}
_ESCAPED_MAX = 1 << 16


def plotly_markup(*parts: str) -> PlotlyText:
    """Parts joined: PlotlyText parts as they are (reportgen's own markup, such as
    `PlotlyText("<br>")`), any other part escaped."""
    return PlotlyText("".join(plotly_text(part) for part in parts))


# What a text position may hold without a closer look: PlotlyText, numbers, nothing.
_SAFE_TYPES = frozenset({PlotlyText, int, float, bool, type(None)})
# Where Plotly shows text: trace keys, and keys inside layout objects.
_TRACE_TEXT = ("name", "labels", "text", "hovertext", "hovertemplate", "x", "y", "customdata")
_LAYOUT_TEXT = ("text", "hovertext")


def plotly_figure(traces: list[PlotlyDict], layout: PlotlyDict) -> PlotlyDict:
    """The figure dict, after checking every text position holds PlotlyText only."""
    for trace in traces:
        if trace.get("type") not in TRACE_TYPES:  # what agency.plotly_js is checked against
            raise TypeError(f"chart trace type {trace.get('type')!r} is not in TRACE_TYPES")
        for key in _TRACE_TEXT:
            _require_text(trace.get(key), f"trace {key}")
    for annotation in layout.get("annotations", ()):
        for key in _LAYOUT_TEXT:
            _require_text(annotation.get(key), f"annotation {key}")
    for key, value in layout.items():
        if isinstance(value, dict) and "title" in value:
            _require_text(
                value["title"].get("text") if isinstance(value["title"], dict) else value["title"],
                f"{key} title",
            )
        if isinstance(value, dict):
            for text in ("ticktext", "tickvals", "categoryarray"):
                _require_text(value.get(text), f"{key} {text}")
    if "title" in layout:
        _require_text(layout["title"], "title")
    return {"data": traces, "layout": layout}


def _require_text(value: object, where: str) -> None:
    values = value if isinstance(value, list | tuple) else [value]
    if _SAFE_TYPES.issuperset(map(type, values)):
        return  # the usual lists (labels, values, hover texts): nothing to look into
    for item in values:
        if isinstance(item, str) and not isinstance(item, PlotlyText):
            raise TypeError(f"chart {where}: {item!r} is not PlotlyText (use plotly_text)")
        if isinstance(item, dict):
            _require_text(item.get("text"), where)
