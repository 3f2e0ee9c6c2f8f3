"""Load: which files are a client's data, from the paths and globs in clients.yaml.

A data entry's glob must stay inside the project, also after following
symlinks; it never matches the build's own output, its cache or version
control. What a match holds is read by sources.py.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .config import CONFIG_FILE
from .errors import Problem, display_path
from .inputfiles import real_path
from .model import Client, DataSource

# What a data glob never matches (`**/*.csv` must not read the build's own
# metrics.csv files back): the default output folder, any folder a build wrote
# (it holds output.SITE_MARKER: `--out` anywhere in the project, a staging
# folder), the build cache (cache.CACHE_DIR) and version control. The names are
# repeated here, not imported, so that loading never depends on later stages
# (tests/test_attack_fixes_check.py checks they agree).
DEFAULT_OUTPUT = "site"
OUTPUT_MARKER = ".reportgen-site"
NEVER_DATA = frozenset({".reportgen-cache", ".git", ".hg", ".svn"})
# The folders a build keeps beside its output (output.py): the back buffer
# `.site.back` (published files, every client's), a staging folder and one
# moved aside. A link into them (`data/x -> ../.site.back/acme`) would read
# another client's published figures.
BUILD_FOLDER = re.compile(r"\..+\.(?:back|staging-[0-9a-f]+|old-[0-9a-f]+)")


def is_generated_path(root: Path, path: Path, known: dict[Path, bool] | None = None) -> bool:
    """`path` (under `root`, as a glob found it) lies in a folder that is never
    input: the output (`site/`, or any folder holding a build's marker), the
    build cache or a version-control folder. `known` caches folder answers."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    if parts and parts[0] == DEFAULT_OUTPUT and len(parts) > 1:
        return True
    if any(part in NEVER_DATA or (part[:1] == "." and BUILD_FOLDER.fullmatch(part)) for part in parts[:-1]):
        return True
    known = {} if known is None else known
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if folder not in known:
            known[folder] = os.path.lexists(folder / OUTPUT_MARKER)
        if known[folder]:
            return True
    return False


def hidden_unasked(root_text: str, path_text: str, pattern: str) -> bool:
    """A match with a hidden name (`._2026-10.csv` that macOS leaves on a shared
    drive, an editor's `.~lock.…#`, a `.backup/` folder) the pattern did not ask
    for: `*` and `**` skip hidden names, as the shell and Python's glob do; a
    pattern part that starts with '.' (`data/.exports/*.csv`) asks for them."""
    relative = path_text[len(root_text) :]
    if "/." not in relative and not relative.startswith("."):
        return False  # the common case, decided without splitting
    asked = [part for part in pattern.replace("\\", "/").split("/") if part.startswith(".")]
    return any(
        part.startswith(".")
        and part not in (".", "..")
        and not any(fnmatch.fnmatchcase(part, a) for a in asked)
        for part in relative.split("/")
    )


def pattern_parts(pattern: str) -> list[str]:
    """A data glob's parts, without those that name no folder: `./data//x/*.csv` ->
    data, x, *.csv (what the glob reads; serve and the early no-op go by these)."""
    return [part for part in pattern.replace("\\", "/").split("/") if part not in ("", ".")]


def glob_pattern(pattern: str) -> str:
    """The pattern as globbed: a trailing `**` (`data/acme/**`) means every file below,
    as the shell's globstar reads it (pathlib's own `**` alone matches only folders)."""
    return f"{pattern}/*" if pattern.replace("\\", "/").rsplit("/", 1)[-1] == "**" else pattern


def find_data_sources(root: Path, client: Client) -> tuple[list[tuple[Path, DataSource]], list[Problem]]:
    """Each data file with the clients.yaml entry that named it.

    Exactly what a realpath per file answers (tests/test_speed_noop.py keeps that
    reference), with one `lstat` per file: a
    folder's real path, whether it is generated and whether it lies inside the
    project are decided once for the folder, and a file that is not a symlink
    is then its folder's real path plus its name. A symlink, or a file that
    vanishes between the glob and its `lstat`, takes the slow way."""
    problems: list[Problem] = []
    files: list[tuple[Path, DataSource]] = []
    seen: set[str] = set()
    real_root = real_path(root)
    generated: dict[Path, bool] = {}
    folders: dict[str, tuple[bool, str, bool]] = {}  # folder → generated, real path, inside
    root_text = "" if str(root) == "." else f"{str(root).rstrip('/')}/"  # as glob writes its matches
    for source in client.data:
        kept: list[tuple[Path, str | None]] = []  # (match, its real path when known)
        for p in root.glob(glob_pattern(source.pattern)):
            text = str(p)
            if hidden_unasked(root_text, text, source.pattern):
                continue
            parent, slash, name = text.rpartition("/")
            parent = parent or ("/" if slash else ".")
            folder = folders.get(parent)
            if folder is None:
                real_folder = real_path(parent)
                folder = (
                    is_generated_path(root, p, generated)
                    or is_generated_path(real_root, real_folder / name, generated),
                    str(real_folder),
                    real_folder.is_relative_to(real_root),
                )
                folders[parent] = folder
            try:
                info = os.lstat(text)
            except OSError:
                info = None
            if info is None or stat.S_ISLNK(info.st_mode):  # the slow way, as before
                if (
                    not p.is_dir()
                    and not is_generated_path(root, p, generated)
                    and not is_generated_path(real_root, real_path(p), generated)  # a link into site/
                ):
                    kept.append((p, None))
                continue
            if stat.S_ISDIR(info.st_mode) or folder[0]:
                continue
            where = folder[1]
            real = f"{where}{name}" if where.endswith("/") else f"{where}/{name}"
            kept.append((p, real if folder[2] else ""))
        kept.sort(key=lambda item: item[0])
        if not kept:
            problems.append(
                Problem(
                    CONFIG_FILE,
                    source.line,
                    f"client '{client.id}': data '{source.pattern}' matches no file",
                    "warning",
                )
            )
        for path, known in kept:
            if known is None:  # a symlink: where it leads
                real_file = real_path(path)
                known = str(real_file) if real_file.is_relative_to(real_root) else ""
            if not known:
                problems.append(
                    Problem(
                        CONFIG_FILE,
                        source.line,
                        f"client '{client.id}': data file "
                        f"'{display_path(path, root)}' points outside the project",
                    )
                )
                continue
            # A FIFO, device, socket or symlink loop stays in the list (so an
            # incremental build sees it appear): reading it is the error.
            if known not in seen:
                seen.add(known)
                files.append((path, source))
    return files, problems


def _entry_ids(folder: Path, entries: list[os.DirEntry[str]]) -> Iterator[tuple[str, tuple[int, int]]]:
    """(device, inode) of each of a folder's listed files (see _file_ids)."""
    try:
        device = os.stat(folder).st_dev if entries else 0
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink():
                info = os.stat(entry.path)
                yield entry.path, (info.st_dev, info.st_ino)
            else:
                yield entry.path, (device, entry.inode())
        except (OSError, ValueError):
            continue


def _file_ids(paths: Iterable[Path]) -> Iterator[tuple[str, tuple[int, int]]]:
    """Each file's (device, inode), from one listing per folder (the inode a folder's listing
    gives costs no system call; a link is stat'ed to where it leads). A file gone or a
    broken link is left out: reading it is the error."""
    by_folder: dict[str, list[tuple[str, Path]]] = {}  # (one folder per client, mostly)
    for path in paths:
        folder, name = os.path.split(os.fspath(path))
        by_folder.setdefault(folder or ".", []).append((name, path))
    for folder, names in by_folder.items():
        try:
            with os.scandir(folder) as listing:
                entries = {entry.name: entry for entry in listing}
        except (OSError, ValueError):
            continue
        yield from _entry_ids(Path(folder), [entries[name] for name, _path in names if name in entries])


def files_read_twice(
    clients: Iterable[Client], found: Mapping[str, Iterable[Path]] | None = None, root: Path | None = None
) -> list[Problem]:
    """A warning for each pair of clients that read the same data file (`data/**/*.csv`
    in both) or the same note (a note or a notes folder linked from another client's):
    each portal would show it, one client's figures or commentary in another's report.
    `found`: each client's data files; else found here, under `root`. The same file is
    the same inode, so links of either kind and any spelling of the path are caught."""
    from .notes import CONTENT_DIR, note_entries  # (not at the top: the early no-op imports this)

    root = root if root is not None else Path(".")
    readers: dict[tuple[int, int], list[str]] = {}  # (device, inode) → the clients reading it
    shared: dict[tuple[str, str, str], list[str]] = {}  # (first, second, kind) → paths
    lines: dict[str, int | None] = {}
    for client in clients:
        lines[client.id] = client.line
        data = (
            found.get(client.id, ())
            if found is not None
            else [p for p, _s in find_data_sources(root, client)[0]]
        )
        notes = _entry_ids(root / CONTENT_DIR / client.id, note_entries(root / CONTENT_DIR / client.id))
        for kind, ids in (("data file", _file_ids(data)), ("note", notes)):
            for path, file_id in ids:
                owners = readers.setdefault(file_id, [])
                for owner in owners:
                    if owner != client.id:
                        shared.setdefault((owner, client.id, kind), []).append(str(path))
                if client.id not in owners:
                    owners.append(client.id)
    return [
        Problem(
            CONFIG_FILE,
            lines[second],
            f"client '{second}' reads {len(paths)} {kind}{'s' if len(paths) > 1 else ''} that client "
            f"'{first}' also reads ({display_path(Path(paths[0]), root)}{', …' if len(paths) > 1 else ''}): "
            + (
                "each portal shows those figures; narrow their data entries"
                if kind == "data file"
                else "each portal shows that commentary; give each client its own notes"
            ),
            "warning",
        )
        for (first, second, kind), paths in shared.items()
    ]
