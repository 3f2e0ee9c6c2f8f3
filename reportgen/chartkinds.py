"""Present: the chart kinds, one builder per `by:` of a chart block, and the report's own charts.

A chart kind is one function registered under its `by:` value:

    @chart_kind("day")
    def by_day(request: ChartRequest) -> ChartView: ...

Registering it is all it takes: note validation accepts `by: day` and names it
in its error hints (notes.py reads `CHART_KINDS`), and `chart_from_spec` draws
it. A kind whose points are names, not dates (`groups=True`: campaigns,
channels), may be a pie and has no target line; a kind of dates may compare
with a target but is never a pie. The scorecards' trend charts and the budget
and channel charts are built from the same kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
from .i18n import Formatter, sentence
from .model import Annotation, ChartSpec, Client, Kpi, Month
from .vocabulary import kpi_label, metric_label


@dataclass(frozen=True)
class ChartRequest:
    """Everything a chart kind's builder may draw from: the note's (or page's) spec and
    the client's computed facts for the report's month."""

    spec: ChartSpec
    facts: m.ClientFacts
    month: Month
    elapsed: int  # days of the month with data so far (the month's length once it is over)
    fmt: Formatter
    annotations: Sequence[Annotation] = ()

    @property
    def label(self) -> str:
        return metric_label(self.facts.client, self.spec.metric, self.fmt.gettext)

    @property
    def unit(self) -> str:
        return self.facts.metrics.unit(self.spec.metric)

    @property
    def kpi(self) -> Kpi | None:
        return next((k for k in self.facts.client.kpis if k.metric == self.spec.metric), None)

    @property
    def target(self) -> float | None:
        """The monthly target of the chart's metric, when the note asked to compare with it."""
        kpi = self.kpi
        return kpi.target if self.spec.compare == "target" and kpi else None

    def title(self, default: str) -> str:
        """The note's title, else `default` (a translated "{metric} per day") for the metric."""
        return self.spec.title or default.format(metric=self.label)


ChartBuilder = Callable[[ChartRequest], ChartView]


@dataclass(frozen=True)
class ChartKind:
    by: str
    build: ChartBuilder
    groups: bool = False  # points are names (campaigns, channels): may be a pie, no target line


# `by:` value -> its kind, in the order error messages and the README list them.
CHART_KINDS: dict[str, ChartKind] = {}
DEFAULT_BY = "day"


def chart_kind(by: str, *, groups: bool = False) -> Callable[[ChartBuilder], ChartBuilder]:
    """Register the decorated function as the builder of charts `by: <by>`."""

    def register(build: ChartBuilder) -> ChartBuilder:
        CHART_KINDS[by] = ChartKind(by, build, groups)
        return build

    return register


def kinds_where(groups: bool) -> tuple[str, ...]:
    """The `by:` values of the kinds of names (groups=True) or of dates (False)."""
    return tuple(kind.by for kind in CHART_KINDS.values() if kind.groups == groups)


def chart_style(client: Client, fmt: Formatter, height: int = 280) -> ChartStyle:
    return ChartStyle(brand=client.brand.color, fmt=fmt, height=height)


def chart_from_spec(
    spec: ChartSpec,
    facts: m.ClientFacts,
    month: Month,
    elapsed: int,
    fmt: Formatter,
    annotations: Sequence[Annotation],
) -> ChartView:
    """Any chart a note can ask for (SPEC 2.3 chart blocks) and the built-in ones."""
    return CHART_KINDS[spec.by].build(ChartRequest(spec, facts, month, elapsed, fmt, annotations))


# --- the kinds ----------------------------------------------------------------------------


@chart_kind("day")
def by_day(request: ChartRequest) -> ChartView:
    return _dated(request, request.title(request.fmt.gettext("{metric} per day")), by_week=False)


@chart_kind("week")
def by_week(request: ChartRequest) -> ChartView:
    return _dated(request, request.title(request.fmt.gettext("{metric} per week")), by_week=True)


@chart_kind("month")
def by_month(request: ChartRequest) -> ChartView:
    """The 13 months ending with the report's month; the year before, or the target, beside them."""
    _ = request.fmt.gettext
    fmt, facts, month = request.fmt, request.facts, request.month
    metric, unit = request.spec.metric, request.unit
    title = request.title(_("{metric} per month"))
    raw = m.series_by_month(facts, month, metric)
    labels = [fmt.month_short(mo) for mo, _v in raw]
    series = [Series(request.label, [(lbl, v) for lbl, (_mo, v) in zip(labels, raw, strict=True)], unit)]
    if request.spec.compare == "previous":
        before = m.series_by_month(facts, month.last_year, metric)
        _add_comparison(
            series,
            Series(
                _("Year before"),
                [(lbl, v) for lbl, (_mo, v) in zip(labels, before, strict=True)],
                unit,
                "previous",
            ),
        )
    elif request.target is not None:
        series.append(Series(_("Target"), [(lbl, request.target) for lbl in labels], unit, "target"))
    projection = _projection(facts, month, metric, request.elapsed, labels, raw)
    if projection:
        series.append(Series(_("Projected month end"), projection, unit, "previous"))
    starts = [mo.first_day for mo, _v in raw]
    ends = [mo.last_day for mo, _v in raw]
    marks = marks_for_ranges(starts, ends, request.annotations, fmt)
    return line_chart(
        title,
        series,
        chart_style(facts.client, fmt),
        kind=request.spec.type,
        marks=marks,
        period_label=_("Month"),
    )


@chart_kind("campaign", groups=True)
def by_campaign(request: ChartRequest) -> ChartView:
    _ = request.fmt.gettext
    return _grouped(request, request.title(_("{metric} by campaign")), _("Campaign"))


@chart_kind("channel", groups=True)
def by_channel(request: ChartRequest) -> ChartView:
    _ = request.fmt.gettext
    return _grouped(request, request.title(_("{metric} by channel")), _("Channel"))


def _dated(request: ChartRequest, title: str, by_week: bool) -> ChartView:
    """Day by day (or week by week) through the month; last month's, or the pace to the
    target, beside it."""
    _ = request.fmt.gettext
    fmt, facts, month = request.fmt, request.facts, request.month
    metric, unit = request.spec.metric, request.unit
    limit = request.elapsed if request.elapsed < month.days else None
    series_of = m.series_by_week if by_week else m.series_by_day
    raw = series_of(facts, month, metric, limit)
    labels = [fmt.day_short(d) for d, _v in raw] if by_week else day_labels(fmt, month, [d for d, _v in raw])
    series = [
        Series(fmt.month_short(month), [(lbl, v) for lbl, (_d, v) in zip(labels, raw, strict=True)], unit)
    ]
    target = request.target
    if request.spec.compare == "previous":
        before = series_of(facts, month.previous, metric)
        _add_comparison(
            series,
            Series(
                fmt.month_short(month.previous),
                [(lbl, before[i][1] if i < len(before) else None) for i, lbl in enumerate(labels)],
                unit,
                "previous",
            ),
        )
    elif target is not None:
        additive = facts.metrics.is_additive(metric)
        per = target * (7 if by_week else 1) / month.days if additive else target
        name = _("Weekly pace to target") if by_week else _("Daily pace to target")
        series.append(
            Series(name if additive else _("Target"), [(lbl, per) for lbl in labels], unit, "target")
        )
    if by_week:
        starts = [d for d, _v in raw]
        ends = [min(d + dt.timedelta(days=6), month.last_day) for d in starts]
        marks = marks_for_ranges([max(s, month.first_day) for s in starts], ends, request.annotations, fmt)
    else:
        marks = marks_for_days([d for d, _v in raw], request.annotations, fmt)
    return line_chart(
        title,
        series,
        chart_style(facts.client, fmt),
        kind=request.spec.type,
        marks=marks,
        period_label=_("Week of") if by_week else _("Day"),
    )


def _grouped(request: ChartRequest, title: str, name_label: str) -> ChartView:
    """One point per campaign (or channel): a pie, or names down the side; last month's beside them."""
    _ = request.fmt.gettext
    fmt, facts, month, spec, unit = request.fmt, request.facts, request.month, request.spec, request.unit
    style = chart_style(facts.client, fmt)
    none_label = _("Unassigned")
    points = [
        (name or none_label, value) for name, value in m.series_by_group(facts, month, spec.metric, spec.by)
    ]
    series = [Series(fmt.month_short(month), points, unit)]
    if spec.type == "pie":
        return pie_chart(title, series[0], style, label_name=name_label)
    if spec.compare == "previous":
        before = dict(
            (name or none_label, v)
            for name, v in m.series_by_group(facts, month.previous, spec.metric, spec.by)
        )
        _add_comparison(
            series,
            Series(
                fmt.month_short(month.previous),
                [(name, before.get(name)) for name, _v in points],
                unit,
                "previous",
            ),
        )
    return line_chart(title, series, style, kind=spec.type, named=True, period_label=name_label)


def day_labels(fmt: Formatter, month: Month, days: Sequence[dt.date]) -> list[str]:
    """`[fmt.day_short(d) for d in days]`; for the month's days from its first on (every
    daily chart's and the budget chart's), the month's labels made once per locale."""
    if days and days[0] == month.first_day and len(days) <= month.days:
        key = (fmt.locale, month)
        known = _DAY_LABELS.get(key)
        if known is None:
            if len(_DAY_LABELS) >= 1 << 12:
                _DAY_LABELS.clear()
            every = tuple(month.first_day + dt.timedelta(days=i) for i in range(month.days))
            known = _DAY_LABELS[key] = (every, tuple(fmt.day_short(d) for d in every))
        every, labels = known
        count = len(days)
        if tuple(days) == every[:count]:
            return list(labels[:count])
    return [fmt.day_short(d) for d in days]


# day_labels' memo: (locale, month) -> the month's days and the label of each.
_DAY_LABELS: dict[tuple[str, Month], tuple[tuple[dt.date, ...], tuple[str, ...]]] = {}


def _add_comparison(series: list[Series], comparison: Series) -> None:
    """A comparison without any value draws no line (never a line of zeros)."""
    if any(v is not None for _lbl, v in comparison.points):
        series.append(comparison)


def _projection(
    facts: m.ClientFacts,
    month: Month,
    metric: str,
    elapsed: int,
    labels: list[str],
    raw: Sequence[tuple[Month, float | None]],
) -> list[tuple[str, float | None]]:
    """For a partial month: a dotted line from last month to this month's projection."""
    if elapsed >= month.days or not elapsed or not facts.metrics.is_additive(metric):
        return []
    value = raw[-1][1]
    if value is None or len(raw) < 2:
        return []
    projected = value * month.days / elapsed
    return [(lbl, None) for lbl in labels[:-2]] + [(labels[-2], raw[-2][1]), (labels[-1], projected)]


# --- the report's own charts ---------------------------------------------------------------


def budget_chart(
    facts: m.ClientFacts, figure: m.BudgetFigure, month: Month, fmt: Formatter
) -> ChartView | None:
    """Cumulative spend against the budget's straight-line pace over the month."""
    if figure.budget is None or all(v is None for _d, v in figure.cumulative):
        return None  # no spend value this month: nothing to pace (never a line at zero)
    _ = fmt.gettext
    days = [month.first_day + dt.timedelta(days=i) for i in range(month.days)]
    labels = day_labels(fmt, month, days)
    spent = dict(figure.cumulative)
    actual = Series(
        _("Spend to date"), [(lbl, spent.get(d)) for lbl, d in zip(labels, days, strict=True)], "currency"
    )
    pace = Series(
        _("Budget pace"),
        [(lbl, figure.budget * (i + 1) / month.days) for i, lbl in enumerate(labels)],
        "currency",
        style="target",
    )
    last_day, last_value = next(((lbl, v) for lbl, v in reversed(actual.points) if v is not None), ("—", 0.0))
    summary = sentence(
        _("Spent {spent} of a {budget} budget by {day}."),  # "31. Okt." ends it
        spent=fmt.money(last_value),
        budget=fmt.money(figure.budget, whole=True),
        day=last_day,
    )
    return line_chart(
        _("Budget pacing"),
        [actual, pace],
        chart_style(facts.client, fmt),
        kind="area",
        summary=summary,
        period_label=_("Day"),
    )


def daily_kpi_chart(
    facts: m.ClientFacts,
    kpi: Kpi,
    month: Month,
    elapsed: int,
    fmt: Formatter,
    annotations: Sequence[Annotation],
) -> ChartView:
    spec = ChartSpec(
        metric=kpi.metric,
        type="line",
        by="day",
        compare="previous",
        title=metric_label(facts.client, kpi.metric, fmt.gettext),
    )
    return chart_from_spec(spec, facts, month, elapsed, fmt, annotations)


def channel_chart(facts: m.ClientFacts, figures: m.MonthFigures, fmt: Formatter) -> ChartView | None:
    if not figures.channels:
        return None
    metric = "spend" if "spend" in facts.metrics.index else facts.metrics.base[0]
    spec = ChartSpec(
        metric=metric,
        type="pie",
        by="channel",
        title=fmt.gettext("Channel mix: {metric}").format(
            metric=metric_label(facts.client, metric, fmt.gettext)
        ),
    )
    return chart_from_spec(spec, facts, figures.month, figures.days_elapsed, fmt, ())


def kpi_trend_chart(
    facts: m.ClientFacts,
    kpi: Kpi,
    end: Month,
    elapsed: int,
    fmt: Formatter,
    annotations: Sequence[Annotation],
) -> ChartView:
    spec = ChartSpec(
        metric=kpi.metric,
        type="line",
        by="month",
        compare="target" if kpi.target is not None else None,
        title=kpi_label(kpi.label, kpi.metric, fmt.gettext),
    )
    return chart_from_spec(spec, facts, end, elapsed, fmt, annotations)
