"""The agency's internal overview site (`reportgen overview`): plan, render, write.

Made from the same status summaries as `reportgen status` (agency.py,
status.py): an index table of every client (sortable, filterable by account
executive; templates/static/overview.js), a page per client (its KPIs, its
13-month KPI trends against targets, drawn with charts.py, the full history
of its next steps, data freshness and anomalies) and an agency page (spend
per currency and KPI attainment across clients, by month).

It is never part of the client site: the default folder is `overview/` in the
project, and a folder that is the client site, lies inside it or holds it is
refused. The pages carry the site's CSP and noindex. With
`agency.overview.password_env` set, every page is sealed exactly as a
protected portal's pages (protect.py, unlock.js), the client pages get
opaque file names, and no client name or figure is left in any file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .agency import AgencyStatus, collect_summaries
from .assets import SiteAssets, collect_assets
from .cache import CACHE_DIR
from .charts import ChartStyle, ChartView, Series, line_chart
from .contexts import Context, OverviewAgencyPage, OverviewClientPage, OverviewIndexPage, OverviewLoginPage
from .csp import CONTENT_SECURITY_POLICY, HEADERS_FILE, ROBOTS_TXT, with_policy, without_policy
from .errors import InputError, OutputError, Problem
from .i18n import Formatter
from .inputfiles import real_path
from .model import Month, ProjectConfig
from .output import SITE_MARKER, OutputLock, StagedSite, check_output_dir
from .output_kinds import AGENCY_OUTPUTS, AgencyBuild, agency_output, make_all
from .protect import Sealer, load_salts, make_sealer, new_salt, save_salts
from .render import ChartSlot, hashed_name, make_environment, read_static, render_page
from .status import StatusRow, table_cells

OVERVIEW_MARKER = ".reportgen-overview"
SALT_KEY = ":overview"  # in the project's salts.json; no client id has a colon
SITE_FOLDER = "site"
STATIC = ("overview.css", "overview.js")
LEVEL_TEXT = {"red": "Action", "amber": "Watch", "ok": "OK"}


@dataclass(frozen=True)
class OverviewResult:
    clients: int
    files: int
    sealed: bool
    protected_shown: int = 0  # protected clients whose figures an unsealed overview shows


# --- plan ---------------------------------------------------------------------------------


def check_overview_dir(out: Path, project: Path) -> None:
    """The overview never goes into the client site: not its folder, nothing inside it,
    no folder that holds it; nor the project itself or its inputs (output.check_output_dir)."""
    site = real_path(project / SITE_FOLDER)
    target = real_path(out)
    if target == site or target.is_relative_to(site):
        raise OutputError(
            f"--out {out} is inside the client site ({SITE_FOLDER}/): the overview names "
            "every client and must never be published with the portals; use the default "
            "'overview' or another folder outside the site"
        )
    if site.is_relative_to(target):
        raise OutputError(
            f"--out {out} holds the client site ({SITE_FOLDER}/); choose a folder of its "
            "own, such as 'overview'"
        )
    for folder in (target, *target.parents):  # a client site built elsewhere (build --out)
        if (folder / SITE_MARKER).is_file() and not (folder / OVERVIEW_MARKER).is_file():
            raise OutputError(
                f"--out {out} is inside a client site that reportgen built ({folder}); "
                "the overview must stay out of it"
            )
    check_output_dir(out, project, suggestion="overview")


def overview_sealer(config: ProjectConfig, cache_dir: Path) -> Sealer | None:
    """The overview's keys when `agency.overview.password_env` is set; its salt is kept in
    the project cache beside the portals' (stable: "remember me" survives a rebuild)."""
    variable = config.overview.password_env
    if not variable:
        return None
    password = os.environ.get(variable, "")
    if not password.strip():
        raise InputError(
            [
                Problem(
                    "clients.yaml",
                    config.overview.line or None,
                    (
                        f"agency.overview.password_env: the environment variable {variable} is not set "
                        "(or holds "
                        "only spaces); refusing to write an unprotected overview"
                    ),
                )
            ]
        )
    salts = load_salts(cache_dir)
    if SALT_KEY not in salts:
        salts[SALT_KEY] = new_salt()
        save_salts(cache_dir, salts)
    return make_sealer([password], salts[SALT_KEY])


def build_overview(
    project: Path, out: Path, month: str | None, today: dt.date, jobs: int = 1
) -> OverviewResult:
    check_overview_dir(out, project)
    found = collect_summaries(project, month, today, jobs)
    sealer = overview_sealer(found.config, project / CACHE_DIR)
    assets = collect_assets(project, found.config)
    site_base = portal_base(found.config, project, out)
    files, _later = make_all(AGENCY_OUTPUTS, AgencyBuild(found, assets, sealer, site_base, today))
    with OutputLock(out):
        site = StagedSite(out)
        try:
            site.write(
                OVERVIEW_MARKER,
                b"The agency's internal overview (reportgen overview): "
                b"never publish it with the client portals.\n",
            )
            for relative, content in sorted(files.items()):
                site.write(relative, content)
            site.commit()
        except BaseException:
            site.abort()
            raise
    protected = sum(1 for s in found.summaries.values() if s.get("protected"))
    return OverviewResult(
        len(found.summaries), len(files) + 2, sealer is not None, protected if sealer is None else 0
    )


def portal_base(config: ProjectConfig, project: Path, out: Path) -> str:
    """How the overview's pages reach the portals: the site's public address when
    clients.yaml gives one (agency.site_url), else the path from the overview to site/."""
    mail = getattr(config, "mail", None)
    url = getattr(mail, "site_url", None)
    if url:
        return str(url) if url.endswith("/") else url + "/"
    relative = os.path.relpath(real_path(project / SITE_FOLDER), real_path(out))
    return Path(relative).as_posix() + "/"


# --- render -------------------------------------------------------------------------------


def client_page_name(client_id: str, sealer: Sealer | None) -> str:
    """clients/<id>.html; sealed, an opaque name (no client id in any file name)."""
    if sealer is None:
        return f"clients/{client_id}.html"
    return f"clients/{hashlib.sha256(sealer.salt + client_id.encode()).hexdigest()[:20]}.html"


@agency_output("overview")
def overview_site(built: AgencyBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """The overview's pages and assets (an agency output: output_kinds.py)."""
    return render_overview(built.status, built.assets, built.sealer, built.site_base, built.today)


def render_overview(
    found: AgencyStatus, assets: SiteAssets, sealer: Sealer | None, site_base: str, today: dt.date
) -> dict[str, bytes]:
    config = found.config
    env = make_environment(config.root)
    static = {name: read_static(config.root, name) for name in STATIC}
    own = {name: (hashed_name(name, content), content) for name, content in static.items()}
    files: dict[str, bytes] = {f"assets/{hashed}": content for hashed, content in assets.files.values()}
    files.update({f"assets/{hashed}": content for hashed, content in own.values()})
    files["_headers"] = HEADERS_FILE.encode()
    files["robots.txt"] = ROBOTS_TXT.encode()
    fmt = Formatter("en_US", "USD")
    rows = found.rows()

    def context(depth: int, title: str, nav: str) -> dict[str, Any]:
        return {
            "_": fmt.gettext,
            "ngettext": fmt.ngettext,
            "fmt": fmt,
            "lang": "en",
            "agency": config.agency,
            "page_title": title,
            "nav": nav,
            "root": "../" * depth,
            "brand_color": "#334155",
            "css": assets.path("reportgen.css", depth),
            "js": assets.path("reportgen.js", depth),
            "plotly_js": assets.path("plotly.js", depth),
            "overview_css": "../" * depth + "assets/" + own["overview.css"][0],
            "overview_js": "../" * depth + "assets/" + own["overview.js"][0],
            "csp": Markup(CONTENT_SECURITY_POLICY),
            "protected": sealer is not None,
            "today": today.isoformat(),
        }

    pages: dict[str, str] = {}
    table_rows = [index_row(r, site_base, client_page_name(r.id, sealer)) for r in rows]
    aes = sorted(Counter(r.account_executive for r in rows).items(), key=lambda p: p[0].casefold())
    pages["index.html"] = page(
        env,
        "overview/index.html",
        OverviewIndexPage(
            **context(0, "Clients", "clients"),
            rows=table_rows,
            aes=aes,
            columns=INDEX_COLUMNS,
            red_count=sum(1 for r in rows if r.red),
            amber_count=sum(1 for r in rows if r.amber and not r.red),
            until=str(found.until) if found.until else None,
        ),
    )
    for row in rows:
        summary = found.summaries[row.id]
        pages[client_page_name(row.id, sealer)] = page(
            env,
            "overview/client.html",
            OverviewClientPage(
                **context(1, row.name, "clients"), **client_view(row, summary, "../" + site_base)
            ),
        )
    pages["agency.html"] = page(
        env,
        "overview/agency.html",
        OverviewAgencyPage(**context(0, "Agency", "agency"), **agency_view(found)),
    )
    for relative, text in pages.items():
        files[relative] = seal_page(env, assets, config, relative, text, sealer)
    return files


def seal_page(
    env: jinja2.Environment,
    assets: SiteAssets,
    config: ProjectConfig,
    relative: str,
    text: str,
    sealer: Sealer | None,
) -> bytes:
    if sealer is None:
        return text.encode()
    depth = relative.count("/")
    sealed = sealer.seal(without_policy(text).encode())  # the login page's policy stays in force
    return page(
        env,
        "overview/login.html",
        OverviewLoginPage(
            _=str,
            lang="en",
            agency=config.agency,
            brand_color="#334155",
            css=assets.path("reportgen.css", depth),
            unlock_js=assets.path("unlock.js", depth),
            csp=Markup(CONTENT_SECURITY_POLICY),
            sealed=sealed,
        ),
    ).encode()


def page(env: jinja2.Environment, template: str, context: Context) -> str:
    """An overview page, carrying the site's policy whatever its templates wrote (csp.py)."""
    return with_policy(render_page(env, template, context.as_context()), CONTENT_SECURITY_POLICY)


# --- views --------------------------------------------------------------------------------

INDEX_COLUMNS = (
    ("attention", "Attention", True),
    ("client", "Client", False),
    ("ae", "AE", False),
    ("month", "Month", False),
    ("kpis", "KPIs met/near/below", True),
    ("pacing", "Pacing", True),
    ("note", "Note", False),
    ("overdue", "Overdue", True),
    ("data", "Data through", False),
    ("anomalies", "Anomalies", True),
)
NOTE_ORDER = {"missing": 0, "draft": 1, "final_without_summary": 2, "not_due": 3, "final": 4}


SEVERITY = {"red": 2, "amber": 1}


def kpi_sort(row: StatusRow) -> float:
    """Most KPIs below target first, then most just short, then the furthest from its
    target (1 − the worst attainment): ties are broken by the numbers themselves."""
    short = 0.0 if row.worst_kpi_attainment is None else max(0.0, min(1.0, 1 - row.worst_kpi_attainment))
    return round(row.kpis_below * 1000 + row.kpis_near * 10 + short, 6)


def pacing_sort(row: StatusRow) -> float:
    """The pacing flag's severity (red, amber, none), then how far off pace (|spent ÷ expected − 1|)."""
    level = max(
        (SEVERITY.get(f["level"], 0) for f in row.flags if f["code"].startswith("pacing_")), default=0
    )
    off = abs(row.pacing_delta) if row.pacing_delta is not None else 0.0
    return round(level * 1000 + min(off, 999.0), 6)


def index_row(row: StatusRow, site_base: str, page: str) -> dict[str, Any]:
    cells = table_cells(row)
    level = "red" if row.red else "amber" if row.amber else "ok"
    return {
        **row.to_json(),
        "page": page,
        "level": level,
        "level_text": f"{LEVEL_TEXT[level]} ({row.red + row.amber})" if level != "ok" else "OK",
        "attention": row.red * 100 + row.amber,
        "portal": site_base + row.portal if row.portal else None,
        "kpis_text": cells[3][0],
        "kpi_sort": kpi_sort(row),
        "pacing_text": cells[4][0],
        "pacing_sort": pacing_sort(row),
        "note_text": cells[5][0],
        "note_sort": NOTE_ORDER.get(row.note, 5),
        "overdue_text": cells[6][0],
        "data_text": cells[7][0],
    }


def client_view(row: StatusRow, summary: dict[str, Any], site_base: str) -> dict[str, Any]:
    fmt = Formatter(summary.get("locale") or "en_US", summary.get("currency") or "USD")
    statuses = {"met": "On target", "close": "Just short", "behind": "Below target", "none": "No target"}
    kpis = [
        {
            "label": k["label"],
            "value": fmt.value(k["value"], k["unit"]),
            "projected": fmt.value(k["projected"], k["unit"]) if k["projected"] is not None else "—",
            "target": fmt.value(k["target"], k["unit"]) if k["target"] is not None else "—",
            "attainment": fmt.percent(k["pct_of_target"], 0) if k["pct_of_target"] is not None else "—",
            "status": k["status"],
            "status_text": statuses.get(k["status"], ""),
        }
        for k in summary.get("kpis") or []
    ]
    budget = summary.get("budget") or {}
    budget_text = None
    if budget.get("budget") is not None:
        paces = {"over": "over pace", "under": "under pace", "on_pace": "on pace"}
        pace = paces.get(str(budget.get("status")), "no spend")
        budget_text = (
            f"{fmt.money(budget.get('spent'))} spent of {fmt.money(budget['budget'], whole=True)}"
            f" (expected by now {fmt.money(budget.get('expected_by_now'), whole=True)}; {pace})"
        )
    charts = [ChartSlot(f"chart-{i + 1}", view) for i, view in enumerate(trend_charts(summary, fmt))]
    steps = summary.get("steps") or []
    owners: dict[str, Counter[str]] = {}
    for step in steps:
        owners.setdefault(step["owner"] or "—", Counter())[step["state"]] += 1
    anomalies = [
        f"{s['label']} on {s['date']}: {fmt.value(s['value'], s['unit'])}, "
        f"{'above' if s['score'] > 0 else 'below'} its usual {fmt.value(s['median'], s['unit'])} "
        f"({abs(s['score']):.1f} robust deviations)"
        for s in summary.get("spikes") or []
    ]
    anomalies += [
        f"Campaign {g['campaign']} had data every day up to {g['last_date']}, then none for {g['days']} days"
        for g in summary.get("gaps") or []
    ]
    return {
        "row": row.to_json() | {"portal": site_base + row.portal if row.portal else None},
        "portal_home": f"{site_base}{row.slug}/index.html",
        "kpis": kpis,
        "budget": budget_text,
        "charts": charts,
        "steps": steps,
        "owners": sorted(owners.items(), key=lambda p: (-p[1]["overdue"], p[0].casefold())),
        "anomalies": anomalies,
    }


def trend_charts(summary: dict[str, Any], fmt: Formatter) -> list[ChartView]:
    """Each KPI's 13 months against its target (charts.line_chart)."""
    history = summary.get("history") or []
    style = ChartStyle(brand="#2563eb", fmt=fmt, height=260)
    views = []
    for index, kpi in enumerate(summary.get("kpis") or []):
        points = [
            (
                fmt.month_short(Month.parse(h["month"])),
                h["kpis"][index]["value"] if index < len(h["kpis"]) else None,
            )
            for h in history
        ]
        if not any(v is not None for _l, v in points):
            continue
        series = [Series(kpi["label"], points, kpi["unit"])]
        if kpi["target"] is not None:
            series.append(
                Series("Target", [(label, kpi["target"]) for label, _v in points], kpi["unit"], "target")
            )
        views.append(line_chart(kpi["label"], series, style, period_label="Month"))
    return views


def agency_view(found: AgencyStatus) -> dict[str, Any]:
    """Spend (per currency) and KPI attainment across clients, month by month."""
    ends = [Month.parse(s["month"]) for s in found.summaries.values() if s.get("month")]
    if not ends:
        return {"charts": [], "table_columns": ("Month",), "table_rows": [], "client_count": 0, "end": "—"}
    end = max(ends)
    months = [end.shift(-i) for i in range(12, -1, -1)]
    spend: dict[tuple[str, Month], float] = {}
    budget: dict[tuple[str, Month], float] = {}
    statuses: dict[Month, Counter[str]] = {mo: Counter() for mo in months}
    currencies: set[str] = set()
    for summary in found.summaries.values():
        currency = summary.get("currency") or "USD"
        for entry in summary.get("history") or []:
            month = Month.parse(entry["month"])
            if month not in statuses:
                continue
            if entry.get("spend") is not None:
                currencies.add(currency)
                spend[(currency, month)] = spend.get((currency, month), 0.0) + entry["spend"]
                if entry.get("budget") is not None:
                    budget[(currency, month)] = budget.get((currency, month), 0.0) + entry["budget"]
            for kpi in entry.get("kpis") or []:
                statuses[month][kpi["status"]] += 1
    fmt = Formatter("en_US", "USD")
    labels = [fmt.month_short(mo) for mo in months]
    style = ChartStyle(brand="#2563eb", fmt=fmt, height=280)
    charts = []
    judged = {mo: sum(statuses[mo][s] for s in ("met", "close", "behind")) for mo in months}
    shares = [
        Series(
            name,
            [
                (label, statuses[mo][key] / judged[mo] if judged[mo] else None)
                for label, mo in zip(labels, months, strict=True)
            ],
            "percent",
        )
        for key, name in (("met", "On target"), ("close", "Just short"), ("behind", "Below target"))
    ]
    charts.append(
        ChartSlot(
            "chart-1",
            line_chart("KPI attainment: share of KPIs with a target", shares, style, period_label="Month"),
        )
    )
    columns = ["Month", "KPIs on target", "Just short", "Below target"]
    for currency in sorted(currencies):
        money = Formatter("en_US", currency)
        cstyle = ChartStyle(brand="#2563eb", fmt=money, height=280)
        series = [
            Series(
                f"Spend ({currency})",
                [(label, spend.get((currency, mo))) for label, mo in zip(labels, months, strict=True)],
                "currency",
            ),
            Series(
                f"Budget ({currency})",
                [(label, budget.get((currency, mo))) for label, mo in zip(labels, months, strict=True)],
                "currency",
                "target",
            ),
        ]
        charts.append(
            ChartSlot(
                f"chart-{len(charts) + 1}",
                line_chart(
                    f"Spend against budget, {currency}", series, cstyle, kind="bar", period_label="Month"
                ),
            )
        )
        columns += [f"Spend {currency}", f"Budget {currency}"]
    rows = []
    for label, mo in zip(labels, months, strict=True):
        row = [label, *(str(statuses[mo][s]) for s in ("met", "close", "behind"))]
        for currency in sorted(currencies):
            money = Formatter("en_US", currency)
            row += [
                money.money(spend.get((currency, mo)), whole=True) if (currency, mo) in spend else "—",
                money.money(budget.get((currency, mo)), whole=True) if (currency, mo) in budget else "—",
            ]
        rows.append(tuple(row))
    return {
        "charts": charts,
        "table_columns": columns,
        "table_rows": rows,
        "client_count": len(found.summaries),
        "end": str(end),
    }
