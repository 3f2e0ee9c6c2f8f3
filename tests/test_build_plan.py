"""build.py reads like Zola's Site::build (issue 12): a BuildPlan computed first,
without side effects, then executed; library errors that are not click
exceptions and carry their exit codes; workers set up by the pool's initializer."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import run_cli
from helpers import DEFAULT_MARKERS, SOURCE_DATE_EPOCH, TODAY, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import workers
from reportgen.build import BuildOptions, build_site, load_project, plan_build
from reportgen.buildoptions import as_of_month, build_date, select_clients
from reportgen.errors import InputError, OutputError, Problem, ReportgenError, UsageError

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = sorted(DEFAULT_MARKERS)


def _options(project: Path, **changes: object) -> BuildOptions:
    return BuildOptions(project=project, out=project / "site", today=TODAY, **changes)


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder under root (site and cache included) with its inode, size and mtime."""
    found = {}
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(directory, name)
            info = os.lstat(path)
            found[path.relative_to(root).as_posix()] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A generated project, built once (its site and build cache are in the project)."""
    root = tmp_path_factory.mktemp("plan") / "proj"
    make_project(root)
    result = run_cli("build", "--project", root, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return root


def _plan(project: Path, **changes: object):
    options = _options(project, **changes)
    return plan_build(options, load_project(options))


def test_an_unchanged_project_plans_nothing_to_render_and_writes_nothing(built):
    before = _snapshot(built)
    plan = _plan(built)
    assert plan.nothing_to_do and plan.to_render == []
    assert sorted(plan.unchanged) == CLIENTS == sorted(c.id for c in plan.clients)
    assert _snapshot(built) == before  # planning read the site and the cache, and wrote nothing


def test_clean_plans_every_client_and_a_client_subset_only_those(built):
    plan = _plan(built, clean=True)
    assert not plan.nothing_to_do and sorted(c.id for c in plan.to_render) == CLIENTS
    assert plan.previous.clients == {}  # --clean reuses nothing
    partial = _plan(built, clients=("acme-corp",))
    assert [c.id for c in partial.clients] == ["acme-corp"] and partial.nothing_to_do


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edited=st.sets(st.sampled_from(CLIENTS)))
def test_the_plan_renders_exactly_the_clients_whose_inputs_changed(built, edited):
    notes = {c: built / "content" / c / "2026-10.md" for c in edited}
    originals = {c: path.read_text(encoding="utf-8") for c, path in notes.items()}
    try:
        for client_id, path in notes.items():
            path.write_text(originals[client_id] + "\nAn edit the plan must see.\n", encoding="utf-8")
        before = _snapshot(built / "site")
        plan = _plan(built)
        assert sorted(c.id for c in plan.to_render) == sorted(edited)
        assert sorted(plan.unchanged) == sorted(set(CLIENTS) - edited)
        assert plan.nothing_to_do == (not edited)
        assert _snapshot(built / "site") == before
    finally:
        for client_id, path in notes.items():
            path.write_text(originals[client_id], encoding="utf-8")


def test_executing_the_plan_builds_what_it_planned(project):
    options = _options(project, jobs=2)
    first = build_site(options)
    assert first.clients_loaded == len(CLIENTS) and first.pages_skipped == 0
    note = project / "content" / "acme-corp" / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    plan = plan_build(options, load_project(options))
    assert [c.id for c in plan.to_render] == ["acme-corp"]
    second = build_site(options)
    assert second.clients_loaded == 1 and second.pages_written >= 1
    # the pool's initializer set up each worker process; the main process has no worker slot set
    assert workers._POOL_WORKER is None


# --- library errors: no click, exit codes on the errors ----------------------------------------


def test_library_errors_carry_their_exit_codes_and_survive_pickling():
    problem = Problem("clients.yaml", 3, "bad")
    for error, code in [
        (UsageError("--client x: no such client", "--client"), 2),
        (InputError([problem]), 1),
        (OutputError("--out x is a file"), 1),
        (ReportgenError("anything"), 1),
    ]:
        assert error.exit_code == code and not isinstance(error, click.ClickException)
        again = pickle.loads(pickle.dumps(error))
        assert (type(again), str(again), again.exit_code) == (type(error), str(error), code)
    assert pickle.loads(pickle.dumps(UsageError("m", "--month"))).param_hint == "--month"
    assert ReportgenError("\x1b]52;c;x\x07 hi").format_message() == "\\x1b]52;c;x\\x07 hi"


def test_bad_options_are_usage_errors_of_the_library(project, monkeypatch):
    options = _options(project)
    config = load_project(options).config
    with pytest.raises(UsageError, match="no such client") as raised:
        select_clients(config, ("acme-crop",))
    assert "did you mean 'acme-corp'" in str(raised.value)
    with pytest.raises(UsageError) as raised:
        as_of_month("2026-13", TODAY)
    assert raised.value.param_hint == "--month"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        build_date()


@pytest.mark.parametrize(
    ("args", "code", "shown"),
    [
        (("build", "--client", "nobody"), 2, "Error: --client nobody: no such client in clients.yaml"),
        (("check", "--month", "2026-13"), 2, "Error: Invalid value for --month: '2026-13' is not YYYY-MM"),
        (("build", "--out", "{project}/data/site"), 1, "/data/site is inside the project's data"),
    ],
)
def test_the_cli_maps_library_errors_to_click_messages_and_exit_codes(project, args, code, shown):
    result = run_cli(
        *(a.format(project=project) for a in args),
        "--project",
        project,
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )
    assert result.exit_code == code, result.output
    assert shown in result.output and "Traceback" not in result.output
    if code == 2:  # a usage error shows the command's usage line, as click's own do
        assert "Usage: " in result.output and f" {args[0]} [OPTIONS]" in result.output


def test_no_library_module_imports_click():
    """Each module but the CLI imported on its own, in a fresh interpreter."""
    modules = sorted(
        p.stem
        for p in (ROOT / "reportgen").glob("*.py")
        if p.name not in {"cli.py", "__main__.py"} and not p.name.startswith("cli_")  # the command line
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('reportgen.' + name)\n"
        "    if 'click' in sys.modules:\n"
        "        print(name)\n"
        "        break\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "", (
        f"reportgen/{done.stdout.strip()}.py imports click; only the cli modules may"
    )
