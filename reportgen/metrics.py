"""Compute: every number a report shows, from a client's metric rows.

Rule of the house (SPEC 2.2): base metrics are summed over the period first,
then ratios are computed from those sums; never an average of daily ratios.
A ratio with a zero or missing denominator has no value (None).

This module holds one month's figures: KPIs against their targets and the
months before, the month-end projection, budget pacing. What it builds on
lives beside it and is re-exported here, so `metrics` stays the one name the
later stages use: metricset.py (which metrics a client has, their units) and
sums.py (rows summed by day, week, month, campaign and channel; chart series).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .formulas import parse_formula as parse_formula
from .metricset import MetricSet as MetricSet
from .model import Kpi, MetricRow, Month
from .sums import ClientFacts as ClientFacts
from .sums import GroupFigure as GroupFigure
from .sums import compute_campaigns, compute_channels, daily_sums
from .sums import compute_client_facts as compute_client_facts
from .sums import row_channel as row_channel
from .sums import series_by_day as series_by_day
from .sums import series_by_group as series_by_group
from .sums import series_by_month as series_by_month
from .sums import series_by_week as series_by_week

ON_TRACK_BAND = 0.9  # within 10% of target counts as close / on pace
PACE_BAND = 0.1


# --- one month ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A change against an earlier value, judged by the KPI's direction."""

    ratio: float | None  # (value - before) / |before|
    verdict: str  # "better" | "worse" | "same" | "none"


@dataclass(frozen=True)
class KpiFigure:
    metric: str
    label: str | None  # as given; None: the metric's default words (vocabulary.kpi_label)
    unit: str
    better: str
    value: float | None
    target: float | None
    previous: float | None
    last_year: float | None
    projected: float | None  # month-end projection for a partial month (additive metrics)
    pct_of_target: float | None
    status: str  # "met" | "close" | "behind" | "none"
    vs_previous: Change  # judged on the projection when there is one
    vs_last_year: Change


@dataclass(frozen=True)
class BudgetFigure:
    budget: float | None
    spent: float | None
    expected_by_now: float | None
    status: str  # "over" | "on_pace" | "under" | "none"
    cumulative: tuple[tuple[dt.date, float | None], ...]  # spend to date, day by day


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    partial: bool
    days_elapsed: int
    has_data: bool
    totals: dict[str, float | int | None]
    kpis: tuple[KpiFigure, ...]
    budget: BudgetFigure
    campaigns: tuple[GroupFigure, ...]
    channels: tuple[GroupFigure, ...]


def month_is_partial(month: Month, today: dt.date) -> bool:
    return month >= Month.of(today)


def days_elapsed(facts: ClientFacts, month: Month, today: dt.date) -> int:
    """Days of `month` the figures cover: all of it once it is over."""
    if not month_is_partial(month, today):
        return month.days
    rows: tuple[MetricRow, ...] | None = facts.rows_by_month.get(month)
    if rows:
        return rows[-1].date.day
    return max(min(today.day - 1, month.days), 0) if month == Month.of(today) else 0


def compute_month(facts: ClientFacts, month: Month, today: dt.date) -> MonthFigures:
    metrics = facts.metrics
    partial = month_is_partial(month, today)
    elapsed = days_elapsed(facts, month, today)
    sums = facts.totals(month)
    kpis = tuple(compute_kpi(facts, kpi, month, partial, elapsed) for kpi in facts.client.kpis)
    return MonthFigures(
        month=month,
        partial=partial,
        days_elapsed=elapsed,
        has_data=sums is not None,
        totals=metrics.values(sums or [None] * facts.width),
        kpis=kpis,
        budget=compute_budget(facts, month, partial, elapsed),
        campaigns=compute_campaigns(facts, month),
        channels=compute_channels(facts, month),
    )


def compute_kpi(facts: ClientFacts, kpi: Kpi, month: Month, partial: bool, elapsed: int) -> KpiFigure:
    metrics = facts.metrics
    value = metrics.value(facts.totals(month), kpi.metric)
    previous = metrics.value(facts.totals(month.previous), kpi.metric)
    last_year = metrics.value(facts.totals(month.last_year), kpi.metric)
    projected = None
    if partial and value is not None and metrics.is_additive(kpi.metric) and elapsed:
        projected = value * month.days / elapsed
    judged = projected if projected is not None else value
    return KpiFigure(
        metric=kpi.metric,
        label=kpi.label,
        unit=kpi.format or metrics.unit(kpi.metric),
        better=kpi.better,
        value=value,
        target=kpi.target,
        previous=previous,
        last_year=last_year,
        projected=projected,
        pct_of_target=ratio(value, kpi.target),
        status=target_status(judged, kpi.target, kpi.better),
        # A month-to-date total against a whole month is no comparison at all;
        # the month-end projection is.
        vs_previous=compute_change(judged, previous, kpi.better),
        vs_last_year=compute_change(judged, last_year, kpi.better),
    )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    result = numerator / denominator
    return result if math.isfinite(result) else None  # 1e300 / 1e-300 is no value, never inf


def compute_change(value: float | None, before: float | None, better: str) -> Change:
    if value is None or before is None or before == 0:
        return Change(None, "none")
    change = (value - before) / abs(before)
    if not math.isfinite(change):  # an overflow is no comparison, never inf
        return Change(None, "none")
    if change == 0:
        return Change(0.0, "same")
    good = change > 0 if better == "higher" else change < 0
    return Change(change, "better" if good else "worse")


def target_status(value: float | None, target: float | None, better: str) -> str:
    # A negative value (refunds, adjustments larger than the month) is no judgement: against a
    # lower-is-better target it would read as far better than target (canonicalcsv.py says so).
    if value is None or target is None or value < 0:
        return "none"
    if better == "higher":
        score = value / target if target else (1.0 if value >= 0 else 0.0)
    else:
        score = target / value if value else 1.0
    if score >= 1:
        return "met"
    return "close" if score >= ON_TRACK_BAND else "behind"


def compute_budget(facts: ClientFacts, month: Month, partial: bool, elapsed: int) -> BudgetFigure:
    budget = facts.client.budget.for_month(month)
    spend_at = facts.metrics.index.get("spend")
    totals = facts.totals(month)
    # All spend cells blank (or no rows): no value, never a zero (README: blank is not zero).
    spent = totals[spend_at] if spend_at is not None and totals else None
    expected = None
    if budget is not None:
        expected = budget * elapsed / month.days if partial else float(budget)
    status = "none"
    if expected and spent is not None:
        pace = spent / expected
        status = "over" if pace > 1 + PACE_BAND else "under" if pace < 1 - PACE_BAND else "on_pace"
    cumulative = []
    if spend_at is not None:
        # A day without a spend value is a gap on the chart; the running total goes on after it.
        running: float | None = None
        for day, sums in daily_sums(facts, month, today_limit=elapsed):
            value = sums[spend_at] if sums is not None else None
            if value is not None:
                running = value if running is None else running + value
            cumulative.append((day, running if value is not None else None))
    return BudgetFigure(budget, spent, expected, status, tuple(cumulative))
