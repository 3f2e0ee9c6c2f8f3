"""Load and validate clients.yaml into a frozen `ProjectConfig`.

Every field is declared once below (`CLIENTS_YAML`); the same declarations
validate the file and can be exported as JSON Schema for editors. All
problems of the file are collected and raised together.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import babel
import babel.numbers

from .addresses import ADDRESS_RE, address_problem, base_url, site_url_problem
from .errors import InputError, Problem
from .formulas import NAME_RE, FormulaError, parse_formula
from .images import ImageError, load_image
from .inputfiles import UnreadableInputError, input_file_problem, read_input_bytes, real_path
from .model import (
    Access,
    Agency,
    Brand,
    Budget,
    Campaign,
    Client,
    DataSource,
    Kpi,
    MailSettings,
    Month,
    OverviewSettings,
    Person,
    PortalPerson,
    ProjectConfig,
)
from .plotlybundle import BundleError, load_bundle
from .schema import (
    INVALID,
    Boolean,
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
    is_sane_number,
    type_name,
)
from .yamlfile import YamlError, YamlList, YamlMap, parse_yaml

CONFIG_FILE = "clients.yaml"
CLIENT_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"  # ids and slugs: URL-safe, one case
RESERVED_FOLDERS = ("assets",)  # the site's own folders: no client's id or slug
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



class EmailAddress(Text):
    """An e-mail address by reportgen's one strict rule (addresses.py): what `send`
    writes to, and what `check` and `build` accept, are the same."""

    def check(self, value, ctx, line, where):
        padded = isinstance(value, str) and value.strip() != value and bool(value.strip())
        value = super().check(value, ctx, line, where)
        problem = address_problem(value) if value is not INVALID else None
        if padded and not problem:
            problem = "an address has no spaces (not even before or after it)"
        if problem:
            shown = value.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")  # one line
            shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in shown)
            return ctx.error(line, f"{where}: '{shown}' is not valid (expected an e-mail address: "
                                   f"{problem})")
        return value

    def schema(self):
        return {**super().schema(), "format": "email",
                "pattern": "^" + re.sub(r"\?P<\w+>", "", ADDRESS_RE.pattern) + "$"}


class SiteUrl(Text):
    """`agency.site_url`: the portals' public address (http or https, no query)."""

    def check(self, value, ctx, line, where):
        padded = isinstance(value, str) and value.strip() != value and bool(value.strip())
        value = super().check(value, ctx, line, where)
        problem = site_url_problem(value) if value is not INVALID else None
        if padded and not problem:
            problem = "a URL has no spaces"
        if problem:
            shown = value.encode("ascii", "backslashreplace").decode()  # no control reaches a terminal
            return ctx.error(line, f"{where}: '{shown}' is not valid ({problem})")
        return value if value is INVALID else base_url(value)

    def schema(self):
        return {**super().schema(), "format": "uri", "pattern": "^https?://[^\\s?#]+$"}


EMAIL = EmailAddress(max_length=254)
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
CONTACT = Obj((
    *PERSON.fields,
    Field("reports", Boolean(), doc="false: this contact gets no report by e-mail (default true)"),
))

ENV_NAME = Text(pattern=r"[A-Za-z_][A-Za-z0-9_]*", pattern_hint=" (expected an environment variable name)")


def _check_access(raw: dict, node: YamlMap, ctx: Context, where: str) -> None:
    """Exactly one of password_env and people; no person named or keyed twice."""
    if (raw["password_env"] is None) == (raw["people"] is None):
        ctx.error(node.line, f"{where}: give either password_env (one password for the portal) or "
                             "people (one password each), not both and not neither")
        return
    if raw["people"] is None:
        return
    lines = node["people"].item_lines if isinstance(node["people"], YamlList) else []
    if not raw["people"]:
        ctx.error(node.line_of("people"), f"{where}.people: list at least one person")
    names: dict[str, int] = {}
    variables: dict[str, int] = {}
    for i, person in enumerate(raw["people"]):
        line = lines[i] if i < len(lines) else node.line_of("people")
        for seen, value, what in ((names, person["name"].casefold(), "name"),
                                  (variables, person["password_env"], "password_env")):
            if value in seen:
                ctx.error(line, f"{where}.people[{i + 1}].{what}: '{person[what]}' is already used "
                                f"by people[{seen[value]}] (each person has their own password)")
            seen.setdefault(value, i + 1)


class _AccessObj(Obj):
    """`access` in editor schemas too: exactly one of password_env and people."""

    def schema(self):
        out = super().schema()
        out["properties"]["people"]["minItems"] = 1
        out["oneOf"] = [{"required": ["password_env"]}, {"required": ["people"]}]
        return out


ACCESS = _AccessObj((
    Field("password_env", ENV_NAME, doc="the variable holding the portal's one password"),
    Field("people", ListOf(Obj((
        Field("name", Text(max_length=200), required=True, doc="who this key is for (not published)"),
        Field("password_env", ENV_NAME, required=True, doc="the variable holding their password"),
    ))), doc="one password per person: remove a person and rebuild to revoke them"),
), after=_check_access)

PERCENT_METRICS = ("ctr", "cvr")  # built-ins shown as percent (metrics.BUILTIN_UNITS)
_PERCENT_TEXT = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%")
_COMMA_NUMBER = re.compile(r"[+-]?[\d.,]*\d,[\d.,]*\s*%?")


class PercentTarget(float):
    """A target written as a percent (`2%`): the fraction (0.02), remembering its text."""

    text: str


class Target(Kind):
    """A KPI target: a number, or a percent written `2%` or `2 %` (the same as 0.02)."""

    json: ClassVar[dict] = {"anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*%\s*$"}]}

    def check(self, value, ctx, line, where):
        if isinstance(value, str):
            text = value.strip()
            match = _PERCENT_TEXT.fullmatch(text)
            if match:
                if not is_sane_number(float(match[1])) or float(match[1]) < 0:  # as every target
                    return Number(minimum=0).check(match[1], ctx, line, where)
                target = PercentTarget(float(match[1]) / 100)
                target.text = text
                return target
            if _COMMA_NUMBER.fullmatch(text):
                return ctx.error(line, (
                    f"{where}: '{text}' has a comma; write numbers with a decimal point and no "
                    "thousands separator (e.g. 0.02, 1500, or 2% for a percent)"))
        return Number(minimum=0).check(value, ctx, line, where)  # no target is below zero


def _check_target(raw: dict, node: YamlMap, ctx: Context, where: str) -> None:
    """`2%`, `2 %` and `0.02` are one target for a percent KPI; `2` is 200 %: a warning."""
    target = raw["target"]
    if target is None:
        return
    line = node.line_of("target")
    metric = raw["metric"]
    percent = raw["format"] == "percent" or (raw["format"] is None and metric in PERCENT_METRICS)
    if isinstance(target, PercentTarget):
        raw["target"] = float(target)
        if not percent:
            ctx.error(line, (f"{where}.target: '{target.text}' is a percent, but KPI '{metric}' is "
                             "not shown as a percent; write a plain number, or add format: percent"))
    elif percent and abs(target) > 1:
        ctx.warn(line, (f"{where}.target: {target:g} for the percent KPI '{metric}' means "
                        f"{target * 100:g} %; did you mean {target:g}%? (write target: {target:g}% "
                        f"or target: {target / 100:g})"))


KPI = Obj((
    Field("metric", Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a metric name)"),
          required=True, doc="a base metric (CSV column) or a derived metric"),
    Field("label", Text(max_length=200), doc="shown on the scorecard; default: the metric name"),
    Field("target", Target(), doc="the monthly target; for a percent KPI 2% (= 0.02)"),
    Field("better", Choice(("higher", "lower")), doc="which direction is good (default higher)"),
    Field("format", Choice(("number", "currency", "percent", "ratio")),
          doc="how values are shown; default: inferred from the metric"),
), after=_check_target)

METRICS = MapOf(Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a lower-case metric name)"),
                Text(max_length=500))

AGENCY = Obj((
    Field("name", Text(max_length=200), required=True),
    Field("website", URL),
    Field("logo", RELATIVE_PATH, doc="image file, relative to the project root"),
    Field("contact_email", EMAIL),
    Field("site_url", SiteUrl(max_length=500),
          doc="the portals' public base URL (https://...), for the links in e-mailed reports"),
    Field("email", Obj((
        Field("from", EMAIL, doc="the sender address (default: contact_email)"),
        Field("attach_pdf", Boolean(), doc="attach the month's report.pdf (needs build --pdf)"),
    )), doc="how `reportgen send` e-mails the monthly reports"),
    Field("plotly_js", RELATIVE_PATH,
          doc="a plotly.js bundle the site serves instead of the full one (e.g. the npm package "
              "plotly.js-basic-dist-min's plotly-basic.min.js), relative to the project root"),
    Field("overview", Obj((
        Field("password_env", ENV_NAME, doc="the variable holding the agency's overview password"),
    )), doc="`reportgen overview`, the agency's internal site: sealed when password_env is set"),
))

DEFAULTS = Obj((
    Field("locale", LOCALE),
    Field("currency", CURRENCY),
    Field("metrics", METRICS),
    Field("kpis", ListOf(KPI)),
), doc="values every client inherits unless it sets its own")

# Names Windows reserves for devices, in any folder and with any extension:
# a portal folder `con/` or `nul.x` cannot be created or copied there.
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                              *(f"lpt{i}" for i in range(1, 10))})


def is_windows_reserved(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED


class FolderName(Text):
    """A client id or slug: it names a folder of the site, safe on every file system."""

    def check(self, value, ctx, line, where):
        value = super().check(value, ctx, line, where)
        if value is not INVALID and is_windows_reserved(value):
            return ctx.error(line, f"{where}: '{value}' is a name Windows reserves for a device "
                                   "(con, prn, aux, nul, com1-9, lpt1-9); its folder could not be "
                                   "copied to Windows — choose another")
        return value

    def schema(self):
        out = super().schema()
        out["not"] = {"pattern": "^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])$"}
        return out


_FOLDER_HINT = " (lower-case letters, digits and '-', at most 63, starting with a letter or digit)"

CLIENT = Obj((
    Field("id", FolderName(pattern=CLIENT_ID_PATTERN, pattern_hint=_FOLDER_HINT),
          required=True, doc="unique; the client's URL segment unless it has a slug"),
    Field("slug", FolderName(pattern=CLIENT_ID_PATTERN, pattern_hint=_FOLDER_HINT),
          doc="the portal's URL segment (default: the id); an unguessable one for a protected portal"),
    Field("name", Text(max_length=200), required=True),
    Field("account_executive", PERSON, required=True),
    Field("contacts", ListOf(CONTACT)),
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
    Field("access", ACCESS, doc="a password-protected portal: password_env, or people (one key each)",
          empty_hint="give password_env or people, or remove the key"),
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
    if not os.path.lexists(path):
        return None, [Problem(CONFIG_FILE, None, f"no {CONFIG_FILE} in {root} (is --project right?)")]
    try:  # a FIFO or a symlink loop is refused without being opened
        raw = read_input_bytes(path)
    except UnreadableInputError as exc:
        return None, [Problem(CONFIG_FILE, None, exc.message)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem(CONFIG_FILE, line, f"not UTF-8 text: {exc.reason} (byte "
                                                 f"0x{raw[exc.start]:02X}); save the file as UTF-8")]
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
            plotly_js=_plotly_bundle_path(root, agency_raw["plotly_js"], document["agency"], ctx),
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
    _check_folders(client_nodes, ctx)
    # Without a valid agency block the errors above are raised anyway.
    agency = agency or Agency(name="")
    declared = frozenset(node["id"] for node in client_nodes
                         if isinstance(node, YamlMap) and isinstance(node.get("id"), str))
    return ProjectConfig(root=root, config_path=CONFIG_FILE, agency=agency, clients=tuple(clients),
                         declared_ids=declared, overview=_overview_settings(clean["agency"], document),
                         mail=_mail_settings(clean["agency"], document))


def _mail_settings(raw: Any, document: YamlMap) -> MailSettings:
    """`agency.site_url` and `agency.email`, for `reportgen send` (kept out of `Agency`)."""
    if not isinstance(raw, dict):
        return MailSettings()
    email = raw.get("email") or {}
    return MailSettings(site_url=raw.get("site_url"), sender=email.get("from") or raw.get("contact_email"),
                        attach_pdf=bool(email.get("attach_pdf")), line=document.line_of("agency"))


def _overview_settings(agency_raw: Any, document: YamlMap) -> OverviewSettings:
    """`agency.overview` (kept out of `Agency`: setting it never re-renders a portal)."""
    raw = agency_raw.get("overview") if isinstance(agency_raw, dict) else None
    if not raw:
        return OverviewSettings()
    node = document["agency"].get("overview")
    line = node.line_of("password_env") if isinstance(node, YamlMap) and "password_env" in node \
        else document["agency"].line_of("overview")
    return OverviewSettings(password_env=raw["password_env"], line=line)


def _check_folders(client_nodes: list, ctx: Context) -> None:
    """Each portal's folder (its slug, else its id) is its own: not another
    client's id or slug, and not one of the site's own folders."""
    ids: dict[str, int] = {}
    for node in client_nodes:
        if isinstance(node, YamlMap) and isinstance(node.get("id"), str):
            ids.setdefault(node["id"], node.line_of("id"))
    folders: dict[str, tuple[str, int]] = {}
    for index, node in enumerate(client_nodes):
        if not isinstance(node, YamlMap) or not isinstance(node.get("id"), str):
            continue
        client_id, slug = node["id"], node.get("slug")
        if not isinstance(slug, str) or slug == client_id:
            slug = None
        folder = slug or client_id
        line = node.line_of("slug") if slug else node.line_of("id")
        where = f"clients[{index + 1}].slug" if slug else f"clients[{index + 1}].id"
        if folder in RESERVED_FOLDERS:
            hint = "" if slug else " (give the client a slug)"
            ctx.error(line, f"{where}: '{folder}' is reserved for the site's shared files{hint}")
        elif slug and slug in ids:
            ctx.error(line, f"{where}: '{slug}' is the id of another client (line {ids[slug]}); "
                            "a slug must not be another client's address")
        elif folder in folders and folders[folder][0] != client_id:
            other, other_line = folders[folder]
            ctx.error(line, f"{where}: '{folder}' is already the address of client '{other}' "
                            f"(line {other_line})")
        folders.setdefault(folder, (client_id, line))


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
    access = _build_access(raw["access"], node.get("access"))
    return Client(
        id=raw["id"],
        name=raw["name"],
        account_executive=Person(**raw["account_executive"]),
        locale=locale,
        currency=currency,
        contacts=tuple(Person(**{**p, "reports": p["reports"] is not False}) for p in raw["contacts"] or []),
        brand=brand,
        since=Month.parse(raw["since"]) if raw["since"] else None,
        budget=budget,
        metrics=tuple(metrics),
        kpis=kpis,
        campaigns=tuple(campaigns),
        data=tuple(data),
        access=access,
        line=node.line,
        slug=raw["slug"] or raw["id"],
    )


def _build_access(raw: dict | None, node: Any) -> Access | None:
    if not raw:
        return None
    people = raw["people"] or []
    items = node.get("people") if isinstance(node, YamlMap) else None
    lines = items.item_lines if isinstance(items, YamlList) else [0] * len(people)
    return Access(password_env=raw["password_env"],
                  people=tuple(PortalPerson(p["name"], p["password_env"], line)
                               for p, line in zip(people, lines, strict=True)),
                  line=node.line if isinstance(node, YamlMap) else 0)


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


def _plotly_bundle_path(root: Path, value: str | None, node: YamlMap, ctx: Context) -> Path | None:
    """`agency.plotly_js`: a plotly.js bundle inside the project that draws every chart kind."""
    if not value:
        return None
    where, line = "agency.plotly_js", node.line_of("plotly_js")
    if not _check_relative(value, ctx, line, where):
        return None
    path = real_path(root / value)
    if not os.path.lexists(root / value):
        ctx.error(line, f"{where}: file '{value}' not found (see \"A lighter Plotly bundle\" in the "
                        "README for how to get one)")
        return None
    if not path.is_relative_to(real_path(root)):
        ctx.error(line, f"{where}: '{value}' points outside the project")
        return None
    try:
        _content, warnings = load_bundle(root / value)
    except BundleError as exc:
        ctx.error(line, f"{where}: '{value}' {exc.message}")
        return None
    for warning in warnings:
        ctx.warn(line, f"{where}: '{value}': {warning}")
    return path


def _image_path(root: Path, value: str | None, parent: Any, key: str, ctx: Context,
                where: str) -> Path | None:
    if not value:
        return None
    line = parent.line_of(key) if isinstance(parent, YamlMap) else None
    if not _check_relative(value, ctx, line, where):
        return None
    path = real_path(root / value)  # Path.resolve raises on a symlink loop (Python 3.11)
    if not path.is_relative_to(real_path(root)):
        ctx.error(line, f"{where}: '{value}' points outside the project")
        return None
    if not os.path.lexists(root / value):
        ctx.error(line, f"{where}: file '{value}' not found")
        return None
    unreadable = input_file_problem(root / value)  # a loop, a FIFO, a folder: never opened
    if unreadable:
        ctx.error(line, f"{where}: '{value}' is {unreadable}")
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        hint = ", ".join(sorted(IMAGE_SUFFIXES))
        ctx.error(line, f"{where}: '{value}' is not an image ({hint})")
        return None
    try:  # the file as it will be published: an SVG redrawn from an allow-list
        _content, removed = load_image(path)
    except ImageError as exc:
        ctx.error(line, f"{where}: '{value}' {exc}")
        return None
    if removed:
        ctx.warn(line, f"{where}: '{value}': left out of the published logo (a logo is a static "
                       f"drawing): {', '.join(removed)}")
    return path

