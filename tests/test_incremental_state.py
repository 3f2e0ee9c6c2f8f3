"""Incremental equals clean, by construction: random edits, then byte-for-byte comparison.

A hypothesis state machine edits a small project the way an agency does —
old months' CSVs, notes with every chart kind and comparison (including the
25-month `by: month, compare: previous`), clients.yaml (targets, budgets,
campaigns, KPIs), template overrides, the build date — and after every step
checks that an incremental build of the project is byte-identical to a clean
build into another folder. Also: input fingerprints never change for an
unchanged file, however recently it was written.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import tree_bytes
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from reportgen.cache import RACY_WINDOW_NS, InputDigests
from reportgen.model import Month

FIRST = Month(2024, 9)
MONTHS = [FIRST.shift(i) for i in range(27)]  # 2024-09 .. 2026-11: 25-month charts reach the start
DAYS = (1, 8, 16, 22, 28)  # sparse rows keep the project small (and give charts gaps)
LAST_DAY = dt.date(2026, 11, 22)
TODAYS = [dt.date(2026, 11, 23), dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 9)]
CLIENTS = ("acme", "berlin")
CAMPAIGNS = {
    "acme": [("brand", "search"), ("social", "meta")],
    "berlin": [("brand-de", "search"), ("video-de", "youtube")],
}
METRICS = ("impressions", "clicks", "spend", "conversions", "ctr", "cpc", "cpa")
CHART_KINDS = [
    (kind, by, compare)
    for kind in ("line", "bar", "area", "pie")
    for by in ("day", "week", "month", "campaign", "channel")
    for compare in (None, "previous", "target")
    if not (kind == "pie" and (by not in ("campaign", "channel") or compare))
    and not (compare == "target" and by in ("campaign", "channel"))
]


def on(month: Month, day: int) -> dt.date:
    return dt.date(month.year, month.month, day)


def epoch(day: dt.date) -> str:
    return str(calendar.timegm(day.timetuple()))


def month_rows(client: str, month: Month) -> list[list[str]]:
    rows = []
    for day in DAYS:
        if day > month.days or on(month, day) > LAST_DAY:
            continue
        for index, (campaign, channel) in enumerate(CAMPAIGNS[client]):
            seed = month.year * 1000 + month.month * 40 + day + index * 7
            rows.append(
                [
                    on(month, day).isoformat(),
                    campaign,
                    *([channel] if client == "acme" else []),
                    str(1000 + seed % 977),
                    str(20 + seed % 53),
                    f"{50 + seed % 131}.25",
                    str(seed % 11),
                ]
            )
    return rows


def csv_text(client: str, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "date",
            "campaign",
            *(["channel"] if client == "acme" else []),
            "impressions",
            "clicks",
            "spend",
            "conversions",
        ]
    )
    writer.writerows(rows)
    return buffer.getvalue()


def initial_config() -> dict:
    def client(cid: str, locale: str, currency: str) -> dict:
        return {
            "id": cid,
            "name": f"{cid.title()} Ltd",
            "locale": locale,
            "currency": currency,
            "account_executive": {"name": "Ann Exec", "email": "ann@agency.example"},
            "budget": {"monthly": 4000, "months": {"2026-10": 4500}},
            "kpis": [
                {"metric": "clicks", "label": "Clicks", "target": 500},
                {"metric": "cpa", "label": "Cost per acquisition", "target": 40, "better": "lower"},
            ],
            "campaigns": [
                {"id": c, "name": f"{c} campaign", "channel": ch, "budget": 900} for c, ch in CAMPAIGNS[cid]
            ],
            "data": [f"data/{cid}/*.csv"],
        }

    return {
        "agency": {"name": "Statemachine Media"},
        "clients": [client("acme", "en_US", "USD"), client("berlin", "de_DE", "EUR")],
    }


def note_markdown(
    summary: str, charts: list[tuple[str, str, str | None, str]], annotation: dt.date | None
) -> str:
    front: dict = {
        "status": "final",
        "summary": summary,
        "next_steps": [{"task": "Review", "due": dt.date(2026, 11, 28), "done": False}],
    }
    if annotation:
        front["annotations"] = [{"date": annotation, "text": f"Event {summary}"}]
    body = [f"Body {summary}.\n"]
    for kind, by, compare, metric in charts:
        lines = [f"metric: {metric}", f"type: {kind}", f"by: {by}"]
        if compare:
            lines.append(f"compare: {compare}")
        body.append("```chart\n" + "\n".join(lines) + "\n```\n")
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + "\n".join(body)


charts_strategy = st.lists(
    st.tuples(st.sampled_from(CHART_KINDS), st.sampled_from(METRICS)).map(
        lambda pair: (*pair[0], "clicks" if pair[0][2] == "target" else pair[1])
    ),
    min_size=1,
    max_size=3,
)
# Old months are the interesting ones: only long charts of later reports read them.
OLD_MONTHS = MONTHS[1:12]  # 2024-10 .. 2025-08: read by 2026-10's 25-month chart alone
months_strategy = st.one_of(st.sampled_from(OLD_MONTHS), st.sampled_from(MONTHS))
BERLIN_MONTHS = MONTHS[13:]  # a client with 14 months of data


class IncrementalProject(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="rg-state-"))
        self.root = self.tmp / "proj"
        self.config = initial_config()
        self.today = TODAYS[0]
        self.steps = 0
        self.last_output = ""
        self.expect_failure = False  # no edit here makes an invalid project

    def teardown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- writing the project -------------------------------------------------------------

    def write_config(self) -> None:
        text = yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True)
        (self.root / "clients.yaml").write_text(text, encoding="utf-8")

    def data_file(self, client: str, month: Month) -> Path:
        return self.root / "data" / client / f"{month}.csv"

    def client(self, cid: str) -> dict:
        return next(c for c in self.config["clients"] if c["id"] == cid)

    @initialize()
    def make_project(self):
        self.root.mkdir()
        self.write_config()
        for client in CLIENTS:
            folder = self.root / "data" / client
            folder.mkdir(parents=True)
            for month in MONTHS if client == "acme" else BERLIN_MONTHS:
                self.data_file(client, month).write_text(
                    csv_text(client, month_rows(client, month)), encoding="utf-8"
                )
        notes = self.root / "content" / "acme"
        notes.mkdir(parents=True)
        # the case of issue 9: a 25-month chart on a recent report
        (notes / "2026-10.md").write_text(
            note_markdown(
                "October",
                [("line", "month", "previous", "clicks"), ("bar", "week", "target", "clicks")],
                dt.date(2026, 10, 5),
            ),
            encoding="utf-8",
        )

    # --- edits -------------------------------------------------------------------------------

    @rule(
        client=st.sampled_from(CLIENTS),
        month=months_strategy,
        row=st.integers(0, 40),
        column=st.sampled_from(["impressions", "clicks", "spend", "conversions"]),
        delta=st.integers(1, 5),
    )
    def edit_a_number(self, client, month, row, column, delta):
        path = self.data_file(client, month)
        if not path.exists():
            return
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        header, body = rows[0], rows[1:]
        if not body:
            return
        cells = body[row % len(body)]
        at = header.index(column)
        cells[at] = (
            str(round(float(cells[at]) + delta, 2)) if column == "spend" else str(int(cells[at]) + delta)
        )
        path.write_text(csv_text(client, body), encoding="utf-8")

    @rule(month=st.sampled_from(OLD_MONTHS), row=st.integers(0, 40), delta=st.integers(1, 5))
    def edit_an_old_month(self, month, row, delta):
        self.edit_a_number("acme", month, row, "clicks", delta)

    @rule(client=st.sampled_from(CLIENTS), month=months_strategy)
    def remove_or_restore_a_month(self, client, month):
        path = self.data_file(client, month)
        if path.exists():
            path.unlink()
        else:
            path.write_text(csv_text(client, month_rows(client, month)), encoding="utf-8")

    @rule(
        client=st.sampled_from(CLIENTS),
        month=months_strategy,
        charts=charts_strategy,
        summary=st.sampled_from(["Alpha", "Beta", "Gamma"]),
        annotation=st.one_of(st.none(), st.sampled_from(MONTHS).map(lambda mo: on(mo, 5))),
    )
    def write_a_note(self, client, month, charts, summary, annotation):
        path = self.root / "content" / client / f"{month}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note_markdown(summary, charts, annotation), encoding="utf-8")

    @rule(client=st.sampled_from(CLIENTS), month=months_strategy)
    def remove_a_note(self, client, month):
        path = self.root / "content" / client / f"{month}.md"
        if path.exists():
            path.unlink()

    @rule(
        client=st.sampled_from(CLIENTS),
        change=st.sampled_from(
            ["target", "budget", "budget month", "campaign name", "campaign channel", "kpi"]
        ),
        value=st.integers(1, 9),
    )
    def edit_clients_yaml(self, client, change, value):
        entry = self.client(client)
        if change == "target":
            entry["kpis"][0]["target"] = 500 + value * 37
        elif change == "budget":
            entry["budget"]["monthly"] = 4000 + value * 111
        elif change == "budget month":
            entry["budget"]["months"] = {str(MONTHS[value]): 3000 + value}
        elif change == "campaign name":
            entry["campaigns"][value % 2]["name"] = f"Renamed {value}"
        elif change == "campaign channel":
            entry["campaigns"][value % 2]["channel"] = f"channel-{value}"
        elif any(k["metric"] == "ctr" for k in entry["kpis"]):
            entry["kpis"] = [k for k in entry["kpis"] if k["metric"] != "ctr"]
        else:
            entry["kpis"].append({"metric": "ctr", "label": f"CTR {value}"})
        self.write_config()

    @rule(value=st.integers(0, 3))
    def override_a_template(self, value):
        target = self.root / "templates" / "partials" / "table.html"
        if value == 0:
            shutil.rmtree(self.root / "templates", ignore_errors=True)
            return
        builtin = Path(__file__).resolve().parent.parent / "templates" / "partials" / "table.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            builtin.read_text(encoding="utf-8") + f"<!-- override {value} -->\n", encoding="utf-8"
        )

    @rule(today=st.sampled_from(TODAYS))
    def another_day(self, today):
        self.today = today

    # --- the property ----------------------------------------------------------------------

    def build(self, *args) -> int:
        result = run_cli("build", "--project", self.root, *args, env={"SOURCE_DATE_EPOCH": epoch(self.today)})
        assert "Traceback" not in result.output, result.output
        self.last_output = result.output
        return result.exit_code

    @precondition(lambda self: self.root.exists())
    @invariant()
    def incremental_equals_clean(self):
        self.steps += 1
        jobs = "2" if self.steps % 3 == 0 else "1"
        incremental = self.build("--jobs", jobs)
        clean_out = self.tmp / "clean"
        clean = self.build("--clean", "--out", clean_out)
        assert incremental == clean
        assert clean == 0 or self.expect_failure, self.last_output
        if clean == 0:
            assert_same_tree(tree_bytes(self.root / "site"), tree_bytes(clean_out))


def assert_same_tree(incremental: dict[str, bytes], clean: dict[str, bytes]) -> None:
    differing = sorted(p for p in incremental.keys() | clean.keys() if incremental.get(p) != clean.get(p))
    if differing:
        first = differing[0]
        old, new = (
            incremental.get(first, b"").decode(errors="replace"),
            clean.get(first, b"").decode(errors="replace"),
        )
        at = next(
            (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new))
        )
        raise AssertionError(
            f"incremental build differs from a clean one in {differing}; "
            f"{first} at {at}: {old[at - 80 : at + 80]!r} != {new[at - 80 : at + 80]!r}"
        )


IncrementalProject.TestCase.settings = settings(
    max_examples=5,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_incremental_equals_clean = pytest.mark.slow(IncrementalProject.TestCase)


# --- fingerprints of files ----------------------------------------------------------------------


def test_old_month_edit_reaches_a_25_month_chart(tmp_path):
    """The case of issue 9: a report's `by: month, compare: previous` chart
    reads 25 months; editing the oldest of them re-renders that report."""
    machine = IncrementalProject()
    machine.tmp = tmp_path
    machine.root = tmp_path / "proj"
    machine.make_project()
    machine.incremental_equals_clean()
    report = machine.root / "site" / "acme" / "2026-10" / "index.html"
    before = report.read_bytes()
    machine.edit_a_number("acme", Month(2024, 10), 0, "clicks", 500)
    machine.incremental_equals_clean()
    assert report.read_bytes() != before
    assert report.read_bytes() == (tmp_path / "clean" / "acme" / "2026-10" / "index.html").read_bytes()


def test_signature_of_an_unchanged_file_never_changes(tmp_path, monkeypatch):
    """Racy (just written) or settled, read again or remembered: same signature."""
    path = tmp_path / "data.csv"
    path.write_text("date,clicks\n2026-01-01,1\n")
    first = InputDigests()
    racy = first.signature(path)
    assert str(path) not in first.seen  # too recent to be trusted by its stat later
    real_ns = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real_ns() + 2 * RACY_WINDOW_NS)
    settled = InputDigests(first.seen)
    assert settled.signature(path) == racy
    assert str(path) in settled.seen
    again = InputDigests(settled.seen)
    assert again.signature(path) == racy
    # a same-size rewrite keeping the modification time is still seen (change time)
    info = path.stat()
    path.write_text("date,clicks\n2026-01-01,2\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert InputDigests(settled.seen).signature(path) != racy
    assert InputDigests().signature(tmp_path / "missing.csv")[1] is None


def test_a_fifo_is_never_read(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert "not a regular file" in str(InputDigests().signature(fifo)[1])


# --- recording: what a computation reads ----------------------------------------------------------


def test_every_read_of_client_data_is_recorded():
    """Reports' computations, memoised or not, record each month they touch;
    the data is reachable only through tracked indexes."""
    from reportgen import metrics as m
    from reportgen.depends import MonthIndex, recording
    from reportgen.formulas import parse_formula
    from reportgen.model import Client, Kpi, MetricRow, MetricTable, Person

    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("Jane"),
        kpis=(Kpi(metric="clicks", label="Clicks"),),
        metrics=(("cpc2", parse_formula("spend / clicks"), 3),),
    )
    rows = tuple(MetricRow(on(month, 3), "a", "search", (10, 2.5)) for month in MONTHS)
    facts = m.compute_client_facts(
        client, MetricTable(metrics=("clicks", "spend"), rows=rows, has_campaign=True, has_channel=True)
    )
    assert isinstance(facts.rows_by_month, MonthIndex) and isinstance(facts.month_totals, MonthIndex)
    october = Month(2026, 10)
    for _ in range(2):  # the second time from the memo: still recorded
        with recording() as reads:
            m.compute_month(facts, october, dt.date(2026, 11, 23))
        assert {"month:2026-10", "month:2026-09", "month:2025-10"} <= reads
        assert "month:2024-10" not in reads
    with recording() as reads:
        m.series_by_month(facts, october.last_year, "clicks")  # a 25-month chart's comparison
    assert "month:2024-10" in reads and "month:2025-10" in reads
    with recording() as reads:
        assert facts.last_date == on(MONTHS[-1], 3)
        assert Month(2030, 1) not in facts.rows_by_month  # absence is a read too
        assert len(facts.rows_by_month) == len(MONTHS)
    assert reads == {"last_date", "month:2030-01", "months"}
    m.compute_month(facts, october, dt.date(2026, 11, 23))  # outside a recording: no error
