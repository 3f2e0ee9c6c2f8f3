"""Issue 15's fast paths on the render path, each checked against the code it replaced
on random inputs: the same answer, bit for bit (reprs compared, so -0.0, inf and NaN
count)."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from functools import partial, reduce
from itertools import repeat

import jinja2
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import i18n, sums
from reportgen.chartkinds import day_labels
from reportgen.i18n import NO_VALUE, Formatter
from reportgen.model import MetricRow, Month
from reportgen.render import _Environment

NUMBERS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, 0.0, -0.0, 1.0, 0.1, 0.2, 1e16, -1e16, 2**53 + 1]),
    st.floats(),
)
_FOLD = partial(reduce, operator.add)


def _column_sums_before(rows: Sequence[MetricRow], width: int) -> list[object] | None:
    """sums._column_sums as it was: every row looked at for None and its length first."""
    values = list(map(operator.itemgetter(3), rows))
    if any(map(operator.contains, values, repeat(None))) or set(map(len, values)) != {width}:
        return None
    return list(map(_FOLD, zip(*values, strict=True))) if width else []


@st.composite
def groups(draw: st.DrawFn) -> tuple[list[MetricRow], int]:
    width = draw(st.integers(0, 4))
    # mostly rows of the group's width, sometimes one shorter or longer
    lengths = st.one_of(st.just(width), st.just(width), st.just(width), st.integers(0, 5))
    rows = draw(
        st.lists(
            st.builds(
                MetricRow,
                st.just(dt.date(2026, 1, 1)),
                st.none(),
                st.none(),
                lengths.flatmap(lambda n: st.tuples(*[NUMBERS] * n)),
            ),
            max_size=7,
        )
    )
    return rows, draw(st.one_of(st.just(width), st.integers(0, 5)))


@settings(max_examples=300, deadline=None)
@given(groups())
def test_column_sums_answers_as_before(group: tuple[list[MetricRow], int]) -> None:
    rows, width = group
    assert repr(sums._column_sums(rows, width)) == repr(_column_sums_before(rows, width))


def _outcome(compute: object) -> str:
    try:
        return repr(compute())  # type: ignore[operator]
    except Exception as exc:  # both ways must fail alike
        return type(exc).__name__


def _sums_before(rows: Sequence[MetricRow], width: int) -> list[object]:
    total = _column_sums_before(rows, width)
    if total is None:
        total = [None] * width
        for row in rows:
            sums.add_into(total, row.values)  # type: ignore[arg-type]
    return total


@settings(max_examples=200, deadline=None)
@given(groups())
def test_sums_of_any_group_unchanged(group: tuple[list[MetricRow], int]) -> None:
    """The whole of sums._sums (the fold, else the row-by-row additions) on any rows."""
    rows, width = group
    if rows:
        assert _outcome(lambda: sums._sums(rows, width)) == _outcome(lambda: _sums_before(rows, width))


# --- Formatter.values: a series formatted at once ------------------------------------------

LOCALES = st.sampled_from(["en_US", "de_DE", "vi_VN", "fr_FR", "ja_JP", "ar_EG", "hi_IN"])
CURRENCIES = st.sampled_from(["USD", "EUR", "VND", "JPY", "INR"])
UNITS = st.sampled_from(["currency", "percent", "ratio", "count", "number", "other"])
VALUES = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(-1e12, 1e12),
    st.sampled_from([0, 0.0, -0.0, 0.5, 1.005, 999.995, 1234.5]),
)


@settings(max_examples=150, deadline=None)
@given(LOCALES, CURRENCIES, UNITS, st.lists(VALUES, max_size=40), st.booleans())
def test_values_formats_as_value_does(
    locale: str, currency: str, unit: str, values: list[float | None], warm: bool
) -> None:
    fmt = Formatter(locale, currency)
    if warm:  # some already memoised, some not
        for value in values[::2]:
            fmt.value(value, unit)
    fast = fmt.values(values, unit)
    i18n._VALUE_TEXTS.clear()
    assert fast == [fmt.value(value, unit) for value in values]
    i18n._VALUE_TEXTS.clear()
    assert fast == [fmt._value(value, unit) if value is not None else NO_VALUE for value in values]


# --- chartkinds.day_labels: a month's day labels made once per locale ---------------------


@settings(max_examples=150, deadline=None)
@given(
    LOCALES,
    st.integers(2000, 2040),
    st.integers(1, 12),
    st.integers(-3, 40),
    st.integers(-2, 2),
    st.booleans(),
)
def test_day_labels_as_each_day_formatted(
    locale: str, year: int, number: int, count: int, shift: int, gap: bool
) -> None:
    """Any run of days (from the month's first or not, too long, with a gap) gets each
    day's own label, memoised or not."""
    month = Month(year, number)
    start = month.first_day + dt.timedelta(days=shift)
    days = [start + dt.timedelta(days=i) for i in range(max(count, 0))]
    if gap and len(days) > 2:
        del days[1]
    fmt = Formatter(locale, "EUR")
    expected = [fmt.day_short(d) for d in days]
    assert day_labels(fmt, month, days) == expected
    assert day_labels(fmt, month, days) == expected  # again, from the memo


# --- render._Environment: template globals as a plain dict --------------------------------

NAMES = st.sampled_from(["a", "b", "c", "range", "reportgen_version", "x"])
LEAVES = st.one_of(st.integers(-5, 5), st.text(max_size=5), st.none())


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(NAMES, LEAVES, max_size=4),
    st.dictionaries(NAMES, LEAVES, max_size=4),
    st.dictionaries(NAMES, LEAVES, max_size=4),
)
def test_templates_see_the_globals_jinja_shows(
    env_globals: dict[str, object], template_globals: dict[str, object], context: dict[str, object]
) -> None:
    """The same page, includes and all, and the same names, whichever map holds the
    globals: Jinja's ChainMap or the plain dict _Environment makes."""
    sources = {
        "page.html": "{% for n in ['a', 'b', 'c', 'x'] %}[{{ n }}={% include 'part.html' %}]{% endfor %}"
        "{{ reportgen_version is defined }}",
        "part.html": "{{ a | default('-') }},{{ b | default('-') }},{{ x | default('-') }}",
    }
    pages = []
    for kind in (jinja2.Environment, _Environment):
        env = kind(loader=jinja2.DictLoader(sources), autoescape=True)
        env.globals.update(env_globals)
        template = env.get_template("page.html", globals=dict(template_globals))
        pages.append((template.render(context), sorted(template.globals), template.module.__class__))
    assert pages[0] == pages[1]
