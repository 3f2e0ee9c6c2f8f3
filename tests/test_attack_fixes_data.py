"""Attack fixes for data and dates (classes, each with a generative test):

1. rows that cover a period (weekly, monthly exports) overlap every day of it;
2. every user date lies in one accepted range (1900..2999), else `path:line`;
3. data dated after today is a warning;
4. report.json holds the channel table;
5. clients.yaml numbers follow the CSV's rules.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.importers import SourceSettings, read_export
from reportgen.model import FIRST_YEAR, LAST_YEAR, MetricRow, MetricTable, Month
from reportgen.schema import INVALID, Context, DateKind, MonthKind, Number
from reportgen.sources import find_overlaps, parse_metric_text, parse_number
from reportgen.yamlfile import parse_yaml

BASE = Path(__file__).resolve().parent / "corpus" / "csv-crlf-bom"  # a valid one-client project
HYPO = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def small_project(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns("expect.txt"))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def assert_clean_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, (ValueError, OverflowError, TypeError)), result.exception
    for needle in needles:
        assert needle in result.output, (needle, result.output)


DAILY = "date,campaign,impressions,clicks,spend\n" + "".join(
    f"2025-05-{d:02d},camp-a,100,10,10.00\n" for d in range(1, 3)
)
GOOGLE_MONTH = (
    "Campaign report\nMay 1, 2025 - May 31, 2025\nCampaign,Month,Impr.,Clicks,Cost\n"
    "camp-a,2025-05-01,3000,300,300.00\n"
)
GOOGLE_WEEK = "Campaign report\nCampaign,Week,Impr.,Clicks,Cost\ncamp-a,2025-04-28,700,70,70.00\n"


# --- 1. period grain ---------------------------------------------------------------------------


def test_monthly_export_next_to_daily_file_is_an_overlap(tmp_path):
    root = small_project(tmp_path, {"data/acme/daily.csv": DAILY, "data/acme/monthly.csv": GOOGLE_MONTH})
    result = run_cli("check", "--project", root)
    assert_clean_error(result, "data/acme/monthly.csv", "data/acme/daily.csv", "2025-05-01")


def test_weekly_export_overlaps_the_days_of_its_week(tmp_path):
    # The week of Monday 2025-04-28 runs to 2025-05-04: it covers the daily rows of May 1 and 2.
    root = small_project(tmp_path, {"data/acme/daily.csv": DAILY, "data/acme/weekly.csv": GOOGLE_WEEK})
    result = run_cli("check", "--project", root)
    assert_clean_error(result, "data/acme/weekly.csv", "data/acme/daily.csv", "2025-05-01")


def test_monthly_export_alone_is_read_with_a_warning(tmp_path):
    root = small_project(tmp_path, {"data/acme/monthly.csv": GOOGLE_MONTH})
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert "data/acme/monthly.csv:4: warning: rows are by month" in result.output
    assert "clients.yaml line" in result.output and "by Day" in result.output
    report = json.loads((root / "site" / "acme" / "2025-05" / "report.json").read_text())
    assert report["totals"]["spend"] == 300.0
    assert run_cli("build", "--project", root, "--strict").exit_code == 1


def _period_days(grain: str, start: dt.date) -> list[dt.date]:
    length = {"day": 1, "week": 7}.get(grain) or Month.of(start).days
    return [start + dt.timedelta(days=i) for i in range(length)]


_FILE = st.tuples(
    st.sampled_from(["day", "week", "month"]),
    st.sampled_from(["camp-a", "camp-b", None]),
    st.sets(st.sampled_from(["spend", "clicks"]), min_size=1),
    st.sets(st.integers(0, 5), min_size=1, max_size=3),  # which periods (days, weeks or months)
)


@HYPO
@given(st.lists(_FILE, min_size=1, max_size=4))
def test_overlap_iff_a_day_campaign_metric_is_covered_twice(files):
    tables, covered = [], []
    for grain, campaign, metrics, periods in files:
        starts = {
            "day": [dt.date(2025, 5, 1) + dt.timedelta(days=7 * p) for p in periods],
            "week": [dt.date(2025, 4, 28) + dt.timedelta(days=7 * p) for p in periods],
            "month": [Month(2025, 3 + p).first_day for p in periods],
        }[grain]
        names = tuple(sorted(metrics))
        rows = tuple(MetricRow(start, campaign, None, tuple(1 for _ in names)) for start in starts)
        tables.append(
            (f"data/f{len(tables)}.csv", MetricTable(names, rows, campaign is not None, grain=grain))
        )
        covered.append(
            {
                (day, campaign, metric)
                for start in starts
                for day in _period_days(grain, start)
                for metric in names
            }
        )
    problems = find_overlaps(tables)
    for later in range(len(files)):
        for earlier in range(later):
            shared = covered[earlier] & covered[later]
            found = [
                p
                for p in problems
                if p.path == tables[later][0] and f"overlaps {tables[earlier][0]}:" in p.message
            ]
            assert bool(found) == bool(shared), (files, problems)
            if shared:
                assert str(min(day for day, _c, _m in shared)) in found[0].message


# --- 2. dates at the edges of the calendar ----------------------------------------------------


RANGE = f"{FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"


@HYPO
@given(st.dates(min_value=dt.date.min, max_value=dt.date.max))
def test_every_csv_date_is_in_range_or_a_line_error(day):
    table, problems = parse_metric_text(f"date,clicks\n{day.isoformat()},1\n", "data/x.csv")
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        assert table is not None and not problems
        month = Month.of(table.rows[0].date)  # the arithmetic a report does around it
        assert month.last_year.first_day and month.next.last_day
        assert table.rows[0].date + dt.timedelta(days=7)
    else:
        assert table is None
        assert [(p.path, p.line) for p in problems] == [("data/x.csv", 2)]
        assert RANGE in problems[0].message


@HYPO
@given(st.dates(min_value=dt.date.min, max_value=dt.date.max))
def test_every_yaml_date_and_month_is_in_range_or_a_line_error(day):
    inside = FIRST_YEAR <= day.year <= LAST_YEAR
    for kind, text in ((DateKind(), day.isoformat()), (MonthKind(), day.isoformat()[:7])):
        for written in (text, f"'{text}'"):
            ctx = Context("clients.yaml")
            value = kind.check(parse_yaml(f"x: {written}")["x"], ctx, 3, "x")
            assert (value is not INVALID) == inside, (kind, written, ctx.problems)
            if not inside:
                assert ctx.problems[0].line == 3 and RANGE in ctx.problems[0].message
    try:
        Month.parse(day.isoformat()[:7])
    except ValueError as exc:
        assert not inside and RANGE in str(exc)
    else:
        assert inside


def test_edge_dates_are_line_errors_end_to_end(tmp_path):
    cases = {
        "data/acme/old.csv": (
            "date,campaign,channel,impressions,clicks,spend\n0001-12-31,brand,search,1,1,1\n",
            "data/acme/old.csv:2:",
        ),
        "data/acme/late.csv": (
            "date,campaign,channel,impressions,clicks,spend\n9999-12-31,brand,search,1,1,1\n",
            "data/acme/late.csv:2:",
        ),
        "content/acme/0001-05.md": ("---\nstatus: final\n---\nHi\n", "content/acme/0001-05.md"),
    }
    for name, (text, where) in cases.items():
        root = small_project(tmp_path / name.replace("/", "_"), {name: text})
        for command in ("check", "build"):
            assert_clean_error(run_cli(command, "--project", root), where, RANGE)


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_charts_around_the_first_and_last_accepted_days_build(tmp_path, day):
    root = small_project(
        tmp_path,
        {
            "data/acme/edge.csv": "date,campaign,channel,impressions,clicks,spend\n"
            f"{day},brand,search,1,1,1\n",
            f"content/acme/{day[:7]}.md": "---\nstatus: final\n---\n```chart\nmetric: clicks\nby: week\n"
            "compare: previous\n```\n```chart\nmetric: clicks\nby: month\n"
            "compare: previous\n```\n",
        },
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert ("after today" in result.output) == (day > "2026")  # 2999 is in range, but in the future


@HYPO
@given(st.dates(min_value=dt.date.min, max_value=dt.date.max))
def test_every_export_date_is_in_range_or_a_line_error(day):
    raw = f"Campaign,Day,Impr.,Clicks,Cost\ncamp-a,{day.isoformat()},10,1,2.00\n".encode()
    export, problems = read_export(raw, "data/g.csv", SourceSettings(format="google_ads"))
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        assert export is not None and export.table.rows[0].date == day
    else:
        assert export is None and [(p.line, RANGE in p.message) for p in problems] == [(2, True)]


def test_since_and_note_dates_out_of_range(tmp_path):
    root = small_project(tmp_path)
    config = (
        (root / "clients.yaml")
        .read_text()
        .replace("    data: [data/acme/*.csv]", '    data: [data/acme/*.csv]\n    since: "0001-01"')
    )
    (root / "clients.yaml").write_text(config)
    assert_clean_error(run_cli("check", "--project", root), "clients.yaml:8:", RANGE)
    root = small_project(
        tmp_path / "b",
        {
            "content/acme/2026-10.md": (
                "---\nstatus: final\nnext_steps:\n  - task: x\n    due: 0001-01-01\n"
                "meetings:\n  - date: 9999-01-01\n    title: m\n---\nBody\n"
            )
        },
    )
    assert_clean_error(
        run_cli("check", "--project", root), "content/acme/2026-10.md:5:", "content/acme/2026-10.md:7:", RANGE
    )


def test_new_report_after_the_last_month_is_an_error(tmp_path):
    root = small_project(tmp_path, {"content/acme/2999-12.md": "---\nstatus: final\n---\nBody\n"})
    result = run_cli("new", "report", "acme", "--project", root)
    assert_clean_error(result, "3000-01", RANGE)
    assert not (root / "content" / "acme" / "3000-01.md").exists()
    result = run_cli("build", "--project", root, "--month", "3000-01")
    assert result.exit_code == 2 and RANGE in result.output


# --- 3. data from the future -------------------------------------------------------------------


def test_future_rows_are_a_warning_with_the_line(tmp_path):
    root = small_project(
        tmp_path,
        {
            "data/acme/typo.csv": (
                "date,campaign,channel,impressions,clicks,spend\n"
                "2026-10-20,brand,search,1,1,1\n2205-06-03,brand,search,1,1,1\n"
            )
        },
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert "data/acme/typo.csv:3: warning: row dated 2205-06-03 is after today (2026-11-23)" in result.output
    assert "2205-06 becomes the latest report" in result.output
    assert run_cli("build", "--project", root, "--strict").exit_code == 1
    # A day or two ahead (time zones) is no typo.
    root = small_project(
        tmp_path / "b",
        {
            "data/acme/soon.csv": (
                "date,campaign,channel,impressions,clicks,spend\n2026-11-25,brand,search,1,1,1\n"
            )
        },
    )
    assert "after today" not in run_cli("check", "--project", root).output


# --- 4. report.json holds the channel table -----------------------------------------------------


def test_report_json_has_the_channel_rows(tmp_path):
    root = small_project(
        tmp_path,
        {
            "data/acme/social.csv": (
                "date,campaign,channel,impressions,clicks,spend\n2026-10-03,promo,social,300,30,18.00\n"
            )
        },
    )
    assert run_cli("build", "--project", root).exit_code == 0
    report = json.loads((root / "site" / "acme" / "2026-10" / "report.json").read_text())
    assert {"client", "month", "currency", "totals", "kpis", "budget", "campaigns"} <= set(report)
    channels = {row["channel"]: row for row in report["channels"]}
    assert set(channels) == {"search", "social"}
    assert channels["social"]["spend"] == 18.0 and channels["social"]["ctr"] == 0.1
    assert abs(sum(r["share"] for r in channels.values()) - 1) < 1e-9
    for metric, total in report["totals"].items():
        values = [r[metric] for r in channels.values() if r[metric] is not None]
        if metric in ("impressions", "clicks", "spend"):
            assert abs(sum(values) - total) < 1e-6


# --- 5. clients.yaml numbers follow the CSV's rules ---------------------------------------------


_NUMERIC = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{1,20}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?\Z"),
    st.from_regex(r"\A[+-]?[0-9_]{1,8}(\.[0-9_]{0,4})?\Z"),
    st.from_regex(r"\A0[xob][0-9a-fA-F]{1,6}\Z"),
    st.from_regex(r"\A[0-9]{1,2}:[0-5][0-9](\.[0-9])?\Z"),
    st.sampled_from(
        [
            ".inf",
            "-.inf",
            ".nan",
            ".NaN",
            "1,5",
            "1e15",
            "1e16",
            "1e400",
            "1.0e+308",
            "010",
            "0o17",
            "1_000",
            "0x10",
            "1e-400",
            "+.5",
            "5.",
        ]
    ),
)


@HYPO
@given(_NUMERIC, st.booleans())
def test_yaml_numbers_are_read_as_the_csv_reads_them(text, quoted):
    written = f"'{text}'" if quoted else text
    ctx = Context("clients.yaml")
    value = Number(minimum=None).check(parse_yaml(f"a: 1\nb: {written}\n")["b"], ctx, 2, "b")
    expected, ok = parse_number(text)
    if ok and expected is not None:
        assert value == expected and type(value) is type(expected), (text, value, ctx.problems)
    else:
        assert value is INVALID
        assert [p.line for p in ctx.problems] == [2] and ctx.problems[0].message.startswith("b: ")


def _config_problems(tmp_path: Path, budget: str, target: str) -> str:
    root = small_project(tmp_path)
    config = (
        (root / "clients.yaml")
        .read_text()
        .replace(
            "kpis: [{metric: clicks, target: 100}]",
            f"kpis: [{{metric: clicks, target: {target}}}, {{metric: ctr, target: -2%}}]\n"
            f"    budget: {{monthly: {budget}}}",
        )
    )
    (root / "clients.yaml").write_text(config)
    return run_cli("check", "--project", root).output


def test_yaml_number_forms_end_to_end(tmp_path):
    out = _config_problems(tmp_path / "a", "1e15", "1e400")
    assert "target: '1e400' is out of range" in out
    assert "monthly" not in out  # 1e15 is a number, as in the CSV
    assert "target: must be at least 0" in out  # -2% for ctr
    out = _config_problems(tmp_path / "b", "1_000", "0x10")
    assert "'1_000' is not a plain number" in out and "'0x10' is not a plain number" in out
    assert "clients.yaml:6:" in out and "clients.yaml:7:" in out
