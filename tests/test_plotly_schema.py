"""Every figure the build embeds is valid for plotly's schema."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from helpers import figure_blocks

PAGES = [
    "acme-corp/index.html",
    "acme-corp/2026-10/index.html",  # note charts: line+previous, pie, bar by week vs target
    "acme-corp/2026-11/index.html",  # partial month
    "acme-corp/2025-09/index.html",  # a note and no data
    "saigon-foods/2026-10/index.html",  # VND axes
    "berlin-bikes/2026-10/index.html",
    "berlin-bikes/index.html",
]


@pytest.mark.parametrize("page", PAGES)
def test_embedded_figures_validate(built_site, page):
    html = (built_site / page).read_text(encoding="utf-8")
    blocks = figure_blocks(html)
    canvases = html.count('class="chart-canvas"')
    assert len(blocks) == canvases
    for element_id, figure in blocks.items():
        assert element_id.endswith("-data")
        assert set(figure) == {"data", "layout"}, element_id
        assert figure["data"], element_id
        try:
            go.Figure(figure)
        except ValueError as exc:  # plotly names the bad property
            pytest.fail(f"{page} #{element_id}: {exc}")


def test_report_has_the_expected_charts(built_site):
    blocks = figure_blocks((built_site / "acme-corp" / "2026-10" / "index.html").read_text())
    kinds = [trace["type"] for figure in blocks.values() for trace in figure["data"]]
    assert "pie" in kinds and "bar" in kinds and "scatter" in kinds
    # annotations of the note are marked on the daily charts
    assert any(figure["layout"].get("shapes") for figure in blocks.values())
