"""`serve` follows the links an AE keeps in the project (attack a15d).

A client's notes kept elsewhere (`content/acme -> ../notes-a`) and then
retargeted (`ln -sfn ../notes-b content/acme`): the rebuild after the switch
happened, but edits in the new target were never seen, because the OS
watcher of content/ followed the link only as it was when serve started.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
from pathlib import Path

from helpers import make_project, wait_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_serve_robust import CLIENT, Server, replace_save, server  # noqa: F401 (the fixture)

from reportgen.watching import linked_folders, watch_plan


def retarget(link: Path, target: str) -> None:
    """What `ln -sfn` does: a new link renamed over the old one."""
    temporary = link.with_name(f".{link.name}.tmp-link")
    os.symlink(target, temporary)
    os.replace(temporary, link)


def test_a_client_notes_link_retargeted_is_followed(server):  # noqa: F811
    content = server.project / "content"
    first, second = server.project / "notes-a", server.project / "notes-b"
    shutil.copytree(content / CLIENT, first)
    shutil.copytree(content / CLIENT, second)
    (second / "2026-10.md").write_text((second / "2026-10.md").read_text() + "\nFrom B.\n")
    shutil.rmtree(content / CLIENT)
    os.symlink("../notes-a", content / CLIENT)
    replace_save(first / "2026-10.md", (first / "2026-10.md").read_text() + "\nEdit in A.\n")
    wait_for(lambda: "Edit in A." in server.page())
    retarget(content / CLIENT, "../notes-b")
    wait_for(lambda: "From B." in server.page())
    replace_save(second / "2026-10.md", (second / "2026-10.md").read_text() + "\nEdit in B.\n")
    wait_for(lambda: "Edit in B." in server.page())


def test_the_content_folder_link_retargeted_is_followed(server):  # noqa: F811
    content = server.project / "content"
    first, second = server.project / "content-a", server.project / "content-b"
    os.rename(content, first)
    shutil.copytree(first, second)
    note_b = second / CLIENT / "2026-10.md"
    note_b.write_text(note_b.read_text() + "\nFrom B.\n")
    os.symlink("content-a", content)
    note_a = first / CLIENT / "2026-10.md"
    replace_save(note_a, note_a.read_text() + "\nEdit in A.\n")
    wait_for(lambda: "Edit in A." in server.page())
    retarget(content, "content-b")
    wait_for(lambda: "From B." in server.page())
    replace_save(note_b, note_b.read_text() + "\nEdit in B.\n")
    wait_for(lambda: "Edit in B." in server.page())


# --- the plan, over random trees of folders and links ---------------------------------------

PLACES = ["content", "content/acme", "data", "data/acme", "notes", "notes/acme", "exports", "../outside"]
LINKS = st.lists(
    st.tuples(
        st.sampled_from(["content/acme", "content/beta", "data/acme/x.csv", "data/beta", "content"]),
        st.sampled_from([*PLACES, "exports/x.csv", "missing", "content/acme/loop"]),
    ),
    max_size=5,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(links=LINKS)
def test_every_link_target_in_the_project_is_watched(tmp_path_factory, links):
    base = tmp_path_factory.mktemp("tree")
    project = base / "project"
    for place in PLACES:
        (project / place).mkdir(parents=True, exist_ok=True)
    (project / "exports" / "x.csv").write_text("date\n")
    (project / "clients.yaml").write_text("agency: {name: A}\nclients: []\n")
    made = {}
    for name, target in links:
        link = project / name
        if os.path.lexists(link) and not link.is_symlink():
            continue
        if link.is_symlink():
            link.unlink()
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(project / target, link.parent), link)
        made[name] = link
    plan = watch_plan(project)
    resolved = project.resolve()
    expected = set()
    for link in made.values():
        if not os.path.islink(link) or not any(
            os.path.realpath(link.parent).startswith(str(resolved / top)) for top in ("content", "data")
        ):
            continue
        target = Path(os.path.realpath(link))
        where = target if target.is_dir() else target.parent
        if where.is_relative_to(resolved) and where != resolved:
            expected.add(where)
    assert expected <= plan.links
    for where in plan.links:
        assert where.is_relative_to(resolved)  # never a folder outside the project
        if where.parent == resolved and not where.is_dir():  # a file in the project folder: by name
            assert where.name in plan.root_names
            continue
        assert any(where == f or where.is_relative_to(f) for f in plan.folders) or not where.exists()
    # Unchanged tree, same answer: no endless re-planning.
    assert linked_folders(plan.link_roots, resolved) == plan.links


# --- chains of links and loops, in content/, data/ and a data glob's folder (attack a15e) ----

CHAIN_NAMES = ["content/acme", "data/acme", "hop", "hop2", "notes/hop3", "data/loop-a", "data/loop-b"]
CHAIN_TARGETS = ["notes/acme", "notes", "hop", "hop2", "notes/hop3", "data/loop-a", "data/loop-b", "missing"]


def _watched(plan, path: Path, project: Path) -> bool:
    """A change at `path` (a link made, removed or retargeted) reaches serve."""
    if path.parent == project:  # as watching.watch tells a relevant name in the project folder
        return path.name in plan.root_names or any(fnmatch.fnmatch(path.name, p) for p in plan.root_patterns)
    return any(path.parent == f or path.parent.is_relative_to(f) for f in plan.folders)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    links=st.lists(st.tuples(st.sampled_from(CHAIN_NAMES), st.sampled_from(CHAIN_TARGETS)), max_size=6),
    glob_folder=st.sampled_from(["data/loop-a", "data/acme", "hop", "data"]),
)
@example(links=[("data/loop-a", "data/loop-b"), ("data/loop-b", "data/loop-a")], glob_folder="data/loop-a")
@example(links=[("content/acme", "hop"), ("hop", "hop2"), ("hop2", "notes/acme")], glob_folder="data")
def test_chains_and_loops_of_links_are_watched_at_every_hop(tmp_path_factory, links, glob_folder):
    """The plan never raises (a loop made serve's watcher die: attack a15e), and every
    link on a chain from a watched folder to its end is itself watched."""
    project = tmp_path_factory.mktemp("tree") / "project"
    for place in ("content", "data", "notes/acme"):
        (project / place).mkdir(parents=True, exist_ok=True)
    (project / "clients.yaml").write_text(
        "agency: {name: A}\nclients:\n  - id: acme\n    name: Acme\n"
        "    account_executive: {name: A, email: a@x.example}\n"
        f"    data: ['{glob_folder}/*.csv']\n"
    )
    for name, target in links:
        link = project / name
        if os.path.lexists(link) and not link.is_symlink():
            continue
        if link.is_symlink():
            link.unlink()
        if not os.path.isdir(link.parent):
            continue
        os.symlink(os.path.relpath(project / target, link.parent), link)
    plan = watch_plan(project)  # never an error
    resolved = project.resolve()
    for top in ("content", "data"):
        for folder, names, files in os.walk(resolved / top):
            for name in (*names, *files):
                hop = Path(folder, name)
                seen = set()
                while hop.is_symlink() and hop not in seen:  # the chain, hop by hop
                    seen.add(hop)
                    if hop.parent.is_relative_to(resolved):
                        assert _watched(plan, hop, resolved), (hop, plan)
                    hop = Path(os.path.realpath(hop.parent)) / os.readlink(hop)
                    hop = Path(os.path.realpath(hop.parent)) / hop.name
    assert linked_folders(plan.link_roots, resolved) == plan.links


def test_changes_through_a_link_out_of_the_project_neither_rebuild_nor_reload(tmp_path, monkeypatch):
    """`content/tmp -> /tmp` (or a downloads folder): the OS watcher follows the link, and
    every change out there rebuilt and reloaded the open pages twice a second (attack a15f)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    busy = tmp_path / "busy-elsewhere"
    busy.mkdir()
    root = tmp_path / "proj"
    make_project(root)
    os.symlink(busy, root / "content" / "elsewhere")
    os.symlink(busy, root / "data" / "elsewhere")
    running = Server(root)
    try:
        _nothing_out_there_reaches_the_pages(running, busy)
    finally:
        running.stop()


def _nothing_out_there_reaches_the_pages(running: Server, busy: Path) -> None:
    time.sleep(1.0)
    version, rebuilt = running.state()["version"], len(running.lines)
    for step in range(12):
        (busy / f"file-{step}.txt").write_text("x")
        time.sleep(0.1)
    time.sleep(1.5)
    assert running.state()["version"] == version
    assert len(running.lines) == rebuilt, running.lines[rebuilt:]
    # ... while an edit in the project still rebuilds and reloads
    note = running.project / "content" / CLIENT / "2026-10.md"
    replace_save(note, note.read_text() + "\nStill watched.\n")
    wait_for(lambda: "Still watched." in running.page())
    # (the page is published a moment before the open pages are told: wait for that too)
    wait_for(lambda: running.state()["version"] > version)


def test_a_rebuild_that_changes_nothing_does_not_reload_the_pages(server):  # noqa: F811
    note = server.project / "content" / CLIENT / "2026-10.md"
    first = server.state()["version"]
    replace_save(note, note.read_text() + "\nOnce.\n")
    wait_for(lambda: "Once." in server.page())
    # (the page is published a moment before the open pages are told: their version read
    # in between is the one before the edit, and the edit's reload looked like the no-op's)
    version = wait_for(lambda: server.state()["version"] > first and server.state()["version"])
    lines = len(server.lines)
    replace_save(note, note.read_text())  # the same bytes saved again
    wait_for(lambda: len(server.lines) > lines)  # it rebuilt ...
    time.sleep(0.5)
    assert server.state()["version"] == version  # ... and the open pages stay as they are


# --- every file a build reads, however it is named (attack a15g) -----------------------------

CASES = {
    "a data entry spelled ./extra.csv": ("./extra.csv", None, "extra.csv"),
    "clients.yaml linked into config/": (None, "clients.yaml", "config/clients.yaml"),
    "a note linked to a file in the project folder": (None, "content/acme/2026-11.md", "acme-note.md"),
    "a data file linked to a file in the project folder": ("data/acme/*.csv", "data/acme/x.csv", "feed.csv"),
    "a glob whose first folder is a wildcard": ("*/acme/x.csv", None, "exports/acme/x.csv"),
    "a logo outside assets/": (None, None, "branding/acme.svg"),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.sampled_from(sorted(CASES)), min_size=1, max_size=3, unique=True))
def test_every_file_a_build_reads_is_watched(tmp_path_factory, cases):
    project = tmp_path_factory.mktemp("w") / "project"
    (project / "content" / "acme").mkdir(parents=True)
    (project / "data" / "acme").mkdir(parents=True)
    entries, logo, config_link = [], "", False
    for case in cases:
        entry, link, real = CASES[case]
        (project / real).parent.mkdir(parents=True, exist_ok=True)
        (project / real).write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
        if entry:
            entries.append(entry)
        if case == "a logo outside assets/":
            logo = f"\n    brand: {{logo: {real}}}"
        if link == "clients.yaml":
            config_link = True
        elif link:
            os.symlink(os.path.relpath(project / real, (project / link).parent), project / link)
    text = (
        "agency: {name: A}\nclients:\n  - id: acme\n    name: Acme\n"
        f"    account_executive: {{name: A, email: a@x.example}}{logo}\n"
        f"    data: {entries or ['data/acme/*.csv']}\n"
    )
    if config_link:
        (project / "config" / "clients.yaml").write_text(text)
        (project / "clients.yaml").unlink(missing_ok=True)
        os.symlink("config/clients.yaml", project / "clients.yaml")
    else:
        (project / "clients.yaml").write_text(text)
    plan = watch_plan(project)
    resolved = project.resolve()
    for case in cases:
        real = resolved / CASES[case][2]
        assert _watched(plan, real, resolved), (case, plan)
