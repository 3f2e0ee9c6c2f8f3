"""`reportgen serve` sees a change saved at any moment after it starts.

serve used to build first and start watching afterwards, waiting a fixed half second for the
watch to be set up before it said "Serving": planning the watch walks the input folders (1.9 s on
a 500-client agency), so a note saved in the first seconds was never seen, on a large agency even
one saved after "Serving". Now the watch is set up before the first build, and a change saved
during that build is built once the site is served.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from helpers import TODAY, make_project, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_serve_robust import CLIENT, PAGE, replace_save

from reportgen import watching
from reportgen.build import BuildOptions
from reportgen.serve import serve

pytestmark = pytest.mark.slow


def _slowed(plan: Callable[[Path], object], seconds: float) -> Callable[[Path], object]:
    """watch_plan as slow as on a large agency."""

    def slow(project: Path) -> object:
        time.sleep(seconds)
        return plan(project)

    return slow


def _page(address: str) -> str:
    try:
        with urllib.request.urlopen(address.rstrip("/") + PAGE, timeout=10) as response:
            return response.read().decode()
    except OSError:
        return ""


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(saved_after=st.floats(min_value=0.0, max_value=3.0), planning=st.sampled_from([0.0, 1.5]))
def test_a_note_saved_at_any_moment_after_serve_starts_is_shown(tmp_path, saved_after, planning):
    root = tmp_path / f"proj-{time.monotonic_ns()}"
    make_project(root)
    note = root / "content" / CLIENT / "2026-10.md"
    text = note.read_text(encoding="utf-8")
    options = BuildOptions(project=root, out=root / "site", today=TODAY, jobs=1)
    stopping, served = threading.Event(), threading.Event()
    addresses: list[str] = []
    lines: list[str] = []

    def on_ready(address: str) -> None:
        addresses.append(address)
        served.set()

    with mock.patch.object(watching, "watch_plan", _slowed(watching.watch_plan, planning)):
        arguments = (options, 0, lines.append, on_ready, stopping)
        thread = threading.Thread(target=serve, args=arguments, daemon=True)
        thread.start()
        try:
            time.sleep(saved_after)
            replace_save(note, text + "\nSaved while serve started.\n")
            assert served.wait(120), "\n".join(lines)
            wait_for(lambda: "Saved while serve started." in _page(addresses[0]), 30)
        finally:
            stopping.set()
            thread.join(timeout=30)
    assert not thread.is_alive()
