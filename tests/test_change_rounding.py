"""A change that rounds to zero reads "no change", never "▼ 0.0% (worse)" (screenshot review).

The demo's December card said "▼ 0.0% vs Dec 2025 (worse)": a change of -0.01 %
shown with one decimal. Property: over ratios, verdicts and locales, the words and
arrow agree with the number the client reads.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from reportgen import metrics as m
from reportgen.i18n import Formatter
from reportgen.pages import ARROWS, change_view


def shows_a_change(text: str) -> bool:
    return any(ch.isdigit() and unicodedata.digit(ch, 0) for ch in text)


@given(
    ratio=st.one_of(
        st.floats(-0.002, 0.002, allow_nan=False), st.floats(-5, 5, allow_nan=False), st.just(0.0)
    ),
    better=st.sampled_from(["higher", "lower"]),
    locale=st.sampled_from(["en_US", "de_DE", "vi_VN", "fr_FR"]),
    projected=st.booleans(),
)
def test_the_words_agree_with_the_number_shown(ratio, better, locale, projected):
    change = m.compute_change(1 + ratio, 1.0, better)
    if change.ratio is None:
        return
    fmt = Formatter(locale, "EUR")
    view = change_view(change, "Dec 2025", fmt, projected)
    if shows_a_change(fmt.change(change.ratio)):
        assert view.verdict == change.verdict
        assert view.arrow == ARROWS["up" if change.ratio > 0 else "down"]
    else:
        assert view.verdict == "same" and view.arrow == ARROWS["flat"]
