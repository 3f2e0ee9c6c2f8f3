"""Attack on issue 14: the status rules — freshness against today, months without a report,
low-volume anomalies, overflowing formulas, next-step identity, negative values, the
overview's --out and sort keys, and the small things (unrounded scores, singulars)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random
import unicodedata

import pytest
from helpers import TODAY, make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import metrics as m
from reportgen.anomalies import SCORE_CAP, find_spikes, robust_score
from reportgen.formulas import compile_expr, evaluate, parse_formula
from reportgen.model import (
    Budget,
    Client,
    DataSource,
    Kpi,
    MetricRow,
    MetricTable,
    Month,
    NextStep,
    Note,
    Person,
)
from reportgen.notes import open_next_steps, task_key
from reportgen.overview import kpi_sort, pacing_sort
from reportgen.status import status_row, summarize_client

START = dt.date(2026, 1, 5)
OCTOBER = Month(2026, 10)


def client(**changes) -> Client:
    base = Client(
        id="acme",
        name="Acme",
        account_executive=Person("Ann Lee", "ann@agency.example"),
        kpis=(Kpi("leads", "Leads", target=300),),
        budget=Budget(monthly=3000),
        data=(DataSource("data/acme/*.csv", 9),),
    )
    return dataclasses.replace(base, **changes)


def table(
    first: dt.date, last: dt.date, leads: float = 10, spend: float = 100, campaigns=("search",)
) -> MetricTable:
    rows, by_month, day = [], {}, first
    while day <= last:
        for campaign in campaigns:
            rows.append(MetricRow(day, campaign, "search", (spend, leads)))
        by_month[Month.of(day)] = day
        day += dt.timedelta(days=1)
    return MetricTable(
        metrics=("spend", "leads"),
        rows=tuple(rows),
        has_campaign=True,
        has_channel=True,
        sources=(("data/acme/*.csv", 9, tuple(sorted(by_month.items()))),),
    )


def note(month: Month, **fields) -> Note:
    return Note(
        client_id="acme", month=month, path=f"content/acme/{month}.md", **{"summary": "All good.", **fields}
    )


def row_for(c, t, notes=(), today=TODAY, until=None):
    facts = m.compute_client_facts(c, t, until)
    return status_row(summarize_client(c, facts, list(notes), today, until))


def codes(row) -> dict[str, str]:
    return {f["code"]: f["level"] for f in row.flags}


# --- 3. freshness is measured against today ------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(stopped=st.dates(dt.date(2026, 3, 1), dt.date(2026, 11, 15)), later=st.integers(5, 400))
def test_exports_that_all_stopped_are_late_whatever_month_they_stopped_in(stopped, later):
    today = stopped + dt.timedelta(days=later)
    row = row_for(client(), table(dt.date(2026, 1, 1), stopped), [note(Month.of(stopped))], today=today)
    assert row.month == str(Month.of(stopped))  # the portal's latest report
    assert row.stale_data and codes(row)["data_stale"] == "red"
    assert row.red >= 1


def test_fresh_data_is_still_no_flag():
    row = row_for(client(), table(dt.date(2026, 9, 1), dt.date(2026, 11, 20)), [note(OCTOBER)])
    assert not row.stale_data and "data_stale" not in codes(row)


def test_a_budget_and_no_spend_is_flagged():
    # October has a final note but its export never came: spent nothing against 3,000
    row = row_for(client(), table(dt.date(2026, 8, 1), dt.date(2026, 9, 30)), [note(OCTOBER)], until=OCTOBER)
    assert row.pacing == "under" and codes(row)["pacing_under"] == "red"


def test_status_far_after_the_data_flags_every_client(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    later = str(int(dt.datetime(2027, 3, 1, tzinfo=dt.UTC).timestamp()))
    result = cli("status", "--json", "--project", root, env={"SOURCE_DATE_EPOCH": later})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(r["stale_data"] and r["red"] for r in rows)


# --- 7. a month the portal has no report for -----------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(before=st.integers(1, 30))
def test_a_month_before_the_first_report_is_not_red_and_has_no_link(before):
    first = Month(2026, 6)
    month = first.shift(-before)
    row = row_for(client(), table(first.first_day, dt.date(2026, 11, 22)), [note(first)], until=month)
    assert row.month == str(month) and not row.report
    assert row.red == 0 and row.portal is None


def test_a_month_without_a_report_between_reports_has_no_link(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    result = cli("status", "--json", "--project", root, "--month", "2020-01")
    assert result.exit_code == 0, result.output
    for row in json.loads(result.stdout):
        assert row["portal"] is None and row["red"] == 0 and not row["report"]
    result = cli("overview", "--project", root, "--month", "2020-01", "--out", tmp_path / "ov")
    assert result.exit_code == 0, result.output
    index = (tmp_path / "ov" / "index.html").read_text(encoding="utf-8")
    assert "/2020-01/index.html" not in index and "no report" in index


# --- 4. low-volume counts do not flood with anomalies --------------------------------------------


def poisson(rng: random.Random, rate: float) -> int:
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), rate=st.floats(0.1, 5))
def test_poisson_counts_give_few_flags_and_no_absurd_scores(seed, rate):
    rng = random.Random(seed)
    judged = flagged = 0
    for _ in range(10):
        series = [(START + dt.timedelta(days=i), float(poisson(rng, rate))) for i in range(120)]
        since = START + dt.timedelta(days=35)
        judged += 85
        spikes = find_spikes(series, since=since)
        flagged += len(spikes)
        assert all(abs(s.score) <= SCORE_CAP for s in spikes)
    assert flagged / judged <= 0.03, (rate, flagged)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), rate=st.floats(0.1, 3), at=st.integers(40, 119))
def test_a_real_burst_in_a_low_count_is_still_found(seed, rate, at):
    rng = random.Random(seed)
    series = [(START + dt.timedelta(days=i), float(poisson(rng, rate))) for i in range(120)]
    series[at] = (series[at][0], 30.0)
    assert series[at][0] in {s.date for s in find_spikes(series, since=series[at][0])}


def test_a_constant_zero_window_scores_the_first_count_modestly():
    score, median, _mad = robust_score(1.0, [0.0] * 20)
    assert median == 0 and score < 3.5  # 1 lead on a day where there are usually none: no anomaly
    assert robust_score(1e12, [5.0] * 20)[0] == SCORE_CAP


# --- 6. formulas never overflow into a traceback -------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    depth=st.integers(1, 40),
    # (a metric's value is finite: the CSV parser refuses inf and NaN, and caps every number)
    value=st.one_of(st.integers(-(10**40), 10**40), st.floats(allow_nan=False, allow_infinity=False)),
    op=st.sampled_from("*+-/"),
)
def test_huge_values_and_deep_formulas_give_a_finite_value_or_none(depth, value, op):
    formula = parse_formula(op.join(["leads"] * depth))
    for result in (
        evaluate(formula.expr, lambda _name: value),
        compile_expr(formula.expr, lambda _name: lambda _sums: value)(None),
    ):
        assert result is None or math.isfinite(result)


def test_the_overflowing_project_checks_and_reports_without_traceback(tmp_path, cli):
    root = tmp_path / "ovf"
    (root / "data" / "a").mkdir(parents=True)
    leads = "*".join(["leads"] * 21)
    (root / "clients.yaml").write_text(
        "agency: {name: A}\ndefaults: {locale: en_US, currency: USD}\nclients:\n"
        f'  - {{id: a, name: A, account_executive: {{name: AE}}, metrics: {{x: "{leads}"}}, '
        "kpis: [{metric: x, target: 1}], data: [data/a/*.csv]}\n",
        encoding="utf-8",
    )
    (root / "data" / "a" / "m.csv").write_text("date,campaign,leads\n2026-11-02,c,1000000000000000\n")
    for args in (["check"], ["status"], ["build"]):
        result = cli(*args, "--project", root)
        assert result.exit_code == 0, (args, result.output, result.exception)


# --- 8. a next step closed with visually identical text is closed --------------------------------


SPACES = st.sampled_from([" ", "  ", "\t", "\u00a0", "\u3000"])


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(
        st.text(st.characters(categories=("L", "M", "N")), min_size=1, max_size=6), min_size=1, max_size=4
    ),
    form=st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]),
    gaps=st.lists(SPACES, min_size=5, max_size=5),
    upper=st.booleans(),
)
def test_the_same_task_typed_differently_is_one_task(words, form, gaps, upper):
    task = " ".join(words)
    typed = gaps[0] + "".join(w + gaps[i % 4 + 1] for i, w in enumerate(words))
    typed = unicodedata.normalize(form, typed.upper() if upper else typed)
    assert task_key(task) == task_key(typed) or upper  # a case change may not round-trip (ß → SS)
    if task_key(task) != task_key(typed):
        return
    due = dt.date(2026, 9, 1)
    notes = [
        note(Month(2026, 9), next_steps=(NextStep(task, "Ann", due),)),
        note(OCTOBER, next_steps=(NextStep(typed, "Ann", due, done=True),)),
    ]
    assert open_next_steps(notes) == []
    row = row_for(client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31)), notes, until=OCTOBER)
    assert row.overdue_steps == 0


def test_the_overdue_warning_names_the_steps_line(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    path = root / "content" / "acme-corp" / "2026-10.md"
    step = "next_steps:\n- {task: Ring them, due: 2026-11-01}"
    path.write_text(path.read_text().replace("next_steps:", step, 1))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "Ring them" in text)
    assert (
        f"content/acme-corp/2026-10.md:{line}: warning: next step 'Ring them'"
        in cli("check", "--project", root).stderr
    )


# --- 9, 10. overview --out --------------------------------------------------------------------


@pytest.mark.parametrize(
    "out",
    [
        "content",
        "data/x",
        ".reportgen-cache",
        ".reportgen-cache/ov",
        ".reportgen",
        ".reportgen/x",
        "site",
        "site/ov",
    ],
)
def test_overview_refuses_inputs_reportgens_own_folders_and_the_site(tmp_path, cli, out):
    root = tmp_path / "proj"
    make_project(root)
    (root / ".reportgen-cache").mkdir()
    result = cli("overview", "--project", root, "--out", root / out)
    assert result.exit_code == 1, result.output
    assert "'site'" not in result.stderr and "'overview'" in result.stderr
    assert not (root / out / "index.html").exists()


# --- 11. negative values --------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(spend=st.floats(-1000, -0.01), target=st.floats(1, 100))
def test_a_negative_value_is_never_judged_better_than_target(spend, target):
    kpis = (
        Kpi("cpl", "Cost per lead", target=target, better="lower"),
        Kpi("spend", "Spend", target=target, better="lower"),
    )
    c = client(kpis=kpis, metrics=(("cpl", m.parse_formula("spend / leads"), 1),))
    row = row_for(
        c, table(dt.date(2026, 9, 1), dt.date(2026, 10, 31), spend=spend), [note(OCTOBER)], until=OCTOBER
    )
    assert row.kpis_met == 0 and all(k["status"] == "none" and k["pct_of_target"] is None for k in row.kpis)


def test_a_negative_cell_is_noted_at_its_line_and_strict_still_passes(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    path = root / "data" / "acme-corp" / "2026.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("spend")] = "-12.5"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    result = cli("check", "--project", root)
    assert "data/acme-corp/2026.csv:6: column 'spend': negative value -12.5" in result.stderr
    # A refund is real data: a scheduled `build --strict` must not fail on it.
    assert "negative value" not in "".join(
        line
        for line in cli("check", "--project", root, "--strict").stderr.splitlines()
        if ": warning: " in line
    )


# --- 12. overview sort keys ------------------------------------------------------------------


def test_sort_keys_carry_severity_then_the_number():
    near = row_for(
        client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), leads=9.5), [note(OCTOBER)], until=OCTOBER
    )
    nearer = row_for(
        client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), leads=9.4), [note(OCTOBER)], until=OCTOBER
    )
    below = row_for(
        client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), leads=2), [note(OCTOBER)], until=OCTOBER
    )
    assert kpi_sort(below) > kpi_sort(nearer) > kpi_sort(near)
    pace = {
        s: row_for(
            client(),
            table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), spend=s),
            [note(OCTOBER)],
            until=OCTOBER,
        )
        for s in (60, 80, 90, 120, 140)
    }
    # red +45 % and −38 %, then amber +20 % and −20 %, then on pace: by severity, then how far off
    assert (
        pacing_sort(pace[140])
        > pacing_sort(pace[60])
        > pacing_sort(pace[120])
        > pacing_sort(pace[80])
        > pacing_sort(pace[90])
    )


# --- 13. small things -----------------------------------------------------------------------


def test_spike_scores_are_not_rounded_and_a_stopped_campaign_is_one_gap_not_spikes():
    rows = table(dt.date(2026, 8, 1), dt.date(2026, 11, 22), leads=10, campaigns=("search", "social"))
    stopped = tuple(r for r in rows.rows if not (r.campaign == "social" and r.date > dt.date(2026, 11, 5)))
    row = row_for(client(), dataclasses.replace(rows, rows=stopped), [note(OCTOBER)])
    assert [g["campaign"] for g in row.gaps] == ["social"]
    assert all(s["date"] <= "2026-11-05" for s in row.spikes)
    spike = dt.date(2026, 11, 18)
    spiked = tuple(
        MetricRow(
            r.date,
            r.campaign,
            r.channel,
            (r.values[0], 37.123456 if r.date == spike else 10.0 + r.date.day % 3),
        )
        for r in rows.rows
        if r.campaign == "search"
    )
    row = row_for(client(), dataclasses.replace(rows, rows=spiked), [note(OCTOBER)])
    score = next(s["score"] for s in row.spikes if s["date"] == "2026-11-18")
    assert score != round(score, 2)


def test_one_client_is_singular(tmp_path, cli):
    root = tmp_path / "one"
    (root / "data" / "a").mkdir(parents=True)
    (root / "clients.yaml").write_text(
        "agency: {name: A}\ndefaults: {locale: en_US, currency: USD}\nclients:\n"
        "  - {id: a, name: A, account_executive: {name: AE}, kpis: [{metric: leads, target: 1}], "
        "data: [data/a/*.csv]}\n",
        encoding="utf-8",
    )
    (root / "data" / "a" / "m.csv").write_text("date,campaign,leads\n2026-11-02,c,3\n")
    assert cli("check", "--project", root).stdout == "OK: 1 client, 1 monthly report.\n"
