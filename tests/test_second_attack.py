"""Found by the second attack round (after the first round's fixes):
project folders that are loops or not folders, templates that lead outside the
project, a build date outside the dates reportgen handles. Each is a clear
error naming the path, exit 1 (2 for the build date), never a traceback and never
a silently empty folder."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FOLDERS = ["content", "data", "templates", "assets"]


def break_folder(root, name: str, how: str) -> None:
    path = root / name
    if path.exists() or path.is_symlink():
        shutil.move(str(path), str(root / f"{name}.real"))
    if how == "loop":
        os.symlink(name, path)
    elif how == "broken":
        os.symlink("nowhere", path)
    elif how == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("not a folder", encoding="utf-8")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FOLDERS), how=st.sampled_from(["loop", "broken", "fifo", "file"]))
def test_a_project_folder_that_is_not_a_folder_is_an_error(tmp_path_factory, name, how):
    root = tmp_path_factory.mktemp("folder") / "proj"
    make_project(root)
    break_folder(root, name, how)
    for command in ("check", "build"):
        result = run_cli(command, "--project", root)
        output = result.stdout + result.stderr
        assert result.exit_code == 1, (command, output)
        assert "Traceback" not in output and f"{name}/ is" in output, output
    assert not (root / "site").exists()


def test_an_output_folder_that_is_a_loop_is_an_error(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    os.symlink("site", root / "site")
    result = run_cli("build", "--project", root)
    assert result.exit_code == 1 and "symlink loop" in result.output, result.output


@pytest.mark.parametrize("name", ["index.html", "report.html", "partials/chart.html"])
def test_a_template_that_leads_outside_the_project_is_never_read(tmp_path, name):
    root = tmp_path / "proj"
    make_project(root)
    secret = tmp_path / "outside.txt"
    secret.write_text("SECRET-OUTSIDE-THE-PROJECT", encoding="utf-8")
    link = root / "templates" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret, link)
    for command in ("check", "build"):
        result = run_cli(command, "--project", root)
        assert result.exit_code == 1, result.output
        assert "leads outside the project" in result.stderr and "Traceback" not in result.output
    assert not (root / "site").exists()


@pytest.mark.parametrize("epoch", ["-2300000000", "33000000000"])
def test_a_build_date_outside_the_handled_range_is_a_usage_error(tmp_path, epoch):
    root = tmp_path / "proj"
    make_project(root)
    result = run_cli("build", "--project", root, "--month", "previous", env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 2 and "1900-01-01 to 2999-12-31" in result.output, result.output
    assert not (root / "site").exists()
