"""Present: what each page shows, as plain view objects and chart views.

This is the bridge between computed figures (metrics.py) and templates: it
formats numbers in the client's locale, words statuses and changes, and
assembles every chart. Pure functions: same inputs, same output.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import metrics as m

# The charts a report shows are built by chart kind (chartkinds.py); pages re-exports them.
from .chartkinds import budget_chart as budget_chart
from .chartkinds import channel_chart as channel_chart
from .chartkinds import chart_from_spec as chart_from_spec
from .chartkinds import chart_style as chart_style
from .chartkinds import daily_kpi_chart as daily_kpi_chart
from .chartkinds import kpi_trend_chart as kpi_trend_chart
from .i18n import Formatter, translations_for
from .model import Client, Month
from .vocabulary import TABLE_ORDER, kpi_label
from .vocabulary import metric_label as _metric_label

ARROWS = {"up": "▲", "down": "▼", "flat": "■"}


def metric_label(client: Client, metric: str, fmt: Formatter | None = None) -> str:
    """The metric as the client's report names it, in its language (vocabulary.metric_label)."""
    return _metric_label(client, metric, fmt.gettext) if fmt else _metric_label(client, metric)


# --- KPI cards ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeView:
    arrow: str
    verdict: str  # better | worse | same | none
    text: str  # "12.3% vs Sep 2026"
    words: str  # "better" / "worse" in the page's language


@dataclass(frozen=True)
class KpiCard:
    label: str
    metric: str
    value: str
    target: str | None
    pct_of_target: str | None
    status: str  # met | close | behind | none
    status_text: str
    projected: str | None
    better_text: str
    vs_previous: ChangeView
    vs_last_year: ChangeView


def kpi_card(figure: m.KpiFigure, month: Month, partial: bool, fmt: Formatter) -> KpiCard:
    _ = fmt.gettext
    statuses = (
        {"met": _("On track"), "close": _("Slightly behind pace"), "behind": _("Behind pace")}
        if partial
        else {"met": _("Target met"), "close": _("Just short of target"), "behind": _("Below target")}
    )
    return KpiCard(
        label=kpi_label(figure.label, figure.metric, _),
        metric=figure.metric,
        value=fmt.value(figure.value, figure.unit),
        target=fmt.value(figure.target, figure.unit) if figure.target is not None else None,
        pct_of_target=fmt.percent(figure.pct_of_target, 0) if figure.pct_of_target is not None else None,
        status=figure.status,
        status_text=statuses.get(figure.status, ""),
        projected=fmt.value(figure.projected, figure.unit) if figure.projected is not None else None,
        better_text=_("higher is better") if figure.better == "higher" else _("lower is better"),
        vs_previous=change_view(
            figure.vs_previous, fmt.month_short(month.previous), fmt, projected=figure.projected is not None
        ),
        vs_last_year=change_view(
            figure.vs_last_year, fmt.month_short(month.last_year), fmt, projected=figure.projected is not None
        ),
    )


def change_view(change: m.Change, against: str, fmt: Formatter, projected: bool = False) -> ChangeView:
    _ = fmt.gettext
    if change.ratio is None:
        return ChangeView("", "none", _("no comparison for {month}").format(month=against), "")
    shown = fmt.change(change.ratio)
    verdict = change.verdict
    if not any(ch.isdigit() and unicodedata.digit(ch, 0) for ch in shown):
        verdict = "same"  # it rounds to 0.0 %: "▼ 0.0% (worse)" would contradict itself
    direction = "flat" if verdict == "same" else "up" if change.ratio > 0 else "down"
    words = {"better": _("better"), "worse": _("worse"), "same": _("no change")}[verdict]
    text = (_("{change} vs {month}, projected") if projected else _("{change} vs {month}")).format(
        change=shown, month=against
    )
    return ChangeView(ARROWS[direction], verdict, text, words)


# --- budget -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetView:
    budget: str | None
    spent: str | None
    expected: str | None
    pct_spent: str | None
    meter: BudgetMeter
    status: str
    status_text: str


@dataclass(frozen=True)
class BudgetMeter:
    """The budget bar, as percentages of its width. Its scale ends at the budget (the
    labelled mark), or at the spend when that is over budget, so the fill always
    stands to the mark as the spend to the budget: 96 % spent fills 96 % of the way."""

    fill: float  # spent within the budget
    over: float  # spent beyond the budget, drawn after the mark
    mark: float  # where 100 % of the budget sits
    mark_label: str  # "100 %", in the client's locale


def budget_meter(share: float | None, fmt: Formatter) -> BudgetMeter:
    share = max(share or 0.0, 0.0)
    scale = max(share, 1.0)
    return BudgetMeter(
        fill=min(share, 1.0) / scale * 100,
        over=max(share - 1.0, 0.0) / scale * 100,
        mark=100 / scale,
        mark_label=fmt.percent(1, 0),
    )


def budget_view(figure: m.BudgetFigure, partial: bool, fmt: Formatter) -> BudgetView:
    _ = fmt.gettext
    if partial:
        words = {
            "over": _("Ahead of pace: spending faster than the budget allows"),
            "under": _("Behind pace: spending slower than planned"),
            "on_pace": _("On pace with the budget"),
        }
    else:
        words = {"over": _("Over budget"), "under": _("Under budget"), "on_pace": _("On budget")}
    share = m.ratio(figure.spent, figure.budget)
    return BudgetView(
        budget=fmt.money(figure.budget, whole=True) if figure.budget is not None else None,
        spent=fmt.money(figure.spent) if figure.spent is not None else None,
        expected=fmt.money(figure.expected_by_now, whole=True)
        if figure.expected_by_now is not None
        else None,
        pct_spent=fmt.percent(share, 0) if share is not None else None,
        meter=budget_meter(share, fmt),
        status=figure.status,
        status_text=words.get(figure.status, ""),
    )


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None

    # The template walks cells paired with their "numeric" flag (cheaper in
    # Jinja than looking flags up by loop index).
    @property
    def head(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns[1:], self.numeric[1:], strict=True))

    @property
    def body(self) -> list[tuple[str, list[tuple[str, bool]]]]:
        return [(row[0], list(zip(row[1:], self.numeric[1:], strict=True))) for row in self.rows]

    @property
    def foot(self) -> list[tuple[str, bool]]:
        return list(zip(self.total[1:], self.numeric[1:], strict=True)) if self.total else []


def table_metrics(facts: m.ClientFacts) -> list[str]:
    """The columns a campaign table shows: volumes first, then ratios that have values."""
    names = [n for n in TABLE_ORDER if n in facts.metrics.names and not facts.metrics.missing_inputs(n)]
    names += [n for n in facts.metrics.names if n not in names and not facts.metrics.missing_inputs(n)]
    return names


def _table_columns(
    facts: m.ClientFacts, fmt: Formatter
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A client's table columns (table_metrics), their units and their labels in `fmt`'s
    language: the same for every table of the client, so found once (the client's memo)."""
    key = ("table columns", fmt)
    columns: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None = facts._memo.get(key)
    if columns is None:
        names = tuple(table_metrics(facts))
        units = tuple(facts.metrics.unit(n) for n in names)
        labels = tuple(metric_label(facts.client, n, fmt) for n in names)
        columns = facts._memo[key] = (names, units, labels)
    return columns


def group_table(
    groups: Sequence[m.GroupFigure],
    totals: dict[str, float | int | None],
    facts: m.ClientFacts,
    fmt: Formatter,
    first: str,
    with_channel: bool,
) -> Table:
    names, units, labels = _table_columns(facts, fmt)
    value = fmt.value
    none_label = fmt.gettext("Unassigned")
    columns = (first, *([fmt.gettext("Channel")] if with_channel else []), *labels)
    numeric = (False, *([False] if with_channel else []), *[True] * len(names))
    rows = tuple(
        (
            g.name or none_label,
            *([g.channel or "—"] if with_channel else []),
            *[value(g.values.get(n), unit) for n, unit in zip(names, units, strict=True)],
        )
        for g in groups
    )
    total = (
        fmt.gettext("Total"),
        *([""] if with_channel else []),
        *[value(totals.get(n), unit) for n, unit in zip(names, units, strict=True)],
    )
    return Table(columns, numeric, rows, total)


# --- downloads ---------------------------------------------------------------------------------


def report_json(facts: m.ClientFacts, figures: m.MonthFigures) -> dict[str, Any]:
    """SPEC 4's report.json: unrounded numbers, null where there is no value."""
    client = facts.client
    gettext = translations_for(client.locale).gettext  # a KPI's label as its page shows it
    return {
        "client": client.id,
        "month": str(figures.month),
        "currency": client.currency,
        "totals": dict(figures.totals),
        "kpis": [
            {
                "metric": k.metric,
                "label": kpi_label(k.label, k.metric, gettext),
                "value": k.value,
                "target": k.target,
                "previous": k.previous,
                "last_year": k.last_year,
            }
            for k in figures.kpis
        ],
        "budget": {
            "budget": figures.budget.budget,
            "spent": figures.budget.spent,
            "expected_by_now": figures.budget.expected_by_now,
        },
        "campaigns": [
            {"campaign": g.key, "name": g.name, "channel": g.channel, **g.values} for g in figures.campaigns
        ],
        "channels": channel_rows(facts, figures),
    }


def channel_rows(facts: m.ClientFacts, figures: m.MonthFigures) -> list[dict[str, Any]]:
    """The channel table's rows: each channel's base and derived metrics, and its
    share of the channel-mix chart's metric (spend, else the first base metric)."""
    if not figures.channels:
        return []
    metric = "spend" if "spend" in facts.metrics.index else facts.metrics.base[0]
    total = figures.totals.get(metric)
    rows = []
    for g in figures.channels:
        share_key = "share" if "share" not in g.values else "channel_share"  # a metric named share
        rows.append({"channel": g.key, **g.values, share_key: m.ratio(g.values.get(metric), total)})
    return rows


# OWASP's CSV-injection rule: a spreadsheet runs a cell that starts with one of
# these as a formula (=HYPERLINK(...) sends data away when clicked).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character gets a `'`."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def metrics_csv(facts: m.ClientFacts, month: Month) -> str:
    """The month's rows in the canonical format, for download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The channel column follows the one channel rule (m.row_channel), like every
    # table, chart and report.json: a row's cell, else its campaign's channel.
    with_channel = facts.has_channel or any(c.channel for c in facts.client.campaigns)
    dims = ["date", *(["campaign"] if facts.has_campaign else []), *(["channel"] if with_channel else [])]
    writer.writerow([*dims, *facts.metrics.base])
    # Each row as the writer would write it (dates and numbers never need quoting; a name is
    # quoted by the writer itself, once per name), joined at once: a month has ~1,000 rows.
    # A row's date and its campaign and channel cells are looked up (a month repeats them).
    lines = [buffer.getvalue()]
    days: dict[dt.date, str] = {}
    names: dict[tuple[str | None, str | None], str] = {}
    for row in facts.rows_by_month.get(month, ()):
        day = days.get(row.date)
        if day is None:
            day = days[row.date] = row.date.isoformat()
        cells_of = names.get((row.campaign, row.channel))
        if cells_of is None:  # the channel rule reads the campaign and channel cells only
            cells = [""]
            if facts.has_campaign:
                cells.append(_csv_cell(spreadsheet_text(row.campaign or "")))
            if with_channel:
                cells.append(_csv_cell(spreadsheet_text(m.row_channel(facts, row) or "")))
            cells_of = names[row.campaign, row.channel] = ",".join(cells)
        values = row.values  # numbers: never touched
        if not values:
            lines.append(day + cells_of + "\n")
        elif None in values:
            lines.append(
                day + cells_of + "," + ",".join(["" if v is None else repr(v) for v in values]) + "\n"
            )
        else:
            lines.append(day + cells_of + "," + ",".join(map(repr, values)) + "\n")
    return "".join(lines)


@functools.lru_cache(maxsize=4096)
def _csv_cell(text: str) -> str:
    """`text` as a CSV field, quoted if need be: as csv.writer writes it in a longer row."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]  # less the empty last field's "," and the line's end
