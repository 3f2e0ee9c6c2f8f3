"""Render a client's whole portal: page contexts → HTML, one page unit at a time.

A unit is one page bundle — a monthly report (the month's registered outputs:
index.html, metrics.csv, report.json, …) or the client home — together with
the digest of everything it is made from (digests.py); the build renders only
the stale units. The jobs around rendering live in their own modules:
assets.py (shared files, hashed names), digests.py (what a unit is made
from), sealing.py (protected portals), csp.py (the policy every page
carries), output_kinds.py (which files a month or a client gets) and
contexts.py (what each template is given). Their public names used by the
build are re-exported here.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from . import metrics as m
from . import pages
from .assets import PLOTLY_JS, SiteAssets, collect_assets
from .charts import ChartView
from .colors import brand_css
from .contexts import ArchiveEntry, BasePage, HomePage, LandingPage, LoginPage, ReportPage
from .csp import (
    CONTENT_SECURITY_POLICY,
    CSP_META,
    HEADER_CONTENT_SECURITY_POLICY,
    HEADERS_FILE,
    ROBOTS_TXT,
    SEALED_PAGE_POLICY,
    with_policy,
)
from .depends import ValueDigests
from .digests import PageUnit, client_content, digest, home_digest, report_clock, report_digest, report_today
from .i18n import Formatter
from .images import publishable_image
from .model import Annotation, Client, Month, Note, ProjectConfig
from .notehtml import fill_chart_slots, render_markdown
from .notes import open_next_steps
from .output_kinds import CLIENT_OUTPUTS, MONTH_OUTPUTS, ClientBuild, MonthBuild, make_all, month_figures
from .pdf import PDF_NAME
from .protect import Sealer
from .render import ChartSlot, has_own_templates, hashed_name, make_environment, render_chart, render_page
from .sealing import LOGIN_PLACEHOLDER, data_uri, login_shell, login_templates, seal_files
from .vocabulary import kpi_label

__all__ = [  # what build.py, pdf.py, mail.py, send.py, overview.py and tests import from here
    "CONTENT_SECURITY_POLICY",
    "CSP_META",
    "HEADERS_FILE",
    "HEADER_CONTENT_SECURITY_POLICY",
    "LOGIN_PLACEHOLDER",
    "PLOTLY_JS",
    "ROBOTS_TXT",
    "SEALED_PAGE_POLICY",
    "ClientPlan",
    "PageUnit",
    "SiteAssets",
    "SiteRenderer",
    "collect_assets",
    "data_uri",
    "digest",
    "report_clock",
    "report_today",
]


@dataclass(frozen=True)
class ClientPlan:
    """Everything needed to render one client's portal."""

    client: Client
    facts: m.ClientFacts
    notes: dict[Month, Note]
    months: tuple[Month, ...]  # reports to build, oldest first
    today: dt.date

    @property
    def latest(self) -> Month | None:
        return self.months[-1] if self.months else None


class SiteRenderer:
    """Renders pages to strings for one project; holds the Jinja environment.

    Every page goes through `page`: its template, its context (contexts.py),
    then the Content-Security-Policy placed by csp.with_policy, whatever the
    templates wrote."""

    def __init__(self, config: ProjectConfig, assets: SiteAssets, pdf: bool = False):
        self.config = config
        self.assets = assets
        self.pdf = pdf  # `build --pdf`: each report links its report.pdf (printed by pdf.py)
        self.env = make_environment(config.root)
        self.own_templates = has_own_templates(config.root)

    def page(self, template: str, context: BasePage) -> str:
        """`template` rendered from `context`, carrying the page's policy (csp.with_policy)."""
        return with_policy(render_page(self.env, template, context.as_context()), str(context.csp))

    def base_context(
        self,
        fmt: Formatter,
        depth: int,
        client: Client | None,
        today: dt.date | None = None,
        data_through: dt.date | None = None,
        logo: str | None = None,
        home: str | None = None,
    ) -> dict[str, Any]:
        """The fields every page has (contexts.BasePage), by name."""
        agency_logo = self.assets.path("agency-logo", depth) if "agency-logo" in self.assets.files else None
        return {
            "_": fmt.gettext,
            "ngettext": fmt.ngettext,
            "fmt": fmt,
            "lang": fmt.locale.replace("_", "-"),
            "agency": self.config.agency,
            "agency_logo": agency_logo,
            "client": client,
            "brand_color": client.brand.color if client else "#334155",
            # --brand and its readable variants (colors.brand_palette): a validated #rrggbb
            "brand_css": Markup(brand_css(client.brand.color if client else "#334155")),
            "root": "../" * depth,
            "css": self.assets.path("reportgen.css", depth),
            "js": self.assets.path("reportgen.js", depth),
            "plotly_js": self.assets.path("plotly.js", depth),
            "data_through": fmt.date(data_through) if data_through else None,
            "csp": Markup(CONTENT_SECURITY_POLICY),  # a constant; kept verbatim
            "protected": bool(client and client.access),
            "today_date": today,
            "logo": logo,
            "home": home,
        }

    def shared_files(self) -> dict[str, bytes]:
        """Files every site has: assets, the neutral landing page, host headers."""
        files = {f"assets/{hashed}": content for hashed, content in self.assets.files.values()}
        fmt = Formatter("en_US", "USD")
        landing = LandingPage(**self.base_context(fmt, 0, None), page_title=self.config.agency.name)
        files["index.html"] = self.page("index.html", landing).encode()
        files["_headers"] = HEADERS_FILE.encode()
        files["robots.txt"] = ROBOTS_TXT.encode()
        return files

    def client_units(self, plan: ClientPlan, sealer: Sealer | None = None) -> list[PageUnit]:
        """Every page bundle of one client's portal, each with its input digest.

        With a `sealer` (a password-protected portal) every file is sealed:
        pages become a login page carrying the encrypted page, downloads
        become encrypted envelopes, and the logo travels inside the pages.
        """
        client = plan.client
        logo = None
        logo_bytes = b""
        if client.brand.logo:
            logo_bytes = publishable_image(client.brand.logo, self.config.root)
            logo = hashed_name("logo" + client.brand.logo.suffix.lower(), logo_bytes)
            if sealer:
                logo = data_uri(client.brand.logo.suffix, logo_bytes)
        client_key = digest(
            self.assets.key,
            # a project's own templates may print anything, even where an entry sits
            client if self.own_templates else client_content(client),
            hashlib.sha256(logo_bytes).hexdigest(),
            plan.facts.metrics.base,
            plan.facts.has_campaign,
            plan.facts.has_channel,
            sealer.identity if sealer else None,
        )  # who can open it: see protect.py
        values = ValueDigests(plan.facts, self.annotations(plan))
        units = []
        if logo and not sealer:
            logo_file = {f"{client.slug}/{logo}": logo_bytes}
            units.append(
                PageUnit(f"{client.slug}/{logo}", digest(client_key, "logo"), lambda: logo_file, values)
            )
        for index, month in enumerate(plan.months):
            # A report sees "today" only up to the day after its month: a past
            # month's report is the same whatever day it is built on.
            seen = replace(plan, today=report_clock(month, plan.today))
            units.append(
                PageUnit(
                    f"{client.slug}/{month}/",
                    self.report_digest(seen, index, client_key),
                    self._report_render(seen, month, logo, sealer),
                    values,
                )
            )
        units.append(
            PageUnit(
                f"{client.slug}/index.html",
                home_digest(client_key, plan.months, plan.today, plan.notes),
                self._home_render(plan, logo, sealer),
                values,
            )
        )
        return units

    def _report_render(
        self, plan: ClientPlan, month: Month, logo: str | None, sealer: Sealer | None
    ) -> Callable[[], dict[str, bytes]]:
        return lambda: self.report_files(plan, month, logo, sealer)

    def _home_render(
        self, plan: ClientPlan, logo: str | None, sealer: Sealer | None
    ) -> Callable[[], dict[str, bytes]]:
        def render() -> dict[str, bytes]:
            made, later = make_all(CLIENT_OUTPUTS, ClientBuild(plan, logo, sealer is not None, self))
            folder = f"{plan.client.slug}/"
            return {
                **self.seal_files(plan, {folder + name: content for name, content in made.items()}, sealer),
                **{folder + name: content for name, content in later.items()},
            }

        return render

    def seal_files(
        self, plan: ClientPlan, files: dict[str, bytes], sealer: Sealer | None
    ) -> dict[str, bytes]:
        return seal_files(files, sealer, lambda depth, sealed: self.login_page(plan.client, depth, sealed))

    def login_page(self, client: Client, depth: int, sealed: object) -> bytes:
        """A protected portal's page: the login card and the sealed page, nothing
        else. The publish audit renders it again with a placeholder for `sealed`
        and requires every protected page to be exactly this shell (audit.py)."""
        fmt = Formatter(client.locale, client.currency)
        context = self.base_context(fmt, depth, None)
        if self.pdf:
            context["csp"] = Markup(SEALED_PAGE_POLICY)  # a constant; kept verbatim
        context.update(brand_color=client.brand.color, brand_css=Markup(brand_css(client.brand.color)))
        login = LoginPage(**context, sealed=sealed, unlock_js=self.assets.path("unlock.js", depth))
        return self.page("login.html", login).encode()

    def login_shells(self, client: Client, depth: int) -> list[tuple[bytes, bytes]]:
        """The login page around its sealed block, as (before, after) — with and
        without `--pdf`'s policy, since a partial build keeps pages of either."""
        shells = []
        for pdf in (False, True):
            renderer = copy.copy(self)
            renderer.pdf = pdf
            shells.append(login_shell(renderer.login_page(client, depth, LOGIN_PLACEHOLDER)))
        return shells

    def login_templates(self) -> list[str]:
        """The theme files the login page is made from, the project's own overrides first."""
        return login_templates(self.env)

    def report_digest(self, plan: ClientPlan, index: int, client_key: str) -> str:
        """The static part of report `index`'s inputs (digests.report_digest)."""
        return report_digest(
            client_key,
            plan.months,
            index,
            plan.today,
            plan.notes.get(plan.months[index]),
            self.pdf,
        )

    def report_files(
        self, plan: ClientPlan, month: Month, logo: str | None, sealer: Sealer | None = None
    ) -> dict[str, bytes]:
        """A report's files: every month kind (output_kinds.py), sealed on a protected portal.
        `build --pdf`'s report.pdf is a placeholder, printed (and sealed) later by pdf.py."""
        figures = month_figures(plan, month)  # plan.today is already the report's clock
        built = MonthBuild(plan, month, figures, logo, sealer is not None, self.pdf, self)
        made, later = make_all(MONTH_OUTPUTS, built)
        folder = f"{plan.client.slug}/{month}/"
        files = self.seal_files(plan, {folder + name: content for name, content in made.items()}, sealer)
        files.update({folder + name: content for name, content in later.items()})
        return files

    def annotations(self, plan: ClientPlan) -> tuple[Annotation, ...]:
        return tuple(a for note in plan.notes.values() for a in note.annotations)

    def report_page(
        self,
        plan: ClientPlan,
        figures: m.MonthFigures,
        logo: str | None,
        embedded: dict[str, str] | None = None,
    ) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        month = figures.month
        note = plan.notes.get(month)
        rows = plan.facts.rows_by_month.get(month)
        logo_address = logo if logo and logo.startswith("data:") else f"../{logo}" if logo else None
        base = self.base_context(
            fmt,
            2,
            client,
            report_today(month, plan.today),
            rows[-1].date if rows else None,
            logo_address,
            "../index.html",
        )
        annotations = self.annotations(plan)
        # The page's own charts, numbered in the order they appear: budget, daily KPIs, channel mix.
        charts: list[ChartSlot] = []

        def place(view: ChartView | None) -> ChartSlot | None:
            if view is None:
                return None
            charts.append(ChartSlot(f"chart-{len(charts) + 1}", view))
            return charts[-1]

        budget_chart = place(pages.budget_chart(plan.facts, figures.budget, month, fmt))
        daily = (
            [
                place(pages.daily_kpi_chart(plan.facts, kpi, month, figures.days_elapsed, fmt, annotations))
                for kpi in client.kpis
            ]
            if figures.has_data
            else []
        )
        channel_chart = place(pages.channel_chart(plan.facts, figures, fmt))
        note_html = None
        if note is not None:
            note_slots = [
                ChartSlot(
                    f"chart-{len(charts) + i + 1}",
                    pages.chart_from_spec(spec, plan.facts, month, figures.days_elapsed, fmt, annotations),
                )
                for i, spec in enumerate(note.charts)
            ]
            charts.extend(note_slots)
            rendered: list[str] = [render_chart(self.env, slot, base) for slot in note_slots]
            # Safe: the body was sanitized by nh3 and the charts rendered with autoescape.
            note_html = Markup(fill_chart_slots(render_markdown(note.body), rendered))
        index = plan.months.index(month)
        title = note.title if note and note.title else fmt.month_name(month)
        page = ReportPage(
            **base,
            page_title=f"{client.name} · {title}",
            embedded_downloads=embedded,
            pdf_download=PDF_NAME if self.pdf else None,
            month=month,
            month_name=fmt.month_name(month),
            title=title,
            figures=figures,
            partial=figures.partial,
            days_elapsed=figures.days_elapsed,
            kpis=[pages.kpi_card(k, month, figures.partial, fmt) for k in figures.kpis],
            budget=pages.budget_view(figures.budget, figures.partial, fmt),
            campaign_table=pages.group_table(
                figures.campaigns, figures.totals, plan.facts, fmt, fmt.gettext("Campaign"), with_channel=True
            )
            if figures.campaigns
            else None,
            channel_table=pages.group_table(
                figures.channels, figures.totals, plan.facts, fmt, fmt.gettext("Channel"), with_channel=False
            )
            if figures.channels
            else None,
            budget_chart=budget_chart,
            daily_charts=[slot for slot in daily if slot is not None],
            channel_chart=channel_chart,
            charts=charts,
            note=shown_note(note, fmt),
            note_html=note_html,
            previous_month=plan.months[index - 1] if index > 0 else None,
            next_month=plan.months[index + 1] if index + 1 < len(plan.months) else None,
            month_label=fmt.month_short,
        )
        return self.page("report.html", page)

    def home_page(self, plan: ClientPlan, logo: str | None, sealer: Sealer | None = None) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        base = self.base_context(fmt, 1, client, plan.today, plan.facts.last_date, logo, "index.html")
        latest = plan.latest
        figures = m.compute_month(plan.facts, latest, plan.today) if latest else None
        annotations = self.annotations(plan)
        elapsed = figures.days_elapsed if figures else 0
        trends = (
            [
                ChartSlot(
                    f"chart-{i + 1}",
                    pages.kpi_trend_chart(plan.facts, kpi, latest, elapsed, fmt, annotations),
                )
                for i, kpi in enumerate(client.kpis)
            ]
            if latest and plan.facts.rows_by_month
            else []
        )
        archive = []
        for month in reversed(plan.months):
            note = plan.notes.get(month)
            totals = plan.facts.totals(month)
            headline = (
                [
                    (
                        kpi_label(kpi.label, kpi.metric, fmt.gettext),
                        fmt.value(
                            plan.facts.metrics.value(totals, kpi.metric),
                            kpi.format or plan.facts.metrics.unit(kpi.metric),
                        ),
                    )
                    for kpi in client.kpis[:3]
                ]
                if totals
                else []
            )
            archive.append(
                ArchiveEntry(
                    headline=headline,
                    month=month,
                    name=fmt.month_name(month),
                    href=f"{month}/index.html",
                    summary=note.summary if note else None,
                    draft=bool(note and note.is_draft),
                    partial=m.month_is_partial(month, plan.today),
                )
            )
        page = HomePage(
            **base,
            page_title=client.name,
            latest=latest,
            latest_name=fmt.month_name(latest) if latest else None,
            latest_note=shown_note(plan.notes.get(latest), fmt) if latest else None,
            figures=figures,
            kpis=[pages.kpi_card(k, latest, figures.partial, fmt) for k in figures.kpis]
            if figures and latest
            else [],
            budget=pages.budget_view(figures.budget, figures.partial, fmt) if figures else None,
            charts=trends,
            next_steps=[step for step, _note in open_next_steps(plan.notes.values())],
            archive=archive,
        )
        return self.page("home.html", page)


def shown_note(note: Note | None, fmt: Formatter) -> Note | None:
    """The note as a page shows it: a meeting without a title gets the default
    title in the client's language here, in the present stage, so a template
    (built-in or a project's override) can print `meeting.title` as it is."""
    if note is None or all(meeting.title is not None for meeting in note.meetings):
        return note
    meetings = tuple(replace(meeting, title=fmt.meeting_title(meeting.title)) for meeting in note.meetings)
    return replace(note, meetings=meetings)
