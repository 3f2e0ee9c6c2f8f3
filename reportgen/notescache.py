"""The notes cache: each client's notes as parsed, one file per client.

A monthly run adds one note per client but would parse every note of every
client again (front matter YAML, the schema, chart blocks: 18,000 notes on a
500-client agency, a sixth of the run). The build keeps what parsing gave in
`.reportgen-cache/notes/`, one file per client, like the parsed CSVs
(parsedcache.py): each note under its file name, the name messages show for it
and the SHA-256 of the bytes just read. A note is always read; only when its
bytes have the digest of the entry is the entry taken instead of parsing them,
so an entry always describes exactly the content it is stored under (the note
and every problem parsing it reported, in order).

Never a protected client's notes (their text must not sit in plaintext outside
the sealed portal; parsedcache.forget_protected removes a file left from before
the client was protected, or from an id no longer in clients.yaml). The file is
`marshal` data (strings, numbers, tuples: never pickle) behind a magic line and
the SHA-256 of the payload, read only through `inputfiles.read_cache_file`; a
corrupt, truncated, foreign, older or forged file (a value no parse could give)
is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import marshal
from pathlib import Path
from typing import Any

from .chartkinds import CHART_KINDS
from .codeid import code_identity
from .errors import Problem
from .inputfiles import read_cache_file, real_cache_folder
from .model import Annotation, ChartSpec, Meeting, Month, NextStep, Note
from .notes import CHART_TYPES, chart_spec_problem, parse_note_bytes
from .parsedcache import NOTES_FOLDER, write_cache_file

MAGIC = b"reportgen-notes/1\n"
FOLDER = NOTES_FOLDER
_DIGEST_SIZE = 32  # the payload's SHA-256, raw

Parsed = tuple[Note | None, list[Problem]]


def cache_file(cache_dir: Path, client_id: str) -> Path:
    """The client's file (named by a digest of its id: any id is a safe file name)."""
    name = hashlib.sha256(client_id.encode()).hexdigest()[:24]
    return cache_dir / FOLDER / f"{name}.bin"


def _kinds() -> tuple[tuple[str, bool], ...]:
    """The chart kinds a note's `by:` is checked against (a parse depends on them)."""
    return tuple(sorted((by, bool(kind.groups)) for by, kind in CHART_KINDS.items()))


class NotesCache:
    """One client's parsed notes: `parse` answers from the cache or parses (and keeps
    the result); `save` writes the file back once, only when something changed."""

    def __init__(self, cache_dir: Path, client_id: str, read: bool = True):
        self.path = cache_file(cache_dir, client_id)
        self.client_id = client_id
        # `read=False` (build --clean): every note is parsed afresh, and the file rewritten
        self.old: dict[str, tuple[Any, ...]] = _load(self.path, client_id) if read else {}
        self.new: dict[str, tuple[Any, ...]] = {}
        self.changed = False

    def parse(self, raw: bytes, name: str, shown: str, month: Month) -> Parsed:
        """What `notes.parse_note_bytes(raw, shown, client_id, month)` gives."""
        digest = hashlib.sha256(raw).hexdigest()
        found = self.old.get(name)
        if found is not None and found[1] == digest and found[2] == shown:
            with contextlib.suppress(ValueError, TypeError, OverflowError):
                decoded = _decode(found, self.client_id, month)
                self.new[name] = found
                return decoded
        note, problems = parse_note_bytes(raw, shown, self.client_id, month)
        self.new[name] = _encode(name, digest, shown, note, problems)
        self.changed = True
        return note, problems

    def save(self) -> None:
        """Write the client's file when a note was parsed afresh or is gone; never fails the build."""
        if not self.changed and self.new.keys() == self.old.keys():
            return
        entries = tuple(entry for _name, entry in sorted(self.new.items()))
        payload = marshal.dumps((code_identity(), _kinds(), self.client_id, entries), 4)
        write_cache_file(self.path, MAGIC, payload)


def _load(path: Path, client_id: str) -> dict[str, tuple[Any, ...]]:
    """The client's entries by file name (each checked when it is used), or none when the
    file is absent, corrupt, foreign or older."""
    try:
        if not real_cache_folder(path.parent):
            return {}
        data = read_cache_file(path)
    except OSError:
        return {}
    head = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]:
        return {}
    try:
        version, kinds, owner, entries = marshal.loads(data[head:])
    except (ValueError, TypeError, EOFError, RecursionError, MemoryError):
        return {}
    if version != code_identity() or kinds != _kinds() or owner != client_id or type(entries) is not tuple:
        return {}
    found: dict[str, tuple[Any, ...]] = {}
    for entry in entries:
        if type(entry) is not tuple or len(entry) != 5 or not all(type(v) is str for v in entry[:3]):
            return {}
        found[entry[0]] = entry
    return found


# --- a note as plain data, and back -----------------------------------------------------------


def _encode(
    name: str, digest: str, shown: str, note: Note | None, problems: list[Problem]
) -> tuple[Any, ...]:
    fields = None
    if note is not None:
        fields = (
            note.status,
            note.title,
            note.summary,
            note.highlights,
            note.recommendations,
            tuple(
                (s.task, s.owner, None if s.due is None else s.due.toordinal(), s.done, s.line)
                for s in note.next_steps
            ),
            tuple((m.date.toordinal(), m.title, m.attendees, m.notes) for m in note.meetings),
            tuple((a.date.toordinal(), a.text) for a in note.annotations),
            note.body,
            tuple((c.metric, c.type, c.by, c.compare, c.title, c.line) for c in note.charts),
            note.digest,
        )
    return name, digest, shown, fields, tuple((p.path, p.line, p.message, p.severity) for p in problems)


def _text(value: object) -> str:
    """A string a note's UTF-8 could hold (a lone surrogate could not, and would fail the write)."""
    if type(value) is not str:
        raise TypeError("text")
    if not value.isascii():
        value.encode()  # UnicodeEncodeError (a ValueError) on a lone surrogate
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _texts(value: object) -> tuple[str, ...]:
    if type(value) is not tuple:
        raise TypeError("texts")
    return tuple(map(_text, value))


def _line(value: object) -> int | None:
    if value is not None and type(value) is not int:
        raise TypeError("line")
    return value


def _date(value: object) -> dt.date:
    if type(value) is not int:
        raise TypeError("date")
    return dt.date.fromordinal(value)  # ValueError when out of range


def _items(value: object, size: int) -> tuple[tuple[Any, ...], ...]:
    if type(value) is not tuple or not all(type(v) is tuple and len(v) == size for v in value):
        raise TypeError("items")
    return value


_SEVERITIES = ("error", "warning", "info")
_COMPARE = (None, "previous", "target")


def _decode(entry: tuple[Any, ...], client_id: str, month: Month) -> Parsed:
    """An entry as a note and its problems, every value checked (ValueError/TypeError when
    it is anything no parse could give)."""
    _name, _digest, shown, fields, stored_problems = entry
    problems = []
    for where, line, message, severity in _items(stored_problems, 4):
        if severity not in _SEVERITIES:
            raise ValueError("severity")
        problems.append(Problem(_text(where), _line(line), _text(message), severity))
    if fields is None:
        return None, problems
    if type(fields) is not tuple or len(fields) != 11:
        raise TypeError("note")
    status, title, summary, highlights, recommendations, steps, meetings, annotations = fields[:8]
    body, charts, text_digest = fields[8:]
    if status not in ("final", "draft") or type(body) is not str:
        raise ValueError("note")
    if type(text_digest) is not str or len(text_digest) != 64:
        raise ValueError("digest")
    chart_specs = []
    for metric, kind, by, compare, chart_title, line in _items(charts, 6):
        if (
            kind not in CHART_TYPES
            or by not in CHART_KINDS
            or compare not in _COMPARE
            or type(line) is not int
        ):
            raise ValueError("chart")
        spec = ChartSpec(_text(metric), kind, by, compare, _optional_text(chart_title), line)
        if chart_spec_problem(spec) is not None:
            raise ValueError("chart")
        chart_specs.append(spec)
    next_steps = []
    for task, owner, due, done, line in _items(steps, 5):
        if type(done) is not bool:
            raise TypeError("done")
        next_steps.append(
            NextStep(
                _text(task), _optional_text(owner), None if due is None else _date(due), done, _line(line)
            )
        )
    note = Note(
        client_id=client_id,
        month=month,
        path=shown,
        status=status,
        title=_optional_text(title),
        summary=_optional_text(summary),
        highlights=_texts(highlights),
        recommendations=_texts(recommendations),
        next_steps=tuple(next_steps),
        meetings=tuple(
            Meeting(_date(day), _optional_text(what), _texts(attendees), _optional_text(notes))
            for day, what, attendees, notes in _items(meetings, 4)
        ),
        annotations=tuple(Annotation(_date(day), _text(text)) for day, text in _items(annotations, 2)),
        body=_text(body),
        charts=tuple(chart_specs),
        digest=text_digest,
    )
    return note, problems
