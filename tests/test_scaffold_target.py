"""`reportgen init` into a folder it cannot make or write: an error naming the
path (exit 1), no traceback, nothing half-written left (reportgen/scaffold.py)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import scaffold
from reportgen.scaffold import ScaffoldError, init_project

TODAY = dt.date(2026, 11, 23)


def make_odd_target(base: Path, kind: str) -> Path:
    """A target path of the given kind, under `base` (which is empty)."""
    if kind == "file as parent":
        (base / "afile").write_text("x", encoding="utf-8")
        return base / "afile" / "sub" / "deeper"
    if kind == "existing file":
        (base / "afile").write_text("x", encoding="utf-8")
        return base / "afile"
    if kind == "fifo":
        os.mkfifo(base / "pipe")
        return base / "pipe"
    if kind == "dangling symlink":
        (base / "link").symlink_to(base / "nowhere")
        return base / "link"
    if kind == "symlink loop":
        (base / "loop").symlink_to(base / "loop")
        return base / "loop" / "sub"
    if kind == "under /proc":
        return Path("/proc/reportgen-no-such/x")
    raise AssertionError(kind)


KINDS = ["file as parent", "existing file", "fifo", "dangling symlink", "symlink loop", "under /proc"]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(KINDS), st.booleans())
def test_an_unusable_target_is_an_error_naming_it(tmp_path_factory, kind, demo):
    base = tmp_path_factory.mktemp("odd")
    target = make_odd_target(base, kind)
    before = sorted(p.name for p in base.iterdir())
    with pytest.raises(ScaffoldError) as raised:
        init_project(target, demo=demo, today=TODAY)
    assert raised.value.exit_code == 1
    assert str(raised.value).startswith(f"{target}: cannot create the project folder: ")
    assert sorted(p.name for p in base.iterdir()) == before  # nothing left behind


@pytest.mark.parametrize("kind", ["file as parent", "fifo", "dangling symlink", "under /proc"])
def test_the_cli_says_so_without_a_traceback(tmp_path, kind):
    target = make_odd_target(tmp_path, kind)
    result = run_cli("init", target, "--demo")
    assert result.exit_code == 1, result.output
    assert f"{target}: cannot create the project folder: " in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_empty_path_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("init", "", "--demo")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_parent(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ScaffoldError, match="cannot create the project folder: Permission denied"):
            init_project(locked / "agency", demo=True, today=TODAY)
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_half_way_removes_what_init_wrote(tmp_path, monkeypatch, existing):
    """A disk that fills up mid-write: the new folders go, an empty folder given stays empty."""
    target = tmp_path / "new" / "agency"
    if existing:
        target.mkdir(parents=True)

    def full_disk(root: Path, today: dt.date) -> None:
        (root / "data").mkdir()
        (root / "data" / "half.csv").write_text("date,", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold, "write_demo_agency", full_disk)
    with pytest.raises(
        ScaffoldError, match=r"agency: cannot create the project folder: No space left on device"
    ):
        init_project(target, demo=True, today=TODAY)
    if existing:
        assert target.is_dir() and list(target.iterdir()) == []
    else:
        assert list(tmp_path.iterdir()) == []
