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
import os
import stat
from collections.abc import Iterable, Mapping
from itertools import repeat
from pathlib import Path
from typing import Any

from . import __version__
from .errors import Problem
from .model import Client, MetricRow, MetricTable

MAGIC = b"reportgen-parsed/1\n"
FOLDER = "parsed"
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
        self.old: dict[str, Entry] = _load(self.path, client_id) if read else {}
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
            (__version__, self.client_id, tuple(_encode(k, e) for k, e in sorted(self.new.items()))), 4
        )
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()


def forget_protected(cache_dir: Path, clients: Iterable[Client]) -> None:
    """Remove the file of every protected client: one cached before it was protected
    (a build, `status` and `overview` call this, as they prune the status cache)."""
    for client in clients:
        if client.access is not None:
            with contextlib.suppress(OSError):
                cache_file(cache_dir, client.id).unlink()


def _encode(path: str, entry: Entry) -> tuple[Any, ...]:
    digest, shown, table, problems = entry
    rows = table.rows
    return (
        path,
        digest,
        shown,
        table.metrics,
        table.has_campaign,
        table.has_channel,
        [row.date.toordinal() for row in rows],
        [row.campaign for row in rows],
        [row.channel for row in rows],
        tuple(zip(*(row.values for row in rows), strict=True)) if rows else (),
        tuple((p.path, p.line, p.message, p.severity) for p in problems),
    )


def _load(path: Path, client_id: str) -> dict[str, Entry]:
    """The client's entries, or none when the file is absent, corrupt, foreign or older."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]:
        return {}
    try:
        version, owner, files = marshal.loads(data[head:])
        if version != __version__ or owner != client_id or type(files) is not tuple:
            return {}
        return dict(_decode(item) for item in files)
    except (ValueError, TypeError, EOFError, OverflowError, IndexError, RecursionError, MemoryError):
        return {}  # whatever is wrong with it: ignored, and rewritten by this build


_SEVERITIES = frozenset({"error", "warning", "info"})
_NAMES = frozenset({str, type(None)})
_NUMBERS = frozenset({int, float, type(None)})


def _decode(item: object) -> tuple[str, Entry]:
    """One stored file, checked field by field (ValueError/TypeError when anything is off)."""
    if type(item) is not tuple or len(item) != 11:
        raise ValueError("entry")
    path, digest, shown, metrics, has_campaign, has_channel = item[:6]
    ordinals, campaigns, channels, columns, problems = item[6:]
    if not (type(path) is str and type(digest) is str and type(shown) is str):
        raise ValueError("names")
    if type(metrics) is not tuple or not all(type(m) is str for m in metrics):
        raise ValueError("metrics")
    if type(has_campaign) is not bool or type(has_channel) is not bool:
        raise ValueError("flags")
    count = len(ordinals)
    if not (type(ordinals) is list and type(campaigns) is list and type(channels) is list):
        raise ValueError("columns")
    if len(campaigns) != count or len(channels) != count or type(columns) is not tuple:
        raise ValueError("columns")
    if count and len(columns) != len(metrics):
        raise ValueError("columns")
    if not set(map(type, ordinals)) <= {int}:
        raise ValueError("dates")
    if not set(map(type, campaigns)) | set(map(type, channels)) <= _NAMES:
        raise ValueError("names")
    for column in columns:
        if type(column) is not tuple or len(column) != count or not set(map(type, column)) <= _NUMBERS:
            raise ValueError("values")
    days = {ordinal: dt.date.fromordinal(ordinal) for ordinal in set(ordinals)}
    values = zip(*columns, strict=True) if columns else repeat((), count)
    dates = map(days.__getitem__, ordinals)
    cells = zip(dates, campaigns, channels, values, strict=True)
    rows = tuple(map(tuple.__new__, repeat(MetricRow, count), cells))
    found: list[Problem] = []
    for problem in problems:
        where, line, message, severity = problem
        if not (type(where) is str and (line is None or type(line) is int) and type(message) is str):
            raise ValueError("problem")
        if severity not in _SEVERITIES:
            raise ValueError("problem")
        found.append(Problem(where, line, message, severity))
    table = MetricTable(metrics=metrics, rows=rows, has_campaign=has_campaign, has_channel=has_channel)
    return path, (digest, shown, table, tuple(found))
