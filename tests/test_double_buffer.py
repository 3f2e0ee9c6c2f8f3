"""Double-buffered staging (output.py): the back buffer is never trusted.

A build keeps the site it swapped out as the back buffer (`.site.back`) and the
next build stages into it, keeping a file only while it is the very file the
published site holds (the manifest's stamps). A hypothesis state machine edits
notes, builds (incremental, `--client`, `--clean`, `--out` elsewhere) and
tampers with the back buffer between builds — a file edited in place, added,
replaced by another file of the same size and time,
removed, replaced by a link (to a file or a folder outside), a folder's
permissions changed, the back buffer replaced by a file or a link — and after
every build checks that the published site is exactly a clean build's (every
entry's kind, every folder's permissions, every file's bytes) and that nothing
outside the output changed. Sequences with killed builds are in
test_crash_safety.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from synthetic import write_synthetic_agency

from reportgen.cache import file_stamp, load_manifest
from reportgen.output import back_buffer_path, sync_folder
from reportgen.stagedfiles import link_into, write_into

CLIENTS = 3
TAMPERING = (
    "edit in place",
    "replace",
    "replace, same size",
    "add a file",
    "add a folder",
    "remove",
    "file to link",
    "folder to link",
    "chmod 700",
    "chmod 555",
    "chmod 777",
    "back is a file",
    "back is a link",
    "back is gone",
)
TAMPER_STEPS = st.lists(st.tuples(st.sampled_from(TAMPERING), st.integers(0, 10**6)), min_size=1, max_size=3)


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry under `folder`: a folder's permissions, a file's bytes, a link as a link."""
    found: dict[str, object] = {}
    for directory, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("folder", stat.S_IMODE(info.st_mode))
            else:
                found[relative] = ("file", stat.S_IMODE(info.st_mode), path.read_bytes())
    return found


def assert_stamps_are_the_files(root: Path) -> None:
    """The manifest's stamps (kept, not taken again, for folders proven unchanged) are
    exactly the published files' own."""
    manifest = load_manifest(root, root / "site")
    stamps = dict(manifest.shared_stamps)
    for entry in manifest.clients.values():
        stamps.update(entry.stamps)
    site = root / "site"
    assert set(stamps) == {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert all(file_stamp(site / f) == stamp for f, stamp in stamps.items())


def build(root: Path, *args: str) -> None:
    result = run_cli("build", "--project", str(root), "--jobs", "1", *args)
    assert result.exit_code == 0, result.output


class DoubleBufferedBuilds(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="rg-double-"))
        self.root = self.tmp / "agency"
        self.outside = self.tmp / "outside"  # what a link in the back buffer points to
        self.edits = 0

    def teardown(self) -> None:
        for directory, dirs, _files in os.walk(self.tmp):
            for name in dirs:  # a folder tampered to 0o000 would stop rmtree
                path = Path(directory, name)
                if not path.is_symlink():
                    path.chmod(0o755)
        shutil.rmtree(self.tmp, ignore_errors=True)

    @initialize()
    def make_agency(self) -> None:
        write_synthetic_agency(
            self.root, clients=CLIENTS, months=3, end=dt.date(2026, 10, 20), seed=7, campaigns_per_client=2
        )
        (self.outside / "folder").mkdir(parents=True)
        (self.outside / "secret.txt").write_bytes(b"not for the site\n")
        (self.outside / "folder" / "index.html").write_bytes(b"<p>not for the site</p>\n")
        build(self.root)
        self.outside_before = snapshot(self.outside)

    def back(self) -> Path:
        return back_buffer_path(self.root / "site")

    def back_files(self) -> list[Path]:
        back = self.back()
        if not back.is_dir() or back.is_symlink():
            return []
        return sorted(p for p in back.rglob("*") if p.is_file() and not p.is_symlink())

    def back_folders(self) -> list[Path]:
        back = self.back()
        if not back.is_dir() or back.is_symlink():
            return []
        return sorted(p for p in back.rglob("*") if p.is_dir() and not p.is_symlink())

    # --- edits and builds ----------------------------------------------------------------

    @rule(client=st.integers(0, CLIENTS - 1), which=st.integers(0, 2))
    def edit_a_note(self, client: int, which: int) -> None:
        notes = sorted((self.root / "content").glob("*/*.md"))
        clients = sorted({n.parent for n in notes})
        mine = [n for n in notes if n.parent == clients[client % len(clients)]]
        self.edits += 1
        with mine[which % len(mine)].open("a", encoding="utf-8") as handle:
            handle.write(f"\nEdit {self.edits}.\n")

    @rule(
        args=st.sampled_from([(), (), (), ("--clean",), ("--client", "client-0001")]),
        edit=st.lists(st.integers(0, CLIENTS - 1), max_size=2, unique=True),
    )
    def build_and_compare(self, args: tuple[str, ...], edit: list[int]) -> None:
        # (most builds stage: nothing changed is a no-op, which stages nothing; one portal
        # changed is published in place, portaledit.py; two stage the whole site)
        for client in edit:
            self.edit_a_note(client, self.edits)
        build(self.root, *args)
        if args and args[0] == "--client":  # keeps the other portals as they were: then all of them
            build(self.root)
        reference = self.tmp / "reference"
        shutil.rmtree(reference, ignore_errors=True)
        build(self.root, "--clean", "--out", str(reference))
        assert snapshot(self.root / "site") == snapshot(reference)
        assert_stamps_are_the_files(self.root)
        assert snapshot(self.outside) == self.outside_before

    # --- tampering with the back buffer --------------------------------------------------

    def tamper(self, kind: str, pick: int) -> None:
        files, folders = self.back_files(), self.back_folders()
        if kind == "edit in place" and files:
            # (a file the published site shares is edited there too: the build sees it)
            with files[pick % len(files)].open("r+b") as handle:
                handle.write(b"<script>alert(1)</script>")
        elif kind in ("replace", "replace, same size") and files:
            # another file at the same name, even with the same size and time
            target = files[pick % len(files)]
            content = target.read_bytes()
            target.unlink()
            target.write_bytes(b"x" * len(content) if kind.endswith("size") else b"<p>planted</p>")
            published = self.root / "site" / target.relative_to(self.back())
            if published.is_file():
                stamp = os.stat(published)
                os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        elif kind == "add a file" and self.back().is_dir() and not self.back().is_symlink():
            where = [self.back(), *folders]
            (where[pick % len(where)] / "added.html").write_bytes(b"<p>added</p>")
        elif kind == "add a folder" and folders:
            extra = folders[pick % len(folders)] / "extra"
            extra.mkdir(exist_ok=True)
            (extra / "index.html").write_bytes(b"<p>extra</p>")
        elif kind == "remove" and files:
            files[pick % len(files)].unlink()
        elif kind == "file to link" and files:
            target = files[pick % len(files)]
            target.unlink()
            target.symlink_to(self.outside / "secret.txt")
        elif kind == "folder to link" and folders:
            folder = folders[pick % len(folders)]
            shutil.rmtree(folder)
            folder.symlink_to(self.outside / "folder", target_is_directory=True)
        elif kind.startswith("chmod") and folders:
            folders[pick % len(folders)].chmod(int(kind.split()[1], 8))
        elif kind in ("back is a file", "back is a link", "back is gone"):
            back = self.back()
            if back.is_dir() and not back.is_symlink():
                shutil.rmtree(back)
            elif os.path.lexists(back):
                back.unlink()
            if kind == "back is a file":
                back.write_bytes(b"not a folder")
            elif kind == "back is a link":
                back.symlink_to(self.outside / "folder", target_is_directory=True)

    @rule(
        tampering=st.lists(
            st.tuples(st.sampled_from(TAMPERING), st.integers(0, 10**6)), min_size=1, max_size=3
        ),
        edit=st.lists(st.integers(0, CLIENTS - 1), min_size=1, max_size=2, unique=True),
    )
    def tamper_then_build(self, tampering: list[tuple[str, int]], edit: list[int]) -> None:
        # (two portals edited stage into the back buffer; one is published in place)
        for kind, pick in tampering:
            self.tamper(kind, pick)
        self.build_and_compare((), edit)


@pytest.mark.slow
def test_the_published_site_is_always_a_clean_builds():
    runner = DoubleBufferedBuilds.TestCase
    runner.settings = settings(
        max_examples=40,
        stateful_step_count=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    runner().runTest()


def test_the_back_buffer_is_kept_and_reused(tmp_path):
    root = tmp_path / "agency"
    write_synthetic_agency(root, clients=CLIENTS, months=2, end=dt.date(2026, 10, 20), seed=3)
    build(root)
    assert not back_buffer_path(root / "site").exists()  # the first build had nothing to swap out
    notes = [sorted(folder.glob("*.md"))[0] for folder in sorted((root / "content").iterdir())][:2]
    for note in notes:  # two portals: the whole site is staged (one alone is edited in place)
        note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    build(root)
    back = back_buffer_path(root / "site")
    # only the folders both sites share, and every file in them is the published one
    edited = {note.parent.name for note in notes}
    assert not edited & set(os.listdir(back)) and not (back / "index.html").exists()
    for path in back.rglob("*"):
        if path.is_file():
            assert os.path.samefile(path, root / "site" / path.relative_to(back))
    # every file the published site holds, held open: its bytes after the next build
    handles = {p: p.open("rb") for p in sorted((root / "site").rglob("*")) if p.is_file()}
    before = {p: handle.read() for p, handle in handles.items()}
    for note in notes:
        note.write_text(note.read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
    build(root)
    for path, handle in handles.items():  # never written into, by the build that staged into the back buffer
        handle.seek(0)
        assert handle.read() == before[path], path
        handle.close()
    assert_stamps_are_the_files(root)


def test_sync_folder_keeps_only_the_published_files(tmp_path_factory):
    """sync_folder against a plain model: whatever the back buffer's folder holds,
    afterwards it holds exactly the published files (the same inodes), or it is refused."""
    from hypothesis import given

    names = st.sampled_from(["a.html", "b.json", "m/index.html", "m/c.csv", "n/index.html"])

    @given(
        published=st.sets(names, min_size=1),
        kept=st.sets(names),
        stale=st.sets(names),
        links=st.sets(names),
        extra_folder=st.booleans(),
    )
    @settings(max_examples=80, deadline=None)
    def check(published, kept, stale, links, extra_folder):
        tmp = tmp_path_factory.mktemp("sync")
        out, staging = tmp / "out", tmp / "staging"
        (staging / "c").mkdir(parents=True)
        (out / "c").mkdir(parents=True)
        files = sorted(f"c/{n}" for n in published)
        for relative in files:
            write_into(out, relative, f"published {relative}")
        stamps = {r: file_stamp(out / r) for r in files}
        for name in sorted(kept | stale | links):
            relative = f"c/{name}"
            if name in links:
                (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                os.symlink(out / files[0], staging / relative)
            elif name in kept and relative in stamps:
                link_into(staging, out, relative)
            else:
                write_into(staging, relative, f"stale {relative}")
        if extra_folder:
            (staging / "c" / "z").mkdir()
        before = snapshot(out)
        ok = sync_folder(staging, out, "c", files, stamps)
        assert snapshot(out) == before  # the published files are never written
        folders = {n.split("/")[0] for n in kept | stale | links if "/" in n}
        if extra_folder or not folders <= {n.split("/")[0] for n in published if "/" in n}:
            assert ok is None  # a folder the site does not have: the whole folder is refused
            return
        assert ok is not None  # how many files it linked (0: all kept)
        assert (
            sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if not p.is_dir()) == files
        )
        for relative in files:
            assert os.path.samefile(staging / relative, out / relative)

    check()
