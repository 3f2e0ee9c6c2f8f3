"""The plain, frozen data objects that flow between the pipeline's stages."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .formulas import Formula

_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

# Every date a user writes (data rows, note file names, since, --month, budget
# month keys, due dates, meetings, annotations) lies in these years, so the
# date arithmetic around it (a year back, the next week, the next month) never
# leaves the calendar Python can represent.
FIRST_YEAR, LAST_YEAR = 1900, 2999
DATE_RANGE_TEXT = f"{FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"


def date_in_range(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def outside_range(text: object) -> str:
    """The message for a date (or month) outside the accepted range."""
    return f"'{text}' is outside the dates reportgen accepts ({DATE_RANGE_TEXT})"


@functools.lru_cache(maxsize=4096)
def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]  # asked for tens of thousands of times a build


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Exactly YYYY-MM."""
        match = _MONTH_RE.fullmatch(text)
        if not match:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise ValueError(outside_range(text))
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        return _month_days(self.year, self.month)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, self.days)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def previous(self) -> Month:
        return self.shift(-1)

    @property
    def next(self) -> Month:
        return self.shift(1)

    @property
    def last_year(self) -> Month:
        return self.shift(-12)


# --- clients.yaml ---------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    reports: bool = True  # a contact with `reports: false` gets no report by e-mail (`send`)


@dataclass(frozen=True)
class Agency:
    name: str
    website: str | None = None
    logo: Path | None = None
    contact_email: str | None = None
    plotly_js: Path | None = None  # the site's plotly.js bundle (None: the full one of the plotly package)


@dataclass(frozen=True)
class Brand:
    color: str = "#2563eb"
    logo: Path | None = None


@dataclass(frozen=True)
class Kpi:
    metric: str
    label: str | None  # as written in clients.yaml; None: the metric's default (vocabulary.kpi_label)
    target: float | None = None
    better: str = "higher"  # "higher" | "lower"
    format: str | None = None  # number | currency | percent | ratio; None: inferred
    line: int | None = 0


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    channel: str | None = None
    budget: float | None = None


@dataclass(frozen=True)
class Budget:
    monthly: float | None = None
    months: tuple[tuple[Month, float], ...] = ()

    def for_month(self, month: Month) -> float | None:
        return dict(self.months).get(month, self.monthly)


@dataclass(frozen=True)
class DataSource:
    pattern: str
    line: int | None
    format: str = "auto"  # auto, or a Platform's name (importers.FORMAT_NAMES)
    currency: str | None = None
    campaign_map: tuple[tuple[str, str], ...] = ()  # export's campaign name → campaign id
    channel: str | None = None  # for rows the export gives no channel
    leads: str | None = None  # the column (or Meta result indicator) that counts as leads


@dataclass(frozen=True)
class PortalPerson:
    """Someone with their own password to a protected portal (`access.people`)."""

    name: str
    password_env: str
    line: int | None = 0


@dataclass(frozen=True)
class Access:
    """A protected portal: one `password_env`, or `people` with one password each."""

    password_env: str | None = None
    people: tuple[PortalPerson, ...] = ()
    line: int | None = 0

    @property
    def keys(self) -> tuple[tuple[str, str, int | None], ...]:
        """(field, environment variable, line) of every password that opens the portal."""
        if self.people:
            return tuple(
                (f"access.people[{i + 1}].password_env ({p.name})", p.password_env, p.line or self.line)
                for i, p in enumerate(self.people)
            )
        return (("access.password_env", self.password_env, self.line),) if self.password_env else ()


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    account_executive: Person
    locale: str = "en_US"
    currency: str = "USD"
    contacts: tuple[Person, ...] = ()
    brand: Brand = field(default_factory=Brand)
    since: Month | None = None
    budget: Budget = field(default_factory=Budget)
    metrics: tuple[tuple[str, Formula, int | None], ...] = ()  # (name, formula, line)
    kpis: tuple[Kpi, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    data: tuple[DataSource, ...] = ()
    access: Access | None = None
    line: int | None = 0
    slug: str = ""  # the portal's folder (URL segment) under site/; default: the id

    def __post_init__(self) -> None:
        if not self.slug:
            object.__setattr__(self, "slug", self.id)

    def campaign(self, campaign_id: str) -> Campaign | None:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        return None


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    config_path: str  # as shown in messages
    agency: Agency
    clients: tuple[Client, ...]
    declared_ids: frozenset[str] = frozenset()  # every id in the file, valid clients or not
    # `reportgen send` only: kept out of `agency` (which every page's digest holds),
    # so setting up e-mail never re-renders a portal.
    mail: MailSettings = field(default_factory=lambda: MailSettings())
    # `reportgen overview` only (agency.overview), kept out of `agency` for the same reason.
    overview: OverviewSettings = field(default_factory=lambda: OverviewSettings())


@dataclass(frozen=True)
class OverviewSettings:
    """clients.yaml `agency.overview`: the agency's internal overview site."""

    password_env: str | None = None  # seals the overview (protect.py), as a protected portal
    line: int | None = 0


@dataclass(frozen=True)
class MailSettings:
    """clients.yaml `agency.site_url` and `agency.email`: what `reportgen send` needs."""

    site_url: str | None = None  # the portals' public base URL, ending in "/"
    sender: str | None = None  # agency.email.from, else agency.contact_email
    attach_pdf: bool = False
    line: int | None = 0  # of the agency block, for messages


# --- content/<client>/YYYY-MM.md --------------------------------------------


@dataclass(frozen=True)
class NextStep:
    task: str
    owner: str | None = None
    due: dt.date | None = None
    done: bool = False
    line: int | None = field(default=None, compare=False)  # in its note, when read from one


@dataclass(frozen=True)
class Meeting:
    date: dt.date
    title: str | None  # None: the default title, translated when shown (vocabulary.meeting_title)
    attendees: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class Annotation:
    date: dt.date
    text: str


@dataclass(frozen=True)
class ChartSpec:
    metric: str
    type: str = "line"
    by: str = "day"
    compare: str | None = None
    title: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Note:
    client_id: str
    month: Month
    path: str  # as shown in messages
    status: str = "final"
    title: str | None = None
    summary: str | None = None
    highlights: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    body: str = ""  # Markdown, chart blocks replaced by placeholders
    charts: tuple[ChartSpec, ...] = ()
    digest: str = ""  # of the file's text: what pages built from this note depend on

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


# --- data/*.csv ------------------------------------------------------------


class MetricRow(NamedTuple):
    """One row of metric data (a NamedTuple: millions are made, cheaply)."""

    date: dt.date
    campaign: str | None
    channel: str | None
    values: tuple[float | int | None, ...]  # aligned with MetricTable.metrics


@dataclass(frozen=True)
class MetricTable:
    """A client's metric rows from every data file, in file and line order."""

    metrics: tuple[str, ...]  # base metric names, in first-seen column order
    rows: tuple[MetricRow, ...]
    has_campaign: bool = False
    has_channel: bool = False
    # "day", or "week"/"month" for an export whose rows each cover a period
    # (dated its first day): the overlap check counts every day it covers.
    grain: str = "day"
    # Per clients.yaml data entry: (pattern, line, ((month, last day with data in it), ...)),
    # for `status`'s data freshness (which export is late or missing).
    sources: tuple[tuple[str, int | None, tuple[tuple[Month, dt.date], ...]], ...] = ()
