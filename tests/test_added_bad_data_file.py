"""A bad file added to an unchanged client's data folder fails an incremental build as
it fails a clean one (attack a15c).

Found: a symlink out of the project added to a client's data folder gave "0 pages
rendered" on an incremental build (the client's fingerprint skipped what the data
finder reported), while `check` and a clean build refused it. The class: anything the
finder reports as an error about a client's data files must make the client load.
"""

from __future__ import annotations

import os

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KINDS = ["link-out", "link-out-relative", "link-to-etc", "fifo", "broken-link", "loop"]


def add(folder, kind: str, name: str, outside) -> None:  # type: ignore[no-untyped-def]
    path = folder / name
    if kind == "link-out":
        target = outside / "rows.csv"
        target.write_text("date,clicks\n2026-10-01,5\n", encoding="utf-8")
        os.symlink(target, path)
    elif kind == "link-out-relative":
        target = outside / "rel.csv"
        target.write_text("date,clicks\n2026-10-01,5\n", encoding="utf-8")
        os.symlink(os.path.relpath(target, folder), path)
    elif kind == "link-to-etc":
        os.symlink("/etc/hostname", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken-link":
        os.symlink(folder / "nothing-here.csv", path)
    else:
        os.symlink(path, path)


def errors(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if "Error" in line or ".csv" in line)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), name=st.sampled_from(["pw.csv", "zz.csv", "0.csv"]))
def test_an_incremental_build_refuses_what_a_clean_build_refuses(tmp_path_factory, kind, name):
    root = tmp_path_factory.mktemp("p") / "demo"
    outside = tmp_path_factory.mktemp("outside")
    assert run_cli("init", root, "--demo").exit_code == 0
    assert run_cli("build", "--project", root).exit_code == 0
    folder = sorted(p for p in (root / "data").iterdir() if p.is_dir())[0]
    add(folder, kind, name, outside)
    incremental = run_cli("build", "--project", root)
    clean = run_cli("build", "--project", root, "--clean", "--out", tmp_path_factory.mktemp("c") / "site")
    assert incremental.exit_code == clean.exit_code, (incremental.output, clean.output)
    assert errors(incremental.stderr) == errors(clean.stderr)
