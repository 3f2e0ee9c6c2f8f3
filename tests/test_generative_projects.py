"""Random but plausible projects, built through the CLI (issue 9).

Hypothesis writes a client with data starting and ending on any day, gaps,
blank cells and blank columns, months with only a note, notes for months
before and after the data, several files per client (delivery by period,
plus a CRM file adding leads for the same days: merged, never an overlap),
and note charts of every kind (line/bar/area/pie × day/week/month/campaign/
channel × no comparison/previous/target). It asserts:

- no traceback; exit 0, or exit 1 with `path:line` messages when it planted
  a broken chart block on purpose;
- a report for every month with data or a non-draft note;
- `report.json` totals (and campaign rows) equal an independent sum of the CSVs;
- day and week charts of a base metric show exactly the CSV's sums, and a gap
  (never 0) where the CSVs have no value.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import figure_blocks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TODAY = dt.date(2026, 11, 23)
EARLIEST = dt.date(2025, 9, 1)
CAMPAIGNS = (("brand", "search"), ("generic", "search"), ("social-ads", "social"), ("display", None))
DELIVERY = ("impressions", "clicks", "spend")
KINDS = [
    (t, by) for t in ("line", "bar", "area") for by in ("day", "week", "month", "campaign", "channel")
] + [("pie", "campaign"), ("pie", "channel")]
MONTH = re.compile(r"^\d{4}-\d{2}$")


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, by: int) -> str:
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@st.composite
def cell(draw, low: int, high: int, money: bool = False):
    if draw(st.integers(0, 9)) == 0:
        return ""  # blank: no value
    value = draw(st.integers(low, high))
    return f"{value / 100:.2f}" if money else str(value)


@st.composite
def projects(draw):
    start = EARLIEST + dt.timedelta(days=draw(st.integers(0, 420)))
    length = draw(st.integers(0, 110))
    end = min(start + dt.timedelta(days=length), TODAY - dt.timedelta(days=1))
    days = []
    day = start
    gap_every = draw(st.sampled_from([0, 3, 5, 11]))
    while day <= end:
        if not gap_every or (day - start).days % gap_every or draw(st.booleans()):
            days.append(day)
        day += dt.timedelta(days=1)
    # Blank columns: a month whose spend (or clicks) cells are all blank.
    blank_months = {
        month_of(d): draw(st.sampled_from([None, "spend", "clicks"]))
        for d in days
        if d.day == 1 or d == days[0]
    }
    used = draw(st.lists(st.sampled_from(CAMPAIGNS), min_size=1, max_size=3, unique=True))
    delivery = []
    for day in days:
        for campaign, channel in used:
            if draw(st.integers(0, 6)) == 0:
                continue  # this campaign did not run that day
            row = {
                "date": day.isoformat(),
                "campaign": campaign,
                "channel": draw(st.sampled_from([channel or "", "", "video"])),
                "impressions": draw(cell(100, 5000)),
                "clicks": draw(cell(0, 200)),
                "spend": draw(cell(0, 90000, money=True)),
            }
            blank = blank_months.get(month_of(day))
            if blank:
                row[blank] = ""
            delivery.append(row)
    files: dict[str, tuple[tuple[str, ...], list[dict]]] = {}
    # Delivery in one file, or split by period into two (never the same day twice).
    dates = sorted({r["date"] for r in delivery})
    split = draw(st.sampled_from([None, *dates[1:]])) if len(dates) > 1 else None
    header = ("date", "campaign", "channel", *DELIVERY)
    if split:
        files["delivery-a.csv"] = (header, [r for r in delivery if r["date"] < split])
        files["delivery-b.csv"] = (header, [r for r in delivery if r["date"] >= split])
    else:
        files["delivery.csv"] = (header, delivery)
    has_leads = draw(st.booleans())
    if has_leads:  # a CRM export adds leads for the same days and campaigns: merged
        crm = [
            {"date": r["date"], "campaign": r["campaign"], "leads": draw(cell(0, 30))}
            for r in delivery
            if draw(st.integers(0, 3))
        ]
        files["crm-leads.csv"] = (("date", "campaign", "leads"), crm)
    metrics = [*DELIVERY, *(["leads"] if has_leads else []), "ctr", "cpc"]

    kpis = [
        {"metric": "clicks", "target": draw(st.integers(1, 5000))},
        {"metric": "ctr", "target": draw(st.sampled_from(["2%", "2 %", 0.02, "0.5%"]))},
        {"metric": "spend", "target": draw(st.integers(1, 90000)), "better": "lower"},
    ]
    if has_leads:
        kpis.append({"metric": "leads", "target": draw(st.integers(1, 400))})
    targeted = {k["metric"] for k in kpis}

    data_months = sorted({r["date"][:7] for r in delivery})
    candidates = sorted(
        {
            *data_months,
            month_of(TODAY),
            shift_month(month_of(TODAY), 1),
            month_of(start),
            shift_month(month_of(start), -1),
            shift_month(month_of(end), 1),
            shift_month(month_of(end), 3),
        }
    )
    notes = {}
    broken = None
    chosen = draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True))
    if data_months and draw(st.integers(0, 3)):  # the onboarding month: data starts on any day
        chosen = [data_months[0], *(m for m in chosen if m != data_months[0])]
    for month in chosen:
        specs = []
        for _ in range(draw(st.integers(0, 4))):
            kind, by = draw(st.sampled_from(KINDS))
            metric = draw(st.sampled_from(metrics))
            compare = None
            if kind != "pie":
                choices = [None, "previous"]
                if by in ("day", "week", "month") and metric in targeted:
                    choices.append("target")
                compare = draw(st.sampled_from(choices))
            specs.append((metric, kind, by, compare))
        status = draw(st.sampled_from(["final", "final", "draft"]))
        notes[month] = (status, specs)
    if notes and draw(st.integers(0, 7)) == 0:
        broken = sorted(notes)[0]  # a pie chart by day: a `path:line` error
        notes[broken] = ("final", [*notes[broken][1], ("clicks", "pie", "day", None)])
    budget = draw(
        st.sampled_from([None, {"monthly": 1000}, {"monthly": 500, "months": {month_of(TODAY): 800}}])
    )
    campaigns = [
        {"id": c, "name": c.title(), **({"channel": ch} if ch else {})}
        for c, ch in CAMPAIGNS
        if draw(st.booleans())
    ]
    return {
        "files": files,
        "notes": notes,
        "kpis": kpis,
        "budget": budget,
        "campaigns": campaigns,
        "broken": broken,
        "data_months": data_months,
    }


def write(root: Path, project: dict) -> None:
    client = {
        "id": "acme",
        "name": "Acme",
        "account_executive": {"name": "Jane Doe"},
        "kpis": project["kpis"],
        "data": ["data/acme/*.csv"],
    }
    if project["budget"]:
        client["budget"] = project["budget"]
    if project["campaigns"]:
        client["campaigns"] = project["campaigns"]
    (root / "data" / "acme").mkdir(parents=True)
    (root / "clients.yaml").write_text(
        yaml.safe_dump({"agency": {"name": "Agency"}, "clients": [client]}, sort_keys=False), encoding="utf-8"
    )
    for name, (header, rows) in project["files"].items():
        with (root / "data" / "acme" / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(header), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    for month, (status, specs) in project["notes"].items():
        blocks = "".join(
            f"\n```chart\nmetric: {metric}\ntype: {kind}\nby: {by}\n"
            + (f"compare: {compare}\n" if compare else "")
            + "```\n"
            for metric, kind, by, compare in specs
        )
        path = root / "content" / "acme" / f"{month}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\nstatus: {status}\nsummary: Month {month}\n---\nText.\n{blocks}", encoding="utf-8"
        )


# --- an independent reading of the CSVs ---------------------------------------------------------


def read_sums(root: Path):
    """Sums by (month, metric), (month, campaign, metric) and (day, metric); None = no value."""
    by_month: dict = defaultdict(lambda: None)
    by_campaign: dict = defaultdict(lambda: None)
    by_day: dict = defaultdict(lambda: None)
    days_with_rows = set()

    def add(table, key, text):
        if text.strip():
            table[key] = (table[key] or 0) + float(text)

    for path in sorted((root / "data" / "acme").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                day = dt.date.fromisoformat(row["date"])
                days_with_rows.add(day)
                for metric, text in row.items():
                    if metric in ("date", "campaign", "channel"):
                        continue
                    add(by_month, (month_of(day), metric), text)
                    add(by_campaign, (month_of(day), row["campaign"], metric), text)
                    add(by_day, (day, metric), text)
    return by_month, by_campaign, by_day


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def check_month(site: Path, month: str, specs, sums) -> None:
    by_month, by_campaign, by_day = sums
    folder = site / "acme" / month
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    base = [m for m in ("impressions", "clicks", "spend", "leads") if m in report["totals"]]
    for metric in base:
        assert close(report["totals"][metric], by_month[(month, metric)]), (month, metric, report)
    if report["budget"]["spent"] is not None or "spend" in base:
        assert close(report["budget"]["spent"], by_month[(month, "spend")]), (month, report)
    for row in report["campaigns"]:
        for metric in base:
            assert close(row[metric], by_campaign[(month, row["campaign"], metric)]), (month, row)
    # Note charts are the last figures of the page, in the note's order.
    blocks = figure_blocks((folder / "index.html").read_text(encoding="utf-8"))
    figures = [
        blocks[key]
        for key in sorted((k for k in blocks if k.startswith("chart-")), key=lambda k: int(k.split("-")[1]))
    ]
    first_day = dt.date(int(month[:4]), int(month[5:]), 1)
    for (metric, kind, by, compare), figure in zip(specs, figures[len(figures) - len(specs) :], strict=True):
        traces = figure["data"]
        if compare == "previous":
            assert all(any(v is not None for v in t["y"]) for t in traces[1:]), traces
        if metric not in base or kind == "pie" or by not in ("day", "week"):
            continue
        ys = traces[0]["y"]
        if by == "day":
            expected = [by_day[(first_day + dt.timedelta(days=i), metric)] for i in range(len(ys))]
        else:
            start = first_day - dt.timedelta(days=first_day.weekday())
            expected = []
            for week in range(len(ys)):
                values = [
                    by_day[(day, metric)]
                    for day in (start + dt.timedelta(days=7 * week + i) for i in range(7))
                    if day.month == first_day.month
                ]
                values = [v for v in values if v is not None]
                expected.append(sum(values) if values else None)
        assert all(close(y, e) for y, e in zip(ys, expected, strict=True)), (month, by, ys, expected)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(projects())
def test_random_projects_build_and_add_up(project):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "proj"
        root.mkdir()
        write(root, project)
        result = run_cli("build", "--project", root)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception),
            output,
        )
        if project["broken"]:
            assert result.exit_code == 1, output
            assert f"content/acme/{project['broken']}.md:" in output, output
            assert re.search(r"content/acme/\d{4}-\d{2}\.md:\d+: ", output), output
            return
        assert result.exit_code == 0, output
        site = root / "site"
        expected = set(project["data_months"]) | {
            month for month, (status, _specs) in project["notes"].items() if status == "final"
        }
        built = {p.name for p in (site / "acme").iterdir() if p.is_dir() and MONTH.match(p.name)}
        assert built == expected
        sums = read_sums(root)
        for month in sorted(built):
            status, specs = project["notes"].get(month, ("final", []))
            check_month(site, month, specs if status == "final" else [], sums)
