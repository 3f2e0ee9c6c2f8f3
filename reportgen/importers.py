"""Platform exports — Google Ads, Meta Ads, LinkedIn Ads, GA4 — read as they come.

An AE drops the file the platform gave them into `data/`; this module finds
the header below any preamble, detects the encoding, the delimiter and the
platform, maps the platform's column names to canonical metrics, drops totals
rows, and reads numbers the way the export wrote them (currency symbols,
thousands separators, `--` for missing, micros). Ratios in the export are
ignored: reports recompute them from sums. Anything it cannot read is an error
naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .errors import Problem, either
from .model import MetricRow, MetricTable, date_in_range, outside_range
from .schema import LARGEST_NUMBER_TEXT, is_sane_number

MISSING = {"", "--", "-", "—", "–", "no data", "n/a", "na", "(not set)", "null", "none"}
TOTAL_WORDS = ("total", "totals", "итого", "gesamt", "summe", "totale", "totaal", "tổng", "合计", "合計")
MAX_ERRORS = 20


@dataclass(frozen=True)
class SourceSettings:
    """Per-source options from clients.yaml's data entries."""

    format: str = "auto"
    currency: str | None = None
    campaign_map: tuple[tuple[str, str], ...] = ()
    channel: str | None = None
    leads: str | None = None  # a column, or a Meta result indicator such as actions:lead


@dataclass(frozen=True)
class Profile:
    """How an export's columns map to reportgen's: each field lists the header names
    (lower-case) the platform writes, in every language it writes them."""

    date: tuple[str, ...]
    date_formats: tuple[str, ...]
    campaign: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    currency: tuple[str, ...] = ()
    # A date column named for a period: each row covers that whole week or month
    # (Google Ads "Week" is the week starting on the row's date).
    grains: dict[str, str] = field(default_factory=dict)
    micros: bool = False  # cost may come in micros (1,000,000 = 1 unit): API/BigQuery exports
    # `leads: <indicator>` picks rows of a results column by its indicator column (Meta)
    results: tuple[str, ...] = ()
    result_indicator: tuple[str, ...] = ()


@dataclass(frozen=True)
class Platform:
    """One import format: the `format:` value that names it, how its header is
    recognised and how its columns are read. Every list of formats (clients.yaml's
    `format:`, `import --format`, messages, the README's table) derives from PLATFORMS."""

    name: str  # the `format:` value
    title: str  # as messages name it
    detect: Callable[[Sequence[str]], bool]  # a header line's cells -> is it this format's header
    profile: Profile | None  # None: reportgen's canonical CSV, read by sources.py
    # Headers are tried in this order, lowest first: a header two formats could claim
    # belongs to the more specific one (canonical's plain names before Google's `cost`).
    tried: int = 10


def _folded(cells: Sequence[str]) -> set[str]:
    return {c.casefold() for c in cells}


def _is_canonical(cells: Sequence[str]) -> bool:
    return "date" in cells and all(re.fullmatch(r"[a-z_][a-z0-9_]*", c) for c in cells if c)


def _is_google_ads(cells: Sequence[str]) -> bool:
    names = _folded(cells)
    return bool(names & {"impr.", "cost", "cost (micros)", "cost_micros"}) and bool(
        names & {"day", "month", "week", "campaign", "account", "date", "customer id"}
    )


def _is_meta_ads(cells: Sequence[str]) -> bool:
    names = _folded(cells)
    return any(SPEND_HEADER.match(n) for n in names) or bool(
        names & {"reporting starts", "link clicks", "début des rapports"}
    )


def _is_linkedin_ads(cells: Sequence[str]) -> bool:
    return bool(_folded(cells) & {"start date (in utc)", "total spent"})


def _is_ga4(cells: Sequence[str]) -> bool:
    return bool(
        _folded(cells)
        & {"session primary channel group", "session default channel group", "engaged sessions"}
    )


SPEND_HEADER = re.compile(r"^(amount spent|montant dépensé|betrag ausgegeben|importe gastado)\s*\((\w{3})\)$")
GOOGLE_DATES = (
    "%Y-%m-%d",
    "%a, %b %d, %Y",
    "%b %d, %Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%B %Y",
    "%b %Y",
    "%Y-%m",
)  # the last three: a Month column

# As messages and the README list them.
PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "google_ads",
            "Google Ads",
            tried=4,
            detect=_is_google_ads,
            profile=Profile(
                date=("day", "date", "month", "week"),
                date_formats=GOOGLE_DATES,
                campaign=("campaign", "campaign name"),
                metrics={
                    "impressions": ("impr.", "impressions", "impr"),
                    "clicks": ("clicks",),
                    "spend": ("cost", "cost (micros)", "cost_micros"),
                    "conversions": ("conversions", "conv."),
                    "revenue": ("conv. value", "total conv. value", "conversion value"),
                },
                currency=("currency", "currency code"),
                grains={"week": "week", "month": "month"},
                micros=True,
            ),
        ),
        Platform(
            "meta_ads",
            "Meta Ads",
            tried=2,
            detect=_is_meta_ads,
            profile=Profile(
                date=("day", "date", "jour", "tag", "día"),
                date_formats=("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y"),
                campaign=("campaign name", "nom de la campagne", "kampagnenname", "nombre de la campaña"),
                metrics={
                    "impressions": ("impressions", "impressionen", "impresiones"),
                    "reach": ("reach", "couverture", "reichweite", "alcance"),
                    "clicks": ("link clicks", "clics sur un lien", "link-klicks", "clics en el enlace"),
                    "conversions": ("purchases", "achats", "käufe", "compras"),
                    "revenue": ("purchases conversion value", "valeur de conversion des achats"),
                },
                currency=("currency",),
                results=("results", "résultats", "ergebnisse", "resultados"),
                result_indicator=("result indicator", "indicateur de résultats", "ergebnisindikator"),
            ),
        ),
        Platform(
            "linkedin_ads",
            "LinkedIn Ads",
            tried=1,
            detect=_is_linkedin_ads,
            profile=Profile(
                date=("start date (in utc)", "start date"),
                date_formats=("%m/%d/%Y", "%Y-%m-%d"),
                campaign=("campaign name", "campaign"),
                metrics={
                    "impressions": ("impressions",),
                    "clicks": ("clicks",),
                    "spend": ("total spent",),
                    "conversions": ("conversions",),
                    "revenue": ("total conversion value",),
                    "leads": ("leads",),
                },
                currency=("currency",),
            ),
        ),
        Platform(
            "ga4",
            "GA4",
            tried=3,
            detect=_is_ga4,
            profile=Profile(
                date=("date",),
                date_formats=("%Y%m%d", "%Y-%m-%d"),
                channel=(
                    "session primary channel group",
                    "session default channel group",
                    "session primary channel group (default channel group)",
                ),
                metrics={
                    "sessions": ("sessions",),
                    "engaged_sessions": ("engaged sessions",),
                    "key_events": ("key events", "conversions"),
                    "revenue": ("total revenue", "purchase revenue"),
                },
            ),
        ),
        Platform("canonical", "canonical CSV", tried=0, detect=_is_canonical, profile=None),
    )
}
# The lists every other place shows, derived: a new format is one Platform above (and a test).
EXPORTS = tuple(name for name, platform in PLATFORMS.items() if platform.profile)  # `import --format`
FORMAT_NAMES = ("auto", "canonical", *EXPORTS)  # clients.yaml's `format:`
PLATFORM_NAMES = {name: PLATFORMS[name].title for name in (*EXPORTS, "canonical")}


@dataclass(frozen=True)
class Export:
    """What a platform export turned out to hold."""

    format: str
    table: MetricTable
    currency: str | None
    header_line: int


# --- reading ----------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str] | None:
    """(text, encoding): BOMs first, then UTF-8, then Latin-1 (which never fails)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw[:4096]:
        return None  # binary, or UTF-16 without a BOM
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def cells_of(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def find_header(lines: list[str]) -> tuple[int, str, list[str], str | None]:
    """(line index, delimiter, header cells, format) of the first line that looks
    like a header of a known export; skips titles, date ranges and # comments."""
    for index, line in enumerate(lines[:50]):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        delimiter = sniff_delimiter(line)
        cells = [c.strip().strip('"').strip() for c in cells_of(line, delimiter)]
        kind = detect_format(cells)
        if kind:
            return index, delimiter, cells, kind
    return -1, ",", [], None


def detect_format(cells: Sequence[str]) -> str | None:
    tried = sorted(PLATFORMS.values(), key=lambda platform: platform.tried)
    return next((platform.name for platform in tried if platform.detect(cells)), None)


def read_export(
    raw: bytes, shown: str, settings: SourceSettings = SourceSettings()
) -> tuple[Export | None, list[Problem]]:
    decoded = decode(raw)
    if decoded is None:
        return None, [
            Problem(shown, 1, "not a text export (binary data, or UTF-16 without a byte-order mark)")
        ]
    text, _encoding = decoded
    lines = split_lines(text)
    index, delimiter, header, detected = find_header(lines)
    kind = detected if settings.format == "auto" else settings.format
    if index < 0:
        if settings.format not in ("auto", "canonical"):
            return None, [
                Problem(shown, 1, f"no {PLATFORM_NAMES[settings.format]} header found in the first 50 lines")
            ]
        if any(line.startswith("# Start date:") for line in lines[:60]):
            return None, [
                Problem(
                    shown,
                    1,
                    "GA4 export without a Date dimension (this report groups by "
                    "something else): export an Explore or report with Date",
                )
            ]
        known = either(list(PLATFORM_NAMES.values()))
        return None, [
            Problem(
                shown,
                1,
                f"not an export reportgen knows ({known}): no recognisable header in the first 50 lines",
            )
        ]
    profile = PLATFORMS[kind].profile if kind in PLATFORMS else None
    if profile is None or kind is None:
        return None, [Problem(shown, index + 1, f"format '{kind}' is not a platform export")]
    return _read_rows(lines, index, delimiter, header, kind, profile, shown, settings)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    folded = [h.casefold() for h in header]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def _read_rows(
    lines: list[str],
    index: int,
    delimiter: str,
    header: list[str],
    kind: str,
    profile: Profile,
    shown: str,
    settings: SourceSettings,
) -> tuple[Export | None, list[Problem]]:
    platform = PLATFORM_NAMES[kind]
    date_at = _column(header, profile.date)
    if date_at is None:
        ranges = _column(header, ("reporting starts", "début des rapports"))
        hint = (
            " its rows cover a reporting period, not days: export it with a Day breakdown"
            if ranges is not None
            else " export it with a Day (or Date) column"
        )
        return None, [Problem(shown, index + 1, f"{platform} export without a date column;{hint}")]
    columns: dict[str, int] = {}
    for metric, names in profile.metrics.items():
        at = _column(header, names)
        if at is not None:
            columns[metric] = at
    currency_from_header = None
    for at, name in enumerate(header):
        match = SPEND_HEADER.match(name.casefold())
        if match:
            columns["spend"] = at
            currency_from_header = match.group(2).upper()
    leads_at, indicator_at = _leads_columns(header, settings, profile)
    if leads_at is not None:
        columns["leads"] = leads_at
    if not columns:
        return None, [
            Problem(shown, index + 1, f"{platform} export without any metric column reportgen reads")
        ]
    campaign_at = _column(header, profile.campaign) if profile.campaign else None
    channel_at = _column(header, profile.channel) if profile.channel else None
    currency_at = _column(header, profile.currency) if profile.currency else None
    decimal_comma = delimiter == ";"
    campaign_map = dict(settings.campaign_map)
    metrics = tuple(columns)
    problems: list[Problem] = []
    rows: list[MetricRow] = []
    row_lines: list[int] = []  # the line of each row, for range errors found after unit conversion
    currencies: set[str] = set()
    date_format: str | None = None
    for number, line in enumerate(lines[index + 1 :], start=index + 2):
        if not line.strip() or line.lstrip().startswith("#"):
            if line.lstrip().startswith("#") and rows:
                break  # GA4: the next table of a multi-table export
            continue
        cells = [c.strip() for c in cells_of(line, delimiter)]
        if _is_totals_row(cells, date_at, campaign_at):
            continue
        if len(cells) < len(header):
            problems.append(
                Problem(
                    shown,
                    number,
                    f"expected {len(header)} fields as in the header (line {index + 1}), found {len(cells)}",
                )
            )
            continue
        day, date_format = _parse_date(cells[date_at], profile.date_formats, date_format)
        if day is None:
            problems.append(
                Problem(
                    shown,
                    number,
                    f"column '{header[date_at]}': '{cells[date_at]}' is not a date {platform} writes",
                )
            )
            continue
        if not date_in_range(day):
            problems.append(
                Problem(shown, number, f"column '{header[date_at]}': {outside_range(cells[date_at])}")
            )
            continue
        values: list[float | int | None] = []
        bad = None
        for metric in metrics:
            at = columns[metric]
            if (
                metric == "leads"
                and indicator_at is not None
                and cells[indicator_at].casefold() != (settings.leads or "").casefold()
            ):
                values.append(None)
                continue
            value, ok = parse_value(cells[at], decimal_comma)
            if not ok:
                bad = f"column '{header[at]}': {bad_number(cells[at], decimal_comma)}"
                break
            values.append(value)
        if bad:
            problems.append(Problem(shown, number, bad))
            continue
        if currency_at is not None and cells[currency_at] and cells[currency_at].casefold() not in MISSING:
            currencies.add(cells[currency_at].upper())
        campaign = cells[campaign_at] if campaign_at is not None and cells[campaign_at] else None
        if campaign is not None:
            campaign = campaign_map.get(campaign, campaign)
        channel = cells[channel_at] if channel_at is not None and cells[channel_at] else settings.channel
        rows.append(MetricRow(day, campaign, channel, tuple(values)))
        row_lines.append(number)
        if len(problems) >= MAX_ERRORS:
            break
    if problems:
        return None, problems
    if currency_from_header:
        currencies.add(currency_from_header)
    if len(currencies) > 1:
        found = ", ".join(sorted(currencies))
        return None, [Problem(shown, index + 2, f"rows in more than one currency ({found})")]
    if "spend" in metrics and profile.micros:
        rows, problem = _undo_micros(rows, metrics.index("spend"), header[columns["spend"]], shown, index)
        if problem:
            return None, [problem]
    problems = _out_of_range(rows, row_lines, [header[columns[m]] for m in metrics], shown)
    if problems:
        return None, problems
    currency = settings.currency or (currencies.pop() if currencies else None)
    table = MetricTable(
        metrics=metrics,
        rows=tuple(rows),
        has_campaign=campaign_at is not None,
        has_channel=channel_at is not None or settings.channel is not None,
        grain=profile.grains.get(header[date_at].casefold(), "day"),
    )
    return Export(format=kind, table=table, currency=currency, header_line=index + 1), []


def _leads_columns(
    header: list[str], settings: SourceSettings, profile: Profile
) -> tuple[int | None, int | None]:
    """Which column counts as leads: the `leads` setting names a column, or (Meta)
    a result indicator such as actions:lead that selects rows of `Results`."""
    if not settings.leads:
        return None, None
    column = _column(header, (settings.leads.casefold(),))
    if column is not None:
        return column, None
    if profile.results and profile.result_indicator:
        results = _column(header, profile.results)
        indicator = _column(header, profile.result_indicator)
        if results is not None and indicator is not None:
            return results, indicator
    return None, None


def _is_totals_row(cells: list[str], date_at: int, campaign_at: int | None) -> bool:
    first = cells[0].casefold().strip(" :") if cells else ""
    if any(first.startswith(word) for word in TOTAL_WORDS):
        return True
    date_cell = cells[date_at].casefold() if date_at < len(cells) else ""
    if any(date_cell.startswith(word) for word in TOTAL_WORDS):
        return True
    # Meta puts a totals row first, with every dimension empty.
    dims = [date_at] + ([campaign_at] if campaign_at is not None else [])
    return all(i < len(cells) and cells[i].casefold() in MISSING for i in dims)


def _parse_date(text: str, formats: tuple[str, ...], known: str | None) -> tuple[dt.date | None, str | None]:
    text = text.strip().strip('"')
    for fmt in ((known,) if known else ()) + formats:
        try:
            return dt.datetime.strptime(text, fmt).date(), fmt
        except ValueError:
            continue
    return None, known


_NUMBER_JUNK = re.compile(r"[\s\u00a0\u202f'$€£¥₫₹₩₽]|[A-Z]{3}\b")


def parse_value(cell: str, decimal_comma: bool) -> tuple[float | int | None, bool]:
    """A number as an export writes it; missing stays missing (never zero).

    Never inf or NaN, and at most 10^15 × 10^6 either way (a cost in micros is
    checked against 10^15 once converted, see `_out_of_range`).
    """
    text = cell.strip().strip('"')
    if text.casefold() in MISSING:
        return None, True
    if text.startswith(("<", ">")) or text.endswith("%"):
        return None, True  # a capped or percent value: a ratio, recomputed from sums anyway
    text = _NUMBER_JUNK.sub("", text)
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", "")
    try:
        if _INT_SHAPE.fullmatch(text):
            if len(text.lstrip("+-").lstrip("0")) > 40:
                return None, False  # out of range for sure; int() refuses past 4,300 digits anyway
            value: float | int = int(text)
        else:
            value = float(text)  # "1e400" is inf and "nan" is NaN: both refused below
    except ValueError:
        return None, False
    if not is_sane_number(value / MICROS if isinstance(value, float) else value // MICROS):
        return None, False
    return (-value if negative else value), True


MICROS = 1_000_000
_INT_SHAPE = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER_SHAPE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def bad_number(cell: str, decimal_comma: bool) -> str:
    """Why a cell is not a value: out of range, or not a number at all."""
    text = _NUMBER_JUNK.sub("", cell.strip().strip('"')).strip("()")
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    if _NUMBER_SHAPE.fullmatch(text):
        return f"{quote_cell(cell)} is out of range (numbers are at most {LARGEST_NUMBER_TEXT} either way)"
    return f"{quote_cell(cell)} is not a number"


def quote_cell(cell: str) -> str:
    """A cell as a message quotes it: a 100 KB cell is not repeated whole."""
    cell = cell.strip()
    return f"'{cell}'" if len(cell) <= 40 else f"'{cell[:24]}…' ({len(cell):,} characters)"


def _out_of_range(rows: list[MetricRow], lines: list[int], names: list[str], shown: str) -> list[Problem]:
    """Values past 10^15 once converted (a cost in micros only now is in units)."""
    problems = []
    for row, line in zip(rows, lines, strict=True):
        for value, name in zip(row.values, names, strict=True):
            if value is not None and not is_sane_number(value):
                problems.append(
                    Problem(
                        shown,
                        line,
                        f"column '{name}': {value:g} is out of range (numbers "
                        f"are at most {LARGEST_NUMBER_TEXT} either way)",
                    )
                )
                if len(problems) >= MAX_ERRORS:
                    return problems
    return problems


def _undo_micros(
    rows: list[MetricRow], at: int, name: str, shown: str, index: int
) -> tuple[list[MetricRow], Problem | None]:
    """Google Ads API/BigQuery exports give cost in micros (1,000,000 = 1 unit)."""
    values = [r.values[at] for r in rows if r.values[at] not in (None, 0)]
    if "micros" in name.casefold():
        micros = True
    elif not values:
        return rows, None
    else:
        whole = [v for v in values if isinstance(v, int) and v >= 10_000]
        if whole and len(whole) != len(values):
            return rows, Problem(
                shown,
                index + 1,
                f"column '{name}' mixes micros (e.g. {whole[0]}) with "
                "currency amounts; export it in one unit",
            )
        micros = bool(whole)
    if not micros:
        return rows, None
    fixed = []
    for row in rows:
        cells = list(row.values)
        cost = cells[at]
        if cost is not None:
            cells[at] = cost / 1_000_000
        fixed.append(row._replace(values=tuple(cells)))
    return fixed, None
