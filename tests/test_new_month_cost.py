"""A new month costs its own pages, not the whole portal (issue 15).

The monthly run adds a month of data and a note for every client. A note's events
(`annotations:`) may mark any chart, so reports used to digest every note's events and
all of them were rendered again whenever any note gained one — the monthly run of M
rendered 2,600 pages instead of 300. A chart now records the days it shows, and a report
is stale only when an event falls in them (depends.record_annotations). These tests
generate the new month's events; the state machine in test_incremental_state.py holds
the incremental site to a clean build when events move anywhere.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path

import yaml
from conftest import run_cli
from helpers import tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency

END = dt.date(2026, 9, 30)
NEW = "2026-10"
BUILT = dt.date(2026, 10, 3)
NEXT_BUILT = dt.date(2026, 11, 3)


def epoch(day: dt.date) -> str:
    return str(calendar.timegm(day.timetuple()))


def build(root: Path, day: dt.date, *args: str) -> dict:
    result = run_cli("build", "--project", root, "--json", *args, env={"SOURCE_DATE_EPOCH": epoch(day)})
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{") :])


def add_month(root: Path, events: list[tuple[int, str]]) -> None:
    """October for every client: September's rows a month later, September's note with
    October's dates and the given events (day of October, text)."""
    for folder in sorted((root / "data").iterdir()):
        for september in sorted(folder.glob("*.csv")):
            lines = september.read_text(encoding="utf-8").splitlines()
            rows = [line for line in lines[1:] if line.startswith("2026-09-")]
            if rows:
                moved = [f"2026-10{line[7:]}" for line in rows]
                (folder / f"{NEW}.csv").write_text("\n".join([lines[0], *moved]) + "\n", encoding="utf-8")
                break
    for folder in sorted((root / "content").iterdir()):
        september = folder / "2026-09.md"
        if not september.is_file():
            continue
        _, front, body = september.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front.replace("2026-09-", "2026-10-"))
        meta["annotations"] = [{"date": dt.date(2026, 10, day), "text": text} for day, text in events]
        meta.pop("charts", None)
        text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body
        (folder / f"{NEW}.md").write_text(text.replace("2026-09-", "2026-10-"), encoding="utf-8")


events_strategy = st.lists(
    st.tuples(
        st.integers(1, 31),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12),
    ),
    max_size=3,
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events_strategy)
def test_a_new_month_renders_its_report_the_one_before_and_the_home(tmp_path_factory, events):
    root = tmp_path_factory.mktemp("monthly") / "agency"
    write_synthetic_agency(root, clients=2, months=5, end=END, seed=3, campaigns_per_client=2)
    first = build(root, BUILT)
    add_month(root, [(day, text.strip() or "x") for day, text in events])
    monthly = build(root, NEXT_BUILT)
    # per client: October's report, September's (its "next" link) and the home page
    assert monthly["pages_written"] == 3 * first["clients"], monthly
    clean = root.parent / "clean"
    build(root, NEXT_BUILT, "--clean", "--out", str(clean))
    assert tree_bytes(root / "site") == tree_bytes(clean)


def test_an_event_in_an_old_month_renders_the_reports_that_show_it(tmp_path):
    root = tmp_path / "agency"
    write_synthetic_agency(root, clients=1, months=5, end=END, seed=5, campaigns_per_client=2)
    build(root, BUILT)
    note = next((root / "content").iterdir()) / "2026-09.md"
    _, front, body = note.read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.safe_load(front)
    meta["annotations"] = [*meta.get("annotations", []), {"date": dt.date(2026, 6, 10), "text": "Launch"}]
    note.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body, encoding="utf-8")
    again = build(root, BUILT)
    clean = tmp_path / "clean"
    build(root, BUILT, "--clean", "--out", str(clean))
    assert tree_bytes(root / "site") == tree_bytes(clean)
    # September's report (its note changed), June's (its daily charts show the 10th),
    # July's (it compares with June) and the home page; not the months that never show June
    assert 3 <= again["pages_written"] < 6, again
