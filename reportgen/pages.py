"""Present: what each page shows, as plain view objects and chart views.

This is the bridge between computed figures (metrics.py) and templates: it
formats numbers in the client's locale, words statuses and changes, and
assembles every chart. Pure functions: same inputs, same output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from . import metrics as m
from .charts import (
    ChartStyle,
    ChartView,
    Series,
    line_chart,
    marks_for_days,
    marks_for_ranges,
    pie_chart,
)
from .config import BUILTIN_LABELS
from .i18n import Formatter, sentence
from .model import Annotation, ChartSpec, Client, Kpi, Month

ARROWS = {"up": "▲", "down": "▼", "flat": "■"}


def metric_label(client: Client, metric: str, fmt: Formatter | None = None) -> str:
    for kpi in client.kpis:
        if kpi.metric == metric:
            return kpi.label
    if metric in BUILTIN_LABELS:
        return fmt.gettext(BUILTIN_LABELS[metric]) if fmt else BUILTIN_LABELS[metric]
    return metric.replace("_", " ").capitalize()


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
    statuses = ({"met": _("On track"), "close": _("Slightly behind pace"), "behind": _("Behind pace")}
                if partial else
                {"met": _("Target met"), "close": _("Just short of target"),
                 "behind": _("Below target")})
    return KpiCard(
        label=figure.label,
        metric=figure.metric,
        value=fmt.value(figure.value, figure.unit),
        target=fmt.value(figure.target, figure.unit) if figure.target is not None else None,
        pct_of_target=fmt.percent(figure.pct_of_target, 0) if figure.pct_of_target is not None
        else None,
        status=figure.status,
        status_text=statuses.get(figure.status, ""),
        projected=fmt.value(figure.projected, figure.unit) if figure.projected is not None else None,
        better_text=_("higher is better") if figure.better == "higher" else _("lower is better"),
        vs_previous=change_view(figure.vs_previous, fmt.month_short(month.previous), fmt,
                                projected=figure.projected is not None),
        vs_last_year=change_view(figure.vs_last_year, fmt.month_short(month.last_year), fmt,
                                 projected=figure.projected is not None),
    )


def change_view(change: m.Change, against: str, fmt: Formatter, projected: bool = False
                ) -> ChangeView:
    _ = fmt.gettext
    if change.ratio is None:
        return ChangeView("", "none", _("no comparison for {month}").format(month=against), "")
    direction = "up" if change.ratio > 0 else "down" if change.ratio < 0 else "flat"
    words = {"better": _("better"), "worse": _("worse"), "same": _("no change")}[change.verdict]
    text = (_("{change} vs {month}, projected") if projected else _("{change} vs {month}")).format(
        change=fmt.change(change.ratio), month=against)
    return ChangeView(ARROWS[direction], change.verdict, text, words)


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
    return BudgetMeter(fill=min(share, 1.0) / scale * 100, over=max(share - 1.0, 0.0) / scale * 100,
                       mark=100 / scale, mark_label=fmt.percent(1, 0))


def budget_view(figure: m.BudgetFigure, partial: bool, fmt: Formatter) -> BudgetView:
    _ = fmt.gettext
    if partial:
        words = {"over": _("Ahead of pace: spending faster than the budget allows"),
                 "under": _("Behind pace: spending slower than planned"),
                 "on_pace": _("On pace with the budget")}
    else:
        words = {"over": _("Over budget"), "under": _("Under budget"),
                 "on_pace": _("On budget")}
    share = m.ratio(figure.spent, figure.budget)
    return BudgetView(
        budget=fmt.money(figure.budget, whole=True) if figure.budget is not None else None,
        spent=fmt.money(figure.spent) if figure.spent is not None else None,
        expected=fmt.money(figure.expected_by_now, whole=True)
        if figure.expected_by_now is not None else None,
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
    preferred = ["impressions", "clicks", "spend", "conversions", "leads", "revenue",
                 "ctr", "cpc", "cpm", "cvr", "cpa", "roas"]
    names = [n for n in preferred if n in facts.metrics.names and not facts.metrics.missing_inputs(n)]
    names += [n for n in facts.metrics.names if n not in names and not facts.metrics.missing_inputs(n)]
    return names


def group_table(groups: Sequence[m.GroupFigure], totals: dict, facts: m.ClientFacts,
                fmt: Formatter, first: str, with_channel: bool) -> Table:
    names = table_metrics(facts)
    client = facts.client
    none_label = fmt.gettext("Unassigned")
    columns = (first, *([fmt.gettext("Channel")] if with_channel else []),
               *[metric_label(client, n, fmt) for n in names])
    numeric = (False, *([False] if with_channel else []), *[True] * len(names))
    rows = tuple(
        (g.name or none_label, *([g.channel or "—"] if with_channel else []),
         *[fmt.value(g.values.get(n), facts.metrics.unit(n)) for n in names])
        for g in groups)
    total = (fmt.gettext("Total"), *([""] if with_channel else []),
             *[fmt.value(totals.get(n), facts.metrics.unit(n)) for n in names])
    return Table(columns, numeric, rows, total)


# --- charts on a report -------------------------------------------------------------------


def chart_style(client: Client, fmt: Formatter, height: int = 280) -> ChartStyle:
    return ChartStyle(brand=client.brand.color, fmt=fmt, height=height)


def budget_chart(facts: m.ClientFacts, figure: m.BudgetFigure, month: Month, fmt: Formatter
                 ) -> ChartView | None:
    """Cumulative spend against the budget's straight-line pace over the month."""
    if figure.budget is None or all(v is None for _d, v in figure.cumulative):
        return None  # no spend value this month: nothing to pace (never a line at zero)
    _ = fmt.gettext
    days = [month.first_day + dt.timedelta(days=i) for i in range(month.days)]
    labels = [fmt.day_short(d) for d in days]
    spent = dict(figure.cumulative)
    actual = Series(_("Spend to date"), [(lbl, spent.get(d)) for lbl, d in zip(labels, days, strict=True)],
                    "currency")
    pace = Series(_("Budget pace"), [(lbl, figure.budget * (i + 1) / month.days)
                                     for i, lbl in enumerate(labels)], "currency", style="target")
    last_day, last_value = next(((lbl, v) for lbl, v in reversed(actual.points) if v is not None),
                                ("—", 0))
    summary = sentence(_("Spent {spent} of a {budget} budget by {day}."),  # "31. Okt." ends it
                       spent=fmt.money(last_value), budget=fmt.money(figure.budget, whole=True),
                       day=last_day)
    return line_chart(_("Budget pacing"), [actual, pace], chart_style(facts.client, fmt), kind="area",
                      summary=summary, period_label=_("Day"))


def daily_kpi_chart(facts: m.ClientFacts, kpi: Kpi, month: Month, elapsed: int, fmt: Formatter,
                    annotations: Sequence[Annotation]) -> ChartView:
    spec = ChartSpec(metric=kpi.metric, type="line", by="day", compare="previous",
                     title=metric_label(facts.client, kpi.metric, fmt))
    return chart_from_spec(spec, facts, month, elapsed, fmt, annotations)


def channel_chart(facts: m.ClientFacts, figures: m.MonthFigures, fmt: Formatter) -> ChartView | None:
    if not figures.channels:
        return None
    metric = "spend" if "spend" in facts.metrics.index else facts.metrics.base[0]
    spec = ChartSpec(metric=metric, type="pie", by="channel",
                     title=fmt.gettext("Channel mix: {metric}").format(
                         metric=metric_label(facts.client, metric, fmt)))
    return chart_from_spec(spec, facts, figures.month, figures.days_elapsed, fmt, ())


def chart_from_spec(spec: ChartSpec, facts: m.ClientFacts, month: Month, elapsed: int,
                    fmt: Formatter, annotations: Sequence[Annotation]) -> ChartView:
    """Any chart a note can ask for (SPEC 2.3 chart blocks) and the built-in ones."""
    _ = fmt.gettext
    client = facts.client
    metrics = facts.metrics
    unit = metrics.unit(spec.metric)
    label = metric_label(client, spec.metric, fmt)
    style = chart_style(client, fmt)
    kpi = next((k for k in client.kpis if k.metric == spec.metric), None)
    limit = elapsed if elapsed < month.days else None
    title = spec.title or {
        "day": _("{metric} per day"), "week": _("{metric} per week"),
        "month": _("{metric} per month"), "campaign": _("{metric} by campaign"),
        "channel": _("{metric} by channel")}[spec.by].format(metric=label)

    if spec.by in ("campaign", "channel"):
        points = m.series_by_group(facts, month, spec.metric, spec.by)
        none_label = _("Unassigned")
        points = [(name or none_label, value) for name, value in points]
        series = [Series(fmt.month_short(month), points, unit)]
        if spec.type == "pie":
            return pie_chart(title, series[0], style, label_name=_("Campaign") if spec.by ==
                             "campaign" else _("Channel"))
        if spec.compare == "previous":
            before = dict((name or none_label, v) for name, v in
                          m.series_by_group(facts, month.previous, spec.metric, spec.by))
            _add_comparison(series, Series(fmt.month_short(month.previous),
                                           [(name, before.get(name)) for name, _v in points], unit,
                                           "previous"))
        return line_chart(title, series, style, kind=spec.type, named=True,
                          period_label=_("Campaign") if spec.by == "campaign" else _("Channel"))

    if spec.by == "month":
        raw = m.series_by_month(facts, month, spec.metric)
        labels = [fmt.month_short(mo) for mo, _v in raw]
        series = [Series(label, [(lbl, v) for lbl, (_mo, v) in zip(labels, raw, strict=True)], unit)]
        if spec.compare == "previous":
            before = m.series_by_month(facts, month.last_year, spec.metric)
            _add_comparison(series, Series(_("Year before"), [(lbl, v) for lbl, (_mo, v) in
                                                              zip(labels, before, strict=True)],
                                           unit, "previous"))
        elif spec.compare == "target" and kpi and kpi.target is not None:
            series.append(Series(_("Target"), [(lbl, kpi.target) for lbl in labels], unit, "target"))
        projection = _projection(facts, month, spec.metric, elapsed, labels, raw)
        if projection:
            series.append(Series(_("Projected month end"), projection, unit, "previous"))
        starts = [mo.first_day for mo, _v in raw]
        ends = [mo.last_day for mo, _v in raw]
        marks = marks_for_ranges(starts, ends, annotations, fmt)
        return line_chart(title, series, style, kind=spec.type, marks=marks,
                          period_label=_("Month"))

    by_week = spec.by == "week"
    raw = (m.series_by_week if by_week else m.series_by_day)(facts, month, spec.metric, limit)
    labels = [fmt.day_short(d) for d, _v in raw]
    series = [Series(fmt.month_short(month), [(lbl, v) for lbl, (_d, v) in
                                              zip(labels, raw, strict=True)], unit)]
    if spec.compare == "previous":
        before = (m.series_by_week if by_week else m.series_by_day)(facts, month.previous, spec.metric)
        _add_comparison(series, Series(fmt.month_short(month.previous),
                                       [(lbl, before[i][1] if i < len(before) else None)
                                        for i, lbl in enumerate(labels)], unit, "previous"))
    elif spec.compare == "target" and kpi and kpi.target is not None:
        per = kpi.target
        if metrics.is_additive(spec.metric):
            per = kpi.target * (7 if by_week else 1) / month.days
        name = _("Weekly pace to target") if by_week else _("Daily pace to target")
        series.append(Series(name if metrics.is_additive(spec.metric) else _("Target"),
                             [(lbl, per) for lbl in labels], unit, "target"))
    if by_week:
        starts = [d for d, _v in raw]
        ends = [min(d + dt.timedelta(days=6), month.last_day) for d in starts]
        marks = marks_for_ranges([max(s, month.first_day) for s in starts], ends, annotations, fmt)
    else:
        marks = marks_for_days([d for d, _v in raw], annotations, fmt)
    return line_chart(title, series, style, kind=spec.type, marks=marks,
                      period_label=_("Week of") if by_week else _("Day"))


def _add_comparison(series: list[Series], comparison: Series) -> None:
    """A comparison without any value draws no line (never a line of zeros)."""
    if any(v is not None for _lbl, v in comparison.points):
        series.append(comparison)


def _projection(facts: m.ClientFacts, month: Month, metric: str, elapsed: int, labels: list[str],
                raw: list) -> list[tuple[str, float | None]]:
    """For a partial month: a dotted line from last month to this month's projection."""
    if elapsed >= month.days or not elapsed or not facts.metrics.is_additive(metric):
        return []
    value = raw[-1][1]
    if value is None or len(raw) < 2:
        return []
    projected = value * month.days / elapsed
    return [(lbl, None) for lbl in labels[:-2]] + [(labels[-2], raw[-2][1]), (labels[-1], projected)]


def kpi_trend_chart(facts: m.ClientFacts, kpi: Kpi, end: Month, elapsed: int, fmt: Formatter,
                    annotations: Sequence[Annotation]) -> ChartView:
    spec = ChartSpec(metric=kpi.metric, type="line", by="month",
                     compare="target" if kpi.target is not None else None, title=kpi.label)
    return chart_from_spec(spec, facts, end, elapsed, fmt, annotations)


# --- downloads ---------------------------------------------------------------------------------


def report_json(facts: m.ClientFacts, figures: m.MonthFigures) -> dict:
    """SPEC 4's report.json: unrounded numbers, null where there is no value."""
    client = facts.client
    return {
        "client": client.id,
        "month": str(figures.month),
        "currency": client.currency,
        "totals": dict(figures.totals),
        "kpis": [{"metric": k.metric, "label": k.label, "value": k.value, "target": k.target,
                  "previous": k.previous, "last_year": k.last_year} for k in figures.kpis],
        "budget": {"budget": figures.budget.budget, "spent": figures.budget.spent,
                   "expected_by_now": figures.budget.expected_by_now},
        "campaigns": [{"campaign": g.key, "name": g.name, "channel": g.channel, **g.values}
                      for g in figures.campaigns],
        "channels": channel_rows(facts, figures),
    }


def channel_rows(facts: m.ClientFacts, figures: m.MonthFigures) -> list[dict]:
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
    dims = ["date", *(["campaign"] if facts.has_campaign else []),
            *(["channel"] if with_channel else [])]
    writer.writerow([*dims, *facts.metrics.base])
    for row in facts.rows_by_month.get(month, ()):
        cells = [row.date.isoformat()]
        if facts.has_campaign:
            cells.append(spreadsheet_text(row.campaign or ""))
        if with_channel:
            cells.append(spreadsheet_text(m.row_channel(facts, row) or ""))
        cells.extend("" if v is None else repr(v) for v in row.values)  # numbers: never touched
        writer.writerow(cells)
    return buffer.getvalue()
