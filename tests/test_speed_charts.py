"""The chart path's fast ways answer exactly as the slow ones do (issue 15: no output changes).

- The built-in partials/chart.html is built in Python (render.chart_fragment): the same
  bytes as Jinja rendering the same file as a project's own partial (which always goes
  through Jinja), included from a page or rendered alone, on random charts; anything
  unusual, errors included, is the template's own rendering.
- line_chart and pie_chart format each value once, for its hover text and its cell of the
  numbers table: the same texts as a Formatter call for each, the table's rows looked up by
  label as before (a label twice: its last value).
- So is the built-in partials/table.html (render.table_fragment), its cells escaped at once.
- chartlayout memoises names wrapped for legends and axes, and a pie's slice colours.
- table_rows escapes a plain table (rows of str cells of one width) in one piece: the same
  text as escaping it cell by cell.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from reportgen import chartlayout, render
from reportgen.charts import ChartStyle, ChartView, Series, line_chart, pie_chart
from reportgen.errors import InputError
from reportgen.i18n import Formatter
from reportgen.pages import Table
from reportgen.plotlytext import PlotlyText, plotly_text
from reportgen.render import (
    CHART_PARTIAL,
    SHIPPED_PARTIALS,
    TABLE_PARTIAL,
    ChartSlot,
    builtin_templates_dir,
    make_environment,
    render_chart,
    render_page,
)

PAGE = '<main>{% for chart in charts %}{% include "partials/chart.html" %}{% endfor %}</main>\n'
TABLES = '<main>{% for table in tables %}{% include "partials/table.html" %}{% endfor %}</main>\n'

# Texts as users write them: unicode, markup, quotes, entities, Plotly's own tags, blanks.
TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "<b>x</b>",
            "a & b",
            "\"q\" 'q'",
            "&amp;",
            "</script>",
            "\u2028\u2029",
            "Oct 5",
            "1.234,5 €",
        ]
    ),
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e300, -1e15, 123456789.123, 0.1 + 0.2]),
)
NUMBERS = st.one_of(st.none(), st.integers(-(10**18), 10**18), FLOATS)
LOCALES = st.sampled_from(["en_US", "de_DE", "vi_VN", "fr_FR"])


@st.composite
def views(draw: st.DrawFn) -> ChartView:
    points = draw(st.integers(0, 8))
    layout: dict[str, Any] = {"margin": {"l": 8}, "separators": draw(st.sampled_from([".,", ",."]))}
    height = draw(st.one_of(st.none(), st.just(0), st.integers(1, 3000)))
    if height is not None:
        layout["height"] = height
    trace = {
        "type": "scatter",
        "name": draw(TEXTS),
        "x": draw(st.lists(TEXTS, min_size=points, max_size=points)),
        "y": draw(st.lists(NUMBERS, min_size=points, max_size=points)),
        "customdata": draw(st.lists(TEXTS, min_size=points, max_size=points)),
    }
    width = draw(st.integers(1, 4))
    rows = draw(
        st.lists(st.tuples(*[TEXTS] * width).map(tuple), max_size=6).map(tuple)  # type: ignore[arg-type]
    )
    return ChartView(
        title=draw(TEXTS),
        figure={"data": [trace], "layout": layout},
        summary=draw(TEXTS),
        columns=tuple(draw(st.lists(TEXTS, min_size=1, max_size=4))),
        rows=rows,
        notes=tuple(draw(st.lists(TEXTS, max_size=3))),
        kind=draw(st.sampled_from(["line", "bar", "area", "pie", "<x>"])),
        print_height=draw(st.one_of(st.none(), st.just(0), st.integers(1, 5000))),
    )


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> tuple[jinja2.Environment, jinja2.Environment]:
    """The theme's partial: built in Python (fast), and rendered by Jinja (slow)."""
    root = tmp_path_factory.mktemp("project")
    (root / "templates").mkdir()
    (root / "templates" / "page.html").write_text(PAGE)
    (root / "templates" / "tables.html").write_text(TABLES)
    fast, slow = make_environment(root), make_environment(root)
    with pytest.MonkeyPatch.context() as patch:
        for name in (CHART_PARTIAL, TABLE_PARTIAL):
            patch.setitem(render.SHIPPED_PARTIALS, name, "another text")
            slow.get_template(name)  # loaded (and kept: one environment, no reloads) as Jinja's
    return fast, slow


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> jinja2.Environment:
    """The theme's partial copied into a project: the project's own, rendered by Jinja."""
    root = tmp_path_factory.mktemp("own")
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "templates" / "page.html").write_text(PAGE)
    (root / "templates" / "tables.html").write_text(TABLES)
    for name in (CHART_PARTIAL, TABLE_PARTIAL):
        shutil.copy(builtin_templates_dir() / name, root / "templates" / name)
    return make_environment(root)


def test_the_pinned_partials_are_the_themes():
    """chart_fragment and table_fragment build these files' output: change them together
    (and the hashes)."""
    for name, sha256 in SHIPPED_PARTIALS.items():
        assert hashlib.sha256((builtin_templates_dir() / name).read_bytes()).hexdigest() == sha256, name


def test_only_the_themes_own_partial_is_built_in_python(envs, own):
    fast, slow = envs
    for partial in (CHART_PARTIAL, TABLE_PARTIAL):
        built = [env.get_template(partial).root_render_func.__qualname__ for env in (fast, slow, own)]
        assert [name.startswith("partial_root") for name in built] == [True, False, False]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(views(), min_size=1, max_size=3), LOCALES, st.lists(TEXTS, min_size=1, max_size=3))
def test_fast_chart_partial_is_the_templates_output(envs, own, charts, locale, ids):
    fast, slow = envs
    slots = [ChartSlot(ids[i % len(ids)], view) for i, view in enumerate(charts)]
    context = {"charts": slots, "_": Formatter(locale, "EUR").gettext, "other": "x"}
    page = render_page(fast, "page.html", context)
    assert page == render_page(slow, "page.html", context) == render_page(own, "page.html", context)
    for slot in slots:
        assert render_chart(fast, slot, context) == render_chart(slow, slot, context)


def _problem(env: jinja2.Environment, context: dict[str, Any]) -> tuple[int | None, str]:
    with pytest.raises(InputError) as caught:
        render_page(env, "page.html", context)
    problem = caught.value.problems[0]
    return problem.line, problem.message


@pytest.mark.parametrize(
    "change",
    [
        {"figure": {"data": [], "layout": {"height": 200, "x": math.nan}}},  # json_script refuses NaN
        {"figure": {"data": [], "layout": {"height": 2.5}}},  # not an int: the |int filter
        {"figure": {"data": []}},  # no layout
        {"columns": ()},  # no first column
        {"figure": {"data": [], "layout": {"height": "12"}}},
        {"rows": (("a", object()),)},  # odd cells: table_rows as the template calls it
    ],
)
def test_unusual_charts_render_or_fail_as_the_template_does(envs, change):
    fast, slow = envs
    view = ChartView("t", {"data": [], "layout": {"height": 200}}, "s", ("a", "b"), (("x", "1"),))
    view = ChartView(**{**view.__dict__, **change})
    context = {"charts": [ChartSlot("c", view)], "_": Formatter("en_US", "USD").gettext}
    try:
        expected = render_page(slow, "page.html", context)
    except InputError:
        assert _problem(fast, context) == _problem(slow, context)
    else:
        assert render_page(fast, "page.html", context) == expected


@pytest.mark.parametrize(
    "context",
    [
        {"charts": [{"id": "c", "view": None}], "_": str},  # not a ChartSlot: Jinja's error
        {"charts": [ChartSlot("c", ChartView("t", {"layout": {}}, "s", ("a",), ()))], "_": str.upper},
        {"charts": [ChartSlot("c", ChartView("t", {"layout": {}}, "s", ("a",), (), ("n",)))]},  # no `_`
    ],
)
def test_other_values_are_the_templates_to_render(envs, context):
    fast, slow = envs
    try:
        expected = render_page(slow, "page.html", context)
    except InputError:
        assert _problem(fast, context) == _problem(slow, context)
    else:
        assert render_page(fast, "page.html", context) == expected


def test_a_project_partial_is_used(tmp_path: Path):
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "partials" / "chart.html").write_text("MINE {{ chart.id }}\n")
    (tmp_path / "templates" / "page.html").write_text(PAGE)
    view = ChartView("t", {"data": [], "layout": {}}, "s", ("a",), ())
    context = {"charts": [ChartSlot("c1", view)], "_": Formatter("en_US", "USD").gettext}
    assert render_page(make_environment(tmp_path), "page.html", context) == "<main>MINE c1\n</main>\n"


# --- line_chart / pie_chart: each series formatted once, for its hovers and its table column -----


def _reference_texts(series: list[Series], fmt: Formatter) -> tuple[Any, ...]:
    """The hovers' texts and the table's rows as the charts made them before (a Formatter call
    per hover, another per cell, a label's value looked up by name)."""
    categories = [label for label, _ in series[0].points]
    by_label = [(dict(s.points), s.unit) for s in series]
    rows = tuple(
        (label, *[fmt.value(points.get(label), unit) for points, unit in by_label]) for label in categories
    )
    hovers = [[plotly_text(fmt.value(v, s.unit)) for _, v in s.points] for s in series]
    labels = [[plotly_text(label) for label, _ in s.points] for s in series]
    return rows, hovers, labels


LABELS = st.one_of(TEXTS, st.sampled_from(["Oct 1", "Oct 2", "Unassigned", "<i>", "a&b"]))
UNITS = st.sampled_from(["currency", "percent", "ratio", "count", "number"])
VALUES = st.one_of(st.none(), FLOATS, st.integers(-(10**15), 10**15))


@st.composite
def chart_series(draw: st.DrawFn) -> list[Series]:
    labels = draw(st.lists(LABELS, min_size=1, max_size=8))
    first = Series(draw(TEXTS), [(label, draw(VALUES)) for label in labels], draw(UNITS))
    series = [first]
    for style in draw(st.lists(st.sampled_from(["previous", "target", "extra"]), max_size=3)):
        same = draw(st.booleans())  # on the main series' labels, or on labels of its own
        own = labels if same else draw(st.lists(LABELS, min_size=1, max_size=8))
        series.append(Series(draw(TEXTS), [(label, draw(VALUES)) for label in own], draw(UNITS), style))
    return series


@settings(max_examples=200, deadline=None)
@given(
    chart_series(),
    LOCALES,
    st.sampled_from(["line", "bar", "area"]),
    st.booleans(),
)
def test_line_chart_formats_each_value_as_before(series, locale, kind, named):
    fmt = Formatter(locale, "EUR")
    view = line_chart("t", series, ChartStyle("#336699", fmt), kind=kind, named=named)
    rows, hovers, labels = _reference_texts(series, fmt)
    assert view.rows == rows
    traces = view.figure["data"]
    assert [trace["customdata"] for trace in traces] == hovers
    assert [trace["y" if named else "x"] for trace in traces] == labels
    assert all(type(text) is PlotlyText for trace in traces for text in trace["customdata"])


@settings(max_examples=100, deadline=None)
@given(chart_series(), LOCALES)
def test_pie_chart_formats_each_value_as_before(series, locale):
    fmt = Formatter(locale, "JPY")
    view = pie_chart("t", series[0], ChartStyle("#336699", fmt))
    points = [(label, v) for label, v in series[0].points if v]
    assert [row[1] for row in view.rows] == [fmt.value(v, series[0].unit) for _, v in points]
    assert view.figure["data"][0]["customdata"] == [
        plotly_text(fmt.value(v, series[0].unit)) for _, v in points
    ]


# --- table_rows: a plain table escaped at once -----------------------------------------------

CELLS = st.one_of(
    TEXTS,
    st.sampled_from(["\x00", "\x01", "\x02", "a\x00b", "<td>", "1 234,5\u00a0€"]),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(st.tuples(*[CELLS] * width), max_size=8).map(tuple)  # type: ignore[arg-type]
    ),
    st.booleans(),
)
def test_table_rows_at_once_is_cell_by_cell(rows, odd):
    if odd and rows:  # a row of another width, a cell not a str, a list: cell by cell
        rows = (*rows, rows[0][:1], (rows[0][0], Markup("<b>&amp;</b>"), 3))
    expected = render._rows_by_cell(rows)
    assert render.table_rows(rows) == expected
    assert render.table_rows(list(rows)) == expected
    assert render._plain_rows(rows) in (None, expected)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    width = draw(st.integers(1, 5))
    numeric = tuple(draw(st.lists(st.booleans(), min_size=width, max_size=width)))
    row = st.tuples(*[CELLS] * width)  # type: ignore[arg-type]
    total = draw(st.one_of(st.none(), row))
    return Table(columns=draw(row), numeric=numeric, rows=tuple(draw(st.lists(row, max_size=6))), total=total)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(tables(), min_size=1, max_size=3), LOCALES, TEXTS)
def test_fast_table_partial_is_the_templates_output(envs, own, tables, locale, label):
    fast, slow = envs
    context = {"tables": tables, "label": label, "_": Formatter(locale, "EUR").gettext}
    page = render_page(fast, "tables.html", context)
    assert page == render_page(slow, "tables.html", context) == render_page(own, "tables.html", context)


@pytest.mark.parametrize(
    "table",
    [
        Table(("a", "b"), (False, True), (("x", "1", "2"),)),  # a row too long: zip(strict=True)
        Table(("a", "b"), (False,), (("x", "1"),)),
        Table(("a", "b"), (False, True), (("x", Markup("<b>1</b>")),)),
        Table(("a", "b"), (False, True), [("x", "1")]),  # type: ignore[arg-type]
        Table(("a", "b"), (False, 1), (("x", "1"),)),  # type: ignore[arg-type]
        Table(("a", "b"), (False, True), (("x", "1"),), total=()),
        Table((), (), ()),
    ],
)
def test_unusual_tables_render_or_fail_as_the_template_does(envs, table):
    fast, slow = envs
    context = {"tables": [table], "label": "L", "_": Formatter("en_US", "USD").gettext}
    try:
        expected = render_page(slow, "tables.html", context)
    except InputError:
        with pytest.raises(InputError) as caught:
            render_page(fast, "tables.html", context)
        with pytest.raises(InputError) as before:
            render_page(slow, "tables.html", context)
        assert caught.value.problems == before.value.problems
    else:
        assert render_page(fast, "tables.html", context) == expected


# --- chartlayout's memos: names wrapped and slice colours, as computed afresh ---------------


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(TEXTS, st.text(alphabet="ab -\u00e9", max_size=60)),
    st.integers(2, 30),
    st.one_of(st.none(), st.integers(1, 4)),
    st.booleans(),
)
def test_wrapped_names_are_as_textwrap_makes_them(name, chars, most, tail):
    fresh = chartlayout._wrapped(name, chars, most, tail)
    first = chartlayout._wrap(name, chars, most, tail=tail)
    again = chartlayout._wrap(name, chars, most, tail=tail)  # the memo's
    assert first == again == fresh and again is not first
    again.append("x")  # a caller's list is its own
    assert chartlayout._wrap(name, chars, most, tail=tail) == fresh


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["#336699", "#f59e0b", "#ffffff", "#000000", "#8B5CF6"]), st.integers(0, 30))
def test_slice_colours_are_as_computed_afresh(brand, count):
    style = ChartStyle(brand, Formatter("en_US", "USD"))
    fresh = chartlayout._slice_colors(style.colorway, count)
    assert chartlayout.slice_colors(style, count) == chartlayout.slice_colors(style, count) == fresh
