"""What a build is asked to do: its options, its 'today', its month and its clients.

These are the command line's choices as plain values; a value the library
cannot use is a `UsageError` (exit code 2) that the CLI shows with the
command's usage, never a click exception (the library does not import click).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from .cache import CACHE_DIR
from .errors import Problem, UsageError, did_you_mean, terminal_text
from .model import FIRST_YEAR, LAST_YEAR, Client, Month, ProjectConfig


def build_date() -> dt.date:
    """The build's 'today': SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            today = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
        if not FIRST_YEAR <= today.year <= LAST_YEAR:  # every date reportgen reads lies in this range
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r} is {today}, outside the dates "
                f"reportgen handles ({FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31)"
            )
        return today
    return dt.date.today()


@dataclass(frozen=True)
class BuildOptions:
    project: Path
    out: Path
    clients: tuple[str, ...] = ()
    month: str | None = None  # None / "latest" / "previous" / "YYYY-MM"
    drafts: bool = False
    strict: bool = False
    today: dt.date = field(default_factory=build_date)
    jobs: int = 1
    shard: tuple[int, int] | None = None  # (index from 1, count)
    clean: bool = False  # ignore the cache: render every page
    # `serve`/`check`: a protected client whose password variable is unset is a
    # warning, and its pages are rendered unsealed (serve marks them "preview,
    # not protected"; it never writes into the real output). `build` refuses.
    preview: bool = False
    pdf: bool = False  # `build --pdf`: a report.pdf beside every monthly report (pdf.py)
    # Where the build cache goes (default: the project's .reportgen-cache/);
    # `serve` keeps its preview's cache in its own temporary folder.
    cache_dir: Path | None = None

    @property
    def cache(self) -> Path:
        return self.cache_dir or self.project / CACHE_DIR


@dataclass
class BuildResult:
    """What a build did (build.py), or what a no-op answers without building (noop.py)."""

    clients: int = 0
    reports: int = 0
    files: int = 0
    pages_written: int = 0
    pages_skipped: int = 0
    pages_pruned: int = 0
    pdfs_written: int = 0
    clients_loaded: int = 0
    warnings: tuple[Problem, ...] = ()
    infos: tuple[Problem, ...] = ()  # e.g. which platform each export was read as
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    # loaded clients' status summaries (status.py)
    summaries: dict[str, dict[str, object]] = field(default_factory=dict)


def as_of_month(option: str | None, today: dt.date) -> Month | None:
    """The --month option as a month, or None for 'latest'."""
    if option is None or option == "latest":
        return None
    if option == "previous":
        return Month.of(today).previous
    try:
        return Month.parse(option)
    except ValueError as exc:
        outside = "outside" in str(exc)  # a month beyond the accepted years says the range
        shown = terminal_text(option)  # echoed to the terminal: no escape sequence acts
        raise UsageError(
            str(exc) if outside else f"'{shown}' is not YYYY-MM, latest or previous", param_hint="--month"
        ) from None


def select_clients(
    config: ProjectConfig, wanted: tuple[str, ...], shard: tuple[int, int] | None = None
) -> list[Client]:
    """The clients `--client` and `--shard` choose, in clients.yaml's order."""
    clients = list(config.clients)
    if wanted:
        known = {c.id: c for c in config.clients}
        for client_id in wanted:
            if client_id not in known and client_id not in config.declared_ids:
                raise UsageError(
                    f"--client {client_id}: no such client in clients.yaml{did_you_mean(client_id, known)}"
                )
        clients = [c for c in clients if c.id in wanted]
    if shard:
        index, count = shard
        ordered = sorted(clients, key=lambda c: c.id)
        keep = {c.id for position, c in enumerate(ordered) if position % count == index - 1}
        clients = [c for c in clients if c.id in keep]
    return clients
