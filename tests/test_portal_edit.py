"""An edit of one portal published in place (portaledit.py).

A note or a CSV of one client changed: only that client's folder is staged and exchanged
with the published one; every other file of the site stays where it is. The build must
publish exactly what the whole-site build publishes — the same files, the same summary,
the same cache — and fall back to it whenever the published site is not exactly as the last
build wrote it (a file added, edited, removed or replaced anywhere in it, a shared file
changed): a generative test tampers with the site before a one-portal edit and compares
the result with a clean build's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency
from test_double_buffer import assert_stamps_are_the_files, build, snapshot

from reportgen import portaledit
from reportgen.build import build_site
from reportgen.buildoptions import BuildOptions
from reportgen.cache import load_manifest
from reportgen.output import back_buffer_path

CLIENTS = 3


def agency(root: Path) -> Path:
    write_synthetic_agency(root, clients=CLIENTS, months=2, end=dt.date(2026, 10, 20), seed=5)
    return root


def client_folders(root: Path) -> list[Path]:
    return sorted(p for p in (root / "content").iterdir() if p.is_dir())


def edit_note(root: Path, client: int, text: str = "One more line.") -> str:
    """Append to a note of one client; its portal's folder name (the client id here)."""
    folder = client_folders(root)[client]
    note = sorted(folder.glob("*.md"))[0]  # (the last is a draft)
    note.write_text(note.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")
    return folder.name


def edit_csv(root: Path, client: int) -> str:
    """Change one number of one client's data."""
    folder = sorted(p for p in (root / "data").iterdir() if p.is_dir())[client]
    path = sorted(folder.glob("*.csv"))[-1]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].rstrip("\n").split(",")
    cells[3] = str(int(cells[3]) + 7)
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return folder.name


def inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def clean_build_of(root: Path) -> dict[str, object]:
    reference = root.parent / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    build(root, "--clean", "--out", str(reference))
    return snapshot(reference)


@pytest.mark.parametrize("edit", [edit_note, edit_csv])
def test_one_portal_edited_is_published_in_place(tmp_path, edit):
    root = agency(tmp_path / "agency")
    build(root)
    site = root / "site"
    edit_note(root, 0), edit_note(root, 2)  # two portals: the whole site staged, a back buffer kept
    build(root)
    assert os.listdir(back_buffer_path(site)) == [client_folders(root)[1].name]
    before, site_inode = inodes(site), site.stat().st_ino
    edited = edit(root, 1)
    build(root)
    after = inodes(site)
    assert site.stat().st_ino == site_inode  # the site folder itself was not swapped
    untouched = {f for f in before if not f.startswith(f"{edited}/")}
    assert {f: after[f] for f in untouched} == {f: before[f] for f in untouched}  # not even rewritten
    assert any(after.get(f) != i for f, i in before.items() if f.startswith(f"{edited}/"))
    assert edited not in os.listdir(back_buffer_path(site))  # it never holds an unpublished page
    assert not [p.name for p in root.iterdir() if ".staging-" in p.name or ".old-" in p.name]
    assert snapshot(site) == clean_build_of(root)
    assert_stamps_are_the_files(root)


def _answer(result: object) -> dict[str, object]:
    fields = dataclasses.asdict(result)  # type: ignore[call-overload]
    fields.pop("seconds"), fields.pop("stages")
    return fields


def _manifest(root: Path, cache: Path | None = None) -> dict[str, object]:
    manifest = load_manifest(root, root / "site", cache)
    return {
        "site_key": manifest.site_key,
        "shared": manifest.shared,
        "inputs": manifest.inputs,
        "clients": {k: dataclasses.replace(e, stamps={}) for k, e in manifest.clients.items()},
        "stamped": {k: sorted(e.stamps) for k, e in manifest.clients.items()},
        "client_inputs": manifest.client_inputs,
    }


@pytest.mark.parametrize("preview", [False, True], ids=["build", "serve's preview"])
def test_the_in_place_edit_answers_and_caches_as_the_whole_build(tmp_path, monkeypatch, preview):
    """The same project edited the same way, built once in place and once the whole way:
    the same summary (counts, warnings), the same site and the same manifest (its stamps
    aside: other files, other inodes). `serve`'s preview builds (drafts, its own cache) take
    the same path."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    answers, manifests, sites, in_place = [], [], [], []
    publish = portaledit.publish_edited_portal
    monkeypatch.setattr(portaledit, "publish_edited_portal", lambda *a: in_place.append(1) or publish(*a))
    for whole in (False, True):
        shutil.rmtree(tmp_path / "agency", ignore_errors=True)  # (one path: the cache names it)
        root = agency(tmp_path / "agency")
        options = BuildOptions(project=root, out=root / "site", jobs=1)
        if preview:
            cache = root / "preview-cache"
            options = dataclasses.replace(options, preview=True, drafts=True, cache_dir=cache)
        build_site(options)
        edit_note(root, 2, "An edit, and a [broken link](javascript:alert(1)).")
        if whole:
            monkeypatch.setattr(portaledit, "edited_portal", lambda plan: None)
        answers.append(_answer(build_site(options)))
        manifests.append(_manifest(root, options.cache_dir))
        sites.append(snapshot(root / "site"))
    assert in_place == [1]  # (the first round was published in place, the second not)
    assert answers[0] == answers[1] and answers[0]["pages_written"] > 0
    assert manifests[0] == manifests[1]
    assert sites[0] == sites[1]


TAMPERING = (
    "add a file to another portal",
    "edit a file of another portal in place",
    "remove a file of another portal",
    "replace a file of another portal",
    "add a file at the top",
    "add a folder at the top",
    "edit the landing page",
    "remove an asset",
    "edit a page of the edited portal",
    "add a file to the edited portal",
    "replace another portal by a link",
    "remove another portal",
    "chmod a folder of another portal",
    "chmod a file of another portal",
    "chmod the site",
    "chmod a folder of the edited portal",
)


def tamper(site: Path, how: str, edited: str, other: str, pick: int) -> None:
    def one_file(folder: Path) -> Path:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return files[pick % len(files)]

    if how == "add a file to another portal":
        (site / other / "extra.html").write_text("<p>not written by reportgen</p>")
    elif how == "edit a file of another portal in place":
        path = one_file(site / other)
        with path.open("r+b") as handle:  # same size, other bytes
            first = handle.read(1)
            handle.seek(0)
            handle.write(b"X" if first != b"X" else b"Y")
    elif how == "remove a file of another portal":
        one_file(site / other).unlink()
    elif how == "replace a file of another portal":
        path = one_file(site / other)
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)  # the same bytes, another file
    elif how == "add a file at the top":
        (site / "stray.txt").write_text("stray")
    elif how == "add a folder at the top":
        (site / "old-client").mkdir(exist_ok=True)
        (site / "old-client" / "index.html").write_text("<p>an old portal</p>")
    elif how == "edit the landing page":
        (site / "index.html").write_text("<p>defaced</p>")
    elif how == "remove an asset":
        one_file(site / "assets").unlink()
    elif how == "edit a page of the edited portal":
        one_file(site / edited).write_text("stale")
    elif how == "add a file to the edited portal":
        (site / edited / "stale.html").write_text("stale")
    elif how == "replace another portal by a link":
        shutil.rmtree(site / other)
        (site / other).symlink_to(site / edited, target_is_directory=True)
    elif how == "remove another portal":
        shutil.rmtree(site / other)
    elif how == "chmod a folder of another portal":
        folders = sorted(p for p in (site / other).rglob("*") if p.is_dir())
        (folders[pick % len(folders)] if folders and pick % 2 else site / other).chmod(0o700)
    elif how == "chmod a file of another portal":
        one_file(site / other).chmod(0o600)
    elif how == "chmod the site":
        site.chmod(0o700)
    elif how == "chmod a folder of the edited portal":
        (site / edited).chmod(0o750)


def test_a_back_buffer_that_is_a_link_is_never_followed(tmp_path):
    """A `.site.back` made a link to a folder outside, holding a folder named like the edited
    portal: the one-portal edit leaves that folder alone (and publishes a clean build's site)."""
    root = agency(tmp_path / "agency")
    build(root)
    outside = tmp_path / "outside"
    name = client_folders(root)[0].name
    (outside / name).mkdir(parents=True)
    (outside / name / "keep.txt").write_text("precious")
    back = back_buffer_path(root / "site")
    shutil.rmtree(back, ignore_errors=True)
    back.symlink_to(outside, target_is_directory=True)
    edit_note(root, 0)
    build(root)
    assert (outside / name / "keep.txt").read_text() == "precious"
    assert snapshot(root / "site") == clean_build_of(root)


def tamper_edit_and_compare(steps: list[tuple[str, int]], client: int, csv: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="rg-portal-") as tmp:
        root = agency(Path(tmp) / "agency")
        build(root)
        site = root / "site"
        names = [p.name for p in client_folders(root)]
        edited, other = names[client], names[(client + 1) % CLIENTS]
        for how, pick in steps:
            if (site / other).is_dir() and not (site / other).is_symlink():
                tamper(site, how, edited, other, pick)
        (edit_csv if csv else edit_note)(root, client)
        build(root)
        assert snapshot(site) == clean_build_of(root)
        assert site.stat().st_mode == (root.parent / "reference").stat().st_mode  # (the site folder too)
        assert_stamps_are_the_files(root)
        assert not [p.name for p in Path(tmp).iterdir() if ".staging-" in p.name or ".old-" in p.name]


@pytest.mark.parametrize("how", TAMPERING)
def test_each_kind_of_tampering_before_a_one_portal_edit(how):
    tamper_edit_and_compare([(how, 1)], client=1, csv=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.tuples(st.sampled_from(TAMPERING), st.integers(0, 10**6)), max_size=3),
    client=st.integers(0, CLIENTS - 1),
    csv=st.booleans(),
)
def test_a_one_portal_edit_publishes_a_clean_builds_site_whatever_was_done_to_the_site(steps, client, csv):
    """Whatever was done to the published site since the last build, a one-portal edit
    publishes exactly what a clean build publishes (in place only when the site was as
    written; else the whole way)."""
    tamper_edit_and_compare(steps, client, csv)


def test_a_setgid_project_folder_keeps_builds_incremental(tmp_path):
    """Folders made inside a setgid folder inherit its setgid bit: that is not a chmod, and the
    next build still finds the site as written (a no-op, then an edit in place)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2775)
    root = agency(shared / "agency")
    build(root)
    assert (root / "site" / client_folders(root)[0].name).stat().st_mode & 0o2000  # (inherited)
    site_inode = (root / "site").stat().st_ino
    edit_note(root, 0)
    build(root)
    assert (root / "site").stat().st_ino == site_inode  # published in place: found as written
    assert snapshot(root / "site") == clean_build_of(root)
