"""A cache of parsed data files, so a rebuild does not parse unchanged CSVs again.

Parsing is most of what loading a client costs (about 5 µs a row); a monthly
run loads every client but only one new file per client changed. Each parsed
file is kept in `.reportgen-cache/tables/` under a key made of the file's
content digest, how it was read (format and options) and the reportgen
version. The format is plain arrays behind a JSON header — never pickle — and
anything unexpected in a cache file makes it a miss: the CSV is parsed again.
"""

from __future__ import annotations

import array
import datetime as dt
import hashlib
import json
import math
import os
from pathlib import Path

from . import __version__
from .model import MetricRow, MetricTable

MAGIC = b"reportgen-table/1\n"
_NONE = -1
ALL_INT, NO_INT, MIXED = 1, 0, 2


def table_key(raw_digest: str, how: object) -> str:
    return hashlib.sha256(f"{__version__}\x1e{raw_digest}\x1e{how!r}".encode()).hexdigest()[:32]


def save_table(folder: Path, key: str, table: MetricTable, extra: dict | None = None) -> None:
    """Write atomically; a cache that cannot be written is simply not used."""
    campaigns = sorted({r.campaign for r in table.rows if r.campaign is not None})
    channels = sorted({r.channel for r in table.rows if r.channel is not None})
    campaign_at = {name: i for i, name in enumerate(campaigns)}
    channel_at = {name: i for i, name in enumerate(channels)}
    width = len(table.metrics)
    # Integers stay integers (1234 is written "1234", not "1234.0"): per column
    # ALL_INT, NO_INT, or MIXED with a flag per cell.
    integer = []
    for i in range(width):
        kinds = {isinstance(r.values[i], int) for r in table.rows if r.values[i] is not None}
        integer.append(MIXED if len(kinds) == 2 else ALL_INT if kinds != {False} else NO_INT)
    header = {"metrics": list(table.metrics), "has_campaign": table.has_campaign,
              "has_channel": table.has_channel, "rows": len(table.rows), "campaigns": campaigns,
              "channels": channels, "integer": integer, "extra": extra or {}}
    days = array.array("i", (r.date.toordinal() for r in table.rows))
    campaign_ids = array.array("i", (campaign_at[r.campaign] if r.campaign is not None else _NONE
                                     for r in table.rows))
    channel_ids = array.array("i", (channel_at[r.channel] if r.channel is not None else _NONE
                                    for r in table.rows))
    columns = [array.array("d", (math.nan if r.values[i] is None else float(r.values[i])
                                 for r in table.rows)) for i in range(width)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"{key}.tmp-{os.getpid()}"
        with temporary.open("wb") as handle:
            handle.write(MAGIC)
            handle.write(json.dumps(header).encode() + b"\n")
            for part in (days, campaign_ids, channel_ids, *columns):
                handle.write(part.tobytes())
            for i, kind in enumerate(integer):
                if kind == MIXED:
                    flags = array.array("b", (isinstance(r.values[i], int) for r in table.rows))
                    handle.write(flags.tobytes())
        os.replace(temporary, folder / f"{key}.bin")
    except OSError:
        pass


def load_table(folder: Path, key: str) -> tuple[MetricTable, dict] | None:
    """The cached table and what was saved with it, or None when absent, damaged or not ours."""
    try:
        data = (folder / f"{key}.bin").read_bytes()
    except OSError:
        return None
    try:
        return _decode(data)
    except (ValueError, KeyError, TypeError, IndexError, OverflowError):
        return None


def _decode(data: bytes) -> tuple[MetricTable, dict] | None:
    if not data.startswith(MAGIC):
        return None
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC):end])
    count = int(header["rows"])
    metrics = tuple(str(m) for m in header["metrics"])
    campaigns, channels = list(header["campaigns"]), list(header["channels"])
    integer = [int(flag) for flag in header["integer"]]
    offset = end + 1
    parts = []
    codes = ["i", "i", "i", *["d"] * len(metrics), *["b" for kind in integer if kind == MIXED]]
    for code in codes:
        part = array.array(code)
        size = part.itemsize * count
        part.frombytes(data[offset:offset + size])
        if len(part) != count:
            return None
        parts.append(part)
        offset += size
    if offset != len(data):
        return None
    days, campaign_ids, channel_ids, *rest = parts
    columns, flags = rest[:len(metrics)], iter(rest[len(metrics):])
    converted = [_column_values(column, kind, next(flags) if kind == MIXED else None)
                 for column, kind in zip(columns, integer, strict=True)]
    from_ordinal = dt.date.fromordinal
    rows = tuple(
        MetricRow(from_ordinal(day), campaigns[c] if c != _NONE else None,
                  channels[h] if h != _NONE else None, values)
        for day, c, h, values in zip(days, campaign_ids, channel_ids, zip(*converted, strict=True)
                                     if converted else [()] * count, strict=True))
    table = MetricTable(metrics=metrics, rows=rows, has_campaign=bool(header["has_campaign"]),
                        has_channel=bool(header["has_channel"]))
    return table, dict(header.get("extra") or {})


def _column_values(column: array.array, kind: int, flags: array.array | None) -> list:
    if kind == ALL_INT:
        return [None if value != value else int(value) for value in column]
    if kind == MIXED:
        return [None if value != value else int(value) if flag else value
                for value, flag in zip(column, flags, strict=True)]
    return [None if value != value else value for value in column]
