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
  and every figure is scaled so that the month's spend is what it was: each
  month still adds up to its note and keeps to its budget;
- the running month: when yesterday is not the last day of a month, the
  newest month is cut after yesterday and its note becomes a draft (its
  prose, written for the full month, is the AE's draft for it);
- next steps: an open step whose moved due date has passed is due a whole
  number of weeks later, so nothing is overdue on the day of `init` (the
  generated CI runs `build --month previous --strict`).

At REFERENCE_DAY all of this is the identity: the copy is byte for byte the
checked-in files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import yaml
from babel.dates import get_month_names

from .model import Month

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
    spend = header.split(",").index("spend")
    before = sum(float(cells[spend]) for cell_rows in rows_by_day.values() for cells in cell_rows)
    after = sum(float(cells[spend]) for _, cells in moved)
    scale = before / after if source.days != target.days and after else 1.0
    out = [header]
    for day, cells in moved:
        if day > days:
            break
        figures = cells[3:] if scale == 1 else [_scaled(cell, scale) for cell in cells[3:]]
        out.append(",".join([target.first_day.replace(day=day).isoformat(), *cells[1:3], *figures]))
    return "\n".join(out) + "\n"


def _scaled(cell: str, scale: float) -> str:
    """A count stays a whole number (rounding keeps clicks <= impressions and so
    on); an amount keeps its decimals."""
    if "." not in cell:
        return str(int(int(cell) * scale + 0.5))
    decimals = len(cell) - cell.index(".") - 1
    return f"{float(cell) * scale:.{decimals}f}"


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
