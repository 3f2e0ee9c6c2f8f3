"""Attack on issue 11, on paper: long campaign names print inside their own column.

Found: a pie by campaign over 30 campaigns with names of ~100 characters (spaces included)
printed its numbers table in newspaper columns whose name cells never wrapped, so the
names ran over the figures beside them. Generated names (words of any length, sometimes
one that never breaks) must stay inside their cells, and no table may be wider than the
printed page box, on A4 and Letter.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import DEFAULT_MARKERS, HEADER, draw_all_charts, make_project, note_text, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CSS = REPO / "templates" / "static" / "reportgen.css"
CLIENT = "acme-corp"
CHANNEL = f"search {DEFAULT_MARKERS[CLIENT]}"
PAPER_WIDTH_MM = {"A4": 210.0, "Letter": 215.9}


def content_width_px(paper: str) -> int:
    """The printed page box's width in CSS px, between the stylesheet's @page margins."""
    match = re.search(r"@page\s*\{\s*margin:\s*([^;}]+)", CSS.read_text(encoding="utf-8"))
    sides = [float(v.removesuffix("mm")) for v in match[1].split()]
    right = sides[1] if len(sides) > 1 else sides[0]
    left_right = right + (sides[3] if len(sides) == 4 else right)
    return int((PAPER_WIDTH_MM[paper] - left_right) * 96 / 25.4)


def with_campaigns(root: Path, names: list[str]) -> None:
    """acme-corp with one campaign per name, each spending in October 2026, and a note
    charting spend by campaign (a pie) and leads by campaign (a bar)."""
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    client = next(c for c in document["clients"] if c["id"] == CLIENT)
    client["campaigns"] += [
        {"id": f"long-{i}", "name": name, "channel": CHANNEL} for i, name in enumerate(names)
    ]
    config.write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )
    rows = []
    for day in range(1, 32):
        for i in range(len(names)):
            rows.append(
                {
                    "date": dt.date(2026, 10, day).isoformat(),
                    "campaign": f"long-{i}",
                    "channel": CHANNEL,
                    "impressions": 1000 + 37 * i,
                    "clicks": 40 + i,
                    "spend": round(12.5 + 3.1 * i, 2),
                    "conversions": i % 5,
                    "leads": i % 7,
                    "revenue": round(80.0 + 9 * i, 2),
                }
            )
    write_csv(root / "data" / CLIENT / "long-names.csv", rows, HEADER)
    body = (
        "Long names.\n\n```chart\nmetric: spend\ntype: pie\nby: campaign\n```\n\n"
        "```chart\nmetric: leads\ntype: bar\nby: campaign\n```\n"
    )
    (root / "content" / CLIENT / "2026-10.md").write_text(
        note_text({"summary": "Thirty campaigns"}, body), encoding="utf-8"
    )


word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöéđ", min_size=1, max_size=14)
unbroken = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=30, max_size=60)


@st.composite
def campaign_names(draw) -> list[str]:
    names = []
    for index in range(draw(st.integers(min_value=12, max_value=30))):
        parts = draw(st.lists(st.one_of(word, word, word, unbroken), min_size=4, max_size=14))
        names.append((f"{index} " + " ".join(parts))[:100])
    return names


CROWDED = """() => {
    const main = document.querySelector('main').getBoundingClientRect();
    return {
      page: [document.documentElement.scrollWidth, window.innerWidth],
      wideTables: Array.from(document.querySelectorAll('main table'))
        .filter(t => t.getBoundingClientRect().right > main.right + 1)
        .map(t => [t.getBoundingClientRect().right, main.right]),
      crowdedCells: Array.from(document.querySelectorAll('main th, main td'))
        .filter(c => c.getClientRects().length && c.scrollWidth > c.clientWidth + 1)
        .map(c => [c.textContent.slice(0, 40), c.scrollWidth, c.clientWidth]),
    }; }"""

REDRAWN = """() => Array.from(document.querySelectorAll('.chart-canvas')).every(c => {
    const s = c.querySelector('svg.main-svg');
    return s && Math.abs(s.getBoundingClientRect().width - c.clientWidth) < 2; })"""


@pytest.fixture(scope="module")
def base_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("print11") / "proj"
    make_project(root)
    return root


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=campaign_names(), paper=st.sampled_from(sorted(PAPER_WIDTH_MM)))
def test_long_campaign_names_print_inside_their_cells(browser, base_project, tmp_path_factory, names, paper):
    import shutil

    root = tmp_path_factory.mktemp("names") / "proj"
    shutil.copytree(base_project, root)
    with_campaigns(root, names)
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto((root / "site" / CLIENT / "2026-10" / "index.html").as_uri())
        assert draw_all_charts(page) == "drawn"
        page.set_viewport_size({"width": content_width_px(paper), "height": 1100})
        page.emulate_media(media="print")
        for _ in range(50):  # reportgen.js redraws each chart at its printed width
            if page.evaluate(REDRAWN):
                break
            page.wait_for_timeout(100)
        found = page.evaluate(CROWDED)
        assert found["page"][0] <= found["page"][1], (paper, found["page"])
        assert found["wideTables"] == [], (paper, found["wideTables"])
        assert found["crowdedCells"] == [], (paper, found["crowdedCells"][:5])
    finally:
        context.close()
