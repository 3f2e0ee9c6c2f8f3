"""clients.yaml's fields, each declared once: they validate the file and are
exported as JSON Schema for editors (`CLIENTS_YAML`).

config.py loads the file with these declarations and builds the model from
what they return; the checks that need the whole file (folders, duplicate
ids, files on disk) live there.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .addresses import ADDRESS_RE, address_problem, base_url, site_url_problem
from .formulas import NAME_RE
from .importers import FORMAT_NAMES
from .schema import (
    INVALID,
    Boolean,
    Choice,
    Context,
    Field,
    JsonSchema,
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
from .vocabulary import PERCENT_METRICS
from .yamlfile import YamlList, YamlMap

CLIENT_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"  # ids and slugs: URL-safe, one case


class EmailAddress(Text):
    """An e-mail address by reportgen's one strict rule (addresses.py): what `send`
    writes to, and what `check` and `build` accept, are the same."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        padded = isinstance(value, str) and value.strip() != value and bool(value.strip())
        value = super().check(value, ctx, line, where)
        problem = address_problem(value) if value is not INVALID else None
        if padded and not problem:
            problem = "an address has no spaces (not even before or after it)"
        if problem:
            shown = value.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")  # one line
            shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in shown)
            return ctx.error(line, f"{where}: '{shown}' is not valid (expected an e-mail address: {problem})")
        return value

    def schema(self) -> JsonSchema:
        return {
            **super().schema(),
            "format": "email",
            "pattern": "^" + re.sub(r"\?P<\w+>", "", ADDRESS_RE.pattern) + "$",
        }


class SiteUrl(Text):
    """`agency.site_url`: the portals' public address (http or https, no query)."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        padded = isinstance(value, str) and value.strip() != value and bool(value.strip())
        value = super().check(value, ctx, line, where)
        problem = site_url_problem(value) if value is not INVALID else None
        if padded and not problem:
            problem = "a URL has no spaces"
        if problem:
            shown = value.encode("ascii", "backslashreplace").decode()  # no control reaches a terminal
            return ctx.error(line, f"{where}: '{shown}' is not valid ({problem})")
        return value if value is INVALID else base_url(value)

    def schema(self) -> JsonSchema:
        return {**super().schema(), "format": "uri", "pattern": "^https?://[^\\s?#]+$"}


EMAIL = EmailAddress(max_length=254)
URL = Text(pattern=r"https?://\S+", pattern_hint=" (expected an http(s):// address)")
RELATIVE_PATH = Text(max_length=500)
COLOR = Text(pattern=r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", pattern_hint=" (expected #rrggbb)")
LOCALE = Text(
    pattern=r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*", pattern_hint=" (expected a locale id such as en_US)"
)
CURRENCY = Text(pattern=r"[A-Z]{3}", pattern_hint=" (expected an ISO 4217 code such as USD)")

PERSON = Obj(
    (
        Field("name", Text(max_length=200), required=True),
        Field("email", EMAIL),
        Field("phone", Text(max_length=50, numbers_ok=True)),
        Field("role", Text(max_length=200)),
    )
)
CONTACT = Obj(
    (
        *PERSON.fields,
        Field("reports", Boolean(), doc="false: this contact gets no report by e-mail (default true)"),
    )
)

ENV_NAME = Text(pattern=r"[A-Za-z_][A-Za-z0-9_]*", pattern_hint=" (expected an environment variable name)")


def _check_access(raw: dict[str, Any], node: YamlMap, ctx: Context, where: str) -> None:
    """Exactly one of password_env and people; no person named or keyed twice."""
    if (raw["password_env"] is None) == (raw["people"] is None):
        ctx.error(
            node.line,
            f"{where}: give either password_env (one password for the portal) or "
            "people (one password each), not both and not neither",
        )
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
        for seen, value, what in (
            (names, person["name"].casefold(), "name"),
            (variables, person["password_env"], "password_env"),
        ):
            if value in seen:
                ctx.error(
                    line,
                    f"{where}.people[{i + 1}].{what}: '{person[what]}' is already used "
                    f"by people[{seen[value]}] (each person has their own password)",
                )
            seen.setdefault(value, i + 1)


class _AccessObj(Obj):
    """`access` in editor schemas too: exactly one of password_env and people."""

    def schema(self) -> JsonSchema:
        out = super().schema()
        out["properties"]["people"]["minItems"] = 1
        out["oneOf"] = [{"required": ["password_env"]}, {"required": ["people"]}]
        return out


ACCESS = _AccessObj(
    (
        Field("password_env", ENV_NAME, doc="the variable holding the portal's one password"),
        Field(
            "people",
            ListOf(
                Obj(
                    (
                        Field(
                            "name",
                            Text(max_length=200),
                            required=True,
                            doc="who this key is for (not published)",
                        ),
                        Field(
                            "password_env", ENV_NAME, required=True, doc="the variable holding their password"
                        ),
                    )
                )
            ),
            doc="one password per person: remove a person and rebuild to revoke them",
        ),
    ),
    after=_check_access,
)

_PERCENT_TEXT = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%")
_COMMA_NUMBER = re.compile(r"[+-]?[\d.,]*\d,[\d.,]*\s*%?")


class PercentTarget(float):
    """A target written as a percent (`2%`): the fraction (0.02), remembering its text."""

    text: str


class Target(Kind):
    """A KPI target: a number, or a percent written `2%` or `2 %` (the same as 0.02)."""

    json: ClassVar[JsonSchema] = {
        "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*%\s*$"}]
    }

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
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
                return ctx.error(
                    line,
                    (
                        f"{where}: '{text}' has a comma; write numbers with a decimal point and no "
                        "thousands separator (e.g. 0.02, 1500, or 2% for a percent)"
                    ),
                )
        return Number(minimum=0).check(value, ctx, line, where)  # no target is below zero


def _check_target(raw: dict[str, Any], node: YamlMap, ctx: Context, where: str) -> None:
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
            ctx.error(
                line,
                (
                    f"{where}.target: '{target.text}' is a percent, but KPI '{metric}' is "
                    "not shown as a percent; write a plain number, or add format: percent"
                ),
            )
    elif percent and abs(target) > 1:
        ctx.warn(
            line,
            (
                f"{where}.target: {target:g} for the percent KPI '{metric}' means "
                f"{target * 100:g} %; did you mean {target:g}%? (write target: {target:g}% "
                f"or target: {target / 100:g})"
            ),
        )


KPI = Obj(
    (
        Field(
            "metric",
            Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a metric name)"),
            required=True,
            doc="a base metric (CSV column) or a derived metric",
        ),
        Field(
            "label",
            Text(max_length=200),
            doc="shown on the scorecard; default: the metric's label in the client's language",
        ),
        Field("target", Target(), doc="the monthly target; for a percent KPI 2% (= 0.02)"),
        Field("better", Choice(("higher", "lower")), doc="which direction is good (default higher)"),
        Field(
            "format",
            Choice(("number", "currency", "percent", "ratio")),
            doc="how values are shown; default: inferred from the metric",
        ),
    ),
    after=_check_target,
)

METRICS = MapOf(
    Text(pattern=NAME_RE.pattern, pattern_hint=" (expected a lower-case metric name)"), Text(max_length=500)
)

AGENCY = Obj(
    (
        Field("name", Text(max_length=200), required=True),
        Field("website", URL),
        Field("logo", RELATIVE_PATH, doc="image file, relative to the project root"),
        Field("contact_email", EMAIL),
        Field(
            "site_url",
            SiteUrl(max_length=500),
            doc="the portals' public base URL (https://...), for the links in e-mailed reports",
        ),
        Field(
            "email",
            Obj(
                (
                    Field("from", EMAIL, doc="the sender address (default: contact_email)"),
                    Field("attach_pdf", Boolean(), doc="attach the month's report.pdf (needs build --pdf)"),
                )
            ),
            doc="how `reportgen send` e-mails the monthly reports",
        ),
        Field(
            "plotly_js",
            RELATIVE_PATH,
            doc="a plotly.js bundle the site serves instead of the full one (e.g. the npm package "
            "plotly.js-basic-dist-min's plotly-basic.min.js), relative to the project root",
        ),
        Field(
            "overview",
            Obj(
                (Field("password_env", ENV_NAME, doc="the variable holding the agency's overview password"),)
            ),
            doc="`reportgen overview`, the agency's internal site: sealed when password_env is set",
        ),
    )
)

DEFAULTS = Obj(
    (
        Field("locale", LOCALE),
        Field("currency", CURRENCY),
        Field("metrics", METRICS),
        Field("kpis", ListOf(KPI)),
    ),
    doc="values every client inherits unless it sets its own",
)

# Names Windows reserves for devices, in any folder and with any extension:
# a portal folder `con/` or `nul.x` cannot be created or copied there.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def is_windows_reserved(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED


class FolderName(Text):
    """A client id or slug: it names a folder of the site, safe on every file system."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        value = super().check(value, ctx, line, where)
        if value is not INVALID and is_windows_reserved(value):
            return ctx.error(
                line,
                f"{where}: '{value}' is a name Windows reserves for a device "
                "(con, prn, aux, nul, com1-9, lpt1-9); its folder could not be "
                "copied to Windows — choose another",
            )
        return value

    def schema(self) -> JsonSchema:
        out = super().schema()
        out["not"] = {"pattern": "^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])$"}
        return out


_FOLDER_HINT = " (lower-case letters, digits and '-', at most 63, starting with a letter or digit)"

CLIENT = Obj(
    (
        Field(
            "id",
            FolderName(pattern=CLIENT_ID_PATTERN, pattern_hint=_FOLDER_HINT),
            required=True,
            doc="unique; the client's URL segment unless it has a slug",
        ),
        Field(
            "slug",
            FolderName(pattern=CLIENT_ID_PATTERN, pattern_hint=_FOLDER_HINT),
            doc="the portal's URL segment (default: the id); an unguessable one for a protected portal",
        ),
        Field("name", Text(max_length=200), required=True),
        Field("account_executive", PERSON, required=True),
        Field("contacts", ListOf(CONTACT)),
        Field("locale", LOCALE),
        Field("currency", CURRENCY),
        Field("brand", Obj((Field("color", COLOR), Field("logo", RELATIVE_PATH)))),
        Field("since", MonthKind(), doc="first month to report (YYYY-MM)"),
        Field(
            "budget",
            Obj(
                (
                    Field("monthly", Number()),
                    Field("months", MapOf(MonthKind(), Number())),
                )
            ),
        ),
        Field("metrics", METRICS, doc="derived metrics: arithmetic over metric names"),
        Field("kpis", ListOf(KPI)),
        Field(
            "campaigns",
            ListOf(
                Obj(
                    (
                        Field("id", Text(max_length=200, numbers_ok=True), required=True),
                        Field("name", Text(max_length=200)),
                        Field("channel", Text(max_length=100)),
                        Field("budget", Number()),
                    )
                )
            ),
        ),
        Field(
            "data",
            ListOf(
                TextOr(
                    Text(max_length=500),
                    Obj(
                        (
                            Field(
                                "path",
                                Text(max_length=500),
                                required=True,
                                doc="path or glob, relative to the project",
                            ),
                            Field(
                                "format", Choice(FORMAT_NAMES), doc="default auto: detected from the header"
                            ),
                            Field("currency", CURRENCY, doc="the export's currency when it does not say"),
                            Field(
                                "campaign_map",
                                MapOf(Text(max_length=200, numbers_ok=True), Text(max_length=200)),
                                doc="campaign names in the export → campaign ids",
                            ),
                            Field("channel", Text(max_length=100), doc="channel for rows that have none"),
                            Field(
                                "leads",
                                Text(max_length=200),
                                doc=(
                                    "the column, or Meta result indicator (e.g. actions:lead), "
                                    "that counts as leads"
                                ),
                            ),
                        )
                    ),
                ),
                scalar_ok=True,
            ),
            doc="metric files: CSV paths or globs, or {path, format, ...}",
        ),
        Field(
            "access",
            ACCESS,
            doc="a password-protected portal: password_env, or people (one key each)",
            empty_hint="give password_env or people, or remove the key",
        ),
    )
)

CLIENTS_YAML = Obj(
    (
        Field("agency", AGENCY, required=True),
        Field("defaults", DEFAULTS),
        Field("clients", ListOf(CLIENT), required=True),
    )
)


class _EachLater(Kind):
    """Loading checks the clients one by one, so one bad client hides nothing else."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if not isinstance(value, list):
            return ctx.error(line, f"{where}: expected a list of clients, got {type_name(value)}")
        return value


TOP_LEVEL = Obj(
    (
        Field("agency", AGENCY, required=True),
        Field("defaults", DEFAULTS),
        Field("clients", _EachLater(), required=True),
    )
)
