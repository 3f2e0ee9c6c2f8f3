"""Chart text reaches WCAG AA (4.5:1) against what it sits on, for any brand colour (issue 11).

`text_on_backgrounds` lists every text a figure shows with the colour Plotly
gives it (the figure's own, or Plotly's default when the figure sets none) and
the colour under it: a pie's label and a slice, a badge's number and the
badge, an axis tick or a legend entry and the card (reportgen.css `--card`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import figure_blocks, make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import charts
from reportgen.colors import AA, contrast_ratio, readable_on, relative_luminance
from reportgen.i18n import Formatter

CSS = Path(__file__).resolve().parents[1] / "templates" / "static" / "reportgen.css"
CARD = re.search(r"--card:\s*(#[0-9a-fA-F]{6})", CSS.read_text(encoding="utf-8"))[1]
COLOR = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")


# --- the contrast helper against known pairs ---------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#777777", "#ffffff", 4.48),  # ... and the next one, which does not
        ("#ff0000", "#ffffff", 4.00),
        ("#0000ff", "#ffffff", 8.59),
        ("#00ff00", "#000000", 15.3),
        ("#334155", "#ffffff", 10.35),  # reportgen.css --ink-2 on the card
        ("#444444", "#10b981", 3.84),  # Plotly's own label colours on two palette colours
        ("#ffffff", "#8b5cf6", 4.23),
    ],
)
def test_contrast_ratio_known_pairs(a, b, ratio):
    assert contrast_ratio(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(b, a) == contrast_ratio(a, b)


def test_relative_luminance_known_values():
    assert relative_luminance("#000") == 0.0
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=1e-4)
    assert relative_luminance((255, 0, 0)) == pytest.approx(0.2126)


@settings(max_examples=300, deadline=None)
@given(COLOR)
def test_readable_on_reaches_aa_and_changes_a_fill_only_when_it_must(fill):
    moved, text = readable_on(fill, charts.INK)
    assert text in (charts.INK, "#ffffff")
    assert contrast_ratio(text, moved) >= AA
    if max(contrast_ratio(charts.INK, fill), contrast_ratio("#ffffff", fill)) >= AA:
        assert moved == fill
    else:  # a shade: each channel moves by a small fraction of the way
        assert max(abs(int(moved[i : i + 2], 16) - int(fill[i : i + 2], 16)) for i in (1, 3, 5)) <= 48


def test_chart_colours_are_the_stylesheets():
    css = CSS.read_text(encoding="utf-8")
    for name, value in (("--card", charts.CARD), ("--ink", charts.INK), ("--ink-2", charts.CHART_INK)):
        assert re.search(rf"{name}:\s*{value}\s*;", css, re.IGNORECASE), name


# --- every text of a figure ----------------------------------------------------------------


def parse_color(value: str) -> tuple[tuple[int, int, int], float]:
    """A Plotly colour string → ((r, g, b), alpha)."""
    value = value.strip().lower()
    if value.startswith("#"):
        digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)), 1.0
    match = re.fullmatch(r"rgba?\(([^)]*)\)", value)
    assert match, f"colour {value!r} not understood by this test"
    parts = [float(p) for p in match[1].split(",")]
    return (round(parts[0]), round(parts[1]), round(parts[2])), parts[3] if len(parts) > 3 else 1.0


def under(color: str | None, behind: str = CARD) -> str:
    """What a text sits on: `color`, or what shows through it when it is transparent."""
    if not color:
        return behind
    rgb, alpha = parse_color(color)
    assert alpha in (0.0, 1.0), f"half-transparent background {color!r}: blend it in the test"
    return behind if alpha == 0.0 else "#{:02x}{:02x}{:02x}".format(*rgb)


def plotly_contrast(background: str) -> str:
    """Plotly's own choice of label colour on `background` (Color.contrast): #444 or white."""
    r, g, b = parse_color(background)[0]
    return "#ffffff" if (r * 299 + g * 587 + b * 114) / 1000 < 128 else "#444444"


def at(value, index: int):
    return value[index] if isinstance(value, list) else value


def text_on_backgrounds(figure: dict, card: str = CARD) -> list[tuple[str, str, str]]:
    """(where, text colour, background) for every text the figure shows."""
    layout = figure["layout"]
    paper = under(layout.get("paper_bgcolor"), card)
    plot = under(layout.get("plot_bgcolor"), paper)
    ink = (layout.get("font") or {}).get("color") or "#444444"
    pairs = []
    for key, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", key) and axis.get("visible", True):
            pairs.append((f"{key} ticks", (axis.get("tickfont") or {}).get("color") or ink, paper))
    legend = layout.get("legend") or {}
    if layout.get("showlegend", True):
        pairs.append(
            ("legend", (legend.get("font") or {}).get("color") or ink, under(legend.get("bgcolor"), paper))
        )
    hover = layout.get("hoverlabel") or {}
    for number, note in enumerate(layout.get("annotations", ()), start=1):
        badge = under(note.get("bgcolor"), plot)
        pairs.append((f"annotation {number}", (note.get("font") or {}).get("color") or ink, badge))
        if note.get("hovertext"):
            label = note.get("hoverlabel") or {}
            background = under(label.get("bgcolor"), badge)
            pairs.append(
                (
                    f"annotation {number} hover",
                    (label.get("font") or {}).get("color") or plotly_contrast(background),
                    background,
                )
            )
    unified = str(layout.get("hovermode", "closest")).endswith("unified")
    for number, trace in enumerate(figure["data"], start=1):
        if trace["type"] == "pie":
            pairs.extend(_pie_pairs(number, trace, hover, paper))
            continue
        assert (
            "text" not in str(trace.get("mode", ""))
            and not trace.get("texttemplate")
            and (trace["type"] != "bar" or "text" not in trace)
        ), "text on a bar or line: test it here"
        label = hover if unified else {**hover, **(trace.get("hoverlabel") or {})}
        assert label.get("bgcolor"), f"trace {number}: hover label colour left to Plotly"
        pairs.append(
            (
                f"trace {number} hover",
                (label.get("font") or {}).get("color") or plotly_contrast(label["bgcolor"]),
                under(label["bgcolor"], paper),
            )
        )
    return pairs


def _pie_pairs(number: int, trace: dict, hover: dict, paper: str) -> list[tuple[str, str, str]]:
    fills = trace["marker"]["colors"]
    assert len(fills) >= len(trace["labels"]), "every slice's colour is the figure's own"
    inside = (trace.get("insidetextfont") or {}).get("color") or (trace.get("textfont") or {}).get("color")
    outside = (trace.get("outsidetextfont") or {}).get("color") or (trace.get("textfont") or {}).get("color")
    label = {**hover, **(trace.get("hoverlabel") or {})}
    pairs = []
    for index, fill in enumerate(fills[: len(trace["labels"])]):
        where = f"trace {number} slice {index + 1}"
        pairs.append((f"{where} inside", at(inside, index) or plotly_contrast(fill), fill))
        if trace.get("textposition", "auto") in ("auto", "outside"):
            pairs.append((f"{where} outside", at(outside, index) or "#444444", paper))
        background = under(at(label.get("bgcolor"), index) or fill, paper)
        pairs.append(
            (
                f"{where} hover",
                at((label.get("font") or {}).get("color"), index) or plotly_contrast(background),
                background,
            )
        )
    return pairs


def failures(figure: dict) -> list[str]:
    return [
        f"{where}: {text} on {background} is {contrast_ratio(under(text), background):.2f}:1"
        for where, text, background in text_on_backgrounds(figure)
        if contrast_ratio(under(text), background) < AA
    ]


def test_the_check_sees_plotlys_own_pie_colours():
    # Before issue 11 the figure left slice labels to Plotly (#444 on emerald: 3.84:1).
    figure = {
        "layout": {},
        "data": [
            {
                "type": "pie",
                "labels": ["a", "b"],
                "values": [1, 2],
                "marker": {"colors": ["#2563eb", "#10b981"]},
            }
        ],
    }
    assert [f.split(":")[0] for f in failures(figure)] == ["trace 1 slice 2 inside", "trace 1 slice 2 hover"]


FORMATTERS = [Formatter("en_US", "USD"), Formatter("de_DE", "EUR"), Formatter("vi_VN", "VND")]


@settings(max_examples=60, deadline=None)
@given(
    brand=COLOR,
    values=st.lists(st.integers(1, 10**7), min_size=1, max_size=12),
    fmt=st.sampled_from(FORMATTERS),
)
def test_every_chart_text_reaches_aa_for_any_brand_colour(brand, values, fmt):
    style = charts.ChartStyle(brand=brand, fmt=fmt)
    points = [(f"Group {i}", float(v)) for i, v in enumerate(values)]
    pie = charts.pie_chart("t", charts.Series("Spend", points, "currency"), style)
    assert len(pie.figure["data"][0]["labels"]) == len(values)
    assert failures(pie.figure) == []
    days = [(f"Oct {i}", float(v)) for i, v in enumerate(values, start=1)]
    for kind in ("line", "bar", "area"):
        view = charts.line_chart(
            "t",
            [
                charts.Series("Leads", days, "count"),
                charts.Series("Before", days, "count", style="previous"),
                charts.Series("Target", days, "count", style="target"),
            ],
            style,
            kind=kind,
            marks=[(0, "Launch"), (0, "Second"), (len(days) - 1, "End")],
        )
        assert failures(view.figure) == [], kind


@settings(max_examples=40, deadline=None)
@given(
    brand=st.one_of(COLOR, st.sampled_from(["#ffffff", "#fefefe", "#000000", *charts.PALETTE])),
    count=st.integers(1, 40),
)
def test_slices_past_the_palette_differ_from_their_neighbours(brand, count):
    fills, texts = charts.slice_colors(charts.ChartStyle(brand=brand, fmt=FORMATTERS[0]), count)
    assert len(fills) == len(texts) == count
    assert all(contrast_ratio(t, f) >= AA for f, t in zip(fills, texts, strict=True))
    if count > 1:
        assert all(fills[i] != fills[(i + 1) % count] for i in range(count)), fills


# --- a real report in Chromium -------------------------------------------------------------

# Neither the page's ink (4.47:1) nor white (4.0:1) reaches AA on this grey.
HARD_BRAND = "#7f7f7f"


@pytest.fixture(scope="module")
def grey_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contrast") / "proj"
    make_project(root)
    clients = root / "clients.yaml"
    clients.write_text(clients.read_text(encoding="utf-8").replace("#0b6e4f", HARD_BRAND), encoding="utf-8")
    result = run_cli("build", "--project", root, "--client", "acme-corp", "--jobs", "1")
    assert result.exit_code == 0, (result.output, result.exception)
    return root / "site"


def test_built_report_figures_reach_aa(grey_site):
    figures = figure_blocks((grey_site / "acme-corp" / "2026-10" / "index.html").read_text("utf-8"))
    figures = {key: value for key, value in figures.items() if key.startswith("chart-")}
    assert any(trace["type"] == "pie" for f in figures.values() for trace in f["data"])
    for key, figure in figures.items():
        assert failures(figure) == [], key


SLICE_COLOURS = """(canvas) => {
  const colour = (element) => getComputedStyle(element).fill;
  return Array.from(canvas.querySelectorAll('g.slice')).map((slice) => {
    const path = slice.querySelector('path.surface');
    const text = slice.querySelector('.slicetext text');
    if (!path || !text) { return null; }
    const box = text.getBoundingClientRect();
    const point = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2)
      .matrixTransform(path.getScreenCTM().inverse());
    let card = canvas;
    while (card && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(card).backgroundColor)) {
      card = card.parentElement;
    }
    return {text: colour(text), slice: colour(path), inside: path.isPointInFill(point),
            card: getComputedStyle(card).backgroundColor, label: text.textContent};
  }).filter(Boolean);
}"""


def rgb_hex(css: str) -> str:
    return "#{:02x}{:02x}{:02x}".format(*parse_color(css)[0])


@pytest.mark.browser
def test_pie_labels_in_chromium_reach_aa(browser, grey_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto((grey_site / "acme-corp" / "2026-10" / "index.html").as_uri())
        pies = page.evaluate("""() => Array.from(document.querySelectorAll('[data-figure]'))
            .filter(e => JSON.parse(document.getElementById(e.dataset.figure).textContent)
                         .data.some(t => t.type === 'pie')).map(e => e.id)""")
        assert pies
        checked = 0
        for chart_id in pies:
            canvas = page.locator(f"#{chart_id}")
            canvas.scroll_into_view_if_needed()  # charts may draw when they come into view
            page.wait_for_selector(f"#{chart_id} .slicetext text", state="attached", timeout=30_000)
            for label in canvas.evaluate(SLICE_COLOURS):
                background = rgb_hex(label["slice"] if label["inside"] else label["card"])
                ratio = contrast_ratio(rgb_hex(label["text"]), background)
                assert ratio >= AA, (chart_id, label, ratio)
                checked += 1
        assert checked >= 2
    finally:
        context.close()
