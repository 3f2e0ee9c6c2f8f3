"""The sent-mail ledger: `.reportgen/sent.jsonl`, one JSON record per message sent.

The ledger is part of the project (the workflow commits it), so "was this
report already sent to this person?" has one answer on every machine. A
record is appended — and flushed to disk with fsync — right after the SMTP
server accepted the message, so a run that stops halfway (a refused message,
a lost connection, a killed job) resumes where it stopped: a message is sent
at most once, except if the machine dies between the server's "OK" and the
fsync, when that one message may go out again.

Each record: client, month, recipient, message id, time (UTC, ISO 8601) and
the digest of the message's content (mail.MailContent.digest), so a report
that changed after it was sent can be listed.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .addresses import address_problem
from .errors import InputError, Problem, ReportgenError
from .inputfiles import UnreadableInputError, read_input_bytes
from .model import Month

LEDGER = ".reportgen/sent.jsonl"
FIELDS = ("client", "month", "recipient", "message_id", "time", "digest")
MAX_LINE = 4096  # bytes: a record is a few hundred
MAX_SIZE = 64 * 1024 * 1024  # a ledger of ~200 000 messages
LOCK_WAIT = 60  # seconds a second run waits for the first one (a double-triggered schedule)
_DIGEST = re.compile(r"[0-9a-f]{64}")
_CLIENT = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True)
class SentRecord:
    client: str
    month: str
    recipient: str
    message_id: str
    time: str
    digest: str

    @property
    def key(self) -> tuple[str, str, str]:
        return sent_key(self.client, self.month, self.recipient)


def sent_key(client: str, month: str, recipient: str) -> tuple[str, str, str]:
    return client, month, recipient.lower()


def ledger_path_problem(root: Path) -> str | None:
    """Why `.reportgen/` or `.reportgen/sent.jsonl` cannot be the ledger (None when each is
    absent or a real folder / regular file). Only `lstat`: never follows a link, never blocks."""
    for path, what, want in (
        (root / ".reportgen", "the folder .reportgen", stat.S_ISDIR),
        (root / LEDGER, "the ledger", stat.S_ISREG),
    ):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cannot read {what}: {exc.strerror or exc}"
        if stat.S_ISLNK(info.st_mode):
            return (
                f"{what} is a symlink: the ledger must be a plain file in the project "
                "(replace the link with the file itself)"
            )
        if not want(info.st_mode):
            kind = "a folder" if want is stat.S_ISDIR else "a regular file"
            return f"{what} is not {kind} ({_kind(info.st_mode)}): move it away"
    return None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _v in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"the field '{key}' appears twice")
    return dict(pairs)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a value a ledger record holds")


def parse_record(line: bytes) -> SentRecord:
    """One ledger line as a record; ValueError saying what is wrong with it."""
    if len(line) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE} bytes")
    try:
        data = json.loads(line.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError("not a ledger record (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if set(data) != set(FIELDS):
        missing = [f for f in FIELDS if f not in data]
        extra = sorted(set(data) - set(FIELDS))
        raise ValueError(
            "; ".join(
                filter(
                    None,
                    [
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unknown field {', '.join(extra)}" if extra else "",
                    ],
                )
            )
        )
    for name in FIELDS:
        if not isinstance(data[name], str) or not data[name]:
            raise ValueError(f"'{name}' must be non-empty text")
    if not _CLIENT.fullmatch(data["client"]):
        raise ValueError("'client' is not a client id")
    try:
        month = Month.parse(data["month"])
    except ValueError:
        month = None
    if month is None or str(month) != data["month"]:
        raise ValueError("'month' is not a month (YYYY-MM)")
    if address_problem(data["recipient"]):
        raise ValueError("'recipient' is not an e-mail address")
    if not (
        data["message_id"].startswith("<")
        and data["message_id"].endswith(">")
        and data["message_id"].isascii()
        and data["message_id"].isprintable()
    ):
        raise ValueError("'message_id' is not a message id (<...>)")
    try:
        when = dt.datetime.fromisoformat(data["time"])
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ValueError("'time' is not an ISO 8601 time with its UTC offset")
    if not _DIGEST.fullmatch(data["digest"]):
        raise ValueError("'digest' is not a SHA-256 digest (64 hex digits)")
    return SentRecord(**{name: data[name] for name in FIELDS})


def load_ledger(root: Path) -> tuple[dict[tuple[str, str, str], SentRecord], list[Problem]]:
    """Every record by (client, month, recipient); the latest wins. A last line without its
    newline (cut off by an interrupted write) is ignored with a warning; any other bad line
    is an error (the ledger decides what is sent: it is never guessed)."""
    problem = ledger_path_problem(root)
    if problem:
        raise InputError([Problem(LEDGER, None, problem)])
    path = root / LEDGER
    if not path.exists():
        return {}, []
    if path.stat().st_size > MAX_SIZE:
        raise InputError([Problem(LEDGER, None, f"larger than {MAX_SIZE // 2**20} MB: not a ledger")])
    try:
        raw = read_input_bytes(path)
    except UnreadableInputError as exc:
        raise InputError([Problem(LEDGER, None, exc.message)]) from None
    records: dict[tuple[str, str, str], SentRecord] = {}
    problems: list[Problem] = []
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        last = number == len(lines)  # no newline after it: its write did not finish
        try:
            record = parse_record(line)
        except ValueError as exc:
            if last:
                problems.append(
                    Problem(
                        LEDGER, number, "an unfinished last record (an interrupted run) is ignored", "warning"
                    )
                )
                continue
            problems.append(
                Problem(
                    LEDGER,
                    number,
                    (
                        f"not a ledger record: {exc} (each line is a JSON object with "
                        + ", ".join(FIELDS)
                        + "); fix or remove the line — reportgen will not guess what was sent"
                    ),
                )
            )
            continue
        records[record.key] = record
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return records, problems


class LedgerWriter:
    """Appends records under an exclusive lock: one `send` run at a time per project (a
    second one waits up to LOCK_WAIT seconds, then re-reads the ledger and sends the rest)."""

    def __init__(self, root: Path, wait: float = LOCK_WAIT):
        self.root = root
        self.path = root / LEDGER
        self.wait = wait
        self.handle: BinaryIO | None = None

    def _fail(self, what: str) -> ReportgenError:
        return ReportgenError(f"{LEDGER}: {what}")

    def __enter__(self) -> LedgerWriter:
        problem = ledger_path_problem(self.root)
        if problem:
            raise self._fail(problem)
        flags = (
            os.O_RDWR
            | os.O_CREAT
            | os.O_APPEND
            | os.O_NOFOLLOW
            | os.O_NONBLOCK
            | getattr(os, "O_NOCTTY", 0)
            | getattr(os, "O_CLOEXEC", 0)
        )
        try:
            if not self.path.parent.exists():
                os.mkdir(self.path.parent)
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self._fail("is a symlink: the ledger must be a plain file") from None
            raise self._fail(f"cannot write it: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check above
            os.close(fd)
            raise self._fail("is not a regular file")
        self.handle = open(fd, "a+b")  # held (and locked) for the whole run
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    self.handle.close()
                    self.handle = None
                    raise self._fail(
                        f"another `reportgen send` has been running in this project for "
                        f"over {self.wait:g} s; try again when it has finished"
                    ) from None
                time.sleep(0.2)
        try:
            self._drop_unfinished_line()
        except OSError as exc:
            self.__exit__()
            raise self._fail(f"cannot write it: {exc.strerror or exc}") from None
        return self

    def _drop_unfinished_line(self) -> None:
        """A record cut off by an interrupted write would spoil the next one appended."""
        assert self.handle is not None
        if os.fstat(self.handle.fileno()).st_size > MAX_SIZE:
            raise OSError(errno.EFBIG, f"larger than {MAX_SIZE // 2**20} MB: not a ledger")
        self.handle.seek(0)
        content = self.handle.read()
        if content and not content.endswith(b"\n"):
            os.ftruncate(self.handle.fileno(), content.rfind(b"\n") + 1)
            os.fsync(self.handle.fileno())

    def append(self, record: SentRecord) -> None:
        assert self.handle is not None
        line = json.dumps({name: getattr(record, name) for name in FIELDS}, ensure_ascii=False)
        try:
            self.handle.seek(0, os.SEEK_END)
            self.handle.write(line.encode("utf-8") + b"\n")
            self.handle.flush()
            os.fsync(self.handle.fileno())
        except OSError as exc:
            raise self._fail(f"cannot write it: {exc.strerror or exc}") from None

    def __exit__(self, *exc_info: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
