"""What `reportgen serve` watches, and the watch loop.

Watchers (watchfiles) follow *folders*, never single files, so a save that
replaces a file (`sed -i`, an editor's atomic rename, `git checkout`) is seen
like any other: the project folder itself (not recursively: clients.yaml and
top-level data files), and data/, content/, templates/, assets/, every data
glob's folder and every folder a link inside them leads to (in the project)
recursively. A link retargeted (`ln -sfn notes-b content/acme`) re-plans the
watch, so edits in its new target are seen too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import glob
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .config import CONFIG_FILE, read_project_config
from .datafiles import pattern_parts

if TYPE_CHECKING:  # watchfiles itself is imported only when serve starts watching
    from watchfiles import Change

WATCHED_FOLDERS = ("content", "data", "templates", "assets")


def _normal(pattern: str) -> str:
    """`./data//x/*.csv` -> `data/x/*.csv`."""
    return "/".join(pattern_parts(pattern))


def _static_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: `data/x/**/*.csv` -> `data/x`."""
    parts = []
    for part in _normal(pattern).split("/")[:-1]:
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts)


def _matching_tops(project: Path, pattern: str) -> tuple[set[Path], str]:
    """For a glob whose first folder is a wildcard (`*/acme/x.csv`): the project's folders
    it can read (not hidden ones it does not ask for, never the output), and that first part
    (a folder made later that matches it re-plans the watch)."""
    parts = _normal(pattern).split("/")
    if len(parts) < 2 or not any(ch in parts[0] for ch in "*?["):
        return set(), ""
    found = set()
    with contextlib.suppress(OSError), os.scandir(project) as listing:
        for entry in listing:
            hidden = entry.name.startswith(".") and not parts[0].startswith(".")
            if (
                not hidden
                and entry.name != "site"
                and fnmatch.fnmatch(entry.name, parts[0])
                and entry.is_dir()
            ):
                found.add(project / entry.name)
    return found, parts[0]


@dataclasses.dataclass(frozen=True)
class WatchPlan:
    """What to watch: folders recursively, and which names in the project folder matter."""

    folders: tuple[Path, ...]
    root_names: frozenset[str]  # clients.yaml, watched folder names
    root_patterns: tuple[str, ...]  # data globs that match files in the project folder itself
    link_roots: tuple[Path, ...] = ()  # the folders whose links are followed ...
    links: frozenset[Path] = frozenset()  # ... and where those links lead


def watch_plan(project: Path) -> WatchPlan:
    project = project.resolve()
    candidates = {project / name for name in WATCHED_FOLDERS}
    patterns = []
    config, _problems = read_project_config(project)
    for client in config.clients if config is not None else ():
        for source in client.data:
            prefix = _static_prefix(source.pattern)
            if prefix in ("", "."):
                tops, first = _matching_tops(project, source.pattern)
                candidates |= tops
                patterns.append(first or _normal(source.pattern))
                continue
            folder = Path(os.path.realpath(project / prefix))  # (a link loop: no error here)
            if folder.is_relative_to(project) and folder != project:
                candidates.add(folder)
    files: list[Path | None] = [Path(os.path.realpath(project / CONFIG_FILE))]  # (clients.yaml may be a link)
    if config is not None:  # agency.plotly_js and the logos: their folders
        files += [config.agency.plotly_js, config.agency.logo, *(c.brand.logo for c in config.clients)]
    for file in files:
        if file is None or not file.is_relative_to(project):
            continue
        if file.parent == project:
            patterns.append(glob.escape(file.name))
        else:
            candidates.add(file.parent)
    roots = tuple(sorted(candidates))
    links = linked_folders(roots, project)
    root_links = {link for link in links if link.parent == project and os.path.islink(link)}
    candidates |= links - root_links
    # Watch the nearest existing folder of each (a folder created later is then seen).
    existing = set()
    for folder in candidates:
        while not folder.is_dir() and folder != project and folder.is_relative_to(project):
            folder = folder.parent
        if folder != project:
            existing.add(folder)
    folders = tuple(sorted(f for f in existing if not any(f != o and f.is_relative_to(o) for o in existing)))
    top = {f.relative_to(project).parts[0] for f in candidates if f != project}
    names = frozenset({CONFIG_FILE, *WATCHED_FOLDERS, *top, *(link.name for link in root_links)})
    return WatchPlan(folders, names, tuple(patterns), roots, links)


def fallback_plan(project: Path) -> WatchPlan:
    """The watched folders alone, when the plan could not be made (a folder vanished
    while it was listed): serve keeps watching and plans again on the next change."""
    folders = tuple(project / name for name in WATCHED_FOLDERS if (project / name).is_dir())
    return WatchPlan(folders, frozenset({CONFIG_FILE, *WATCHED_FOLDERS}), ())


def linked_folders(folders: Iterable[Path], project: Path) -> frozenset[Path]:
    """The folders (in the project) that links inside `folders` lead to: a link's
    target folder, or a linked file's folder. An AE who keeps a client's notes
    elsewhere (`content/acme -> ../notes/acme`) edits them there; the OS watcher
    of content/ does not follow a link made or retargeted after it started.

    A chain of links (`content/acme -> ../current`, `current -> notes/2026`) adds the
    folder of every link on the way, where retargeting it changes what is read; a link
    on the way that sits in the project folder itself is given as its own path."""
    found: set[Path] = set()
    for top in folders:
        for folder, names, files in _walk(top):  # never into a link: loops and outside stay out
            for name in (*names, *files):
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    continue
                target = Path(os.path.realpath(path))  # (a loop or a dangling link: a path still)
                where = target if _is_dir(target) else target.parent
                if where == project and target != project:
                    where = target  # a file in the project folder itself: its name is watched there
                for place in (where, *_hop_places(path, project)):
                    if place.is_relative_to(project) and place != project:
                        found.add(place)
    return frozenset(found)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, RuntimeError):  # a loop, a name too long
        return False


def _hop_places(link: str, project: Path) -> Iterator[Path]:
    """For each link after `link` on its chain: the folder holding it, or the link's own
    path when that folder is the project's (only its name is watched there)."""
    seen = {link}
    current = link
    for _ in range(40):  # the kernel's own limit on links followed
        try:
            current = os.path.join(os.path.dirname(current), os.readlink(current))
        except OSError:  # not a link (the end of the chain), or gone
            return
        current = os.path.realpath(os.path.dirname(current)) + os.sep + os.path.basename(current)
        if current in seen or not os.path.islink(current):
            return
        seen.add(current)
        parent = Path(os.path.dirname(current))
        yield Path(current) if parent == project else parent


def _walk(top: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk, with `top` itself reported as a link when it is one (content -> content-a)."""
    if os.path.islink(top):
        yield os.path.dirname(top), [os.path.basename(top)], []
    yield from os.walk(top)  # a top linked out of the project: its names listed, never its files read


class _Either:
    """A stop event that is set when any of its events is."""

    def __init__(self, *events: threading.Event):
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


def _changes(
    paths: Iterable[Path], stop: _Either, recursive: bool, project: Path, watching: Callable[[], None]
) -> Iterator[set[tuple[Change, str]]]:
    """The batches of changes a build reads; `watching()` once the OS watch is set up."""
    from watchfiles import DefaultFilter
    from watchfiles import watch as watch_files

    paths = list(paths)
    default = DefaultFilter()
    # The project, and where each watched folder itself leads (`templates -> ~/agency-theme`
    # is read by the build): a change anywhere else is not.
    inside = tuple({str(project).rstrip("/") + "/", *(os.path.realpath(p).rstrip("/") + "/" for p in paths)})

    def read_by_a_build(change: Change, path: str) -> bool:
        """The OS watcher follows a link in a watched folder wherever it leads
        (`content/tmp -> /tmp`): a change out there is nothing a build reads (attack
        a15f: serve rebuilt and reloaded the page twice a second)."""
        return default(change, path) and (os.path.realpath(os.path.dirname(path)) + "/").startswith(inside)

    batches = watch_files(
        *paths,
        watch_filter=read_by_a_build,
        stop_event=stop,
        debounce=200,
        step=50,
        rust_timeout=500,
        yield_on_timeout=True,  # (an empty batch: the watch is set up, nothing changed yet)
        recursive=recursive,
        raise_interrupt=False,
    )
    for batch in batches:
        watching()
        if batch:
            yield batch


def watch(
    project: Path,
    stopping: threading.Event,
    on_change: Callable[[], None],
    ready: Callable[[], None] = lambda: None,
) -> None:
    """Call `on_change` after every relevant change, until `stopping` is set; `ready()` once
    both watchers are set up (planning the watch walks the input folders: 1.9 s on a
    500-client agency, and a change saved before the OS watch exists is never seen).

    Two watchers: the project folder (not recursive) and the input folders
    (recursive). A change in the project folder to clients.yaml or to a watched
    folder itself (created, removed, replaced by a branch switch) re-plans both.
    """
    project = project.resolve()
    replanned = False
    while not stopping.is_set():
        try:
            plan = watch_plan(project)
        except (OSError, RuntimeError, ValueError):  # a folder moved while it was listed
            plan = fallback_plan(project)
        replan = threading.Event()
        stop = _Either(stopping, replan)
        set_up = [threading.Event(), threading.Event()]  # the input folders', the project's

        # After a re-plan, one build once the new watch exists: it reads everything saved until
        # then (a build at the change and another after the re-plan built every save of
        # clients.yaml twice).
        build_due = threading.Event()
        if replanned:
            build_due.set()

        def watching(
            which: int, set_up: list[threading.Event] = set_up, build_due: threading.Event = build_due
        ) -> None:
            set_up[which].set()
            if all(e.is_set() for e in set_up):
                ready()
                if build_due.is_set():
                    build_due.clear()
                    on_change()  # (both watchers at once still mean one build: it marks the site dirty)

        def folders(plan: WatchPlan = plan, stop: _Either = stop, replan: threading.Event = replan) -> None:
            try:
                for _batch in _changes(plan.folders, stop, True, project, lambda: watching(0)):
                    if linked_folders(plan.link_roots, project) != plan.links:
                        replan.set()  # a link made, removed or retargeted: watch where it leads now
                    else:
                        on_change()
            except (OSError, RuntimeError, ValueError):  # a watched folder vanished under the watcher
                replan.set()
                on_change()

        worker = threading.Thread(target=folders, daemon=True) if plan.folders else None
        if worker:
            worker.start()
        else:
            set_up[0].set()  # (no input folder to watch)
        try:
            for batch in _changes([project], stop, False, project, lambda: watching(1)):
                names = {Path(path).name for _change, path in batch if Path(path).parent == project}
                relevant = {
                    n
                    for n in names
                    if n in plan.root_names or any(fnmatch.fnmatch(n, p) for p in plan.root_patterns)
                }
                if relevant:
                    replan.set()  # clients.yaml (its data globs) or a watched folder itself changed
        except (OSError, RuntimeError):
            replan.set()
            time.sleep(0.5)
        if worker:
            worker.join(timeout=5)
        replanned = replan.is_set()  # (the build comes once the new watch is set up)
