"""Load and validate clients.yaml into a frozen `ProjectConfig`.

Every field is declared once below (`CLIENTS_YAML`); the same declarations
validate the file and can be exported as JSON Schema for editors. All
problems of the file are collected and raised together.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import babel
import babel.numbers

from .errors import InputError, Problem
from .formulas import NAME_RE, FormulaError, parse_formula
from .model import (
    Access,
    Agency,
    Brand,
    Budget,
    Campaign,
    Client,
    DataSource,
    Kpi,
    Month,
    Person,
    ProjectConfig,
)
from .schema import (
    INVALID,
    Choice,
    Context,
    Field,
    Kind,
    ListOf,
    MapOf,
    MonthKind,
    Number,
    Obj,
    Text,
    TextOr,
    type_name,
)
from .yamlfile import YamlError, YamlList, YamlMap, parse_yaml

CONFIG_FILE = "clients.yaml"
CLIENT_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif"}
BUILTIN_FORMULAS = {
    "ctr": "clicks / impressions",
    "cpc": "spend / clicks",
    "cpm": "1000 * spend / impressions",
    "cvr": "conversions / clicks",
    "cpa": "spend / conversions",
    "roas": "revenue / spend",
}
BUILTIN_LABELS = {"ctr": "CTR", "cpc": "CPC", "cpm": "CPM", "cvr": "Conversion rate",
                  "cpa": "Cost per acquisition", "roas": "ROAS",
                  # Common base metrics, so tables read well (and translate).
                  "impressions": "Impressions", "clicks": "Clicks", "spend": "Spend",
                  "conversions": "Conversions", "leads": "Leads", "revenue": "Revenue",
                  "sessions": "Sessions", "reach": "Reach"}
DIMENSIONS = ("date", "campaign", "channel")


# --- field declarations ----------------------------------------------------

EMAIL = Text(pattern=r"[^@\s]+@[^@\s]+", pattern_hint=" (expected an e-mail address)")
URL = Text(pattern=r"https?://\S+", pattern_hint=" (expected an http(s):// address)")
RELATIVE_PATH = Text(max_length=500)
COLOR = Text(pattern=r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", pattern_hint=" (expected #rrggbb)")
LOCALE = Text(pattern=r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*",
              pattern_hint=" (expected a locale id such as en_US)")
CURRENCY = Text(pattern=r"[A-Z]{3}", pattern_hint=" (expected an ISO 4217 code such as USD)")

PERSON = Obj((
    Field("name", Text(max_length=200), required=True),
    Field("email", EMAIL),
    Field("phone", Text(max_length=50, numbers_ok=True)),
    Field("role", Text(max_length=200)),
))

KPI = Obj((
    Field("metric", Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a metric name)"),
          required=True, doc="a base metric (CSV column) or a derived metric"),
    Field("label", Text(max_length=200), doc="shown on the scorecard; default: the metric name"),
    Field("target", Number(minimum=None), doc="the monthly target"),
    Field("better", Choice(("higher", "lower")), doc="which direction is good (default higher)"),
    Field("format", Choice(("number", "currency", "percent", "ratio")),
          doc="how values are shown; default: inferred from the metric"),
))

METRICS = MapOf(Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a lower-case metric name)"),
                Text(max_length=500))

AGENCY = Obj((
    Field("name", Text(max_length=200), required=True),
    Field("website", URL),
    Field("logo", RELATIVE_PATH, doc="image file, relative to the project root"),
    Field("contact_email", EMAIL),
))

DEFAULTS = Obj((
    Field("locale", LOCALE),
    Field("currency", CURRENCY),
    Field("metrics", METRICS),
    Field("kpis", ListOf(KPI)),
), doc="values every client inherits unless it sets its own")

CLIENT = Obj((
    Field("id", Text(pattern=CLIENT_ID_PATTERN,
                     pattern_hint=" (lower-case letters, digits and '-', at most 63, "
                                  "starting with a letter or digit)"),
          required=True, doc="unique; the client's URL segment"),
    Field("name", Text(max_length=200), required=True),
    Field("account_executive", PERSON, required=True),
    Field("contacts", ListOf(PERSON)),
    Field("locale", LOCALE),
    Field("currency", CURRENCY),
    Field("brand", Obj((Field("color", COLOR), Field("logo", RELATIVE_PATH)))),
    Field("since", MonthKind(), doc="first month to report (YYYY-MM)"),
    Field("budget", Obj((
        Field("monthly", Number()),
        Field("months", MapOf(MonthKind(), Number())),
    ))),
    Field("metrics", METRICS, doc="derived metrics: arithmetic over metric names"),
    Field("kpis", ListOf(KPI)),
    Field("campaigns", ListOf(Obj((
        Field("id", Text(max_length=200, numbers_ok=True), required=True),
        Field("name", Text(max_length=200)),
        Field("channel", Text(max_length=100)),
        Field("budget", Number()),
    )))),
    Field("data", ListOf(TextOr(Text(max_length=500), Obj((
        Field("path", Text(max_length=500), required=True, doc="path or glob, relative to the project"),
        Field("format", Choice(("auto", "canonical", "google_ads", "meta_ads", "linkedin_ads", "ga4")),
              doc="default auto: detected from the header"),
        Field("currency", CURRENCY, doc="the export's currency when it does not say"),
        Field("campaign_map", MapOf(Text(max_length=200, numbers_ok=True), Text(max_length=200)),
              doc="campaign names in the export → campaign ids"),
        Field("channel", Text(max_length=100), doc="channel for rows that have none"),
        Field("leads", Text(max_length=200),
              doc="the column, or Meta result indicator (e.g. actions:lead), that counts as leads"),
    ))), scalar_ok=True), doc="metric files: CSV paths or globs, or {path, format, ...}"),
    Field("access", Obj((
        Field("password_env", Text(pattern=r"[A-Za-z_][A-Za-z0-9_]*",
                                   pattern_hint=" (expected an environment variable name)"),
              required=True),
    ))),
))

CLIENTS_YAML = Obj((
    Field("agency", AGENCY, required=True),
    Field("defaults", DEFAULTS),
    Field("clients", ListOf(CLIENT), required=True),
))


class _EachLater(Kind):
    """Loading checks the clients one by one, so one bad client hides nothing else."""

    def check(self, value, ctx, line, where):
        if not isinstance(value, list):
            return ctx.error(line, f"{where}: expected a list of clients, got {type_name(value)}")
        return value


_TOP_LEVEL = Obj((
    Field("agency", AGENCY, required=True),
    Field("defaults", DEFAULTS),
    Field("clients", _EachLater(), required=True),
))


# --- loading ----------------------------------------------------------------


def load_project_config(root: Path) -> ProjectConfig:
    """Read `root/clients.yaml`; raise InputError listing every problem."""
    config, problems = read_project_config(root)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return config


def read_project_config(root: Path) -> tuple[ProjectConfig | None, list[Problem]]:
    """The config (its valid clients) and every problem; None if unreadable.

    A config with errors is still returned, so a caller can go on checking
    notes and data of the clients that are valid and report everything at once.
    """
    path = root / CONFIG_FILE
    ctx = Context(CONFIG_FILE)
    if not path.is_file():
        return None, [Problem(CONFIG_FILE, None, f"no {CONFIG_FILE} in {root} (is --project right?)")]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(CONFIG_FILE, None, f"not UTF-8 text: {exc.reason}")]
    try:
        document = parse_yaml(text)
    except YamlError as exc:
        return None, [Problem(CONFIG_FILE, exc.line, exc.message)]
    if not isinstance(document, YamlMap):
        return None, [Problem(CONFIG_FILE, 1, "expected a mapping with 'agency' and 'clients'")]
    config = _build_config(root, document, ctx)
    return config, ctx.problems


def _build_config(root: Path, document: YamlMap, ctx: Context) -> ProjectConfig:
    clean = _TOP_LEVEL.check(document, ctx, document.line, "")
    if clean is INVALID:
        # Still check every part that is valid on its own, so one run lists
        # every problem of the file (problems found twice are reported once).
        scratch = Context(ctx.path)
        agency_node, defaults_node = document.get("agency"), document.get("defaults")
        clean = {
            "agency": AGENCY.check(agency_node, scratch, document.line_of("agency"), "agency"),
            "defaults": DEFAULTS.check(defaults_node, scratch, document.line_of("defaults"), "defaults")
            if defaults_node is not None else None,
            "clients": document.get("clients"),
        }
        clean["defaults"] = None if clean["defaults"] is INVALID else clean["defaults"]
    agency = None
    if clean["agency"] is not INVALID and clean["agency"]:
        agency_raw = clean["agency"]
        agency = Agency(
            name=agency_raw["name"],
            website=agency_raw["website"],
            logo=_image_path(root, agency_raw["logo"], document["agency"], "logo", ctx, "agency.logo"),
            contact_email=agency_raw["contact_email"],
        )
    defaults = clean["defaults"] or {}
    defaults_node = document.get("defaults") or YamlMap()
    client_nodes = clean["clients"] if isinstance(clean["clients"], YamlList) else []
    clients = []
    seen: dict[str, int] = {}
    for index, node in enumerate(client_nodes):
        where = f"clients[{index + 1}]"
        line = client_nodes.line_of(index)
        raw_id = node.get("id") if isinstance(node, YamlMap) else None
        if isinstance(raw_id, str) and raw_id.strip().lower() in seen:
            first = seen[raw_id.strip().lower()]
            ctx.error(node.line_of("id"), f"duplicate client id '{raw_id}' (first on line {first})")
            continue
        if isinstance(raw_id, str):
            seen[raw_id.strip().lower()] = node.line_of("id")
        raw = CLIENT.check(node, ctx, line, where)
        if raw is not INVALID:
            clients.append(_build_client(root, raw, node, defaults, defaults_node, ctx, where))
        elif isinstance(node, YamlMap):
            _check_fields_of_invalid_client(root, node, ctx, where)
    # Without a valid agency block the errors above are raised anyway.
    agency = agency or Agency(name="")
    declared = frozenset(node["id"] for node in client_nodes
                         if isinstance(node, YamlMap) and isinstance(node.get("id"), str))
    return ProjectConfig(root=root, config_path=CONFIG_FILE, agency=agency, clients=tuple(clients),
                         declared_ids=declared)


def _check_fields_of_invalid_client(root: Path, node: YamlMap, ctx: Context, where: str) -> None:
    """The checks beyond the schema, for the fields that passed it on their own.

    A client with one bad field is not built, but its other fields still get
    every check, so one run lists all of the file's problems.
    """
    scratch = Context(ctx.path)
    locale = node.get("locale")
    if LOCALE.check(locale, scratch, 0, "") is not INVALID:
        _check_locale(locale, ctx, node.line_of("locale"), f"{where}.locale")
    currency = node.get("currency")
    if CURRENCY.check(currency, scratch, 0, "") is not INVALID and not babel.numbers.is_currency(currency):
        ctx.error(node.line_of("currency"), f"{where}.currency: unknown currency code '{currency}'")
    data = node.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, str) else []
    for index, item in enumerate(items):
        path = item.get("path") if isinstance(item, dict) else item
        if isinstance(path, str):
            line = data.line_of(index) if isinstance(data, YamlList) else node.line_of("data")
            _check_relative(path, ctx, line, f"{where}.data")
    brand = node.get("brand")
    if isinstance(brand, YamlMap) and isinstance(brand.get("logo"), str):
        _image_path(root, brand["logo"], brand, "logo", ctx, f"{where}.brand.logo")
    metrics = node.get("metrics")
    if isinstance(metrics, YamlMap):
        for name, text in metrics.items():
            if isinstance(text, str):
                try:
                    parse_formula(text)
                except FormulaError as exc:
                    ctx.error(metrics.line_of(name), f"{where}.metrics.{name}: {exc}")


def _build_client(root: Path, raw: dict, node: YamlMap, defaults: dict, defaults_node,
                  ctx: Context, where: str) -> Client:
    locale = raw["locale"] or defaults.get("locale") or "en_US"
    locale_line = node.line_of("locale") if raw["locale"] else defaults_node.line_of("locale")
    locale = _check_locale(locale, ctx, locale_line, f"{where}.locale")
    currency = raw["currency"] or defaults.get("currency") or "USD"
    currency_line = node.line_of("currency") if raw["currency"] else defaults_node.line_of("currency")
    if not babel.numbers.is_currency(currency):
        ctx.error(currency_line, f"{where}.currency: unknown currency code '{currency}'")

    kpi_rows, kpi_node = (raw["kpis"], node.get("kpis")) if raw["kpis"] is not None else (
        defaults.get("kpis") or [], defaults_node.get("kpis"))
    kpis = tuple(_build_kpi(k, kpi_node.line_of(i) if kpi_node else node.line)
                 for i, k in enumerate(kpi_rows))

    formulas: dict[str, tuple[str, int]] = {}
    for source, source_node in ((defaults.get("metrics"), defaults_node.get("metrics")),
                                (raw["metrics"], node.get("metrics"))):
        for name, text in (source or {}).items():
            formulas[name] = (text, source_node.line_of(name))
    metrics = []
    for name, (text, line) in formulas.items():
        if name in DIMENSIONS:
            ctx.error(line, f"'{name}' is a dimension, not a metric name")
            continue
        try:
            metrics.append((name, parse_formula(text), line))
        except FormulaError as exc:
            ctx.error(line, f"{where}.metrics.{name}: {exc}")

    budget_raw = raw["budget"] or {}
    budget = Budget(
        monthly=budget_raw.get("monthly"),
        months=tuple(sorted((Month.parse(m), v) for m, v in (budget_raw.get("months") or {}).items())),
    )

    campaigns = []
    campaign_ids: set[str] = set()
    campaigns_node = node.get("campaigns")
    for i, c in enumerate(raw["campaigns"] or []):
        if c["id"] in campaign_ids:
            ctx.error(campaigns_node.line_of(i), f"{where}.campaigns: duplicate campaign id '{c['id']}'")
        campaign_ids.add(c["id"])
        campaigns.append(Campaign(id=c["id"], name=c["name"] or c["id"], channel=c["channel"],
                                  budget=c["budget"]))

    data = []
    data_node = node.get("data")
    for i, item in enumerate(raw["data"] or []):
        line = data_node.line_of(i) if hasattr(data_node, "line_of") else node.line_of("data")
        item = {"path": item} if isinstance(item, str) else item
        if _check_relative(item["path"], ctx, line, f"{where}.data"):
            data.append(DataSource(
                pattern=item["path"], line=line, format=item.get("format") or "auto",
                currency=item.get("currency"),
                campaign_map=tuple(sorted((str(k), v) for k, v in (item.get("campaign_map") or {}).items())),
                channel=item.get("channel"), leads=item.get("leads")))

    brand_raw = raw["brand"] or {}
    brand = Brand(
        color=_normalise_color(brand_raw.get("color") or "#2563eb"),
        logo=_image_path(root, brand_raw.get("logo"), node.get("brand"), "logo", ctx,
                         f"{where}.brand.logo"),
    )
    access = Access(raw["access"]["password_env"]) if raw["access"] else None
    return Client(
        id=raw["id"],
        name=raw["name"],
        account_executive=Person(**raw["account_executive"]),
        locale=locale,
        currency=currency,
        contacts=tuple(Person(**p) for p in raw["contacts"] or []),
        brand=brand,
        since=Month.parse(raw["since"]) if raw["since"] else None,
        budget=budget,
        metrics=tuple(metrics),
        kpis=kpis,
        campaigns=tuple(campaigns),
        data=tuple(data),
        access=access,
        line=node.line,
    )


def _build_kpi(raw: dict, line: int) -> Kpi:
    return Kpi(
        metric=raw["metric"],
        label=raw["label"] or BUILTIN_LABELS.get(raw["metric"])
        or raw["metric"].replace("_", " ").capitalize(),
        target=raw["target"],
        better=raw["better"] or "higher",
        format=raw["format"],
        line=line,
    )


def _check_locale(value: str, ctx: Context, line: int, where: str) -> str:
    try:
        return str(babel.Locale.parse(value.replace("-", "_")))
    except (ValueError, babel.UnknownLocaleError):
        ctx.error(line, f"{where}: unknown locale '{value}' (expected e.g. en_US, vi_VN, de_DE)")
        return "en_US"


def _normalise_color(color: str) -> str:
    color = color.lower()
    if len(color) == 4:
        color = "#" + "".join(ch * 2 for ch in color[1:])
    return color


def _check_relative(value: str, ctx: Context, line: int, where: str) -> bool:
    """A path must stay inside the project: relative, no '..'."""
    pure = PurePosixPath(value.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", value):
        ctx.error(line, f"{where}: '{value}' must be relative to the project root")
        return False
    if ".." in pure.parts:
        ctx.error(line, f"{where}: '{value}' must not leave the project ('..')")
        return False
    return True


def _image_path(root: Path, value: str | None, parent: Any, key: str, ctx: Context,
                where: str) -> Path | None:
    if not value:
        return None
    line = parent.line_of(key) if isinstance(parent, YamlMap) else None
    if not _check_relative(value, ctx, line, where):
        return None
    path = (root / value).resolve()
    if not path.is_relative_to(root.resolve()):
        ctx.error(line, f"{where}: '{value}' points outside the project")
        return None
    if not path.is_file():
        ctx.error(line, f"{where}: file '{value}' not found")
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        hint = ", ".join(sorted(IMAGE_SUFFIXES))
        ctx.error(line, f"{where}: '{value}' is not an image ({hint})")
        return None
    return path

