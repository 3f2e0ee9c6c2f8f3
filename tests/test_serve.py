"""`reportgen serve` end to end: loopback only, bounded in time."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import SOURCE_DATE_EPOCH, from_a_terminal, wait_for


@pytest.fixture
def server(project):
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "serve", "--project", str(project), "--port", "0", "--jobs", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=from_a_terminal,  # stopped with SIGINT below, as Ctrl-C would
    )
    address = None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if match:
            address = match.group(1)
            break
    assert address, "".join(lines)
    yield address, process
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    assert process.returncode in (0, 130, -signal.SIGINT)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def event(address: str) -> dict:
    with urllib.request.urlopen(address + "__reportgen/events", timeout=15) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                return json.loads(line[5:])
    raise AssertionError("no event")


def test_serve_rebuilds_reloads_and_shows_errors(server, project: Path):
    address, _process = server
    page = get(address + "acme-corp/2026-10/index.html")
    assert "/__reportgen/live.js" in page and "connect-src 'self'" in page
    assert "/__reportgen/state" in get(address + "__reportgen/live.js")
    assert json.loads(get(address + "__reportgen/state"))["error"] is None
    assert address.startswith("http://127.0.0.1:")

    note = project / "content" / "acme-corp" / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA brand new paragraph.\n", encoding="utf-8")
    wait_for(lambda: "A brand new paragraph." in get(address + "acme-corp/2026-10/index.html"))

    config = project / "clients.yaml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good + "\nbroken: [\n", encoding="utf-8")
    state = wait_for(lambda: (e := event(address))["error"] and e)
    assert "clients.yaml:" in state["error"]
    assert "A brand new paragraph." in get(address + "acme-corp/2026-10/index.html")  # still serving

    config.write_text(good, encoding="utf-8")
    wait_for(lambda: event(address)["error"] is None)


DRAFT_BADGE = 'class="badge badge-draft"'  # report.html marks a draft's report with it


def test_drafts_are_shown_and_marked(server, project: Path):
    """serve builds with drafts: a draft is shown with its badge, and a final note
    turned into a draft with new text while serving is rebuilt, shown and marked
    (the page changes only if the live rebuild works)."""
    address, _process = server
    assert "status: draft" in (project / "content" / "acme-corp" / "2026-11.md").read_text(encoding="utf-8")
    assert DRAFT_BADGE in get(address + "acme-corp/2026-11/index.html")

    report = address + "acme-corp/2026-10/index.html"
    before = get(report)
    assert DRAFT_BADGE not in before and "qzliveqz" not in before
    note = project / "content" / "acme-corp" / "2026-10.md"
    text = note.read_text(encoding="utf-8")
    assert "status: final" in text
    note.write_text(
        text.replace("status: final", "status: draft", 1) + "\nWritten while serving qzliveqz.\n",
        encoding="utf-8",
    )
    wait_for(lambda: "qzliveqz" in get(report))
    assert DRAFT_BADGE in get(report)


def test_a_taken_port_falls_back_to_a_free_one(project):
    import socket

    from reportgen.serve import ServeState, make_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        import threading

        server = make_server(port, project, ServeState(), b"", threading.Event())
        try:
            assert server.server_address[1] != port
            assert server.server_address[0] == "127.0.0.1"
        finally:
            server.server_close()
