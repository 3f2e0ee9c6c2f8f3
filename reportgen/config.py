"""Load and validate clients.yaml into a frozen `ProjectConfig`.

Every field is declared once in clientsyaml.py (`CLIENTS_YAML`); this module
reads the file with those declarations, adds the checks that need the whole
file or the disk (duplicate ids and folders, locales, logos, paths), and builds
the model. All problems of the file are collected and raised together.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

import babel
import babel.numbers

from .clientsyaml import AGENCY, CLIENT, CURRENCY, DEFAULTS, LOCALE, TOP_LEVEL

# The field declarations moved to clientsyaml.py; these names are still read from here.
from .clientsyaml import CLIENT_ID_PATTERN as CLIENT_ID_PATTERN
from .clientsyaml import CLIENTS_YAML as CLIENTS_YAML
from .clientsyaml import WINDOWS_RESERVED as WINDOWS_RESERVED
from .clientsyaml import is_windows_reserved as is_windows_reserved
from .errors import InputError, Problem
from .formulas import FormulaError, parse_formula
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
from .schema import INVALID, Context
from .vocabulary import DEFAULT_BETTER
from .yamlfile import YamlError, YamlList, YamlMap, parse_yaml

CONFIG_FILE = "clients.yaml"
RESERVED_FOLDERS = ("assets",)  # the site's own folders: no client's id or slug
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif"}
DIMENSIONS = ("date", "campaign", "channel")


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
        return None, [
            Problem(
                CONFIG_FILE,
                line,
                f"not UTF-8 text: {exc.reason} (byte 0x{raw[exc.start]:02X}); save the file as UTF-8",
            )
        ]
    try:
        document = parse_yaml(text)
    except YamlError as exc:
        return None, [Problem(CONFIG_FILE, exc.line, exc.message)]
    if not isinstance(document, YamlMap):
        return None, [Problem(CONFIG_FILE, 1, "expected a mapping with 'agency' and 'clients'")]
    config = _build_config(root, document, ctx)
    return config, ctx.problems


def _build_config(root: Path, document: YamlMap, ctx: Context) -> ProjectConfig:
    clean = TOP_LEVEL.check(document, ctx, document.line, "")
    if clean is INVALID:
        # Still check every part that is valid on its own, so one run lists
        # every problem of the file (problems found twice are reported once).
        scratch = Context(ctx.path)
        agency_node, defaults_node = document.get("agency"), document.get("defaults")
        clean = {
            "agency": AGENCY.check(agency_node, scratch, document.line_of("agency"), "agency"),
            "defaults": DEFAULTS.check(defaults_node, scratch, document.line_of("defaults"), "defaults")
            if defaults_node is not None
            else None,
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
    client_nodes = clean["clients"] if isinstance(clean["clients"], YamlList) else YamlList()
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
    declared = frozenset(
        node["id"] for node in client_nodes if isinstance(node, YamlMap) and isinstance(node.get("id"), str)
    )
    return ProjectConfig(
        root=root,
        config_path=CONFIG_FILE,
        agency=agency,
        clients=tuple(clients),
        declared_ids=declared,
        overview=_overview_settings(clean["agency"], document),
        mail=_mail_settings(clean["agency"], document),
    )


def _mail_settings(raw: Any, document: YamlMap) -> MailSettings:
    """`agency.site_url` and `agency.email`, for `reportgen send` (kept out of `Agency`)."""
    if not isinstance(raw, dict):
        return MailSettings()
    email = raw.get("email") or {}
    return MailSettings(
        site_url=raw.get("site_url"),
        sender=email.get("from") or raw.get("contact_email"),
        attach_pdf=bool(email.get("attach_pdf")),
        line=document.line_of("agency"),
    )


def _overview_settings(agency_raw: Any, document: YamlMap) -> OverviewSettings:
    """`agency.overview` (kept out of `Agency`: setting it never re-renders a portal)."""
    raw = agency_raw.get("overview") if isinstance(agency_raw, dict) else None
    if not raw:
        return OverviewSettings()
    node = document["agency"].get("overview")
    line = (
        node.line_of("password_env")
        if isinstance(node, YamlMap) and "password_env" in node
        else document["agency"].line_of("overview")
    )
    return OverviewSettings(password_env=raw["password_env"], line=line)


def _check_folders(client_nodes: YamlList, ctx: Context) -> None:
    """Each portal's folder (its slug, else its id) is its own: not another
    client's id or slug, and not one of the site's own folders."""
    ids: dict[str, int | None] = {}
    for node in client_nodes:
        if isinstance(node, YamlMap) and isinstance(node.get("id"), str):
            ids.setdefault(node["id"], node.line_of("id"))
    folders: dict[str, tuple[str, int | None]] = {}
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
            ctx.error(
                line,
                f"{where}: '{slug}' is the id of another client (line {ids[slug]}); "
                "a slug must not be another client's address",
            )
        elif folder in folders and folders[folder][0] != client_id:
            other, other_line = folders[folder]
            ctx.error(
                line, f"{where}: '{folder}' is already the address of client '{other}' (line {other_line})"
            )
        folders.setdefault(folder, (client_id, line))


def _check_fields_of_invalid_client(root: Path, node: YamlMap, ctx: Context, where: str) -> None:
    """The checks beyond the schema, for the fields that passed it on their own.

    A client with one bad field is not built, but its other fields still get
    every check, so one run lists all of the file's problems.
    """
    scratch = Context(ctx.path)
    locale = node.get("locale")
    if isinstance(locale, str) and LOCALE.check(locale, scratch, 0, "") is not INVALID:
        _check_locale(locale, ctx, node.line_of("locale"), f"{where}.locale")
    currency = node.get("currency")
    if (
        isinstance(currency, str)
        and CURRENCY.check(currency, scratch, 0, "") is not INVALID
        and not babel.numbers.is_currency(currency)
    ):
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


def _build_client(
    root: Path,
    raw: dict[str, Any],
    node: YamlMap,
    defaults: dict[str, Any],
    defaults_node: YamlMap,
    ctx: Context,
    where: str,
) -> Client:
    locale = raw["locale"] or defaults.get("locale") or "en_US"
    locale_line = node.line_of("locale") if raw["locale"] else defaults_node.line_of("locale")
    locale = _check_locale(locale, ctx, locale_line, f"{where}.locale")
    currency = raw["currency"] or defaults.get("currency") or "USD"
    currency_line = node.line_of("currency") if raw["currency"] else defaults_node.line_of("currency")
    if not babel.numbers.is_currency(currency):
        ctx.error(currency_line, f"{where}.currency: unknown currency code '{currency}'")

    kpi_rows, kpi_node = (
        (raw["kpis"], node.get("kpis"))
        if raw["kpis"] is not None
        else (defaults.get("kpis") or [], defaults_node.get("kpis"))
    )
    kpis = tuple(
        _build_kpi(k, kpi_node.line_of(i) if kpi_node else node.line) for i, k in enumerate(kpi_rows)
    )

    formulas: dict[str, tuple[str, int | None]] = {}
    for source, source_node in (
        (defaults.get("metrics"), defaults_node.get("metrics")),
        (raw["metrics"], node.get("metrics")),
    ):
        for name, text in (source or {}).items():  # a metric given: its node is a mapping
            formulas[name] = (text, source_node.line_of(name) if isinstance(source_node, YamlMap) else None)
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
            ctx.error(
                campaigns_node.line_of(i) if isinstance(campaigns_node, YamlList) else None,
                f"{where}.campaigns: duplicate campaign id '{c['id']}'",
            )
        campaign_ids.add(c["id"])
        campaigns.append(
            Campaign(id=c["id"], name=c["name"] or c["id"], channel=c["channel"], budget=c["budget"])
        )

    data = []
    data_node = node.get("data")
    for i, item in enumerate(raw["data"] or []):
        if isinstance(data_node, YamlList):
            item_line = data_node.line_of(i)
        elif isinstance(data_node, YamlMap):  # one entry written as a mapping: its own line
            item_line = data_node.line
        else:
            item_line = node.line_of("data")
        item = {"path": item} if isinstance(item, str) else item
        if _check_relative(item["path"], ctx, item_line, f"{where}.data"):
            data.append(
                DataSource(
                    pattern=item["path"],
                    line=item_line,
                    format=item.get("format") or "auto",
                    currency=item.get("currency"),
                    campaign_map=tuple(
                        sorted((str(k), v) for k, v in (item.get("campaign_map") or {}).items())
                    ),
                    channel=item.get("channel"),
                    leads=item.get("leads"),
                )
            )

    brand_raw = raw["brand"] or {}
    brand = Brand(
        color=_normalise_color(brand_raw.get("color") or "#2563eb"),
        logo=_image_path(root, brand_raw.get("logo"), node.get("brand"), "logo", ctx, f"{where}.brand.logo"),
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


def _build_access(raw: dict[str, Any] | None, node: Any) -> Access | None:
    if not raw:
        return None
    people = raw["people"] or []
    items = node.get("people") if isinstance(node, YamlMap) else None
    lines = items.item_lines if isinstance(items, YamlList) else [0] * len(people)
    return Access(
        password_env=raw["password_env"],
        people=tuple(
            PortalPerson(p["name"], p["password_env"], line) for p, line in zip(people, lines, strict=True)
        ),
        line=node.line if isinstance(node, YamlMap) else 0,
    )


def _build_kpi(raw: dict[str, Any], line: int | None) -> Kpi:
    return Kpi(
        metric=raw["metric"],
        label=raw["label"] or None,  # None: the metric's default words, translated when shown
        target=raw["target"],
        better=raw["better"] or DEFAULT_BETTER,
        format=raw["format"],
        line=line,
    )


def _check_locale(value: str, ctx: Context, line: int | None, where: str) -> str:
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


def _check_relative(value: str, ctx: Context, line: int | None, where: str) -> bool:
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
        ctx.error(
            line,
            f"{where}: file '{value}' not found (see \"A lighter Plotly bundle\" in the "
            "README for how to get one)",
        )
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


def _image_path(
    root: Path, value: str | None, parent: Any, key: str, ctx: Context, where: str
) -> Path | None:
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
        ctx.warn(
            line,
            f"{where}: '{value}': left out of the published logo (a logo is a static "
            f"drawing): {', '.join(removed)}",
        )
    return path
