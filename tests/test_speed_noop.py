"""The no-op rebuild's fast paths answer exactly as the slow ones (issue 15, second part).

- `datafiles.find_data_sources` (one `lstat` per file, a folder's real path once)
  against `slow_find_data_sources` (a realpath per file) on random folder trees:
  symlinks inside and outside the project, loops, broken links, folders named like
  data, generated folders, odd names.
- `notes.note_paths` (scandir's file types) against the listing it replaced.
- `InputDigests.signature` (a known file with an unchanged stat is not opened)
  against the signature that always opens the file, over random edits.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.cache import RACY_WINDOW_NS, InputDigests
from reportgen.config import CONFIG_FILE
from reportgen.datafiles import OUTPUT_MARKER, find_data_sources, hidden_unasked, is_generated_path
from reportgen.errors import Problem, display_path
from reportgen.inputfiles import real_path
from reportgen.model import Client, DataSource, Person
from reportgen.notes import note_paths

# --- data files ---------------------------------------------------------------------------------

NAMES = st.sampled_from(
    ["a.csv", "b.CSV", "c d.csv", "é.csv", ".hidden.csv", "x.txt", "2024-01.csv", "-.csv", "..csv"]
)
FOLDERS = st.sampled_from(
    ["data", "data/sub", "data/sub/deep", "site", "site/x", ".git", "out", "data/.cache"]
)
PATTERNS = st.sampled_from(
    [
        "data/*.csv",
        "data/**/*.csv",
        "**/*.csv",
        "data/sub/*",
        "data/*/*.csv",
        "*/*.CSV",
        "data/../data/*.csv",
        "data/sub/../*.csv",
        "out/*",
        "data/a.csv",
        "link*/*.csv",
        "nothing/*.csv",
    ]
)


def slow_find_data_sources(root: Path, client: Client) -> tuple[list[tuple[Path, DataSource]], list[Problem]]:
    """find_data_sources as it was before issue 15: a realpath per file (the reference)."""
    problems: list[Problem] = []
    files: list[tuple[Path, DataSource]] = []
    seen: set[Path] = set()
    real_root = real_path(root)
    generated: dict[Path, bool] = {}
    for source in client.data:
        # is_dir() follows links and is False for a loop, a FIFO or a device:
        # those are matched, and refused below without ever being opened.
        matches = sorted(
            p
            for p in root.glob(source.pattern)
            if not p.is_dir()
            and not is_generated_path(root, p, generated)
            and not is_generated_path(real_root, real_path(p), generated)
            and not hidden_unasked("" if str(root) == "." else f"{root}/", str(p), source.pattern)
        )
        if not matches:
            problems.append(
                Problem(
                    CONFIG_FILE,
                    source.line,
                    f"client '{client.id}': data '{source.pattern}' matches no file",
                    "warning",
                )
            )
        for path in matches:
            real = real_path(path)
            if not real.is_relative_to(real_root):
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
            if real not in seen:
                seen.add(real)
                files.append((path, source))
    return files, problems


@st.composite
def trees(draw: Any) -> list[tuple[str, str, str]]:
    """(kind, path, target) entries: files, folders, links (in and out of the project)."""
    entries = []
    for _ in range(draw(st.integers(1, 12))):
        folder, name = draw(FOLDERS), draw(NAMES)
        kind = draw(st.sampled_from(["file", "file", "file", "dir", "link", "marker"]))
        target = draw(
            st.sampled_from(
                ["../outside", "../outside/o.csv", "data", "data/a.csv", "nowhere", "self", "data/sub"]
            )
        )
        entries.append((kind, f"{folder}/{name}", target))
    return entries


def make_tree(base: Path, entries: list[tuple[str, str, str]]) -> Path:
    root = base / "project"
    (base / "outside").mkdir(parents=True, exist_ok=True)
    (base / "outside" / "o.csv").write_text("x")
    root.mkdir()
    for kind, relative, target in entries:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            continue
        if kind == "file":
            path.write_text(relative)
        elif kind == "dir":
            path.mkdir()
        elif kind == "marker":
            (path.parent / OUTPUT_MARKER).write_text("")
        elif target == "self":
            path.symlink_to(path.name)  # a loop
        else:
            path.symlink_to(
                os.path.relpath(base / target if target.startswith("..") else root / target, path.parent)
            )
    # a linked folder: its files are inside or outside the project
    (root / "linkin").symlink_to("data")
    (root / "linkout").symlink_to(base / "outside")
    return root


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=trees(), patterns=st.lists(PATTERNS, min_size=1, max_size=3), relative=st.booleans())
def test_find_data_sources_answers_as_the_slow_way(tmp_path_factory, entries, patterns, relative):
    base = tmp_path_factory.mktemp("tree")
    root = make_tree(base, entries)
    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("AE", "ae@agency.example"),
        data=tuple(DataSource(p, i + 1) for i, p in enumerate(patterns)),
    )
    here = os.getcwd()
    try:
        if relative:  # --project given as a relative path
            os.chdir(base)
            root = Path("project")
        assert find_data_sources(root, client) == slow_find_data_sources(root, client)
    finally:
        os.chdir(here)


# --- notes --------------------------------------------------------------------------------------


def slow_note_paths(root: Path, client_id: str) -> list[Path]:
    folder = root / "content" / client_id
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() == ".md" and not p.name.startswith(".") and not p.is_dir()
    )


NOTE_NAMES = st.sampled_from(
    [
        "2024-01.md",
        "2024-02.MD",
        ".md",
        ".x.md",
        "a.md.txt",
        "b.mD",
        "c.",
        "d.md.",
        "é.md",
        "x.md",
        "y.markdown",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.tuples(NOTE_NAMES, st.sampled_from(["file", "dir", "link-file", "link-dir", "loop", "broken"])),
        max_size=10,
    ),
    folder=st.sampled_from(["folder", "missing", "file", "link"]),
)
def test_note_paths_answers_as_the_listing_it_replaced(tmp_path_factory, entries, folder):
    root = tmp_path_factory.mktemp("notes")
    content = root / "content"
    content.mkdir()
    real = root / "elsewhere"
    real.mkdir()
    (real / "note.md").write_text("x")
    notes = content / "acme"
    if folder == "file":
        notes.write_text("")
    elif folder == "link":
        (root / "linked").mkdir()
        notes.symlink_to(root / "linked")
    elif folder == "folder":
        notes.mkdir()
    if notes.is_dir():
        for name, kind in entries:
            path = notes / name
            if os.path.lexists(path):
                continue
            if kind == "file":
                path.write_text("")
            elif kind == "dir":
                path.mkdir()
            elif kind == "link-file":
                path.symlink_to(real / "note.md")
            elif kind == "link-dir":
                path.symlink_to(real)
            elif kind == "loop":
                path.symlink_to(name)
            else:
                path.symlink_to(root / "nowhere")
    assert note_paths(root, "acme") == slow_note_paths(root, "acme")


# --- input digests ------------------------------------------------------------------------------


class SlowInputDigests(InputDigests):
    """InputDigests.signature as it was: every file opened, its stat taken from the open file."""

    def signature(self, path: Path | str, remember: bool = True) -> tuple[str, str | None]:
        key = str(path)
        started = time.time_ns()
        try:
            fd = os.open(key, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return (key, None)
        except (OSError, ValueError) as exc:
            return (key, f"unreadable ({getattr(exc, 'errno', None)})")
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return (key, f"not a regular file ({stat.S_IFMT(info.st_mode):o})")
            fields = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            old = self.seen.get(key) or self.known.get(key)
            if old is not None and old[:4] == fields:
                content = str(old[4])
            else:
                content = hashlib.file_digest(handle, "sha256").hexdigest()
        if remember and max(info.st_mtime_ns, info.st_ctime_ns) < started - RACY_WINDOW_NS:
            self.seen[key] = [*fields, content]
        return (key, content)


def answer(digests: InputDigests, path: Path, remember: bool) -> object:
    try:
        return digests.signature(path, remember)
    except OSError as exc:  # (a folder in a file's place: open() refuses it, both ways)
        return type(exc).__name__


EDITS = st.sampled_from(
    ["keep", "rewrite", "append", "remove", "inplace", "fifo", "dir", "link", "age", "forge"]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rounds=st.lists(st.lists(st.tuples(st.integers(0, 3), EDITS), max_size=4), min_size=1, max_size=4),
    remember=st.booleans(),
)
def test_signature_answers_as_when_every_file_was_opened(tmp_path_factory, rounds, remember):
    folder = tmp_path_factory.mktemp("inputs")
    paths = [folder / f"f{i}.csv" for i in range(4)]
    old = 10**18  # settled: written long before it is read
    for i, path in enumerate(paths):
        path.write_text(f"file {i}")
        os.utime(path, ns=(old, old))
    fast, slow = InputDigests(), SlowInputDigests()
    for edits in rounds:
        for index, edit in edits:
            path = paths[index]
            if edit == "keep":
                continue
            if edit == "inplace" and path.is_file() and not path.is_symlink():
                with path.open("r+") as handle:  # same inode, size and times: only ctime tells
                    handle.write("X")
                os.utime(path, ns=(old, old))
                continue
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            elif os.path.lexists(path):
                path.unlink()
            if edit in ("rewrite", "age", "forge"):
                path.write_text("changed" if edit != "forge" else f"file {index}")
                if edit in ("age", "forge"):  # the old times: only ctime and inode tell
                    os.utime(path, ns=(old, old))
            elif edit == "append":
                path.write_text(f"file {index} and more")
            elif edit == "fifo":
                os.mkfifo(path)
            elif edit == "dir":
                path.mkdir()
            elif edit == "link":
                path.symlink_to(paths[(index + 1) % 4])
        for path in paths:
            assert answer(fast, path, remember) == answer(slow, path, remember)
        assert fast.seen == slow.seen
        # the next build starts from what this one kept
        fast, slow = InputDigests(fast.seen), SlowInputDigests(slow.seen)
