"""An edit of one client, the others proven by the no-op summary (editproof.py), publishes
exactly what the full way publishes, and the summary it leaves proves what a fresh one would.

Two copies of one project take the same random steps — edits of one client's note or data,
of several clients', of clients.yaml, of the published site or the build cache, a note
added or removed, with or without waiting for the changes to settle. One copy builds as the
command line does (the early no-op, then the build, which may take the proven edit); the
other always the full way (no summary). After every step both give the same answer and
hold byte-identical sites. A summary the proven edit brought up to date is compared, path
by path, with the one a full no-op records on the same files.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency
from test_speed_noop_early import WINDOW_NS, short_window  # noqa: F401 (the 50 ms "settled")

from reportgen import build as build_module
from reportgen import cache, editproof, noop
from reportgen.build import build_site
from reportgen.buildoptions import BuildOptions, BuildResult
from reportgen.errors import ReportgenError
from reportgen.noop import load_summary, summary_path, unchanged_build

TODAY = dt.date(2026, 11, 5)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "project"
    write_synthetic_agency(root, clients=3, months=3, end=dt.date(2026, 10, 31), campaigns_per_client=2)
    (root / "content" / "client-0001" / "2026-10.md").unlink()  # a warning to keep
    return root


@pytest.fixture
def proven_edits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The clients each build took the proven edit for."""
    taken: list[str] = []
    real = editproof.proven_edit

    def spy(options: BuildOptions) -> editproof.ProvenEdit | None:
        found = real(options)
        if found is not None:
            taken.append(found.edited)
        return found

    monkeypatch.setattr("reportgen.build.proven_edit", spy)
    return taken


def settle() -> None:
    time.sleep(2 * WINDOW_NS / 1e9)


def options_for(project: Path) -> BuildOptions:
    return replace(BuildOptions(project=project, out=project / "site", today=TODAY, jobs=1))


def as_the_cli_builds(project: Path) -> BuildResult:
    return unchanged_build(options_for(project)) or build_site(options_for(project))


def the_full_way(project: Path) -> BuildResult:
    summary_path(options_for(project)).unlink(missing_ok=True)
    return build_site(options_for(project))


def answer(result: BuildResult) -> tuple[object, ...]:
    return (result.clients, result.reports, result.files, result.pages_skipped, result.warnings)


def site_bytes(site: Path) -> dict[str, tuple[bytes, int]]:
    found = {}
    for folder, _dirs, files in os.walk(site):
        for name in files:
            path = Path(folder, name)
            found[str(path.relative_to(site))] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


def twins(factory: pytest.TempPathFactory, template: Path) -> tuple[Path, Path]:
    """Two copies of the project built cold; the first (built as the CLI does) has its summary."""
    fast, full = (factory.mktemp(name) / "project" for name in ("fast", "full"))
    for project in (fast, full):
        shutil.copytree(template, project, symlinks=True)
    settle()
    for project in (fast, full):
        build_site(options_for(project))
    settle()
    as_the_cli_builds(fast)  # the no-op, the full way: records the summary
    assert summary_path(options_for(fast)).is_file()
    return fast, full


def assert_same_builds(fast: Path, full: Path, label: object) -> None:
    """The next build of each copy (as the CLI does; the full way) answers and publishes the same."""
    outcomes = []
    for project, build in ((fast, as_the_cli_builds), (full, the_full_way)):
        try:
            outcomes.append(answer(build(project)))
        except ReportgenError as error:
            outcomes.append(("failed", str(error)))
    assert outcomes[0] == outcomes[1], label
    assert site_bytes(fast / "site") == site_bytes(full / "site"), label


# --- the changes (each a function of the project folder: both copies take the same) ----------


def _note(project: Path, client: int, index: int = 0) -> Path:
    return sorted((project / "content" / f"client-000{client}").glob("*.md"))[index]


def _csv(project: Path, client: int) -> Path:
    return sorted((project / "data" / f"client-000{client}").glob("*.csv"))[0]


def append_to_note(client: int) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        with _note(project, client).open("a", encoding="utf-8") as handle:
            handle.write("\nOne more line about the campaign.\n")

    change.__name__ = f"append_to_note_{client}"
    return change


def save_note_by_rename(project: Path) -> None:
    """As many editors save: a new file renamed over the old one (a new inode, the folder changed)."""
    note = _note(project, 2)
    temporary = note.with_name(".note.tmp")
    temporary.write_text(note.read_text(encoding="utf-8") + "\nSaved by rename.\n", encoding="utf-8")
    os.replace(temporary, note)


def edit_csv(client: int) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        path = _csv(project, client)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        cells = lines[1].rstrip("\n").split(",")
        cells[3] = str(int(cells[3]) + 7)
        lines[1] = ",".join(cells) + "\n"
        path.write_text("".join(lines), encoding="utf-8")

    change.__name__ = f"edit_csv_{client}"
    return change


def add_note(project: Path) -> None:
    shutil.copy(_note(project, 1), project / "content" / "client-0001" / "2026-10.md")


def remove_note(project: Path) -> None:
    _note(project, 3, -1).unlink()


def break_a_note(project: Path) -> None:
    _note(project, 2).write_text("---\ndate: [unclosed\n---\nBroken.\n", encoding="utf-8")


def comment_in_clients_yaml(project: Path) -> None:
    with (project / "clients.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# a comment\n")


def rename_client_3(project: Path) -> None:
    """A shared input whose change shows in another client's portal."""
    path = project / "clients.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("name: Client 0003", "name: Client Three"), "utf-8"
    )


def edit_site_file(project: Path) -> None:
    with (project / "site" / "client-0003" / "index.html").open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited -->")


def edit_edited_portal(project: Path) -> None:
    """A file of the portal the edit renders again, changed by hand."""
    with (project / "site" / "client-0002" / "index.html").open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited -->")


def stray_parsed_file(project: Path) -> None:
    (project / cache.CACHE_DIR / "parsed" / "stray").write_bytes(b"x")


def nothing(project: Path) -> None:
    pass


CHANGES: list[Callable[[Path], None]] = [
    append_to_note(1),
    append_to_note(2),
    append_to_note(2),
    save_note_by_rename,
    edit_csv(2),
    edit_csv(3),
    add_note,
    remove_note,
    break_a_note,
    comment_in_clients_yaml,
    rename_client_3,
    edit_site_file,
    edit_edited_portal,
    stray_parsed_file,
    nothing,
]
STEPS = st.lists(
    st.tuples(st.lists(st.sampled_from(CHANGES), min_size=1, max_size=2), st.booleans()),
    min_size=1,
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_proven_edit_publishes_what_the_full_way_publishes(
    tmp_path_factory, template, proven_edits, steps
):
    fast, full = twins(tmp_path_factory, template)
    for changes, wait in steps:
        for change in changes:
            change(fast)
            change(full)
        if wait:
            settle()
        assert_same_builds(fast, full, changes)


def test_an_edit_takes_the_proven_way_and_so_does_the_next_one(tmp_path, template, proven_edits):
    """One note edited, then another: both builds plan only the edited client, each leaves
    a summary, and the no-op after them is answered early."""
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))
    settle()
    as_the_cli_builds(project)
    for step in (1, 2):
        append_to_note(2)(project)
        settle()
        result = as_the_cli_builds(project)
        assert result.clients_loaded == 1 and result.pages_written > 0
        assert proven_edits == ["client-0002"] * step
        assert summary_path(options_for(project)).is_file(), f"edit {step} left no summary"
    settle()
    assert unchanged_build(options_for(project)) is not None


def test_an_edit_not_yet_settled_leaves_no_summary(tmp_path, template, proven_edits):
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))
    settle()
    as_the_cli_builds(project)
    saved = noop.RACY_WINDOW_NS, cache.RACY_WINDOW_NS
    append_to_note(2)(project)
    noop.RACY_WINDOW_NS = cache.RACY_WINDOW_NS = 3_600 * 10**9  # everything is "recent"
    try:
        as_the_cli_builds(project)
    finally:
        noop.RACY_WINDOW_NS, cache.RACY_WINDOW_NS = saved
    assert proven_edits == ["client-0002"]
    assert not summary_path(options_for(project)).exists()


def _by_path(summary: dict[str, object], name: str, part: str = "") -> dict[str, object]:
    return dict(zip(summary[name + "_paths"], summary[name + part], strict=True))  # type: ignore[call-overload]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.sampled_from([append_to_note(2), save_note_by_rename, edit_csv(2)]), min_size=1))
def test_the_summary_brought_up_to_date_is_the_one_a_no_op_records(
    tmp_path_factory, template, proven_edits, changes
):
    project = tmp_path_factory.mktemp("p") / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))
    settle()
    as_the_cli_builds(project)
    for change in changes:
        change(project)
    settle()
    before = len(proven_edits)
    as_the_cli_builds(project)
    assert len(proven_edits) == before + 1
    updated = load_summary(options_for(project))
    assert updated is not None
    settle()
    the_full_way(project)  # a no-op, the full way: records a summary of its own
    recorded = load_summary(options_for(project))
    assert recorded is not None
    assert updated["result"] == recorded["result"]
    assert updated["client_files"] == recorded["client_files"]
    for name in ("inputs", "published"):
        assert _by_path(updated, name) == _by_path(recorded, name), name
    assert _by_path(updated, "inputs", "_owners") == _by_path(recorded, "inputs", "_owners")
    # A folder changed moments before a summary is kept by its listing: the same folders,
    # each by its state in both or by its listing in one of them
    folders = lambda s: {*s["stat_dirs_paths"], *s["listed_paths"]}  # noqa: E731
    assert folders(updated) == folders(recorded)
    by_state, by_state_now = _by_path(updated, "stat_dirs"), _by_path(recorded, "stat_dirs")
    for path in by_state.keys() & by_state_now.keys():
        assert by_state[path] == by_state_now[path], path
    owners, owners_now = _by_path(updated, "stat_dirs", "_owners"), _by_path(recorded, "stat_dirs", "_owners")
    for path in owners.keys() & owners_now.keys():
        assert owners[path] == owners_now[path], path


# --- changes made while the edit is being built (the attack on this part) ---------------------


def new_csv_for_2(project: Path) -> None:
    source = _csv(project, 2)
    text = source.read_text(encoding="utf-8").replace("2026-08-", "2026-07-")
    (source.parent / "2026-07.csv").write_text(text, encoding="utf-8")


def remove_note_of_2(project: Path) -> None:
    _note(project, 2, -1).unlink()


def empty_folder_in_portal(project: Path) -> None:
    (project / "site" / "client-0002" / "stray").mkdir()


def file_beside_the_portals(project: Path) -> None:
    (project / "site" / "stray.txt").write_text("x", encoding="utf-8")


def file_in_the_edited_portal(project: Path) -> None:
    (project / "site" / "client-0002" / "stray.txt").write_text("x", encoding="utf-8")


DURING = [
    empty_folder_in_portal,
    file_beside_the_portals,
    file_in_the_edited_portal,
    new_csv_for_2,
    remove_note_of_2,
    append_to_note(2),
    save_note_by_rename,
    edit_csv(2),
    add_note,
    append_to_note(3),
    edit_site_file,
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(during=st.sampled_from(DURING), wait=st.booleans())
def test_a_change_made_while_the_edit_is_built_is_never_lost(
    tmp_path_factory, template, proven_edits, monkeypatch, during, wait
):
    """A file added, removed or edited after the edit build found its files, before it
    brought the summary up to date: the next builds still publish what the full way does."""
    fast, full = twins(tmp_path_factory, template)
    real = build_module.remember_edit

    def change_first(plan, began_ns, manifest):  # (under the build's lock, after it published)
        during(fast)
        if wait:
            settle()
        return real(plan, began_ns, manifest)

    monkeypatch.setattr("reportgen.build.remember_edit", change_first)
    for project in (fast, full):
        append_to_note(2)(project)
    settle()
    before = len(proven_edits)
    as_the_cli_builds(fast)
    assert proven_edits[before:] == ["client-0002"]
    monkeypatch.setattr("reportgen.build.remember_edit", real)
    the_full_way(full)
    during(full)
    settle()
    for _ in range(2):  # the change, then a no-op
        assert_same_builds(fast, full, during.__name__)
        settle()
