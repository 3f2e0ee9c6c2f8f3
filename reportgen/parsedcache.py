"""The parsed-data cache: each client's canonical CSVs as parsed, one file per client.

A monthly run adds one file per client but would parse every file of every
client again (3 million rows on a 500-client agency). The build keeps what it
parsed in `.reportgen-cache/parsed/`, one file per client, keyed by each data
file's path, the name messages show for it, and the SHA-256 of its content.
A file is taken from the cache only when the build already knows that digest
from the file's unchanged stat (`InputDigests`, the same rule as the no-op
check: size, modification and change times, inode); a file read afresh is
digested from the bytes just read, so an entry always describes exactly the
content it is stored under.

Only canonical CSVs are kept (a platform export also depends on its data
entry's settings), and never a protected client's: its figures must not sit in
plaintext outside its sealed portal (the build cache keeps no digest of its
files either). The file is `marshal` data (plain numbers, strings and tuples:
never pickle) behind a magic line and the SHA-256 of the payload; a corrupt,
truncated, foreign or older file is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import marshal
import math
import os
import stat
from array import array
from collections.abc import Iterable, Mapping
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from .codeid import code_identity
from .errors import Problem
from .inputfiles import keep_only, read_cache_file, real_cache_folder, write_whole
from .model import Client, MetricRow, MetricTable
from .schema import LARGEST_NUMBER

MAGIC = b"reportgen-parsed/2\n"
FOLDER = "parsed"
NOTES_FOLDER = "notes"  # notescache.py: the same rules, one file per client, named alike
_DIGEST_SIZE = 32  # the payload's SHA-256, raw

# One data file as parsed: its digest, the name messages show, the table's columns and
# the problems parsing reported.
Entry = tuple[str, str, MetricTable, tuple[Problem, ...]]


def cache_file(cache_dir: Path, client_id: str) -> Path:
    """The client's file (named by a digest of its id: any id is a safe file name)."""
    name = hashlib.sha256(client_id.encode()).hexdigest()[:24]
    return cache_dir / FOLDER / f"{name}.bin"


class ParsedCache:
    """One client's parsed files: looked up by `get`, new parses added by `put`,
    written back once by `save` (only when something changed)."""

    def __init__(
        self, cache_dir: Path, client_id: str, known: Mapping[str, list[int | str]], read: bool = True
    ):
        self.path = cache_file(cache_dir, client_id)
        self.client_id = client_id
        self.known = known  # InputDigests entries: path → [size, mtime, ctime, inode, digest]
        # `read=False` (build --clean): every file is parsed afresh, and the cache rewritten
        self.old: dict[str, Entry] = {}
        # each entry of the file as stored: written back as it is when it is still wanted
        self.stored: dict[str, tuple[Any, ...]] = {}
        if read:
            self.old, self.stored = _load(self.path, client_id)
        self.new: dict[str, Entry] = {}
        self.changed = False

    def settled_digest(self, path: Path) -> str | None:
        """The content digest the build already took of `path`, if its stat is unchanged."""
        entry = self.known.get(str(path))
        if entry is None:
            return None
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        if list(entry[:4]) != [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]:
            return None
        return str(entry[4])

    def get(self, path: Path, shown: str) -> tuple[MetricTable, list[Problem]] | None:
        """The parse of `path` as cached, or None (then it is read and parsed)."""
        digest = self.settled_digest(path)
        found = self.old.get(str(path))
        if digest is None or found is None or found[0] != digest or found[1] != shown:
            return None
        self.new[str(path)] = found
        return found[2], list(found[3])

    def put(self, path: Path, shown: str, raw: bytes, table: MetricTable, problems: list[Problem]) -> None:
        """Keep a fresh parse of `raw` (the bytes just read), under their own digest."""
        self.new[str(path)] = (hashlib.sha256(raw).hexdigest(), shown, table, tuple(problems))
        self.changed = True

    def save(self) -> None:
        """Write the client's file when a file was parsed afresh or is gone; never fails the build."""
        if not self.changed and self.new.keys() == self.old.keys():
            return
        payload = marshal.dumps(
            (
                code_identity(),
                self.client_id,
                tuple(self._encoded(k, e) for k, e in sorted(self.new.items())),
            ),
            4,
        )
        write_cache_file(self.path, MAGIC, payload)

    def _encoded(self, path: str, entry: Entry) -> tuple[Any, ...]:
        """An entry as stored: as the file held it when taken from there (the same digest,
        name and parse), else encoded afresh."""
        stored = self.stored.get(path)
        if stored is not None and self.old.get(path) is entry:
            return stored
        return _encode(path, entry)


def forget_protected(cache_dir: Path, clients: Iterable[Client]) -> None:
    """Keep only the files of clients in clients.yaml that are not protected: remove one
    cached before its client was protected, and those of clients removed or renamed
    since (a protected client's old id is no longer its id). A build, `status` and
    `overview` call this, as they prune the status cache. The same for the notes
    cache (notescache.py), whose files are named alike."""
    wanted = {cache_file(cache_dir, c.id).name for c in clients if c.access is None}
    for folder in (cache_dir / FOLDER, cache_dir / NOTES_FOLDER):
        keep_only(folder, wanted)


def write_cache_file(path: Path, magic: bytes, payload: bytes) -> None:
    """`magic`, the payload's SHA-256 and the payload, swapped in whole (a reader sees the
    old file or the new one); never through a link, never failing the build."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not real_cache_folder(path.parent):  # a link out of the project: never written through
            return
        write_whole(path, magic + hashlib.sha256(payload).digest() + payload)


def _encode(path: str, entry: Entry) -> tuple[Any, ...]:
    digest, shown, table, problems = entry
    rows = table.rows
    days = {day: day.toordinal() for day in dict.fromkeys(map(_date_of, rows))}
    return (
        path,
        digest,
        shown,
        table.metrics,
        table.has_campaign,
        table.has_channel,
        len(rows),
        array("i", map(days.__getitem__, map(_date_of, rows))).tobytes(),
        _encode_names(list(map(_campaign_of, rows))),
        _encode_names(list(map(_channel_of, rows))),
        tuple(map(_encode_numbers, zip(*map(_values_of, rows), strict=True))) if rows else (),
        tuple((p.path, p.line, p.message, p.severity) for p in problems),
    )


def _encode_names(column: list[str | None]) -> tuple[list[str | None], bytes]:
    """Each distinct name once, and the column as their positions."""
    names = list(dict.fromkeys(column))
    at = {name: index for index, name in enumerate(names)}
    return names, array("I", map(at.__getitem__, column)).tobytes()


def _encode_numbers(column: tuple[int | float | None, ...]) -> tuple[str, object]:
    """A column of only ints or only floats as 8-byte machine numbers (exact), else as is."""
    kinds = set(map(type, column))
    with contextlib.suppress(OverflowError):
        if kinds == {int}:
            return "q", array("q", cast("tuple[int, ...]", column)).tobytes()
        if kinds == {float}:
            return "d", array("d", cast("tuple[float, ...]", column)).tobytes()
    return "t", column


def _decode_array(kind: str, data: object, count: int) -> list[Any]:
    if type(data) is not bytes:
        raise ValueError("array")
    values = array(kind)
    values.frombytes(data)  # ValueError unless a whole number of items
    if len(values) != count:
        raise ValueError("array")
    return values.tolist()


def _decode_names(item: object, count: int) -> list[str | None]:
    if type(item) is not tuple or len(item) != 2 or type(item[0]) is not list:
        raise ValueError("names")
    names, positions = item
    if not set(map(type, names)) <= _NAMES:
        raise ValueError("names")
    return list(map(names.__getitem__, _decode_array("I", positions, count)))  # IndexError if off


def _decode_numbers(item: object, count: int) -> list[Any] | tuple[Any, ...]:
    if type(item) is not tuple or len(item) != 2:
        raise ValueError("values")
    kind, data = item
    if kind in ("q", "d"):
        values: list[Any] | tuple[Any, ...] = _decode_array(kind, data, count)
    elif kind != "t" or type(data) is not tuple or len(data) != count or not set(map(type, data)) <= _NUMBERS:
        raise ValueError("values")
    else:
        values = data
    # as the CSV reader's rules: finite and at most 10^15 either way (else: not ours)
    if not _in_range(values, kind):
        raise ValueError("values")
    return values


def _in_range(values: list[Any] | tuple[Any, ...], kind: str) -> bool:
    """Every value None or a finite number within ±LARGEST_NUMBER. A column of machine
    numbers is checked by its least, greatest and sum (C loops: 2-3x faster than a
    comparison per value; a client's cache file of L reads ~20 % faster): a NaN can hide
    from min and max but not from the sum, and the sum of a column within the bounds
    cannot overflow."""
    if kind == "t":
        return all(v is None or -LARGEST_NUMBER <= v <= LARGEST_NUMBER for v in values)
    if not values:
        return True
    return min(values) >= -LARGEST_NUMBER and max(values) <= LARGEST_NUMBER and not math.isnan(sum(values))


def _load(path: Path, client_id: str) -> tuple[dict[str, Entry], dict[str, tuple[Any, ...]]]:
    """The client's entries and each as stored, or none when the file is absent, corrupt,
    foreign or older."""
    try:
        if not real_cache_folder(path.parent):
            return {}, {}
        data = read_cache_file(path)
    except OSError:
        return {}, {}
    head = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]:
        return {}, {}
    try:
        version, owner, files = marshal.loads(data[head:])
        if version != code_identity() or owner != client_id or type(files) is not tuple:
            return {}, {}
        entries = dict(_decode(item) for item in files)
        return entries, {item[0]: item for item in files}
    except (ValueError, TypeError, EOFError, OverflowError, IndexError, RecursionError, MemoryError):
        return {}, {}  # whatever is wrong with it: ignored, and rewritten by this build


_date_of, _campaign_of, _channel_of, _values_of = (itemgetter(i) for i in range(4))  # MetricRow's fields
_SEVERITIES = frozenset({"error", "warning", "info"})
_NAMES = frozenset({str, type(None)})
_NUMBERS = frozenset({int, float, type(None)})


def _decode(item: object) -> tuple[str, Entry]:
    """One stored file, checked field by field (ValueError/TypeError when anything is off)."""
    if type(item) is not tuple or len(item) != 12:
        raise ValueError("entry")
    path, digest, shown, metrics, has_campaign, has_channel, count = item[:7]
    ordinals, campaigns, channels, columns, problems = item[7:]
    if not (type(path) is str and type(digest) is str and type(shown) is str and type(count) is int):
        raise ValueError("names")
    if (
        type(metrics) is not tuple
        or not all(type(m) is str for m in metrics)
        or len(set(metrics)) < len(metrics)
    ):
        raise ValueError("metrics")
    if type(has_campaign) is not bool or type(has_channel) is not bool:
        raise ValueError("flags")
    if type(columns) is not tuple or (count and len(columns) != len(metrics)) or type(problems) is not tuple:
        raise ValueError("columns")
    days_of = _decode_array("i", ordinals, count)
    days = {ordinal: dt.date.fromordinal(ordinal) for ordinal in set(days_of)}
    names = (_decode_names(campaigns, count), _decode_names(channels, count))
    values = zip(*(_decode_numbers(c, count) for c in columns), strict=True) if columns else repeat((), count)
    cells = zip(map(days.__getitem__, days_of), *names, values, strict=True)
    rows = tuple(map(tuple.__new__, repeat(MetricRow, count), cells))
    found: list[Problem] = []
    for problem in problems:
        if type(problem) is not tuple or len(problem) != 4:
            raise ValueError("problem")
        where, line, message, severity = problem
        if not (type(where) is str and (line is None or type(line) is int) and type(message) is str):
            raise ValueError("problem")
        if severity not in _SEVERITIES:
            raise ValueError("problem")
        found.append(Problem(where, line, message, severity))
    table = MetricTable(metrics=metrics, rows=rows, has_campaign=has_campaign, has_channel=has_channel)
    return path, (digest, shown, table, tuple(found))
