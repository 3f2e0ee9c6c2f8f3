"""`reportgen status`: every flag, the attention order, --json, errors and the warm cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil

import pytest
from helpers import SOURCE_DATE_EPOCH, TODAY, make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import agency as agency_module
from reportgen import metrics as m
from reportgen.agency import collect_summaries
from reportgen.cache import CACHE_DIR
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
from reportgen.status import StatusRow, sort_rows, status_row, summarize_client
from reportgen.statuscache import STATUS_FOLDER, status_file

NOVEMBER = Month(2026, 11)
OCTOBER = Month(2026, 10)


# --- summaries from plain data: every flag -----------------------------------------------------


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
    first: dt.date,
    last: dt.date,
    leads: float = 10,
    spend: float = 100,
    spike: dt.date | None = None,
    sources=None,
) -> MetricTable:
    rows = []
    day = first
    while day <= last:
        rows.append(MetricRow(day, "search", "search", (spend, leads * (5 if day == spike else 1))))
        day += dt.timedelta(days=1)
    if sources is None:  # one data entry holding every row
        by_month: dict = {}
        for row in rows:
            by_month[Month.of(row.date)] = row.date
        sources = (("data/acme/*.csv", 9, tuple(sorted(by_month.items()))),)
    return MetricTable(
        metrics=("spend", "leads"), rows=tuple(rows), has_campaign=True, has_channel=True, sources=sources
    )


def note(month: Month, **fields) -> Note:
    return Note(
        client_id="acme", month=month, path=f"content/acme/{month}.md", **{"summary": "All good.", **fields}
    )


def row_for(c: Client, t: MetricTable, notes=(), today: dt.date = TODAY, until=None) -> StatusRow:
    facts = m.compute_client_facts(c, t, until)
    return status_row(summarize_client(c, facts, list(notes), today, until))


def codes(row: StatusRow) -> dict[str, str]:
    return {f["code"]: f["level"] for f in row.flags}


def october_project(leads: float, spend: float = 100, **kwargs) -> StatusRow:
    """October 2026, complete, with a final note: only the figures vary."""
    return row_for(
        client(**kwargs),
        table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), leads, spend),
        [note(OCTOBER)],
        until=OCTOBER,
    )


def test_kpi_on_near_and_below_target():
    on = october_project(leads=10)  # 310 leads in 31 days against 300
    assert (on.kpis_met, on.kpis_near, on.kpis_below) == (1, 0, 0)
    assert "kpi_below" not in codes(on) and "kpi_near" not in codes(on)
    near = october_project(leads=9)  # 279: 93 %
    assert (near.kpis_met, near.kpis_near, near.kpis_below) == (0, 1, 0)
    assert codes(near)["kpi_near"] == "amber"
    below = october_project(leads=5)  # 155: 52 %
    assert (below.kpis_met, below.kpis_near, below.kpis_below) == (0, 0, 1)
    assert codes(below)["kpi_below"] == "red"
    assert below.worst_kpi == "Leads" and below.worst_kpi_attainment == pytest.approx(155 / 300)


def test_lower_is_better_kpi_attainment_is_inverted():
    row = october_project(
        leads=10,
        kpis=(Kpi("cpl", "Cost per lead", target=20, better="lower"),),
        metrics=(("cpl", m.parse_formula("spend / leads"), 1),),
    )
    assert row.kpis_met == 1  # 10 per lead against 20
    assert row.worst_kpi_attainment == pytest.approx(2.0)


def test_pacing_over_and_under():
    on = october_project(leads=10, spend=100)  # 3,100 of 3,000: on budget
    assert on.pacing == "on_pace" and not any(c.startswith("pacing") for c in codes(on))
    over = october_project(leads=10, spend=130)  # 4,030: 34 % over
    assert over.pacing == "over" and codes(over)["pacing_over"] == "red"
    assert over.pacing_delta == pytest.approx(4030 / 3000 - 1)
    slightly = october_project(leads=10, spend=112)  # 3,472: 16 % over
    assert codes(slightly)["pacing_over"] == "amber"
    under = october_project(leads=10, spend=50)
    assert under.pacing == "under" and codes(under)["pacing_under"] == "red"


def test_pacing_of_a_running_month_is_against_the_days_elapsed():
    c = client()
    row = row_for(c, table(dt.date(2026, 9, 1), dt.date(2026, 11, 22), spend=100), [note(OCTOBER)])
    assert row.month == "2026-11" and row.partial
    assert row.expected_by_now == pytest.approx(3000 * 22 / 30)
    assert row.pacing == "on_pace"


@pytest.mark.parametrize(
    "notes, state, code, level",
    [
        ([], "missing", "note_missing", "red"),
        ([note(OCTOBER, status="draft")], "draft", "note_draft", "amber"),
        ([note(OCTOBER, summary=None)], "final_without_summary", "note_without_summary", "amber"),
        ([note(OCTOBER)], "final", None, None),
    ],
)
def test_note_states(notes, state, code, level):
    row = row_for(client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31)), notes, until=OCTOBER)
    assert row.note == state
    if code:
        assert codes(row)[code] == level
    else:
        assert not {"note_missing", "note_draft", "note_without_summary"} & set(codes(row))


def test_a_running_month_without_a_note_is_not_due_yet():
    row = row_for(client(), table(dt.date(2026, 9, 1), dt.date(2026, 11, 22)), [note(OCTOBER)])
    assert row.note == "not_due" and "note_missing" not in codes(row)


def test_overdue_next_steps_count_and_oldest():
    steps = (
        NextStep("Send the audit", "Ann", dt.date(2026, 11, 2)),
        NextStep("Book the shoot", "Bo", dt.date(2026, 10, 20)),
        NextStep("Later thing", "Ann", dt.date(2026, 12, 20)),
        NextStep("Done thing", "Ann", dt.date(2026, 9, 1), done=True),
    )
    row = row_for(
        client(),
        table(dt.date(2026, 8, 1), dt.date(2026, 10, 31)),
        [note(OCTOBER, next_steps=steps)],
        until=OCTOBER,
    )
    assert row.overdue_steps == 2 and row.open_steps == 3
    assert row.oldest_overdue == "2026-10-20" and row.oldest_overdue_task == "Book the shoot"
    assert codes(row)["steps_overdue"] == "red"


def test_a_step_closed_in_a_later_note_is_not_overdue():
    late = NextStep("Send the audit", "Ann", dt.date(2026, 9, 2))
    notes = [
        note(Month(2026, 9), next_steps=(late,)),
        note(OCTOBER, next_steps=(dataclasses.replace(late, done=True),)),
    ]
    row = row_for(client(), table(dt.date(2026, 8, 1), dt.date(2026, 10, 31)), notes, until=OCTOBER)
    assert row.overdue_steps == 0 and "steps_overdue" not in codes(row)


def test_stale_data_and_a_missing_export():
    two = (DataSource("data/acme/ads.csv", 9), DataSource("data/acme/ga4.csv", 10))
    sources = (
        ("data/acme/ads.csv", 9, ((OCTOBER, dt.date(2026, 10, 31)), (NOVEMBER, dt.date(2026, 11, 12)))),
        ("data/acme/ga4.csv", 10, ((OCTOBER, dt.date(2026, 10, 31)),)),
    )
    row = row_for(
        client(data=two), table(dt.date(2026, 9, 1), dt.date(2026, 11, 12), sources=sources), [note(OCTOBER)]
    )
    by_entry = {s["data"]: s for s in row.sources}
    assert by_entry["data/acme/ads.csv"] == {
        "data": "data/acme/ads.csv",
        "last_date": "2026-11-12",
        "missing": False,
        "stale": True,
    }
    assert by_entry["data/acme/ga4.csv"]["missing"] and not by_entry["data/acme/ga4.csv"]["stale"]
    assert row.stale_data and row.missing_exports == 1
    assert codes(row)["data_stale"] == "red" and codes(row)["export_missing"] == "red"


def test_fresh_data_is_no_flag():
    row = row_for(client(), table(dt.date(2026, 9, 1), dt.date(2026, 11, 22)), [note(OCTOBER)])
    assert row.data_through == "2026-11-22"
    assert not row.stale_data and not row.missing_exports
    assert not {"data_stale", "export_missing"} & set(codes(row))


def test_a_planted_spike_is_an_anomaly_flag():
    spike = dt.date(2026, 11, 18)
    row = row_for(client(), table(dt.date(2026, 9, 1), dt.date(2026, 11, 22), spike=spike), [note(OCTOBER)])
    assert [(s["metric"], s["date"], s["direction"]) for s in row.spikes] == [("leads", "2026-11-18", "high")]
    assert row.anomalies == 1 and codes(row)["anomaly"] == "amber"


def test_a_campaign_that_stops_is_an_anomaly():
    rows = table(dt.date(2026, 9, 1), dt.date(2026, 11, 22))
    stopped = [
        MetricRow(d, "social", "social", (50, 2))
        for d in (dt.date(2026, 9, 1) + dt.timedelta(days=i) for i in range(70))
    ]  # up to Nov 9
    t = dataclasses.replace(rows, rows=rows.rows + tuple(stopped))
    row = row_for(client(), t, [note(OCTOBER)])
    assert row.gaps == [{"campaign": "social", "last_date": "2026-11-09", "days": 13}]


def test_no_data_at_all():
    row = row_for(client(), MetricTable(metrics=(), rows=()), [])
    assert row.month is None and codes(row)["no_data"] == "red"


# --- the order: what needs attention first ------------------------------------------------------


def fake(client_id: str, red: int, amber: int) -> StatusRow:
    fields = {f.name: None for f in dataclasses.fields(StatusRow)}
    return StatusRow(**{**fields, "id": client_id, "red": red, "amber": amber, "flags": []})


def test_sorting_red_then_amber_then_id():
    rows = [fake("b", 0, 2), fake("a", 1, 0), fake("c", 1, 3), fake("d", 0, 0), fake("e", 0, 2)]
    assert [r.id for r in sort_rows(rows)] == ["c", "a", "b", "e", "d"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=20))
def test_sorting_never_puts_a_calmer_client_first(flags):
    rows = sort_rows(fake(f"c{i:02d}", red, amber) for i, (red, amber) in enumerate(flags))
    keys = [(r.red, r.amber) for r in rows]
    assert keys == sorted(keys, reverse=True)


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def proj(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    return root


def test_json_lists_every_field_of_every_client(proj, cli):
    result = cli("status", "--project", proj, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sorted(r["id"] for r in rows) == ["acme-corp", "berlin-bikes", "saigon-foods"]
    names = {f.name for f in dataclasses.fields(StatusRow)}
    for row in rows:
        assert set(row) == names
        assert row["month"] == "2026-11" and row["partial"] is True
        assert row["note"] == "draft"  # November's note is a draft in the generated project
        assert all({"level", "code", "text"} == set(f) for f in row["flags"])
        assert row["portal"] == f"{row['slug']}/2026-11/index.html"
    keys = [(r["red"], r["amber"]) for r in rows]
    assert keys == sorted(keys, reverse=True)


def test_the_table_has_a_line_per_client_and_no_colours_off_a_terminal(proj, cli):
    result = cli("status", "--project", proj)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["client", "AE", "month"]
    assert len(lines) == 4
    assert "\x1b[" not in result.output


def test_month_and_ae_options(proj, cli):
    result = cli("status", "--project", proj, "--json", "--month", "previous", "--ae", "AE qzacmeqz")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["id"], r["month"], r["note"]) for r in rows] == [("acme-corp", "2026-10", "final")]
    by_email = cli("status", "--project", proj, "--json", "--ae", "QZACMEQZ@agency.example")
    assert [r["id"] for r in json.loads(by_email.stdout)] == ["acme-corp"]


@pytest.mark.parametrize(
    "args, words",
    [
        (("--ae", "AE qzacmeq"), "did you mean 'AE qzacmeqz'"),
        (("--month", "2026-13"), "--month"),
        (("--month", "soon"), "--month"),
    ],
)
def test_bad_options_are_usage_errors_without_traceback(proj, cli, args, words):
    result = cli("status", "--project", proj, *args)
    assert result.exit_code == 2, result.output  # as build's bad --month (README: exit 2)
    assert "Usage: " in result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_clients_yaml_is_path_line_and_exit_1(proj, cli):
    (proj / "clients.yaml").write_text("agency: {name: X}\nclients: [{id: Bad Id}]\n")
    result = cli("status", "--project", proj)
    assert result.exit_code == 1
    assert "clients.yaml:2:" in result.output and "Traceback" not in result.output


def test_a_client_with_broken_data_is_shown_not_fatal(proj, cli):
    with (proj / "data" / "acme-corp" / "2026.csv").open("a") as handle:
        handle.write("not-a-date,x,y,1,2,3,4,5,6\n")
    rows = json.loads(cli("status", "--project", proj, "--json").stdout)
    broken = next(r for r in rows if r["id"] == "acme-corp")
    assert broken["error"] and "2026.csv" in broken["error"]
    assert rows[0]["id"] == "acme-corp"  # an error is red: first
    assert all(r["error"] is None for r in rows if r["id"] != "acme-corp")


# --- the warm cache ------------------------------------------------------------------------------


def no_csv(*_args, **_kwargs):
    raise AssertionError("status read a CSV although the cache is warm")


def test_after_a_build_status_reads_no_csv(proj, cli, monkeypatch):
    assert cli("build", "--project", proj).exit_code == 0
    fresh = collect_summaries(proj, None, TODAY, cache_dir=proj / "elsewhere")  # loads everyone
    assert fresh.loaded == 3
    monkeypatch.setattr(agency_module, "load_client_data", no_csv)
    warm = collect_summaries(proj, None, TODAY)
    assert warm.loaded == 0
    assert warm.summaries == fresh.summaries  # what the build stored is what status computes
    # one note edited: only that client is loaded again
    monkeypatch.undo()
    note = proj / "content" / "berlin-bikes" / "2026-10.md"
    note.write_text(note.read_text().replace("status: final", "status: draft"))
    again = collect_summaries(proj, None, TODAY)
    assert again.loaded == 1
    assert again.summaries["berlin-bikes"]["note"] == "draft"  # November's, a draft anyway
    assert collect_summaries(proj, "2026-10", TODAY).summaries["berlin-bikes"]["note"] == "draft"


def test_status_warms_its_own_cache(proj):
    assert collect_summaries(proj, None, TODAY).loaded == 3
    assert collect_summaries(proj, None, TODAY).loaded == 0
    assert collect_summaries(proj, "previous", TODAY).loaded == 3  # another as-of month
    for path in (proj / CACHE_DIR / STATUS_FOLDER).iterdir():
        path.write_text("{not json")
    assert collect_summaries(proj, None, TODAY).loaded == 3  # a corrupt cache is only slower


def test_a_protected_clients_summary_stays_out_of_the_cache(proj, cli):
    text = (proj / "clients.yaml").read_text()
    text = text.replace(
        "- id: saigon-foods\n", "- id: saigon-foods\n  access: {password_env: SAIGON_PW}\n", 1
    )
    (proj / "clients.yaml").write_text(text)
    env = {"SAIGON_PW": "a long enough password here"}
    assert cli("build", "--project", proj, env=env).exit_code == 0
    cache = "".join(p.read_text() for p in (proj / CACHE_DIR / STATUS_FOLDER).iterdir())
    assert "acme-corp" in cache and "saigon-foods" not in cache and "qzsaigonqz" not in cache
    assert not status_file(proj / CACHE_DIR, "saigon-foods").exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAIGON_PW", env["SAIGON_PW"])
        found = collect_summaries(proj, None, TODAY)
    assert found.loaded == 1 and found.summaries["saigon-foods"]["protected"] is True
    assert "qzsaigonqz" not in "".join(p.read_text() for p in (proj / CACHE_DIR / STATUS_FOLDER).iterdir())


def test_check_reports_anomalies_without_failing_strict(proj, cli):
    path = proj / "data" / "acme-corp" / "2026.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    at = header.index("impressions")
    for i, line in enumerate(lines):
        if line.startswith("2026-11-17,"):
            cells = line.split(",")
            cells[at] = str(int(float(cells[at] or 0)) * 40 + 100000)
            lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    text = (proj / "clients.yaml").read_text()
    # a KPI on impressions, so the planted spike is a KPI metric's
    text = text.replace(
        "  kpis:\n  - metric: leads\n",
        "  kpis:\n  - metric: impressions\n    label: Impr\n    target: 1000\n  - metric: leads\n",
        1,
    )
    (proj / "clients.yaml").write_text(text)
    result = cli("check", "--project", proj, "--strict", "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    assert "anomaly: client 'acme-corp': Impr on 2026-11-17" in result.stderr


def test_status_is_fast_enough_to_not_need_jobs_for_three(proj, cli):
    # --jobs 1 and the default give the same rows
    one = cli("status", "--project", proj, "--json", "--jobs", "1")
    shutil.rmtree(proj / CACHE_DIR)
    many = cli("status", "--project", proj, "--json", "--jobs", "2")
    assert json.loads(one.stdout) == json.loads(many.stdout)


def test_source_date_epoch_is_today():
    assert os.environ["SOURCE_DATE_EPOCH"] == SOURCE_DATE_EPOCH


def test_the_table_shows_no_control_characters_from_a_name():
    from reportgen.status import render_table

    c = client(name="Evil\x1b[2J\x07Co\nLtd", account_executive=Person("A\x1b]0;x\x07"))
    row = row_for(c, table(dt.date(2026, 8, 1), dt.date(2026, 10, 31)), [note(OCTOBER)], until=OCTOBER)
    text = render_table([row], styled=False)
    assert "\x1b" not in text and "\x07" not in text
    assert "Evil [2J Co Ltd" in text
    assert len(text.splitlines()) == 2


@settings(max_examples=40, deadline=None)
@given(
    leads=st.integers(0, 40),
    spend=st.floats(0, 400),
    target=st.integers(1, 1000),
    budget=st.one_of(st.none(), st.integers(1, 20000)),
    note_kind=st.sampled_from(["none", "draft", "final", "no summary"]),
)
def test_flags_agree_with_the_figures(leads, spend, target, budget, note_kind):
    """Whatever the figures: the counts add up, each flag is there exactly when its
    condition holds, and red/amber count the flags."""
    notes = {
        "none": [],
        "draft": [note(OCTOBER, status="draft")],
        "final": [note(OCTOBER)],
        "no summary": [note(OCTOBER, summary=None)],
    }[note_kind]
    c = client(kpis=(Kpi("leads", "Leads", target=target),), budget=Budget(monthly=budget))
    row = row_for(c, table(dt.date(2026, 8, 1), dt.date(2026, 10, 31), leads, spend), notes, until=OCTOBER)
    found = codes(row)
    assert row.kpis_met + row.kpis_near + row.kpis_below + row.kpis_without_target == 1
    assert ("kpi_below" in found) == bool(row.kpis_below)
    assert ("kpi_near" in found) == bool(row.kpis_near)
    assert ("pacing_over" in found) == (row.pacing == "over")
    assert ("pacing_under" in found) == (row.pacing == "under")
    assert (
        row.note
        == {"none": "missing", "draft": "draft", "final": "final", "no summary": "final_without_summary"}[
            note_kind
        ]
    )
    assert row.red == sum(f["level"] == "red" for f in row.flags)
    assert row.amber == sum(f["level"] == "amber" for f in row.flags)
    json.dumps(row.to_json(), allow_nan=False)  # plain JSON, no NaN or inf
