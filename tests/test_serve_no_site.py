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
from helpers import TODAY, make_project, wait_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_serve_robust import CLIENT, PAGE, Server, replace_save, serve_a_new_project

from reportgen.errors import InputError, Problem
from reportgen.serve import failure_text
from reportgen.servepages import inject_live_reload, missing_page, wants_page


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
        assert b'<pre id="reportgen-problems" style' in body and relative.encode() in body  # no JS needed
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
        problems = tab.locator("#reportgen-problems")  # listed in the page itself, no overlay over it
        problems.wait_for(timeout=15_000)
        assert f"content/{CLIENT}/2026-10.md:" in problems.inner_text()
        assert tab.locator("#reportgen-error-overlay").count() == 0
        replace_save(broken_file, good)
        wait_for(lambda: (text := _text(tab)) and "No site yet" not in text, 60)
        wait_for(lambda: tab.locator("#reportgen-error-overlay").count() == 0, 30)
        assert "No site yet" not in tab.content()
        assert not errors
    finally:
        context.close()
        server.stop()


def _text(tab) -> str:
    """The tab's text, or "" while it reloads (the page's policy forbids evaluated strings)."""
    try:
        return tab.inner_text("body", timeout=2_000)
    except Exception:
        return ""


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
        wait_for(lambda: "Written after the page was sent." in _text(tab), 30)
    finally:
        context.close()
        server.stop()


# --- found by the attack on these pages -------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One server these tests save into (saves, tabs, addresses)."""
    yield from serve_a_new_project(tmp_path_factory, "tabs")


@pytest.mark.browser
@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tabs=st.integers(1, 10))
@example(tabs=8)  # more than the six connections a browser keeps to one host
def test_every_open_tab_loads_and_reloads_however_many_are_open(browser, running, tabs):
    """A browser keeps six connections to one host: a stream per tab left the seventh blank."""
    context = browser.new_context()
    try:
        pages = []
        for index in range(tabs):
            tab = context.new_page()
            tab.goto(running.address.rstrip("/") + PAGE + f"?tab={index}", timeout=15_000)
            pages.append(tab)
        marker = f"Saved with {tabs} tabs open {time.monotonic_ns()}."
        note = running.project / "content" / CLIENT / "2026-10.md"
        replace_save(note, note.read_text(encoding="utf-8") + f"\n{marker}\n")
        for tab in pages:
            wait_for(lambda tab=tab: marker in _text(tab), 60)
    finally:
        context.close()


def test_addresses_in_another_form_go_to_the_one_form_and_a_file_has_no_slash(running):
    assert running.request(f"/{CLIENT}//2026-10/")[0] == 301
    assert running.request(f"/{CLIENT}%2F2026-10/")[0] == 301
    assert running.request(f"/{CLIENT}%2F2026-10")[0] == 301  # (to the folder's slash at once)
    assert running.request(f"/{CLIENT}/2026-10/index.html/")[0] == 404
    assert running.request(f"/{CLIENT}/2026-10/index.html")[0] == 200


SEGMENT = st.sampled_from(["a", "b c", "é", "2026-10", "index.html", "%"])


@given(
    parts=st.lists(SEGMENT, min_size=0, max_size=4),
    slashes=st.lists(st.integers(1, 3), min_size=5, max_size=5),
    encoded=st.booleans(),
    trailing=st.booleans(),
)
def test_an_address_has_one_form(parts, slashes, encoded, trailing):
    from urllib.parse import quote, unquote

    from reportgen.serve import request_path
    from reportgen.servepages import canonical_location

    path = "".join("/" * n + part for n, part in zip(slashes, parts, strict=False)) + (
        "/" if trailing else ""
    )
    path = path or "/"
    raw = quote(path).replace("/", "%2F", 1 if encoded and path.count("/") > 1 else 0)
    raw = raw if raw.startswith("/") else "/" + raw
    decoded = request_path(raw)
    if decoded is None:
        return
    location = canonical_location(decoded, raw)
    if location is None:
        assert "//" not in decoded and "%2f" not in raw.lower()
        return
    assert location.startswith("/") and not location.startswith("//") and "//" not in location
    assert "%2f" not in location.lower()
    assert unquote(location) == "/" + "/".join(p for p in decoded.split("/") if p) + (
        "/" if decoded.endswith("/") and decoded.strip("/") else ""
    )
    assert canonical_location(unquote(location), location) is None  # one redirect, never a loop


def test_a_good_build_with_warnings_says_them_once_and_the_pages_get_them(tmp_path):
    from reportgen.buildoptions import BuildOptions
    from reportgen.serve import ServeState, rebuild

    root = tmp_path / "proj"
    make_project(root)
    (root / "content" / CLIENT / "2026-10.md").write_text(
        "---\ntitle: No summary\n---\nBody.\n", encoding="utf-8"
    )
    options = BuildOptions(
        project=root, out=tmp_path / "preview", today=TODAY, jobs=1, drafts=True, preview=True
    )
    state, lines = ServeState(), []
    rebuild(options, state, lines.append)
    assert lines[0].startswith("Built in")
    assert any("without a summary" in w for w in state.warnings), lines
    assert "without a summary" in lines[-1] and "warning" in lines[-1]
    assert "without a summary" in state.message()
    rebuild(options, state, lines.append)
    assert lines[-2].startswith("Rebuilt in") and lines[-1].startswith("The same ")


def _settled(server: Server) -> bool:
    version = server.state()["version"]
    time.sleep(1.5)
    return server.state()["version"] == version


SAVES = {
    "replaced": lambda path, text: replace_save(path, text),  # sed -i, an editor's atomic save
    "written in place": lambda path, text: path.write_text(text, encoding="utf-8"),
}


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from(["clients.yaml", f"content/{CLIENT}/2026-10.md"]),
    how=st.sampled_from(sorted(SAVES)),
)
def test_one_save_is_one_build(running, which, how):
    """Saving clients.yaml re-plans the watch (its data globs): it built once at the change and
    once more after the re-plan, and a failing save said "failed again" for one save."""
    path = running.project / which
    wait_for(lambda: _settled(running), 30)  # (no build of an earlier example still to come)

    def builds() -> int:
        return sum(line.startswith(("Built in", "Rebuilt in", "Build failed")) for line in running.lines)

    before, version = builds(), running.state()["version"]
    SAVES[how](path, path.read_text(encoding="utf-8") + f"\n# saved {time.monotonic_ns()}\n")
    wait_for(lambda: builds() > before, 30)
    time.sleep(3)  # (a second build would have started by now)
    assert builds() == before + 1, running.lines[-6:]
    assert running.state()["version"] <= version + 1


def test_a_leading_double_slash_is_one_form_too_and_serves_own_addresses_are_files(running):
    assert running.request(f"//{CLIENT}/")[0] == 301  # (not the site's root under a "host")
    assert running.request("//")[0] == 301
    for path in ("/__reportgen/", "/__reportgen/state/", "/__reportgen/nothing"):
        status, body = running.request(path)
        assert status == 404 and body == b"Not found"
