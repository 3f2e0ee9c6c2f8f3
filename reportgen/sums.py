"""Compute: a client's rows summed by day, week, month, campaign and channel.

`ClientFacts` indexes a client's rows by month (every read recorded for the
page being rendered, depends.py) and memoises each month's groupings; the
campaign and channel tables and the series the charts draw are sums of those
groups. Sums are of base metrics only: derived ones are computed from them
(metricset.py), never summed (SPEC 2.2).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial, reduce
from itertools import groupby
from typing import Any, TypeVar, cast

from .depends import FIRST_DATE, LAST_DATE, MonthIndex, record
from .metricset import MetricSet, Sums
from .model import Client, MetricRow, MetricTable, Month

GroupKey = dt.date | str | None  # a day, a campaign or a channel (None: rows without one)
_T = TypeVar("_T")


# --- sums -----------------------------------------------------------------


def add_into(total: Sums, values: Sequence[int | float | None]) -> None:
    if None not in values and None not in total and len(values) == len(total):  # the usual row
        total[:] = map(operator.add, total, values)
        return
    for i, value in enumerate(values):
        if value is not None:
            current = total[i]
            total[i] = value if current is None else current + value


def sum_rows(rows: Iterable[MetricRow], width: int) -> Sums | None:
    rows = rows if isinstance(rows, (list, tuple)) else list(rows)
    return _sums(rows, width) if rows else None


def group_sums(
    rows: Iterable[MetricRow], key: Callable[[MetricRow], GroupKey], width: int
) -> dict[GroupKey, Sums]:
    """Each key's sums, keys in the order first seen (each group summed as `sum_rows` does)."""
    members: dict[GroupKey, list[MetricRow]] = {}
    for k, run in groupby(rows, key):  # a month's rows come by date: its days are runs
        group = members.get(k)
        if group is None:
            members[k] = list(run)
        else:
            group.extend(run)
    return {k: _sums(group, width) for k, group in members.items()}


def _sums(rows: Sequence[MetricRow], width: int) -> Sums:
    """The sums of (at least one) rows: each column's values added in row order."""
    total = _column_sums(rows, width)
    if total is None:
        total = [None] * width
        for row in rows:
            add_into(total, row.values)
    return total


_VALUES = operator.itemgetter(3)  # a MetricRow's values
_FOLD = partial(reduce, operator.add)


def _column_sums(rows: Sequence[MetricRow], width: int) -> Sums | None:
    """The sums of rows that all have every one of `width` values, column by column: the
    additions `add_into` makes, in the same order (None for any other rows).

    The columns are folded first and the rows judged after, which costs a quarter of
    looking for None in every row beforehand (a month is summed a day, a campaign and a
    channel at a time: thousands of small groups a build): of two or more rows, a None
    fails its column's addition and rows of unequal length fail `zip`; a lone row is
    looked at itself."""
    values = list(map(_VALUES, rows))
    if not values:
        return None
    try:
        total = list(map(_FOLD, zip(*values, strict=True)))
    except (TypeError, ValueError):  # a None added, or a row shorter than another
        return None
    if len(total) != width or (len(values) == 1 and None in total):
        return None
    return total


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
                keyfn = _ROW_DATE
            elif by == "campaign":
                keyfn = _ROW_CAMPAIGN
            else:

                def keyfn(row: MetricRow, facts: ClientFacts = self) -> GroupKey:
                    return row_channel(facts, row)

            self._memo[key] = group_sums(rows, keyfn, self.width)
        grouped: dict[GroupKey, Sums] = self._memo[key]
        return grouped

    def once(self, key: tuple[object, ...], months: Iterable[Month], compute: Callable[[], _T]) -> _T:
        """`compute()` the first time `key` is asked for, its result after that: a month's
        series is drawn by its own report, the next month's comparison and the home page.
        The `months` it reads are read (and recorded) on every call, as without the memo."""
        for month in months:
            self.rows_by_month.get(month)
        if key not in self._memo:
            self._memo[key] = compute()
        result: _T = self._memo[key]
        return result

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
    months: dict[tuple[int, int], Month] = {}
    for day, run in groupby(table.rows, _ROW_DATE):  # a file's rows come by date: runs of a day
        month = months.get((day.year, day.month))
        if month is None:
            month = months[day.year, day.month] = Month(day.year, day.month)
        if until is None or month <= until:
            by_month[month].extend(run)
    rows_by_month = {m: _in_order(rows) for m, rows in sorted(by_month.items())}
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


_ROW_DATE = operator.itemgetter(0)  # a MetricRow's date
_ROW_CAMPAIGN = operator.itemgetter(1)  # a MetricRow's campaign


def _row_order(row: MetricRow) -> tuple[dt.date, str, str]:
    return (row.date, row.campaign or "", row.channel or "")


_ROW_KEY = operator.itemgetter(0, 1, 2)  # (date, campaign, channel)


def _in_order(rows: list[MetricRow]) -> tuple[MetricRow, ...]:
    """The rows sorted by `_row_order`; by the row's own cells when a column is never blank
    or always blank (the same order: sorted() is stable, and None only meets None)."""
    for at in (1, 2):
        blanks = list(map(operator.itemgetter(at), rows)).count(None)
        if blanks not in (0, len(rows)):
            return tuple(sorted(rows, key=_row_order))
    return tuple(sorted(rows, key=_ROW_KEY))


# --- campaigns and channels ------------------------------------------------------


@dataclass(frozen=True)
class GroupFigure:
    key: str | None  # campaign id or channel; None: rows without one
    name: str | None
    channel: str | None
    values: dict[str, float | int | None]
    budget: float | None = None


def compute_campaigns(facts: ClientFacts, month: Month) -> tuple[GroupFigure, ...]:
    """The month's campaign table (memoised: its report's table, JSON and campaign charts)."""
    if not facts.has_campaign:
        return ()
    return facts.once(("campaigns", month), (month,), lambda: _campaigns(facts, month))


def _campaigns(facts: ClientFacts, month: Month) -> tuple[GroupFigure, ...]:
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
    """The month's channel table (memoised: its report's table, JSON and channel mix chart)."""
    return facts.once(("channels", month), (month,), lambda: _channels(facts, month))


def _channels(facts: ClientFacts, month: Month) -> tuple[GroupFigure, ...]:
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
    days = month.days if today_limit is None else min(today_limit, month.days)
    return facts.once(("daily", month, days), (month,), lambda: _daily_sums(facts, month, days))


def _daily_sums(facts: ClientFacts, month: Month, days: int) -> list[tuple[dt.date, Sums | None]]:
    by_day = facts.sums_by_day(month)
    first = month.first_day
    return [(day, by_day.get(day)) for day in (first + dt.timedelta(days=i) for i in range(days))]


# The series below are memoised per client (ClientFacts.once): callers only read them.


def series_by_day(
    facts: ClientFacts, month: Month, metric: str, limit: int | None = None
) -> list[tuple[dt.date, float | None]]:
    def compute() -> list[tuple[dt.date, float | None]]:
        value = facts.metrics.value
        return [(day, value(s, metric)) for day, s in daily_sums(facts, month, limit)]

    return facts.once(("day", month, metric, limit), (month,), compute)


def series_by_week(
    facts: ClientFacts, month: Month, metric: str, limit: int | None = None
) -> list[tuple[dt.date, float | None]]:
    """ISO weeks (Monday first) of the month; edge weeks hold only this month's days."""
    return facts.once(("week", month, metric, limit), (month,), lambda: _by_week(facts, month, metric, limit))


def _by_week(
    facts: ClientFacts, month: Month, metric: str, limit: int | None
) -> list[tuple[dt.date, float | None]]:
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

    def compute() -> list[tuple[Month, float | None]]:
        return [(m, facts.metrics.value(facts.totals(m), metric)) for m in months]

    return facts.once(("month", end, metric, count), months, compute)


def series_by_group(
    facts: ClientFacts, month: Month, metric: str, by: str
) -> list[tuple[str | None, float | None]]:
    groups = compute_campaigns(facts, month) if by == "campaign" else compute_channels(facts, month)
    return [(g.name, g.values.get(metric)) for g in groups]
