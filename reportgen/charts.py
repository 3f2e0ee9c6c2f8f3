"""Present: chart figures as plain Plotly dicts, with their text alternative.

Figures are built as dicts, not plotly.graph_objects: ~0.01 ms instead of
~20 ms each, which is what makes thousands of reports per minute possible.
Tests validate them against plotly's schema instead. Every chart carries a
summary sentence and a table of its numbers, formatted in the client's
locale, for screen readers and print.

Every string in a figure is a `PlotlyText` (plotlytext.py); how a chart looks
(colours, the base layout, legends and axis labels fitted to a phone) is
chartlayout.py. Both are re-exported here for the chart kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .chartlayout import CARD as CARD
from .chartlayout import CHART_INK as CHART_INK
from .chartlayout import INK as INK
from .chartlayout import (
    MODEBAR_ROOM,
    MUTED,
    TARGET,
    TICK_LINE_PX,
    base_layout,
    fit_legend,
    legend_text,
    pie_labels,
    tick_lines,
    tick_texts,
)
from .chartlayout import PALETTE as PALETTE
from .chartlayout import TICK_CHARS as TICK_CHARS
from .chartlayout import TICK_LINES as TICK_LINES
from .chartlayout import ChartStyle as ChartStyle
from .chartlayout import slice_colors as slice_colors
from .chartlayout import tick_text as tick_text
from .depends import record_annotations
from .i18n import Formatter
from .model import Annotation
from .plotlytext import TRACE_TYPES as TRACE_TYPES
from .plotlytext import PlotlyDict, PlotlyText
from .plotlytext import plotly_figure as plotly_figure
from .plotlytext import plotly_text as plotly_text


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


def _trace(
    series: Series,
    style: ChartStyle,
    kind: str,
    color: str | None = None,
    *,
    xs: list[PlotlyText] | None = None,
    texts: list[str] | None = None,
) -> PlotlyDict:
    """`xs`: the series' labels as plotly_text makes them, `texts`: its values as
    `style.fmt.value` writes them (line_chart has them already); else made here."""
    if xs is None:
        xs = [plotly_text(label) for label, _ in series.points]
    ys = [value for _, value in series.points]
    if texts is None:
        texts = style.fmt.values(ys, series.unit)
    trace: PlotlyDict = {
        "type": "bar" if kind == "bar" else "scatter",
        "name": legend_text(series.name),
        "x": xs,
        "y": ys,
        # One rounding rule: a hover label shows the value as the chart's numbers table
        # does (the same Formatter call), not as Plotly would round it.
        "customdata": list(map(plotly_text, texts)),
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
    if trace.get("mode") == "lines":
        _mark_lone_points(trace, ys)
    return trace


def _mark_lone_points(trace: PlotlyDict, ys: list[float | None]) -> None:
    """A line draws nothing for a value with no value on either side (one day of
    data, a weekly or monthly export's total on its first day): such points get a
    marker, the others none, so every value shown in the table is also drawn."""
    last = len(ys) - 1
    lone = [
        y is not None and (i == 0 or ys[i - 1] is None) and (i == last or ys[i + 1] is None)
        for i, y in enumerate(ys)
    ]
    if any(lone):
        trace["mode"] = "lines+markers"
        trace["marker"] = {"size": [7 if alone else 0 for alone in lone]}


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
    layout = base_layout(style, main.unit, legend=len(series) > 1)
    # Each series' values formatted once, for its hover texts and its column of the table;
    # the labels escaped once for every series drawn on the main one's.
    value = style.fmt.value
    texts = [style.fmt.values([v for _, v in s.points], s.unit) for s in series]
    xs = list(map(plotly_text, categories))
    alike = [[label for label, _ in s.points] == categories for s in series]
    traces = [
        _trace(
            s,
            style,
            kind if s.style in ("main", "previous") else "line",
            xs=list(xs) if same else None,
            texts=column,
        )
        for s, column, same in zip(series, texts, alike, strict=True)
    ]
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
    fit_legend(layout, [trace["name"] for trace in traces], plot_room=plot_room)
    notes: tuple[str, ...] = ()
    if marks:
        shapes, annotations = _annotation_marks(categories, marks)
        layout["shapes"] = shapes
        layout["annotations"] = annotations
        notes = tuple(f"{n} — {text}" for n, (_, text) in enumerate(marks, start=1))
    columns = (period_label or style.fmt.gettext("Period"), *[s.name for s in series])
    if len(set(categories)) == len(categories):
        # a series on the main one's labels: its row i is its point i, formatted above
        by_label = [
            column if same else [value(v, s.unit) for v in map(dict(s.points).get, categories)]
            for s, column, same in zip(series, texts, alike, strict=True)
        ]
        rows = tuple(zip(categories, *by_label, strict=True))
    else:  # a label twice: each row shows a series' last value of that label
        points_of = [(dict(s.points), s.unit) for s in series]
        rows = tuple(
            (label, *[value(points.get(label), unit) for points, unit in points_of]) for label in categories
        )
    return ChartView(
        title=title,
        figure=plotly_figure(traces, layout),
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
    return max(TICK_LINE_PX * len(tick_lines(name)) + 10, 12 * bars + 10)


def pie_chart(
    title: str, series: Series, style: ChartStyle, *, summary: str = "", label_name: str = ""
) -> ChartView:
    points = [(label, value) for label, value in series.points if value]
    layout = base_layout(style, series.unit, legend=True)
    for axis in ("xaxis", "yaxis"):
        layout.pop(axis)
    layout["hovermode"] = "closest"
    layout["uniformtext"] = {"minsize": 9, "mode": "hide"}
    # one entry per row at every width, as on a phone: the legend's height is the same
    # everywhere, so the drawing's height fits it (a horizontal legend of many names flows
    # into a few rows on a desktop and left the pie a tall, mostly blank plot area)
    layout["legend"]["orientation"] = "v"
    labels = pie_labels([label for label, _ in points])
    fit_legend(layout, labels, plot_room=170)
    total = sum(v for _, v in points) or None
    # The slices' percentages are the numbers table's Share column, not Plotly's own
    # rounding ("7.68%" beside "7.7%"): one Formatter call for both.
    shares = [style.fmt.percent(v / total if total else None, 1) for _, v in points]
    texts = style.fmt.values([v for _, v in points], series.unit)  # the hovers' and the table's
    fills, inks = slice_colors(style, len(points))
    trace = {
        "type": "pie",
        "hole": 0.55,
        "labels": labels,
        "hovertext": [plotly_text(label) for label, _ in points],  # the whole name
        "values": [value for _, value in points],
        "text": [plotly_text(share) for share in shares],
        "customdata": list(map(plotly_text, texts)),
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
        "insidetextfont": {"color": inks},
        "outsidetextfont": {"color": CHART_INK},
        "hoverlabel": {"bgcolor": fills, "bordercolor": inks, "font": {"color": inks}},
    }
    rows = tuple((label, text, share) for (label, _v), text, share in zip(points, texts, shares, strict=True))
    columns = (label_name or style.fmt.gettext("Group"), series.name, style.fmt.gettext("Share"))
    return ChartView(
        title=title,
        figure=plotly_figure([trace], layout),
        summary=summary or describe_shares(series, points, style.fmt),
        columns=columns,
        rows=rows,
        kind="pie",
    )


# --- text alternatives ---------------------------------------------------------------


def describe_series(series: Series, fmt: Formatter) -> str:
    known = [(label, v) for label, v in series.points if v is not None]
    if not known:
        return fmt.gettext("No data for this period.")
    if len(known) == 1:  # "22 (Nov 15) to 22 (Nov 15); highest 22 (Nov 15) …" said it four times
        ((label, value),) = known
        return fmt.gettext("{name}: {value} ({label}), the only value in this period.").format(
            name=series.name, value=fmt.value(value, series.unit), label=label
        )
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
    text = fmt.ngettext(  # one group is not "1 groups"
        "{name}: {count} group, {label}, with {share}.",
        "{name}: {count} groups; the largest is {label} with {share}.",
        len(points),
    )
    return text.format(name=series.name, count=len(points), label=label, share=fmt.percent(value / total, 1))


def marks_for_days(
    days: list[dt.date], annotations: Sequence[Annotation], fmt: Formatter
) -> list[tuple[int, str]]:
    if not days:
        return []
    record_annotations(min(days), max(days))
    position = {d: i for i, d in enumerate(days)}
    return [
        (position[a.date], f"{fmt.day_short(a.date)}: {a.text}") for a in annotations if a.date in position
    ]


def marks_for_ranges(
    starts: list[dt.date], ends: list[dt.date], annotations: Sequence[Annotation], fmt: Formatter
) -> list[tuple[int, str]]:
    marks: list[tuple[int, str]] = []
    if not starts:
        return marks
    record_annotations(min(starts), max(ends))
    for a in annotations:
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if start <= a.date <= end:
                marks.append((index, f"{fmt.date(a.date)}: {a.text}"))
                break
    return marks
