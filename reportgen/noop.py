"""The early "nothing changed" decision: a no-op rebuild answered from a small summary.

A build of a large agency that changes nothing still reads clients.yaml, the 16 MB
build manifest and every input's stat, and walks the published site. Like make's
timestamps, but exact: after a successful build, `remember` records beside the
build cache (`noop-<out>.bin`) what that work depends on — the stat of every input
file (clients.yaml, data files, notes, the project's templates and assets,
reportgen's own files), of every folder whose listing a build reads (or, for one
changed moments ago, its listing), of every build-cache file and of every published
file — with the answer a no-op rebuild gives (its counts and warnings). The next
`build` with the same options first looks at those paths (one `lstat` each, nothing
parsed, nothing heavy imported; `unchanged_build`): when every one is as recorded,
it answers the recorded summary. Anything else — one stat that differs, a damaged or
foreign summary, other options, another day — and the build runs the full way.

Exact, not a guess: the summary records exactly what a plan that found nothing to do
saw — after a no-op build when nothing it looked at changed since RACY_WINDOW_NS before
it began (its stat could still hide a change, cache.py), or after a build that reused
nothing (a cold build) by planning again between two snapshots that agree (a folder
changed moments ago is kept by its listing). An input file changed that recently means
no summary; after an incremental build none is written either (planning again would
cost too much of it): the next no-op, the full way, records it. The summary
is never written for protected portals (their keys come from the environment), with
--clean, --pdf or a preview, or when an input is a link, a data glob has a wildcard
above its last part (the listings such a glob reads are not all known) or clients.yaml
names a logo or a plotly.js bundle (kept as the file they lead to: a link on the way
could be changed unseen); such a project's no-op takes the full way.
"""

from __future__ import annotations

import hashlib
import marshal
import operator
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import __version__
from .buildoptions import BuildOptions, BuildResult
from .codeid import environment_identity
from .errors import Problem
from .inputfiles import cache_folder_problem, read_cache_file

if TYPE_CHECKING:
    pass

FORMAT = "reportgen-noop/2"
MAGIC = b"reportgen-noop\n"
PREFIX = "noop-"
# as cache.RACY_WINDOW_NS (not imported: the fast path imports nothing it does not need)
RACY_WINDOW_NS = 2_000_000_000
_DIGEST_SIZE = 32
# a no-op's answer: (clients, reports, files, pages skipped), its warnings as (path, line, message)
Answer = tuple[tuple[int, int, int, int], tuple[tuple[str, int | None, str], ...]]


def summary_path(options: BuildOptions) -> Path:
    name = hashlib.sha256(os.path.realpath(options.out).encode("utf-8", "surrogateescape")).hexdigest()
    return options.cache / f"{PREFIX}{name[:16]}.bin"


def options_key(options: BuildOptions) -> tuple[object, ...]:
    """Everything besides the files that a no-op's answer depends on (not --jobs)."""
    return (
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
        os.path.dirname(os.path.abspath(__file__)),  # this very reportgen
        environment_identity(),  # its libraries, the umask (codeid.py)
        os.path.realpath(options.project),
        os.path.realpath(options.out),
        str(options.project),
        str(options.out),
        os.path.realpath(options.cache),
        tuple(options.clients),
        options.month,
        options.drafts,
        options.strict,
        options.today.isoformat(),
        options.shard,
        options.clean,
        options.preview,
        options.pdf,
    )


# --- the fast path ---------------------------------------------------------------------------


def unchanged_build(options: BuildOptions) -> BuildResult | None:
    """The summary a no-op build would give, when the summary file proves nothing changed;
    None when it cannot (then the caller builds the full way)."""
    started = time.perf_counter()
    if options.clean or options.pdf or options.preview or cache_folder_problem(options.cache):
        return None  # (the full way says what is wrong with the cache folder)
    summary = load_summary(options)
    if summary is None:
        return None
    try:
        lock = os.open(os.path.dirname(os.path.realpath(options.out)), os.O_RDONLY)
    except OSError:
        return None
    try:
        import fcntl

        fcntl.flock(lock, fcntl.LOCK_EX)  # as output.OutputLock: never while a build runs
        if not _as_recorded(summary):
            return None
    finally:
        os.close(lock)  # (closing releases the lock)
    counts, warnings = cast(Answer, summary["result"])  # (checked by _well_formed)
    clients, reports, files, pages_skipped = counts
    seconds = time.perf_counter() - started
    return BuildResult(
        clients=clients,
        reports=reports,
        files=files,
        pages_skipped=pages_skipped,
        warnings=tuple(Problem(path, line, message, "warning") for path, line, message in warnings),
        seconds=seconds,
        stages={"load": seconds},
    )


def load_summary(options: BuildOptions) -> dict[str, object] | None:
    """The summary for these options, checked field by field; None when absent or not ours.
    Read once per process: a build that is not a no-op looks at it again for an edit
    (editproof.py), and gets the same object while the file is the one read (the summary is
    only ever replaced whole, by a rename: a new inode)."""
    path = summary_path(options)
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return None
    identity = (path, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, options_key(options))
    if _LAST_READ and _LAST_READ[0] == identity:
        return cast("dict[str, object] | None", _LAST_READ[1])
    summary = _read_summary(path, options)
    _LAST_READ[:] = [identity, summary]
    return summary


_LAST_READ: list[Any] = []  # [(path, its stat, the options' key), the summary read from it]


def _read_summary(path: Path, options: BuildOptions) -> dict[str, object] | None:
    try:
        data = read_cache_file(path)
    except (OSError, ValueError):
        return None
    head = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]:
        return None
    try:
        summary = marshal.loads(data[head:])
        if type(summary) is not dict or summary.get("key") != options_key(options):
            return None
        return summary if _well_formed(summary) else None
    except (ValueError, TypeError, EOFError, OverflowError, IndexError, RecursionError, MemoryError):
        return None


_STATES = ("stat_dirs", "inputs", "cached", "published")


def _well_formed(summary: dict[str, object]) -> bool:
    """The summary's shape. Its recorded paths and states are only ever compared with what
    is found (a forged one makes the build take the full way); its answer is checked
    field by field, since it is what the build prints."""
    for name in (*_STATES, "listed"):
        paths, states = summary.get(name + "_paths"), summary.get(name)
        if not (type(paths) is tuple and type(states) is tuple and len(paths) == len(states)):
            return False
    if type(summary.get("cache")) is not str:
        return False
    for name in ("stat_dirs", "inputs"):  # (the one client each is read for: editproof.py)
        owners = summary.get(name + "_owners")
        if not (
            type(owners) is tuple
            and len(owners) == len(cast(tuple[object, ...], summary[name]))
            and all(type(o) is str for o in owners)
        ):
            return False
    files = summary.get("client_files")
    if not (
        type(files) is tuple
        and all(
            type(f) is tuple
            and len(f) == 3
            and type(f[0]) is str
            and all(type(part) is tuple and all(type(p) is str for p in part) for part in f[1:])
            for f in files
        )
    ):
        return False
    leftovers = summary.get("leftovers")
    if not (type(leftovers) is tuple and len(leftovers) == 2 and all(type(x) is str for x in leftovers)):
        return False
    result = summary.get("result")
    if not (type(result) is tuple and len(result) == 2):
        return False
    counts, warnings = result
    if not (type(counts) is tuple and len(counts) == 4 and all(type(c) is int and c >= 0 for c in counts)):
        return False
    return type(warnings) is tuple and all(
        type(w) is tuple
        and len(w) == 3
        and type(w[0]) is str
        and (w[1] is None or type(w[1]) is int)
        and type(w[2]) is str
        for w in warnings
    )


def _as_recorded(summary: dict[str, object]) -> bool:
    """Every recorded path is as the summary says."""
    try:
        kinds = dict(zip(_STATES, (dir_state, input_state, cache_state, published_state), strict=True))
        groups = {name: (summary[name + "_paths"], summary[name], kinds[name]) for name in _STATES}
        # Inputs first: an edit, the likeliest change, is found after the fewest stats
        if not _stats_as_recorded([groups["inputs"]]):
            return False
        if not listings_as_recorded(summary):
            return False
        return _stats_as_recorded([groups[name] for name in _STATES if name != "inputs"])
    except (TypeError, ValueError, AttributeError):  # (a forged summary)
        return False


def listings_as_recorded(summary: dict[str, object]) -> bool:
    """The folders kept by their listing list what they listed, and no killed build's
    leftovers lie beside the output (raises TypeError or ValueError for a forged summary)."""
    listed, listings, cache = summary["listed_paths"], summary["listed"], summary["cache"]
    if not (isinstance(listed, tuple) and isinstance(listings, tuple)):
        raise TypeError("listed")
    for path, listing in zip(listed, listings, strict=True):
        if listing_of(path, path == cache) != listing:
            return False
    parent, prefixes = cast(tuple[str, str], summary["leftovers"])
    return leftovers_beside(parent, prefixes) is False


State = Callable[[os.stat_result], object]


def _stats_as_recorded(groups: list[tuple[object, object, State]]) -> bool:
    """Every path of every group has the state recorded for it. One thread: measured on
    L (112,000 paths), spreading the stats over four threads cost 0.59-0.74 s against
    0.33-0.42 s for one on an idle machine, and no less on a busy one."""
    lstat = os.lstat
    try:
        for paths, states, kind in groups:
            if not (type(paths) is tuple and type(states) is tuple and len(paths) == len(states)):
                return False
            if not all(map(operator.eq, map(kind, map(lstat, paths)), states)):
                return False
    except Exception:  # (a path gone, a forged entry: the full way decides)
        return False
    return True


def dir_state(info: os.stat_result) -> tuple[int, ...] | None:
    if not stat.S_ISDIR(info.st_mode):
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def input_state(info: os.stat_result) -> tuple[int, ...] | None:
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def cache_state(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def published_state(info: os.stat_result) -> tuple[int, ...] | None:
    """As cache.file_stamp compares a published file: a regular file, inode, size, time, mode."""
    if not stat.S_ISREG(info.st_mode):
        return None
    return (
        stat.S_IFMT(info.st_mode),
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        stat.S_IMODE(info.st_mode),
    )


def listing_of(path: str, cache: bool = False) -> tuple[tuple[str, int], ...] | None:
    """A folder's entries with their kind (0 file, 1 folder, 2 link, 3 other), without this
    summary's own files in the `cache` folder; None when it cannot be listed."""
    found = []
    try:
        with os.scandir(path) as listing:
            for entry in listing:
                if cache and entry.name.startswith(PREFIX):
                    continue
                if entry.is_symlink():
                    kind = 2
                elif entry.is_dir(follow_symlinks=False):
                    kind = 1
                elif entry.is_file(follow_symlinks=False):
                    kind = 0
                else:
                    kind = 3
                found.append((entry.name, kind))
    except OSError:
        return None
    return tuple(sorted(found))


def leftovers_beside(parent: str, prefixes: str) -> bool | None:
    """Whether the output's parent holds what a killed build leaves (output.remove_stale_staging
    removes it); None when it cannot be listed. `prefixes`: the two name prefixes, NUL-separated."""
    wanted = tuple(prefixes.split("\0"))
    try:
        with os.scandir(parent) as listing:
            return any(entry.name.startswith(wanted) for entry in listing)
    except OSError:
        return None
