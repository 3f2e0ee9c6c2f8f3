"""Present: how a chart looks, whatever it draws.

The colours and fonts (matching reportgen.css), a client's `ChartStyle`, the
layout every figure starts from, and the names on legends and category axes
wrapped and cut to fit a 360 px phone, the drawing grown to hold them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .colors import mix, readable_on, relative_luminance
from .i18n import Formatter
from .plotlytext import PlotlyDict, PlotlyText, plotly_markup

PALETTE = ("#f59e0b", "#8b5cf6", "#ef4444", "#10b981", "#3b82f6", "#ec4899", "#14b8a6", "#a3a3a3")
MUTED = "#94a3b8"
TARGET = "#475569"
# Chart text sits on the card (reportgen.css `--card`) in `CHART_INK` (`--ink-2`), or
# on a slice in `INK` (`--ink`) or white, whichever reaches WCAG AA (colors.py).
CARD = "#ffffff"
INK = "#0f172a"
CHART_INK = "#334155"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class ChartStyle:
    brand: str
    fmt: Formatter
    height: int = 280

    @property
    def colorway(self) -> list[str]:
        return [self.brand, *[c for c in PALETTE if c.lower() != self.brand.lower()]]


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


def base_layout(style: ChartStyle, unit: str, *, legend: bool) -> PlotlyDict:
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
    lines = tick_lines(name)
    parts: list[str] = []
    for line in lines:
        parts += [PlotlyText("<br>"), line] if parts else [line]
    return plotly_markup(*parts)


def tick_lines(name: str) -> list[str]:
    return _wrap(name, TICK_CHARS, TICK_LINES)


def _wrap(name: str, chars: int, most: int | None, *, tail: bool = False) -> list[str]:
    """`name` on at most `most` lines (None: all) of at most `chars` characters, cut with "…"
    (`tail`: the last line is the name's end, "…aign 2026 6", to tell apart names that
    differ only at the end). Memoised for a `str` (the same series names and months recur
    on every chart; textwrap is slow)."""
    if name.__class__ is not str:
        return _wrapped(name, chars, most, tail)
    key = (name, chars, most, tail)
    lines = _WRAPPED.get(key)
    if lines is None:
        if len(_WRAPPED) >= 1 << 14:
            _WRAPPED.clear()
        lines = _WRAPPED[key] = tuple(_wrapped(name, chars, most, tail))
    return list(lines)


_WRAPPED: dict[tuple[str, int, int | None, bool], tuple[str, ...]] = {}


def _wrapped(name: str, chars: int, most: int | None, tail: bool) -> list[str]:
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


def fit_legend(layout: PlotlyDict, entries: Sequence[PlotlyText], plot_room: int) -> None:
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


@lru_cache(maxsize=256)  # the same few per client; read only (spread into each new axis)
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


def slice_colors(style: ChartStyle, count: int) -> tuple[list[str], list[str]]:
    """Each slice's fill and its label's colour. Past the colorway the colours repeat,
    each round paler (a light colour: darker), so a slice never shares its neighbour's
    colour; every fill is adjusted, if need be, so that ink or white text on it reaches
    WCAG AA."""
    if style.brand.__class__ is not str:
        return _slice_colors(style.colorway, count)
    key = (style.brand, count)
    known = _SLICES.get(key)
    if known is None:
        if len(_SLICES) >= 1 << 12:
            _SLICES.clear()
        fills, texts = _slice_colors(style.colorway, count)
        known = _SLICES[key] = (tuple(fills), tuple(texts))
    return list(known[0]), list(known[1])


# slice_colors' memo: a pure function of the brand colour (the colorway) and the count.
_SLICES: dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _slice_colors(colorway: list[str], count: int) -> tuple[list[str], list[str]]:
    fills, texts = [], []
    for index in range(count):
        base = colorway[index % len(colorway)]
        paler = 1 - 0.6 ** (index // len(colorway))
        away = CARD if relative_luminance(base) < 0.5 else "#000000"
        fill, text = readable_on(mix(base, away, paler), INK)
        fills.append(fill)
        texts.append(text)
    return fills, texts
