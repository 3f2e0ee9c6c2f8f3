"""The "Brightline Media" demo agency that `reportgen init --demo` writes.

The demo is data, not code: four clients' clients.yaml, CSV exports, monthly
notes and logos, checked in at the repository's top (which is itself the demo
project: `reportgen build` there builds it) and installed with the package as
`reportgen/demo_project/` (pyproject.toml maps the repository's top onto that
package folder, as it does templates/). They are the demo as it stood on
REFERENCE_DAY: fifteen complete months of data, notes for the last seven.

`init --demo` copies them moved forward to the day it runs, so a fresh demo is
always current. The whole calendar moves by whole months: the newest month of
the checked-in demo becomes the month of yesterday, every other month follows
(file names, "YYYY-MM" budget months, ISO dates in rows and front matter,
month names in the notes' prose in English, German and Vietnamese, with the
year where one is written). Whole months keep what the notes say true: an
event on the 14th is still annotated on the 14th, a note's figures still add
up to its month's rows, a budget override still belongs to its month. What
does not line up is the weekday (a weekend dip may fall on a Tuesday) and the
season (the Black Week campaign runs wherever November has moved to): a
plausible demo, not a calendar.

Three adjustments make a moved demo read like one written on the day:

- month lengths: a row's day of month stays; a longer month repeats the rows
  of a week earlier for its extra days, a shorter one drops its last days,
  and then every figure column is apportioned back onto the days so that each
  campaign's month total is exactly what it was (largest remainders, in whole
  counts and in cents): every total, channel total and ratio a note quotes
  stays true, the month keeps to its budget, and a day keeps clicks <=
  impressions (and the like) wherever the checked-in month does;
- the running month: when yesterday is not the last day of a month, the
  newest month is cut after yesterday and its note becomes a draft (its
  prose, written for the full month, is the AE's draft for it);
- next steps: an open step whose moved due date has passed is due a whole
  number of weeks later, so nothing is overdue on the day of `init` (the
  generated CI runs `build --month previous --strict`).

At REFERENCE_DAY all of this is the identity: the copy is byte for byte the
checked-in files. A day too far from it to move the demo to (its first month,
or a next step's due date, would leave the dates reportgen accepts) is
refused: see demo_days().
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path

import yaml
from babel.dates import get_month_names

from .errors import UsageError
from .model import DATE_RANGE_TEXT, FIRST_YEAR, LAST_YEAR, Month

# The day the checked-in demo was written for (data through the day before):
# `init --demo` on this day copies it unchanged.
REFERENCE_DAY = dt.date(2026, 12, 1)
NEWEST_MONTH = Month.of(REFERENCE_DAY - dt.timedelta(days=1))  # 2026-11, complete
DEMO_FILES = ("clients.yaml", "assets", "data", "content")  # what a demo project is made of

# The shapes dates take in the checked-in files (tests/test_demo_data.py moves
# them to many days and checks the result, so a file written another way shows up):
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")  # rows, front matter
_QUOTED_MONTH = re.compile(r'"(\d{4})-(\d{2})"')  # clients.yaml: budget months, since
_OPEN_STEP_DUE = re.compile(r"due: (\d{4}-\d{2}-\d{2}), done: false")  # a next step, one line each


def demo_source() -> Path:
    """The checked-in demo: installed as reportgen/demo_project, or the
    repository's top in a source checkout (an editable install)."""
    packaged = resources.files("reportgen") / "demo_project"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent


def write_demo_agency(root: Path, today: dt.date) -> None:
    """Write the demo into `root`, moved so its data ends the day before `today`
    (files are overwritten, never deleted)."""
    check_demo_day(today)
    source = demo_source()
    yesterday = today - dt.timedelta(days=1)
    shift = _months_between(NEWEST_MONTH, Month.of(yesterday))
    config = (source / "clients.yaml").read_text(encoding="utf-8")
    _write(root / "clients.yaml", _QUOTED_MONTH.sub(lambda m: f'"{_month_of(m).shift(shift)}"', config))
    for logo in sorted((source / "assets").iterdir()):
        _write_bytes(root / "assets" / logo.name, logo.read_bytes())
    for csv in sorted((source / "data").glob("*/*.csv")):
        month = Month.parse(csv.stem)
        target = month.shift(shift)
        days = min(target.days, (yesterday - target.first_day).days + 1)
        text = csv.read_text(encoding="utf-8")
        _write(root / "data" / csv.parent.name / f"{target}.csv", _moved_rows(text, month, target, days))
    locales = _client_locales(config)
    for note in sorted((source / "content").glob("*/*.md")):
        target = Month.parse(note.stem).shift(shift)
        text = _moved_note(note.read_text(encoding="utf-8"), shift, locales[note.parent.name])
        if target >= Month.of(today).previous:  # the notes a build on `today` reads last
            text = _OPEN_STEP_DUE.sub(lambda m: f"due: {_not_overdue(m.group(1), today)}, done: false", text)
        if target.last_day > yesterday:  # the running month: its note is a draft until it closes
            text = text.replace("\nstatus: final\n", "\nstatus: draft\n", 1)
        _write(root / "content" / note.parent.name / f"{target}.md", text)


@functools.cache
def demo_days() -> tuple[dt.date, dt.date]:
    """The first and the last day `init --demo` can move the demo to: its
    earliest month (data, `since`, budget months) and its latest date (a due
    date, a meeting) must stay inside the dates reportgen accepts."""
    source = demo_source()
    config = (source / "clients.yaml").read_text(encoding="utf-8")
    months = [Month.parse(csv.stem) for csv in (source / "data").glob("*/*.csv")]
    months += [_month_of(match) for match in _QUOTED_MONTH.finditer(config)]
    for note in (source / "content").glob("*/*.md"):
        months.append(Month.parse(note.stem))
        months += [_month_of(match) for match in _ISO_DATE.finditer(note.read_text(encoding="utf-8"))]
    earliest = _months_between(min(months), Month(FIRST_YEAR, 1))  # the least shift
    latest = _months_between(max(months), Month(LAST_YEAR, 12))  # the greatest shift
    # yesterday is in NEWEST_MONTH moved; a step put off past today is due within a week,
    # which stays in range because the latest month (at or after yesterday's) does
    first = NEWEST_MONTH.shift(earliest).first_day + dt.timedelta(days=1)
    last = NEWEST_MONTH.shift(latest).last_day + dt.timedelta(days=1)
    return first, last


def check_demo_day(today: dt.date) -> None:
    """A usage error (exit 2) for a day the demo cannot be moved to."""
    first, last = demo_days()
    if not first <= today <= last:
        raise UsageError(
            f"the demo cannot be moved to {today} (today, from SOURCE_DATE_EPOCH or the clock): "
            f"its 15 months of history and its next steps must lie in {DATE_RANGE_TEXT}, "
            f"so today must be from {first} to {last}"
        )


# --- moving dates -------------------------------------------------------------------------------


def _months_between(start: Month, end: Month) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _month_of(match: re.Match[str]) -> Month:
    return Month(int(match.group(1)), int(match.group(2)))


def _moved_day(day: dt.date, shift: int) -> dt.date:
    """The same day of the month `shift` months on (the 31st becomes a shorter month's last day)."""
    month = Month.of(day).shift(shift)
    return month.first_day.replace(day=min(day.day, month.days))


def _moved_rows(text: str, source: Month, target: Month, days: int) -> str:
    """A month's CSV as `target`'s first `days` days (see the module docstring)."""
    header, *lines = text.splitlines()
    rows_by_day: dict[int, list[list[str]]] = {}
    for line in lines:
        cells = line.split(",")
        rows_by_day.setdefault(int(cells[0][8:10]), []).append(cells)
    moved = [
        (day, cells)
        for day in range(1, target.days + 1)
        for cells in rows_by_day.get(day if day <= source.days else day - 7, [])
    ]
    if source.days != target.days:
        columns = header.split(",")
        reference = [cells for cell_rows in rows_by_day.values() for cells in cell_rows]
        figures = _apportioned_figures(columns, reference, [cells for _, cells in moved])
        moved = [(day, [*cells[:3], *row]) for (day, cells), row in zip(moved, figures, strict=True)]
    out = [header]
    for day, cells in moved:
        if day > days:
            break
        out.append(",".join([target.first_day.replace(day=day).isoformat(), *cells[1:]]))
    return "\n".join(out) + "\n"


# --- keeping each campaign's month totals --------------------------------------------------------


def _apportioned_figures(
    columns: Sequence[str], reference: list[list[str]], moved: list[list[str]]
) -> list[list[str]]:
    """The moved rows' figures (the columns after date, campaign, channel),
    apportioned so that each campaign's total of each column is the reference
    month's exactly. Amounts are apportioned in their smallest written unit
    (cents), counts in whole numbers. A count that is at most another count
    on every reference row of a campaign (clicks <= impressions, leads <=
    conversions) stays so on every moved row."""
    figures = range(3, len(columns))
    decimals = {col: max((_decimals(cells[col]) for cells in reference), default=0) for col in figures}
    out = [[""] * (len(columns) - 3) for _ in moved]
    for campaign in sorted({cells[1] for cells in moved}):
        rows = [i for i, cells in enumerate(moved) if cells[1] == campaign]
        ref = [cells for cells in reference if cells[1] == campaign]
        units = {col: [_units(moved[i][col], decimals[col]) for i in rows] for col in figures}
        totals = {col: sum(_units(cells[col], decimals[col]) for cells in ref) for col in figures}
        done: dict[int, list[int]] = {}
        for col in sorted(figures, key=lambda c: (-totals[c], c)):  # the bounding count first
            bounds = [
                other
                for other in done
                if decimals[col] == decimals[other] == 0
                and all(int(cells[col]) <= int(cells[other]) for cells in ref)
            ]
            caps = [min((done[other][k] for other in bounds), default=None) for k in range(len(rows))]
            done[col] = _apportioned(totals[col], units[col], caps)
            for k, i in enumerate(rows):
                out[i][col - 3] = _written(done[col][k], decimals[col])
    return out


def _apportioned(total: int, weights: list[int], caps: list[int | None]) -> list[int]:
    """`total` split in proportion to `weights` (evenly when they add up to
    nothing), no part above its cap: floors first, then the units left over
    one each to the parts furthest below their share that have room."""
    base = sum(weights)
    if base > 0 and min(weights) >= 0:
        shares = [Fraction(total * weight, base) for weight in weights]
    else:
        shares = [Fraction(total, len(weights))] * len(weights)
    limits = [cap if cap is not None else total for cap in caps]
    values = [min(share.__floor__(), limit) for share, limit in zip(shares, limits, strict=True)]
    while (rest := total - sum(values)) > 0:
        room = sorted(
            (k for k in range(len(values)) if values[k] < limits[k]), key=lambda k: (values[k] - shares[k], k)
        )
        if not room:  # cannot happen: a cap's own total is at least this one's
            raise ValueError(f"cannot apportion {total} within {limits}")
        for k in room[:rest]:
            values[k] += 1
    return values


def _decimals(cell: str) -> int:
    return len(cell) - cell.index(".") - 1 if "." in cell else 0


def _units(cell: str, decimals: int) -> int:
    return int(Decimal(cell).scaleb(decimals))


def _written(units: int, decimals: int) -> str:
    return f"{Decimal(units).scaleb(-decimals):.{decimals}f}"


def _moved_note(text: str, shift: int, locale: str) -> str:
    text = _ISO_DATE.sub(lambda m: _moved_day(dt.date.fromisoformat(m.group()), shift).isoformat(), text)
    return _month_names(locale, shift)(text)


def _not_overdue(text: str, today: dt.date) -> str:
    """An open step's due date, put off by whole weeks until it is not past."""
    due = dt.date.fromisoformat(text)
    if due >= today:
        return text
    return (due + dt.timedelta(weeks=-(-(today - due).days // 7))).isoformat()


def _month_names(locale: str, shift: int) -> Callable[[str], str]:
    """Renames months in prose: "November 2026" (with its year), "im Oktober",
    "tháng 11 năm 2026", as Babel spells them for the note's language."""
    names = get_month_names("wide", "format", locale)
    number = {str(name): month for month, name in names.items()}
    words = "|".join(re.escape(name) for name in sorted(number, key=len, reverse=True))
    pattern = re.compile(rf"\b({words})\b(?:( năm | )(\d{{4}})\b)?")

    def rename(match: re.Match[str]) -> str:
        month = number[match.group(1)]
        if match.group(3) is None:
            return str(names[(month - 1 + shift) % 12 + 1])
        moved = Month(int(match.group(3)), month).shift(shift)
        return f"{names[moved.month]}{match.group(2)}{moved.year}"

    return lambda text: pattern.sub(rename, text) if shift else text


def _client_locales(config: str) -> dict[str, str]:
    """Each demo client's locale (its own, or the defaults')."""
    document = yaml.safe_load(config)
    default = str(document.get("defaults", {}).get("locale", "en_US"))
    return {str(client["id"]): str(client.get("locale", default)) for client in document["clients"]}


def _write(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
