"""Texts that carry a count agree with it: "1 group", never "1 groups" (attack a15d).

The class is any translated text with a count in it. Two checks: no gettext call
in the code or the theme has a `{count}` placeholder (a count goes through
ngettext, so each language's plural rule picks the form), and the channel-mix
summary reads right for every number of groups in every shipped language.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.charts import Series, describe_shares
from reportgen.i18n import Formatter

ROOT = Path(__file__).resolve().parent.parent
SINGULAR_ONLY = re.compile(r"""(?<![n\w])(?:gettext|_)\(\s*(["'])[^"']*\{count\}""")


def test_no_count_goes_through_a_singular_only_gettext():
    sources = [*sorted((ROOT / "reportgen").glob("*.py")), *sorted((ROOT / "templates").rglob("*.html"))]
    offenders = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in sources
        for text in [path.read_text(encoding="utf-8")]
        for m in SINGULAR_ONLY.finditer(text)
    ]
    assert not offenders, f"use ngettext for a text with a count: {offenders}"


PLURAL_WORDS = {"en_US": "groups", "de_DE": "Gruppen", "vi_VN": None}  # Vietnamese has one form


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=40),
    locale=st.sampled_from(sorted(PLURAL_WORDS)),
    values=st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=40, max_size=40),
)
def test_the_channel_mix_summary_agrees_with_its_count(count, locale, values):
    points = [(f"Group {i}", values[i]) for i in range(count)]
    text = describe_shares(Series("Spend", points, "money"), points, Formatter(locale, "EUR"))
    assert f": {count} " in text and "{" not in text
    largest = max(points, key=lambda p: p[1])[0]
    assert largest in text
    plural = PLURAL_WORDS[locale]
    if plural is not None:
        assert (plural in text) == (count != 1), text
