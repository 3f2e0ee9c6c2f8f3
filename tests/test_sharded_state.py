"""The status cache and the build manifest, one file per client: random sequences of
edits give the same published site and the same status as clean builds.

A build writes only the clients' files that changed (statuscache.py, cache.py), so
what one build leaves must still describe the whole agency for the next: after every
step of a random sequence (a note or a data file edited, a client protected or
unprotected, a cache file deleted, damaged or left half written, `reportgen status`
run in between, the published portal or the back buffer's copy of it tampered
with: an unchanged client is taken from the back buffer, checked file by file,
without a walk of its published folder), an incremental build publishes exactly what a clean build into
another folder publishes, the manifest's stamps are the published files', `status`
answers exactly as it does with no cache at all, and no cache file holds a
protected client's figures or next steps in plaintext.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import DEFAULT_MARKERS, TODAY, make_project, tree_bytes
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reportgen.agency import collect_summaries
from reportgen.cache import CACHE_DIR, client_file, file_stamp, load_manifest, manifest_path
from reportgen.statuscache import STATUS_FOLDER, status_file

CLIENTS = sorted(DEFAULT_MARKERS)
PASSWORD = "a long enough password here"
ENV = {f"{c.upper().replace('-', '_')}_PW": PASSWORD for c in CLIENTS}

STEPS = st.one_of(
    st.tuples(st.just("note"), st.sampled_from(CLIENTS), st.integers(0, 3)),
    st.tuples(st.just("csv"), st.sampled_from(CLIENTS), st.integers(1, 40)),
    st.tuples(st.just("protect"), st.sampled_from(CLIENTS), st.booleans()),
    st.tuples(
        st.just("cache"),
        st.sampled_from(CLIENTS),
        st.sampled_from(["manifest-entry", "status-entry", "manifest", "half-written", "garbage-entry"]),
    ),
    st.tuples(st.just("status"), st.just(""), st.just(0)),
    st.tuples(
        st.just("tamper"),
        st.sampled_from(CLIENTS),
        st.sampled_from(
            [
                "plant-published",
                "edit-published",
                "remove-published",
                "plant-back",
                "remove-back",
                "replace-back",
            ]
        ),
    ),
)


def protected(root: Path) -> set[str]:
    text = (root / "clients.yaml").read_text(encoding="utf-8")
    return {c for c in CLIENTS if f"- id: {c}\n  access:" in text}


def set_protection(root: Path, client_id: str, on: bool) -> None:
    path = root / "clients.yaml"
    text = path.read_text(encoding="utf-8")
    variable = client_id.upper().replace("-", "_") + "_PW"
    line = f"  access: {{password_env: {variable}}}\n"
    head = f"- id: {client_id}\n"
    if on and client_id not in protected(root):
        text = text.replace(head, head + line, 1)
    elif not on:
        text = text.replace(head + line, head, 1)
    path.write_text(text, encoding="utf-8")


def apply(root: Path, step: tuple[str, str, object]) -> None:
    kind, client_id, value = step
    cache = root / CACHE_DIR
    if kind == "note":
        note = sorted((root / "content" / client_id).glob("*.md"))[int(value)]  # type: ignore[call-overload]
        with note.open("a", encoding="utf-8") as handle:
            handle.write(f"\nAnother paragraph, {value}.\n")
    elif kind == "csv":
        path = root / "data" / client_id / "2026.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = 1 + int(value) % (len(lines) - 1)  # type: ignore[call-overload]
        cells = lines[index].rstrip("\n").split(",")
        cells[3] = str(int(cells[3]) + 1)  # impressions
        lines[index] = ",".join(cells) + "\n"
        path.write_text("".join(lines), encoding="utf-8")
    elif kind == "protect":
        set_protection(root, client_id, bool(value))
    elif kind == "tamper":  # the published portal or the back buffer's copy (hard links to it)
        if value == "remove-back-replace-published":  # the back buffer's file must not come from there
            back, published = root / ".site.back" / client_id, root / "site" / client_id
            if not back.is_dir() or not published.is_dir():
                return
            relative = sorted(p for p in back.rglob("*") if p.is_file())[0].relative_to(back)
            (back / relative).unlink()
            data = (published / relative).read_bytes()
            (published / relative).unlink()
            (published / relative).write_bytes(data[::-1])
            return
        folder = root / ("site" if str(value).endswith("published") else ".site.back") / client_id
        if not folder.is_dir():
            return
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if str(value).startswith("plant"):
            (folder / "stray.html").write_text("planted", encoding="utf-8")
        elif str(value).startswith("remove"):
            files[0].unlink()
        elif value == "edit-published":  # in place: the back buffer's link to it changes too
            with files[-1].open("ab") as handle:
                handle.write(b"<!-- edited -->")
        else:  # another file of the same size in its place
            data = files[-1].read_bytes()
            files[-1].unlink()
            files[-1].write_bytes(data[::-1])
    elif kind == "status":
        with pytest.MonkeyPatch.context() as patch:
            for name, secret in ENV.items():
                patch.setenv(name, secret)
            collect_summaries(root, None, TODAY)
    else:
        manifest = manifest_path(root, root / "site")
        targets = {
            "manifest-entry": client_file(manifest, client_id),
            "status-entry": status_file(cache, client_id),
            "manifest": manifest,
            "half-written": client_file(manifest, client_id),
            "garbage-entry": status_file(cache, client_id),
        }
        target = targets[str(value)]
        if not target.is_file():
            return
        if value in ("manifest-entry", "status-entry", "manifest"):
            target.unlink()
        elif value == "half-written":  # a killed build: the client's new file, not the manifest naming it
            data = json.loads(target.read_text(encoding="utf-8"))
            data["entry"]["fingerprint"] = "another build's"
            target.write_text(json.dumps(data), encoding="utf-8")
        else:
            target.write_bytes(b'{"format": "reportgen-status/2", "id": "' + client_id.encode() + b'"')


def build(root: Path, *args: str) -> None:
    result = run_cli("build", "--project", str(root), "--jobs", "1", *args, env=ENV)
    assert result.exit_code == 0, result.output


def summaries(root: Path) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as patch:
        for name, secret in ENV.items():
            patch.setenv(name, secret)
        return collect_summaries(root, None, TODAY).summaries  # type: ignore[return-value]


def cache_text(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted((root / CACHE_DIR).rglob("*")) if p.is_file())


def check(root: Path, scratch: Path) -> None:
    build(root)
    secret = protected(root)
    clean = scratch / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(root, "--clean", "--out", str(clean))
    site = tree_bytes(root / "site")
    fresh = tree_bytes(clean)
    # (a protected portal is sealed with fresh random nonces: compared by its file names)
    assert {f for f in site if f.split("/")[0] in secret} == {f for f in fresh if f.split("/")[0] in secret}
    assert {f: b for f, b in site.items() if f.split("/")[0] not in secret} == {
        f: b for f, b in fresh.items() if f.split("/")[0] not in secret
    }
    manifest = load_manifest(root, root / "site")
    stamps = dict(manifest.shared_stamps)
    for entry in manifest.clients.values():
        stamps.update(entry.stamps)
    assert set(manifest.clients) == set(CLIENTS)
    assert set(stamps) == set(site)
    assert all(file_stamp(root / "site" / f) == stamp for f, stamp in stamps.items())
    # status: exactly what it says with no cache at all
    bare = scratch / "bare"
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(root, bare, ignore=shutil.ignore_patterns(CACHE_DIR, "site", ".site.*"))
    assert summaries(root) == summaries(bare)
    # no plaintext of a protected client in any cache file, and no status file of it
    text = cache_text(root)
    for client_id in secret:
        assert DEFAULT_MARKERS[client_id].encode() not in text
        assert not status_file(root / CACHE_DIR, client_id).exists()
    names = sorted(os.listdir(root / CACHE_DIR / STATUS_FOLDER))
    assert names == sorted(status_file(root / CACHE_DIR, c).name for c in CLIENTS if c not in secret)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sharded") / "proj"
    make_project(root)
    build(root)
    return root


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=1, max_size=4))
@example(steps=[("note", "acme-corp", 0), ("tamper", "berlin-bikes", "remove-back-replace-published")])
@example(steps=[("csv", "acme-corp", 3), ("tamper", "saigon-foods", "edit-published")])
@example(
    steps=[("note", "acme-corp", 1), ("tamper", "berlin-bikes", "plant-published"), ("note", "acme-corp", 2)]
)
def test_random_edits_publish_and_report_what_clean_builds_do(built, steps):
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        root = scratch / "proj"
        shutil.copytree(built, root, symlinks=True)
        build(root)  # (a copy is a changed project: its inodes and paths are new)
        for step in steps:
            apply(root, step)
            check(root, scratch)


def test_an_edit_writes_only_its_clients_files(built, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(built, root, symlinks=True)
    build(root)
    manifest = manifest_path(root, root / "site")
    files = {c: (client_file(manifest, c), status_file(root / CACHE_DIR, c)) for c in CLIENTS}
    before = {c: [os.stat(p).st_ino for p in paths] for c, paths in files.items()}
    apply(root, ("note", "acme-corp", 3))
    build(root)
    after = {c: [os.stat(p).st_ino for p in paths] for c, paths in files.items()}
    assert [after[c] == before[c] for c in CLIENTS] == [c != "acme-corp" for c in CLIENTS]
    assert all(a != b for a, b in zip(after["acme-corp"], before["acme-corp"], strict=True))
