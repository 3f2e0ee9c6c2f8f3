"""Digest policy: what each page unit is made from, so a build renders only stale units.

A unit is one page bundle — a monthly report (index.html, metrics.csv,
report.json) or the client home — together with the digest of everything it
is made from. The build compares digests with the last build's and renders
only the stale units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace

from .depends import recording
from .model import Client, Month, Note


def digest(*parts: object) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(repr(part).encode())
        hasher.update(b"\x1e")
    return hasher.hexdigest()


def content_of(value: object) -> object:
    """A value as a page sees it, for digests: the same repr-able content without
    the `line` of each entry (where it sits in clients.yaml, which messages show
    and the theme's pages never do), so a comment added at the top of clients.yaml
    leaves every page fresh. Messages still come from a fresh load."""
    if is_dataclass(value) and not isinstance(value, type):
        kept = tuple((f.name, content_of(getattr(value, f.name))) for f in fields(value) if f.name != "line")
        return (type(value).__name__, kept)
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(content_of(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((content_of(k), content_of(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted(repr(content_of(item)) for item in value)))
    return value


def client_content(client: Client) -> object:
    """content_of(client), the line of each formula in `metrics:` left out too."""
    return content_of(replace(client, metrics=tuple((n, f, None) for n, f, _line in client.metrics)))


@dataclass(frozen=True)
class PageUnit:
    """Files rendered together, and how to tell whether they are still current.

    `static` digests the inputs known before rendering (theme, client entry,
    note, "today" as the page sees it, neighbouring months). The client data
    a page reads is not predicted but recorded while it renders (depends.py):
    `digest(reads)` combines `static` with the current value digest of each
    recorded read. A page is fresh when the digest of its last build's reads,
    recomputed now, equals the digest stored then.
    """

    key: str  # "client/2026-10/" or "client/index.html"
    static: str
    render: Callable[[], dict[str, bytes]]
    values: Callable[[str], str]  # current digest of one recorded read

    def digest(self, reads: Iterable[str]) -> str:
        return digest(self.static, [(key, self.values(key)) for key in sorted(reads)])

    def render_recorded(self) -> tuple[dict[str, bytes], list[str], str]:
        """The files, the data they were made from, and the resulting digest."""
        with recording() as reads:
            files = self.render()
        keys = sorted(reads)
        return files, keys, self.digest(keys)


def report_digest(
    client_key: str,
    months: Sequence[Month],
    index: int,
    today: dt.date,
    note: Note | None,
    pdf: bool,
) -> str:
    """The static part of report `index`'s inputs: everything but the client
    data and the notes' events its charts mark, which are recorded while the
    page renders (PageUnit; depends.record_annotations). `today` is already the
    report's clock (report_clock)."""
    return digest(
        client_key,
        months[index],
        today,
        note.digest if note else None,
        months[index - 1] if index else None,
        months[index + 1] if index + 1 < len(months) else None,
        *(("pdf",) if pdf else ()),  # the page links its PDF, and the unit holds it
    )


def home_digest(client_key: str, months: tuple[Month, ...], today: dt.date, notes: dict[Month, Note]) -> str:
    """The client home's static inputs: its months, its day, every note (the archive
    shows their summaries, the next steps come from all of them)."""
    return digest(client_key, months, today, sorted((str(k), n.digest) for k, n in notes.items()))


def report_clock(month: Month, today: dt.date) -> dt.date:
    """'Today' for everything a monthly report computes: capped at the day after
    the month (then the month is over, complete, judged as of its last day), so
    the report of a past month does not depend on the build date."""
    if month.year >= dt.MAXYEAR:  # no day after 9999-12: and no build date after it either
        return today
    return min(today, month.next.first_day)


def report_today(month: Month, today: dt.date) -> dt.date:
    """'Today' as a monthly report sees it: a past month is judged as of its last day
    (a step due in that month is overdue only if it was by then)."""
    return min(today, month.last_day)
