"""A `<summary>` is the toggle of its `<details>`: a link inside it is a control
inside a control (axe-core's nested-interactive, found by the generative axe test
in test_attack11_pages.py). The repair shows such a link as its text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.notehtml import render_markdown

words = st.text(alphabet="abcxyz ", min_size=0, max_size=8)
links = st.builds(
    lambda href, text: f'<a href="{href}">{text}</a>',
    st.sampled_from(["https://x.example", "#section", "mailto:a@b.example"]),
    words,
)
pieces = st.lists(st.one_of(words, links, words.map(lambda w: f"<b>{w}</b>")), max_size=4)


def _summaries(html: str) -> list[str]:
    return re.findall(r"<summary>(.*?)</summary>", html, flags=re.S)


@settings(max_examples=60, deadline=None)
@given(pieces=pieces, nested=st.booleans())
def test_a_summary_never_holds_a_link(pieces, nested):
    inside = "".join(pieces)
    if nested:
        inside = f"<b>{inside}</b>"
    html = render_markdown(f"<details><summary>{inside}</summary>body</details>\n")
    for summary in _summaries(html):
        assert "<a " not in summary and "<a>" not in summary
        assert summary.strip()  # an empty one is dropped, never kept blank


def test_a_link_with_no_text_in_a_summary_shows_its_url():
    html = render_markdown("<details><summary><a href='https://x.example'></a></summary>b</details>\n")
    assert "<summary>https://x.example</summary>" in html


def test_links_outside_summaries_are_kept():
    html = render_markdown("<details><summary>More</summary><a href='https://x.example'>x</a></details>\n")
    assert '<a href="https://x.example"' in html
