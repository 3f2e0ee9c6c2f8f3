"""Compute: every number a report shows, from a client's metric rows.

Rule of the house (SPEC 2.2): base metrics are summed over the period first,
then ratios are computed from those sums; never an average of daily ratios.
A ratio with a zero or missing denominator has no value (None).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from .config import CONFIG_FILE
from .depends import FIRST_DATE, LAST_DATE, MonthIndex, record
from .errors import Problem, did_you_mean
from .formulas import BinOp, Compiled, Expr, Formula, Name, Neg, Num, compile_expr, parse_formula
from .model import Client, Kpi, MetricRow, MetricTable, Month
from .vocabulary import BUILTIN_FORMULAS, BUILTIN_UNITS, CURRENCY_WORDS

Sums = list[int | float | None]  # aligned with MetricSet.base (formulas.Sums, mutable)
GroupKey = dt.date | str | None  # a day, a campaign or a channel (None: rows without one)

ON_TRACK_BAND = 0.9  # within 10% of target counts as close / on pace
PACE_BAND = 0.1


class MetricSet:
    """A client's metrics: the CSV columns plus built-in and own derived ones."""

    def __init__(
        self, base: Iterable[str], client_formulas: Iterable[tuple[str, Formula, int | None]] = ()
    ) -> None:
        self.base = tuple(base)
        self.index = {name: i for i, name in enumerate(self.base)}
        self.formulas: dict[str, Formula] = {
            name: parse_formula(text) for name, text in BUILTIN_FORMULAS.items()
        }
        self.formula_lines: dict[str, int | None] = {}
        for name, formula, line in client_formulas:
            self.formulas[name] = formula
            self.formula_lines[name] = line
        # A CSV column wins over a formula of the same name only for built-ins;
        # a client's own formula always wins (they asked for it by name).
        self.derived = tuple(n for n in self.formulas if n not in self.index or n in self.formula_lines)
        self.names = tuple(n for n in self.base if n not in self.formula_lines) + self.derived
        self._compiled: dict[str, Compiled] = {}
        for name in self.names:
            self._compile(name, ())

    def _compile(self, name: str, resolving: tuple[str, ...]) -> Compiled:
        if name in self._compiled:
            return self._compiled[name]
        function: Compiled
        if name in self.index and name not in self.formula_lines:
            function = operator.itemgetter(self.index[name])
        elif name in self.formulas and name not in resolving:  # a cycle has no value
            function = compile_expr(self.formulas[name].expr, lambda n: self._compile(n, (*resolving, name)))
        else:
            function = _no_value
        self._compiled[name] = function
        return function

    def __contains__(self, name: str) -> bool:
        return name in self.index or name in self.formulas

    def value(self, sums: Sums | None, name: str) -> float | None:
        if sums is None:
            return None
        function = self._compiled.get(name)
        return function(sums) if function else None

    def values(self, sums: Sums | None) -> dict[str, float | int | None]:
        if sums is None:
            return dict.fromkeys(self.names)
        compiled = self._compiled
        return {name: compiled[name](sums) for name in self.names}

    def is_additive(self, name: str) -> bool:
        return name in self.index and name not in self.formula_lines

    def unit(self, name: str) -> str:
        if self.is_additive(name):
            return "currency" if _is_money(name) else "count"
        if name in BUILTIN_UNITS and name not in self.formula_lines:
            return BUILTIN_UNITS[name]
        formula = self.formulas.get(name)
        return _unit_of(formula.expr, self) if formula else "number"

    def missing_inputs(self, name: str, _seen: frozenset[str] = frozenset()) -> list[str]:
        """Base metrics `name` needs that no data file has."""
        if name in self.index and name not in self.formula_lines:
            return []
        formula = self.formulas.get(name)
        if formula is None or name in _seen:
            return [name] if formula is None else []
        missing: list[str] = []
        for needed in sorted(formula.names):
            missing.extend(m for m in self.missing_inputs(needed, _seen | {name}) if m not in missing)
        return missing

    def check(self, client: Client) -> list[Problem]:
        """Unknown names and cycles in the client's formulas, unknown KPI metrics."""
        problems = []
        known = set(self.index) | set(self.formulas)
        for name, line in self.formula_lines.items():
            for needed in sorted(self.formulas[name].names):
                if needed not in known:
                    problems.append(
                        Problem(
                            CONFIG_FILE,
                            line,
                            (
                                f"client '{client.id}': metric '{name}' uses unknown metric '{needed}'"
                                f"{did_you_mean(needed, known)}"
                            ),
                        )
                    )
            if _has_cycle(name, self.formulas, self.formula_lines):
                problems.append(
                    Problem(CONFIG_FILE, line, f"client '{client.id}': metric '{name}' refers to itself")
                )
        for kpi in client.kpis:
            problems.extend(
                self.check_metric(kpi.metric, CONFIG_FILE, kpi.line, f"client '{client.id}': KPI")
            )
        return problems

    def check_metric(self, name: str, path: str, line: int | None, what: str) -> list[Problem]:
        if name not in self:
            return [
                Problem(
                    path,
                    line,
                    f"{what} uses unknown metric '{name}'"
                    f"{did_you_mean(name, self.names)}; "
                    f"known: {', '.join(self.names)}",
                )
            ]
        missing = self.missing_inputs(name)
        if missing:
            return [
                Problem(
                    path,
                    line,
                    f"{what} metric '{name}' needs "
                    f"{', '.join(repr(m) for m in missing)}, "
                    "which no data file of this client has",
                )
            ]
        return []


def _no_value(sums: object) -> None:
    return None


def _has_cycle(start: str, formulas: dict[str, Formula], own: dict[str, int | None]) -> bool:
    stack, seen = [start], set()
    while stack:
        name = stack.pop()
        formula = formulas.get(name)
        if formula is None or (name not in own and name != start):
            continue
        for needed in formula.names:
            if needed == start:
                return True
            if needed not in seen:
                seen.add(needed)
                stack.append(needed)
    return False


def _is_money(name: str) -> bool:
    return any(name == w or name.endswith("_" + w) or name.startswith(w + "_") for w in CURRENCY_WORDS)


def _unit_of(expr: Expr, metrics: MetricSet) -> str:
    """Rough unit algebra so a custom metric like spend/leads shows as money."""
    if isinstance(expr, Num):
        return "scalar"
    if isinstance(expr, Name):
        return metrics.unit(expr.name) if expr.name in metrics else "number"
    if isinstance(expr, Neg):
        return _unit_of(expr.operand, metrics)
    assert isinstance(expr, BinOp)
    left, right = _unit_of(expr.left, metrics), _unit_of(expr.right, metrics)
    if expr.op in "+-":
        return "currency" if "currency" in (left, right) else (left if left != "scalar" else right)
    if expr.op == "*":
        if "currency" in (left, right):
            return "currency"
        return left if right == "scalar" else right if left == "scalar" else "number"
    if right == "scalar":
        return left
    if left == "currency":
        return "ratio" if right == "currency" else "currency"
    return "number"


# --- sums -----------------------------------------------------------------


def add_into(total: Sums, values: Iterable[int | float | None]) -> None:
    for i, value in enumerate(values):
        if value is not None:
            current = total[i]
            total[i] = value if current is None else current + value


def sum_rows(rows: Iterable[MetricRow], width: int) -> Sums | None:
    total: Sums = [None] * width
    empty = True
    for row in rows:
        add_into(total, row.values)
        empty = False
    return None if empty else total


def group_sums(
    rows: Iterable[MetricRow], key: Callable[[MetricRow], GroupKey], width: int
) -> dict[GroupKey, Sums]:
    groups: dict[GroupKey, Sums] = {}
    for row in rows:
        k = key(row)
        if k not in groups:
            groups[k] = [None] * width
        add_into(groups[k], row.values)
    return groups


# --- per client -------------------------------------------------------------


@dataclass(frozen=True)
class ClientFacts:
    """A client's rows, indexed for the questions reports ask."""

    client: Client
    metrics: MetricSet
    # Every read of a month's rows or totals goes through a MonthIndex, which
    # records it for the page being rendered (depends.py): a new reader of the
    # data cannot forget to declare what it depends on.
    rows_by_month: MonthIndex  # Month → tuple[MetricRow, ...]
    month_totals: MonthIndex  # Month → Sums
    _first_date: dt.date | None
    _last_date: dt.date | None
    has_campaign: bool
    has_channel: bool
    # Per-month groupings, computed once and reused by every chart of a page.
    _memo: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)
    # MetricTable.sources: each data entry's last day with data per month (status.py)
    sources: tuple[tuple[str, int | None, tuple[tuple[Month, dt.date], ...]], ...] = field(
        default=(), compare=False, repr=False
    )

    @property
    def width(self) -> int:
        return len(self.metrics.base)

    @property
    def first_date(self) -> dt.date | None:
        record(FIRST_DATE)
        return self._first_date

    @property
    def last_date(self) -> dt.date | None:
        record(LAST_DATE)
        return self._last_date

    def untracked_span(self) -> tuple[dt.date | None, dt.date | None]:
        return self._first_date, self._last_date

    def grouped(self, month: Month, by: str) -> dict[GroupKey, Sums]:
        """The month's sums by 'date', 'campaign' or 'channel' (memoised)."""
        key = (month, by)
        rows = self.rows_by_month.get(month, ())  # read (and recorded) even when memoised
        if key not in self._memo:
            keyfn: Callable[[MetricRow], GroupKey]
            if by == "date":
                keyfn = _row_date
            elif by == "campaign":
                keyfn = _row_campaign
            else:

                def keyfn(row: MetricRow, facts: ClientFacts = self) -> GroupKey:
                    return row_channel(facts, row)

            self._memo[key] = group_sums(rows, keyfn, self.width)
        grouped: dict[GroupKey, Sums] = self._memo[key]
        return grouped

    def sums_by_day(self, month: Month) -> dict[dt.date, Sums]:
        return cast("dict[dt.date, Sums]", self.grouped(month, "date"))

    def sums_by_name(self, month: Month, by: str) -> dict[str | None, Sums]:
        """The month's sums by campaign or by channel (None: rows without one)."""
        return cast("dict[str | None, Sums]", self.grouped(month, by))

    def totals(self, month: Month) -> Sums | None:
        totals: Sums | None = self.month_totals.get(month)
        return totals


def compute_client_facts(client: Client, table: MetricTable, until: Month | None = None) -> ClientFacts:
    """Index the rows by month; rows after `until` (the portal's as-of month) are dropped."""
    by_month: dict[Month, list[MetricRow]] = defaultdict(list)
    for row in table.rows:
        month = Month(row.date.year, row.date.month)
        if until is None or month <= until:
            by_month[month].append(row)
    rows_by_month = {m: tuple(sorted(rows, key=_row_order)) for m, rows in sorted(by_month.items())}
    width = len(table.metrics)
    dates = [r.date for rows in rows_by_month.values() for r in (rows[0], rows[-1])]
    return ClientFacts(
        client=client,
        metrics=MetricSet(table.metrics, client.metrics),
        rows_by_month=MonthIndex(rows_by_month),
        month_totals=MonthIndex({m: sum_rows(rows, width) for m, rows in rows_by_month.items()}),
        _first_date=min(dates) if dates else None,
        _last_date=max(dates) if dates else None,
        has_campaign=table.has_campaign,
        has_channel=table.has_channel,
        sources=table.sources,
    )


def _row_date(row: MetricRow) -> dt.date:
    return row.date


def _row_campaign(row: MetricRow) -> str | None:
    return row.campaign


def _row_order(row: MetricRow) -> tuple[dt.date, str, str]:
    return (row.date, row.campaign or "", row.channel or "")


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
class GroupFigure:
    key: str | None  # campaign id or channel; None: rows without one
    name: str | None
    channel: str | None
    values: dict[str, float | int | None]
    budget: float | None = None


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
    # lower-is-better target it would read as far better than target (sources.py warns).
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


def compute_campaigns(facts: ClientFacts, month: Month) -> tuple[GroupFigure, ...]:
    if not facts.has_campaign:
        return ()
    rows = facts.rows_by_month.get(month, ())
    groups = facts.sums_by_name(month, "campaign")
    channels_seen: dict[str | None, set[str]] = defaultdict(set)
    for row in rows:  # the one channel rule (row_channel), as in the channel table
        channel = row_channel(facts, row)
        if channel:
            channels_seen[row.campaign].add(channel)
    order = {c.id: i for i, c in enumerate(facts.client.campaigns)}
    keys = sorted(groups, key=lambda k: (k is None, order.get(k or "", len(order)), k or ""))
    result = []
    for key in keys:
        meta = facts.client.campaign(key) if key is not None else None
        channel = ", ".join(sorted(channels_seen[key])) or None
        result.append(
            GroupFigure(
                key=key,
                name=meta.name if meta else key,
                channel=channel,
                values=facts.metrics.values(groups[key]),
                budget=meta.budget if meta else None,
            )
        )
    return tuple(result)


def row_channel(facts: ClientFacts, row: MetricRow) -> str | None:
    """THE channel rule (README): a row's `channel` cell, else its campaign's
    channel from clients.yaml. Every table, chart and download uses this."""
    if row.channel:
        return row.channel
    if not row.campaign:
        return None
    channels = facts._memo.get("campaign channels")
    if channels is None:
        channels = facts._memo["campaign channels"] = {
            c.id: c.channel for c in reversed(facts.client.campaigns)
        }
    return channels.get(row.campaign)


def compute_channels(facts: ClientFacts, month: Month) -> tuple[GroupFigure, ...]:
    rows = facts.rows_by_month.get(month, ())
    if not rows or not (facts.has_channel or any(c.channel for c in facts.client.campaigns)):
        return ()
    groups = facts.sums_by_name(month, "channel")
    keys = sorted(groups, key=lambda k: (k is None, k or ""))
    return tuple(GroupFigure(key=k, name=k, channel=k, values=facts.metrics.values(groups[k])) for k in keys)


# --- series for charts ---------------------------------------------------------


def daily_sums(
    facts: ClientFacts, month: Month, today_limit: int | None = None
) -> list[tuple[dt.date, Sums | None]]:
    """Each day of the month (up to `today_limit` days) with its sums.

    A day without rows has no data (None), wherever it lies: charts show a gap
    there, never a zero that is not in the data.
    """
    by_day = facts.sums_by_day(month)
    days = month.days if today_limit is None else min(today_limit, month.days)
    first = month.first_day
    return [(day, by_day.get(day)) for day in (first + dt.timedelta(days=i) for i in range(days))]


def series_by_day(
    facts: ClientFacts, month: Month, metric: str, limit: int | None = None
) -> list[tuple[dt.date, float | None]]:
    return [(day, facts.metrics.value(s, metric)) for day, s in daily_sums(facts, month, limit)]


def series_by_week(
    facts: ClientFacts, month: Month, metric: str, limit: int | None = None
) -> list[tuple[dt.date, float | None]]:
    """ISO weeks (Monday first) of the month; edge weeks hold only this month's days."""
    weeks: dict[dt.date, Sums | None] = {}  # a week without any data stays None (a gap)
    for day, sums in daily_sums(facts, month, limit):
        start = day - dt.timedelta(days=day.weekday())
        week = weeks.setdefault(start, None)
        if sums is not None:
            if week is None:
                week = weeks[start] = [None] * facts.width
            add_into(week, sums)
    return [(start, facts.metrics.value(s, metric)) for start, s in sorted(weeks.items())]


def series_by_month(
    facts: ClientFacts, end: Month, metric: str, count: int = 13
) -> list[tuple[Month, float | None]]:
    months = [end.shift(-i) for i in range(count - 1, -1, -1)]
    return [(m, facts.metrics.value(facts.totals(m), metric)) for m in months]


def series_by_group(
    facts: ClientFacts, month: Month, metric: str, by: str
) -> list[tuple[str | None, float | None]]:
    groups = compute_campaigns(facts, month) if by == "campaign" else compute_channels(facts, month)
    return [(g.name, g.values.get(metric)) for g in groups]
