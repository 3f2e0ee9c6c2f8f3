"""Shared fixtures: generated projects and built sites."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import SOURCE_DATE_EPOCH, make_project
from hypothesis import settings

from reportgen.cli import main

# In CI the generative tests draw the same examples on every run, so a red CI
# means the change broke something, not that a new random draw found an old
# rarity; locally they explore fresh examples each run (and keep failures in
# .hypothesis/ to replay them).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Every test runs with 'today' = 2026-11-23 (SOURCE_DATE_EPOCH)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)


def run_cli(*args: str, env: dict | None = None):
    """Invoke the CLI in-process; stdout and stderr are kept apart."""
    runner = CliRunner()
    return runner.invoke(
        main,
        [str(a) for a in args],
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, **(env or {})},
        catch_exceptions=True,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh generated project (not built)."""
    root = tmp_path / "proj"
    make_project(root)
    return root


@pytest.fixture(scope="session")
def _built_once(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("built") / "proj"
    make_project(root)
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="session")
def built_site(_built_once) -> Path:
    """The site/ folder of a default build of the generated project (read-only!)."""
    return _built_once / "site"


@pytest.fixture(scope="session")
def built_project(_built_once) -> Path:
    """The project folder of `built_site` (read-only!)."""
    return _built_once


@pytest.fixture
def copy_project(tmp_path, built_project):
    """A writable copy of the built project."""

    def make(name: str = "copy") -> Path:
        target = tmp_path / name
        shutil.copytree(built_project, target, symlinks=True)
        return target

    return make


# --- headless Chromium (Debian's package; never a downloaded browser) ---------------------

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()
