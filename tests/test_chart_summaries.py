"""A chart's text alternative reads naturally for any series (attack a15d).

A series with one value said it four times ("22 (Nov 15) to 22 (Nov 15);
highest 22 (Nov 15), lowest 22 (Nov 15)"). Property, in every language: the
summary names each known value's label it quotes, a lone value once, and a
series with no value says so.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.charts import Series, describe_series
from reportgen.i18n import Formatter

FORMATTERS = [Formatter(locale, "EUR") for locale in ("en_US", "de_DE", "vi_VN")]
VALUES = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6).map(float))


@settings(max_examples=200, deadline=None)
@given(ys=st.lists(VALUES, max_size=31), fmt=st.sampled_from(FORMATTERS))
def test_the_summary_fits_the_number_of_values(ys, fmt):
    labels = [f"Day {i + 1}" for i in range(len(ys))]
    series = Series(name="Clicks", points=list(zip(labels, ys, strict=True)), unit="count")
    text = describe_series(series, fmt)
    known = [(label, y) for label, y in zip(labels, ys, strict=True) if y is not None]
    assert text.startswith("Clicks") or not known
    if not known:
        assert text == fmt.gettext("No data for this period.")
    elif len(known) == 1:
        ((label, value),) = known
        assert text.count(f"({label})") == 1
        # said once (not counting the label's own digits: "Clicks: 1 (Day 1)")
        assert text.replace(f"({label})", "").replace("Clicks", "").count(fmt.value(value, "count")) == 1
    else:
        assert f"({known[0][0]})" in text and f"({known[-1][0]})" in text
