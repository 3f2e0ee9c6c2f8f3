"""Read a client's canonical metric CSVs into a `MetricTable`.

The canonical format is SPEC 2.2: `date` (ISO), optional `campaign` and
`channel`, every other column a numeric metric named by its header. Paths and
globs come from clients.yaml and must stay inside the project, also after
following symlinks. Every unreadable row is reported with file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

from .config import BUILTIN_FORMULAS, CONFIG_FILE
from .errors import Problem, display_path
from .formulas import NAME_RE
from .importers import PLATFORM_NAMES, SourceSettings, decode, find_header, read_export, split_lines
from .model import Client, DataSource, MetricRow, MetricTable, Month

MAX_PROBLEMS_PER_FILE = 20
_CANONICAL_START = re.compile(rb"(\xef\xbb\xbf)?date,[a-z0-9_,]*\r?\n")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def find_data_files(root: Path, client: Client) -> tuple[list[Path], list[Problem]]:
    """The files a client's `data` globs match, in a stable order, each once."""
    found, problems = find_data_sources(root, client)
    return [path for path, _source in found], problems


def find_data_sources(root: Path, client: Client) -> tuple[list[tuple[Path, DataSource]], list[Problem]]:
    """Each data file with the clients.yaml entry that named it."""
    problems: list[Problem] = []
    files: list[tuple[Path, DataSource]] = []
    seen: set[Path] = set()
    real_root = root.resolve()
    for source in client.data:
        matches = sorted(p for p in root.glob(source.pattern) if not p.is_dir())
        if not matches:
            problems.append(Problem(CONFIG_FILE, source.line,
                                    f"client '{client.id}': data '{source.pattern}' matches no file",
                                    "warning"))
        for path in matches:
            real = path.resolve()
            if not real.is_relative_to(real_root):
                problems.append(Problem(CONFIG_FILE, source.line,
                                        f"client '{client.id}': data file "
                                        f"'{display_path(path, root)}' points outside the project"))
                continue
            if real not in seen:
                seen.add(real)
                files.append((path, source))
    return files, problems


def load_client_data(root: Path, client: Client) -> tuple[MetricTable, list[Problem]]:
    table, problems, _ = load_client_data_with_digests(root, client)
    return table, problems


def load_client_data_with_digests(root: Path, client: Client
                                  ) -> tuple[MetricTable, list[Problem], dict[Month, str]]:
    """The client's rows, the problems, and for each month a digest of the data
    files holding its rows (what an incremental build compares)."""
    files, problems = find_data_sources(root, client)
    tables = []
    month_files: dict[Month, list[str]] = {}
    platform_rows: dict[str, dict[tuple, str]] = {}  # platform → (date, campaign, channel) → file
    for path, source in files:
        raw = _read_bytes(path)
        shown = display_path(path, root)
        if isinstance(raw, Problem):
            problems.append(Problem(shown, None, raw.message))
            continue
        table, file_problems, platform = parse_data_file(raw, shown, source, client)
        problems.extend(file_problems)
        if table is not None and platform != "canonical":
            problems.extend(_overlaps(table, shown, platform_rows.setdefault(platform, {})))
        if table is not None:
            tables.append(table)
            file_digest = hashlib.sha256(raw).hexdigest()
            for year, month in {(r.date.year, r.date.month) for r in table.rows}:
                month_files.setdefault(Month(year, month), []).append(file_digest)
    digests = {month: hashlib.sha256("".join(sorted(d)).encode()).hexdigest()
               for month, d in month_files.items()}
    return merge_tables(tables), problems, digests


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


def parse_data_file(raw: bytes, shown: str, source: DataSource, client: Client
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
    settings = SourceSettings(format=kind, currency=source.currency, campaign_map=source.campaign_map,
                              channel=source.channel, leads=source.leads)
    export, problems = read_export(raw, shown, settings)
    if export is None:
        return None, problems, kind
    if export.currency and export.currency != client.currency:
        return None, [Problem(shown, export.header_line, (
            f"amounts are in {export.currency}, but client '{client.id}' reports in {client.currency} "
            "(one currency per client; set currency: on the data entry if the export is mislabelled)"))], kind
    rows = export.table.rows
    span = f"{min(r.date for r in rows)}…{max(r.date for r in rows)}" if rows else "no rows"
    how = "detected" if source.format == "auto" else "as configured"
    info = Problem(shown, export.header_line, f"{PLATFORM_NAMES[kind]} export ({how}): {len(rows)} rows, "
                                              f"{span}", "info")
    return export.table, [info], kind


def _overlaps(table: MetricTable, shown: str, seen: dict[tuple, str]) -> list[Problem]:
    """Two exports of one platform covering the same day and campaign would count
    it twice: that is an error, never a silent sum."""
    mine = {(row.date, row.campaign, row.channel) for row in table.rows}
    for key in sorted(mine, key=lambda k: (k[0], k[1] or "", k[2] or "")):
        if key in seen and seen[key] != shown:
            return [Problem(shown, None, (
                f"overlaps {seen[key]}: both have rows for {key[0]}"
                f"{f' campaign {key[1]!r}' if key[1] else ''}; remove one export or split their date ranges "
                "(overlapping exports are never double-counted)"))]
    for key in mine:
        seen.setdefault(key, shown)
    return []


def _read_bytes(path: Path) -> bytes | Problem:
    try:
        return path.read_bytes()
    except OSError as exc:
        return Problem("", None, f"cannot read file: {exc.strerror}")


def read_metric_file(path: Path, shown: str) -> tuple[MetricTable | None, list[Problem]]:
    """Parse one canonical CSV; on any problem return None and the problems."""
    raw = _read_bytes(path)
    if isinstance(raw, Problem):
        return None, [Problem(shown, None, raw.message)]
    return parse_metric_bytes(raw, shown)


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
        return "", Problem(shown, 1, "file is UTF-16; canonical CSVs are UTF-8 "
                                     "(re-save as UTF-8, or use a platform importer)")
    if b"\x00" in raw[:65536]:
        return "", Problem(shown, 1, "not a text CSV file (it contains binary data)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return "", Problem(shown, line, "not UTF-8 text (a Latin-1 export? re-save it as UTF-8)")


def _parse_header(header: list[str], shown: str) -> tuple[list[str], list[Problem]]:
    columns = [cell.strip().lower() for cell in header]
    problems = []
    if "date" not in columns:
        problems.append(Problem(shown, 1, "no 'date' column in the header "
                                          f"(found: {', '.join(c for c in columns if c)})"))
    for index, name in enumerate(columns):
        if not NAME_RE.fullmatch(name):
            problems.append(Problem(
                shown, 1,
                f"column {index + 1} '{header[index].strip()}' is not a canonical metric name "
                "(lower-case letters, digits and '_'; for a platform export not recognised, set "
                "format: google_ads, meta_ads, linkedin_ads or ga4 on its data entry)"))
        elif columns.index(name) != index:
            problems.append(Problem(shown, 1, f"column '{name}' appears twice in the header"))
    return columns, problems


def _parse_rows(reader, columns: list[str], shown: str) -> tuple[MetricTable | None, list[Problem]]:
    date_at = columns.index("date")
    campaign_at = columns.index("campaign") if "campaign" in columns else None
    channel_at = columns.index("channel") if "channel" in columns else None
    # Ratio columns from an export would be summed into nonsense; they are
    # recomputed from the summed base metrics instead.
    metric_at = [(i, c) for i, c in enumerate(columns)
                 if c not in ("date", "campaign", "channel") and c not in BUILTIN_FORMULAS]
    problems: list[Problem] = []
    ignored = [c for c in columns if c in BUILTIN_FORMULAS]
    if ignored:
        problems.append(Problem(shown, 1, f"ratio column(s) {', '.join(ignored)} ignored: "
                                          "ratios are recomputed from summed metrics", "warning"))
    rows: list[MetricRow] = []
    width = len(columns)
    errors = 0
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            message = None
            if len(cells) != width:
                message = f"expected {width} fields as in the header, found {len(cells)}"
            else:
                row, message = _parse_row(cells, date_at, campaign_at, channel_at, metric_at)
            if message:
                errors += 1
                if errors <= MAX_PROBLEMS_PER_FILE:
                    problems.append(Problem(shown, line, message))
                continue
            rows.append(row)
    except csv.Error as exc:
        errors += 1
        problems.append(Problem(shown, reader.line_num, f"unreadable CSV: {exc}"))
    if errors > MAX_PROBLEMS_PER_FILE:
        problems.append(Problem(shown, None, f"... and {errors - MAX_PROBLEMS_PER_FILE} more bad rows"))
    if errors:
        return None, problems
    table = MetricTable(
        metrics=tuple(c for _, c in metric_at),
        rows=tuple(rows),
        has_campaign=campaign_at is not None,
        has_channel=channel_at is not None,
    )
    return table, problems


def _parse_row(cells, date_at, campaign_at, channel_at, metric_at):
    try:
        day = dt.date.fromisoformat(cells[date_at].strip())
    except ValueError:
        return None, f"column 'date': '{cells[date_at].strip()}' is not a date (expected YYYY-MM-DD)"
    values = []
    for index, name in metric_at:
        value, ok = parse_number(cells[index])
        if not ok:
            return None, f"column '{name}': '{cells[index].strip()}' is not a number"
        values.append(value)
    campaign = cells[campaign_at].strip() or None if campaign_at is not None else None
    channel = cells[channel_at].strip() or None if channel_at is not None else None
    return MetricRow(day, campaign, channel, tuple(values)), None


def parse_number(cell: str) -> tuple[int | float | None, bool]:
    """A canonical number: blank is missing; integers stay integers."""
    cell = cell.strip()
    if not cell:
        return None, True
    # Fast paths for the usual "1234" and "402.17" (ASCII digits only: int() and
    # float() alone would also take "1_000", "nan", "inf" and non-ASCII digits).
    if cell.isdigit() and cell.isascii():
        return int(cell), True
    whole, dot, fraction = cell.partition(".")
    if dot and whole.isdigit() and fraction.isdigit() and cell.isascii():
        return float(cell), True
    if _INT_RE.fullmatch(cell):
        return int(cell), True
    if _FLOAT_RE.fullmatch(cell):
        return float(cell), True
    return None, False
