"""Render a client's whole portal: page units, each a pure function of its inputs.

A unit is one page bundle — a monthly report (index.html, metrics.csv,
report.json) or the client home — together with the digest of everything it
is made from. The build compares digests with the last build's and renders
only the stale units.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import jinja2.meta
from markupsafe import Markup

from . import __version__, pages
from . import metrics as m
from .colors import brand_css
from .depends import ValueDigests, recording
from .errors import InputError, Problem
from .i18n import LOCALES_DIR, Formatter
from .images import publishable_image
from .model import Client, Month, Note, ProjectConfig
from .notes import fill_chart_slots, open_next_steps, render_markdown
from .pdf import PDF_NAME
from .plotlybundle import BUILTIN_PLOTLY_JS, BundleError, check_bundle, read_bundle
from .protect import Sealer
from .render import (
    THEME_STATIC,
    ChartSlot,
    hashed_name,
    json_script,
    make_environment,
    read_static,
    render_chart,
    render_page,
    shown_template_path,
    template_dirs,
    template_file_digest,
)

# Stands for the sealed envelope when the publish audit renders a login page's shell.
LOGIN_PLACEHOLDER = "reportgen-sealed-page-placeholder"
PLOTLY_JS = BUILTIN_PLOTLY_JS
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
# No inline script anywhere (figures are JSON blocks read by reportgen.js); no
# eval (plotly.js does not need it for the chart types used); nothing loads from
# outside the site. Inline *styles* stay allowed: Plotly positions its SVG with them.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
# Hosts that read `_headers` (Netlify, Cloudflare Pages) send these with every
# file. `/*` matches every path, assets and logos included, and a host joins the
# headers of all matching rules, so each security header is stated once, there.
# The header policy adds `frame-ancestors 'none'`, which a <meta> policy cannot carry.
HEADER_CONTENT_SECURITY_POLICY = f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'"
# A protected report's login page fetches its sealed report.pdf (same origin only) to open it
# with the reader's key (unlock.js): its own policy, and the hosts' header policy, allow that.
SEALED_PAGE_POLICY = CONTENT_SECURITY_POLICY.replace("default-src 'none';",
                                                     "default-src 'none'; connect-src 'self';", 1)
HEADER_CONTENT_SECURITY_POLICY = HEADER_CONTENT_SECURITY_POLICY.replace(
    "default-src 'none';", "default-src 'none'; connect-src 'self';", 1)
HEADERS_FILE = f"""\
/*
  Content-Security-Policy: {HEADER_CONTENT_SECURITY_POLICY}
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  X-Robots-Tag: noindex, nofollow
  Referrer-Policy: no-referrer
  Cache-Control: no-cache
/assets/*
  Cache-Control: public, max-age=31536000, immutable
"""



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


@dataclass(frozen=True)
class PageUnit:
    """Files rendered together, and how to tell whether they are still current.

    `static` digests the inputs known before rendering (theme, client entry,
    note, "today" as the page sees it, neighbouring months). The client data
    a page reads is not predicted but recorded while it renders (depends.py):
    `digest(reads)` combines `static` with the current value digest of each
    recorded read. A page is fresh when the digest of its last build's reads,
    recomputed now, equals the digest stored then.
    """

    key: str  # "client/2026-10/" or "client/index.html"
    static: str
    render: Callable[[], dict[str, bytes]]
    values: Callable[[str], str]  # current digest of one recorded read

    def digest(self, reads: Iterable[str]) -> str:
        return digest(self.static, [(key, self.values(key)) for key in sorted(reads)])

    def render_recorded(self) -> tuple[dict[str, bytes], list[str], str]:
        """The files, the data they were made from, and the resulting digest."""
        with recording() as reads:
            files = self.render()
        keys = sorted(reads)
        return files, keys, self.digest(keys)


def digest(*parts: object) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(repr(part).encode())
        hasher.update(b"\x1e")
    return hasher.hexdigest()


@dataclass(frozen=True)
class SiteAssets:
    """Shared files under site/assets, by logical name → hashed file name."""

    files: dict[str, tuple[str, bytes]]  # logical → (hashed name, content)
    key: str  # digest of everything every page depends on: theme, labels, agency, version

    def path(self, logical: str, depth: int) -> str:
        return "../" * depth + "assets/" + self.files[logical][0]


def collect_assets(root: Path, config: ProjectConfig) -> SiteAssets:
    files = {}
    for name in THEME_STATIC:
        content = read_static(root, name)
        files[name] = (hashed_name(name, content), content)
    read_static(root, "live.js")  # `serve`'s: an unusable override is an error in check and build too
    # The agency's own bundle (agency.plotly_js, checked when clients.yaml was read) or the
    # full one; its content-hashed name is in `key`, so a changed bundle re-renders every page.
    plotly_js = _plotly_bundle(root, config.agency.plotly_js) if config.agency.plotly_js \
        else PLOTLY_JS.read_bytes()
    files["plotly.js"] = (hashed_name("plotly.min.js", plotly_js), plotly_js)
    if config.agency.logo:
        content = publishable_image(config.agency.logo, root)
        files["agency-logo"] = (hashed_name("agency-logo" + config.agency.logo.suffix.lower(),
                                            content), content)
    theme = sorted((path.relative_to(folder).as_posix(), template_file_digest(path))
                   for folder in template_dirs(root) for path in folder.rglob("*") if not path.is_dir()
                   and "__pycache__" not in path.parts
                   and path.relative_to(folder).parts[0] != "email")  # e-mail only (`send`): no page uses it
    catalogs = sorted((p.name, hashlib.sha256(p.read_bytes()).hexdigest())
                      for p in LOCALES_DIR.glob("*.po"))
    key = digest(__version__, theme, catalogs, config.agency, sorted(v[0] for v in files.values()))
    return SiteAssets(files, key)


def _plotly_bundle(root: Path, path: Path) -> bytes:
    """The bytes of `agency.plotly_js`, checked again as they are read (the file may have
    changed since clients.yaml was)."""
    try:
        content = read_bundle(path)
        check_bundle(content)
    except BundleError as exc:
        shown = path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) \
            else str(path)
        raise InputError([Problem("clients.yaml", None, f"agency.plotly_js: '{shown}' {exc.message}")]
                         ) from None
    return content


class SiteRenderer:
    """Renders pages to strings for one project; holds the Jinja environment."""

    def __init__(self, config: ProjectConfig, assets: SiteAssets, pdf: bool = False):
        self.config = config
        self.assets = assets
        self.pdf = pdf  # `build --pdf`: each report links its report.pdf (printed by pdf.py)
        self.env = make_environment(config.root)

    def base_context(self, fmt: Formatter, depth: int, client: Client | None,
                     today: dt.date | None = None, data_through: dt.date | None = None) -> dict:
        agency_logo = self.assets.path("agency-logo", depth) if "agency-logo" in self.assets.files \
            else None
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
        }

    def shared_files(self) -> dict[str, bytes]:
        """Files every site has: assets, the neutral landing page, host headers."""
        files = {f"assets/{hashed}": content for hashed, content in self.assets.files.values()}
        fmt = Formatter("en_US", "USD")
        context = self.base_context(fmt, 0, None)
        landing = render_page(self.env, "index.html", {**context, "page_title": self.config.agency.name})
        files["index.html"] = landing.encode()
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
        client_key = digest(self.assets.key, client, hashlib.sha256(logo_bytes).hexdigest(),
                            plan.facts.metrics.base, plan.facts.has_campaign, plan.facts.has_channel,
                            sealer.identity if sealer else None)  # who can open it: see protect.py
        values = ValueDigests(plan.facts)
        units = []
        if logo and not sealer:
            units.append(PageUnit(f"{client.slug}/{logo}", digest(client_key, "logo"),
                                  lambda: {f"{client.slug}/{logo}": logo_bytes}, values))
        for index, month in enumerate(plan.months):
            # A report sees "today" only up to the day after its month: a past
            # month's report is the same whatever day it is built on.
            seen = replace(plan, today=report_clock(month, plan.today))
            units.append(PageUnit(f"{client.slug}/{month}/", self.report_digest(seen, index, client_key),
                                  lambda seen=seen, month=month: self.report_files(seen, month, logo, sealer),
                                  values))
        home_static = digest(client_key, plan.months, plan.today,
                             sorted((str(k), n.digest) for k, n in plan.notes.items()))
        units.append(PageUnit(f"{client.slug}/index.html", home_static, lambda: self.seal_files(
            plan, {f"{client.slug}/index.html": self.home_page(plan, logo, sealer).encode()}, sealer),
            values))
        return units

    def seal_files(self, plan: ClientPlan, files: dict[str, bytes], sealer: Sealer | None
                   ) -> dict[str, bytes]:
        if sealer is None:
            return files
        sealed = {}
        for relative, content in files.items():
            if relative.endswith(".html"):
                # The login page's policy stays in force after it writes the opened
                # page; a second <meta> policy there would only be ignored (with a warning).
                content = content.replace(CSP_META.encode(), b"")
                sealed[relative] = self.login_page(plan.client, relative.count("/"),
                                                   sealer.seal(content))
            else:
                sealed[relative] = sealer.seal_file(content)
        return sealed

    def login_page(self, client: Client, depth: int, sealed: object) -> bytes:
        """A protected portal's page: the login card and the sealed page, nothing
        else. The publish audit renders it again with a placeholder for `sealed`
        and requires every protected page to be exactly this shell (audit.py)."""
        fmt = Formatter(client.locale, client.currency)
        context = self.base_context(fmt, depth, None)
        if self.pdf:
            context["csp"] = Markup(SEALED_PAGE_POLICY)  # a constant; kept verbatim
        return render_page(self.env, "login.html", {
            **context, "brand_color": client.brand.color,
            "brand_css": Markup(brand_css(client.brand.color)), "sealed": sealed,
            "unlock_js": self.assets.path("unlock.js", depth)}).encode()

    def login_shells(self, client: Client, depth: int) -> list[tuple[bytes, bytes]]:
        """The login page around its sealed block, as (before, after) — with and
        without `--pdf`'s policy, since a partial build keeps pages of either."""
        shells = []
        for pdf in (False, True):
            renderer = copy.copy(self)
            renderer.pdf = pdf
            page = renderer.login_page(client, depth, LOGIN_PLACEHOLDER)
            before, _, after = page.partition(json_script(LOGIN_PLACEHOLDER).encode())
            shells.append((before, after))
        return shells

    def login_templates(self) -> list[str]:
        """The theme files the login page is made from (login.html and what it
        includes), as messages name them: the project's own overrides first."""
        found: list[str] = []
        pending, visited = ["login.html"], set()
        while pending:
            name = pending.pop(0)
            if name in visited:
                continue
            visited.add(name)
            try:
                source, filename, _ = self.env.loader.get_source(self.env, name)
                shown = shown_template_path(filename)
                pending.extend(n for n in jinja2.meta.find_referenced_templates(self.env.parse(source))
                               if isinstance(n, str))
            except jinja2.TemplateError:
                continue
            if shown not in found:
                found.append(shown)
        return sorted(found, key=lambda f: (f.startswith("built-in theme:"), f != "templates/login.html"))

    def report_digest(self, plan: ClientPlan, index: int, client_key: str) -> str:
        """The static part of report `index`'s inputs: everything but the client
        data, which is recorded while the page renders (PageUnit). `plan.today`
        is already the report's clock (report_clock)."""
        month = plan.months[index]
        note = plan.notes.get(month)
        return digest(
            client_key, month, plan.today,
            note.digest if note else None,
            self.annotations(plan),  # any note's annotation may mark any chart
            plan.months[index - 1] if index else None,
            plan.months[index + 1] if index + 1 < len(plan.months) else None,
            *(("pdf",) if self.pdf else ()),  # the page links its PDF, and the unit holds it
        )

    def report_files(self, plan: ClientPlan, month: Month, logo: str | None,
                     sealer: Sealer | None = None) -> dict[str, bytes]:
        client = plan.client
        figures = m.compute_month(plan.facts, month, plan.today)
        csv_text = pages.metrics_csv(plan.facts, month)
        report = _json_bytes(pages.report_json(plan.facts, figures))
        # A protected page carries its downloads inside the sealed page: the
        # browser cannot fetch files from file://, and the files beside it are sealed.
        embedded = {"metrics.csv": csv_text, "report.json": report.decode()} if sealer else None
        page = self.report_page(plan, figures, logo, embedded).encode()
        files = self.seal_files(plan, {
            f"{client.slug}/{month}/index.html": page,
            f"{client.slug}/{month}/metrics.csv": csv_text.encode(),
            f"{client.slug}/{month}/report.json": report,
        }, sealer)
        if self.pdf:  # a placeholder: the build prints it from the staged page (pdf.py),
            # a protected one from its unsealed text, and seals the PDF.
            files[f"{client.slug}/{month}/{PDF_NAME}"] = page if sealer else b""
        return files

    def annotations(self, plan: ClientPlan):
        return tuple(a for note in plan.notes.values() for a in note.annotations)

    def report_page(self, plan: ClientPlan, figures: m.MonthFigures, logo: str | None,
                    embedded: dict[str, str] | None = None) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        month = figures.month
        note = plan.notes.get(month)
        rows = plan.facts.rows_by_month.get(month)
        context = self.base_context(fmt, 2, client, report_today(month, plan.today),
                                    rows[-1].date if rows else None)
        annotations = self.annotations(plan)
        charts: list = []
        budget_chart = pages.budget_chart(plan.facts, figures.budget, month, fmt)
        daily = [pages.daily_kpi_chart(plan.facts, kpi, month, figures.days_elapsed, fmt, annotations)
                 for kpi in client.kpis] if figures.has_data else []
        channel_chart = pages.channel_chart(plan.facts, figures, fmt)
        slots = {}
        for key, view in [("budget", budget_chart), *[(f"daily{i}", v) for i, v in enumerate(daily)],
                          ("channels", channel_chart)]:
            if view is not None:
                slots[key] = ChartSlot(f"chart-{len(slots) + 1}", view)
        charts = list(slots.values())
        note_html = None
        if note is not None:
            note_slots = [ChartSlot(f"chart-{len(charts) + i + 1}",
                                    pages.chart_from_spec(spec, plan.facts, month,
                                                          figures.days_elapsed, fmt, annotations))
                          for i, spec in enumerate(note.charts)]
            charts.extend(note_slots)
            rendered = [render_chart(self.env, slot, context) for slot in note_slots]
            # Safe: the body was sanitized by nh3 and the charts rendered with autoescape.
            note_html = Markup(fill_chart_slots(render_markdown(note.body), rendered))
        index = plan.months.index(month)
        context.update({
            "page_title": f"{client.name} · {note.title if note and note.title else fmt.month_name(month)}",
            "logo": logo if logo and logo.startswith("data:") else f"../{logo}" if logo else None,
            "embedded_downloads": embedded,
            "pdf_download": PDF_NAME if self.pdf else None,
            "month": month,
            "month_name": fmt.month_name(month),
            "title": note.title if note and note.title else fmt.month_name(month),
            "figures": figures,
            "partial": figures.partial,
            "days_elapsed": figures.days_elapsed,
            "kpis": [pages.kpi_card(k, month, figures.partial, fmt) for k in figures.kpis],
            "budget": pages.budget_view(figures.budget, figures.partial, fmt),
            "campaign_table": pages.group_table(figures.campaigns, figures.totals, plan.facts, fmt,
                                                fmt.gettext("Campaign"), with_channel=True)
            if figures.campaigns else None,
            "channel_table": pages.group_table(figures.channels, figures.totals, plan.facts, fmt,
                                               fmt.gettext("Channel"), with_channel=False)
            if figures.channels else None,
            "slots": slots,
            "charts": charts,
            "note": note,
            "note_html": note_html,
            "previous_month": plan.months[index - 1] if index > 0 else None,
            "next_month": plan.months[index + 1] if index + 1 < len(plan.months) else None,
            "month_label": fmt.month_short,
            "home": "../index.html",
        })
        return render_page(self.env, "report.html", context)

    def home_page(self, plan: ClientPlan, logo: str | None, sealer: Sealer | None = None) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        context = self.base_context(fmt, 1, client, plan.today, plan.facts.last_date)
        latest = plan.latest
        figures = m.compute_month(plan.facts, latest, plan.today) if latest else None
        annotations = self.annotations(plan)
        elapsed = figures.days_elapsed if figures else 0
        trends = [ChartSlot(f"chart-{i + 1}", pages.kpi_trend_chart(plan.facts, kpi, latest, elapsed,
                                                                      fmt, annotations))
                  for i, kpi in enumerate(client.kpis)] if latest and plan.facts.rows_by_month else []
        archive = []
        for month in reversed(plan.months):
            note = plan.notes.get(month)
            headline = [(kpi.label, fmt.value(plan.facts.metrics.value(plan.facts.totals(month),
                                                                       kpi.metric),
                                              kpi.format or plan.facts.metrics.unit(kpi.metric)))
                        for kpi in client.kpis[:3]] if plan.facts.totals(month) else []
            archive.append({
                "headline": headline,
                "month": month,
                "name": fmt.month_name(month),
                "href": f"{month}/index.html",
                "summary": note.summary if note else None,
                "draft": bool(note and note.is_draft),
                "partial": m.month_is_partial(month, plan.today),
            })
        context.update({
            "page_title": client.name,
            "logo": logo,
            "latest": latest,
            "latest_name": fmt.month_name(latest) if latest else None,
            "latest_note": plan.notes.get(latest) if latest else None,
            "figures": figures,
            "kpis": [pages.kpi_card(k, latest, figures.partial, fmt) for k in figures.kpis]
            if figures else [],
            "budget": pages.budget_view(figures.budget, figures.partial, fmt) if figures else None,
            "charts": trends,
            "next_steps": [step for step, _note in open_next_steps(plan.notes.values())],
            "archive": archive,
            "home": "index.html",
        })
        return render_page(self.env, "home.html", context)


def data_uri(suffix: str, content: bytes) -> str:
    kind = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".webp": "image/webp", ".gif": "image/gif"}[suffix.lower()]
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def report_clock(month: Month, today: dt.date) -> dt.date:
    """'Today' for everything a monthly report computes: capped at the day after
    the month (then the month is over, complete, judged as of its last day), so
    the report of a past month does not depend on the build date."""
    if month.year >= dt.MAXYEAR:  # no day after 9999-12: and no build date after it either
        return today
    return min(today, month.next.first_day)


def report_today(month: Month, today: dt.date) -> dt.date:
    """'Today' as a monthly report sees it: a past month is judged as of its last day
    (a step due in that month is overdue only if it was by then)."""
    return min(today, month.last_day)


def _json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode()


