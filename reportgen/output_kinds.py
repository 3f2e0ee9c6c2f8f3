"""The output seam: what a build makes from the built model, one registered kind per file.

A kind is a function from a built model to files, registered under a name:

- a *month* kind gets a `MonthBuild` (one client month: its plan, figures,
  logo, whether it is sealed) and returns files by name inside the month's
  folder (`2026-10/`): the report page, `metrics.csv`, `report.json`, the
  `report.pdf` that `build --pdf` prints (pdf.py);
- a *client* kind gets a `ClientBuild` and returns files inside the client's
  folder: the portal home;
- an *agency* kind gets an `AgencyBuild` (every client's status summary) and
  returns files of a site of its own: the internal overview (overview.py).

Kinds run in the order they were registered, and each sees the files the
kinds before it made (the report page embeds the downloads on a protected
portal; the PDF placeholder is made from the page). Sealing and writing stay
elsewhere: the renderer seals what a month or client kind returns (unless the
kind says it is sealed later, as the PDF is), and output.py is the only
writer. Adding a format is one registered function and one test:

    @month_output("summary.txt")
    def summary(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
        return {"summary.txt": f"{built.plan.client.name} {built.month}\\n".encode()}

(e-mail, `reportgen send`, is not a file of the site: mail.py builds each
message from the same month model, `MonthBuild`, through `mail.mail_content`.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from . import metrics as m
from . import pages
from .digests import report_clock
from .model import Month

if TYPE_CHECKING:  # the renderer imports this module to find its kinds
    from .agency import AgencyStatus
    from .assets import SiteAssets
    from .protect import Sealer
    from .site import ClientPlan, SiteRenderer


@dataclass(frozen=True)
class MonthBuild:
    """One client month, built: everything a month kind is made from."""

    plan: ClientPlan  # plan.today is already the report's clock (digests.report_clock)
    month: Month
    figures: m.MonthFigures
    logo: str | None  # the client logo's address from the month's page, or a data: URI
    sealed: bool  # a protected portal: the renderer seals every file a kind returns
    pdf: bool  # `build --pdf`
    renderer: SiteRenderer  # templates, assets, the page contexts


@dataclass(frozen=True)
class ClientBuild:
    """One client's portal, built: everything a client kind is made from."""

    plan: ClientPlan
    logo: str | None
    sealed: bool
    renderer: SiteRenderer


@dataclass(frozen=True)
class AgencyBuild:
    """Every client of the agency, summarised (agency.collect_summaries)."""

    status: AgencyStatus
    assets: SiteAssets
    sealer: Sealer | None
    site_base: str  # how its pages reach the portals
    today: dt.date


Built = TypeVar("Built", MonthBuild, ClientBuild, AgencyBuild)
# (the built model, the files made by the kinds before) → {file name: bytes}
Maker = Callable[[Built, Mapping[str, bytes]], dict[str, bytes]]


@dataclass(frozen=True)
class OutputKind(Generic[Built]):
    name: str
    make: Callable[[Built, Mapping[str, bytes]], dict[str, bytes]]
    sealed_later: bool = False  # True: written as made, sealed by its own stage (the PDF)


MONTH_OUTPUTS: list[OutputKind[MonthBuild]] = []
CLIENT_OUTPUTS: list[OutputKind[ClientBuild]] = []
AGENCY_OUTPUTS: list[OutputKind[AgencyBuild]] = []


def month_output(
    name: str, *, sealed_later: bool = False
) -> Callable[[Maker[MonthBuild]], Maker[MonthBuild]]:
    """Register a month kind (a decorator): its files go into every report's folder."""

    def register(make: Maker[MonthBuild]) -> Maker[MonthBuild]:
        MONTH_OUTPUTS.append(OutputKind(name, make, sealed_later))
        return make

    return register


def client_output(name: str) -> Callable[[Maker[ClientBuild]], Maker[ClientBuild]]:
    """Register a client kind (a decorator): its files go into every client's folder."""

    def register(make: Maker[ClientBuild]) -> Maker[ClientBuild]:
        CLIENT_OUTPUTS.append(OutputKind(name, make))
        return make

    return register


def agency_output(name: str) -> Callable[[Maker[AgencyBuild]], Maker[AgencyBuild]]:
    """Register an agency kind (a decorator): its files go into the agency's own site."""

    def register(make: Maker[AgencyBuild]) -> Maker[AgencyBuild]:
        AGENCY_OUTPUTS.append(OutputKind(name, make))
        return make

    return register


def month_figures(plan: ClientPlan, month: Month) -> m.MonthFigures:
    """A report's figures at the report's own clock: what its page, report.json, PDF and
    e-mail message (mail.py) all show."""
    return m.compute_month(plan.facts, month, report_clock(month, plan.today))


def make_all(kinds: list[OutputKind[Built]], built: Built) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Run `kinds` in order: (the files to seal, the files sealed later), by name."""
    made: dict[str, bytes] = {}
    later: dict[str, bytes] = {}
    for kind in kinds:
        files = kind.make(built, {**made, **later})
        (later if kind.sealed_later else made).update(files)
    return made, later


def added_kinds() -> tuple[str, ...]:
    """Kinds registered beyond reportgen's own: part of the site key (assets.py), so a
    new kind is built for the months an earlier build already made."""
    return tuple(k.name for k in MONTH_OUTPUTS + CLIENT_OUTPUTS if k.name not in BUILTIN_NAMES)


@contextmanager
def registered(kind: OutputKind[MonthBuild]) -> Iterator[None]:
    """A month kind for the length of a block (tests, scripts that build one extra format)."""
    MONTH_OUTPUTS.append(kind)
    try:
        yield
    finally:
        MONTH_OUTPUTS.remove(kind)


# --- reportgen's own month and client outputs ---------------------------------------------


@month_output("metrics.csv")
def metrics_csv(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """The month's rows in the canonical format (SPEC 4), for download."""
    return {"metrics.csv": pages.metrics_csv(built.plan.facts, built.month).encode()}


@month_output("report.json")
def report_json(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every figure of the report, unrounded (SPEC 4)."""
    return {"report.json": json_bytes(pages.report_json(built.plan.facts, built.figures))}


@month_output("index.html")
def report_page(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """The report page. A protected page carries its downloads inside the sealed page:
    the browser cannot fetch files from file://, and the files beside it are sealed."""
    embedded = (
        {name: made[name].decode() for name in ("metrics.csv", "report.json")} if built.sealed else None
    )
    return {
        "index.html": built.renderer.report_page(built.plan, built.figures, built.logo, embedded).encode()
    }


@client_output("index.html")
def home_page(built: ClientBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """The client's portal home: latest KPIs, trends, open next steps, every report."""
    return {"index.html": built.renderer.home_page(built.plan, built.logo).encode()}


def json_bytes(value: object) -> bytes:
    """`json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False)` and a newline,
    written by `_indented` (the json module's indenting encoder is pure Python, and several
    times slower); anything `_indented` does not know is json.dumps's, with its errors."""
    parts: list[str] = []
    try:
        _indented(value, "\n", parts)
    except _NotPlain:
        return (json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode()
    parts.append("\n")
    return "".join(parts).encode()


class _NotPlain(Exception):
    """A value json_bytes leaves to the json module."""


_json_text = json.encoder.encode_basestring  # the C encoder's own, for ensure_ascii=False


def _indented(value: object, newline: str, parts: list[str]) -> None:
    """`value` as json.dumps(indent=1) writes it, at the indent that `newline` carries."""
    kind = value.__class__
    if kind is str:
        parts.append(_json_text(value))  # type: ignore[arg-type]
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise _NotPlain  # json.dumps refuses it (allow_nan=False)
        parts.append(float.__repr__(value))
    elif kind is dict:
        items = value.items()  # type: ignore[attr-defined]
        if not items:
            parts.append("{}")
            return
        inner = newline + " "
        separator = "{"
        for key, item in items:
            if key.__class__ is not str:
                raise _NotPlain  # json.dumps turns numbers into keys: left to it
            text = _scalar_text(item)
            if text is None:
                parts.append(separator + inner + _json_text(key) + ": ")
                _indented(item, inner, parts)
            else:  # a number, text or null: written here, without a call per value
                parts.append(separator + inner + _json_text(key) + ": " + text)
            separator = ","
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = newline + " "
        separator = "["
        for item in value:  # type: ignore[attr-defined]
            parts.append(separator + inner)
            _indented(item, inner, parts)
            separator = ","
        parts.append(newline + "]")
    else:
        raise _NotPlain


def _scalar_text(value: object) -> str | None:
    """A finite float, an int, a str or None as `_indented` writes it; None for anything else
    (which `_indented` then writes, or refuses)."""
    if type(value) is float:
        if value - value == 0.0:  # finite: inf - inf and nan - nan are nan
            return float.__repr__(value)
        return None
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return _json_text(value)
    if value is None:
        return "null"
    return None


BUILTIN_NAMES = frozenset({"metrics.csv", "report.json", "index.html", "report.pdf"})
