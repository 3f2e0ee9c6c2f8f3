"""Compute: days that are far outside a client's recent pattern, and data that stops.

Pure functions on plain series (lists of `(date, value)`), no I/O: `status`,
the overview and `check` all call them on what metrics.py computed.

The spike rule (robust, so one wild day does not hide the next one):

* For each day with a value, take the *trailing window*: the 28 days before
  it (not the day itself), keeping only days of the same *type* — weekdays
  (Monday–Friday) for a weekday, weekend days for a Saturday or Sunday —
  that have a value. Fewer than `MIN_HISTORY` such days: the day is not judged.
* `median` is the window's median, `MAD` the median of its absolute
  deviations from that median. The day's *robust score* is
  `(value − median) / (1.4826 · MAD)`: 1.4826·MAD is the standard deviation
  of normal noise, estimated robustly (Iglewicz & Hoaglin's modified z-score).
* A day is flagged when `|score| > 3.5` (`THRESHOLD`), i.e. more than
  3.5 robust standard deviations, ≈ 5.2 raw MADs, from the median.
* The MAD has floors, so a window whose values barely vary does not make
  every small change a spike: 1 % of `|median|` (a constant series with one
  real jump is flagged, rounding noise is not); when the MAD is 0 (more than
  half the window at the median, e.g. a count that is mostly 0), the window's
  mean absolute deviation from its median; and for a *count* (the day and
  its window all whole numbers) a Poisson floor: the robust standard
  deviation `1.4826 · MAD` is at least `√max(median, 1)` — counts of a few a
  day (0, 1, 3, 0 …) vary by about the square root of their rate, so a day
  of 4 against a usual 0 scores 4, not millions. At least `ABSOLUTE_FLOOR`.
* A score is capped at ±`SCORE_CAP` (a change from a constant window cannot
  claim a billion deviations).

The gap rule: a campaign that had a value on every one of at least
`GAP_RUN` consecutive days, and then none for `GAP_DAYS` days or more while
the client's other data goes on (the client's last day with data is later),
has *stopped*: a paused campaign, or an export that lost it.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import metrics as m
from .config import CONFIG_FILE
from .errors import Problem
from .model import Client, Month
from .vocabulary import kpi_label

WINDOW_DAYS = 28
THRESHOLD = 3.5  # robust standard deviations (1.4826 · MAD)
MAD_SCALE = 1.4826  # MAD → standard deviation for normal noise
MIN_HISTORY = 6  # same-type days with a value in the window, at least
RELATIVE_FLOOR = 0.01  # of |median|: the smallest MAD a window counts with
ABSOLUTE_FLOOR = 1e-9
SCORE_CAP = 100.0  # robust deviations: a larger score is shown as this
GAP_RUN = 14  # consecutive days with data before a stop counts
GAP_DAYS = 2  # days without data (while the client's other data goes on)


@dataclass(frozen=True)
class Spike:
    """One day far from its pattern."""

    date: dt.date
    value: float
    median: float  # of the trailing same-type window
    mad: float  # the window's MAD (after the floor)
    score: float  # (value − median) / (1.4826 · MAD); positive: above the pattern

    @property
    def direction(self) -> str:
        return "high" if self.score > 0 else "low"


@dataclass(frozen=True)
class Gap:
    """A campaign that had data every day and stopped."""

    campaign: str
    last_date: dt.date  # its last day with data
    days: int  # days since, up to the client's last day with data


def is_weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def robust_score(value: float, history: Sequence[float]) -> tuple[float, float, float] | None:
    """(score, median, MAD) of `value` against `history`; None with too little history."""
    if len(history) < MIN_HISTORY:
        return None
    median = statistics.median(history)
    deviations = [abs(x - median) for x in history]
    mad = statistics.median(deviations)
    floors = [abs(median) * RELATIVE_FLOOR, ABSOLUTE_FLOOR]
    if mad == 0:
        floors.append(statistics.fmean(deviations))
    if all(float(x).is_integer() for x in (value, *history)):  # a count: Poisson noise at least
        floors.append(math.sqrt(max(median, 1.0)) / MAD_SCALE)
    mad = max(mad, *floors)
    score = (value - median) / (MAD_SCALE * mad)
    if not math.isfinite(score):
        return None
    return max(-SCORE_CAP, min(SCORE_CAP, score)), median, mad


def find_spikes(
    series: Iterable[tuple[dt.date, float | None]],
    *,
    since: dt.date | None = None,
    threshold: float = THRESHOLD,
) -> list[Spike]:
    """Days of `series` (from `since` on) more than `threshold` robust standard
    deviations from the median of the trailing 28 days of the same type.

    `series` holds one value per day (None or a missing day: no value); the
    days before `since` still serve as history."""
    values = {day: float(v) for day, v in series if v is not None and math.isfinite(v)}
    spikes = []
    for day in sorted(values):
        if since is not None and day < since:
            continue
        weekend = is_weekend(day)
        history = [
            values[d]
            for d in (day - dt.timedelta(days=i) for i in range(1, WINDOW_DAYS + 1))
            if d in values and is_weekend(d) == weekend
        ]
        found = robust_score(values[day], history)
        if found is not None and abs(found[0]) > threshold:
            spikes.append(Spike(day, values[day], found[1], found[2], found[0]))
    return spikes


def find_gaps(
    days_by_campaign: Mapping[str, Iterable[dt.date]],
    last_day: dt.date | None,
    *,
    since: dt.date | None = None,
) -> list[Gap]:
    """Campaigns that had data on each of `GAP_RUN` days in a row up to their last
    day, then none for `GAP_DAYS` days or more before `last_day` (the client's last
    day with any data). With `since`, only stops after that day count."""
    if last_day is None:
        return []
    gaps = []
    for campaign, days in sorted(days_by_campaign.items()):
        seen = set(days)
        if not seen:
            continue
        last = max(seen)
        if since is not None and last < since - dt.timedelta(days=1):
            continue
        silent = (last_day - last).days
        if silent < GAP_DAYS:
            continue
        if all(last - dt.timedelta(days=i) in seen for i in range(GAP_RUN)):
            gaps.append(Gap(campaign, last, silent))
    return gaps


# --- on a client's data (metrics.py's facts) ------------------------------------------------


@dataclass(frozen=True)
class MetricSpikes:
    metric: str
    label: str
    unit: str
    spikes: tuple[Spike, ...]


def client_anomalies(facts: m.ClientFacts, month: Month) -> tuple[list[MetricSpikes], list[Gap]]:
    """Spikes of each KPI metric in `month` (the two months before it serve as
    history) and campaigns that stopped in it. Computed once per facts and month
    (`check`'s advice and the status summary both ask)."""
    key = ("anomalies", month)
    if key not in facts._memo:
        facts._memo[key] = _client_anomalies(facts, month)
    found: tuple[list[MetricSpikes], list[Gap]] = facts._memo[key]
    return found


def _client_anomalies(facts: m.ClientFacts, month: Month) -> tuple[list[MetricSpikes], list[Gap]]:
    found = []
    history = [month.shift(-2), month.shift(-1), month]
    gaps = _client_gaps(facts, month, history)
    # the days after a campaign stopped: their change is the gap's, not a spike each day
    explained = min((g.last_date for g in gaps), default=None)
    seen: set[str] = set()
    for kpi in facts.client.kpis:
        if kpi.metric in seen or kpi.metric not in facts.metrics or facts.metrics.missing_inputs(kpi.metric):
            continue
        seen.add(kpi.metric)
        series = [point for mo in history for point in m.series_by_day(facts, mo, kpi.metric)]
        spikes = [
            s for s in find_spikes(series, since=month.first_day) if explained is None or s.date <= explained
        ]
        if spikes:
            found.append(
                MetricSpikes(
                    kpi.metric,
                    kpi_label(kpi.label, kpi.metric),
                    kpi.format or facts.metrics.unit(kpi.metric),
                    tuple(spikes),
                )
            )
    return found, gaps


def _client_gaps(facts: m.ClientFacts, month: Month, history: list[Month]) -> list[Gap]:
    gaps: list[Gap] = []
    if facts.has_campaign:
        days: dict[str, set[dt.date]] = {}
        for mo in history:
            for row in facts.rows_by_month.get(mo, ()):
                if row.campaign is not None:
                    days.setdefault(row.campaign, set()).add(row.date)
        rows = facts.rows_by_month.get(month, ())
        last_day = max((r.date for r in rows), default=None)
        gaps = find_gaps(days, last_day, since=month.first_day)
    return gaps


def anomaly_problems(client: Client, facts: m.ClientFacts, months: Sequence[Month]) -> list[Problem]:
    """`check`'s lines for the anomalies of a client's latest month (severity info:
    `--strict` does not fail on them; they are worth a look, not an error)."""
    if not months or not facts.rows_by_month:
        return []
    month = months[-1]
    spikes, gaps = client_anomalies(facts, month)
    lines = {k.metric: k.line for k in client.kpis}
    problems = []
    for found in spikes:
        for spike in found.spikes:
            problems.append(
                Problem(
                    CONFIG_FILE,
                    lines.get(found.metric) or client.line,
                    (
                        f"anomaly: client '{client.id}': {found.label} on {spike.date} "
                        f"was {_number(spike.value)}, "
                        f"{'above' if spike.score > 0 else 'below'} its usual {_number(spike.median)} "
                        f"({abs(spike.score):.1f} robust deviations from the median of the 28 days before, "
                        f"{'weekends' if is_weekend(spike.date) else 'weekdays'} only)"
                    ),
                    "info",
                )
            )
    for gap in gaps:
        problems.append(
            Problem(
                CONFIG_FILE,
                client.line,
                (
                    f"anomaly: client '{client.id}': campaign '{gap.campaign}' had data every day up to "
                    f"{gap.last_date}, then none for {gap.days} days while the client's other data goes on "
                    "(paused, or missing from an export?)"
                ),
                "info",
            )
        )
    return problems


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
