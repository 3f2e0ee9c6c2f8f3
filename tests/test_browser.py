"""The portal in a real browser: charts draw from file://, offline, no errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import draw_all_charts

pytestmark = pytest.mark.browser


def open_page(browser, path: Path, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    # Charts draw as they near the view: scroll to each (selectors, not wait_for_function:
    # the pages' CSP forbids the eval() it uses).
    draw_all_charts(page, 30_000)
    return context, page, problems, requests


PAGES = ["acme-corp/2026-10/index.html", "saigon-foods/index.html", "berlin-bikes/2026-11/index.html"]


@pytest.mark.parametrize("relative", PAGES)
def test_charts_draw_offline_without_errors(browser, built_site, relative):
    context, page, problems, requests = open_page(browser, built_site / relative)
    try:
        state = page.evaluate("document.documentElement.dataset.charts")
        errors = page.evaluate("document.documentElement.dataset.chartErrors || ''")
        assert state == "drawn", errors
        canvases = page.evaluate("""() => Array.from(document.querySelectorAll('.chart-canvas'))
            .map(e => ({id: e.id, drawn: e.dataset.drawn,
                        svg: !!e.querySelector('svg.main-svg')}))""")
        assert len(canvases) >= 3
        for canvas in canvases:
            assert canvas["drawn"] == "true" and canvas["svg"], canvas
        assert problems == []
        outside = [url for url in requests if not url.startswith(("file://", "data:", "blob:"))]
        assert outside == []
        assert any(url.endswith(".min.js") for url in requests)
    finally:
        context.close()


@pytest.mark.parametrize("relative", ["acme-corp/2026-10/index.html", "saigon-foods/index.html"])
def test_phone_width_has_no_horizontal_overflow(browser, built_site, relative):
    context, page, problems, _requests = open_page(browser, built_site / relative, width=390)
    try:
        assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
        overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1] + 1, overflow
        assert problems == []
    finally:
        context.close()


def test_landing_page_loads_without_errors(browser, built_site):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto((built_site / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert errors == []
        assert all(url.startswith("file://") for url in requests), requests
    finally:
        context.close()
