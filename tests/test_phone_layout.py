"""Phone first: no page scrolls sideways, charts fit their box, a swipe on a chart scrolls
the page, and nothing overlaps a legend (issue 11).

Found by an audit at 390 px: pages scrolled sideways, charts spilled onto their summary
after a rotation (plotly.js's resize handler drops the drawing's height and sizes it from
its box), a vertical swipe on a chart zoomed it, the toolbar covered legends and event
badges, and event badges covered legend text. Every check runs in headless Chromium on
the demo project (the repository's own content) and on a generated project whose note
holds a wide table and long unbroken words; the overlap rule also runs generatively over
layouts (series, long names, event badges, widths) on figures from reportgen.charts.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import plotly
import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.charts import ChartStyle, Series, line_chart, pie_chart
from reportgen.i18n import Formatter

try:
    from helpers import draw_all_charts
except ImportError:  # pragma: no cover - until tests/helpers.py has it

    def draw_all_charts(page, timeout_ms: int = 30_000) -> str:
        for element in page.query_selector_all("[data-figure]"):
            element.scroll_into_view_if_needed(timeout=timeout_ms)
        page.wait_for_selector("html[data-charts]", state="attached", timeout=timeout_ms)
        page.evaluate("window.scrollTo(0, 0)")
        return page.get_attribute("html", "data-charts")


pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
PHONES = [(360, 740), (390, 844), (740, 360), (844, 390)]  # portrait and landscape

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenhersteller" * 2
LONG_URL = (
    "https://example.com/campaigns/"
    + "very-long-path-segment-" * 8
    + "?utm_source=newsletter&utm_medium=email&utm_campaign="
    + "x" * 60
)
WIDE_TABLE = "\n".join(
    [
        "| " + " | ".join(f"Column header {i}" for i in range(10)) + " |",
        "|" + "---|" * 10,
        *[
            "| "
            + " | ".join(f"{LONG_WORD[:40]} {r}{i}" if i % 3 == 0 else f"cell {r}{i} text" for i in range(10))
            + " |"
            for r in range(3)
        ],
    ]
)


# --- projects ----------------------------------------------------------------------------


def _build(root: Path) -> Path:
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The repository's own demo project (clients.yaml, data/, content/, assets/), built."""
    root = tmp_path_factory.mktemp("demo") / "proj"
    root.mkdir()
    if not (REPO / "clients.yaml").exists():
        pytest.skip("the demo project is not in this checkout")
    shutil.copy(REPO / "clients.yaml", root / "clients.yaml")
    for folder in ("data", "content", "assets"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    return _build(root)


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory) -> Path:
    """A generated project whose October note (acme-corp) adds a 10-column table, a long
    unbroken word and a long URL to its charts and events."""
    root = tmp_path_factory.mktemp("wide") / "proj"
    make_project(root)
    note = root / "content" / "acme-corp" / "2026-10.md"
    text = note.read_text(encoding="utf-8")
    extra = f"\n\n{WIDE_TABLE}\n\n{LONG_WORD}\n\nSee {LONG_URL}\n"
    note.write_text(text + extra, encoding="utf-8")
    return _build(root)


def _pages(site: Path) -> list[Path]:
    """The landing page, every client home and every monthly report."""
    return sorted(p for p in site.rglob("index.html") if p.parent.name != "assets")


def _report(site: Path, client: str, month: str) -> Path:
    page = site / client / month / "index.html"
    assert page.exists(), page
    return page


def _context(browser, width: int, height: int, *, phone: bool):
    return browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=3 if phone else 1,
    )


def _wait(predicate, seconds: float = 5.0):
    """Poll a page condition from Python (the pages' CSP forbids wait_for_function)."""
    deadline = time.monotonic() + seconds
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.1)
        value = predicate()
    return value


# --- no page scrolls sideways ------------------------------------------------------------


SIDEWAYS = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.mark.parametrize("width,height", PHONES)
def test_no_page_scrolls_sideways_on_a_phone(browser, wide_site, demo_site, width, height):
    pages = _pages(wide_site) + _pages(demo_site)
    context = _context(browser, width, height, phone=True)
    try:
        page = context.new_page()
        wide = []
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            scroll_width, inner_width = page.evaluate(SIDEWAYS)
            if scroll_width > inner_width:
                wide.append((str(path), scroll_width))
        assert not wide, (width, height, inner_width, wide)
    finally:
        context.close()


@pytest.mark.parametrize("width,height", PHONES[:2])
def test_reports_with_every_chart_drawn_fit_a_phone(browser, wide_site, demo_site, width, height):
    reports = [
        _report(wide_site, "acme-corp", "2026-10"),
        _report(demo_site, "acme-corp", "2026-10"),
        _report(demo_site, "pho-saigon", "2026-10"),
        _report(demo_site, "nordlicht-moebel", "2026-10"),
    ]
    context = _context(browser, width, height, phone=True)
    try:
        page = context.new_page()
        for path in reports:
            page.goto(path.as_uri())
            assert draw_all_charts(page) == "drawn", path
            scroll_width, inner_width = page.evaluate(SIDEWAYS)
            assert scroll_width <= inner_width, (str(path), scroll_width, inner_width)
    finally:
        context.close()


# --- charts fit their box ------------------------------------------------------------------


FIT = """() => Array.from(document.querySelectorAll('[data-figure][data-drawn]'), el => {
  const svg = el.querySelector('.main-svg').getBoundingClientRect();
  const box = el.getBoundingClientRect();
  const next = el.parentNode.querySelector('.chart-summary').getBoundingClientRect();
  return {id: el.id, room: el.clientWidth, width: svg.width, bottom: svg.bottom,
          boxBottom: box.bottom, summaryTop: next.top};
})"""


def _misfits(page) -> list[dict]:
    return [
        c
        for c in page.evaluate(FIT)
        if c["width"] > c["room"] + 0.5
        or c["bottom"] > c["summaryTop"] + 0.5
        or c["bottom"] > c["boxBottom"] + 0.5
    ]


@pytest.mark.parametrize(
    "start,end,phone",
    [
        ((1280, 900), (390, 844), False),  # a desktop window narrowed to a phone's width
        ((1280, 900), (360, 740), False),
        ((844, 390), (390, 844), True),  # a phone rotated from landscape to portrait
        ((390, 844), (844, 390), True),  # and back
    ],
)
def test_charts_fit_their_box_after_a_resize(browser, wide_site, demo_site, start, end, phone):
    context = _context(browser, *start, phone=phone)
    try:
        page = context.new_page()
        for path in (_report(demo_site, "acme-corp", "2026-10"), _report(wide_site, "acme-corp", "2026-10")):
            page.set_viewport_size({"width": start[0], "height": start[1]})
            page.goto(path.as_uri())
            assert draw_all_charts(page) == "drawn"
            assert page.evaluate(FIT), "no chart drawn"
            assert not _misfits(page), ("before", start, _misfits(page))
            page.set_viewport_size({"width": end[0], "height": end[1]})
            # plotly.js redraws 100 ms after the resize event: wait until every drawing fits
            _wait(lambda: not _misfits(page), 3.0)
            assert not _misfits(page), (str(path), start, end, _misfits(page))
            scroll_width, inner_width = page.evaluate(SIDEWAYS)
            assert scroll_width <= inner_width, (str(path), end, scroll_width)
    finally:
        context.close()


# --- a swipe on a chart scrolls the page; a mouse drag still zooms on a desktop ------------


XRANGE = "el => JSON.stringify(el._fullLayout.xaxis.range)"


def _line_chart(page):
    for element in page.query_selector_all(
        "figure.chart-line [data-figure], figure.chart-area [data-figure]"
    ):
        return element
    raise AssertionError("no line chart on the page")


def test_a_touch_swipe_that_starts_on_a_chart_scrolls_the_page(browser, demo_site):
    context = _context(browser, 390, 844, phone=True)
    try:
        page = context.new_page()
        page.goto(_report(demo_site, "acme-corp", "2026-10").as_uri())
        assert draw_all_charts(page) == "drawn"
        chart = _line_chart(page)
        chart.scroll_into_view_if_needed()
        page.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().top - 100)", chart)
        before_range = page.evaluate(XRANGE, chart)
        before = page.evaluate("window.scrollY")
        box = chart.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        cdp = context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 13):
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": [{"x": x + step, "y": y - 15 * step}]},
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_timeout(400)
        assert page.evaluate("window.scrollY") > before + 50
        assert page.evaluate(XRANGE, chart) == before_range, "the swipe zoomed the chart"
        assert page.query_selector(".notifier-note") is None  # "Double-click to zoom back out"
    finally:
        context.close()


def test_a_mouse_drag_on_a_desktop_still_zooms(browser, demo_site):
    context = _context(browser, 1280, 900, phone=False)
    try:
        page = context.new_page()
        page.goto(_report(demo_site, "acme-corp", "2026-10").as_uri())
        assert draw_all_charts(page) == "drawn"
        chart = _line_chart(page)
        chart.scroll_into_view_if_needed()
        before = page.evaluate(XRANGE, chart)
        plot = chart.query_selector(".nsewdrag").bounding_box()
        y = plot["y"] + plot["height"] / 2
        page.mouse.move(plot["x"] + plot["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(plot["x"] + plot["width"] * 0.5, y, steps=8)
        page.mouse.move(plot["x"] + plot["width"] * 0.7, y, steps=8)
        page.mouse.up()
        assert _wait(lambda: page.evaluate(XRANGE, chart) != before, 2.0)
    finally:
        context.close()


# --- nothing overlaps a legend -----------------------------------------------------------

# Boxes of a drawn chart: its legend entries (not the hover label's), the toolbar, the event
# badges, and the drawing itself.
BOXES = """el => {
  const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const modebar = el.querySelector('.modebar');
  return {svg: r(el.querySelector('.main-svg')),
          legend: Array.from(el.querySelectorAll('.infolayer .legend .traces'), r),
          modebar: modebar && modebar.getBoundingClientRect().width ? r(modebar) : null,
          badges: Array.from(el.querySelectorAll('.infolayer .annotation'), r)};
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def overlaps(boxes: dict) -> list[str]:
    """What covers what: the toolbar over a legend entry or a badge, a badge over a legend
    entry, or a legend entry outside the drawing (cut off)."""
    found = []
    legend, badges, modebar, svg = boxes["legend"], boxes["badges"], boxes["modebar"], boxes["svg"]
    for entry in legend:
        if modebar and _overlap(modebar, entry):
            found.append(f"toolbar {modebar} covers legend entry {entry}")
        found += [f"badge {badge} covers legend entry {entry}" for badge in badges if _overlap(badge, entry)]
        if entry[0] < svg[0] - 0.5 or entry[2] > svg[2] + 0.5 or entry[3] > svg[3] + 0.5:
            found.append(f"legend entry {entry} is cut off by the drawing {svg}")
    if modebar:
        found += [f"toolbar {modebar} covers badge {badge}" for badge in badges if _overlap(modebar, badge)]
    return found


@pytest.mark.parametrize("width,phone", [(360, True), (390, True), (1280, False)])
def test_nothing_overlaps_a_legend_on_the_demo_reports(browser, demo_site, wide_site, width, phone):
    context = _context(browser, width, 844, phone=phone)
    try:
        page = context.new_page()
        for path in (
            _report(demo_site, "acme-corp", "2026-10"),
            _report(demo_site, "pho-saigon", "2026-10"),
            _report(demo_site, "nordlicht-moebel", "2026-10"),
            _report(wide_site, "acme-corp", "2026-10"),
        ):
            page.goto(path.as_uri())
            assert draw_all_charts(page) == "drawn"
            for chart in page.query_selector_all("[data-figure]"):
                chart.scroll_into_view_if_needed()
                if not phone:
                    chart.hover()  # the toolbar shows while the pointer is over a chart
                assert not overlaps(page.evaluate(BOXES, chart)), (str(path), chart.get_attribute("id"))
    finally:
        context.close()


# --- the overlap rule over layouts (figures from reportgen.charts, drawn by plotly.js) -----

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# reportgen.js's toolbar (the widest one; a phone shows none, here it shows at every width)
CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "displayModeBar": True,
    "modeBarButtons": [["toImage", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]],
}
HARNESS_WIDTHS = [(360, True), (390, True), (1280, False)]


@pytest.fixture(scope="module")
def harness(browser, tmp_path_factory):
    """One page per width holding a chart box as a report's: plotly.js from plotly's own
    package data; each example is drawn in it with Plotly.newPlot."""
    folder = tmp_path_factory.mktemp("harness")
    shutil.copy(REPO / "templates" / "static" / "reportgen.css", folder / "reportgen.css")
    shutil.copy(PLOTLY_JS, folder / "plotly.min.js")
    (folder / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="reportgen.css"><script src="plotly.min.js"></script>'
        '<main class="wrap"><div class="chart-grid"><figure class="chart">'
        '<div class="chart-canvas" id="c"></div><p class="chart-summary">Summary.</p>'
        "</figure></div></main>",
        encoding="utf-8",
    )
    pages, contexts = [], []
    for width, phone in HARNESS_WIDTHS:
        context = _context(browser, width, 800, phone=phone)
        contexts.append(context)
        page = context.new_page()
        page.goto((folder / "index.html").as_uri())
        pages.append((width, phone, page))
    yield pages
    for context in contexts:
        context.close()


names = st.one_of(
    st.sampled_from(
        [
            "Spend to date",
            "Budget pace",
            "Oct 2026",
            "Year before",
            "Target",
            "Projected month end",
            "Daily pace to target",
            "Dự báo cuối tháng",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=1, max_size=90),
    st.text(alphabet="WMQ", min_size=20, max_size=70),  # wide, unbreakable
)


@st.composite
def figures(draw) -> dict:
    fmt = Formatter(draw(st.sampled_from(["en_US", "de_DE", "vi_VN"])), "USD")
    style = ChartStyle(brand="#2563eb", fmt=fmt)
    kind = draw(st.sampled_from(["line", "bar", "area", "pie"]))
    count = draw(st.integers(min_value=1, max_value=8 if kind == "pie" else 4))
    labels = [f"Oct {day}" for day in range(1, draw(st.integers(min_value=3, max_value=31)) + 1)]
    scale = draw(st.sampled_from([1, 1000, 10**7]))
    if kind == "pie":
        points = [(draw(names) + f" {i}", float(scale * (i + 1))) for i in range(count)]
        return pie_chart("t", Series("Spend", points, "currency"), style).figure
    styles = ["main", draw(st.sampled_from(["previous", "target"])), "target", "previous"]
    series = [
        Series(
            draw(names),
            [(label, float(scale * (i + 1) * (j + 1))) for j, label in enumerate(labels)],
            "currency",
            styles[i],
        )
        for i in range(count)
    ]
    marks = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=len(labels) - 1), names), max_size=5))
    return line_chart("t", series, style, kind=kind, marks=marks).figure


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(figure=figures())
def test_nothing_overlaps_a_legend_in_any_layout(harness, figure):
    for width, _phone, page in harness:
        page.evaluate("([f, config]) => Plotly.newPlot('c', f.data, f.layout, config)", [figure, CONFIG])
        chart = page.query_selector("#c")
        chart.hover()
        found = overlaps(page.evaluate(BOXES, chart))
        assert not found, (width, found)
        fit = page.evaluate(FIT.replace("[data-figure][data-drawn]", "#c"))[0]
        assert fit["width"] <= fit["room"] + 0.5 and fit["bottom"] <= fit["summaryTop"] + 0.5, (width, fit)
