"""Load: a canonical metric CSV (SPEC 2.2) → `MetricTable`.

`date` (ISO), optional `campaign` and `channel`, every other column a numeric
metric named by its header. Every unreadable row is reported with its line
(up to MAX_PROBLEMS_PER_FILE per file); numbers are read by one rule
(`parse_number`), which clients.yaml's numbers follow too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from itertools import repeat
from typing import TYPE_CHECKING

from .errors import Problem, either
from .formulas import NAME_RE
from .importers import EXPORTS, quote_cell
from .inputfiles import line_at
from .model import MetricRow, MetricTable, date_in_range, outside_range
from .schema import LARGEST_NUMBER_TEXT, is_sane_number
from .vocabulary import BUILTIN_FORMULAS

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

MAX_PROBLEMS_PER_FILE = 20
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


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
    if header is None or not any(_visible(cell) for cell in header):
        return None, [_blank_header(text, shown)]
    columns, problems = _parse_header(header, shown, text.split("\n", 1)[0].rstrip("\r"))
    if problems:
        return None, problems
    return _parse_rows(reader, columns, shown, text)


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


# What a blank line may hold that shows nothing: spaces (Unicode's too: a no-break
# space), separators, and the invisible format characters (a zero-width space, a BOM).
_INVISIBLE = " \t;\u200b\u200c\u200d\u2060\ufeff"


def _visible(text: str) -> bool:
    return bool(text.strip().strip(_INVISIBLE).strip())


def _blank_header(text: str, shown: str) -> Problem:
    """A file with nothing in it, or one whose first line is blank (blank lines or a
    spreadsheet's row of empty cells above the header): which, and where the text starts."""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines, 1) if _visible(line.replace(",", ""))), 0)
    if not first:
        return Problem(shown, 1, "empty file: expected a header line starting with 'date'")
    return Problem(
        shown,
        1,
        f"line 1 is blank: the header line starting with 'date' must be the first line "
        f"(delete the {first - 1} blank line{'s' if first > 2 else ''} above line {first})",
    )


def _parse_header(header: list[str], shown: str, first_line: str) -> tuple[list[str], list[Problem]]:
    sep_line = first_line.strip().strip('"').strip()
    if sep_line.lower().startswith("sep=") and not any(_visible(c) for c in header[1:]):
        # Excel's "sep=;" line, which some tools put before the header.
        return [], [
            Problem(
                shown,
                1,
                f"line 1 is a spreadsheet's '{sep_line}' line, not the header: delete it "
                "(canonical CSVs start with the header line starting with 'date')",
            )
        ]
    separator = "" if "date" in (c.strip().lower() for c in header) else _other_separator(first_line)
    if separator:
        # A spreadsheet set to a decimal-comma locale saves "CSV" with ';' (or
        # tabs); naming the separator beats one error per glued-together column.
        return [], [
            Problem(
                shown,
                1,
                f"the header is separated by {separator}, not commas: canonical CSVs are "
                "comma-separated with a '.' decimal point (save it again as CSV with commas; a "
                f"platform export is read with any separator once its data entry says format: "
                f"{either(EXPORTS)})",
            )
        ]
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


def _other_separator(first_line: str) -> str:
    """The name of the separator that, unlike commas, splits the header line into
    columns with a 'date' one (`"date";"spend, net"`, tabs, `|`), or ''."""
    for mark, name in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
        cells = next(csv.reader([first_line], delimiter=mark), [])
        if len(cells) > 1 and "date" in (cell.strip().lower() for cell in cells):
            return name
    return ""


def _parse_rows(
    reader: CsvReader, columns: list[str], shown: str, text: str = ""
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
    width = len(columns)
    errors = 0
    first_unshown: int | None = None  # the line of the first bad row not listed
    negative = None  # (line, column, value) of the first negative cell
    fast = _fast_rows(text, width, date_at, campaign_at, channel_at, [i for i, _c in metric_at])
    rows: list[MetricRow] = fast if fast is not None else []
    try:
        for cells in reader if fast is None else ():
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
                elif errors == MAX_PROBLEMS_PER_FILE + 1:
                    first_unshown = line  # problems sort by line: the count follows the rows shown
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
        more = errors - MAX_PROBLEMS_PER_FILE
        problems.append(Problem(shown, first_unshown, f"... and {more} more bad rows, from this one on"))
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


def _fast_rows(
    text: str,
    width: int,
    date_at: int,
    campaign_at: int | None,
    channel_at: int | None,
    metric_at: list[int],
) -> list[MetricRow] | None:
    """The rows of a plain canonical file (no quotes, `\n` line ends, every row whole and
    readable, no negative value) read with str methods: what `_parse_rows` reads from it,
    several times faster. None for any other file, which `_parse_rows` then reads cell by
    cell, with its messages."""
    if not text or '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    body = lines[1:]
    if body and not body[-1]:
        body.pop()  # the last line's end
    if body and set(map(str.count, body, repeat(","))) == {width - 1}:
        return _fast_columns(body, width, date_at, campaign_at, channel_at, metric_at)
    return _fast_lines(lines, width, date_at, campaign_at, channel_at, metric_at)


def _fast_columns(
    body: list[str],
    width: int,
    date_at: int,
    campaign_at: int | None,
    channel_at: int | None,
    metric_at: list[int],
) -> list[MetricRow] | None:
    """`_fast_rows` of lines that all have the header's width, a column at a time: each
    distinct date and name is read once, a column of plain integers or decimals is
    converted by one map. The cells are read as `_fast_lines` reads them."""
    cells = ",".join(body).split(",")
    count = len(body)
    days: dict[str, dt.date] = {}
    for cell in dict.fromkeys(cells[date_at::width]):
        day = _plain_day(cell)
        if day is None:
            return None
        days[cell] = day
    columns: list[Iterable[object]] = [map(days.__getitem__, cells[date_at::width])]
    limit = csv.field_size_limit()
    for at in (campaign_at, channel_at):
        if at is None:
            columns.append(repeat(None, count))
            continue
        column = cells[at::width]
        names: dict[str, str | None] = {}
        for cell in dict.fromkeys(column):
            if len(cell) > limit:
                return None  # the csv reader refuses it
            names[cell] = cell.strip() or None
        columns.append(map(names.__getitem__, column))
    values: list[list[int | float | None]] = []
    for index in metric_at:
        numbers = _number_column(cells[index::width])
        if numbers is None:
            return None
        values.append(numbers)
    columns.append(zip(*values, strict=True) if values else repeat((), count))
    return list(map(tuple.__new__, repeat(MetricRow, count), zip(*columns, strict=True)))


_PLAIN_INTEGERS = re.compile(r"\d{1,15}(?:\n\d{1,15})*", re.ASCII)
_PLAIN_DECIMALS = re.compile(r"\d{1,15}\.\d+(?:\n\d{1,15}\.\d+)*", re.ASCII)


def _number_column(column: list[str]) -> list[int | float | None] | None:
    """A metric column's values as `_fast_lines` reads them (None: a bad or negative cell)."""
    lines = "\n".join(column)
    if _PLAIN_INTEGERS.fullmatch(lines):
        return list(map(int, column))
    if _PLAIN_DECIMALS.fullmatch(lines):
        return list(map(float, column))
    values: list[int | float | None] = []
    for cell in column:
        value = _plain_number(cell)
        if value is None:
            value, ok = parse_number(cell)
            if not ok or (value is not None and value < 0):
                return None  # a bad cell, or the first negative one: _parse_rows says which
        values.append(value)
    return values


def _plain_day(cell: str) -> dt.date | None:
    """An ISO date in the range reportgen accepts, or None (the csv path then says why)."""
    try:
        day = dt.date.fromisoformat(cell.strip())
    except ValueError:
        return None
    return day if date_in_range(day) else None


def _plain_number(cell: str) -> int | float | None:
    """A cell of at most 15 ASCII digits, with or without a decimal part; else None."""
    if len(cell) <= 15 and cell.isdigit() and cell.isascii():
        return int(cell)
    whole, dot, fraction = cell.partition(".")
    if dot and len(whole) <= 15 and whole.isdigit() and fraction.isdigit() and cell.isascii():
        return float(cell)
    return None


def _fast_lines(
    lines: list[str],
    width: int,
    date_at: int,
    campaign_at: int | None,
    channel_at: int | None,
    metric_at: list[int],
) -> list[MetricRow] | None:
    """`_fast_rows` a line at a time (a file with blank lines, or a row of another width)."""
    limit = csv.field_size_limit()
    dates: dict[str, dt.date] = {}
    names: dict[str, str | None] = {}
    rows: list[MetricRow] = []
    new_row = tuple.__new__
    for number in range(1, len(lines)):
        cells = lines[number].split(",")
        if len(cells) != width:
            if len(cells) == 1 and not cells[0].strip():
                continue  # a blank line, as the csv reader skips it
            return None
        cell = cells[date_at]
        day = dates.get(cell) or _plain_day(cell)
        if day is None:
            return None
        dates[cell] = day
        values: list[int | float | None] = []
        for index in metric_at:
            cell = cells[index]
            value = _plain_number(cell)
            if value is None:
                value, ok = parse_number(cell)
                if not ok or (value is not None and value < 0):
                    return None  # a bad cell, or the first negative one: _parse_rows says which
            values.append(value)
        campaign = channel = None
        for at in (campaign_at, channel_at):
            if at is None:
                continue
            cell = cells[at]
            if len(cell) > limit:
                return None  # the csv reader refuses it
            name = names.get(cell)
            if name is None and cell not in names:
                name = names[cell] = cell.strip() or None
            if at == campaign_at:
                campaign = name
            else:
                channel = name
        rows.append(new_row(MetricRow, (day, campaign, channel, tuple(values))))
    return rows


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
