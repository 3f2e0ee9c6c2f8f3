"""Crash safety (SPEC 5.2): a killed build never leaves a half-built site."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import SOURCE_DATE_EPOCH, tree_bytes
from synthetic import write_synthetic_agency

KILLS = 20


def start_build(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    return subprocess.Popen(
        [sys.executable, "-m", "reportgen", "build", "--project", str(root), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()


def leftovers(root: Path) -> list[str]:
    # (the back buffer, .site.back, is kept on purpose: output.py, double buffering)
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".site.") and p.name != ".site.back")


@pytest.fixture(scope="module")
def agency(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "agency"
    write_synthetic_agency(
        root, clients=8, months=6, end=dt.date(2026, 11, 22), seed=3, campaigns_per_client=3
    )
    finish(start_build(root, "--jobs", "2"))
    return root


def edit_a_note(root: Path, step: int) -> None:
    note = sorted((root / "content").glob("*/*.md"))[step % 8]
    with note.open("a", encoding="utf-8") as handle:
        handle.write(f"\nEdit {step}.\n")


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_site(agency):
    rng = random.Random(20)
    started = time.perf_counter()
    finish(start_build(agency, "--clean", "--jobs", "2"))
    full_build = time.perf_counter() - started
    kept_old = 0
    for step in range(KILLS):
        before = tree_bytes(agency / "site")
        edit_a_note(agency, step)
        process = start_build(agency, "--clean", "--jobs", "2")
        time.sleep(rng.uniform(0.0, full_build * 1.2))
        os.killpg(process.pid, signal.SIGKILL)  # the whole build: main process and workers
        process.communicate()
        after = tree_bytes(agency / "site")
        if after == before:
            kept_old += 1
        else:  # the kill came after the atomic swap: the new site is complete
            assert process.returncode in (0, -signal.SIGKILL)
            finish(start_build(agency, "--clean", "--jobs", "1", "--out", str(agency.parent / "check")))
            assert after == tree_bytes(agency.parent / "check")
    assert kept_old >= 1
    # the next build succeeds and clears whatever the killed ones left
    finish(start_build(agency, "--jobs", "2"))
    assert leftovers(agency) == []


def edit_two_portals(root: Path, step: int) -> None:
    """A note of two clients: the whole site is staged (one portal alone is edited in place)."""
    notes = sorted((root / "content").glob("*/*.md"))
    folders = sorted({n.parent for n in notes})
    for folder in (folders[step % len(folders)], folders[(step + 1) % len(folders)]):
        with sorted(folder.glob("*.md"))[step % 3].open("a", encoding="utf-8") as handle:
            handle.write(f"\nEdit {step}.\n")


@pytest.mark.slow
@pytest.mark.parametrize("portals", [2, 1], ids=["back buffer", "one portal in place"])
def test_sigkill_while_the_back_buffer_is_updated(agency, portals):
    """Incremental builds stage into the back buffer the last build swapped out (output.py,
    double buffering), or, for an edit of one portal, exchange that portal's folder alone
    (portaledit.py): killed at any moment, the published site is the previous one or the
    complete new one, and the next build publishes exactly what a clean build does."""
    rng = random.Random(21 + portals)
    edit = edit_two_portals if portals == 2 else edit_a_note
    finish(start_build(agency, "--jobs", "2"))
    edit(agency, 200)
    started = time.perf_counter()
    finish(start_build(agency, "--jobs", "2"))  # stages into the back buffer, or one portal
    incremental = time.perf_counter() - started
    assert (agency / ".site.back").is_dir() or portals == 1
    kept_old = 0
    for step in range(KILLS):
        before = tree_bytes(agency / "site")
        edit(agency, 201 + step)
        process = start_build(agency, "--jobs", "2")
        time.sleep(rng.uniform(0.0, incremental * 1.2))
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        after = tree_bytes(agency / "site")
        if after == before:
            kept_old += 1
        else:
            assert process.returncode in (0, -signal.SIGKILL)
            check = agency.parent / f"check-back-{portals}"
            finish(start_build(agency, "--clean", "--jobs", "1", "--out", str(check)))
            assert after == tree_bytes(check)
    assert kept_old >= 1
    finish(start_build(agency, "--jobs", "2"))
    check = agency.parent / f"check-final-{portals}"
    finish(start_build(agency, "--clean", "--jobs", "1", "--out", str(check)))
    assert tree_bytes(agency / "site") == tree_bytes(check)
    assert leftovers(agency) == []


@pytest.mark.slow
def test_two_builds_at_once_do_not_corrupt_each_other(agency, tmp_path):
    edit_a_note(agency, 99)
    builds = [start_build(agency, "--clean", "--jobs", "2") for _ in range(2)]
    outputs: list[tuple[int, bytes]] = []

    def wait(build: subprocess.Popen) -> None:
        _, stderr = build.communicate(timeout=300)
        outputs.append((build.returncode, stderr))

    threads = [threading.Thread(target=wait, args=(b,)) for b in builds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [code for code, _ in outputs] == [0, 0], outputs
    finish(start_build(agency, "--clean", "--jobs", "1", "--out", str(tmp_path / "clean")))
    assert tree_bytes(agency / "site") == tree_bytes(tmp_path / "clean")
    assert leftovers(agency) == []
