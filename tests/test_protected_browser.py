"""Protected portals in Chromium, under the real CSP: every way a visitor arrives.

Issue 10 item 3: after "Remember me", another month, a reload or a new tab
showed the login card on top and the report appended below it. Each test
here asserts what the visitor sees — no login card, the report's own title,
exactly one <main>, charts drawn, no console error or CSP violation — on
every entry path (first visit, remembered key, next month, reload, new tab,
back button), from file:// and over http, with one password and with several
people. Revocation: a removed person's remembered device is locked out, the
others' stay open.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import re
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import DEFAULT_MARKERS, draw_all_charts, make_project

from reportgen.protect import derive_kek, open_sealed

pytestmark = pytest.mark.browser

PROTECTED = "saigon-foods"
MARKER = DEFAULT_MARKERS[PROTECTED]
SINGLE = {"SAIGON_PORTAL_PASSWORD": "one portal passphrase"}
PEOPLE = {"SAIGON_SAM": "sam's long passphrase", "SAIGON_KIM": "kim's other passphrase"}
NAMES = {"SAIGON_SAM": "Sam Lee", "SAIGON_KIM": "Kim Tran"}
OCTOBER, SEPTEMBER, HOME = "2026-10/index.html", "2026-09/index.html", "index.html"
TIMEOUT = 60_000


def make_protected(root: Path, variables: list[str], single: bool) -> None:
    make_project(root)
    write_access(root, variables, single)


def write_access(root: Path, variables: list[str], single: bool) -> None:
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    client = next(c for c in document["clients"] if c["id"] == PROTECTED)
    client["access"] = (
        {"password_env": variables[0]}
        if single
        else {"people": [{"name": NAMES[v], "password_env": v} for v in variables]}
    )
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def build(root: Path, env: dict[str, str]) -> None:
    result = run_cli("build", "--project", root, env=env)
    assert result.exit_code == 0, result.output + result.stderr


def host_headers(site: Path, path: str) -> list[tuple[str, str]]:
    """The headers the site's `_headers` file (Netlify/Cloudflare format) gives `path`."""
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    headers_file = site / "_headers"
    for line in headers_file.read_text().splitlines() if headers_file.is_file() else []:
        if line.strip() and not line[0].isspace():
            rules.append((line.strip(), []))
        elif ":" in line and rules:
            name, value = line.strip().split(":", 1)
            rules[-1][1].append((name.strip(), value.strip()))
    return [
        header
        for pattern, headers in rules
        if path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1]))
        for header in headers
    ]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """A static host: the site's files with its `_headers` (so its CSP header too)."""

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def end_headers(self):
        sent = set()
        for name, value in host_headers(Path(self.directory), self.path.split("?")[0]):
            if name.lower() not in sent:  # the first (most general) rule wins, as on Netlify
                sent.add(name.lower())
                self.send_header(name, value)
        super().end_headers()

    def do_GET(self):
        if self.path == "/favicon.ico":  # the browser asks for it; the site has none
            self.send_response(204)
            self.end_headers()
            return
        path = Path(self.translate_path(self.path))
        if path.suffix != ".html" or not path.is_file():
            return super().do_GET()
        # A slow network: the page's last bytes come late, so the sealed page is
        # decrypted while the login page is still loading (issue 10 item 3).
        content = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content[:-16])
        self.wfile.flush()
        time.sleep(0.2)
        self.wfile.write(content[-16:])


class Server:
    """The site over http://127.0.0.1 (a secure context, as WebCrypto needs)."""

    def __init__(self, folder: Path):
        handler = functools.partial(_Quiet, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Portal:
    """A built project with a protected portal, and where its pages are."""

    def __init__(self, root: Path, env: dict[str, str], scheme: str):
        self.root = root
        self.env = env
        self.scheme = scheme
        self.server = Server(root / "site") if scheme == "http" else None

    def url(self, relative: str) -> str:
        if self.server:
            return f"{self.server.base}{PROTECTED}/{relative}"
        return (self.root / "site" / PROTECTED / relative).as_uri()

    def title(self, relative: str) -> str:
        """The opened page's own <title>, read from the sealed page with a password."""
        html = (self.root / "site" / PROTECTED / relative).read_text(encoding="utf-8")
        block = re.search(r'<script type="application/json" id="sealed">(.*?)</script>', html, re.S)
        page = open_sealed(json.loads(block.group(1)), next(iter(self.env.values()))).decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        return title.replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", '"')

    def close(self) -> None:
        if self.server:
            self.server.close()


RAW_KEYS = """[sessionStorage, localStorage].flatMap(store => Object.keys(store))
    .filter(key => key.startsWith("reportgen-key:"))"""


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


def new_tab(context) -> tuple:
    page = context.new_page()
    return page, watch(page)


# Before every frame is drawn: was the login card on screen? (Run by the browser
# as an init script, outside the page's CSP; window survives the page's swap.)
CARD_WATCH = """
window.__loginCardShown = false;
(function look() {
  var card = document.querySelector(".login-card");
  if (card && getComputedStyle(card).visibility !== "hidden" && card.getClientRects().length) {
    window.__loginCardShown = true;
  }
  var root = document.documentElement;
  if (!root || !root.dataset.charts) { requestAnimationFrame(look); }
})();
"""


def new_context(browser, **options):
    context = browser.new_context(**options)
    context.add_init_script(CARD_WATCH)
    return context


def assert_opened(page, problems: list[str], title: str, typed: bool = False) -> None:
    """What the visitor sees: the report, and nothing of the login page (not even
    for a frame, unless they typed their password into it)."""
    # Selectors, not wait_for_function: the pages' CSP forbids the eval() it uses. Charts
    # draw as they near the view: draw_all_charts scrolls to each.
    assert draw_all_charts(page, TIMEOUT) == "drawn", page.evaluate(
        "document.documentElement.dataset.chartErrors || ''"
    )
    assert page.locator(".login-card").count() == 0
    assert page.locator("#sealed").count() == 0
    assert page.title() == title
    assert page.locator("main").count() == 1
    assert page.locator(".js-plotly-plot svg.main-svg").count() >= 1
    assert MARKER in page.locator("main").inner_text() or MARKER in page.title()
    if not typed:
        assert page.evaluate("window.__loginCardShown") is False
    assert problems == [], problems


def assert_locked(page, problems: list[str]) -> None:
    page.wait_for_selector("#unlock:not([hidden])", timeout=TIMEOUT)
    assert page.locator(".login-card").is_visible()
    assert page.evaluate("document.documentElement.classList.contains('unlocking')") is False
    assert MARKER not in page.content()
    assert problems == [], problems


def unlock(page, password: str, remember: bool) -> None:
    page.fill("#password", password)
    if remember:
        page.check("#remember")
    page.click("button[type=submit]")


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    """Two built projects (one password; two people), each from file:// and http."""
    made = {}
    for kind, env, single in (("single", SINGLE, True), ("people", PEOPLE, False)):
        root = tmp_path_factory.mktemp(kind) / "proj"
        make_protected(root, list(env), single)
        build(root, env)
        for scheme in ("file", "http"):
            made[kind, scheme] = Portal(root, env, scheme)
    yield made
    for portal in made.values():
        portal.close()


CASES = [("single", "file"), ("single", "http"), ("people", "file"), ("people", "http")]


@pytest.mark.parametrize(("kind", "scheme"), CASES)
def test_every_entry_path_with_a_remembered_key(browser, portals, kind, scheme):
    portal = portals[kind, scheme]
    # With several people, the last one's password: the browser tries each wrap.
    password = list(portal.env.values())[-1]
    context = new_context(browser, viewport={"width": 1000, "height": 800})
    try:
        page, problems = new_tab(context)
        page.goto(portal.url(OCTOBER))
        assert_locked(page, problems)
        assert page.title() != portal.title(OCTOBER)  # the login page's neutral title

        # first visit, with the password and "remember me"
        unlock(page, password, remember=True)
        assert_opened(page, problems, portal.title(OCTOBER), typed=True)
        # kept as a non-extractable CryptoKey (IndexedDB): no key bytes in web storage
        assert page.evaluate(RAW_KEYS) == []

        # reload
        page.reload()
        assert_opened(page, problems, portal.title(OCTOBER))

        # the month before, by its link; then back, then forward again
        page.click("a[rel=prev]")
        page.wait_for_url(re.compile(r"2026-09/index\.html$"))
        assert_opened(page, problems, portal.title(SEPTEMBER))
        page.go_back()
        page.wait_for_url(re.compile(r"2026-10/index\.html$"))
        assert_opened(page, problems, portal.title(OCTOBER))
        page.go_forward()
        page.wait_for_url(re.compile(r"2026-09/index\.html$"))
        assert_opened(page, problems, portal.title(SEPTEMBER))

        # the home page, by its link
        page.click("a.nav-home")
        page.wait_for_url(re.compile(rf"{PROTECTED}/index\.html$"))
        assert_opened(page, problems, portal.title(HOME))

        # a new tab, typed address: the remembered key, no password
        tab, tab_problems = new_tab(context)
        tab.goto(portal.url(SEPTEMBER))
        assert_opened(tab, tab_problems, portal.title(SEPTEMBER))
        tab.close()

        # "Lock this report on this device" forgets it: the login again, in a new tab too
        page.click("[data-forget]")
        page.wait_for_selector("#unlock:not([hidden])", timeout=TIMEOUT)
        problems.clear()
        tab, tab_problems = new_tab(context)
        tab.goto(portal.url(OCTOBER))
        assert_locked(tab, tab_problems)
    finally:
        context.close()

    # another device (a fresh browser profile) is asked for the password
    other = new_context(browser)
    try:
        page, problems = new_tab(other)
        page.goto(portal.url(OCTOBER))
        assert_locked(page, problems)
    finally:
        other.close()


@pytest.mark.parametrize(("kind", "scheme"), CASES)
def test_without_remember_me_the_key_lasts_for_the_tab(browser, portals, kind, scheme):
    portal = portals[kind, scheme]
    context = new_context(browser)
    try:
        page, problems = new_tab(context)
        page.goto(portal.url(HOME))
        assert_locked(page, problems)
        unlock(page, next(iter(portal.env.values())), remember=False)
        assert_opened(page, problems, portal.title(HOME), typed=True)
        assert len(page.evaluate(RAW_KEYS)) == 1  # for this tab only (sessionStorage)
        page.click(f'a[href="{OCTOBER}"]')
        assert_opened(page, problems, portal.title(OCTOBER))
        page.reload()
        assert_opened(page, problems, portal.title(OCTOBER))
        page.go_back()
        assert_opened(page, problems, portal.title(HOME))
        # a new tab of the same browser does not share the tab's key
        tab, tab_problems = new_tab(context)
        tab.goto(portal.url(OCTOBER))
        assert_locked(tab, tab_problems)
    finally:
        context.close()


NO_INDEXEDDB = "Object.defineProperty(window, 'indexedDB', {get() { throw new Error('disabled'); }});"


def test_remember_me_without_indexeddb_falls_back_to_local_storage(browser, portals):
    """Some browsers give file:// pages or private windows no IndexedDB."""
    portal = portals["people", "file"]
    context = new_context(browser)
    context.add_init_script(NO_INDEXEDDB)
    try:
        page, problems = new_tab(context)
        page.goto(portal.url(OCTOBER))
        assert_locked(page, problems)
        unlock(page, next(iter(portal.env.values())), remember=True)
        assert_opened(page, problems, portal.title(OCTOBER), typed=True)
        tab, tab_problems = new_tab(context)
        tab.goto(portal.url(SEPTEMBER))
        assert_opened(tab, tab_problems, portal.title(SEPTEMBER))
        # the download links open the sealed downloads carried inside the page
        with tab.expect_download() as download:
            tab.click('[data-filename="metrics.csv"]')
        assert Path(download.value.path()).read_text(encoding="utf-8").startswith("date,")
        tab.click("[data-forget]")
        assert_locked(tab, tab_problems)
        assert tab.evaluate(RAW_KEYS) == []
    finally:
        context.close()


def test_a_key_remembered_by_an_earlier_version_opens_and_moves_to_indexeddb(browser, portals):
    """reportgen before per-person keys remembered PBKDF2(password, salt) as bytes in
    localStorage: that is the KEK now, so an upgraded portal stays unlocked."""
    portal = portals["single", "http"]
    html = (portal.root / "site" / PROTECTED / OCTOBER).read_text(encoding="utf-8")
    sealed = json.loads(re.search(r'id="sealed">(.*?)</script>', html, re.S).group(1))
    raw = derive_kek(SINGLE["SAIGON_PORTAL_PASSWORD"], base64.b64decode(sealed["salt"]))
    context = new_context(browser)
    try:
        page, problems = new_tab(context)
        page.goto(portal.server.base + "robots.txt")  # the site's origin, to write its storage
        page.evaluate(
            "([k, v]) => localStorage.setItem(k, v)",
            ["reportgen-key:" + sealed["salt"], base64.b64encode(raw).decode()],
        )
        page.goto(portal.url(OCTOBER))
        assert_opened(page, problems, portal.title(OCTOBER))
        page.wait_for_timeout(500)  # the move into IndexedDB finishes after the page opens
        assert page.evaluate(RAW_KEYS) == []
        tab, tab_problems = new_tab(context)
        tab.goto(portal.url(HOME))
        assert_opened(tab, tab_problems, portal.title(HOME))
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_a_wrong_password_is_refused_and_nothing_is_shown(browser, portals, scheme):
    portal = portals["people", scheme]
    context = new_context(browser)
    try:
        page, problems = new_tab(context)
        page.goto(portal.url(OCTOBER))
        assert_locked(page, problems)
        unlock(page, "not anyone's password", remember=True)
        page.wait_for_selector("#unlock-error:not([hidden])", timeout=TIMEOUT)
        assert MARKER not in page.content()
        assert problems == [], problems
        page.reload()  # nothing was remembered
        assert_locked(page, problems)
    finally:
        context.close()


def test_a_removed_person_is_locked_out_and_the_others_stay_in(browser, tmp_path):
    root = tmp_path / "proj"
    make_protected(root, ["SAIGON_SAM", "SAIGON_KIM"], single=False)
    build(root, PEOPLE)
    portal = Portal(root, {"SAIGON_KIM": PEOPLE["SAIGON_KIM"]}, "http")
    devices = {}
    try:
        for variable in PEOPLE:  # each person remembers the portal on their own device
            context = new_context(browser)
            page, problems = new_tab(context)
            page.goto(portal.url(OCTOBER))
            assert_locked(page, problems)
            unlock(page, PEOPLE[variable], remember=True)
            assert_opened(page, problems, portal.title(OCTOBER), typed=True)
            page.close()
            devices[variable] = context

        # Sam leaves: remove him and rebuild (incrementally); Kim changes nothing.
        write_access(root, ["SAIGON_KIM"], single=False)
        build(root, {"SAIGON_KIM": PEOPLE["SAIGON_KIM"]})

        page, problems = new_tab(devices["SAIGON_SAM"])
        page.goto(portal.url(OCTOBER))
        assert_locked(page, problems)
        unlock(page, PEOPLE["SAIGON_SAM"], remember=True)
        page.wait_for_selector("#unlock-error:not([hidden])", timeout=TIMEOUT)
        assert MARKER not in page.content()
        page.reload()  # the dead key was forgotten, not tried again
        assert_locked(page, problems)

        for relative in (OCTOBER, SEPTEMBER, HOME):
            page, problems = new_tab(devices["SAIGON_KIM"])
            page.goto(portal.url(relative))
            assert_opened(page, problems, portal.title(relative))
            page.close()
    finally:
        for context in devices.values():
            context.close()
        portal.close()


@pytest.mark.parametrize("scheme", ["file", "http"])
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_a_link_to_a_section_lands_on_it_after_unlocking(browser, portals, scheme, viewport):
    """A link to #campaigns (or any section) in a new tab: the opened page is laid
    out after its stylesheet and charts arrive; the section must end up in view."""
    portal = portals["single", scheme]
    context = new_context(browser, viewport=viewport)
    try:
        page, problems = new_tab(context)
        page.goto(portal.url(OCTOBER))
        unlock(page, SINGLE["SAIGON_PORTAL_PASSWORD"], remember=True)
        assert_opened(page, problems, portal.title(OCTOBER), typed=True)
        for section in ("campaigns", "budget"):
            tab, tab_problems = new_tab(context)
            tab.goto(portal.url(OCTOBER) + "#" + section)
            # Opened, and the charts near the section drawn (they keep their boxes' size);
            # then every chart (assert_opened scrolls to each, so the position comes first).
            tab.wait_for_selector("main#main", state="attached", timeout=TIMEOUT)
            tab.wait_for_selector("[data-figure][data-drawn]", state="attached", timeout=TIMEOUT)
            tab.wait_for_timeout(500)
            top, scrolled, most = tab.evaluate(
                f"[document.getElementById('{section}').getBoundingClientRect().top, window.scrollY,"
                " document.scrollingElement.scrollHeight - window.innerHeight]"
            )
            # at the top of the window, or as far down as the page goes with it in view
            assert abs(top) < 40 or (abs(scrolled - most) < 2 and 0 <= top < viewport["height"]), (
                section,
                top,
                scrolled,
                most,
            )
            assert_opened(tab, tab_problems, portal.title(OCTOBER))
            tab.close()
    finally:
        context.close()
