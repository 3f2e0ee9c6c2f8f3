"""Paper and polish: a monthly report prints as a document (A4 and Letter), the budget bar
matches its text, one rounding rule per figure, no doubled full stop, logos as outlines,
chart toolbars in the page's language."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import run_cli
from helpers import draw_all_charts
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.charts import ChartStyle, Series, line_chart, pie_chart
from reportgen.i18n import LOCALES_DIR, Formatter, sentence
from reportgen.model import Month
from reportgen.pages import budget_meter

REPO = Path(__file__).resolve().parent.parent
CSS = REPO / "templates" / "static" / "reportgen.css"
LOCALES = ("en_US", "de_DE", "vi_VN", "fr_FR")
CURRENCIES = {"en_US": "USD", "de_DE": "EUR", "vi_VN": "VND", "fr_FR": "EUR"}
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MAX_PAGES = 8  # the demo's October report (issue 11)


# --- the demo, as the repository has it -------------------------------------------------------


def documented_demo_day() -> dt.date:
    """The day the repository's demo project is for (data through the day before)."""
    from reportgen.demo import REFERENCE_DAY

    return REFERENCE_DAY


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    from reportgen.demo import write_demo_agency

    root = tmp_path_factory.mktemp("print") / "demo"
    day = documented_demo_day()
    write_demo_agency(root, day)
    moment = dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=dt.UTC)
    result = run_cli("build", "--project", root, env={"SOURCE_DATE_EPOCH": str(int(moment.timestamp()))})
    assert result.exit_code == 0, result.output
    return root / "site"


def october_reports(site: Path) -> list[Path]:
    reports = sorted(site.glob("*/2026-10/index.html"))
    assert len(reports) == 4
    return reports


def page_margins_mm() -> tuple[float, float]:
    """(left + right, top + bottom) of the stylesheet's @page margin, in mm."""
    match = re.search(r"@page\s*\{\s*margin:\s*([^;}]+)", CSS.read_text(encoding="utf-8"))
    assert match, "reportgen.css sets the printed page's margins"
    sides = [float(v.removesuffix("mm")) for v in match.group(1).split()]
    top, right, bottom, left = {1: sides * 4, 2: sides * 2, 3: [*sides, sides[1]], 4: sides}[len(sides)]
    return left + right, top + bottom


def content_width_px(paper: str) -> int:
    """The page box's content width in CSS px (96 per inch)."""
    return int((PAPER_MM[paper][0] - page_margins_mm()[0]) * 96 / 25.4)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def open_report(browser, path: Path, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(path.as_uri())
    assert draw_all_charts(page, 30_000) == "drawn"  # charts draw as they near the view
    return context, page, problems


def printed_layout(page, width: int) -> None:
    """Print media at the page box's width; waits until every chart is redrawn to its box."""
    page.set_viewport_size({"width": width, "height": 1100})
    page.emulate_media(media="print")
    for _ in range(50):  # the print media listener redraws synchronously once it runs
        if page.evaluate("""() => Array.from(document.querySelectorAll('.chart-canvas')).every(c => {
                const s = c.querySelector('svg.main-svg');
                return s && Math.abs(s.getBoundingClientRect().width - c.clientWidth) < 2; })"""):
            return
        page.wait_for_timeout(100)
    raise AssertionError("charts were not redrawn at their printed width")


FITS = """() => {
    const main = document.querySelector('main').getBoundingClientRect();
    const out = (r) => r.right > main.right + 1 || r.left < main.left - 1;
    return {
      page: [document.documentElement.scrollWidth, window.innerWidth],
      wideTables: Array.from(document.querySelectorAll('main table'))
        .filter(t => out(t.getBoundingClientRect()))
        .map(t => [t.querySelector('th') && t.querySelector('th').textContent,
                   t.getBoundingClientRect().right, main.right]),
      scrollbars: Array.from(document.querySelectorAll('main *'))
        .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
                     && e.scrollWidth > e.clientWidth + 1).map(e => e.className),
      wideCharts: Array.from(document.querySelectorAll('.chart-canvas'))
        .filter(c => out(c.querySelector('svg.main-svg').getBoundingClientRect())).map(c => c.id),
      crowdedCells: Array.from(document.querySelectorAll('main th, main td'))
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent),
    }; }"""

BUDGET_BAR = """() => {
    const box = (s) => { const e = document.querySelector(s); return e && e.getBoundingClientRect(); };
    const track = box('.meter-bar'), fill = box('.meter-fill'), over = box('.meter-over');
    const mark = box('.meter-mark'), label = box('.meter-label');
    return {text: document.querySelector('.budget-figures').textContent,
            filled: (over ? over.right : fill.right) - track.left, budget: mark.right - track.left,
            labelRight: label.right, markRight: mark.right,
            label: document.querySelector('.meter-label').textContent}; }"""

AFTER_PRINT = """() => Array.from(document.querySelectorAll('.chart-canvas'))
    .filter(c => Math.abs(c.querySelector('svg.main-svg').getBoundingClientRect().width - c.clientWidth) > 2
                 || c.querySelector('svg.main-svg').getBoundingClientRect().height < 200)
    .map(c => c.id)"""

TOOLBAR = """() => Array.from(document.querySelectorAll('.modebar-btn'))
    .map(b => b.getAttribute('data-title'))"""


@pytest.fixture(scope="module")
def printed(browser, demo_site) -> dict:
    """Each October report (and two months over budget), opened once: its PDFs in A4 and
    Letter, then its layout in print media at each paper's width."""
    overspent = [
        p
        for p in sorted(demo_site.glob("*/20*/index.html"))
        if 'class="meter-over"' in p.read_text(encoding="utf-8")
    ]
    assert overspent, "the demo has a month over budget"
    results = {}
    for path in [*october_reports(demo_site), *overspent[:2]]:
        october = path.parent.name == "2026-10"
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error, problems=problems: problems.append(str(error)))
        try:
            page.goto(path.as_uri())
            draw_all_charts(page, 30_000)  # charts draw as they near the view
            found = {
                "charts": page.evaluate("document.documentElement.dataset.charts"),
                "lang": page.evaluate("document.documentElement.lang").split("-")[0],
                "toolbar": page.evaluate(TOOLBAR),
                "bar": {"screen": page.evaluate(BUDGET_BAR)},
                "pages": {},
                "fits": {},
                "problems": problems,
            }
            for paper in sorted(PAPER_MM) if october else ():
                found["pages"][paper] = pdf_pages(page.pdf(format=paper, print_background=True))
            page.wait_for_timeout(200)
            found["after"] = page.evaluate(AFTER_PRINT)  # back on screen: charts fill their boxes
            for paper in sorted(PAPER_MM):
                printed_layout(page, content_width_px(paper))
                found["fits"][paper] = page.evaluate(FITS) if october else None
                found["bar"][paper] = page.evaluate(BUDGET_BAR)
                page.emulate_media(media="screen")
            results[f"{path.parent.parent.name}/{path.parent.name}"] = found
        finally:
            context.close()
    return results


# --- printing the demo's October reports --------------------------------------------------------


@pytest.mark.browser
def test_the_demo_october_reports_print_to_a_few_pages(printed):
    counts = {name: found["pages"] for name, found in printed.items() if found["pages"]}
    assert len(counts) == 4 and set(next(iter(counts.values()))) == set(PAPER_MM)
    for name, pages in counts.items():
        assert all(1 <= n <= MAX_PAGES for n in pages.values()), (name, pages)
    for name, found in printed.items():
        assert found["charts"] == "drawn" and found["problems"] == [], (name, found["problems"])
        assert found["after"] == [], (name, "charts not back at their screen size", found["after"])


@pytest.mark.browser
def test_printed_reports_fit_the_page_box(printed):
    for name, found in printed.items():
        for paper, report in found["fits"].items():
            if report is None:
                continue
            where = (name, paper)
            assert report["page"][0] <= report["page"][1], (where, report["page"])
            assert report["wideTables"] == [], (where, report["wideTables"])
            assert report["scrollbars"] == [], (where, report["scrollbars"])  # no printed scrollbar
            assert report["wideCharts"] == [], (where, report["wideCharts"])
            assert report["crowdedCells"] == [], (where, report["crowdedCells"])  # no text overlaps


def wide_note_body(seed: int = 7) -> str:
    """Markdown tables of 3 to 24 columns, long unbroken words, a long code line."""
    import random

    rng = random.Random(seed)
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(180))
    parts = [f"\n\nA word that never breaks: {word}.\n"]
    for columns in (3, 9, 16, 24):
        head = " | ".join(f"Column heading {i} with words" for i in range(columns))
        cells = " | ".join(rng.choice([word[:40], "1,234,567.89", "short", word]) for _ in range(columns))
        parts.append(f"\n| {head} |\n|{'---|' * columns}\n| {cells} |\n| {cells} |\n")
    parts.append(f"\n```\n{word} {word}\n```\n")
    return "".join(parts)


@pytest.mark.browser
@pytest.mark.parametrize("paper", sorted(PAPER_MM))
def test_a_note_with_wide_tables_and_long_words_prints_within_the_page(browser, copy_project, paper):
    root = copy_project("wide")
    note = root / "content" / "acme-corp" / "2026-10.md"
    note.write_text(note.read_text(encoding="utf-8") + wide_note_body(), encoding="utf-8")
    assert run_cli("build", "--project", root).exit_code == 0
    context, page, problems = open_report(browser, root / "site" / "acme-corp" / "2026-10" / "index.html")
    try:
        printed_layout(page, content_width_px(paper))
        report = page.evaluate(FITS)
        assert report["page"][0] <= report["page"][1], report["page"]
        assert report["wideTables"] == [] and report["scrollbars"] == [], report
        assert problems == []
    finally:
        context.close()


@pytest.mark.browser
def test_printed_report_is_a_document(browser, demo_site):
    path = demo_site / "acme-corp" / "2026-10" / "index.html"
    context, page, _problems = open_report(browser, path)
    try:
        printed_layout(page, content_width_px("A4"))
        layout = page.evaluate("""() => {
            const style = (e) => getComputedStyle(e);
            const shown = (e) => style(e).display !== 'none' && e.getBoundingClientRect().height > 0;
            const first = (s) => document.querySelector(s);
            return {
              hidden: ['.month-nav', '.downloads', '.chart-data summary', '.modebar-container']
                .filter(s => first(s) && shown(first(s))),
              whole: ['.chart', '.scorecard', '.budget-summary', '.table-scroll', 'tr']
                .filter(s => style(first(s)).breakInside !== 'avoid'),
              headings: Array.from(document.querySelectorAll('main h2, .chart-title'))
                .filter(h => style(h).breakAfter !== 'avoid').map(h => h.textContent),
              numbers: Array.from(document.querySelectorAll('figure.chart')).map(f => {
                const canvas = f.querySelector('.chart-canvas').getBoundingClientRect();
                const tables = Array.from(f.querySelectorAll('table')).filter(shown);
                return [f.querySelector('.chart-title').textContent, tables.length,
                        tables.every(t => t.getBoundingClientRect().top >= canvas.bottom)];
              }),
              cover: ['.masthead .client-name', '.report-head .eyebrow', '.report-head h1',
                      '.report-head .lead', '.scorecards']
                .map(s => first(s) && first(s).getBoundingClientRect().bottom),
            }; }""")
        assert layout["hidden"] == []
        assert layout["whole"] == []
        assert layout["headings"] == []
        # every chart's numbers print once, right after it
        assert layout["numbers"] and all(n == 1 and after for _t, n, after in layout["numbers"]), layout[
            "numbers"
        ]
        # the cover: client, month, summary, then the scorecards, in that order, on page one
        cover = layout["cover"]
        assert all(cover) and cover == sorted(cover), cover
        page_height = (PAPER_MM["A4"][1] - page_margins_mm()[1]) * 96 / 25.4
        assert cover[-1] < page_height
    finally:
        context.close()


# --- the budget bar ---------------------------------------------------------------------------


@given(share=st.floats(min_value=0, max_value=6, allow_nan=False))
@settings(max_examples=50, deadline=None)
def test_budget_meter_fill_stands_to_the_mark_as_spend_to_budget(share):
    meter = budget_meter(share, Formatter("en_US", "USD"))
    assert 0 <= meter.fill <= 100 and 0 <= meter.over <= 100 and 0 < meter.mark <= 100
    assert meter.fill + meter.over <= 100.000001
    assert (meter.fill + meter.over) / meter.mark == pytest.approx(share)
    assert meter.mark_label == "100%"
    if share <= 1:
        assert meter.mark == 100 and meter.over == 0


@pytest.mark.browser
def test_budget_bar_fill_matches_its_percentage(printed):
    assert any(
        found["bar"]["screen"]["filled"] > found["bar"]["screen"]["budget"] + 1 for found in printed.values()
    ), "an overspent month is among the pages"
    for name, found in printed.items():
        for media, bar in found["bar"].items():
            pct = float(re.search(r"\((\d+)\s*%\)", bar["text"].replace("\xa0", " ")).group(1))
            assert bar["filled"] / bar["budget"] * 100 == pytest.approx(pct, abs=0.75), (name, media, bar)
            assert bar["label"].replace("\xa0", "").replace(" ", "") == "100%"
            assert abs(bar["labelRight"] - bar["markRight"]) < 3, (name, media, bar)  # labels the mark


# --- one rounding rule --------------------------------------------------------------------------

values = st.lists(st.floats(min_value=0.0001, max_value=1e7, allow_nan=False), min_size=1, max_size=8)


@given(values=values, locale=st.sampled_from(LOCALES))
@settings(max_examples=50, deadline=None)
def test_pie_percentages_are_the_tables(values, locale):
    fmt = Formatter(locale, CURRENCIES[locale])
    style = ChartStyle(brand="#0b6e4f", fmt=fmt)
    series = Series("Spend", [(f"group {i}", v) for i, v in enumerate(values)], "currency")
    view = pie_chart("Mix", series, style)
    trace = view.figure["data"][0]
    assert trace["textinfo"] == "text"
    assert list(trace["text"]) == [row[2] for row in view.rows]
    assert list(trace["customdata"]) == [row[1] for row in view.rows]
    assert "%{text}" in trace["hovertemplate"] and "%{percent}" not in trace["hovertemplate"]


@given(
    values=values,
    locale=st.sampled_from(LOCALES),
    unit=st.sampled_from(["count", "currency", "percent", "ratio", "number"]),
)
@settings(max_examples=50, deadline=None)
def test_chart_hover_values_are_the_tables(values, locale, unit):
    fmt = Formatter(locale, CURRENCIES[locale])
    style = ChartStyle(brand="#0b6e4f", fmt=fmt)
    scaled = [v / 1e7 for v in values] if unit == "percent" else values
    main = Series("This month", [(f"d{i}", v) for i, v in enumerate(scaled)], unit)
    previous = Series(
        "Last month", [(f"d{i}", v * 0.9) for i, v in enumerate(scaled)], unit, style="previous"
    )
    view = line_chart("Trend", [main, previous], style)
    for column, trace in enumerate(view.figure["data"], start=1):
        assert list(trace["customdata"]) == [row[column] for row in view.rows]
        assert trace["hovertemplate"].startswith("%{customdata}")


# --- no doubled full stop ------------------------------------------------------------------------


def catalog_sentences() -> list[str]:
    """Every translated message in which a placeholder ends the sentence: "… {day}."."""
    found = ["Spent {spent} of a {budget} budget by {day}."]
    for po in sorted(LOCALES_DIR.glob("*.po")):
        with po.open("rb") as handle:
            found += [
                m.string
                for m in read_po(handle)
                if isinstance(m.string, str) and re.search(r"\}\.", m.string)
            ]
    return found


@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    locale=st.sampled_from(LOCALES),
    template=st.sampled_from(catalog_sentences()),
)
@settings(max_examples=50, deadline=None)
def test_a_sentence_never_ends_in_two_full_stops(day, locale, template):
    fmt = Formatter(locale, CURRENCIES[locale])
    names = set(re.findall(r"\{(\w+)\}", template))
    for text in (fmt.day_short(day), fmt.date(day), fmt.month_short(Month.of(day)), "Acme Inc."):
        filled = sentence(template, **dict.fromkeys(names, text))
        assert ".." not in filled.replace("...", ""), filled
        assert filled.rstrip().endswith((".", "!", "?")) or not template.rstrip().endswith(".")


@given(
    parts=st.lists(
        st.text(alphabet="ab.{} ", max_size=6).filter(lambda s: "{" not in s and "}" not in s),
        min_size=1,
        max_size=4,
    ),
    value=st.text(alphabet="xyz. ", max_size=6),
)
@settings(max_examples=50, deadline=None)
def test_sentence_is_format_unless_a_value_ends_in_a_full_stop(parts, value):
    template = "{v}".join(parts)
    expected = template.format(v=value)
    filled = sentence(template, v=value)
    if not value.endswith("."):
        assert filled == expected
    else:
        assert len(filled) >= len(expected) - (len(parts) - 1)
        assert filled.replace(".", "") == expected.replace(".", "")


def test_german_budget_summary_has_one_full_stop():
    fmt = Formatter("de_DE", "EUR")
    text = sentence(
        fmt.gettext("Spent {spent} of a {budget} budget by {day}."),
        spent="27.371,62 €",
        budget="30.000 €",
        day=fmt.day_short(dt.date(2026, 10, 31)),
    )
    assert text == "27.371,62 € von 30.000 € Budget ausgegeben bis 31. Okt."


# --- logos are outlines ----------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def demo_logos(tmp_path: Path) -> list[Path]:
    from reportgen.demo import write_demo_agency

    write_demo_agency(tmp_path, documented_demo_day())
    return sorted((tmp_path / "assets").glob("*.svg")) + sorted((REPO / "assets").glob("*.svg"))


def test_demo_logos_draw_no_font_dependent_text(tmp_path):
    from reportgen.images import load_image

    logos = demo_logos(tmp_path)
    assert len(logos) >= 10
    for path in logos:
        tree = ET.fromstring(path.read_bytes())
        assert not [e for e in tree.iter() if e.tag in (f"{SVG}text", f"{SVG}tspan", f"{SVG}textPath")], path
        published, left_out = load_image(path)
        assert left_out == (), (path, left_out)  # the sanitizer keeps every shape
        assert published.count(b"<path") == path.read_bytes().count(b"<path")


@pytest.mark.browser
def test_demo_logos_fit_their_canvas(browser, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    try:
        for path in demo_logos(tmp_path):
            page.set_content(path.read_text(encoding="utf-8"))
            box = page.evaluate("""() => { const svg = document.querySelector('svg');
                const v = svg.viewBox.baseVal; const b = svg.getBBox();
                return [b.x, b.y, b.x + b.width, b.y + b.height,
                        v.x, v.y, v.x + v.width, v.y + v.height]; }""")
            x0, y0, x1, y1, vx0, vy0, vx1, vy1 = box
            assert vx0 <= x0 and vy0 <= y0 and x1 <= vx1 and y1 <= vy1, (path.name, box)
    finally:
        context.close()


# --- chart toolbars speak the page's language ------------------------------------------------------


@pytest.mark.browser
def test_chart_toolbar_is_in_the_pages_language(printed):
    expected = {"de": "Achsen zurücksetzen", "vi": "Đặt lại trục", "en": "Reset axes"}
    for name, found in printed.items():
        assert expected[found["lang"]] in found["toolbar"], (name, found["toolbar"])
        if found["lang"] != "en":
            assert not {"Reset axes", "Zoom in", "Pan"} & set(found["toolbar"]), (name, found["toolbar"])
    assert {found["lang"] for found in printed.values()} == set(expected)
