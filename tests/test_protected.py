"""Password-protected portals (SPEC 5.7): sealed at rest, opened in the browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import DEFAULT_MARKERS, draw_all_charts, make_project, tree_bytes

from reportgen.protect import ITERATIONS, open_sealed

PASSWORD = "correct horse battery staple"
PROTECTED = "saigon-foods"
MARKER = DEFAULT_MARKERS[PROTECTED]


def protect(root: Path, client_id: str = PROTECTED, variable: str = "SAIGON_PORTAL_PASSWORD") -> None:
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == client_id:
            client["access"] = {"password_env": variable}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def protected_project(tmp_path) -> Path:
    root = tmp_path / "proj"
    make_project(root)
    protect(root)
    return root


def build(root: Path, *args: str, password: str | None = PASSWORD):
    env = {"SAIGON_PORTAL_PASSWORD": password} if password is not None else {}
    return run_cli("build", "--project", root, *args, env=env)


def test_missing_password_is_an_error_not_an_open_portal(protected_project, monkeypatch):
    monkeypatch.delenv("SAIGON_PORTAL_PASSWORD", raising=False)
    result = build(protected_project, password=None)
    assert result.exit_code == 1
    assert "SAIGON_PORTAL_PASSWORD" in result.stderr and "clients.yaml:" in result.stderr
    assert not (protected_project / "site").exists()


def test_no_plaintext_of_a_protected_client_anywhere(protected_project):
    result = build(protected_project)
    assert result.exit_code == 0, result.output
    files = tree_bytes(protected_project / "site")
    leaks = [path for path, content in files.items() if MARKER.encode() in content]
    assert leaks == []
    assert any(path.startswith(f"{PROTECTED}/") for path in files)
    # the other clients are still plain
    plain = DEFAULT_MARKERS["acme-corp"].encode()
    assert any(plain in content for path, content in files.items() if path.startswith("acme-corp/"))


def test_downloads_are_sealed_and_open_with_the_password(protected_project):
    assert build(protected_project).exit_code == 0
    envelope = json.loads((protected_project / "site" / PROTECTED / "2026-10" / "report.json").read_text())
    assert envelope["cipher"] == "AES-256-GCM" and envelope["iterations"] >= 600_000
    report = json.loads(open_sealed(envelope, PASSWORD))
    assert report["client"] == PROTECTED and report["month"] == "2026-10"
    month = protected_project / "site" / PROTECTED / "2026-10"
    csv_envelope = json.loads((month / "metrics.csv").read_text())
    assert open_sealed(csv_envelope, PASSWORD).decode().startswith("date,")


def sealed_of(path: Path) -> dict:
    html = path.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="sealed">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_salt_is_stable_and_nonces_are_fresh(protected_project):
    assert build(protected_project).exit_code == 0
    page = protected_project / "site" / PROTECTED / "2026-10" / "index.html"
    first = sealed_of(page)
    assert build(protected_project, "--clean").exit_code == 0
    second = sealed_of(page)
    assert first["salt"] == second["salt"]  # a remembered device stays unlocked
    assert first["iv"] != second["iv"]
    assert first["iterations"] == ITERATIONS
    home = sealed_of(protected_project / "site" / PROTECTED / "index.html")
    assert home["iv"] != second["iv"] and home["salt"] == second["salt"]


def test_changing_the_password_reseals_everything(protected_project):
    assert build(protected_project).exit_code == 0
    result = build(protected_project, "--json", password="a new password")
    assert result.exit_code == 0
    page = protected_project / "site" / PROTECTED / "2026-10" / "index.html"
    envelope = json.loads((page.parent / "report.json").read_text())
    assert json.loads(open_sealed(envelope, "a new password"))["client"] == PROTECTED


def test_every_page_has_a_strict_content_security_policy(protected_project):
    assert build(protected_project).exit_code == 0
    for path in (protected_project / "site").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert policy, path
        script_src = re.search(r"script-src ([^;]+)", policy.group(1)).group(1)
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        # no inline script: every <script> has a src or carries JSON data
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)


# --- in the browser ------------------------------------------------------------------------------


def open_locked(browser, path: Path):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.goto(path.as_uri())
    page.wait_for_selector("#unlock:not([hidden])")
    return context, page, problems


@pytest.mark.browser
def test_wrong_password_shows_an_error(browser, protected_project):
    assert build(protected_project).exit_code == 0
    context, page, problems = open_locked(browser, protected_project / "site" / PROTECTED / "index.html")
    try:
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        page.wait_for_selector("#unlock-error:not([hidden])", timeout=30_000)
        assert MARKER not in page.content()
        assert problems == []
    finally:
        context.close()


@pytest.mark.browser
def test_right_password_opens_the_report_and_its_charts_draw(browser, protected_project):
    assert build(protected_project).exit_code == 0
    report = protected_project / "site" / PROTECTED / "2026-10" / "index.html"
    context, page, problems = open_locked(browser, report)
    try:
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        assert draw_all_charts(page, 60_000) == "drawn"  # charts draw as they near the view
        assert MARKER in page.content()
        drawn = page.evaluate("document.querySelectorAll('.chart-canvas[data-drawn=true]').length")
        assert drawn >= 3
        # the previous month opens without typing the password again
        page.click("a[rel=prev]")
        page.wait_for_url("**/2026-09/index.html", timeout=60_000)
        assert draw_all_charts(page, 60_000) == "drawn"
        assert "2026-09" in page.url
        assert problems == [], problems
    finally:
        context.close()
