"""Read a client's canonical metric CSVs into a `MetricTable`.

The canonical format is SPEC 2.2: `date` (ISO), optional `campaign` and
`channel`, every other column a numeric metric named by its header. Paths and
globs come from clients.yaml and must stay inside the project, also after
following symlinks. Every unreadable row is reported with file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .config import CONFIG_FILE
from .errors import Problem, display_path, either
from .formulas import NAME_RE
from .importers import (
    EXPORTS,
    PLATFORM_NAMES,
    SourceSettings,
    decode,
    find_header,
    quote_cell,
    read_export,
    split_lines,
)
from .inputfiles import UnreadableInputError, line_at, read_input_bytes, real_path
from .model import Client, DataSource, MetricRow, MetricTable, Month, date_in_range, outside_range
from .schema import LARGEST_NUMBER_TEXT, is_sane_number
from .vocabulary import BUILTIN_FORMULAS

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

MAX_PROBLEMS_PER_FILE = 20
_CANONICAL_START = re.compile(rb"(\xef\xbb\xbf)?date,[a-z0-9_,]*\r?\n")
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


# What a data glob never matches (`**/*.csv` must not read the build's own
# metrics.csv files back): the default output folder, any folder a build wrote
# (it holds output.SITE_MARKER: `--out` anywhere in the project, a staging
# folder), the build cache (cache.CACHE_DIR) and version control. The names are
# repeated here, not imported, so that loading never depends on later stages
# (tests/test_attack_fixes_check.py checks they agree).
DEFAULT_OUTPUT = "site"
OUTPUT_MARKER = ".reportgen-site"
NEVER_DATA = frozenset({".reportgen-cache", ".git", ".hg", ".svn"})


def is_generated_path(root: Path, path: Path, known: dict[Path, bool] | None = None) -> bool:
    """`path` (under `root`, as a glob found it) lies in a folder that is never
    input: the output (`site/`, or any folder holding a build's marker), the
    build cache or a version-control folder. `known` caches folder answers."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if parts and parts[0] == DEFAULT_OUTPUT and len(parts) > 1:
        return True
    if any(part in NEVER_DATA for part in parts[:-1]):
        return True
    known = {} if known is None else known
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if folder not in known:
            known[folder] = os.path.lexists(folder / OUTPUT_MARKER)
        if known[folder]:
            return True
    return False


def find_data_sources(root: Path, client: Client) -> tuple[list[tuple[Path, DataSource]], list[Problem]]:
    """Each data file with the clients.yaml entry that named it."""
    problems: list[Problem] = []
    files: list[tuple[Path, DataSource]] = []
    seen: set[Path] = set()
    real_root = real_path(root)
    generated: dict[Path, bool] = {}
    for source in client.data:
        # is_dir() follows links and is False for a loop, a FIFO or a device:
        # those are matched, and refused below without ever being opened.
        matches = sorted(
            p
            for p in root.glob(source.pattern)
            if not p.is_dir() and not is_generated_path(root, p, generated)
        )
        if not matches:
            problems.append(
                Problem(
                    CONFIG_FILE,
                    source.line,
                    f"client '{client.id}': data '{source.pattern}' matches no file",
                    "warning",
                )
            )
        for path in matches:
            real = real_path(path)
            if not real.is_relative_to(real_root):
                problems.append(
                    Problem(
                        CONFIG_FILE,
                        source.line,
                        f"client '{client.id}': data file "
                        f"'{display_path(path, root)}' points outside the project",
                    )
                )
                continue
            # A FIFO, device, socket or symlink loop stays in the list (so an
            # incremental build sees it appear): reading it is the error.
            if real not in seen:
                seen.add(real)
                files.append((path, source))
    return files, problems


def shadowed_columns(table: MetricTable, client: Client, shown: str, platform: str) -> list[Problem]:
    """A column named like one of the client's own formula metrics is not read
    (the formula wins, as for the built-in ratios): a warning, never silence."""
    own = {name: (formula, line) for name, formula, line in client.metrics}
    return [
        Problem(
            shown,
            1 if platform == "canonical" else None,
            (
                f"column '{name}' ignored, recomputed: clients.yaml line {own[name][1]} defines "
                f"'{name}' for client '{client.id}' as `{own[name][0].source}`, which is computed from "
                "the summed metrics; rename the column to keep its values, or drop it"
            ),
            "warning",
        )
        for name in table.metrics
        if name in own
    ]


def load_client_data(
    root: Path, client: Client, today: dt.date | None = None
) -> tuple[MetricTable, list[Problem]]:
    """The client's rows and the problems. With `today`, rows dated after it
    (a typo such as 2205 for 2025) are a warning. (What each page reads is
    recorded while it renders: depends.py; no per-file digests are needed here.)"""
    files, problems = find_data_sources(root, client)
    tables = []
    loaded: list[tuple[str, MetricTable]] = []
    spans: dict[DataSource, dict[tuple[int, int], dt.date]] = {}
    for path, source in files:
        raw = _read_bytes(path)
        shown = display_path(path, root)
        if isinstance(raw, Problem):  # named as matched: a link's target may not exist
            problems.append(
                Problem(
                    path.relative_to(root).as_posix(),
                    None,
                    (
                        f"{raw.message} (matched by data '{source.pattern}' of client '{client.id}', "
                        f"{CONFIG_FILE} line {source.line}); remove it or narrow the pattern"
                    ),
                )
            )
            continue
        table, file_problems, platform = parse_data_file(raw, shown, source, client)
        problems.extend(file_problems)
        if table is not None:
            problems.extend(shadowed_columns(table, client, shown, platform))
        if table is not None:
            if today is not None:
                problems.extend(future_rows(table, raw, shown, today))
            loaded.append((shown, table))
            tables.append(table)
            spans.setdefault(source, {})
            for row in table.rows:  # the last day with data, per month, per data entry
                month = (row.date.year, row.date.month)
                if row.date > spans[source].get(month, dt.date.min):
                    spans[source][month] = row.date
    problems.extend(find_overlaps(loaded))
    merged = merge_tables(tables)
    return replace(
        merged,
        sources=tuple(
            (
                source.pattern,
                source.line,
                tuple((Month(*month), day) for month, day in sorted(spans.get(source, {}).items())),
            )
            for source in client.data
        ),
    ), problems


FUTURE_TOLERANCE = dt.timedelta(days=3)  # time zones, a platform's "today" export


def future_rows(table: MetricTable, raw: bytes, shown: str, today: dt.date) -> list[Problem]:
    """A warning for rows dated after the build's today (plus a few days):
    data from the future is almost always a typo, and its month would
    silently become the latest report."""
    future = [row.date for row in table.rows if row.date > today + FUTURE_TOLERANCE]
    if not future:
        return []
    first, last = min(future), max(future)
    at = raw.find(first.isoformat().encode())  # the line, when the file writes ISO dates
    line = line_at(raw, at)[0] if at >= 0 else None
    more = f" ({len(future):,} rows, up to {last})" if len(future) > 1 else ""
    return [
        Problem(
            shown,
            line,
            (
                f"row dated {first}{more} is after today ({today}): a typo in the year? Its month "
                f"{Month.of(last)} becomes the latest report; fix the date or remove the row"
            ),
            "warning",
        )
    ]


def merge_tables(tables: list[MetricTable]) -> MetricTable:
    """One table whose metric list is the union of the files' columns."""
    metrics: list[str] = []
    for table in tables:
        metrics.extend(m for m in table.metrics if m not in metrics)
    rows: list[MetricRow] = []
    for table in tables:
        if table.metrics == tuple(metrics):
            rows.extend(table.rows)
            continue
        positions = [table.metrics.index(m) if m in table.metrics else None for m in metrics]
        for row in table.rows:
            values = tuple(None if p is None else row.values[p] for p in positions)
            rows.append(MetricRow(row.date, row.campaign, row.channel, values))
    return MetricTable(
        metrics=tuple(metrics),
        rows=tuple(rows),
        has_campaign=any(t.has_campaign for t in tables),
        has_channel=any(t.has_channel for t in tables),
    )


def parse_data_file(
    raw: bytes, shown: str, source: DataSource, client: Client
) -> tuple[MetricTable | None, list[Problem], str]:
    """A canonical CSV or a platform export, as its data entry says (or detected)."""
    kind = source.format
    if kind in ("auto", "canonical") and _CANONICAL_START.match(raw):
        try:
            text = raw.decode("utf-8-sig")  # the common case: no detection needed
        except UnicodeDecodeError:
            pass
        else:
            table, problems = parse_metric_text(text, shown)
            return table, problems, "canonical"
    decoded = decode(raw)  # UTF-8 (BOM or not), UTF-16 by its BOM, else Latin-1; None if binary
    if kind == "auto" and decoded is not None:
        _, _, _, detected = find_header(split_lines(decoded[0][:65536]))  # headers sit near the top
        kind = detected if detected and detected != "canonical" else "canonical"
    if kind in ("auto", "canonical"):
        utf8 = decoded[0].encode("utf-8") if decoded is not None else raw
        table, problems = parse_metric_bytes(utf8, shown)
        return table, problems, "canonical"
    settings = SourceSettings(
        format=kind,
        currency=source.currency,
        campaign_map=source.campaign_map,
        channel=source.channel,
        leads=source.leads,
    )
    export, problems = read_export(raw, shown, settings)
    if export is None:
        return None, problems, kind
    if export.currency and export.currency != client.currency:
        return (
            None,
            [
                Problem(
                    shown,
                    export.header_line,
                    (
                        f"amounts are in {export.currency}, but client '{client.id}' reports in {client.currency} "
                        "(one currency per client; set currency: on the data entry if the export is mislabelled)"
                    ),
                )
            ],
            kind,
        )
    rows = export.table.rows
    span = f"{min(r.date for r in rows)}…{max(r.date for r in rows)}" if rows else "no rows"
    how = "detected" if source.format == "auto" else "as configured"
    info = Problem(
        shown, export.header_line, f"{PLATFORM_NAMES[kind]} export ({how}): {len(rows)} rows, {span}", "info"
    )
    problems = [info]
    if export.table.grain != "day" and rows:
        # SPEC: a coarser grain is read and summed, but a daily chart would show
        # each period's total as one spike on its first day.
        problems.append(
            Problem(
                shown,
                export.header_line + 1,
                (
                    f"rows are by {export.table.grain} (data entry '{source.pattern}', {CONFIG_FILE} line "
                    f"{source.line}): daily charts show each {export.table.grain}'s total on its first day; "
                    "export it by Day for daily figures"
                ),
                "warning",
            )
        )
    return export.table, problems, kind


def find_overlaps(files: list[tuple[str, MetricTable]]) -> list[Problem]:
    """No figure is ever counted twice: two files of one client that give the
    same metric for the same day and campaign are an error, whatever their
    formats (a `metrics (1).csv` copy, a canonical CSV next to the export it was
    imported from, two exports of one platform). Rows without a campaign count
    as one campaign of their own. Files that give *different* metrics for the
    same day and campaign (platform delivery plus CRM leads) are merged. A
    blank cell gives nothing, so it never overlaps. A row of a weekly or monthly
    export covers every day of its period."""
    spans = [_date_span(table) for _, table in files]
    problems = []
    for later in range(len(files)):
        for earlier in range(later):
            a, b = spans[earlier], spans[later]
            if a is None or b is None or a[1] < b[0] or b[1] < a[0]:
                continue  # no day in common (files split by year, say): nothing to compare
            first_shown, first = files[earlier]
            shown, table = files[later]
            shared = [m for m in first.metrics if m in table.metrics]
            if not shared:
                continue
            mine, theirs = _given(table, shared), _given(first, shared)
            common = [
                (key, mask & theirs[key])
                for key, mask in mine.items()
                if key in theirs and mask & theirs[key]
            ]
            if not common:
                continue
            (day, campaign), mask = min(
                common, key=lambda item: (item[0][0], item[0][1] is not None, item[0][1] or "")
            )
            metrics = ", ".join(m for bit, m in enumerate(shared) if mask >> bit & 1)
            days = len({key[0] for key, _ in common})
            more = f", on {days:,} days in all" if days > 1 else ""
            which = f" campaign {campaign!r}" if campaign is not None else " (rows without a campaign)"
            grains = sorted({t.grain for t in (first, table)} - {"day"})
            period = (
                (
                    f" (a row of a {' or '.join(grains)}ly export covers every day of its "
                    f"{' or '.join(grains)})"
                )
                if grains
                else ""
            )
            problems.append(
                Problem(
                    shown,
                    None,
                    (
                        f"overlaps {first_shown}: both have rows for {day}{which} giving {metrics}{more}{period}; "
                        "each figure must come from one file: remove one of them (a copy? an imported CSV "
                        "next to the export it came from?) or split their date ranges (figures are never "
                        "double-counted)"
                    ),
                )
            )
    return problems


def _date_span(table: MetricTable) -> tuple[dt.date, dt.date] | None:
    if not table.rows:
        return None
    days = [row.date for row in table.rows]
    return min(days), max(covered_days(day, table.grain)[-1] for day in days)


def covered_days(day: dt.date, grain: str) -> list[dt.date]:
    """The days a row dated `day` gives figures for: itself, its week (the
    seven days from it) or its month (the whole calendar month it falls in)."""
    if grain == "week":
        return [day + dt.timedelta(days=i) for i in range(7)]
    if grain == "month":
        month = Month.of(day)
        return [month.first_day + dt.timedelta(days=i) for i in range(month.days)]
    return [day]


def _given(table: MetricTable, shared: list[str]) -> dict[tuple[dt.date, str | None], int]:
    """(day, campaign) → a bit for each of `shared` that the file gives a value for."""
    positions = [(1 << bit, table.metrics.index(name)) for bit, name in enumerate(shared)]
    given: dict[tuple[dt.date, str | None], int] = {}
    for row in table.rows:
        values = row.values
        mask = 0
        for bit, at in positions:
            if values[at] is not None:
                mask |= bit
        if mask:
            for day in covered_days(row.date, table.grain):
                key = (day, row.campaign)
                given[key] = given.get(key, 0) | mask
    return given


def _read_bytes(path: Path) -> bytes | Problem:
    try:
        return read_input_bytes(path)
    except UnreadableInputError as exc:
        return Problem("", None, exc.message)


def parse_metric_bytes(raw: bytes, shown: str) -> tuple[MetricTable | None, list[Problem]]:
    text, problem = _decode(raw, shown)
    if problem:
        return None, [problem]
    return parse_metric_text(text, shown)


def parse_metric_text(text: str, shown: str) -> tuple[MetricTable | None, list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return None, [Problem(shown, 1, f"unreadable header: {exc}")]
    if header is None or not any(cell.strip() for cell in header):
        return None, [Problem(shown, 1, "empty file: expected a header line starting with 'date'")]
    columns, problems = _parse_header(header, shown)
    if problems:
        return None, problems
    return _parse_rows(reader, columns, shown)


def _decode(raw: bytes, shown: str) -> tuple[str, Problem | None]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(
            shown,
            1,
            "file is UTF-16; canonical CSVs are UTF-8 (re-save as UTF-8, or use a platform importer)",
        )
    if b"\x00" in raw[:65536]:
        return "", Problem(shown, 1, "not a text CSV file (it contains binary data)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = line_at(raw, exc.start)[0]
        return "", Problem(shown, line, "not UTF-8 text (a Latin-1 export? re-save it as UTF-8)")


def _parse_header(header: list[str], shown: str) -> tuple[list[str], list[Problem]]:
    columns = [cell.strip().lower() for cell in header]
    problems = []
    if "date" not in columns:
        problems.append(
            Problem(shown, 1, f"no 'date' column in the header (found: {', '.join(c for c in columns if c)})")
        )
    for index, name in enumerate(columns):
        if not NAME_RE.fullmatch(name):
            problems.append(
                Problem(
                    shown,
                    1,
                    f"column {index + 1} '{header[index].strip()}' is not a canonical metric name "
                    "(lower-case letters, digits and '_'; for a platform export not recognised, set "
                    f"format: {either(EXPORTS)} on its data entry)",
                )
            )
        elif columns.index(name) != index:
            problems.append(Problem(shown, 1, f"column '{name}' appears twice in the header"))
    return columns, problems


def _parse_rows(
    reader: CsvReader, columns: list[str], shown: str
) -> tuple[MetricTable | None, list[Problem]]:
    date_at = columns.index("date")
    campaign_at = columns.index("campaign") if "campaign" in columns else None
    channel_at = columns.index("channel") if "channel" in columns else None
    # Ratio columns from an export would be summed into nonsense; they are
    # recomputed from the summed base metrics instead.
    metric_at = [
        (i, c)
        for i, c in enumerate(columns)
        if c not in ("date", "campaign", "channel") and c not in BUILTIN_FORMULAS
    ]
    problems: list[Problem] = []
    ignored = [c for c in columns if c in BUILTIN_FORMULAS]
    if ignored:
        problems.append(
            Problem(
                shown,
                1,
                f"ratio column(s) {', '.join(ignored)} ignored: ratios are recomputed from summed metrics",
                "warning",
            )
        )
    rows: list[MetricRow] = []
    width = len(columns)
    errors = 0
    negative = None  # (line, column, value) of the first negative cell
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                row: MetricRow | str = f"expected {width} fields as in the header, found {len(cells)}"
            else:
                row = _parse_row(cells, date_at, campaign_at, channel_at, metric_at)
            if isinstance(row, str):  # why the row is not read
                errors += 1
                if errors <= MAX_PROBLEMS_PER_FILE:
                    problems.append(Problem(shown, line, row))
                continue
            rows.append(row)
            if negative is None:
                at = next((i for i, v in enumerate(row.values) if v is not None and v < 0), None)
                if at is not None:
                    negative = (line, metric_at[at][1], row.values[at])
    except csv.Error as exc:
        errors += 1
        problems.append(Problem(shown, reader.line_num, f"unreadable CSV: {exc}"))
    if errors > MAX_PROBLEMS_PER_FILE:
        problems.append(Problem(shown, None, f"... and {errors - MAX_PROBLEMS_PER_FILE} more bad rows"))
    if errors:
        return None, problems
    if negative is not None:  # allowed (refunds, adjustments), never silently judged
        problems.append(
            Problem(
                shown,
                negative[0],
                (
                    f"column '{negative[1]}': negative value {negative[2]} (a refund or adjustment?): it is "
                    "summed as written; a KPI whose value comes out negative is not judged against its "
                    "target"
                ),
                "info",
            )
        )  # info, not a warning: refunds are real data, --strict must pass
    table = MetricTable(
        metrics=tuple(c for _, c in metric_at),
        rows=tuple(rows),
        has_campaign=campaign_at is not None,
        has_channel=channel_at is not None,
    )
    return table, problems


def _parse_row(
    cells: list[str],
    date_at: int,
    campaign_at: int | None,
    channel_at: int | None,
    metric_at: list[tuple[int, str]],
) -> MetricRow | str:
    """The row, or why it cannot be read."""
    try:
        day = dt.date.fromisoformat(cells[date_at].strip())
    except ValueError:
        return f"column 'date': '{cells[date_at].strip()}' is not a date (expected YYYY-MM-DD)"
    if not date_in_range(day):
        return f"column 'date': {outside_range(cells[date_at].strip())}"
    values: list[int | float | None] = []
    for index, name in metric_at:
        value, ok = parse_number(cells[index])
        if not ok:
            return f"column '{name}': {number_problem(cells[index])}"
        values.append(value)
    campaign = cells[campaign_at].strip() or None if campaign_at is not None else None
    channel = cells[channel_at].strip() or None if channel_at is not None else None
    return MetricRow(day, campaign, channel, tuple(values))


def parse_number(cell: str) -> tuple[int | float | None, bool]:
    """A canonical number: blank is missing; integers stay integers.

    Never inf or NaN: a value past 10^15 either way (`1e400`, a 400-digit
    integer) is not a value (`number_problem` says why).
    """
    cell = cell.strip()
    if not cell:
        return None, True
    # Fast paths for the usual "1234" and "402.17" (ASCII digits only: int() and
    # float() alone would also take "1_000", "nan", "inf" and non-ASCII digits);
    # at most 15 digits is always below 10^15.
    if len(cell) <= 15 and cell.isdigit() and cell.isascii():
        return int(cell), True
    whole, dot, fraction = cell.partition(".")
    if dot and len(whole) <= 15 and whole.isdigit() and fraction.isdigit() and cell.isascii():
        return float(cell), True
    if _INT_RE.fullmatch(cell):
        if len(cell.lstrip("+-").lstrip("0")) > 16:
            return None, False  # past 10^15 (and int() refuses past 4,300 digits)
        value: int | float = int(cell)
    elif _FLOAT_RE.fullmatch(cell):
        value = float(cell)  # "1e400" is inf: refused below
    else:
        return None, False
    if not is_sane_number(value):
        return None, False
    return value, True


def number_problem(cell: str) -> str:
    """Why `parse_number` refused a cell: out of range, or not a number at all."""
    cell = cell.strip()
    if _INT_RE.fullmatch(cell) or _FLOAT_RE.fullmatch(cell):
        return f"{quote_cell(cell)} is out of range (numbers are at most {LARGEST_NUMBER_TEXT} either way)"
    return f"{quote_cell(cell)} is not a number"
