"""`reportgen serve` when a build fails, above all its very first one.

serve used to answer every URL with a bare `404 Not found` until a build succeeded: no
live-reload script, so the open tab showed neither the problems nor reloaded after the fix,
and the terminal's "Build failed" list mixed warnings in with what failed the build. Now a
request for a page that is not there gets a page that listens for builds (503 while there is
no site yet, 404 after), the problems come first and the warnings under their own heading, and
every served page knows which build it comes from (a build finished before the page started
listening still reloads it).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from helpers import make_project, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_serve_robust import CLIENT, PAGE, Server, replace_save

from reportgen.errors import InputError, Problem
from reportgen.serve import failure_text, inject_live_reload, missing_page, wants_page


def _break_note_yaml(root: Path) -> tuple[Path, str]:
    path = root / "content" / CLIENT / "2026-10.md"
    return path, path.read_text(encoding="utf-8").replace("status: final", "status: [final", 1)


def _break_note_field(root: Path) -> tuple[Path, str]:
    path = root / "content" / CLIENT / "2026-10.md"
    return path, re.sub(r"due: \d{4}-\d\d-\d\d", "due: 2026-13-45", path.read_text(encoding="utf-8"), count=1)


def _break_csv_cell(root: Path) -> tuple[Path, str]:
    path = root / "data" / CLIENT / "2026.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n").rsplit(",", 1)[0] + ",abc\n"
    return path, "".join(lines)


def _break_clients_yaml(root: Path) -> tuple[Path, str]:
    path = root / "clients.yaml"
    return path, path.read_text(encoding="utf-8") + "clients: [unclosed\n"


BREAKAGES = {
    "note_yaml": _break_note_yaml,
    "note_field": _break_note_field,
    "csv_cell": _break_csv_cell,
    "clients_yaml": _break_clients_yaml,
}
# Requests a browser makes for a page: the root, a portal, a report, a page that never exists.
PAGE_PATHS = st.sampled_from(["/", f"/{CLIENT}/", f"/{CLIENT}", PAGE, "/nosuch/", "/a/b/c.html"])


def _broken_project(tmp_path: Path, breakage: str) -> tuple[Path, Path, str]:
    """A project whose one file is broken: the root, that file and its good text."""
    root = tmp_path / f"proj-{time.monotonic_ns()}"
    make_project(root)
    path, broken = BREAKAGES[breakage](root)
    good = path.read_text(encoding="utf-8")
    path.write_text(broken, encoding="utf-8")
    return root, path, good


def _listens(body: bytes) -> int:
    """The build version the page says it comes from (the page loads live.js)."""
    match = re.search(rb'<script src="/__reportgen/live.js" data-version="(\d+)"></script>', body)
    assert match, body[:400]
    return int(match.group(1))


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(breakage=st.sampled_from(sorted(BREAKAGES)), path=PAGE_PATHS)
def test_a_failed_first_build_serves_pages_that_show_it_and_reload_after_the_fix(tmp_path, breakage, path):
    root, broken_file, good = _broken_project(tmp_path, breakage)
    server = Server(root)
    try:
        status, body = server.request(path)
        assert status == 503, (status, body[:200])
        first = _listens(body)
        state = server.state()
        assert state["version"] == first and state["error"]
        relative = broken_file.relative_to(root).as_posix()
        assert state["error"].startswith(relative + ":"), state["error"]  # the failure first, with its line
        assert server.request("/nosuch.css")[0] == 404  # a file, not a page: a plain 404
        replace_save(broken_file, good)
        wait_for(lambda: server.state()["version"] > first and server.state()["error"] is None, 60)
        status, body = server.request(PAGE)
        assert status == 200 and _listens(body) > first
        if path in ("/nosuch/", "/a/b/c.html"):
            assert server.request(path)[0] == 404  # built: a page that is not there is a 404
    finally:
        server.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_the_open_tab_shows_the_failed_first_build_and_reloads_after_the_fix(tmp_path, browser):
    root, broken_file, good = _broken_project(tmp_path, "note_yaml")
    server = Server(root)
    context = browser.new_context()
    try:
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(server.address.rstrip("/") + PAGE)
        overlay = tab.locator("#reportgen-error-overlay")
        overlay.wait_for(timeout=15_000)
        assert f"content/{CLIENT}/2026-10.md:" in overlay.inner_text()
        replace_save(broken_file, good)
        tab.wait_for_selector(".report, main h1", timeout=60_000)
        wait_for(lambda: tab.locator("#reportgen-error-overlay").count() == 0, 30)
        assert "No site yet" not in tab.content()
        assert not errors
    finally:
        context.close()
        server.stop()


# --- the parts, without a server -----------------------------------------------------------


PROBLEMS = st.lists(
    st.builds(
        Problem,
        path=st.sampled_from(["clients.yaml", "content/a/2026-10.md", "data/a/x.csv"]),
        line=st.one_of(st.none(), st.integers(1, 50)),
        message=st.text("abc xyz", min_size=1, max_size=12),
        severity=st.sampled_from(["error", "warning", "info"]),
    ),
    min_size=1,
    max_size=8,
)


@given(problems=PROBLEMS)
def test_what_failed_the_build_comes_before_what_was_found_alongside(problems):
    text = failure_text(InputError(problems))
    unique = set(problems)
    errors = [p for p in unique if p.severity == "error"]
    for problem in unique:
        assert text.count(str(problem)) >= 1
    if errors and len(errors) < len(unique):
        head, tail = text.split("\n\nAlso found", 1)
        assert all(str(p) in head for p in errors)
        assert all(str(p) in tail for p in unique - set(errors))
    else:
        assert "Also found" not in text  # all errors, or (--strict) all warnings: one list


@given(
    path=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30).map(lambda t: "/" + t),
    built=st.booleans(),
    version=st.integers(0, 10**6),
)
def test_the_missing_page_escapes_the_path_and_listens_for_builds(path, built, version):
    body = missing_page(path, built, version)
    assert _listens(body) == version
    assert b"<script" not in body.replace(b'<script src="/__reportgen/live.js"', b"", 1)
    assert ("No site yet" in body.decode()) is not built


@pytest.mark.parametrize(
    ("path", "page"),
    [
        *[("/", True), ("/acme/", True), ("/acme", True), ("/a/index.html", True), ("/a/R.HTM", True)],
        *[("/a/style.css", False), ("/favicon.ico", False), ("/a/report.pdf", False), ("/a/x.csv", False)],
    ],
)
def test_pages_are_told_from_files(path, page):
    assert wants_page(path) is page


def test_every_served_page_says_which_build_it_comes_from():
    page = b"<html><head></head><body><p>x</p></body></html>"
    assert _listens(inject_live_reload(page, 7)) == 7


@pytest.mark.browser
@pytest.mark.slow
def test_a_page_from_a_build_that_was_replaced_before_it_listened_reloads(tmp_path, browser):
    """The page was sent, then a rebuild finished before its live.js connected: the first
    message it hears is already the new build, and it must reload, not wait for the next."""
    root = tmp_path / "proj"
    make_project(root)
    server = Server(root)
    context = browser.new_context()
    try:
        old_status, old_page = server.request(PAGE)
        first = server.state()["version"]
        note = root / "content" / CLIENT / "2026-10.md"
        replace_save(note, note.read_text(encoding="utf-8") + "\nWritten after the page was sent.\n")
        wait_for(lambda: server.state()["version"] > first, 60)
        tab = context.new_page()
        stale = {"sent": False}

        def the_old_page_once(route):
            if stale["sent"]:
                route.continue_()
            else:
                stale["sent"] = True
                route.fulfill(status=old_status, body=old_page, content_type="text/html; charset=utf-8")

        tab.route("**" + PAGE, the_old_page_once)
        tab.goto(server.address.rstrip("/") + PAGE)
        shown = "document.body.innerText.includes('Written after the page was sent.')"
        tab.wait_for_function(shown, timeout=30_000)
    finally:
        context.close()
        server.stop()
