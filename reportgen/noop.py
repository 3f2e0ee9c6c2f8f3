"""The early "nothing changed" decision: a no-op rebuild answered from a small summary.

A build of a large agency that changes nothing still reads clients.yaml, the 16 MB
build manifest and every input's stat, and walks the published site. Like make's
timestamps, but exact: after a successful build, `remember` records beside the
build cache (`noop-<out>.bin`) what that work depends on — the stat of every input
file (clients.yaml, data files, notes, logos, the project's templates and assets,
reportgen's own files), of every folder whose listing a build reads (or, for one
changed moments ago, its listing), of every build-cache file and of every published
file — with the answer a no-op rebuild gives (its counts and warnings). The next
`build` with the same options first looks at those paths (one `lstat` each, nothing
parsed, nothing heavy imported; `unchanged_build`): when every one is as recorded,
it answers the recorded summary. Anything else — one stat that differs, a damaged or
foreign summary, other options, another day — and the build runs the full way.

Exact, not a guess: the summary is written only after the full way has planned the
build again and found nothing to do, between two snapshots of those paths that agree
(so it records exactly the world that plan saw). An input file changed less than
RACY_WINDOW_NS before the snapshot (its stat could still hide a change, cache.py)
means no summary; a folder changed that recently is kept by its listing. The summary
is never written for protected portals (their keys come from the environment), with
--clean, --pdf or a preview, or when an input is a link or a data glob has a
wildcard above its last part (the listings such a glob reads are not all known).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from . import __version__
from .buildoptions import BuildOptions, BuildResult
from .errors import Problem
from .inputfiles import read_cache_file

if TYPE_CHECKING:
    from .build import BuildPlan

FORMAT = "reportgen-noop/1"
MAGIC = b"reportgen-noop\n"
PREFIX = "noop-"
# as cache.RACY_WINDOW_NS (not imported: the fast path imports nothing it does not need)
RACY_WINDOW_NS = 2_000_000_000
_DIGEST_SIZE = 32
_WILDCARDS = frozenset("*?[")
# a no-op's answer: (clients, reports, files, pages skipped), its warnings as (path, line, message)
Answer = tuple[tuple[int, int, int, int], tuple[tuple[str, int | None, str], ...]]


def summary_path(options: BuildOptions) -> Path:
    name = hashlib.sha256(os.path.realpath(options.out).encode("utf-8", "surrogateescape")).hexdigest()
    return options.cache / f"{PREFIX}{name[:16]}.bin"


def _key(options: BuildOptions) -> tuple[object, ...]:
    """Everything besides the files that a no-op's answer depends on (not --jobs)."""
    return (
        FORMAT,
        __version__,
        sys.version,
        sys.executable,
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
    if options.clean or options.pdf or options.preview:
        return None
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
    """The summary for these options, checked field by field; None when absent or not ours."""
    try:
        data = read_cache_file(summary_path(options))
    except (OSError, ValueError):
        return None
    head = len(MAGIC) + _DIGEST_SIZE
    if not data.startswith(MAGIC) or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]:
        return None
    try:
        summary = marshal.loads(data[head:])
        if type(summary) is not dict or summary.get("key") != _key(options):
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
        listed, listings, cache = summary["listed_paths"], summary["listed"], summary["cache"]
        assert isinstance(listed, tuple) and isinstance(listings, tuple)
        for path, listing in zip(listed, listings, strict=True):
            if _listing(path, path == cache) != listing:
                return False
        parent, prefixes = cast(tuple[str, str], summary["leftovers"])
        if _leftovers(parent, prefixes) is not False:
            return False
        kinds = (_dir_state, _input_state, _cache_state, _published_state)
        return _stats_as_recorded(
            [
                (summary[name + "_paths"], summary[name], kind)
                for name, kind in zip(_STATES, kinds, strict=True)
            ]
        )
    except (TypeError, ValueError, AttributeError):  # (a forged summary)
        return False


# lstat lets other threads run: the stats are spread over a few (same CPU time; on a
# busy machine, half the wall time or less)
THREADS = 4
_SHARE = 2048


State = Callable[[os.stat_result], object]
Share = tuple[tuple[str, ...], tuple[object, ...], State]


def _stats_as_recorded(groups: list[tuple[object, object, State]]) -> bool:
    jobs: list[Share] = []
    for paths, states, kind in groups:
        if not (type(paths) is tuple and type(states) is tuple and len(paths) == len(states)):
            return False
        for start in range(0, len(paths), _SHARE):
            jobs.append((paths[start : start + _SHARE], states[start : start + _SHARE], kind))
    differs = threading.Event()

    def check(
        share: list[tuple[tuple[str, ...], tuple[object, ...], Callable[[os.stat_result], object]]],
    ) -> None:
        lstat = os.lstat
        try:
            for paths, states, kind in share:
                if differs.is_set():
                    return
                for path, expected in zip(paths, states, strict=True):
                    if kind(lstat(path)) != expected:
                        differs.set()
                        return
        except Exception:  # (a path gone, a forged entry: the full way decides)
            differs.set()

    threads = [threading.Thread(target=check, args=(jobs[i::THREADS],)) for i in range(1, THREADS)]
    for thread in threads:
        thread.start()
    check(jobs[0::THREADS])
    for thread in threads:
        thread.join()
    return not differs.is_set()


def _dir_state(info: os.stat_result) -> tuple[int, ...] | None:
    if not stat.S_ISDIR(info.st_mode):
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def _input_state(info: os.stat_result) -> tuple[int, ...] | None:
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _cache_state(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _published_state(info: os.stat_result) -> tuple[int, ...] | None:
    """As cache.file_stamp compares a published file: a regular file, inode, size, time."""
    if not stat.S_ISREG(info.st_mode):
        return None
    return (stat.S_IFMT(info.st_mode), info.st_ino, info.st_size, info.st_mtime_ns)


def _listing(path: str, cache: bool = False) -> tuple[tuple[str, int], ...] | None:
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


def _leftovers(parent: str, prefixes: str) -> bool | None:
    """Whether the output's parent holds what a killed build leaves (output.remove_stale_staging
    removes it); None when it cannot be listed. `prefixes`: the two name prefixes, NUL-separated."""
    wanted = tuple(prefixes.split("\0"))
    try:
        with os.scandir(parent) as listing:
            return any(entry.name.startswith(wanted) for entry in listing)
    except OSError:
        return None


# --- recording -------------------------------------------------------------------------------


@dataclass
class _World:
    """The paths a no-op build's answer depends on."""

    dirs: list[str] = field(default_factory=list)  # listings read: by stat, or listing when recent
    inputs: list[str] = field(default_factory=list)  # files whose content is read
    cached: list[str] = field(default_factory=list)  # the build cache's files
    published: list[str] = field(default_factory=list)  # the site's files
    listed: list[str] = field(default_factory=list)  # folders compared by listing only
    cache: str = ""  # the cache folder (its listing: without the summary's own files)


class _NotRecorded(Exception):
    """Something a summary cannot vouch for: none is written."""


def forget(options: BuildOptions) -> None:
    with contextlib.suppress(OSError):
        summary_path(options).unlink()


def remember(plan: BuildPlan, began_ns: int, result: BuildResult | None = None) -> None:
    """After a successful build that began at `began_ns` (time.time_ns): the summary of the
    next no-op, when it can be proved; else none (a stale one is removed).

    - After a no-op (`plan.nothing_to_do`, its answer `result`): when nothing the plan looked
      at changed since RACY_WINDOW_NS before the build began, the plan saw exactly what is
      there now; the published files are the manifest's, as the plan checked.
    - After a build that loaded every client (a cold build): its plan made again finds nothing
      to do, between two snapshots that agree. (After a build of a few clients it would cost
      more than the build: the next no-op, the full way, records it instead.)
    """
    options = plan.options
    forget(options)
    if options.clean or options.pdf or options.preview or not _settled_inputs(plan):
        return
    if not plan.nothing_to_do and len(plan.to_render) < len(plan.clients):
        return
    from .output import OutputLock

    try:
        with OutputLock(options.out):
            inputs = _input_world(plan)
            world = _file_world(options, inputs)
            if plan.nothing_to_do:
                assert result is not None
                expected = {
                    **plan.previous.shared_stamps,
                    **{f: s for e in plan.previous.clients.values() for f, s in e.stamps.items()},
                }
                snapshot = _snapshot(world, began_ns, settled_only=True)
                if not _published_as(world, snapshot, str(options.out), expected):
                    return
            else:
                now = time.time_ns()
                before = _snapshot(world, now)
                result, again = _plan_again(options)
                snapshot = _snapshot(world, now)  # (the same folders kept by their listing)
                if before != snapshot or _input_world(again) != inputs:
                    return
            _write(options, snapshot, result)
    except (_NotRecorded, OSError, ValueError):
        return


def _published_as(
    world: _World, snapshot: dict[str, object], out: str, expected: dict[str, list[int]]
) -> bool:
    """The site holds exactly the files the manifest stamps, each as stamped."""
    if len(world.published) != len(expected):
        return False
    states = snapshot["published"]
    assert isinstance(states, tuple)
    prefix = out + "/"
    for path, state in zip(world.published, states, strict=True):
        stamp = expected.get(path[len(prefix) :]) if path.startswith(prefix) else None
        if stamp is None or state != (stat.S_IFREG, *stamp):
            return False
    return True


def _settled_inputs(plan: BuildPlan) -> bool:
    """Cheap first test: every client's data files and notes were settled when this build
    looked (a file changed moments ago — a note just edited, a month just added — makes
    the next build read it again: no summary). None for a protected portal."""
    if any(c.access is not None for c in plan.project.config.clients):
        return False
    from .notes import note_paths

    seen = plan.inputs.seen
    return all(str(p) in seen for files in plan.data_files.values() for p in files) and all(
        str(p) in seen for c in plan.clients for p in note_paths(plan.options.project, c.id)
    )


def _plan_again(options: BuildOptions) -> tuple[BuildResult, BuildPlan]:
    """The full way's plan, made again: it must find nothing to do."""
    from .build import load_project, plan_build, unchanged_result
    from .cache import paused_gc
    from .errors import ReportgenError

    try:
        with paused_gc():
            plan = plan_build(options, load_project(options))
        if not plan.nothing_to_do or any(
            plan.previous.inputs.get(k) != v for k, v in plan.inputs.seen.items()
        ):
            raise _NotRecorded  # (the next build has work, or settles the manifest: it records then)
        result = unchanged_result(plan)
    except ReportgenError:
        raise _NotRecorded from None
    return result, plan


def _input_world(plan: BuildPlan) -> _World:
    """The project's folders and files the plan's answer depends on (see _World)."""
    options, config = plan.options, plan.project.config
    base = str(options.project)
    world = _World()
    dirs: set[str] = {base}

    def chain(path: str) -> None:
        """`path` (a file under the project) and every folder above it up to the project."""
        if not path.startswith(base + "/"):
            raise _NotRecorded(path)
        parts = path[len(base) + 1 :].split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise _NotRecorded(path)
        for end in range(1, len(parts)):
            dirs.add(base + "/" + "/".join(parts[:end]))

    for name in ("content", "data", "templates", "assets"):
        if os.path.isdir(f"{base}/{name}"):
            dirs.add(f"{base}/{name}")
    from .notes import note_paths

    for client in plan.clients:
        for source in client.data:
            parts = source.pattern.split("/")
            if source.pattern.startswith("/") or any(_WILDCARDS & set(p) or p == "**" for p in parts[:-1]):
                raise _NotRecorded(source.pattern)  # the listings it reads are not just one folder's
            folder = base
            for part in parts[:-1]:  # the folder it lists, or the last one of its path that exists
                if part in ("", ".", "..") or not os.path.isdir(f"{folder}/{part}"):
                    break
                folder = f"{folder}/{part}"
                dirs.add(folder)
        for path in plan.data_files.get(client.id, []):
            chain(str(path))
            world.inputs.append(str(path))
        if os.path.isdir(f"{base}/content/{client.id}"):
            dirs.add(f"{base}/content/{client.id}")
        for path in note_paths(options.project, client.id):
            chain(str(path))
            world.inputs.append(str(path))
        if client.brand.logo:
            chain(str(client.brand.logo))
            world.inputs.append(str(client.brand.logo))
    for extra in (config.agency.logo, config.agency.plotly_js):
        if extra:
            chain(str(extra))
            world.inputs.append(str(extra))
    world.inputs.append(f"{base}/clients.yaml")
    world.dirs = sorted(dirs)
    return world


def _file_world(options: BuildOptions, inputs: _World) -> _World:
    """`inputs`, with the trees the build reads whole: the project's templates and assets,
    reportgen itself, the build cache (by listing) and the published site."""
    from .plotlybundle import BUILTIN_PLOTLY_JS
    from .render import builtin_templates_dir

    world = _World(dirs=list(inputs.dirs), inputs=list(inputs.inputs))
    base = str(options.project)
    for name in ("templates", "assets"):
        _tree(f"{base}/{name}", world.dirs, world.inputs)
    package = os.path.dirname(os.path.abspath(__file__))
    _tree(package, world.dirs, world.inputs)  # reportgen itself (an edited checkout)
    builtin = str(builtin_templates_dir())
    if not builtin.startswith(package + "/"):
        _tree(builtin, world.dirs, world.inputs)
    world.inputs.append(str(BUILTIN_PLOTLY_JS))
    cache, out = str(options.cache), str(options.out)
    if not stat.S_ISDIR(os.lstat(cache).st_mode):
        raise _NotRecorded(cache)
    world.cache = cache
    _tree(cache, world.listed, world.cached, links=True)
    world.cached = [p for p in world.cached if not p.startswith(f"{cache}/{PREFIX}")]
    _tree(out, world.dirs, world.published)
    if not world.published:
        raise _NotRecorded(out)
    return world


def _tree(top: str, folders: list[str], files: list[str], links: bool = False) -> None:
    """A folder and everything under it, in a fixed order (no `__pycache__`); a link in it
    is _NotRecorded, or with `links` (the cache: never followed) kept as a file."""
    if not os.path.lexists(top):
        return
    if not stat.S_ISDIR(os.lstat(top).st_mode):
        raise _NotRecorded(top)
    stack = [top]
    while stack:
        folder = stack.pop()
        folders.append(folder)
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name, reverse=True)
        for entry in entries:
            if entry.is_symlink():
                if not links:
                    raise _NotRecorded(entry.path)
                files.append(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            else:
                files.append(entry.path)


def _snapshot(world: _World, now_ns: int, settled_only: bool = False) -> dict[str, object]:
    """The state of the world's paths, a folder changed within RACY_WINDOW_NS of `now_ns`
    kept by its listing; _NotRecorded when an input is a link or too recent to trust (with
    `settled_only`, when anything but a published file is)."""
    settled = now_ns - RACY_WINDOW_NS
    stat_dirs, stat_dir_states, listed, listings = [], [], list(world.listed), []
    for folder in world.dirs:
        info = os.lstat(folder)
        state = _dir_state(info)
        if state is None:
            raise _NotRecorded(folder)
        if max(info.st_mtime_ns, info.st_ctime_ns) < settled:
            stat_dirs.append(folder)
            stat_dir_states.append(state)
        elif settled_only:
            raise _NotRecorded(folder)
        else:
            listed.append(folder)
    for folder in listed:
        listing = _listing(folder, folder == world.cache)
        if listing is None:
            raise _NotRecorded(folder)
        listings.append(listing)
    inputs = []
    for path in world.inputs:
        info = os.lstat(path)
        state = _input_state(info)
        if state is None or max(info.st_mtime_ns, info.st_ctime_ns) >= settled:
            raise _NotRecorded(path)
        inputs.append(state)
    cached = []
    for path in world.cached:
        info = os.lstat(path)
        if settled_only and max(info.st_mtime_ns, info.st_ctime_ns) >= settled:
            raise _NotRecorded(path)
        cached.append(_cache_state(info))
    if settled_only:
        for folder in world.listed:
            info = os.lstat(folder)
            if max(info.st_mtime_ns, info.st_ctime_ns) >= settled and folder != world.cache:
                raise _NotRecorded(folder)
    published = []
    for path in world.published:
        state = _published_state(os.lstat(path))
        if state is None:
            raise _NotRecorded(path)
        published.append(state)
    return {
        "stat_dirs_paths": tuple(stat_dirs),
        "stat_dirs": tuple(stat_dir_states),
        "listed_paths": tuple(listed),
        "listed": tuple(listings),
        "inputs_paths": tuple(world.inputs),
        "inputs": tuple(inputs),
        "cached_paths": tuple(world.cached),
        "cached": tuple(cached),
        "published_paths": tuple(world.published),
        "published": tuple(published),
        "cache": world.cache,
    }


def _write(options: BuildOptions, snapshot: dict[str, object], result: BuildResult) -> None:
    out = os.path.realpath(options.out)
    name = os.path.basename(out)
    prefixes = f".{name}.staging-\0.{name}.old-"
    parent = os.path.dirname(out)
    if _leftovers(parent, prefixes) is not False:
        return
    summary = {
        **snapshot,
        "key": _key(options),
        "leftovers": (parent, prefixes),
        "result": (
            (result.clients, result.reports, result.files, result.pages_skipped),
            tuple((w.path, w.line, w.message) for w in result.warnings),
        ),
    }
    # The listings kept are the ones just taken: a cache folder's (with this file) is
    # compared without it.
    payload = marshal.dumps(summary)
    path = summary_path(options)
    temporary = path.with_name(f"{PREFIX}tmp-{os.getpid()}")
    temporary.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
    os.replace(temporary, path)
