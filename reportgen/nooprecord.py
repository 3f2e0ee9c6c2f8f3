"""Recording the no-op summary noop.py answers from (see noop.py's docstring).

After a successful build, `remember` writes what a plan that found nothing to do saw:
after a no-op whose inputs all settled before it began, or after a cold build by planning
again between two snapshots that agree. Anything it cannot vouch for
(_NotRecorded) means no summary, and the next build takes the full way.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import itertools
import marshal
import os
import stat
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from . import noop
from .buildoptions import BuildOptions, BuildResult
from .datafiles import glob_pattern, pattern_parts
from .inputfiles import write_whole
from .noop import (
    MAGIC,
    PREFIX,
    cache_state,
    dir_state,
    input_state,
    leftovers_beside,
    listing_of,
    options_key,
    published_state,
    summary_path,
)

if TYPE_CHECKING:
    from .build import BuildPlan
    from .cache import Manifest
    from .model import Client

_WILDCARDS = frozenset("*?[")
WATCHED_TOPS = ("content", "data", "templates", "assets")


@dataclass
class _World:
    """The paths a no-op build's answer depends on."""

    dirs: list[str] = field(default_factory=list)  # listings read: by stat, or listing when recent
    inputs: list[str] = field(default_factory=list)  # files whose content is read
    cached: list[str] = field(default_factory=list)  # the build cache's files
    published: list[str] = field(default_factory=list)  # the site's files
    listed: list[str] = field(default_factory=list)  # folders compared by listing only
    cache: str = ""  # the cache folder (its listing: without the summary's own files)
    # The one client an input or folder is read for (an edit that changes only those is that
    # client's alone: editproof.py); a path read for several, or for the site, is shared.
    owners: dict[str, set[str]] = field(default_factory=dict)
    # Each client's data files as found and the files its fingerprint read (as the plan had them)
    client_files: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()

    def owner_of(self, path: str) -> str:
        """The one client `path` is read for, or "" (shared: several clients, or the site)."""
        found = self.owners.get(path, {""})
        return next(iter(found)) if len(found) == 1 else ""


class _NotRecorded(Exception):
    """Something a summary cannot vouch for: none is written."""


def forget(options: BuildOptions) -> None:
    with contextlib.suppress(OSError):
        summary_path(options).unlink()


def remember(plan: BuildPlan, began_ns: int, result: BuildResult | None = None) -> None:
    """After a successful build that began at `began_ns` (time.time_ns): the summary of the
    next no-op, when it can be proved; else none (a stale one is removed).

    - After a no-op (`plan.nothing_to_do`, its answer `result`): when nothing the plan looked
      at changed since noop.RACY_WINDOW_NS before the build began, the plan saw exactly what is
      there now; the published files are the manifest's, as the plan checked.
    - After a build that reused nothing (a cold build, a new theme): its plan made again finds
      nothing to do, between two snapshots that agree (~1 % of such a build). After an
      incremental build it would cost too large a share of it: the next no-op, the full way,
      records it instead.
    """
    options = plan.options
    forget(options)
    if options.clean or options.pdf or options.preview:
        return
    if (not plan.nothing_to_do and plan.previous.clients) or not _settled_inputs(plan):
        return  # (after an incremental build, planning again would cost too much of it)
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
    # Absolute: with the default `--project .` the files are found as `data/…` (attack a15f:
    # no summary was ever recorded there).
    base = os.path.abspath(options.project)
    world = _World()
    dirs: set[str] = {base}
    owners = world.owners
    owner = ""

    def add_dir(folder: str) -> None:
        dirs.add(folder)
        owners.setdefault(folder, set()).add(owner)

    def add_input(path: str) -> None:
        world.inputs.append(path)
        owners.setdefault(path, set()).add(owner)

    def chain(path: str) -> None:
        """`path` (a file under the project) and every folder above it up to the project."""
        if not path.startswith(base + "/"):
            raise _NotRecorded(path)
        parts = path[len(base) + 1 :].split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise _NotRecorded(path)
        for end in range(1, len(parts)):
            add_dir(base + "/" + "/".join(parts[:end]))

    for name in WATCHED_TOPS:
        if os.path.isdir(f"{base}/{name}"):
            add_dir(f"{base}/{name}")
    from .notes import note_paths

    for client in plan.clients:
        owner = client.id
        for source in client.data:
            parts = glob_pattern(source.pattern).split("/")
            if source.pattern.startswith("/") or any(_WILDCARDS & set(p) or p == "**" for p in parts[:-1]):
                raise _NotRecorded(source.pattern)  # the listings it reads are not just one folder's
            folder = base
            folders = pattern_parts(source.pattern)[:-1]  # (`./data//x/*.csv`: data/x)
            if ".." in folders:
                raise _NotRecorded(source.pattern)  # (where `..` leads depends on links on the way)
            for part in folders:  # the folder it lists, or the last one of its path that exists
                if not os.path.isdir(f"{folder}/{part}"):
                    break
                folder = f"{folder}/{part}"
                add_dir(folder)
        for path in plan.data_files.get(client.id, []):
            chain(os.path.abspath(path))
            add_input(os.path.abspath(path))
        if os.path.isdir(f"{base}/content/{client.id}"):
            add_dir(f"{base}/content/{client.id}")
        for path in note_paths(options.project, client.id):
            chain(os.path.abspath(path))
            add_input(os.path.abspath(path))
        if client.brand.logo:  # (kept as where it leads: the links on the way are not known)
            raise _NotRecorded(str(client.brand.logo))
    owner = ""
    add_dir(base)
    if config.agency.logo or config.agency.plotly_js:
        raise _NotRecorded("agency files")
    add_input(f"{base}/clients.yaml")
    read = plan.previous.client_inputs
    world.client_files = tuple(
        (c.id, tuple(map(str, plan.data_files.get(c.id, ()))), tuple(read.get(c.id, ())))
        for c in plan.clients
    )
    world.dirs = sorted(dirs)
    tops = {
        "clients.yaml",
        *WATCHED_TOPS,
        *(parts[0] for c in plan.clients for s in c.data if (parts := pattern_parts(s.pattern))),
    }
    for folder in world.dirs:
        _no_links_in(folder, None if folder != base else tops)
    return world


def _no_links_in(folder: str, names: set[str] | None) -> None:
    """_NotRecorded when a listing the answer depends on holds a link (of `names` only, for
    the project folder): where a link leads can change while the listing and every
    recorded stat stay the same (attack a15g: a data link into a folder that stopped
    being an output; a `content/ghost` link whose target appeared)."""
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if entry.is_symlink() and (
                    names is None or any(fnmatch.fnmatchcase(entry.name, n) for n in names)
                ):
                    raise _NotRecorded(entry.path)
    except OSError:
        raise _NotRecorded(folder) from None


def _file_world(options: BuildOptions, inputs: _World) -> _World:
    """`inputs`, with the trees the build reads whole: the project's templates and assets,
    reportgen itself, the build cache (by listing) and the published site."""
    from .plotlybundle import BUILTIN_PLOTLY_JS
    from .render import builtin_templates_dir

    world = _World(dirs=list(inputs.dirs), inputs=list(inputs.inputs), owners=inputs.owners)
    world.client_files = inputs.client_files
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
    """The state of the world's paths, a folder changed within noop.RACY_WINDOW_NS of `now_ns`
    kept by its listing; _NotRecorded when an input is a link or too recent to trust (with
    `settled_only`, when anything but a published file is)."""
    settled = now_ns - noop.RACY_WINDOW_NS
    stat_dirs, stat_dir_states, listed, listings = [], [], list(world.listed), []
    for folder in world.dirs:
        info = os.lstat(folder)
        state = dir_state(info)
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
        listing = listing_of(folder, folder == world.cache)
        if listing is None:
            raise _NotRecorded(folder)
        listings.append(listing)
    inputs = []
    for path in world.inputs:
        info = os.lstat(path)
        state = input_state(info)
        if state is None or max(info.st_mtime_ns, info.st_ctime_ns) >= settled:
            raise _NotRecorded(path)
        inputs.append(state)
    cached = []
    for path in world.cached:
        info = os.lstat(path)
        if settled_only and max(info.st_mtime_ns, info.st_ctime_ns) >= settled:
            raise _NotRecorded(path)
        cached.append(cache_state(info))
    if settled_only:
        for folder in world.listed:
            info = os.lstat(folder)
            if max(info.st_mtime_ns, info.st_ctime_ns) >= settled and folder != world.cache:
                raise _NotRecorded(folder)
    published = []
    for path in world.published:
        state = published_state(os.lstat(path))
        if state is None:
            raise _NotRecorded(path)
        published.append(state)
    return {
        "stat_dirs_paths": tuple(stat_dirs),
        "stat_dirs": tuple(stat_dir_states),
        "stat_dirs_owners": tuple(map(world.owner_of, stat_dirs)),
        "inputs_owners": tuple(map(world.owner_of, world.inputs)),
        "client_files": world.client_files,
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
    if leftovers_beside(parent, prefixes) is not False:
        return
    summary = {
        **snapshot,
        "key": options_key(options),
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
    write_whole(path, MAGIC + hashlib.sha256(payload).digest() + payload)


# --- after an edit the summary proved (editproof.py) ----------------------------------------


def remember_edit(plan: BuildPlan, began_ns: int, manifest: Manifest) -> None:
    """After an edit of one client published in place, the other clients proven by the
    summary (`plan.proven`), still under the build's output lock: the summary brought up to
    date, with the answer a no-op would now give. The edited client's inputs and folders, its
    portal, the output folder and the build cache are looked at again; every other path
    keeps its recorded state (proven moments ago, untouched by this build). No summary when
    the edited client's inputs were not settled when the build read them, or when anything
    the summary must vouch for cannot be (as after any other build)."""
    proven, options = plan.proven, plan.options
    forget(options)
    assert proven is not None
    edited = next(c for c in plan.clients if c.id == proven.edited)
    only_edited = replace(plan, clients=[edited], data_files={edited.id: plan.data_files.get(edited.id, [])})
    if not _settled_inputs(only_edited):
        return
    try:
        summary = _brought_up_to_date(only_edited, dict(proven.summary), manifest)
        _write(options, summary, _noop_answer(plan, edited, manifest))
    except (_NotRecorded, OSError, ValueError):
        return


def _brought_up_to_date(plan: BuildPlan, summary: dict[str, object], manifest: Manifest) -> dict[str, object]:
    """`summary` with the edited client's part (the one client of `plan`) taken again."""
    options, (edited,), proven = plan.options, plan.clients, plan.proven
    assert proven is not None
    mine = _input_world(plan)  # its folders and inputs, with the project's shared folders
    wanted = {*mine.dirs, *mine.inputs}
    owner_was = {
        path: owner
        for name in ("stat_dirs", "inputs")
        for path, owner in zip(
            _group(summary, f"{name}_paths"), _group(summary, f"{name}_owners"), strict=True
        )
        if owner == edited.id or path in wanted
    }
    clients_yaml = f"{os.path.abspath(options.project)}/clients.yaml"
    own_inputs = [p for p in mine.inputs if p != clients_yaml]
    if any(owner_was.get(p, edited.id) != edited.id for p in own_inputs):
        raise _NotRecorded("an input also read for another client")
    # Its folders: those only it reads (a folder it shares with others keeps its proven state)
    own_dirs = [d for d in mine.dirs if mine.owner_of(d) == edited.id]
    if any(owner_was.get(d, edited.id) not in (edited.id, "") for d in own_dirs):
        raise _NotRecorded("a folder another client reads")
    own_dirs = [d for d in own_dirs if owner_was.get(d, edited.id) == edited.id]
    out, cache = str(options.out), str(options.cache)
    portal = f"{out}/{edited.slug}"
    world = _World(dirs=list(own_dirs), inputs=own_inputs, cache=cache)
    world.owners = {path: {edited.id} for path in (*own_dirs, *own_inputs)}
    portal_folders: list[str] = []
    _tree(portal, portal_folders, world.published)
    world.dirs += portal_folders
    _tree(cache, world.listed, world.cached, links=True)
    world.cached = [p for p in world.cached if not p.startswith(f"{cache}/{PREFIX}")]
    fresh = _snapshot(world, time.time_ns())
    # Its files found again *after* its folders were looked at: a file added or removed since
    # the build found them (attack 2026-12-03: a CSV added, a note deleted, mid-build) differs
    # here, or changes a folder after the state just taken; either way, not vouched for.
    _found_as_planned(plan)
    _inputs_as_read(plan, dict(zip(own_inputs, _group(fresh, "inputs"), strict=True)))
    written = manifest.clients[edited.id].stamps
    if not _published_as(world, fresh, out, written) or not _folders_of(portal, portal_folders, written, out):
        raise _NotRecorded(portal)  # (exactly as this build wrote it: nothing put there since)
    for folder, listing in proven.listings.items():  # (the output and where the edit staged it)
        if listing_of(folder) != listing:
            raise _NotRecorded(folder)
    parent = os.path.dirname(os.path.abspath(out))
    retaken = {
        out,
        portal,
        cache,
        parent,
        *own_dirs,
        *(p for p, owner in owner_was.items() if owner == edited.id),
    }
    below = (portal + "/", cache + "/")
    columns: dict[str, tuple[Any, ...]] = {}
    for name, parts in _PARTS.items():  # every path kept as recorded, but those taken again
        keep = [p not in retaken and not p.startswith(below) for p in _group(summary, name + "_paths")]
        for part in parts:
            columns[name + part] = (
                *itertools.compress(_group(summary, name + part), keep),
                *_group(fresh, name + part),
            )
    columns["listed_paths"] += tuple(proven.listings)
    columns["listed"] += tuple(proven.listings.values())
    files = cast(tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], summary["client_files"])
    now_read = (
        edited.id,
        tuple(map(str, plan.data_files.get(edited.id, ()))),
        tuple(plan.previous.client_inputs.get(edited.id, ())),
    )
    return {**summary, **columns, "client_files": tuple(now_read if f[0] == edited.id else f for f in files)}


# Each group's columns in a summary: its paths, their states, and whom each is read for
_PARTS = {
    "stat_dirs": ("_paths", "", "_owners"),
    "listed": ("_paths", ""),
    "inputs": ("_paths", "", "_owners"),
    "cached": ("_paths", ""),
    "published": ("_paths", ""),
}


def _folders_of(portal: str, found: list[str], stamps: dict[str, list[int]], out: str) -> bool:
    """The portal's folders are those of the files the build wrote (no folder put there since)."""
    wanted = {portal}
    for relative in stamps:
        parts = relative.split("/")[:-1]
        wanted.update(f"{out}/" + "/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return set(found) == wanted


def _found_as_planned(plan: BuildPlan) -> None:
    """The edited client's data files and notes, found as its fingerprint found them."""
    from .datafiles import find_data_sources
    from .notes import note_paths

    (edited,) = plan.clients
    root = plan.options.project
    sources, problems = find_data_sources(root, edited)
    data = sorted(str(path) for path, _source in sources)
    now = [*data, *map(str, note_paths(root, edited.id))]
    if any(p.severity == "error" for p in problems) or now != plan.previous.client_inputs.get(edited.id):
        raise _NotRecorded(edited.id)


def _inputs_as_read(plan: BuildPlan, states: dict[str, object]) -> None:
    """Each input of the edited client is now as the build read it (its digest taken then:
    a change since, however quick, is not vouched for)."""
    from .notes import note_paths

    (edited,) = plan.clients
    seen = plan.inputs.seen
    for path in (*plan.data_files.get(edited.id, ()), *note_paths(plan.options.project, edited.id)):
        entry = seen.get(str(path))
        if entry is None or states.get(os.path.abspath(path)) != (entry[3], entry[0], entry[1], entry[2]):
            raise _NotRecorded(str(path))


def _group(summary: dict[str, object], name: str) -> tuple[Any, ...]:
    found = summary[name]
    if type(found) is not tuple:
        raise _NotRecorded(name)
    return found


def _noop_answer(plan: BuildPlan, edited: Client, manifest: Manifest) -> BuildResult:
    """What a no-op build would answer now: every client's warnings as the manifest keeps
    them, in clients.yaml's order (the edit's answer lists the edited client's last)."""
    from .build import unchanged_result
    from .incremental import cached_warnings

    warnings = cached_warnings(manifest.clients[edited.id], None)
    if warnings is None:
        raise _NotRecorded(edited.id)
    now = replace(plan, previous=manifest, unchanged={**plan.unchanged, edited.id: warnings})
    return unchanged_result(now)
