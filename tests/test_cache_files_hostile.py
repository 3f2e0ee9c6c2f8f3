"""Cache files are reportgen's own, and nothing else put in their place is trusted or
waited on (attack a15c).

Found: a FIFO (or a link to /dev/zero) in place of a parsed-data file, the build
manifest or salts.json hung the build for ever; a `parsed/` folder linked out of the
project was written through; a forged parsed file with inf/NaN gave a traceback on
every build; a renamed client's parsed file (its data in plaintext) stayed after the
client was protected under its new id. The classes: what stands where a cache file
should be, what a cache file holds, and which cache files may exist at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parsed_cache import cache_for, cached, load  # noqa: F401 (a fixture)

from reportgen.buildoptions import BuildOptions
from reportgen.cache import CACHE_DIR, ClientEntry, Manifest, client_file, load_manifest, save_manifest
from reportgen.inputfiles import read_cache_file
from reportgen.noop import load_summary, summary_path
from reportgen.notescache import NotesCache
from reportgen.notescache import cache_file as notes_cache_file
from reportgen.parsedcache import FOLDER, MAGIC, ParsedCache, cache_file, forget_protected
from reportgen.protect import load_salts
from reportgen.statuscache import (
    STATUS_FOLDER,
    load_status_cache,
    status_file,
)

KINDS = ["fifo", "dev-zero", "folder", "dangling", "link-to-a-file"]


def put_in_place(path: Path, kind: str, elsewhere: Path) -> None:
    if os.path.lexists(path):
        os.unlink(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        os.symlink(elsewhere / "missing", path)
    else:
        target = elsewhere / "file"
        target.write_bytes(MAGIC + b"x" * 64)
        os.symlink(target, path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS))
def test_every_cache_reader_refuses_what_is_not_a_file_it_wrote(tmp_path_factory, kind):
    """Each reader answers "no cache" at once: a FIFO would block a plain read for ever,
    /dev/zero would never end. (Each runs in a thread with a timeout, so a regression
    fails instead of hanging the suite.)"""
    folder = tmp_path_factory.mktemp("cache")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    project, out = folder / "project", folder / "project" / "site"
    targets = {
        "parsed": cache_file(folder, "acme"),
        "notes": notes_cache_file(folder, "acme"),
        "salts": folder / "salts.json",
        "status": status_file(folder, "acme"),
    }
    for path in targets.values():
        put_in_place(path, kind, elsewhere)
    manifest = project / CACHE_DIR
    manifest.mkdir(parents=True)
    from reportgen.cache import manifest_path

    put_in_place(manifest_path(project, out), kind, elsewhere)
    # One file per client (the manifest's and the status cache's), and their folders:
    # a manifest that names a client file, the file not one reportgen wrote.
    for name, client in (("site2", "acme"), ("site3", "")):
        save_manifest(project, project / name, Manifest(clients={"acme": ClientEntry("x")}))
        target = client_file(manifest_path(project, project / name), "acme")
        if not client:
            shutil.rmtree(target.parent)
        put_in_place(target if client else target.parent, kind, elsewhere)
    other = tmp_path_factory.mktemp("status")
    put_in_place(other / STATUS_FOLDER, kind, elsewhere)
    early = BuildOptions(project=project, out=out, today=dt.date(2026, 11, 5))
    put_in_place(summary_path(early), kind, elsewhere)
    readers = {
        "noop summary": lambda: load_summary(early),
        "parsed": lambda: ParsedCache(folder, "acme", {}).old,
        "notes": lambda: NotesCache(folder, "acme").old,
        "salts": lambda: load_salts(folder),
        "status": lambda: load_status_cache(folder, ["acme"]).clients,
        "status folder": lambda: load_status_cache(other, ["acme"]).clients,
        "manifest": lambda: load_manifest(project, out).clients,
        "manifest client": lambda: load_manifest(project, project / "site2").clients,
        "manifest folder": lambda: load_manifest(project, project / "site3").clients,
    }
    for name, read in readers.items():
        answer: list[object] = []
        reader = threading.Thread(target=lambda read=read, answer=answer: answer.append(read()), daemon=True)
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), f"{name}: still waiting on a {kind}"
        assert answer == [answer[0]] and not answer[0], name  # empty: nothing trusted


def test_read_cache_file_reads_a_plain_file_and_refuses_links(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"abc")
    assert read_cache_file(plain) == b"abc"
    os.symlink(plain, tmp_path / "link")
    with pytest.raises(OSError):
        read_cache_file(tmp_path / "link")
    with pytest.raises(OSError):
        read_cache_file(plain, limit=2)


def test_a_parsed_folder_linked_out_of_the_project_is_never_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = tmp_path / "project" / CACHE_DIR
    cache.mkdir(parents=True)
    os.symlink(outside, cache / FOLDER)
    parsed = ParsedCache(cache, "acme", {})
    parsed.changed = True
    parsed.save()
    assert list(outside.iterdir()) == []
    assert parsed.old == {}


IDS = st.lists(st.sampled_from(["acme", "client-7", "harbor", "pho", "x" * 30]), unique=True, max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=IDS, clients=IDS, protected=st.lists(st.booleans(), min_size=5, max_size=5), stray=st.booleans())
def test_only_current_unprotected_clients_keep_a_parsed_file(
    tmp_path_factory, files, clients, protected, stray
):
    cache = tmp_path_factory.mktemp("cache")
    (cache / FOLDER).mkdir()
    for client_id in files:
        cache_file(cache, client_id).write_bytes(MAGIC)
    if stray:
        (cache / FOLDER / ".left-by-a-killed-build.tmp").write_bytes(b"rows")
    config = [
        SimpleNamespace(id=c, access=object() if p else None)
        for c, p in zip(clients, protected, strict=False)
    ]
    forget_protected(cache, config)  # type: ignore[arg-type]
    left = sorted(p.name for p in (cache / FOLDER).iterdir())
    wanted = sorted(cache_file(cache, c.id).name for c in config if c.access is None and c.id in files)
    assert left == wanted


def forge(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite the payload through `change` and put a matching digest in front."""
    data = path.read_bytes()
    head = len(MAGIC) + 32
    version, owner, files = marshal.loads(data[head:])
    payload = marshal.dumps((version, owner, change(files)), 4)
    path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.sampled_from([math.inf, -math.inf, math.nan, 1e16, -1e300, 10**16]), column=st.integers(0, 1))
def test_a_forged_number_no_csv_could_hold_is_ignored(cached, value, column):  # noqa: F811
    """inf, NaN or past 10^15 once gave a traceback on every build: such a file is not ours."""
    path = cache_file(cached / CACHE_DIR, "acme")
    original = path.read_bytes()
    try:

        def change(files):  # type: ignore[no-untyped-def]
            entry = list(files[0])
            columns = list(entry[10])
            count = entry[6]
            columns[column] = ("t", tuple([value] * count))
            entry[10] = tuple(columns)
            return (tuple(entry), *files[1:])

        forge(path, change)
        assert ParsedCache(cached / CACHE_DIR, "acme", {}).old == {}
        assert load(cached, cache_for(cached)) == load(cached)
    finally:
        path.write_bytes(original)


def test_a_forged_file_with_a_metric_twice_is_ignored(cached):  # noqa: F811
    path = cache_file(cached / CACHE_DIR, "acme")

    def change(files):  # type: ignore[no-untyped-def]
        entry = list(files[0])
        entry[3] = (entry[3][0], entry[3][0])
        return (tuple(entry), *files[1:])

    forge(path, change)
    assert ParsedCache(cached / CACHE_DIR, "acme", {}).old == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_build_with_fifos_for_cache_files_finishes(tmp_path):
    """End to end: the demo, every cache file replaced by a FIFO, a CSV edited: the
    build finishes (never waits) and publishes what a clean build does."""
    root = tmp_path / "demo"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1796180400"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "reportgen", *args, "--project", str(root)]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert (
        subprocess.run(
            [sys.executable, "-m", "reportgen", "init", str(root), "--demo"], env=env, timeout=300
        ).returncode
        == 0
    )
    assert cli("build").returncode == 0
    cache = root / CACHE_DIR
    cache_files = [*cache.glob("build-*.json"), *cache.glob("noop-*.bin"), cache / "salts.json"]
    for path in [*(cache / FOLDER).iterdir(), *cache_files]:
        if path.is_file():
            path.unlink()
            os.mkfifo(path)
    some_csv = sorted((root / "data").rglob("*.csv"))[0]
    some_csv.write_text(some_csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    built = cli("build")
    assert built.returncode == 0, built.stderr
    clean = cli("build", "--clean", "--out", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    published = {
        p.relative_to(root / "site"): p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()
    }
    fresh = {
        p.relative_to(tmp_path / "clean"): p.read_bytes()
        for p in (tmp_path / "clean").rglob("*")
        if p.is_file()
    }
    assert published == fresh
