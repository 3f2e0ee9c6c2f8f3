"""Wide user content in notes never widens the page on a phone.

Found by an attacker: a note's Markdown table (or a long URL, or a long
German compound) made every such report scroll sideways at 390 px, and the
browser zoomed the whole page out. The class is "anything wide a note can
hold"; hypothesis writes notes with tables of many columns and long
unbreakable words, and each is opened at phone widths.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import run_cli
from helpers import draw_all_charts, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.browser

WIDTHS = [(360, 740), (390, 844)]
word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß0123456789", min_size=1, max_size=80)
long_token = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=60, max_size=200),
    st.builds(lambda w: "https://example.com/" + "/".join([w] * 6) + "?utm_source=newsletter", word),
)


@st.composite
def wide_notes(draw) -> str:
    columns = draw(st.integers(min_value=2, max_value=9))
    rows = draw(st.integers(min_value=1, max_value=4))
    header = "| " + " | ".join(draw(word) for _ in range(columns)) + " |"
    rule = "|" + "---|" * columns
    body = [
        "| " + " | ".join(draw(st.one_of(word, long_token)) for _ in range(columns)) + " |"
        for _ in range(rows)
    ]
    raw = draw(st.booleans())
    table = (
        ("<table><tr>" + "".join(f"<td>{draw(long_token)}</td>" for _ in range(columns)) + "</tr></table>")
        if raw
        else "\n".join([header, rule, *body])
    )
    return (
        f"---\nstatus: final\nsummary: {draw(long_token)}\n---\n## Results\n\n"
        f"{draw(long_token)} and {draw(word)}\n\n{table}\n\n- {draw(long_token)}\n"
    )


def overflow(browser, path, width: int, height: int) -> tuple[int, int]:
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        draw_all_charts(page, 30_000)  # every chart drawn (they draw as they near the view)
        return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    finally:
        context.close()


@pytest.fixture(scope="module")
def base_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("phone") / "proj"
    make_project(root)
    return root


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=wide_notes())
def test_wide_note_content_never_scrolls_the_page_sideways(browser, base_project, tmp_path_factory, note):
    root = tmp_path_factory.mktemp("case") / "proj"
    shutil.copytree(base_project, root)
    (root / "content" / "acme-corp" / "2026-10.md").write_text(note, encoding="utf-8")
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    page = root / "site" / "acme-corp" / "2026-10" / "index.html"
    for width, height in WIDTHS:
        scroll_width, inner_width = overflow(browser, page, width, height)
        assert scroll_width <= inner_width + 1, (width, scroll_width, note)
