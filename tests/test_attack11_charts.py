"""Charts of names, and long legends, fit a phone, a desktop and paper (issue 11, attack 11).

Found: a bar chart `by: campaign` (or channel) with long names shrank its plot to ~40 px on
a phone, its names tilted 90° and cut, running through the legend (45° in landscape and on
paper; with many channels off the drawing); a pie of 30 campaigns made its legend a scroll
box (Plotly's default legend.maxheight, half the drawing: entries cut, ~600 px blank above
it, the scrollbar printed, slice labels over the legend). Every figure here comes from
reportgen.charts and is drawn by plotly.js in Chromium, in a box styled by reportgen.css,
at 360, 390, 844x390 and 1280 px and in print media (as reportgen.js redraws a chart at its
printed box).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import plotly
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.charts import (
    TICK_CHARS,
    TICK_LINES,
    ChartStyle,
    Series,
    line_chart,
    pie_chart,
    tick_text,
)
from reportgen.i18n import Formatter

REPO = Path(__file__).resolve().parent.parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ATTACK_NAME = "Brand search – exact match – US & Canada – desktop + mobile – always on"
# (width, height, phone, print)
VIEWS = [
    (360, 740, True, False),
    (390, 844, True, False),
    (844, 390, True, False),
    (1280, 900, False, False),
    (1280, 900, False, True),
]


# --- without a browser: the names on the axis ---------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=200))
def test_a_tick_label_is_at_most_two_short_lines(name):
    text = tick_text(name)
    shown = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    lines = shown.split("<br>")
    assert len(lines) <= TICK_LINES
    assert all(len(line) <= TICK_CHARS for line in lines), lines
    assert "<" not in text.replace("<br>", "")  # escaped: no markup from the name


def test_the_full_name_stays_in_the_hover_and_the_table():
    style = ChartStyle(brand="#2563eb", fmt=Formatter("en_US", "USD"))
    names = [f"{ATTACK_NAME} {i}" for i in range(12)]
    view = line_chart(
        "Leads by campaign",
        [Series("Oct 2026", [(n, 10.0 + i) for i, n in enumerate(names)], "number")],
        style,
        kind="bar",
        named=True,
    )
    [trace] = view.figure["data"]
    assert trace["orientation"] == "h"
    assert [row[0] for row in view.rows] == names
    assert trace["y"] == trace["hovertext"] == [n.replace("&", "&amp;") for n in names]
    assert "%{hovertext}" in trace["hovertemplate"]
    ticks = view.figure["layout"]["yaxis"]["ticktext"]
    assert len(set(ticks)) == len(names)  # cut names that differ at the end show their end
    assert ticks[0] == "Brand search –<br>…e – always on 0"


# --- in a browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness(browser, tmp_path_factory):
    """One page per view holding a chart box as a report's (reportgen.css, plotly.js from the
    plotly package); each figure is drawn in it as reportgen.js draws it."""
    folder = tmp_path_factory.mktemp("harness11")
    shutil.copy(REPO / "templates" / "static" / "reportgen.css", folder / "reportgen.css")
    shutil.copy(PLOTLY_JS, folder / "plotly.min.js")
    (folder / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="reportgen.css"><script src="plotly.min.js"></script>'
        '<main class="wrap"><div class="chart-grid"><figure class="chart" id="f">'
        '<div class="chart-canvas" id="c"></div><p class="chart-summary">Summary.</p>'
        '</figure><figure class="chart"><div class="chart-canvas"></div></figure></div></main>',
        encoding="utf-8",
    )
    pages, contexts = [], []
    for width, height, phone, printing in VIEWS:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        contexts.append(context)
        page = context.new_page()
        page.goto((folder / "index.html").as_uri())
        if printing:
            page.emulate_media(media="print")
        pages.append(((width, height, phone, printing), page))
    yield pages
    for context in contexts:
        context.close()


# As reportgen.js: on a touch device no toolbar (its strip goes to the plot); in print the
# drawing takes its printed box's size.
DRAW = """async ([figure, phone, printing, kind, printHeight]) => {
  const el = document.getElementById('c');
  document.getElementById('f').className = 'chart chart-' + kind;
  el.style.setProperty('--chart-height', figure.layout.height + 'px');
  if (printHeight) el.style.setProperty('--print-height', printHeight + 'px');
  else el.style.removeProperty('--print-height');
  let layout = figure.layout;
  if (phone) layout = Object.assign({}, layout, {dragmode: false,
                                                 margin: Object.assign({}, layout.margin, {t: 8})});
  Plotly.purge(el);
  await Plotly.newPlot(el, figure.data, layout, {responsive: true, displayModeBar: !phone});
  if (printing) await Plotly.relayout(el, {width: el.clientWidth, height: el.clientHeight});
}"""

MEASURE = """() => {
  const el = document.getElementById('c');
  const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const svg = el.querySelector('.main-svg');
  const drag = el.querySelector('.draglayer .nsewdrag');
  const legendBg = el.querySelector('.legend .bg');
  const scrollbar = el.querySelector('.legend .scrollbar');
  const sb = scrollbar ? scrollbar.getBoundingClientRect() : null;
  const ticks = Array.from(el.querySelectorAll('.xtick text, .ytick text'), t => ({
    box: r(t), text: t.textContent, transform: t.getAttribute('transform') || ''}));
  return {
    svg: r(svg), box: r(el), summary: r(document.querySelector('#f .chart-summary')),
    plot: drag ? r(drag) : null,
    legend: Array.from(el.querySelectorAll('.legend .traces'), r),
    legendBg: legendBg ? r(legendBg) : null,
    scrollbar: sb && sb.width > 0 && sb.height > 0 ? [sb.left, sb.top, sb.right, sb.bottom] : null,
    ticks: ticks.filter(t => t.text !== '' && t.box[2] > t.box[0]),  // not hidden
    pie: Array.from(el.querySelectorAll('.pielayer .slice path.surface'), r),
    sliceText: Array.from(el.querySelectorAll('.pielayer .slicetext'), r)
      .filter(b => b[2] - b[0] > 0),
  };
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _inside(inner, outer, slack=1.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def problems(m: dict, *, pie: bool) -> list[str]:
    found = []
    svg = m["svg"]
    if m["scrollbar"]:
        found.append(f"the legend scrolls (scrollbar {m['scrollbar']})")
    for entry in m["legend"]:
        if not _inside(entry, svg):
            found.append(f"legend entry {entry} outside the drawing {svg}")
        if m["legendBg"] and not _inside(entry, m["legendBg"]):
            found.append(f"legend entry {entry} cut by the legend's box {m['legendBg']}")
    for tick in m["ticks"]:
        if "rotate" in tick["transform"] and "rotate(0" not in tick["transform"]:
            found.append(f"tick label {tick['text']!r} tilted: {tick['transform']}")
        if not _inside(tick["box"], svg):
            found.append(f"tick label {tick['text']!r} {tick['box']} outside the drawing {svg}")
        found += [
            f"tick label {tick['text']!r} over legend entry {entry}"
            for entry in m["legend"]
            if _overlap(tick["box"], entry)
        ]
    ticks = [t["box"] for t in m["ticks"]]
    found += [
        f"tick labels {a} and {b} overlap"
        for i, a in enumerate(ticks)
        for b in ticks[i + 1 :]
        if _overlap(a, b)
    ]
    if m["plot"] is not None and m["plot"][3] - m["plot"][1] < 120:
        found.append(f"plot area {m['plot'][3] - m['plot'][1]:.0f} px tall")
    if svg[3] > m["box"][3] + 0.5 or svg[2] > m["box"][2] + 0.5:
        found.append(f"drawing {svg} leaves its box {m['box']}")
    if pie:
        if len(m["legend"]) != len(m["pie"]):  # Plotly merges slices of the same label
            found.append(f"{len(m['legend'])} legend entries for {len(m['pie'])} slices")
        for text in m["sliceText"]:
            found += [
                f"slice label {text} over legend entry {entry}"
                for entry in m["legend"]
                if _overlap(text, entry)
            ]
        if m["pie"] and m["legend"]:
            gap = min(e[1] for e in m["legend"]) - max(p[3] for p in m["pie"])
            if gap > 60:
                found.append(f"{gap:.0f} px blank between the pie and its legend")
    return found


def draw_and_check(harness, chart, kind: str) -> list[tuple]:
    """Draw a ChartView in every view (as the chart partial and reportgen.js do)."""
    failures = []
    for view, page in harness:
        _width, _height, phone, printing = view
        page.evaluate(DRAW, [chart.figure, phone, printing, kind, chart.print_height])
        found = problems(page.evaluate(MEASURE), pie=kind == "pie")
        if found:
            failures.append((view, found))
    return failures


NAMES = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz –&+", min_size=1, max_size=200),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzWM", min_size=1, max_size=200),  # no spaces
    st.sampled_from(
        [
            ATTACK_NAME,
            "Search",
            "Paid social",
            "Direct",
            "Đặt bàn – Hà Nội",
            "https://example.com/landing/very/long/path?utm_source=google",
        ]
    ),
)


def _names(draw, count: int) -> list[str]:
    return [f"{draw(NAMES)} {i}" for i in range(count)]


@st.composite
def named_charts(draw) -> dict:
    fmt = Formatter(
        draw(st.sampled_from(["en_US", "de_DE", "vi_VN"])), draw(st.sampled_from(["USD", "EUR", "VND"]))
    )
    style = ChartStyle(brand="#0f766e", fmt=fmt)
    names = _names(draw, draw(st.integers(min_value=1, max_value=30)))
    unit = draw(st.sampled_from(["number", "currency", "percent"]))
    # a percent is a share or a rate (0.05, 1.2, at most some thousand per cent)
    scale = draw(st.sampled_from([0.01, 1] if unit == "percent" else [1, 1000, 10**7]))
    now = Series("Oct 2026", [(n, float(scale * (i + 1))) for i, n in enumerate(names)], unit)
    series = [now]
    if draw(st.booleans()):
        series.append(
            Series("Sep 2026", [(n, float(scale * (30 - i))) for i, n in enumerate(names)], unit, "previous")
        )
    kind = draw(st.sampled_from(["bar", "bar", "line", "area"]))
    return line_chart("t", series, style, kind=kind, named=True)


@st.composite
def pies(draw) -> dict:
    fmt = Formatter(draw(st.sampled_from(["en_US", "vi_VN"])), "USD")
    style = ChartStyle(brand="#0f766e", fmt=fmt)
    names = _names(draw, draw(st.integers(min_value=1, max_value=30)))
    weights = draw(
        st.lists(st.integers(min_value=1, max_value=1000), min_size=len(names), max_size=len(names))
    )
    chart = pie_chart(
        "t", Series("Spend", list(zip(names, map(float, weights), strict=True)), "currency"), style
    )
    assert len(set(chart.figure["data"][0]["labels"])) == len(names)  # one slice per name
    return chart


@pytest.mark.browser
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(figure=named_charts())
def test_charts_of_names_fit_every_view(harness, figure):
    assert not (failures := draw_and_check(harness, figure, "bar")), failures


@pytest.mark.browser
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(figure=pies())
def test_a_pie_legend_of_any_length_shows_every_entry(harness, figure):
    assert not (failures := draw_and_check(harness, figure, "pie")), failures


@pytest.mark.browser
@pytest.mark.parametrize("count", [1, 5, 12, 30])
def test_the_attack_cases_fit(harness, count):
    style = ChartStyle(brand="#0f766e", fmt=Formatter("en_US", "USD"))
    names = [f"{ATTACK_NAME} {i}" for i in range(count)]
    bars = line_chart(
        "Leads by campaign",
        [
            Series("Oct 2026", [(n, 10.0 * (i + 1)) for i, n in enumerate(names)], "number"),
            Series("Sep 2026", [(n, 9.0 * (i + 1)) for i, n in enumerate(names)], "number", "previous"),
        ],
        style,
        kind="bar",
        named=True,
    )
    assert not (failures := draw_and_check(harness, bars, "bar")), failures
    pie = pie_chart(
        "Spend by campaign", Series("Spend", [(n, 100.0 + i) for i, n in enumerate(names)], "currency"), style
    )
    assert not (failures := draw_and_check(harness, pie, "pie")), failures
