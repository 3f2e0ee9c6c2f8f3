"""`reportgen import`: a platform export converted into a canonical CSV under data/CLIENT/.

Like the rest of scaffolding it writes an input file, never the output, and
never overwrites one; it says what it found so the AE sees at a glance that
it is the right file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TypedDict

from .config import CONFIG_FILE
from .datafiles import find_data_sources, is_generated_path
from .errors import InputError, Problem
from .inputfiles import UnreadableInputError, read_input_bytes, write_whole
from .model import Client, DataSource
from .scaffold import ScaffoldError, valid_client


class ImportSummary(TypedDict):
    """What `reportgen import` found in an export, for the AE to check at a glance."""

    format: str
    rows: int
    first: dt.date
    last: dt.date
    campaigns: list[str]
    currency: str
    totals: dict[str, float | None]


def import_export(root: Path, source: Path, client_id: str, format: str) -> tuple[Path, ImportSummary]:
    """Convert a platform export into a canonical CSV under data/CLIENT/.

    Returns the written path and what was found (rows, dates, campaigns,
    currency, totals), so the AE can see at a glance it is the right file.
    """
    from .importers import PLATFORM_NAMES, SourceSettings, read_export

    client = valid_client(root, client_id, "--client")
    try:  # a FIFO given by mistake is refused, never waited on
        raw = read_input_bytes(source)
    except UnreadableInputError as exc:
        raise ScaffoldError(f"cannot read {source}: {exc.message}") from None
    export, problems = read_export(raw, str(source), SourceSettings(format=format))
    if export is None:
        raise InputError(problems)
    if export.currency and export.currency != client.currency:
        raise InputError(
            [
                Problem(
                    str(source),
                    export.header_line,
                    (
                        f"the amounts are in {export.currency}, but client '{client_id}' reports in "
                        f"{client.currency} (one currency per client): export the report in "
                        f"{client.currency} from the platform, or set `currency: {export.currency}` for "
                        f"'{client_id}' in clients.yaml (line {client.line}) if that is the "
                        "client's currency; if the export's currency is mislabelled, keep the "
                        "file under data/ and give its data "
                        f"entry `currency: {client.currency}` instead of importing it"
                    ),
                )
            ]
        )
    table = export.table
    if not table.rows:
        raise ScaffoldError(f"{source}: the export has no data rows")
    if table.grain != "day":
        raise InputError([_period_export_problem(source, export.header_line, table.grain, client_id)])
    first = min(r.date for r in table.rows)
    last = max(r.date for r in table.rows)
    lines = [",".join(["date", "campaign", "channel", *table.metrics])]
    for row in sorted(table.rows, key=lambda r: (r.date, r.campaign or "", r.channel or "")):
        cells = [
            row.date.isoformat(),
            row.campaign or "",
            row.channel or "",
            *("" if v is None else repr(v) for v in row.values),
        ]
        lines.append(",".join(_csv_cell(c) for c in cells))
    content = "\n".join(lines) + "\n"
    folder = root / "data" / client_id
    problem = _unsafe_folder(root, folder)
    if problem:
        raise ScaffoldError(problem)
    target = _free_target(root, folder, f"{export.format}-{first}-{last}", content)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_whole(target, content.encode("utf-8"))  # all or nothing: a cut CSV would be published
    reader = _read_by(root, client, target)
    if reader is None or reader.format not in ("auto", "canonical"):
        target.unlink()  # a file no build reads (or reads as an export) would count for nothing
        raise InputError([_unread_problem(root, client, target, reader)])
    other = _other_reader(root, client, target)
    if other is not None:
        target.unlink()  # another client's portal would show this client's figures
        raise InputError([_other_reader_problem(root, client, target, other)])
    totals: dict[str, float | None] = {}
    for index, metric in enumerate(table.metrics):
        known = [value for r in table.rows if (value := r.values[index]) is not None]
        totals[metric] = sum(known) if known else None
    summary: ImportSummary = {
        "format": PLATFORM_NAMES[export.format],
        "rows": len(table.rows),
        "first": first,
        "last": last,
        "campaigns": sorted({r.campaign for r in table.rows if r.campaign}),
        "currency": export.currency or f"{client.currency} (assumed: the export does not say)",
        "totals": totals,
    }
    return target, summary


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _period_export_problem(source: Path, line: int, grain: str, client_id: str) -> Problem:
    """A weekly or monthly export cannot become daily rows: its grain would be lost, so
    a daily file for the same days would be counted on top of it without an error."""
    return Problem(
        str(source),
        line,
        (
            f"each row of this export covers a {grain}, and a canonical CSV has one row per "
            f"day: importing it would lose that (a daily export of the same days would then "
            f"be counted twice). Export it with a Day breakdown and import that, or put this "
            f"file itself under data/{client_id}/: reportgen reads it as it is and refuses a "
            f"daily file that overlaps it"
        ),
    )


def _unsafe_folder(root: Path, folder: Path) -> str:
    """Why import must not write into `folder` (data/ID linked out of the project, or into
    the build's output, whose files no build reads and a build replaces), or ''."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(folder))  # (where it would be made, if it is not there yet)
    shown = folder.relative_to(root).as_posix()
    if not real.is_relative_to(real_root):
        return f"{shown}/ leads outside the project (to {real}): import writes only inside it"
    if is_generated_path(real_root, real / "x.csv"):
        where = real.relative_to(real_root).as_posix()
        return (
            f"{shown}/ leads into {where}/, which is never read as data (the build's output, "
            f"a folder a build keeps beside it, the build cache or version control's): make "
            f"{shown} a folder of its own"
        )
    return ""


def _read_by(root: Path, client: Client, target: Path) -> DataSource | None:
    """The client's data entry that finds `target` (as a build would), if one does."""
    found, _problems = find_data_sources(root, client)
    real = os.path.realpath(target)
    return next((source for path, source in found if os.path.realpath(path) == real), None)


def _other_reader(root: Path, client: Client, target: Path) -> tuple[Client, DataSource] | None:
    """Another client whose data entries would read `target` too (data/B linked to
    data/A, or A's `data/**/*.csv`), with its entry."""
    from .config import read_project_config

    config, _problems = read_project_config(root)
    for other in config.clients if config is not None else ():
        if other.id != client.id and (reader := _read_by(root, other, target)) is not None:
            return other, reader
    return None


def _other_reader_problem(
    root: Path, client: Client, target: Path, other: tuple[Client, DataSource]
) -> Problem:
    reader_client, reader = other
    shown = target.relative_to(root).as_posix()
    where = os.path.relpath(os.path.realpath(target), os.path.realpath(root))
    return Problem(
        CONFIG_FILE,
        reader.line,
        f"client '{reader_client.id}' would read {shown} too (it is {where}, matched by its data "
        f"'{reader.pattern}'): '{client.id}''s figures would show in its portal; give "
        f"data/{client.id}/ a folder of its own, then import again",
    )


def _unread_problem(root: Path, client: Client, target: Path, reader: DataSource | None) -> Problem:
    shown = target.relative_to(root).as_posix()
    folder = f"data/{client.id}/*.csv"
    if reader is not None:
        return Problem(
            CONFIG_FILE,
            reader.line,
            f"client '{client.id}': data '{reader.pattern}' reads {shown} as a {reader.format} "
            f"export, but import writes a canonical CSV: keep those exports in a folder of "
            f"their own (data/{client.id}/{reader.format}/) and read {folder} with an entry "
            "without format:, then import again",
        )
    if not client.data:
        return Problem(
            CONFIG_FILE,
            client.line,
            f"client '{client.id}' has no data entries, so {shown} would never be read: add "
            f"`data: [{folder}]` to it, then import again",
        )
    patterns = ", ".join(source.pattern for source in client.data)
    return Problem(
        CONFIG_FILE,
        client.data[0].line,
        f"client '{client.id}' reads its data from {patterns}, which does not match {shown}: "
        f"add `- {folder}` to its data entries, then import again",
    )


def _free_target(root: Path, folder: Path, stem: str, content: str) -> Path:
    """`data/ID/FORMAT-FIRST-LAST.csv`, or `…-2.csv`, `…-3.csv` for another export of
    the same dates (two campaigns' exports are two files; overlapping rows are the
    build's error). The same export imported again is refused, naming its file."""
    for number in range(1, 1000):
        target = folder / (f"{stem}.csv" if number == 1 else f"{stem}-{number}.csv")
        if not os.path.lexists(target):
            return target
        if target.is_symlink() or not target.is_file():  # (never read a FIFO: it would wait)
            continue
        if target.read_bytes() == content.encode("utf-8"):
            raise ScaffoldError(
                f"{target.relative_to(root)} already holds this export; nothing to import again"
            )
    raise ScaffoldError(f"data/{folder.name}/ already holds 999 exports named {stem}*.csv")
