"""The demo agency is checked-in data (reportgen/demo.py): `init --demo` copies
it, its calendar moved by whole months so that its data ends yesterday."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.demo import (
    DEMO_FILES,
    NEWEST_MONTH,
    REFERENCE_DAY,
    _month_names,
    _moved_rows,
    demo_source,
    write_demo_agency,
)
from reportgen.model import Month

REPO = Path(__file__).resolve().parent.parent


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=dt.UTC).timestamp()))


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for name in DEMO_FILES
        for p in sorted([root / name, *(root / name).rglob("*")])
        if p.is_file()
    }


# --- on its own day the demo is copied unchanged ---------------------------------------------


def test_the_checked_in_demo_is_the_repository_top_in_a_source_checkout():
    assert demo_source() == REPO or demo_source().name == "demo_project"
    assert (demo_source() / "clients.yaml").is_file()
    assert Month.of(REFERENCE_DAY - dt.timedelta(days=1)) == NEWEST_MONTH


def test_init_demo_on_the_reference_day_copies_the_checked_in_files_byte_for_byte(tmp_path):
    write_demo_agency(tmp_path, REFERENCE_DAY)
    written, checked_in = files(tmp_path), files(demo_source())
    assert len(written) > 80
    assert written == checked_in


def test_the_package_holds_the_demo_as_data_not_as_a_generator():
    source = (REPO / "reportgen" / "demo.py").read_text(encoding="utf-8")
    assert "random" not in source and "PHRASES" not in source
    config = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"reportgen.demo_project" = "."' in config  # the repository's top, installed as package data
    for pattern in ("clients.yaml", "assets/*.svg", "data/*/*.csv", "content/*/*.md"):
        assert f'"{pattern}"' in config


# --- on any other day: current, consistent, and clean under --strict -------------------------


def newest_dates(root: Path) -> dict[str, dt.date]:
    out = {}
    for folder in sorted((root / "data").iterdir()):
        newest = max(folder.glob("*.csv"), key=lambda p: p.stem)
        last_line = newest.read_text(encoding="utf-8").rstrip("\n").rsplit("\n", 1)[-1]
        out[folder.name] = dt.date.fromisoformat(last_line.split(",")[0])
    return out


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2034, 12, 31)))
@example(REFERENCE_DAY)
@example(dt.date(2026, 11, 23))  # the test suite's today: a running November
@example(dt.date(2028, 3, 1))  # a leap February just complete
@example(dt.date(2027, 3, 31))  # a 30-day running month from 31-day and 28-day sources
@example(dt.date(2027, 1, 1))
def test_init_demo_on_any_day_ends_yesterday_and_checks_clean(tmp_path_factory, day):
    root = tmp_path_factory.mktemp("demo") / "agency"
    env = {"SOURCE_DATE_EPOCH": epoch(day)}
    assert run_cli("init", root, "--demo", env=env).exit_code == 0
    yesterday = day - dt.timedelta(days=1)
    # data through yesterday for every client; the newest complete month is last month
    assert set(newest_dates(root).values()) == {yesterday}
    last_month = Month.of(day).previous
    for client in (root / "content").iterdir():
        notes = {Month.parse(p.stem): front_matter(p) for p in client.glob("*.md")}
        assert last_month in notes and notes[last_month]["status"] == "final"
        assert max(notes) == Month.of(yesterday)
        drafts = [month for month, front in notes.items() if front["status"] == "draft"]
        assert drafts == ([] if day.day == 1 else [Month.of(day)])
    # every row lies in its file's month, up to yesterday
    for csv in (root / "data").glob("*/*.csv"):
        dates = {line[:10] for line in csv.read_text(encoding="utf-8").splitlines()[1:]}
        assert all(d.startswith(csv.stem) and d <= yesterday.isoformat() for d in dates), csv
    checked = run_cli("check", "--project", root, "--strict", "--drafts", env=env)
    assert checked.exit_code == 0, (day, checked.output)
    assert "warning" not in checked.stderr


@pytest.mark.parametrize("day", [dt.date(2027, 3, 15), dt.date(2030, 8, 1)])
def test_a_moved_demo_builds_strictly(tmp_path, day):
    root = tmp_path / "agency"
    env = {"SOURCE_DATE_EPOCH": epoch(day)}
    assert run_cli("init", root, "--demo", env=env).exit_code == 0
    built = run_cli("build", "--project", root, "--strict", env=env)
    assert built.exit_code == 0, built.output
    assert len([p for p in (root / "site").iterdir() if p.is_dir() and p.name != "assets"]) == 4


def test_a_moved_demo_names_its_months_in_the_notes_language(tmp_path):
    day = dt.date(2027, 3, 10)  # November 2026 becomes March 2027, October becomes February
    write_demo_agency(tmp_path, day)
    acme = (tmp_path / "content" / "acme-corp" / "2027-02.md").read_text(encoding="utf-8")
    assert "October" not in acme and "February" in acme
    nordlicht = (tmp_path / "content" / "nordlicht-moebel" / "2027-02.md").read_text(encoding="utf-8")
    assert "Oktober" not in nordlicht and "Februar" in nordlicht
    pho = (tmp_path / "content" / "pho-saigon" / "2027-03.md").read_text(encoding="utf-8")
    assert "tháng 11" not in pho and "tháng 3 năm 2027" in pho
    config = (tmp_path / "clients.yaml").read_text(encoding="utf-8")
    assert '"2027-03": 25000' in config  # acme's November budget override moved with its month


# --- the date shifter's parts ------------------------------------------------------------------


def test_month_names_move_with_their_year():
    en = _month_names("en_US", 4)
    assert (
        en("November 2026 report: up on October, live since May 1.")
        == "March 2027 report: up on February, live since September 1."
    )
    assert en("Maya met Sam in May.") == "Maya met Sam in September."  # whole words only
    assert _month_names("de_DE", 2)("im Oktober, 14. Dezember 2026") == "im Dezember, 14. Februar 2027"
    assert (
        _month_names("vi_VN", 1)("tháng 11 năm 2026, tháng 12 và tháng 1, tháng tới")
        == "tháng 12 năm 2026, tháng 1 và tháng 2, tháng tới"
    )
    assert _month_names("de_DE", 0)("März") == "März"


def csv_month(month: Month, seed: int) -> str:
    lines = ["date,campaign,channel,impressions,clicks,spend,conversions,leads,revenue"]
    for day in range(1, month.days + 1):
        for k in range(2):
            n = (day * 7 + k * 13 + seed) % 50 + 1
            lines.append(
                f"{month.first_day.replace(day=day)},c{k},search,{n * 40},{n * 3},"
                f"{n * 2.37:.2f},{n},{n // 2},{n * 11.5:.2f}"
            )
    return "\n".join(lines) + "\n"


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 11), st.integers(-30, 30), st.integers(0, 99))
def test_a_moved_month_keeps_its_spend_and_its_funnel(month_index, shift, seed):
    source = Month(2026, month_index + 1)
    target = source.shift(shift)
    text = _moved_rows(csv_month(source, seed), source, target, target.days)
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert {row[0] for row in rows} == {
        target.first_day.replace(day=d).isoformat() for d in range(1, target.days + 1)
    }
    spend_before = sum(float(r.split(",")[5]) for r in csv_month(source, seed).splitlines()[1:])
    assert sum(float(r[5]) for r in rows) == pytest.approx(spend_before, rel=0.001)
    for row in rows:
        impressions, clicks, _, conversions, leads = (float(v) for v in row[3:8])
        assert impressions >= 1 and clicks <= impressions and conversions <= clicks and leads <= conversions
        assert re.fullmatch(r"\d+\.\d\d", row[5]) and re.fullmatch(r"\d+", row[3])
    if source.days == target.days:
        assert text.replace(str(target), str(source)) == csv_month(source, seed)


def test_the_running_month_is_cut_after_yesterday():
    source = Month(2026, 11)
    text = _moved_rows(csv_month(source, 1), source, Month(2027, 2), 9)
    assert text.splitlines()[-1].startswith("2027-02-09,")
