"""Months are first-class (issue 9): every month with data or a final note has a
report, whatever the data's first and last day, gaps or blank cells; missing
data is never drawn as zero; targets say what they mean; one channel rule.

Every test goes through the CLI (`run_cli`) on a small project written here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import figure_blocks, write_csv

HEADER = ("date", "campaign", "channel", "impressions", "clicks", "spend")


def write_project(
    root: Path,
    rows: list[dict] | None = None,
    notes: dict[str, str] | None = None,
    kpis: list | str | None = None,
    budget: dict | None = None,
    campaigns: list | None = None,
    header=HEADER,
) -> Path:
    """One client 'acme' with data/acme/*.csv; `kpis` may be raw YAML text."""
    client = {
        "id": "acme",
        "name": "Acme",
        "account_executive": {"name": "Jane Doe"},
        "data": ["data/acme/*.csv"],
    }
    if budget is not None:
        client["budget"] = budget
    if campaigns is not None:
        client["campaigns"] = campaigns
    kpi_list = kpis if isinstance(kpis, list) else [{"metric": "clicks", "target": 100}]
    client["kpis"] = kpi_list
    text = yaml.safe_dump({"agency": {"name": "Agency"}, "clients": [client]}, sort_keys=False)
    if isinstance(kpis, str):  # exact YAML for the KPIs (flow style, commas, percent signs)
        text = text.replace("  kpis:\n  - metric: clicks\n    target: 100\n", f"  kpis: {kpis}\n")
        assert kpis in text
    root.mkdir(parents=True, exist_ok=True)
    (root / "clients.yaml").write_text(text, encoding="utf-8")
    (root / "data" / "acme").mkdir(parents=True, exist_ok=True)
    if rows is not None:
        write_csv(root / "data" / "acme" / "metrics.csv", rows, header)
    for month, body in (notes or {}).items():
        path = root / "content" / "acme" / f"{month}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def daily(first: dt.date, last: dt.date, skip=(), **cells) -> list[dict]:
    rows = []
    day = first
    while day <= last:
        if day not in skip:
            rows.append(
                {
                    "date": day.isoformat(),
                    "campaign": "brand",
                    "channel": "search",
                    "impressions": 100,
                    "clicks": 10,
                    "spend": 5.5,
                    **cells,
                }
            )
        day += dt.timedelta(days=1)
    return rows


def chart_note(*specs: str, status: str = "final", summary: str = "Summary") -> str:
    blocks = "".join(f"\n```chart\n{spec}\n```\n" for spec in specs)
    return f"---\nstatus: {status}\nsummary: {summary}\n---\nBody.\n{blocks}"


def build(root: Path, *extra: str):
    result = run_cli("build", "--project", root, *extra)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    return result, output


def charts(page: Path) -> list[dict]:
    """The page's chart figures by number: built-in charts first, then the note's (downloads
    left out)."""
    blocks = figure_blocks(page.read_text(encoding="utf-8"))
    return [
        blocks[key]
        for key in sorted((k for k in blocks if k.startswith("chart-")), key=lambda k: int(k.split("-")[1]))
    ]


def report_json(root: Path, month: str) -> dict:
    return json.loads((root / "site" / "acme" / month / "report.json").read_text(encoding="utf-8"))


# --- 1. any first and last day, any weekday, gaps: no traceback --------------------------------


@pytest.mark.parametrize("start_day", range(1, 9))  # Sep 2026 starts on a Tuesday: every weekday
@pytest.mark.parametrize("by", ["week", "day"])
def test_data_starting_on_any_day_builds_every_chart(tmp_path, start_day, by):
    first = dt.date(2026, 9, start_day)
    rows = daily(first, dt.date(2026, 10, 27 - start_day), skip={dt.date(2026, 10, 10)})
    notes = {
        "2026-09": chart_note(
            f"metric: clicks\ntype: bar\nby: {by}\ncompare: previous",
            f"metric: clicks\ntype: line\nby: {by}\ncompare: target",
        ),
        "2026-10": chart_note(f"metric: clicks\ntype: area\nby: {by}\ncompare: previous"),
    }
    root = write_project(tmp_path / "p", rows, notes)
    result, output = build(root)
    assert result.exit_code == 0, output
    september = charts(root / "site" / "acme" / "2026-09" / "index.html")
    main = september[-2]["data"][0]
    # Days (or weeks) before the data starts are gaps, never zeros.
    assert main["y"][0] is None if by == "day" and start_day > 1 else True
    assert 0 not in main["y"]
    assert sum(v for v in main["y"] if v is not None) == 10 * len([r for r in rows if r["date"] < "2026-10"])


def test_week_chart_on_data_starting_friday_the_4th(tmp_path):
    """The onboarding case of issue 9: a Google-Ads-like export from Friday 4 Sep."""
    rows = daily(dt.date(2026, 9, 4), dt.date(2026, 11, 22))
    notes = {"2026-09": chart_note("metric: clicks\ntype: bar\nby: week")}
    root = write_project(tmp_path / "p", rows, notes)
    result, output = build(root)
    assert result.exit_code == 0, output
    week = charts(root / "site" / "acme" / "2026-09" / "index.html")[-1]["data"][0]
    # Weeks of Aug 31 (Fri 4 - Sun 6: 3 days), Sep 7, 14, 21, 28 (Mon 28 - Wed 30: 3 days).
    assert week["y"] == [30, 70, 70, 70, 30]


# --- 2. a month with a note and no data -----------------------------------------------------


def test_final_note_for_a_month_without_data_renders_no_data_yet_and_warns(tmp_path):
    rows = daily(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    notes = {
        "2026-10": chart_note(),
        "2026-12": chart_note(
            "metric: clicks\ntype: bar\nby: week\ncompare: previous",
            "metric: clicks\ntype: line\nby: day\ncompare: target",
            "metric: clicks\ntype: pie\nby: channel",
            "metric: clicks\ntype: line\nby: month",
        ),
    }
    root = write_project(tmp_path / "p", rows, notes, budget={"monthly": 1000})
    result, output = build(root)
    assert result.exit_code == 0, output
    assert "content/acme/2026-12.md: warning: 2026-12 has a note but no data yet" in output
    page = (root / "site" / "acme" / "2026-12" / "index.html").read_text(encoding="utf-8")
    assert "No data yet for December 2026." in page
    data = report_json(root, "2026-12")
    assert data["budget"]["spent"] is None and all(v is None for v in data["totals"].values())
    # --strict fails on the warning, with the note's path, and no traceback.
    result, output = build(root, "--strict")
    assert result.exit_code == 1 and "content/acme/2026-12.md" in output


def test_client_with_budget_and_note_but_no_data_file_yet(tmp_path):
    every_kind = [
        f"metric: {metric}\ntype: {kind}\nby: {by}" + (f"\ncompare: {compare}" if compare else "")
        for metric in ("clicks", "ctr")
        for kind, by, compare in [
            ("line", "day", "previous"),
            ("bar", "week", "target"),
            ("area", "month", "previous"),
            ("pie", "channel", None),
            ("bar", "campaign", "previous"),
            ("line", "week", None),
        ]
    ]
    root = write_project(
        tmp_path / "p",
        None,
        {"2026-11": chart_note(*every_kind)},
        budget={"monthly": 500},
        kpis=[{"metric": "clicks", "target": 100}, {"metric": "ctr", "target": "2%"}],
    )
    result, output = build(root)
    assert result.exit_code == 0, output
    assert "content/acme/2026-11.md: warning: 2026-11 has a note but no data yet" in output
    page = (root / "site" / "acme" / "2026-11" / "index.html").read_text(encoding="utf-8")
    assert "No data yet for November 2026." in page
    assert report_json(root, "2026-11")["budget"] == {
        "budget": 500,
        "spent": None,
        "expected_by_now": pytest.approx(500 * 22 / 30),
    }
    home = (root / "site" / "acme" / "index.html").read_text(encoding="utf-8")
    assert "November 2026" in home


def test_check_and_build_agree_on_a_note_only_month(tmp_path):
    root = write_project(
        tmp_path / "p",
        daily(dt.date(2026, 10, 1), dt.date(2026, 10, 20)),
        {"2026-12": chart_note("metric: clicks\ntype: bar\nby: week")},
        budget={"monthly": 100},
    )
    checked = run_cli("check", "--project", root)
    assert checked.exit_code == 0 and "Traceback" not in checked.output
    assert "2026-12 has a note but no data yet" in checked.stdout + checked.stderr
    assert build(root)[0].exit_code == 0


# --- 3. never a zero that is not in the data ------------------------------------------------


def test_days_without_rows_are_gaps_not_zeros(tmp_path):
    gap = {dt.date(2026, 10, d) for d in (5, 6, 7)}
    rows = daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31), skip=gap)
    notes = {"2026-10": chart_note("metric: clicks\ntype: line\nby: day")}
    root = write_project(tmp_path / "p", rows, notes)
    result, output = build(root)
    assert result.exit_code == 0, output
    y = charts(root / "site" / "acme" / "2026-10" / "index.html")[-1]["data"][0]["y"]
    assert y[4:7] == [None, None, None] and y[3] == 10 and y[7] == 10


@pytest.mark.parametrize("by", ["day", "week", "campaign", "channel", "month"])
def test_a_comparison_without_data_draws_no_line(tmp_path, by):
    rows = daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    notes = {"2026-10": chart_note(f"metric: clicks\ntype: line\nby: {by}\ncompare: previous")}
    root = write_project(tmp_path / "p", rows, notes)
    result, output = build(root)
    assert result.exit_code == 0, output
    traces = charts(root / "site" / "acme" / "2026-10" / "index.html")[-1]["data"]
    assert len(traces) == 1, [t["name"] for t in traces]
    # The built-in daily KPI chart compares with September (no data) too: no line either.
    for figure in charts(root / "site" / "acme" / "2026-10" / "index.html"):
        for trace in figure["data"]:
            assert any(v is not None for v in trace.get("y") or trace.get("values") or [None]), trace


def test_a_month_whose_spend_cells_are_all_blank_has_no_spend(tmp_path):
    rows = daily(dt.date(2026, 9, 1), dt.date(2026, 9, 30)) + daily(
        dt.date(2026, 10, 1), dt.date(2026, 10, 31), spend=""
    )
    root = write_project(tmp_path / "p", rows, {"2026-10": chart_note()}, budget={"monthly": 1000})
    result, output = build(root)
    assert result.exit_code == 0, output
    data = report_json(root, "2026-10")
    assert data["budget"]["spent"] is None and data["totals"]["spend"] is None
    assert data["totals"]["clicks"] == 310
    page = (root / "site" / "acme" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "<strong>—</strong> spent of $1,000" in page
    assert "Under budget" not in page and "$0.00" not in page
    assert report_json(root, "2026-09")["budget"]["spent"] == pytest.approx(5.5 * 30)


# --- 8. targets say what they mean ----------------------------------------------------------


@pytest.mark.parametrize("target", ["2%", "2 %", "0.02", '"2%"', "2.0%"])
def test_percent_targets_are_one_target(tmp_path, target):
    root = write_project(
        tmp_path / "p",
        daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        {"2026-10": chart_note()},
        kpis=f"[{{metric: clicks, target: 100}}, {{metric: ctr, target: {target}}}]",
    )
    result, output = build(root)
    assert result.exit_code == 0, output
    assert "warning" not in output.replace("has data but no note", "")
    kpi = report_json(root, "2026-10")["kpis"][1]
    assert kpi["metric"] == "ctr" and kpi["target"] == pytest.approx(0.02)
    page = (root / "site" / "acme" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "2.00%" in page or "2.0%" in page or "2%" in page


@pytest.mark.parametrize("kpi", ["{metric: ctr, target: 2}", "{metric: clicks, format: percent, target: 5}"])
def test_a_plain_number_above_one_for_a_percent_kpi_is_a_warning_with_the_fix(tmp_path, kpi):
    root = write_project(
        tmp_path / "p",
        daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        {"2026-10": chart_note()},
        kpis=f"[{kpi}]",
    )
    result, output = build(root)
    assert result.exit_code == 0, output
    assert "clients.yaml:" in output and "did you mean" in output and "%?" in output
    assert build(root, "--strict")[0].exit_code == 1


@pytest.mark.parametrize(
    ("kpis", "needle"),
    [
        ("[{metric: ctr, target: 0,02}]", "target: a comma inside a number"),
        ('[{metric: ctr, target: "0,02"}]', "'0,02' has a comma"),
        ("[{metric: ctr, target: '2,5 %'}]", "'2,5 %' has a comma"),
        ("[{metric: clicks, target: 1,500}]", "target: a comma inside a number"),
        ("[{metric: clicks, target: 5%}]", "'5%' is a percent, but KPI 'clicks' is not"),
    ],
)
def test_a_decimal_comma_or_a_misplaced_percent_is_an_error_saying_how_to_write_it(tmp_path, kpis, needle):
    root = write_project(tmp_path / "p", daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), kpis=kpis)
    result, output = build(root)
    assert result.exit_code == 1, output
    line = next(
        i for i, text in enumerate((root / "clients.yaml").read_text().splitlines(), 1) if "kpis:" in text
    )
    assert f"clients.yaml:{line}: " in output and needle in output, output
    assert "unknown field" not in output


def test_a_block_style_decimal_comma_target(tmp_path):
    root = write_project(
        tmp_path / "p",
        daily(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        kpis="\n  - metric: ctr\n    target: 0,02",
    )
    result, output = build(root)
    assert result.exit_code == 1
    assert "clients.yaml:" in output and "'0,02' has a comma" in output and "0.02" in output


# --- 9. one channel rule ------------------------------------------------------------------


def test_one_channel_rule_for_tables_charts_and_json(tmp_path):
    rows = [
        # The row's channel cell wins over the campaign's channel in clients.yaml ...
        {
            "date": "2026-10-01",
            "campaign": "brand",
            "channel": "social",
            "impressions": 100,
            "clicks": 10,
            "spend": 1,
        },
        # ... and the campaign's channel fills in for a row without one.
        {
            "date": "2026-10-02",
            "campaign": "generic",
            "channel": "",
            "impressions": 100,
            "clicks": 20,
            "spend": 2,
        },
        {
            "date": "2026-10-02",
            "campaign": "other",
            "channel": "",
            "impressions": 100,
            "clicks": 30,
            "spend": 3,
        },
    ]
    campaigns = [
        {"id": "brand", "name": "Brand", "channel": "search"},
        {"id": "generic", "name": "Generic", "channel": "search"},
    ]
    notes = {
        "2026-10": chart_note(
            "metric: clicks\ntype: pie\nby: channel", "metric: clicks\ntype: bar\nby: campaign"
        )
    }
    root = write_project(tmp_path / "p", rows, notes, campaigns=campaigns)
    result, output = build(root)
    assert result.exit_code == 0, output
    data = report_json(root, "2026-10")
    assert {c["campaign"]: c["channel"] for c in data["campaigns"]} == {
        "brand": "social",
        "generic": "search",
        "other": None,
    }
    pie = charts(root / "site" / "acme" / "2026-10" / "index.html")[-2]["data"][0]
    assert dict(zip(pie["labels"], pie["values"], strict=True)) == {
        "search": 20,
        "social": 10,
        "Unassigned": 30,
    }
    page = (root / "site" / "acme" / "2026-10" / "index.html").read_text(encoding="utf-8")
    campaign_table = page[page.index('id="campaigns"') :]
    brand_row = campaign_table[campaign_table.index(">Brand<") :].split("</tr>")[0]
    assert "<td>social</td>" in brand_row and "search" not in brand_row
    download = (root / "site" / "acme" / "2026-10" / "metrics.csv").read_text(encoding="utf-8")
    assert [line.split(",")[1:3] for line in download.splitlines()[1:]] == [
        ["brand", "social"],
        ["generic", "search"],
        ["other", ""],
    ]


# --- problems without a line sort with the rest ---------------------------------------------


def test_problems_with_and_without_a_line_sort_together(tmp_path):
    rows = daily(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    notes = {"2026-12": chart_note(), "2026-09": "---\nstatus: final\n---\nNo summary.\n"}
    root = write_project(tmp_path / "p", rows, notes, kpis="[{metric: clicks}, {metric: ctr, target: 3}]")
    result, output = build(root)
    assert result.exit_code == 0, output
    assert output.count("warning:") >= 4


def test_problem_order_never_compares_a_missing_line_with_a_number():
    from reportgen.errors import InputError, Problem

    problems = {
        Problem("content/a/2026-12.md", None, "z", "warning"),
        Problem("content/a/2026-12.md", 3, "a", "warning"),
        Problem("clients.yaml", 7, "b"),
        Problem("clients.yaml", None, "c"),
    }
    assert [(p.path, p.line) for p in sorted(problems)] == [
        ("clients.yaml", None),
        ("clients.yaml", 7),
        ("content/a/2026-12.md", None),
        ("content/a/2026-12.md", 3),
    ]
    assert str(InputError(problems)).startswith("clients.yaml: c")


def test_a_note_for_a_month_not_started_says_so(tmp_path):
    # Today is 2026-11-23 in tests: a final note written ahead for January.
    root = write_project(
        tmp_path / "p",
        daily(dt.date(2026, 10, 1), dt.date(2026, 11, 20)),
        {"2027-01": chart_note("metric: clicks\ntype: line\nby: day")},
        budget={"monthly": 1000},
    )
    result, output = build(root, "--month", "2027-01")
    assert result.exit_code == 0, output
    page = (root / "site" / "acme" / "2027-01" / "index.html").read_text(encoding="utf-8")
    assert "Not started yet" in page
    assert "Month to date" not in page and "Expected by now" not in page
    assert report_json(root, "2027-01")["budget"]["spent"] is None
