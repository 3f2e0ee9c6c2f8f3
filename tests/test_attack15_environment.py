"""What the attack on the speed work's last part found (issue 15): an incremental build
carried pages that no longer matched what a clean build writes, or wrote outside the
project.

- A library upgraded under reportgen (Markdown, Jinja, Babel …), another Python, or
  another umask: the caches named reportgen's own code only, so pages rendered by the
  old library, and files with the old permissions, stayed published.
- `.reportgen-cache` replaced by a link to a folder outside the project: the build wrote
  through it and its clean-up deleted files there that reportgen never wrote.

Each class has a generative test that fails on the code before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest
from helpers import SOURCE_DATE_EPOCH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import codeid

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run(project: Path, *args: str, umask: int = 0o022, env: dict[str, str] | None = None):
    """The CLI in a fresh process (a process's umask and sys.path are its own)."""
    where = ["--project", str(project)] if args[0] != "init" else []
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *args, *where],
        capture_output=True,
        text=True,
        umask=umask,
        env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, **(env or {})},
        check=False,
    )


def new_project(folder: Path) -> Path:
    root = folder / "p"
    result = run(root.parent, "init", str(root), "--demo")
    assert result.returncode == 0, result.stderr
    return root


def tree(site: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file's bytes and every entry's permissions, by relative path."""
    found: dict[str, tuple[bytes | None, int]] = {".": (None, stat.S_IMODE(site.stat().st_mode))}
    for path in sorted(site.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[path.relative_to(site).as_posix()] = (content, stat.S_IMODE(info.st_mode))
    return found


def clean_twin(project: Path, umask: int, env: dict[str, str] | None = None) -> dict:
    """What a clean build of the same inputs publishes (a copy without site or cache)."""
    twin = project.parent / "twin"
    shutil.rmtree(twin, ignore_errors=True)
    shutil.copytree(
        project, twin, symlinks=True, ignore=shutil.ignore_patterns("site", ".site.*", ".reportgen-cache")
    )
    result = run(twin, "build", "--jobs", "1", umask=umask, env=env)
    assert result.returncode == 0, result.stderr
    return tree(twin / "site")


# --- the environment is part of what a build is ------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    library=st.sampled_from([module for module, _ in codeid.RENDERING_LIBRARIES]),
    change=st.sampled_from(["moved", "upgraded", "gone"]),
)
def test_any_change_of_a_rendering_library_changes_the_identity(library, change, tmp_path_factory):
    """Imported from elsewhere (PYTHONPATH, another venv), another version installed, or not
    found: the environment, and so every cache key, is another."""
    before = codeid.environment_identity.__wrapped__()
    real_find = codeid.importlib.util.find_spec
    real_listdir = os.listdir
    other = tmp_path_factory.mktemp("site-packages")
    origin = real_find(library).origin
    site = Path(origin).parent.parent if Path(origin).name.startswith("__init__.") else Path(origin).parent
    distribution = dict(codeid.RENDERING_LIBRARIES)[library]

    def find_spec(name, *args, **kwargs):
        if name != library:
            return real_find(name, *args, **kwargs)
        if change == "gone":
            return None
        moved = change == "moved"
        return ModuleSpec(name, None, origin=str(other / name / "__init__.py") if moved else origin)

    def listdir(folder):
        names = real_listdir(folder)
        return [*names, f"{distribution}-999.0.dist-info"] if Path(folder) == site else names

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codeid.importlib.util, "find_spec", find_spec)
        if change == "upgraded":
            patch.setattr(codeid.os, "listdir", listdir)
        assert codeid.environment_identity.__wrapped__() != before


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=st.sampled_from(["note", "nothing"]))
def test_a_library_imported_from_elsewhere_renders_every_page_again(edit, tmp_path_factory):
    """The attack's repro: a patched Markdown first on PYTHONPATH marked every paragraph,
    and a plain build answered "0 pages rendered" (or re-rendered one client only)."""
    folder = tmp_path_factory.mktemp("lib")
    project = new_project(folder)
    assert run(project, "build", "--jobs", "1").returncode == 0
    import markdown

    patched = folder / "patched"
    shutil.copytree(Path(markdown.__file__).parent, patched / "markdown")
    core = patched / "markdown" / "core.py"
    text = core.read_text(encoding="utf-8")
    assert "        return output.strip()\n" in text
    marking = '        return output.strip().replace("</p>", " MARK</p>")\n'
    core.write_text(text.replace("        return output.strip()\n", marking), encoding="utf-8")
    if edit == "note":
        note = sorted((project / "content").glob("*/*.md"))[0]
        note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    env = {"PYTHONPATH": str(patched)}
    result = run(project, "build", "--jobs", "1", env=env)
    assert result.returncode == 0, result.stderr
    published = tree(project / "site")
    assert published == clean_twin(project, 0o022, env)
    marked = [name for name, (content, _) in published.items() if content and b" MARK</p>" in content]
    assert len(marked) > 4  # every client's reports, not only the edited one's


UMASKS = [0o022, 0o077, 0o027, 0o002]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.sampled_from(UMASKS),
    then=st.sampled_from(UMASKS),
    edit=st.sampled_from(["nothing", "note", "clients.yaml"]),
)
def test_another_umask_publishes_a_clean_builds_permissions(first, then, edit, tmp_path_factory):
    """Built under one umask, then under another (with nothing, a note or clients.yaml
    changed): every file and folder has the permissions a clean build under the second
    gives, never a mix of both (the no-op kept `site/` at 0700, an edit carried 0600 pages)."""
    project = new_project(tmp_path_factory.mktemp("umask"))
    assert run(project, "build", "--jobs", "1", umask=first).returncode == 0
    assert run(project, "build", "--jobs", "1", umask=first).returncode == 0  # the no-op summary
    if edit == "note":
        note = sorted((project / "content").glob("*/*.md"))[0]
        note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    elif edit == "clients.yaml":
        config = project / "clients.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    result = run(project, "build", "--jobs", "1", umask=then)
    assert result.returncode == 0, result.stderr
    published = tree(project / "site")
    assert published == clean_twin(project, then)
    assert {mode for content, mode in published.values() if content is not None} == {0o666 & ~then}


# --- the cache folder is the project's own -----------------------------------------------------


def _make_cache_kind(project: Path, kind: str, outside: Path) -> None:
    cache = project / ".reportgen-cache"
    shutil.rmtree(cache, ignore_errors=True)
    if kind == "link to a folder outside":
        os.symlink(outside, cache)
    elif kind == "link to a file":
        os.symlink(outside / "parsed" / "keep.txt", cache)
    elif kind == "broken link":
        os.symlink(outside / "nowhere", cache)
    elif kind == "link loop":
        os.symlink(cache, cache)
    elif kind == "file":
        cache.write_text("not a folder\n")
    elif kind == "fifo":
        os.mkfifo(cache)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(
        ["link to a folder outside", "link to a file", "broken link", "link loop", "file", "fifo"]
    ),
    command=st.sampled_from(
        [["build", "--jobs", "1"], ["build", "--clean", "--jobs", "1"], ["status"], ["overview"]]
    ),
)
def test_a_cache_folder_that_is_not_a_folder_is_refused(kind, command, tmp_path_factory):
    """Exit 1 with a message naming the cache folder; nothing outside the project written
    or deleted; the published site as it was."""
    folder = tmp_path_factory.mktemp("cache")
    project = new_project(folder)
    assert run(project, "build", "--jobs", "1").returncode == 0
    published = tree(project / "site")
    outside = folder / "victim"
    for name in ("parsed", "notes", "status"):
        (outside / name).mkdir(parents=True)
        (outside / name / "keep.txt").write_text("keep\n")
    before = tree(outside)
    _make_cache_kind(project, kind, outside)
    result = run(project, *command)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert ".reportgen-cache" in result.stderr and "Traceback" not in result.stderr
    assert tree(outside) == before
    assert tree(project / "site") == published


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from([".gitignore", "parsed", "notes", "status"]),
    target=st.sampled_from(["a file outside", "a new file outside", "a missing folder outside"]),
    command=st.sampled_from([["build", "--jobs", "1"], ["build", "--clean", "--jobs", "1"], ["status"]]),
)
def test_a_link_planted_inside_the_cache_is_never_written_through(name, target, command, tmp_path_factory):
    """The second attack: `.reportgen-cache/.gitignore` as a link made the build write `*`
    outside the project (and a link into a missing folder crashed it with a traceback)."""
    folder = tmp_path_factory.mktemp("inside")
    project = new_project(folder)
    outside = folder / "victim"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep\n")
    cache = project / ".reportgen-cache"
    cache.mkdir(exist_ok=True)
    planted = cache / name
    shutil.rmtree(planted, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        planted.unlink()
    leads_to = {
        "a file outside": outside / "keep.txt",
        "a new file outside": outside / "planted",
        "a missing folder outside": outside / "nowhere" / "planted",
    }[target]
    os.symlink(leads_to, planted)
    before = tree(outside)
    result = run(project, *command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert tree(outside) == before


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    error=st.sampled_from([13, 28, 30, 5]),  # EACCES, ENOSPC, EROFS, EIO
    where=st.sampled_from(["forget_manifest", "save_manifest", "save_salts", "noop_record"]),
)
def test_a_disk_error_is_one_line_never_a_traceback(error, where, tmp_path_factory):
    """The second attack made the cache folder immutable (`chattr +i`): a note edit ended in
    a PermissionError traceback. Any OSError a build meets is `path: reason`, exit 1."""
    from conftest import run_cli

    from reportgen import build, cache, nooprecord, portaledit, protect

    project = new_project(tmp_path_factory.mktemp("disk"))
    assert run(project, "build", "--jobs", "1").returncode == 0
    note = sorted((project / "content").glob("*/*.md"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    failing = project / ".reportgen-cache" / "some-file"

    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error), str(failing))

    modules = {
        "forget_manifest": [build, cache, portaledit],
        "save_manifest": [build, cache, portaledit],
        "save_salts": [build, protect],
        "noop_record": [nooprecord],
    }[where]
    attribute = {"noop_record": "remember"}.get(where, where)
    with pytest.MonkeyPatch.context() as patch:
        for module in modules:
            if hasattr(module, attribute):
                patch.setattr(module, attribute, fail)
        if where == "noop_record":
            patch.setattr(build, "remember", fail)
            patch.setattr(build, "remember_edit", fail)
        result = run_cli("build", "--jobs", "1", "--project", str(project))
    if result.exit_code == 0:  # that stage was not reached by this build
        return
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError) or isinstance(result.exception, SystemExit)
    assert f"{failing}: {os.strerror(error)}" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_m_reportgen_imports_nothing_from_the_project_folder(tmp_path):
    """The second attack: `python -m reportgen` run in a project holding a `markdown/`
    folder imported it in place of the library."""
    project = new_project(tmp_path)
    (project / "markdown").mkdir()
    (project / "markdown" / "__init__.py").write_text("raise SystemExit('the project folder was imported')\n")
    (project / "yaml.py").write_text("raise SystemExit('the project folder was imported')\n")
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "build", "--jobs", "1"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "imported" not in result.stderr


# --- every file reportgen writes is written whole, never through a link ------------------------


class _FullDisk:
    """A file object whose writes fail with ENOSPC after the first few bytes."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        self.handle.write(data[:10])
        raise OSError(28, os.strerror(28))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(
        [["new", "report", "acme-corp", "--month", "2026-12"], ["new", "client", "newco", "--name", "New Co"]]
    ),
    fails_at=st.sampled_from(["write", "swap"]),
)
def test_a_full_disk_leaves_the_project_as_it_was(command, fails_at, tmp_path_factory):
    """The third attack: `new report` on a full disk left an empty note, which the next
    build published as a final report. A file the AE's commands write is all or nothing:
    exit 1, one line, no file left half-written (clients.yaml byte for byte as it was)."""
    from conftest import run_cli

    from reportgen import inputfiles

    project = new_project(tmp_path_factory.mktemp("full"))
    before = tree(project)
    real_open = open

    def failing_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return _FullDisk(handle) if fails_at == "write" and "w" in mode else handle

    def failing_swap(*args, **kwargs):
        raise OSError(28, os.strerror(28), str(args[0]))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputfiles, "open", failing_open, raising=False)
        if fails_at == "swap":
            patch.setattr(inputfiles.os, "replace", failing_swap)
            patch.setattr(inputfiles.os, "link", failing_swap)
        result = run_cli(*command, "--project", str(project))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and os.strerror(28) in result.output
    assert tree(project) == before


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from([["build", "--jobs", "1"], ["build", "--clean", "--jobs", "1"], ["status"]]))
def test_a_link_planted_at_a_temporary_name_is_never_written_through(command, tmp_path_factory):
    """The third attack planted links at `noop-tmp-<pid>` and `salts.json.tmp-<pid>` (names
    it could predict): the build overwrote a file outside the project. Temporary names are
    now unguessable; here the random part is made known and every such name planted, for
    every cache file a build writes, and nothing outside changes."""
    from conftest import run_cli

    from reportgen import inputfiles

    folder = tmp_path_factory.mktemp("tmpname")
    project = new_project(folder)
    outside = folder / "victim"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep\n")
    before = tree(outside)
    assert run(project, "build", "--jobs", "1").returncode == 0
    cache = project / ".reportgen-cache"
    names = [p for p in cache.rglob("*") if p.is_file()] + [cache / "salts.json"]
    pid = os.getpid()
    for path in names:
        for name in (  # this name, and the predictable ones before it
            f".{path.name}.tmp-{pid}-{'0' * 16}",
            f".{path.name}.tmp-{pid}",
            f".{path.name}.{pid}.tmp",
            f"{path.name}.tmp-{pid}",
            f"noop-tmp-{pid}",
        ):
            planted = path.with_name(name)
            if planted.parent.is_dir() and not os.path.lexists(planted):
                os.symlink(outside / "keep.txt", planted)
    with pytest.MonkeyPatch.context() as patch:
        if hasattr(inputfiles, "secrets"):
            patch.setattr(inputfiles.secrets, "token_hex", lambda n: "00" * n)
        result = run_cli(*command, "--project", str(project))
    assert "Traceback" not in result.output
    assert tree(outside) == before


# Where reportgen writes a file it means to keep in the project or its cache: all through
# inputfiles.write_whole (or ignore_cache_in_git), never a bare write that a full disk cuts
# short or a planted link leads elsewhere. The rest write into folders they just made
# (init's new project, a PDF's private folder, the staging site) or where the user said.
_BARE_WRITES_ALLOWED = {"demo.py", "pdf.py", "scaffold.py", "send.py", "cli_build.py", "inputfiles.py"}


def test_every_kept_file_is_written_whole():
    import re

    package = Path(codeid.__file__).parent
    bare = re.compile(r"\.write_(text|bytes)\(|os\.replace\(")
    found = [
        f"{path.name}:{number}"
        for path in sorted(package.glob("*.py"))
        if path.name not in _BARE_WRITES_ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if bare.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, f"write these with inputfiles.write_whole: {found}"
    scaffold = (package / "scaffold.py").read_text(encoding="utf-8")
    for function in ("def new_report", "def new_client"):
        body = scaffold[scaffold.index(function) :].split("\ndef ", 1)[0]
        assert not bare.search(body), f"{function} writes the AE's files whole"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    planted=st.sampled_from(["target", "temporary"]),
    new=st.booleans(),
    data=st.binary(max_size=64),
)
def test_write_whole_never_writes_through_a_link(planted, new, data, tmp_path_factory):
    from reportgen import inputfiles

    folder = tmp_path_factory.mktemp("whole")
    victim = folder / "victim.txt"
    victim.write_bytes(b"keep")
    path = folder / "cache" / "file.bin"
    path.parent.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputfiles.secrets, "token_hex", lambda n: "ab" * n)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}-{'ab' * 8}")
        os.symlink(victim, path if planted == "target" else temporary)
        with contextlib.suppress(OSError):
            inputfiles.write_whole(path, data, new=new)
    assert victim.read_bytes() == b"keep"
    assert not os.path.lexists(temporary) or temporary.is_symlink()


@pytest.mark.parametrize("there", [None, "file", "link"])
def test_a_new_file_on_a_file_system_without_hard_links(there, tmp_path, monkeypatch):
    """`new report` on FAT or a share without hard links: written whole by a rename, and
    still never over something already there (a file or a link, not followed)."""
    from reportgen import inputfiles

    def no_links(*args):
        raise OSError(1, os.strerror(1))

    monkeypatch.setattr(inputfiles.os, "link", no_links)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep")
    path = tmp_path / "2026-12.md"
    if there == "file":
        path.write_bytes(b"old")
    elif there == "link":
        os.symlink(victim, path)
    if there is None:
        inputfiles.write_whole(path, b"note", new=True)
        assert path.read_bytes() == b"note"
    else:
        with pytest.raises(FileExistsError):
            inputfiles.write_whole(path, b"note", new=True)
        assert victim.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"victim.txt", "2026-12.md"})
