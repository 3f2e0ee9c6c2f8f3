"""The fast paths of loading a client answer exactly as the slow paths they stand in for.

Random inputs, each read both ways: a canonical CSV by the column-wise and line-wise fast
paths and by the csv reader (canonicalcsv.py); the same table and the same problems, with
the same messages and lines.
"""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import canonicalcsv

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- canonical CSVs ------------------------------------------------------------

DATES = st.sampled_from(
    ["2026-10-01", "2026-10-02", "2026-10-31", " 2026-10-03", "2026-10-04 ", "2026-13-01", "1899-12-31",
     "2026-1-5", "", "20261001", "2026-10-01T00:00"]
)  # fmt: skip
PLAIN_DATES = st.sampled_from(["2026-10-01", "2026-10-02"])
NAMES = st.sampled_from(["a", "b", "search-1", " a ", "", " ", "Été", "x y", "a;b"])
NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(0, 10**15).map(str),
    st.tuples(st.integers(0, 10**5), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
    st.sampled_from(
        ["", " ", "0", "007", "0.0", " 12", "12 ", "1e3", "+2", "-3", "-0", ".5", "5.", "1_000", "x", "nan",
         "inf", "١٢", "²", "9999999999999999", "999999999999999", "123456789012345.5", "1.5e-3", "0.000"]
    ),
)  # fmt: skip
HEADERS = st.sampled_from(
    [
        "date,campaign,channel,impressions,clicks,spend",
        "date,clicks,spend",
        "campaign,date,leads",
        "date,channel,clicks,ctr",
        "date",
        "date,clicks",
        "Date, Clicks ,spend",
    ]
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    header = draw(HEADERS)
    columns = [c.strip().lower() for c in header.split(",")]
    plain = draw(st.booleans())  # most files are whole and plain: the columns path
    lines = [header]
    for _ in range(draw(st.integers(0, 12))):
        cells = []
        for name in columns:
            if name == "date":
                cells.append(draw(PLAIN_DATES if plain else DATES))
            elif name in ("campaign", "channel"):
                cells.append(draw(NAMES))
            elif plain:
                cells.append(draw(st.integers(0, 10**6).map(str) | st.just("3.25") | st.just("")))
            else:
                cells.append(draw(NUMBERS))
        if not plain and draw(st.integers(0, 9)) == 0:
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "1"]  # another width
        if not plain and draw(st.integers(0, 14)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", '"q",1', "a\rb"])))
        lines.append(",".join(cells))
    end = draw(st.sampled_from(["\n", "", "\n\n"])) if not plain else "\n"
    return "\n".join(lines) + end


def _slow(text: str) -> str:
    with mock.patch.object(canonicalcsv, "_fast_rows", lambda *args: None):
        return repr(canonicalcsv.parse_metric_text(text, "data/m.csv"))


@SETTINGS
@given(csv_texts())
def test_csv_fast_paths_read_what_the_csv_reader_reads(text: str) -> None:
    fast = repr(canonicalcsv.parse_metric_text(text, "data/m.csv"))
    assert fast == _slow(text)


@SETTINGS
@given(csv_texts())
def test_csv_columns_read_what_lines_read(text: str) -> None:
    lines = text.split("\n")
    header = [c.strip().lower() for c in lines[0].split(",")]
    if "date" not in header:
        return
    at = {name: i for i, name in enumerate(header)}
    metric_at = [i for i, name in enumerate(header) if name not in ("date", "campaign", "channel")]
    body = lines[1:]
    if body and not body[-1]:
        body.pop()
    if not body or any(line.count(",") != len(header) - 1 for line in body) or '"' in text or "\r" in text:
        return
    args = (len(header), at["date"], at.get("campaign"), at.get("channel"), metric_at)
    by_lines = canonicalcsv._fast_lines(lines, *args)
    if by_lines is not None:  # (a one-column file's last line end is left to the csv reader)
        assert repr(canonicalcsv._fast_columns(body, *args)) == repr(by_lines)


# --- notes' YAML ----------------------------------------------------------------

TEXTS = st.sampled_from(
    ["text", "Spend $10,932.", "Leads up 12% on search", "'quoted: yes'", '"double \\u00e9"', "é ü 日本",
     "AE 0001", "a # not a comment", "12", "3.5", "true", "~", "2026-10-01"]
)  # fmt: skip
ODD = st.sampled_from(
    ["Text with: colon", "1_000", "0x10", "010", "1:30", ".inf", "-.nan", "1e400", "9" * 40, "no", "On",
     "null", "", "2026-13-45", "2026-10-01 10:00:00", "!!str 12", "!!int x", "!!binary aGk=",
     "!!python/object x", "&a anchored", "*a", "*missing", "[a, b]", "{a: 1}", "[unclosed", "- item",
     "@reserved", "`tick", "%x", "? q", "<<: {a: 1}", "|\n  block\n  text", ">\n  folded", "\ttab",
     "multi\n  line"]
)  # fmt: skip
SCALARS = st.one_of(TEXTS, TEXTS, TEXTS, ODD)
WORDS = st.sampled_from(["text", "Leads up on search", "'quoted: yes'", "é ü 日本", "AE 0001", "a # comment"])
BOOLEANS = st.sampled_from(["false", "true", "no", "x"])
KEYS = st.sampled_from(
    ["title", "status", "summary", "highlights", "recommendations", "next_steps", "meetings",
     "annotations", "task", "owner", "due", "done", "date", "text", "notes", "attendees", "unknown",
     "'quoted key'", "1", "? complex", "<<"]
)  # fmt: skip


@st.composite
def yaml_blocks(draw: st.DrawFn, indent: str = "", depth: int = 0) -> str:
    lines = []
    for _ in range(draw(st.integers(0 if depth else 1, 4))):
        key = draw(KEYS)
        kind = draw(st.integers(0, 5 if depth < 2 else 1))
        if kind <= 1:
            lines.append(f"{indent}{key}: {draw(SCALARS)}")
        elif kind == 2:
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}- {draw(SCALARS)}" for _ in range(draw(st.integers(0, 3))))
        elif kind == 3:
            lines.append(f"{indent}{key}:")
            lines.append(draw(yaml_blocks(indent + "  ", depth + 1)))
        elif kind == 4:
            items = ", ".join(f"{draw(KEYS)}: {draw(SCALARS)}" for _ in range(draw(st.integers(0, 3))))
            lines.append(f"{indent}{key}: [{{{items}}}]")
        else:
            lines.append(f"{indent}{key}:")
            lines.append(f"{indent}- " + draw(yaml_blocks(indent + "  ", depth + 1)).lstrip())
    if draw(st.integers(0, 9)) == 0:
        lines.insert(
            draw(st.integers(0, len(lines))), draw(st.sampled_from(["  bad: indent", "- x", ":", "\t"]))
        )
    return "\n".join(lines)


@st.composite
def note_fronts(draw: st.DrawFn) -> str:
    """Front matter shaped like a real note's, a field or value sometimes odd."""
    text, odd = draw(WORDS), draw(st.one_of(WORDS, WORDS, WORDS, TEXTS, ODD))
    day = draw(st.sampled_from(["2026-10-01", "2026-10-31", "2026-02-30", "soon"] + ["2026-10-02"] * 4))
    fields = [
        f"title: {text}",
        f"status: {draw(st.sampled_from(['final', 'draft', 'final', 'draft', 'Final', 'done']))}",
        f"summary: {odd}",
        "highlights:\n" + "".join(f"- {draw(WORDS)}\n" for _ in range(draw(st.integers(0, 3)))).rstrip(),
        f"recommendations: [{text}]",
        f"next_steps:\n- {{task: {text}, owner: {draw(WORDS)}, due: {day}, done: {draw(BOOLEANS)}}}"
        f"\n- task: {odd}\n  done: true",
        f"meetings:\n- date: {day}\n  title: {text}\n  attendees: [{draw(WORDS)}, {text}]\n  notes: {odd}",
        f"annotations:\n- {{date: {day}, text: {text}}}",
    ]
    chosen = [fields[i] for i in draw(st.lists(st.integers(0, len(fields) - 1), min_size=1, unique=True))]
    if draw(st.integers(0, 5)) == 0:
        chosen.append(f"{draw(KEYS)}: {odd}")
    return "\n".join(chosen)


def _tree(value: object) -> object:
    """A parsed document with every line it remembers, and each value's type."""
    from reportgen.yamlfile import YamlList, YamlMap

    if isinstance(value, YamlMap):
        return ("map", value.line, [(k, value.key_lines.get(k), _tree(v)) for k, v in value.items()])
    if isinstance(value, YamlList):
        return ("list", value.line, value.item_lines, [_tree(v) for v in value])
    return (type(value).__name__, repr(value), getattr(value, "text", None))


def _parsed(text: str) -> object:
    from reportgen.yamlfile import YamlError, parse_yaml

    try:
        return _tree(parse_yaml(text, first_line=2))
    except YamlError as exc:
        return ("error", exc.message, exc.line)


def _note(text: str) -> str:
    from reportgen.model import Month
    from reportgen.notes import parse_note

    return repr(parse_note(text, "content/acme/2026-10.md", "acme", Month(2026, 10)))


@SETTINGS
@given(st.one_of(yaml_blocks(), note_fronts()), st.sampled_from(["", "Hi.\n```chart\nmetric: leads\n```\n"]))
def test_front_matter_reads_as_the_safe_constructor_reads_it(front: str, body: str) -> None:
    import yaml

    from reportgen import yamlfile

    text = f"---\n{front}\n---\n{body}"
    fast = (_parsed(front), _note(text), _parsed(front))  # twice: the tags memoised
    with (
        mock.patch.object(yamlfile, "_FastLoader", getattr(yaml, "CSafeLoader", yamlfile._Loader)),
        mock.patch.object(yamlfile, "_STR_TAG", "no scalar shortcut"),
    ):
        slow = (_parsed(front), _note(text), _parsed(front))
    assert fast == slow


# --- sums -----------------------------------------------------------------------


def _add_into(total: list, values: tuple) -> None:
    """sums.add_into as it was: one addition at a time."""
    for i, value in enumerate(values):
        if value is not None:
            total[i] = value if total[i] is None else total[i] + value


def _group_sums_before(rows: list, key, width: int) -> dict:
    groups: dict = {}
    for row in rows:
        k = key(row)
        total = groups.get(k)
        if total is None and len(row.values) == width:
            groups[k] = list(row.values)
            continue
        if total is None:
            total = groups[k] = [None] * width
        _add_into(total, row.values)
    return groups


VALUES = st.one_of(
    st.integers(0, 10**6), st.floats(-1e6, 1e6), st.sampled_from([0.1, 0.2, -0.0, 0.0, 1e15, 3]), st.none()
)


@st.composite
def metric_rows(draw: st.DrawFn) -> tuple[int, list]:
    import datetime as dt

    from reportgen.model import MetricRow

    width = draw(st.integers(0, 4))
    full = draw(st.booleans())  # every value given (the usual file) or some missing
    values = st.tuples(*[VALUES.filter(lambda v: v is not None) if full else VALUES] * width)
    days = st.sampled_from([dt.date(2026, 10, d) for d in (1, 2, 3)] + [dt.date(2026, 11, 1)])
    names = st.sampled_from([None, "a", "b", "c"] if not full else ["a", "b"])
    rows = draw(st.lists(st.builds(MetricRow, days, names, names, values), max_size=30))
    return width, rows


@SETTINGS
@given(metric_rows())
def test_sums_add_what_one_row_at_a_time_adds(case: tuple[int, list]) -> None:
    from operator import itemgetter

    from reportgen import sums
    from reportgen.model import Client, MetricTable, Month

    width, rows = case
    for at in (0, 1, 2):
        assert repr(sums.group_sums(rows, itemgetter(at), width)) == repr(
            _group_sums_before(rows, itemgetter(at), width)
        )
    total: list = [None] * width
    for row in rows:
        _add_into(total, row.values)
    assert repr(sums.sum_rows(iter(rows), width)) == repr(total if rows else None)
    metrics = tuple(f"m{i}" for i in range(width))
    table = MetricTable(metrics=metrics, rows=tuple(rows), has_campaign=True, has_channel=True)
    client = Client.__new__(Client)
    object.__setattr__(client, "metrics", ())
    for until in (None, Month(2026, 10)):
        facts = sums.compute_client_facts(client, table, until)
        by_month: dict = {}
        for row in rows:
            month = Month(row.date.year, row.date.month)
            if until is None or month <= until:
                by_month.setdefault(month, []).append(row)
        expected = {m: tuple(sorted(r, key=sums._row_order)) for m, r in sorted(by_month.items())}
        assert repr([(m, facts.rows_by_month.get(m)) for m in facts.rows_by_month]) == repr(
            list(expected.items())
        )
        assert repr([facts.month_totals.get(m) for m in expected]) == repr(
            [_group_sums_before(list(r), lambda row: 0, width).get(0) for r in expected.values()]
        )
