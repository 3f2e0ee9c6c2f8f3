"""Plan and run a build: load everything, validate, compute, render, write.

The whole model is loaded and validated before anything is written (MkDocs'
rule), every problem of every client collected into one error. Rendering a
client's pages is a pure function of that client's plan, so clients can be
rendered independently.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import plotly
from markupsafe import Markup

from . import metrics as m
from . import pages
from .config import read_project_config
from .errors import InputError, Problem, did_you_mean
from .i18n import Formatter
from .model import Client, MetricTable, Month, Note, ProjectConfig
from .notes import fill_chart_slots, load_notes, render_markdown
from .output import OutputLock, StagedSite, check_output_dir, remove_stale_staging
from .render import (
    THEME_STATIC,
    ChartSlot,
    hashed_name,
    make_environment,
    read_static,
    render_chart,
    render_page,
)
from .sources import load_client_data

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
HEADERS_FILE = """\
/*
  X-Robots-Tag: noindex, nofollow
  Referrer-Policy: no-referrer
  X-Content-Type-Options: nosniff
  Cache-Control: no-cache
/assets/*
  X-Robots-Tag: noindex, nofollow
  Referrer-Policy: no-referrer
  X-Content-Type-Options: nosniff
  Cache-Control: public, max-age=31536000, immutable
"""


@dataclass(frozen=True)
class BuildOptions:
    project: Path
    out: Path
    clients: tuple[str, ...] = ()
    month: str | None = None  # None / "latest" / "previous" / "YYYY-MM"
    drafts: bool = False
    strict: bool = False
    today: dt.date = field(default_factory=lambda: build_date())


def build_date() -> dt.date:
    """The build's 'today': SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise click.UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
    return dt.date.today()


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
class ProjectPlan:
    config: ProjectConfig
    clients: tuple[ClientPlan, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class BuildResult:
    clients: int
    reports: int
    files: int
    warnings: tuple[Problem, ...]
    seconds: float


def plan_project(options: BuildOptions) -> ProjectPlan:
    """Load and validate everything; raise InputError with all problems."""
    root = options.project
    config, problems = read_project_config(root)
    if config is None:
        raise InputError(problems)
    selected = select_clients(config, options.clients)
    # Notes of a client that failed validation are still checked, not called orphans.
    all_notes, note_problems = load_notes(root, set(config.declared_ids))
    problems.extend(note_problems)
    plans = []
    for client in selected:
        table, data_problems = load_client_data(root, client)
        problems.extend(data_problems)
        if any(p.severity == "error" for p in data_problems):
            continue
        plan, plan_problems = plan_client(client, table, all_notes.get(client.id, []), options)
        problems.extend(plan_problems)
        if plan is not None:
            plans.append(plan)
    errors = [p for p in problems if p.severity == "error"]
    warnings = tuple(sorted({p for p in problems if p.severity == "warning"}))
    if errors or (options.strict and warnings):
        raise InputError(problems)
    return ProjectPlan(config=config, clients=tuple(plans), warnings=warnings)


def select_clients(config: ProjectConfig, wanted: tuple[str, ...]) -> list[Client]:
    if not wanted:
        return list(config.clients)
    known = {c.id: c for c in config.clients}
    for client_id in wanted:
        if client_id not in known and client_id not in config.declared_ids:
            raise click.UsageError(f"--client {client_id}: no such client in clients.yaml"
                                   f"{did_you_mean(client_id, known)}")
    return [c for c in config.clients if c.id in wanted]


def as_of_month(option: str | None, today: dt.date) -> Month | None:
    """The --month option as a month, or None for 'latest'."""
    if option in (None, "latest"):
        return None
    if option == "previous":
        return Month.of(today).previous
    try:
        return Month.parse(option)
    except ValueError:
        raise click.BadParameter(f"'{option}' is not YYYY-MM, latest or previous",
                                 param_hint="--month") from None


def plan_client(client: Client, table: MetricTable, notes: list[Note], options: BuildOptions
                ) -> tuple[ClientPlan | None, list[Problem]]:
    problems: list[Problem] = []
    if client.access is not None:
        problems.append(Problem("clients.yaml", client.line, (
            f"client '{client.id}': access.password_env is set, but this version of reportgen "
            "cannot encrypt portals yet; refusing to publish it unprotected")))
        return None, problems
    until = as_of_month(options.month, options.today)
    facts = m.compute_client_facts(client, table, until)
    if table.rows:
        problems.extend(facts.metrics.check(client))
    elif client.data:
        problems.append(Problem("clients.yaml", client.line,
                                f"client '{client.id}' has no metric rows yet", "warning"))
    included = {n.month: n for n in notes if (options.drafts or not n.is_draft)
                and (until is None or n.month <= until)}
    for note in included.values():
        for spec in note.charts:
            if table.rows:
                problems.extend(facts.metrics.check_metric(spec.metric, note.path, spec.line, "chart"))
            if spec.compare == "target" and not any(k.metric == spec.metric and k.target is not None
                                                    for k in client.kpis):
                problems.append(Problem(note.path, spec.line, (
                    f"chart: 'compare: target' needs a KPI with a target for '{spec.metric}'")))
    months = set(facts.rows_by_month) | set(included)
    if client.since:
        months = {mo for mo in months if mo >= client.since}
    plan = ClientPlan(client=client, facts=facts, notes=included, months=tuple(sorted(months)),
                      today=options.today)
    return plan, problems


# --- rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteAssets:
    """Shared files under site/assets, by logical name → hashed file name."""

    files: dict[str, tuple[str, bytes]]  # logical → (hashed name, content)

    def path(self, logical: str, depth: int) -> str:
        return "../" * depth + "assets/" + self.files[logical][0]


def collect_assets(root: Path, config: ProjectConfig) -> SiteAssets:
    files = {}
    for name in THEME_STATIC:
        content = read_static(root, name)
        files[name] = (hashed_name(name, content), content)
    plotly_js = PLOTLY_JS.read_bytes()
    files["plotly.js"] = (hashed_name("plotly.min.js", plotly_js), plotly_js)
    if config.agency.logo:
        content = config.agency.logo.read_bytes()
        files["agency-logo"] = (hashed_name("agency-logo" + config.agency.logo.suffix.lower(),
                                            content), content)
    return SiteAssets(files)


class SiteRenderer:
    """Renders pages to strings for one project; holds the Jinja environment."""

    def __init__(self, config: ProjectConfig, assets: SiteAssets, today: dt.date):
        self.config = config
        self.assets = assets
        self.today = today
        self.env = make_environment(config.root)

    def base_context(self, fmt: Formatter, depth: int, client: Client | None) -> dict:
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
            "root": "../" * depth,
            "css": self.assets.path("reportgen.css", depth),
            "js": self.assets.path("reportgen.js", depth),
            "plotly_js": self.assets.path("plotly.js", depth),
            "generated": fmt.date(self.today),
            "today_date": self.today,
        }

    def landing_page(self) -> str:
        fmt = Formatter("en_US", "USD")
        context = self.base_context(fmt, 0, None)
        return render_page(self.env, "index.html", {**context, "page_title": self.config.agency.name})

    def client_files(self, plan: ClientPlan) -> dict[str, bytes]:
        """Every file of one client's portal, by path relative to the site root."""
        client = plan.client
        files: dict[str, bytes] = {}
        logo = None
        if client.brand.logo:
            content = client.brand.logo.read_bytes()
            logo = hashed_name("logo" + client.brand.logo.suffix.lower(), content)
            files[f"{client.id}/{logo}"] = content
        for month in plan.months:
            figures = m.compute_month(plan.facts, month, plan.today)
            html = self.report_page(plan, figures, logo)
            files[f"{client.id}/{month}/index.html"] = html.encode()
            files[f"{client.id}/{month}/metrics.csv"] = pages.metrics_csv(plan.facts, month).encode()
            report = pages.report_json(plan.facts, figures)
            files[f"{client.id}/{month}/report.json"] = _json_bytes(report)
        files[f"{client.id}/index.html"] = self.home_page(plan, logo).encode()
        return files

    def annotations(self, plan: ClientPlan):
        return tuple(a for note in plan.notes.values() for a in note.annotations)

    def report_page(self, plan: ClientPlan, figures: m.MonthFigures, logo: str | None) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        month = figures.month
        note = plan.notes.get(month)
        context = self.base_context(fmt, 2, client)
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
            "logo": f"../{logo}" if logo else None,
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

    def home_page(self, plan: ClientPlan, logo: str | None) -> str:
        client = plan.client
        fmt = Formatter(client.locale, client.currency)
        context = self.base_context(fmt, 1, client)
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
            "next_steps": pages.open_next_steps(list(plan.notes.values())),
            "archive": archive,
            "home": "index.html",
        })
        return render_page(self.env, "home.html", context)


def _json_bytes(value) -> bytes:
    import json

    return (json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode()


def build_site(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    check_output_dir(options.out, options.project)
    plan = plan_project(options)
    assets = collect_assets(options.project, plan.config)
    renderer = SiteRenderer(plan.config, assets, options.today)
    with OutputLock(options.out):
        remove_stale_staging(options.out)
        site = StagedSite(options.out)
        try:
            reports = _write_site(site, plan, assets, renderer)
            if options.clients:
                site.keep_previous(tuple(f"{c.client.id}/" for c in plan.clients))
            site.commit()
        except BaseException:
            site.abort()
            raise
    return BuildResult(clients=len(plan.clients), reports=reports, files=len(site.written),
                       warnings=plan.warnings, seconds=time.perf_counter() - started)


def _write_site(site: StagedSite, plan: ProjectPlan, assets: SiteAssets,
                renderer: SiteRenderer) -> int:
    for hashed, content in assets.files.values():
        site.write(f"assets/{hashed}", content)
    site.write("index.html", renderer.landing_page())
    site.write("_headers", HEADERS_FILE)
    site.write("robots.txt", "User-agent: *\nDisallow: /\n")
    reports = 0
    for client_plan in plan.clients:
        for relative, content in sorted(renderer.client_files(client_plan).items()):
            site.write(relative, content)
        reports += len(client_plan.months)
    return reports


def check_project(options: BuildOptions) -> ProjectPlan:
    """Load, validate and compute everything; write nothing."""
    plan = plan_project(options)
    for client_plan in plan.clients:
        for month in client_plan.months:
            m.compute_month(client_plan.facts, month, client_plan.today)
    return plan
