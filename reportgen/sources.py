"""Load: a client's data files → one `MetricTable`, and the problems in them.

Each file a data entry matches (datafiles.py) is a canonical CSV
(canonicalcsv.py) or a platform export (importers.py), as its entry says or
as detected. The files are merged into one table; no figure may come from
two files (`find_overlaps`), and rows dated in the future or columns that a
client's own formula hides are warned about.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import replace
from operator import itemgetter
from pathlib import Path

from .canonicalcsv import number_problem as number_problem
from .canonicalcsv import parse_metric_bytes as parse_metric_bytes
from .canonicalcsv import parse_metric_text as parse_metric_text
from .canonicalcsv import parse_number as parse_number
from .config import CONFIG_FILE
from .datafiles import DEFAULT_OUTPUT as DEFAULT_OUTPUT
from .datafiles import NEVER_DATA as NEVER_DATA
from .datafiles import OUTPUT_MARKER as OUTPUT_MARKER
from .datafiles import find_data_sources as find_data_sources
from .datafiles import is_generated_path as is_generated_path
from .errors import Problem
from .importers import PLATFORM_NAMES, SourceSettings, decode, find_header, read_export, split_lines
from .inputfiles import UnreadableInputError, line_at, read_input_bytes
from .model import Client, DataSource, MetricRow, MetricTable, Month
from .parsedcache import ParsedCache

_date_of = itemgetter(0)  # a MetricRow's date
_CANONICAL_START = re.compile(rb"(\xef\xbb\xbf)?date,[a-z0-9_,]*\r?\n")


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
    root: Path, client: Client, today: dt.date | None = None, cache: ParsedCache | None = None
) -> tuple[MetricTable, list[Problem]]:
    """The client's rows and the problems. With `today`, rows dated after it
    (a typo such as 2205 for 2025) are a warning. (What each page reads is
    recorded while it renders: depends.py; no per-file digests are needed here.)
    With `cache` (never a protected client's), an unchanged canonical CSV is taken
    as parsed by an earlier build (parsedcache.py), unread."""
    files, problems = find_data_sources(root, client)
    display = display_paths(root)
    tables = []
    loaded: list[tuple[str, MetricTable]] = []
    spans: dict[DataSource, dict[tuple[int, int], dt.date]] = {}
    canonical: dict[DataSource, str] = {}  # an entry's first canonical CSV (its export options unused)
    for path, source in files:
        shown = display(path)
        cached = _cached_parse(cache, path, shown, source, today)
        if cached is not None:
            parsed, parse_problems = cached
            problems.extend(parse_problems)
            problems.extend(shadowed_columns(parsed, client, shown, "canonical"))
            loaded.append((shown, parsed))
            tables.append(parsed)
            _add_spans(spans.setdefault(source, {}), parsed)
            canonical.setdefault(source, shown)
            continue
        raw = _read_bytes(path)
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
        if platform == "canonical":
            canonical.setdefault(source, shown)
        if cache is not None and table is not None and platform == "canonical":
            cache.put(path, shown, raw, table, file_problems)
        problems.extend(file_problems)
        if table is not None:
            problems.extend(shadowed_columns(table, client, shown, platform))
        if table is not None:
            if today is not None:
                problems.extend(future_rows(table, raw, shown, today))
            loaded.append((shown, table))
            tables.append(table)
            _add_spans(spans.setdefault(source, {}), table)
    if cache is not None:
        cache.save()
    problems.extend(unused_export_options(canonical))
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


def unused_export_options(canonical: dict[DataSource, str]) -> list[Problem]:
    """An entry's `currency:`, `campaign_map:`, `channel:` or `leads:` applies to platform
    exports only: a canonical CSV it reads is taken as written, and an AE who wrote a
    campaign_map to merge campaigns would otherwise never learn it did nothing."""
    problems = []
    for source, shown in canonical.items():
        unused = [
            name
            for name, value in (
                ("currency", source.currency),
                ("campaign_map", source.campaign_map),
                ("channel", source.channel),
                ("leads", source.leads),
            )
            if value
        ]
        if unused:
            problems.append(
                Problem(
                    CONFIG_FILE,
                    source.line,
                    f"data '{source.pattern}': {', '.join(unused)} appl{'y' if len(unused) > 1 else 'ies'} "
                    f"to platform exports only, and {shown} is a canonical CSV, read as written "
                    "(give the exports an entry of their own, or drop the option)",
                    "warning",
                )
            )
    return problems


def display_paths(root: Path) -> Callable[[Path], str]:
    """`errors.display_path(path, root)` for many files: the root and each folder resolved
    once (a client's files share a folder or a few)."""
    real_root = os.path.realpath(root)
    folders: dict[str, Path] = {}

    def display(path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        folder = str(absolute.parent)
        real = folders.get(folder)
        if real is None:
            real = folders[folder] = Path(os.path.realpath(folder))
        try:
            return (real / absolute.name).relative_to(real_root).as_posix()
        except ValueError:
            return str(path)

    return display


def _add_spans(last: dict[tuple[int, int], dt.date], table: MetricTable) -> None:
    """The last day with data, per month, per data entry (each distinct day once)."""
    for day in dict.fromkeys(map(_date_of, table.rows)):
        month = (day.year, day.month)
        if day > last.get(month, dt.date.min):
            last[month] = day


def _cached_parse(
    cache: ParsedCache | None, path: Path, shown: str, source: DataSource, today: dt.date | None
) -> tuple[MetricTable, list[Problem]] | None:
    """The cached parse of a canonical CSV, or None: not cached, not canonical, or with
    rows after today (their warning quotes the file's line: the file is read again)."""
    if cache is None or source.format not in ("auto", "canonical"):
        return None
    found = cache.get(path, shown)
    if found is None:
        return None
    table = found[0]
    if today is not None and table.rows and max(map(_date_of, table.rows)) > today + FUTURE_TOLERANCE:
        return None
    return found


FUTURE_TOLERANCE = dt.timedelta(days=3)  # time zones, a platform's "today" export


def future_rows(table: MetricTable, raw: bytes, shown: str, today: dt.date) -> list[Problem]:
    """A warning for rows dated after the build's today (plus a few days):
    data from the future is almost always a typo, and its month would
    silently become the latest report."""
    if not table.rows or max(map(_date_of, table.rows)) <= today + FUTURE_TOLERANCE:
        return []
    future = [row.date for row in table.rows if row.date > today + FUTURE_TOLERANCE]
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
                        f"amounts are in {export.currency}, but client '{client.id}' reports in "
                        f"{client.currency} (one currency per client; set currency: on the data entry "
                        "if the export is mislabelled)"
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
                        f"overlaps {first_shown}: both have rows for {day}{which} giving "
                        f"{metrics}{more}{period}; each figure must come from one file: remove one of them "
                        "(a copy? an imported CSV next to the export it came from?) or split their date "
                        "ranges (figures are never double-counted)"
                    ),
                )
            )
    return problems


def _date_span(table: MetricTable) -> tuple[dt.date, dt.date] | None:
    if not table.rows:
        return None
    days = list(map(_date_of, table.rows))
    if table.grain == "day":  # a row covers its own day
        return min(days), max(days)
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
