"""`reportgen import`: a platform export converted into a canonical CSV under data/CLIENT/.

Like the rest of scaffolding it writes an input file, never the output, and
never overwrites one; it says what it found so the AE sees at a glance that
it is the right file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypedDict

from .errors import InputError, Problem
from .inputfiles import UnreadableInputError, read_input_bytes
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
    first = min(r.date for r in table.rows)
    last = max(r.date for r in table.rows)
    target = root / "data" / client_id / f"{export.format}-{first}-{last}.csv"
    if target.exists():
        raise ScaffoldError(f"{target.relative_to(root)} already exists; remove it to import again")
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(["date", "campaign", "channel", *table.metrics])]
    for row in sorted(table.rows, key=lambda r: (r.date, r.campaign or "", r.channel or "")):
        cells = [
            row.date.isoformat(),
            row.campaign or "",
            row.channel or "",
            *("" if v is None else repr(v) for v in row.values),
        ]
        lines.append(",".join(_csv_cell(c) for c in cells))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
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
