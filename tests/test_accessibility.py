"""Report pages for everyone, and light: axe-core, the tab order, charts as one named
image, forced colors, charts that draw as they near the view, and print.

axe-core comes from npm (tests/js: `npm ci --prefix tests/js`, run by .ci/run); these
tests skip when it is missing, except in CI (the env var CI set), where they fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import AXE_JS, draw_all_charts, make_project, npm_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
AXE = AXE_JS
WIDTHS = [360, 390, 1280]
LONG_WORD = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz" * 2
LONG_URL = "https://example.com/campaigns/" + "very-long-path-segment-" * 8 + "end"
WIDE_NOTE = f"""

## Wide table

{LONG_WORD} and {LONG_URL}.

| Campaign | Impressions | Clicks | CTR | Spend | CPC | Conversions | CPA | Revenue | ROAS |
|---|---|---|---|---|---|---|---|---|---|
| {LONG_WORD} | 1,234,567 | 23,456 | 1.9 % | $12,345.67 | $0.53 | 1,234 | $10.00 | $45,678.90 | 3.7 |
| Prospecting | 7,654,321 | 65,432 | 0.9 % | $54,321.00 | $0.83 | 4,321 | $12.57 | $98,765.43 | 1.8 |
"""
# What a keyboard user can do at a tab stop (a chart's numbers table opens under its summary).
TAB_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.classList.contains('table-scroll');
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim().slice(0, 40),
          href: el.getAttribute('href'), inChart: !!el.closest('[data-figure], .js-plotly-plot'),
          box, scrolls: box && (el.scrollWidth > el.clientWidth + 1
                                || el.scrollHeight > el.clientHeight + 1),
          key: el.dataset.tabStop || (el.dataset.tabStop = String(Math.random()))};
}"""


def axe_source() -> str:
    return npm_tool(AXE).read_text(encoding="utf-8")


def build(root: Path) -> Path:
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The generated project, its October note with a wide Markdown table and long words."""
    root = tmp_path_factory.mktemp("a11y") / "proj"
    make_project(root)
    note = root / "content" / "acme-corp" / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8") + WIDE_NOTE, encoding="utf-8")
    return build(root)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The repository's demo project, built into a copy."""
    if not (REPO / "clients.yaml").is_file():
        pytest.skip("the demo project is not here")
    root = tmp_path_factory.mktemp("demo") / "proj"
    root.mkdir()
    shutil.copy(REPO / "clients.yaml", root)
    for folder in ("data", "content", "assets"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    return build(root)


def open_page(browser, path: Path, width: int, height: int = 800, **options):
    phone = width < 500
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, **options
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.goto(path.as_uri())
    return context, page, problems


def serious_violations(page, axe: str) -> tuple[list[str], list[str]]:
    """axe-core's serious and critical violations, and the others (for the message)."""
    page.evaluate(axe)
    found = page.evaluate("axe.run(document, {resultTypes: ['violations'], preload: false})")
    shown = [
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:3]} "
        f"{v['nodes'][0]['failureSummary'][:160]!r}"
        for v in found["violations"]
    ]
    serious = [
        text
        for v, text in zip(found["violations"], shown, strict=True)
        if v["impact"] in ("serious", "critical")
    ]
    return serious, shown


# --- axe-core --------------------------------------------------------------------------------

PAGES = [
    "index.html",
    "acme-corp/index.html",
    "acme-corp/2026-10/index.html",
    "saigon-foods/2026-10/index.html",
]


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_violation(browser, site, demo_site, width):
    axe = axe_source()
    pages = [site / page for page in PAGES] + [demo_site / "acme-corp" / "2026-10" / "index.html"]
    # bypass_csp: axe is injected as a script (the pages' CSP allows only their own).
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        is_mobile=width < 500,
        has_touch=width < 500,
        bypass_csp=True,
    )
    try:
        page = context.new_page()
        for path in pages:
            page.goto(path.as_uri())
            assert draw_all_charts(page) in (None, "none", "drawn"), path
            serious, shown = serious_violations(page, axe)
            assert serious == [], (path, width, shown)
            # The same page as it is before any chart draws (static markup): no worse.
            page.goto(path.as_uri())
            serious, shown = serious_violations(page, axe)
            assert serious == [], (path, width, "before drawing", shown)
    finally:
        context.close()


# --- keyboard --------------------------------------------------------------------------------


def tab_stops(page, limit: int = 250) -> list[dict]:
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    stops: list[dict] = []
    seen: set[str] = set()  # the focus came back round to a stop seen before
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(TAB_STOP)
        if stop is None or stop["key"] in seen:
            return stops
        seen.add(stop["key"])
        stops.append(stop)
    raise AssertionError(f"more than {limit} tab stops")


@pytest.mark.parametrize("width", [390, 1280])
def test_tab_order_has_no_chart_stops_and_every_stop_does_something(browser, site, width):
    context, page, problems = open_page(browser, site / "acme-corp" / "2026-10" / "index.html", width)
    try:
        assert draw_all_charts(page) == "drawn"
        charts = page.locator("[data-figure]").count()
        assert charts >= 6
        if width == 1280:  # a desktop keeps the toolbar for the mouse
            assert page.locator(".modebar-btn").count() > 0
        stops = tab_stops(page)
        assert [stop for stop in stops if stop["inChart"]] == []
        for stop in stops:
            useful = (
                (stop["tag"] == "a" and stop["href"])
                or stop["tag"] in ("summary", "button")
                or (stop["box"] and stop["scrolls"])
            )
            assert useful, stop
        # Counted: the links, one "Show the numbers" per chart, and the table boxes that scroll
        # (at 390 px the wide tables do; at 1280 px only the note's wide one), nothing else.
        summaries = [stop for stop in stops if stop["tag"] == "summary"]
        boxes = [stop for stop in stops if stop["box"]]
        links = [stop for stop in stops if stop["tag"] == "a"]
        assert len(summaries) == charts
        assert len(stops) == len(summaries) + len(boxes) + len(links)
        assert 1 <= len(boxes) <= 3 + (width < 500), boxes
        assert len(stops) < 45, [stop["key"] for stop in stops]
        # A table box that scrolls is a labelled region with a visible focus ring.
        for box in page.locator(".table-scroll[tabindex='0']").all():
            if box.is_visible():
                assert box.get_attribute("role") == "region"
                assert box.get_attribute("aria-label") or box.get_attribute("aria-labelledby")
        page.locator(".table-scroll[tabindex='0']:visible").first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert ring not in ("none", ""), ring
        assert problems == []
    finally:
        context.close()


def test_a_table_box_that_does_not_scroll_is_no_tab_stop(browser, site):
    context, page, _problems = open_page(browser, site / "acme-corp" / "2026-10" / "index.html", 1280)
    try:
        draw_all_charts(page)
        states = page.evaluate("""() => Array.from(document.querySelectorAll('.table-scroll'))
            .filter(box => box.clientWidth)
            .map(box => [box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1,
                         box.getAttribute('tabindex'), box.getAttribute('role'),
                         box.getAttribute('aria-label') || box.getAttribute('aria-labelledby')])""")
        assert states
        for scrolls, tabindex, role, name in states:
            assert (tabindex == "0") == scrolls, states
            assert role == "region" and name, states
        # A chart's numbers, opened: a day per row, taller than its box, so a tab stop.
        details = page.locator("details.chart-data").nth(1)
        details.locator("summary").click()
        page.wait_for_timeout(200)
        numbers = details.locator(".table-scroll")
        assert numbers.evaluate("box => box.scrollHeight > box.clientHeight + 1")
        assert numbers.get_attribute("tabindex") == "0"
        # Narrower: the same boxes now scroll, and are tab stops again.
        page.set_viewport_size({"width": 360, "height": 800})
        page.wait_for_timeout(300)
        assert page.locator(".data-table").count() >= 2
        for index in range(page.locator(".data-table").count()):
            box = page.locator(".table-scroll:has(> .data-table)").nth(index)
            assert box.get_attribute("tabindex") == "0"
    finally:
        context.close()


# --- charts for assistive technology ---------------------------------------------------------


@pytest.mark.parametrize("width", [390, 1280])
def test_each_chart_is_one_named_image_with_its_drawing_hidden(browser, site, width):
    context, page, _problems = open_page(browser, site / "acme-corp" / "2026-10" / "index.html", width)
    try:
        assert draw_all_charts(page) == "drawn"
        charts = page.evaluate("""() => Array.from(document.querySelectorAll('figure.chart')).map(f => {
            const svg = f.querySelector('svg.main-svg');
            const images = f.querySelectorAll('[role=img]');
            const hidden = svg && svg.closest('[aria-hidden=true]');
            return {images: images.length, name: images[0] ? images[0].getAttribute('aria-label') : '',
                    svg: !!svg, hidden: !!hidden && f.contains(hidden),
                    imageHoldsDrawing: !!(images[0] && svg && images[0].contains(svg)),
                    summary: (f.querySelector('.chart-summary') || {}).textContent,
                    focusable: f.querySelectorAll(
                      '[data-figure] :is(button, a[href], [tabindex]):not([tabindex="-1"])').length};
        })""")
        assert len(charts) >= 6
        for chart in charts:
            assert chart["images"] == 1 and chart["name"].strip(), chart
            assert chart["svg"] and chart["hidden"] and not chart["imageHoldsDrawing"], chart
            assert chart["name"] == chart["summary"], chart
            assert chart["focusable"] == 0, chart
        # What a screen reader gets from a chart: its title, the summary once, the numbers.
        figure = page.locator("figure.chart").first
        tree = figure.aria_snapshot()
        summary = charts[0]["summary"]
        assert tree.count(summary) == 1, tree
        assert "img" in tree and "Show the numbers" in tree, tree
        assert "svg" not in tree.lower() and "Oct 6" not in tree, tree  # no tick labels
    finally:
        context.close()


def test_forced_colors_keep_charts_and_the_budget_bar_readable(browser, site):
    context, page, _problems = open_page(browser, site / "acme-corp" / "2026-10" / "index.html", 1280)
    try:
        page.emulate_media(forced_colors="active")
        assert draw_all_charts(page) == "drawn"
        drawing = page.evaluate("""() => {
            const s = getComputedStyle(document.querySelector('.chart-canvas'));
            return [s.forcedColorAdjust, s.backgroundColor]; }""")
        assert drawing == ["none", "rgb(255, 255, 255)"], drawing
        meter = page.evaluate("""() => { const fill = document.querySelector('.meter-fill');
            const s = getComputedStyle(fill);
            return [s.backgroundColor, s.forcedColorAdjust, fill.getBoundingClientRect().width]; }""")
        assert meter[0] not in ("transparent", "rgba(0, 0, 0, 0)"), meter
        assert meter[1] == "none" and meter[2] > 10, meter
    finally:
        context.close()


# --- light: charts draw as they near the view ------------------------------------------------


def test_plotly_loads_and_charts_draw_only_as_they_near_the_view(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 700}, is_mobile=True, has_touch=True)
    requests: list[str] = []
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto((site / "acme-corp" / "2026-10" / "index.html").as_uri(), wait_until="load")
        page.wait_for_timeout(500)
        first = page.evaluate("document.querySelector('[data-figure]').getBoundingClientRect().top")
        assert first > 700 + 500, "the first chart is far below the fold on a phone"
        plotly = [url for url in requests if "plotly" in url]
        assert plotly == [], plotly
        assert page.locator("[data-drawn]").count() == 0
        # Text, scorecards and tables are there at once; each chart's box holds its place.
        assert page.locator("h1").is_visible() and page.locator(".scorecard").first.is_visible()
        assert page.locator(".data-table tbody tr").count() > 3
        before = page.evaluate("Array.from(document.querySelectorAll('[data-figure]'), e => e.offsetHeight)")
        assert min(before) >= 240, before
        # Near the first chart: plotly.js arrives and that chart draws; the last one waits.
        page.locator("[data-figure]").first.scroll_into_view_if_needed()
        page.wait_for_selector("[data-figure][data-drawn=true]", state="attached", timeout=30_000)
        assert [url for url in requests if "plotly" in url]
        last = page.locator("[data-figure]").last
        assert last.get_attribute("data-drawn") is None
        assert page.get_attribute("html", "data-charts") is None
        # Scrolled through: every chart drawn, and nothing moved when they arrived.
        assert draw_all_charts(page) == "drawn"
        after = page.evaluate("Array.from(document.querySelectorAll('[data-figure]'), e => e.offsetHeight)")
        assert all(abs(a - b) <= 2 for a, b in zip(after, before, strict=True)), (before, after)
        assert page.locator("[data-figure]:has(svg.main-svg)").count() == len(before)
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("how", ["print media", "beforeprint", "print media at load"])
def test_printing_draws_every_chart(browser, site, how):
    context = browser.new_context(viewport={"width": 1280, "height": 700})
    try:
        page = context.new_page()
        path = (site / "acme-corp" / "2026-10" / "index.html").as_uri()
        if how == "print media at load":  # a PDF printer (reportgen/pdf.py) emulates print first
            page.emulate_media(media="print")
        page.goto(path, wait_until="load")
        if how != "print media at load":
            page.wait_for_selector("[data-figure][data-drawn=true]", state="attached", timeout=30_000)
            assert page.locator("[data-figure]:not([data-drawn])").count() > 0  # below the fold
        if how == "print media":
            page.emulate_media(media="print")
        elif how == "beforeprint":
            page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        # No scrolling: printing alone draws them all.
        page.wait_for_selector("html[data-charts=drawn]", state="attached", timeout=30_000)
        assert page.locator("[data-figure]:not([data-drawn=true])").count() == 0
        if how == "beforeprint":
            assert page.locator("details.chart-data:not([open])").count() == 0
    finally:
        context.close()


def test_a_chart_that_cannot_draw_fails_the_page_at_once(browser, site, tmp_path):
    """No plotly.js: data-charts says "failed" as soon as the first chart tries, with why."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    for bundle in (copy / "assets").glob("plotly.*.js"):
        bundle.unlink()
    context, page, _problems = open_page(browser, copy / "acme-corp" / "2026-10" / "index.html", 1280)
    try:
        page.locator("[data-figure]").first.scroll_into_view_if_needed()
        page.wait_for_selector("html[data-charts=failed]", state="attached", timeout=30_000)
        assert "plotly.js did not load" in page.get_attribute("html", "data-chart-errors")
        assert page.locator("[data-figure][data-drawn=failed]").count() >= 1
    finally:
        context.close()


# --- generative: any wide note content stays accessible --------------------------------------

word = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12)
long_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßáươ", min_size=40, max_size=120)


@st.composite
def wide_notes(draw) -> str:
    columns = draw(st.integers(min_value=2, max_value=10))
    rows = draw(st.integers(min_value=1, max_value=4))
    header = "| " + " | ".join(draw(word) for _ in range(columns)) + " |"
    rule = "|" + "---|" * columns
    body = [
        "| " + " | ".join(draw(st.one_of(word, long_token)) for _ in range(columns)) + " |"
        for _ in range(rows)
    ]
    heading = draw(st.sampled_from(["", "## Results\n\n", "### Détails\n\n"]))
    return (
        f"---\nstatus: final\nsummary: {draw(long_token)}\n---\n{heading}"
        f"{draw(long_token)} {draw(word)}\n\n" + "\n".join([header, rule, *body]) + "\n"
    )


@pytest.fixture(scope="module")
def base_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("a11y-base") / "proj"
    make_project(root)
    return root


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=wide_notes(), width=st.sampled_from([360, 1280]))
def test_any_wide_note_keeps_the_report_accessible(browser, base_project, tmp_path_factory, note, width):
    axe = axe_source()
    root = tmp_path_factory.mktemp("case") / "proj"
    shutil.copytree(base_project, root)
    (root / "content" / "acme-corp" / "2026-10.md").write_text(note, encoding="utf-8")
    site = build(root)
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        is_mobile=width < 500,
        has_touch=width < 500,
        bypass_csp=True,
    )
    try:
        page = context.new_page()
        page.goto((site / "acme-corp" / "2026-10" / "index.html").as_uri())
        assert draw_all_charts(page) == "drawn"
        serious, shown = serious_violations(page, axe)
        assert serious == [], (note, shown)
        stops = tab_stops(page)
        assert [stop for stop in stops if stop["inChart"]] == []
        assert all(stop["scrolls"] for stop in stops if stop["box"]), stops
    finally:
        context.close()
