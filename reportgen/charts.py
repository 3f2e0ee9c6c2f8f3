"""Present: chart figures as plain Plotly dicts, with their text alternative.

Figures are built as dicts, not plotly.graph_objects: ~0.01 ms instead of
~20 ms each, which is what makes thousands of reports per minute possible.
Tests validate them against plotly's schema instead. Every chart carries a
summary sentence and a table of its numbers, formatted in the client's
locale, for screen readers and print.

Plotly draws a subset of HTML in every text it shows (`<a href>`, `<b>`,
`<br>`, `style=`), so a campaign named `<a href=...>` would become a live
link. Every string in a figure is therefore a `PlotlyText`, made by
`plotly_text` (which escapes `&`, `<` and `>`; Plotly shows the entities as
the characters) or, for reportgen's own markup, by `plotly_markup`; `_figure`
refuses a figure with any other string where Plotly shows text.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .colors import mix, readable_on, relative_luminance
from .i18n import Formatter
from .model import Annotation

PALETTE = ("#f59e0b", "#8b5cf6", "#ef4444", "#10b981", "#3b82f6", "#ec4899", "#14b8a6", "#a3a3a3")
MUTED = "#94a3b8"
TARGET = "#475569"
# Chart text sits on the card (reportgen.css `--card`) in `CHART_INK` (`--ink-2`), or
# on a slice in `INK` (`--ink`) or white, whichever reaches WCAG AA (colors.py).
CARD = "#ffffff"
INK = "#0f172a"
CHART_INK = "#334155"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# Every Plotly trace type a figure may use (`_figure` refuses others): a bundle set
# in `agency.plotly_js` must register each of them (plotlybundle.py).
# A Plotly figure, trace or layout: JSON-ready, with every text a PlotlyText.
PlotlyDict = dict[str, Any]
TRACE_TYPES = ("scatter", "bar", "pie")


@dataclass(frozen=True)
class ChartView:
    """One chart: the figure to draw and the same numbers as text."""

    title: str
    figure: PlotlyDict
    summary: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()  # annotation legend: "1 — Oct 5: New landing page live"
    kind: str = "line"
    # The drawing's height on paper when its rows need more than the compact default
    # (reportgen.css print rules: the chart box's --print-height).
    print_height: int | None = None


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[str, float | None]]  # (category label, value)
    unit: str
    style: str = "main"  # main | previous | target | extra


@dataclass(frozen=True)
class ChartStyle:
    brand: str
    fmt: Formatter
    height: int = 280

    @property
    def colorway(self) -> list[str]:
        return [self.brand, *[c for c in PALETTE if c.lower() != self.brand.lower()]]


# --- text inside figures ------------------------------------------------------------


class PlotlyText(str):
    """A string Plotly may show: escaped user text, or reportgen's own markup."""

    __slots__ = ()


def plotly_text(text: str) -> PlotlyText:
    """User text as Plotly shows it literally: the one way user text enters a figure."""
    if isinstance(text, PlotlyText):
        return text
    return PlotlyText(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def plotly_markup(*parts: str) -> PlotlyText:
    """Parts joined: PlotlyText parts as they are (reportgen's own markup, such as
    `PlotlyText("<br>")`), any other part escaped."""
    return PlotlyText("".join(plotly_text(part) for part in parts))


# Where Plotly shows text: trace keys, and keys inside layout objects.
_TRACE_TEXT = ("name", "labels", "text", "hovertext", "hovertemplate", "x", "y", "customdata")
_LAYOUT_TEXT = ("text", "hovertext")


def _figure(traces: list[PlotlyDict], layout: PlotlyDict) -> PlotlyDict:
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
    for item in values:
        if isinstance(item, str) and not isinstance(item, PlotlyText):
            raise TypeError(f"chart {where}: {item!r} is not PlotlyText (use plotly_text)")
        if isinstance(item, dict):
            _require_text(item.get("text"), where)


# --- layouts --------------------------------------------------------------------


# Nothing overlaps a legend: the toolbar (a desktop's modebar, shown on hover at the top
# right of the drawing) keeps a strip of its own above the plot area (MODEBAR_ROOM px), the
# event badges hang inside the plot area from its top edge, and the legend sits at the
# bottom of the drawing, below the x axis's labels, its entries wrapped to fit a phone.
MODEBAR_ROOM = 30
LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
    "font": {"size": 11},
    "tracegroupgap": 0,
}
LEGEND_CHARS = 24  # a legend entry's longest line: fits a 360 px phone's chart
LEGEND_LINES = 3  # and its lines, the rest left out with "…" (the full name: hover, table)
# A category axis that names things (campaigns, channels) runs down the left of the plot,
# its names across (never tilted: tilted names ran through the legend and off the drawing),
# each cut to TICK_LINES lines of TICK_CHARS (the full name in the hover and the table).
TICK_CHARS = 16
TICK_LINES = 2
TICK_LINE_PX = 14  # one line of an 11 px tick label or legend entry
# The plot area keeps at least this much of a drawing's height, axis labels included,
# whatever its legend needs: the legend may take the rest (legend.maxheight).
MIN_PLOT = 150


def _layout(style: ChartStyle, unit: str, *, legend: bool) -> PlotlyDict:
    axis = {
        "gridcolor": "#e2e8f0",
        "zerolinecolor": "#cbd5e1",
        "linecolor": "#cbd5e1",
        "tickfont": {"size": 11},
        "automargin": True,
        "fixedrange": False,
    }
    yaxis = {**axis, "rangemode": "tozero", **_value_axis(style.fmt, unit)}
    return {
        "height": style.height,
        "margin": {"l": 8, "r": 8, "t": MODEBAR_ROOM, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 12, "color": CHART_INK},
        "separators": style.fmt.plotly_separators,
        "colorway": style.colorway,
        "hovermode": "x unified",
        "hoverlabel": {
            "bgcolor": CARD,
            "bordercolor": "#cbd5e1",
            "font": {"family": FONT, "color": CHART_INK},
        },
        "showlegend": legend,
        "legend": dict(LEGEND),
        "xaxis": {**axis, "type": "category", "nticks": 7},  # Plotly tilts labels when crowded
        "yaxis": yaxis,
    }


def pie_labels(names: Sequence[str]) -> list[PlotlyText]:
    """Slices' legend entries (legend_text), one per slice: Plotly makes one slice of every
    label it sees twice, so a name whose cut entry equals another's keeps all its lines
    (and, should that still equal another's, a number)."""
    labels = [legend_text(name) for name in names]
    cut = {label for label in labels if labels.count(label) > 1}
    labels = [
        _markup_lines(_wrap(name, LEGEND_CHARS, LEGEND_LINES, tail=True)) if label in cut else label
        for name, label in zip(names, labels, strict=True)
    ]
    cut = {label for label in labels if labels.count(label) > 1}
    labels = [
        legend_text(name, None) if label in cut else label for name, label in zip(names, labels, strict=True)
    ]
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[index] = plotly_markup(label, f" ({seen[label]})")
    return labels


def legend_text(name: str, most: int | None = LEGEND_LINES) -> PlotlyText:
    """A series' name as its legend entry shows it: escaped, and wrapped onto at most
    LEGEND_LINES lines of at most LEGEND_CHARS characters (a long word or URL is cut) so
    that no entry is wider than a phone's chart, nor a legend of many taller than needed."""
    lines = _wrap(name, LEGEND_CHARS, most)
    parts: list[str] = []
    for line in lines:
        parts += [PlotlyText("<br>"), line] if parts else [line]
    return plotly_markup(*parts)


def tick_text(name: str) -> PlotlyText:
    """A category's name as its axis shows it: escaped, on at most TICK_LINES lines of
    TICK_CHARS characters (a long word is cut), the rest left out with "…"."""
    lines = _tick_lines(name)
    parts: list[str] = []
    for line in lines:
        parts += [PlotlyText("<br>"), line] if parts else [line]
    return plotly_markup(*parts)


def _tick_lines(name: str) -> list[str]:
    return _wrap(name, TICK_CHARS, TICK_LINES)


def _wrap(name: str, chars: int, most: int | None, *, tail: bool = False) -> list[str]:
    """`name` on at most `most` lines (None: all) of at most `chars` characters, cut with "…"
    (`tail`: the last line is the name's end, "…aign 2026 6", to tell apart names that
    differ only at the end)."""
    lines = textwrap.wrap(str(name), chars, break_long_words=True) or [str(name).strip()]
    if most is not None and len(lines) > most:
        lines = lines[:most]
        lines[-1] = (
            "…" + " ".join(str(name).split())[-(chars - 1) :].lstrip()
            if tail
            else lines[-1][: chars - 1].rstrip() + "…"
        )
    return lines


def _markup_lines(lines: list[str]) -> PlotlyText:
    parts: list[str] = []
    for line in lines:
        parts += [PlotlyText("<br>"), line] if parts else [line]
    return plotly_markup(*parts)


def tick_texts(names: Sequence[str]) -> list[PlotlyText]:
    """Categories' axis labels (tick_text); one that equals another's ends as its name does."""
    texts = [tick_text(name) for name in names]
    return [
        _markup_lines(_wrap(name, TICK_CHARS, TICK_LINES, tail=True)) if texts.count(text) > 1 else text
        for name, text in zip(names, texts, strict=True)
    ]


def _fit_legend(layout: PlotlyDict, entries: Sequence[PlotlyText], plot_room: int) -> None:
    """A drawing as tall as its plot area (`plot_room` px, axis labels included) and its
    legend need: on a phone every entry may take a row of its own (LEGEND_CHARS per line).
    The legend may grow over the plot area down to MIN_PLOT px (Plotly's default limit, half
    the drawing, made a scroll box of a long legend: entries cut, a blank above it)."""
    layout["height"] = max(layout["height"], MODEBAR_ROOM + plot_room)
    if not layout.get("showlegend") or not entries:
        return
    lines = sum(entry.count("<br>") + 1 for entry in entries)  # legend_text's lines
    legend = 8 + 5 * len(entries) + TICK_LINE_PX * lines
    layout["height"] = max(layout["height"], MODEBAR_ROOM + plot_room + legend)
    layout["legend"]["maxheight"] = layout["height"] - MODEBAR_ROOM - MIN_PLOT


def _value_axis(fmt: Formatter, unit: str) -> PlotlyDict:
    if unit == "percent":
        return {"tickformat": ".1%"}
    if unit == "currency":
        sample = fmt.money(1, whole=True)
        symbol = sample.replace("1", "").strip()
        if sample.startswith("1"):
            return {"ticksuffix": f" {symbol}", "tickformat": "~s" if fmt.currency in _BIG else ",~r"}
        return {"tickprefix": symbol, "tickformat": "~s" if fmt.currency in _BIG else ",~r"}
    return {"tickformat": ",~r"}


# Currencies whose everyday amounts run into millions read better abbreviated.
_BIG = {"VND", "IDR", "KRW", "JPY", "COP", "CLP", "HUF", "IRR", "UGX", "PYG"}


def _trace(series: Series, style: ChartStyle, kind: str, color: str | None = None) -> PlotlyDict:
    xs = [plotly_text(label) for label, _ in series.points]
    ys = [value for _, value in series.points]
    trace: PlotlyDict = {
        "type": "bar" if kind == "bar" else "scatter",
        "name": legend_text(series.name),
        "x": xs,
        "y": ys,
        # One rounding rule: a hover label shows the value as the chart's numbers table
        # does (the same Formatter call), not as Plotly would round it.
        "customdata": [plotly_text(style.fmt.value(value, series.unit)) for value in ys],
        # The trace's (escaped) name, not a copy of it: no user text in a template.
        "hovertemplate": PlotlyText("%{customdata}<extra>%{fullData.name}</extra>"),
    }
    if kind != "bar":
        trace["mode"] = "lines+markers" if len(xs) <= 16 else "lines"
        trace["line"] = {"width": 2.5, "shape": "linear"}
        trace["connectgaps"] = False
        if kind == "area" and series.style == "main":
            trace["fill"] = "tozeroy"
    if series.style == "previous":
        trace["line" if kind != "bar" else "marker"] = (
            {"width": 1.5, "dash": "dot", "color": MUTED} if kind != "bar" else {"color": MUTED}
        )
        trace.pop("fill", None)
    elif series.style == "target":
        trace = {
            **trace,
            "type": "scatter",
            "mode": "lines",
            "line": {"width": 1.5, "dash": "dash", "color": TARGET},
        }
        trace.pop("fill", None)
    elif color:
        trace["marker" if kind == "bar" else "line"] = (
            {"color": color} if kind == "bar" else {**trace.get("line", {}), "color": color}
        )
    if kind == "bar" and series.style == "main" and not color:
        trace["marker"] = {"color": style.brand}
    return trace


def _annotation_marks(
    categories: list[str], marks: list[tuple[int, str]]
) -> tuple[list[PlotlyDict], list[PlotlyDict]]:
    # Events in one category (two in a month on a monthly chart) share one badge: "3,4".
    by_index: dict[int, list[tuple[int, str]]] = {}
    for number, (index, text) in enumerate(marks, start=1):
        by_index.setdefault(index, []).append((number, text))
    shapes, notes = [], []
    for index, events in by_index.items():
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": index,
                "x1": index,
                "y0": 0,
                "y1": 1,
                "line": {"color": TARGET, "width": 1, "dash": "dot"},
            }
        )
        # inside the plot area, under the toolbar's strip and far from the legend
        notes.append(
            {
                "x": index,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "text": plotly_text(",".join(str(number) for number, _ in events)),
                "showarrow": False,
                "hovertext": PlotlyText("<br>".join(plotly_text(text) for _, text in events)),
                "font": {"size": 10, "color": "#ffffff"},
                "bgcolor": TARGET,
                "borderpad": 2,
            }
        )
    return shapes, notes


# --- public builders --------------------------------------------------------------


def line_chart(
    title: str,
    series: list[Series],
    style: ChartStyle,
    *,
    kind: str = "line",
    marks: list[tuple[int, str]] | None = None,
    summary: str = "",
    period_label: str = "",
    named: bool = False,
) -> ChartView:
    """A time (or category) chart: main series, optional previous/target lines.

    `named`: the categories are names (campaigns, channels), of any length and number: they
    run down the left of the plot, one row each (horizontal bars), cut to fit a phone
    (tick_text), and the drawing grows with their number."""
    main = series[0]
    categories = [label for label, _ in main.points]
    layout = _layout(style, main.unit, legend=len(series) > 1)
    traces = [_trace(s, style, kind if s.style in ("main", "previous") else "line") for s in series]
    if kind == "bar" and any(s.style == "previous" for s in series):
        layout["barmode"] = "group"
    print_height = None
    if named:
        _across(layout, traces, categories, bars=sum(t["type"] == "bar" for t in traces))
        # Plotly's rows are all alike: each as tall as the tallest needs
        plot_room = max(
            190, 26 + len(categories) * max((_row_height(c, traces) for c in categories), default=0)
        )
        # paper is wide: the legend takes a row (or none), the rows keep their room
        print_height = MODEBAR_ROOM + plot_room + (34 if layout["showlegend"] else 0)
    else:
        plot_room = 190  # with the x axis's labels
    _fit_legend(layout, [trace["name"] for trace in traces], plot_room=plot_room)
    notes: tuple[str, ...] = ()
    if marks:
        shapes, annotations = _annotation_marks(categories, marks)
        layout["shapes"] = shapes
        layout["annotations"] = annotations
        notes = tuple(f"{n} — {text}" for n, (_, text) in enumerate(marks, start=1))
    columns = (period_label or style.fmt.gettext("Period"), *[s.name for s in series])
    by_label = [(dict(s.points), s.unit) for s in series]
    value = style.fmt.value
    rows = tuple(
        (label, *[value(points.get(label), unit) for points, unit in by_label]) for label in categories
    )
    return ChartView(
        title=title,
        figure=_figure(traces, layout),
        summary=summary or describe_series(main, style.fmt),
        columns=columns,
        rows=rows,
        notes=notes,
        kind=kind,
        print_height=print_height,
    )


def _across(layout: PlotlyDict, traces: list[PlotlyDict], categories: list[str], bars: int) -> None:
    """Names down the y axis (first at the top), values along the x axis."""
    names = [plotly_text(name) for name in categories]
    value_axis = layout["yaxis"]
    # first at the top; every row whole (a line's end point sat on the axis, its name
    # over the value axis's labels)
    layout["yaxis"] = {
        **layout["xaxis"],
        "range": [len(names) - 0.5, -0.5],
        "tickmode": "array",
        "tickvals": names,
        "ticktext": tick_texts(categories),
        "categoryorder": "array",
        "categoryarray": names,
        "tickangle": 0,
        "ticklabelstandoff": 4,
    }
    layout["yaxis"].pop("nticks", None)
    layout["xaxis"] = {**value_axis, "tickangle": 0, "nticks": 3}  # across a phone's narrow plot
    largest = max((abs(v) for trace in traces for v in trace["y"] if v is not None), default=0)
    if value_axis.get("tickformat") == ".1%":
        if largest >= 10:
            layout["xaxis"]["tickformat"] = ".0%"
    elif largest >= 100_000:
        layout["xaxis"]["tickformat"] = "~s"  # "$200M", not "$200,000,000" beside "$100,000,000"
    # a point's hover names it in full (a unified hover's title is the cut axis label)
    layout["hovermode"] = "closest"
    for trace in traces:
        trace["x"], trace["y"] = trace["y"], trace["x"]
        trace["hovertext"] = names
        trace["hovertemplate"] = PlotlyText("%{hovertext}<br>%{customdata}<extra>%{fullData.name}</extra>")
        if trace["type"] == "bar":
            trace["orientation"] = "h"
        elif trace.get("fill") == "tozeroy":
            trace["fill"] = "tozerox"
    if bars:
        layout["bargap"] = 0.25


def _row_height(name: str, traces: list[PlotlyDict]) -> int:
    """A name's row: its label's lines, or room for each of its bars."""
    bars: int = sum(trace["type"] == "bar" for trace in traces)
    return max(TICK_LINE_PX * len(_tick_lines(name)) + 10, 12 * bars + 10)


def pie_chart(
    title: str, series: Series, style: ChartStyle, *, summary: str = "", label_name: str = ""
) -> ChartView:
    points = [(label, value) for label, value in series.points if value]
    layout = _layout(style, series.unit, legend=True)
    for axis in ("xaxis", "yaxis"):
        layout.pop(axis)
    layout["hovermode"] = "closest"
    layout["uniformtext"] = {"minsize": 9, "mode": "hide"}
    # one entry per row at every width, as on a phone: the legend's height is the same
    # everywhere, so the drawing's height fits it (a horizontal legend of many names flows
    # into a few rows on a desktop and left the pie a tall, mostly blank plot area)
    layout["legend"]["orientation"] = "v"
    labels = pie_labels([label for label, _ in points])
    _fit_legend(layout, labels, plot_room=170)
    total = sum(v for _, v in points) or None
    # The slices' percentages are the numbers table's Share column, not Plotly's own
    # rounding ("7.68%" beside "7.7%"): one Formatter call for both.
    shares = [style.fmt.percent(v / total if total else None, 1) for _, v in points]
    fills, texts = slice_colors(style, len(points))
    trace = {
        "type": "pie",
        "hole": 0.55,
        "labels": labels,
        "hovertext": [plotly_text(label) for label, _ in points],  # the whole name
        "values": [value for _, value in points],
        "text": [plotly_text(share) for share in shares],
        "customdata": [plotly_text(style.fmt.value(v, series.unit)) for _, v in points],
        "hovertemplate": PlotlyText("%{hovertext}: %{customdata} (%{text})<extra></extra>"),
        "textinfo": "text",
        # inside its slice or not at all (the share is in the hover and the table): a label
        # moved out of a thin slice ran into the legend
        "textposition": "inside",
        "sort": False,
        "marker": {"colors": fills, "line": {"color": CARD, "width": 2}},
        # A label inside a slice in ink or white, whichever contrasts more with the slice
        # (the slice a shade darker or lighter when neither reaches 4.5:1); one that Plotly
        # moves outside a thin slice sits on the card. Hover labels read the same way.
        "insidetextfont": {"color": texts},
        "outsidetextfont": {"color": CHART_INK},
        "hoverlabel": {"bgcolor": fills, "bordercolor": texts, "font": {"color": texts}},
    }
    rows = tuple(
        (label, style.fmt.value(v, series.unit), share)
        for (label, v), share in zip(points, shares, strict=True)
    )
    columns = (label_name or style.fmt.gettext("Group"), series.name, style.fmt.gettext("Share"))
    return ChartView(
        title=title,
        figure=_figure([trace], layout),
        summary=summary or describe_shares(series, points, style.fmt),
        columns=columns,
        rows=rows,
        kind="pie",
    )


def slice_colors(style: ChartStyle, count: int) -> tuple[list[str], list[str]]:
    """Each slice's fill and its label's colour. Past the colorway the colours repeat,
    each round paler (a light colour: darker), so a slice never shares its neighbour's
    colour; every fill is adjusted, if need be, so that ink or white text on it reaches
    WCAG AA."""
    colorway = style.colorway
    fills, texts = [], []
    for index in range(count):
        base = colorway[index % len(colorway)]
        paler = 1 - 0.6 ** (index // len(colorway))
        away = CARD if relative_luminance(base) < 0.5 else "#000000"
        fill, text = readable_on(mix(base, away, paler), INK)
        fills.append(fill)
        texts.append(text)
    return fills, texts


# --- text alternatives ---------------------------------------------------------------


def describe_series(series: Series, fmt: Formatter) -> str:
    known = [(label, v) for label, v in series.points if v is not None]
    if not known:
        return fmt.gettext("No data for this period.")
    high = max(known, key=lambda p: p[1])
    low = min(known, key=lambda p: p[1])
    first, last = known[0], known[-1]
    return fmt.gettext(
        "{name}: {first_value} ({first}) to {last_value} ({last}); "
        "highest {high_value} ({high}), lowest {low_value} ({low})."
    ).format(
        name=series.name,
        first=first[0],
        first_value=fmt.value(first[1], series.unit),
        last=last[0],
        last_value=fmt.value(last[1], series.unit),
        high=high[0],
        high_value=fmt.value(high[1], series.unit),
        low=low[0],
        low_value=fmt.value(low[1], series.unit),
    )


def describe_shares(series: Series, points: Sequence[tuple[str, float]], fmt: Formatter) -> str:
    total = sum(v for _, v in points)
    if not points or not total:
        return fmt.gettext("No data for this period.")
    label, value = max(points, key=lambda p: p[1])
    return fmt.gettext("{name}: {count} groups; the largest is {label} with {share}.").format(
        name=series.name, count=len(points), label=label, share=fmt.percent(value / total, 1)
    )


def marks_for_days(
    days: list[dt.date], annotations: Sequence[Annotation], fmt: Formatter
) -> list[tuple[int, str]]:
    position = {d: i for i, d in enumerate(days)}
    return [
        (position[a.date], f"{fmt.day_short(a.date)}: {a.text}") for a in annotations if a.date in position
    ]


def marks_for_ranges(
    starts: list[dt.date], ends: list[dt.date], annotations: Sequence[Annotation], fmt: Formatter
) -> list[tuple[int, str]]:
    marks = []
    for a in annotations:
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if start <= a.date <= end:
                marks.append((index, f"{fmt.date(a.date)}: {a.text}"))
                break
    return marks
