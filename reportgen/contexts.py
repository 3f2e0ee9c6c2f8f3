"""Present: what each template is given, as frozen dataclasses (one per page).

A template reads a context's fields by name (`{{ page_title }}`,
`{{ budget.spent }}`), exactly as it read the keys of the dicts these
replace; the README's "Templates and theming" table lists every field of
every page, and tests/test_page_contexts.py checks that each name a
built-in template uses is a field of its page's class and that each field
is documented. A template override can use any field of its page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import metrics as m
from .i18n import Formatter
from .model import Agency, Client, Month, NextStep, Note
from .pages import BudgetView, KpiCard, Table
from .render import ChartSlot

if TYPE_CHECKING:  # mail.py renders its message from MailPage
    from .mail import MailContent, Recipient


@dataclass(frozen=True, kw_only=True)
class Context:
    """A template's context: its fields are the template's top-level names."""

    def as_context(self) -> dict[str, Any]:
        """The fields as Jinja's top-level names (a shallow mapping: views stay objects)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True, kw_only=True)
class BasePage(Context):
    """What every page of a client site is given (base.html, partials/head.html)."""

    _: Callable[[str], str]  # translates a label into the page's language: `_("Downloads")`
    ngettext: Callable[[str, str, int], str]  # a label with a plural: `ngettext("day", "days", n)`
    fmt: Formatter  # numbers, money, dates in the client's locale
    lang: str  # "en-US", for `<html lang>`
    agency: Agency  # clients.yaml's agency: name, website, contact_email
    agency_logo: str | None  # the agency logo's address, relative to the page
    client: Client | None  # None on the landing and login pages
    brand_color: str  # "#rrggbb"
    brand_css: Markup  # `--brand` and its readable variants, for `:root{…}`
    root: str  # "../" per folder level: the way back to the site root
    css: str  # the stylesheet's address
    js: str  # reportgen.js' address
    plotly_js: str  # plotly.js' address (reportgen.js loads it when a chart nears the view)
    data_through: str | None  # the newest data day, formatted
    csp: Markup  # the page's Content-Security-Policy (the renderer enforces it: csp.py)
    protected: bool  # a password-protected portal
    today_date: dt.date | None  # the page's "today" (a next step due before it is overdue)
    logo: str | None  # the client logo's address (a data: URI on a protected portal)
    home: str | None  # the client home's address, from this page


@dataclass(frozen=True, kw_only=True)
class LandingPage(BasePage):
    """index.html: the agency's neutral landing page at the site root."""

    page_title: str  # the agency's name


@dataclass(frozen=True, kw_only=True)
class LoginPage(BasePage):
    """login.html: a protected portal's page; the page itself travels sealed inside it."""

    sealed: object  # the sealed page (protect.Sealer.seal), written with `json_script`
    unlock_js: str  # unlock.js' address


@dataclass(frozen=True)
class ArchiveEntry:
    """One month in a client home's list of reports."""

    headline: list[tuple[str, str]]  # (KPI label, formatted value) for the first three KPIs
    month: Month  # str() is "2026-10"
    name: str  # "October 2026"
    href: str  # "2026-10/index.html"
    summary: str | None  # the note's summary
    draft: bool  # the note is a draft (a preview build)
    partial: bool  # the month is not over


@dataclass(frozen=True, kw_only=True)
class HomePage(BasePage):
    """home.html: a client's portal home."""

    page_title: str  # the client's name
    latest: Month | None  # the newest report's month
    latest_name: str | None  # its name: "October 2026"
    latest_note: Note | None  # its note
    figures: m.MonthFigures | None  # the latest month's figures
    kpis: list[KpiCard]  # the latest month's scorecards
    budget: BudgetView | None  # the latest month's budget pacing
    charts: list[ChartSlot]  # one 13-month trend per KPI
    next_steps: list[NextStep]  # every step still open, due date first
    archive: list[ArchiveEntry]  # newest first


@dataclass(frozen=True, kw_only=True)
class ReportPage(BasePage):
    """report.html: one month's report."""

    page_title: str  # "client · title"
    embedded_downloads: Mapping[str, str] | None  # protected: metrics.csv and report.json, inline
    pdf_download: str | None  # "report.pdf" with `build --pdf`
    month: Month  # str() is "2026-10"; .days is its length
    month_name: str  # "October 2026"
    title: str  # the note's title, else the month's name
    figures: m.MonthFigures  # every computed figure of the month (metrics.py)
    partial: bool  # the month is not over
    days_elapsed: int  # days of the month with data so far
    kpis: list[KpiCard]  # one scorecard per KPI (pages.KpiCard)
    budget: BudgetView  # budget pacing (pages.BudgetView)
    campaign_table: Table | None  # by campaign (pages.Table), None without campaigns
    channel_table: Table | None  # by channel, None without channels
    budget_chart: ChartSlot | None  # cumulative spend against the budget's pace
    daily_charts: list[ChartSlot]  # one per KPI
    channel_chart: ChartSlot | None  # the channel mix
    charts: list[ChartSlot]  # every chart on the page, the note's included
    note: Note | None  # summary, highlights, recommendations, next_steps, meetings, is_draft
    note_html: Markup | None  # the note's body, sanitized, with its charts
    previous_month: Month | None  # the report before, if any
    next_month: Month | None  # the report after, if any
    month_label: Callable[[Month], str]  # a month's short name: "Sep 2026"


@dataclass(frozen=True, kw_only=True)
class ChartPart(BasePage):
    """partials/chart.html as the renderer fills a note's ```chart block: the page's
    base fields and the chart."""

    chart: ChartSlot  # `chart.id` and `chart.view` (charts.ChartView)


# --- e-mail (reportgen send) ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MailPage(Context):
    """email/message.html and email/message.txt: one recipient's message."""

    _: Callable[[str], str]  # gettext in the client's language
    mail: MailContent  # what the message says (the same for every recipient)
    recipient: Recipient  # name, email
    attached: bool  # the report's PDF is attached


# --- the internal overview (reportgen overview) ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OverviewPage(Context):
    """What every overview page is given (overview/base.html)."""

    _: Callable[[str], str]  # translates a label (the overview is in English)
    ngettext: Callable[[str, str, int], str]  # a label with a plural
    fmt: Formatter  # en_US, USD
    lang: str  # "en"
    agency: Agency  # clients.yaml's agency
    page_title: str  # the page's name
    nav: str  # "clients" or "agency": the current tab
    root: str  # "../" per folder level
    brand_color: str  # "#rrggbb"
    css: str  # the stylesheet's address
    js: str  # reportgen.js' address
    plotly_js: str  # plotly.js' address
    overview_css: str  # overview.css' address
    overview_js: str  # overview.js' address (sorting, filtering)
    csp: Markup  # the Content-Security-Policy (enforced by the renderer: csp.py)
    protected: bool  # the overview is sealed
    today: str  # YYYY-MM-DD


@dataclass(frozen=True, kw_only=True)
class OverviewIndexPage(OverviewPage):
    """overview/index.html: every client in one sortable table."""

    rows: list[dict[str, Any]]  # StatusRow.to_json() and its cells' texts and sort keys
    aes: list[tuple[str, int]]  # (account executive, clients)
    columns: tuple[tuple[str, str, bool], ...]  # (key, heading, numeric)
    red_count: int  # clients with a red flag
    amber_count: int  # clients with an amber flag and no red one
    until: str | None  # the as-of month


@dataclass(frozen=True, kw_only=True)
class OverviewClientPage(OverviewPage):
    """overview/client.html: one client."""

    row: dict[str, Any]  # StatusRow.to_json(), portal as an address
    portal_home: str  # the client's portal home
    kpis: list[dict[str, str]]  # label, value, projected, target, attainment, status, status_text
    budget: str | None  # the budget line, in words
    charts: list[ChartSlot]  # each KPI's 13 months against its target
    steps: list[dict[str, Any]]  # every next step of every note, with its state
    owners: list[tuple[str, dict[str, int]]]  # (owner, count by state)
    anomalies: list[str]  # spikes and data gaps, in words


@dataclass(frozen=True, kw_only=True)
class OverviewAgencyPage(OverviewPage):
    """overview/agency.html: spend and KPI attainment across clients."""

    charts: list[ChartSlot]  # KPI attainment; spend against budget per currency
    table_columns: list[str] | tuple[str, ...]  # the month table's headings
    table_rows: list[tuple[str, ...]]  # one per month
    client_count: int  # clients summarised
    end: str  # the newest month


@dataclass(frozen=True, kw_only=True)
class OverviewLoginPage(Context):
    """overview/login.html: a sealed overview page."""

    _: Callable[[str], str]  # labels as written (English)
    lang: str  # "en"
    agency: Agency  # clients.yaml's agency
    brand_color: str  # "#rrggbb"
    css: str  # the stylesheet's address
    unlock_js: str  # unlock.js' address
    csp: Markup  # the Content-Security-Policy
    sealed: object  # the sealed page
