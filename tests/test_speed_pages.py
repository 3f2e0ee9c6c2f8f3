"""The page's fast paths answer exactly as the slow ones (issue 15): random inputs, both ways.

- csp: the whole-page `http-equiv` check without lowercasing the page, and the answer for a
  page's head memoised across pages;
- pages.metrics_csv: each row's cells looked up per date and per campaign/channel, joined at
  once, against the csv writer writing every row;
- pages.group_table: a client's columns found once, against looking them up for every cell;
- output_kinds.json_bytes: a dict's plain values written in place, against json.dumps;
- notehtml: the nh3 Cleaner made once, against nh3.clean with the same options;
- i18n: dates formatted with the Locale parsed once, against Babel given the identifier.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json

import nh3
from babel.dates import format_date, format_skeleton
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import csp, i18n, notehtml, output_kinds, pages
from reportgen import metrics as m
from reportgen.i18n import Formatter
from reportgen.model import Campaign, Client, MetricRow, MetricTable, Month, Person

# --- csp ---------------------------------------------------------------------------------

# Text that spells (or nearly spells) the policy attribute in every case, with the characters
# whose lowercase is (or holds) ASCII: U+0130 ("i" + U+0307) and the Kelvin sign ("k").
HTTP_EQUIV_BITS = st.sampled_from(
    ["http-equiv", "HTTP-EQUIV", "Http-Equiv", "http-equİv", "http-eqUiv", "q", "Q", "İ", "\u212a", "-", "x"]
)
TEXT = st.lists(st.one_of(HTTP_EQUIV_BITS, st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(page=TEXT, start=st.integers(min_value=0, max_value=40))
def test_http_equiv_is_found_as_lowercasing_the_page_finds_it(page, start):
    assert csp._mentions_http_equiv(page, start) == ("http-equiv" in page[start:].lower())


FRAGMENTS = st.sampled_from(
    [
        "<!doctype html>\n",
        '<html lang="en">\n',
        "<head>\n",
        '<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width">\n',
        '<link rel="icon" href="data:,">\n',
        '<link rel="stylesheet" href="x.css">\n',
        '<meta http-equiv="refresh" content="0">\n',
        '<meta HTTP-EQUIV="Content-Security-Policy" content="default-src *">\n',
        "<!-- ",
        " -->",
        "<script>",
        "</script>",
        "<title>q</title>\n",
        "<p>Quarterly http-equİv</p>\n",
        "text ",
        "\n",
    ]
)


def _already_first_unmemoised(page: str, meta: str) -> bool:
    """csp._already_first before its memo and its http-equiv search (the base revision's)."""
    at = page.find(meta)
    if at == -1:
        return False
    end = at + len(meta)
    if "http-equiv" in page[end:].lower():
        return False
    head = page[:end]
    spans = csp._policy_spans(head)
    return len(spans) == 1 and csp._placed_first(head, spans[0], meta)


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(FRAGMENTS, max_size=6),
    after=st.lists(FRAGMENTS, max_size=6),
    policy=st.sampled_from([csp.CONTENT_SECURITY_POLICY, csp.SEALED_PAGE_POLICY]),
)
def test_the_memoised_head_answers_as_the_page_would(before, after, policy):
    meta = csp.csp_meta(policy)
    page = "".join(before) + csp.CSP_META + "".join(after)
    expected = _already_first_unmemoised(page, meta)
    assert csp._already_first(page, meta) == expected
    assert csp._already_first(page, meta) == expected  # the second time from the memo


# --- metrics.csv -------------------------------------------------------------------------

BASE = ("impressions", "clicks", "spend", "leads")
NAMES = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "=SUM(A1)", "+1", "-x", "@y", 'say "hi"', "x,y", "line\nbreak", "", " "]),
    st.text(max_size=5),
)
NUMBERS = st.one_of(
    st.none(), st.integers(min_value=0, max_value=10**9), st.floats(min_value=0, max_value=1e9)
)


def _metrics_csv_written_row_by_row(facts: m.ClientFacts, month) -> str:
    """metrics_csv as the revision before the speed work wrote it: the csv writer, row by row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with_channel = facts.has_channel or any(c.channel for c in facts.client.campaigns)
    dims = ["date", *(["campaign"] if facts.has_campaign else []), *(["channel"] if with_channel else [])]
    writer.writerow([*dims, *facts.metrics.base])
    for row in facts.rows_by_month.get(month, ()):
        cells = [row.date.isoformat()]
        if facts.has_campaign:
            cells.append(pages.spreadsheet_text(row.campaign or ""))
        if with_channel:
            cells.append(pages.spreadsheet_text(m.row_channel(facts, row) or ""))
        cells.extend("" if v is None else repr(v) for v in row.values)
        writer.writerow(cells)
    return buffer.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=31),
            NAMES,
            NAMES,
            st.lists(NUMBERS, min_size=len(BASE), max_size=len(BASE)),
        ),
        max_size=25,
    ),
    has_campaign=st.booleans(),
    has_channel=st.booleans(),
    campaign_channels=st.lists(st.tuples(st.sampled_from(["a", "b", "=SUM(A1)", "c"]), NAMES), max_size=3),
)
def test_metrics_csv_is_what_the_csv_writer_writes(rows, has_campaign, has_channel, campaign_channels):
    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("Jane"),
        campaigns=tuple(
            Campaign(id=cid, name=cid, channel=channel or None) for cid, channel in campaign_channels
        ),
    )
    metric_rows = [
        MetricRow(
            dt.date(2026, 10, day),
            (campaign or None) if has_campaign else None,
            (channel or None) if has_channel else None,
            tuple(values),
        )
        for day, campaign, channel, values in rows
    ]
    table = MetricTable(
        metrics=BASE, rows=tuple(metric_rows), has_campaign=has_campaign, has_channel=has_channel
    )
    facts = m.compute_client_facts(client, table)
    for month in [*facts.rows_by_month.untracked(), Month(2026, 9)]:
        assert pages.metrics_csv(facts, month) == _metrics_csv_written_row_by_row(facts, month)


LOCALES = ("en_US", "de_DE", "vi_VN", "fr_FR", "ja_JP")


# --- tables ------------------------------------------------------------------------------


def _group_table_column_by_column(groups, totals, facts, fmt, first, with_channel) -> pages.Table:
    """group_table as the revision before the speed work made it: every column's metric,
    unit and label looked up again for every table and every cell."""
    names = pages.table_metrics(facts)
    none_label = fmt.gettext("Unassigned")
    columns = (
        first,
        *([fmt.gettext("Channel")] if with_channel else []),
        *[pages.metric_label(facts.client, n, fmt) for n in names],
    )
    numeric = (False, *([False] if with_channel else []), *[True] * len(names))
    rows = tuple(
        (
            g.name or none_label,
            *([g.channel or "—"] if with_channel else []),
            *[fmt.value(g.values.get(n), facts.metrics.unit(n)) for n in names],
        )
        for g in groups
    )
    total = (
        fmt.gettext("Total"),
        *([""] if with_channel else []),
        *[fmt.value(totals.get(n), facts.metrics.unit(n)) for n in names],
    )
    return pages.Table(columns, numeric, rows, total)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=31),
            st.sampled_from(["a", "b", "c", None]),
            st.sampled_from(["search", "social", None]),
            st.lists(NUMBERS, min_size=len(BASE), max_size=len(BASE)),
        ),
        max_size=20,
    ),
    metrics=st.lists(st.sampled_from(BASE), min_size=1, max_size=4, unique=True),
    locale=st.sampled_from(LOCALES),
)
def test_group_table_is_the_same_with_its_columns_found_once(rows, metrics, locale):
    client = Client(id="acme", name="Acme", account_executive=Person("Jane"), locale=locale, currency="EUR")
    index = [BASE.index(name) for name in metrics]
    metric_rows = [
        MetricRow(dt.date(2026, 10, day), campaign, channel, tuple(values[i] for i in index))
        for day, campaign, channel, values in rows
    ]
    table = MetricTable(metrics=tuple(metrics), rows=tuple(metric_rows), has_campaign=True, has_channel=True)
    facts = m.compute_client_facts(client, table)
    fmt = Formatter(locale, "EUR")
    for month in facts.rows_by_month.untracked():
        figures = m.compute_month(facts, month, dt.date(2026, 11, 5))
        for groups, first, with_channel in (
            (figures.campaigns, "Campaign", True),
            (figures.channels, "Channel", False),
        ):
            for _ in range(2):  # the second time with the client's columns memoised
                assert pages.group_table(
                    groups, figures.totals, facts, fmt, first, with_channel
                ) == _group_table_column_by_column(groups, figures.totals, facts, fmt, first, with_channel)


# --- report.json -------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.none()), inner, max_size=2),
    )


# Trees two containers deep (report.json is: a dict of dicts and lists of dicts).
TREES = st.one_of(SCALARS, _containers(SCALARS), _containers(st.one_of(SCALARS, _containers(SCALARS))))


@settings(max_examples=200, deadline=None)
@given(tree=TREES)
def test_json_bytes_writes_what_json_dumps_writes(tree):
    try:
        expected: bytes | str = (
            json.dumps(tree, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
        ).encode()
    except ValueError as error:  # NaN or infinity: the same error from json_bytes
        expected = str(error)
    try:
        got: bytes | str = output_kinds.json_bytes(tree)
    except ValueError as error:
        got = str(error)
    assert got == expected


# --- notes: the sanitizer made once ------------------------------------------------------

HTML_BITS = st.sampled_from(
    [
        "<p>",
        "</p>",
        '<a href="https://example.com/x?a=1&b=2" title="t">',
        '<a href="javascript:alert(1)">',
        '<a href="#budget" onclick="x()">',
        "</a>",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<td style="text-align: right; color: red" colspan="2">',
        '<h2 id="budget">',
        "</h2>",
        "<!-- a comment -->",
        "<details><summary>more</summary>",
        "</details>",
        '<code class="language-py">',
        "<mark>",
        '<ol start="3"><li>',
        "<style>p{}</style>",
        "&amp; &lt; &#x41; &nbsp;",
        "<table><tr><th>x</th></tr></table>",
    ]
)


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.one_of(HTML_BITS, st.text(max_size=5)), max_size=12))
def test_the_sanitizer_made_once_cleans_as_nh3_clean(pieces):
    html = "".join(pieces)
    expected = nh3.clean(
        html,
        tags=notehtml._ALLOWED_TAGS,
        attributes=notehtml._ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    assert notehtml._sanitizer()(html) == expected
    assert functools.partial(nh3.clean, **notehtml._SANITIZER_OPTIONS)(html) == expected  # without Cleaner


# --- dates: the locale parsed once -------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    skeleton=st.sampled_from(["medium", "MMMd", "yMMMM", "yMMM"]),
    day=st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
def test_dates_are_babels_with_the_locale_given_as_text(locale, skeleton, day):
    if skeleton == "medium":
        expected = format_date(day, "medium", locale=locale)
    else:
        expected = format_skeleton(skeleton, day, locale=locale)
    assert i18n._date_text.__wrapped__(locale, skeleton, day) == expected
