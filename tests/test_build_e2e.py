"""End to end: build the generated project through the CLI and check SPEC 3 and 4."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import plotly
import pytest
from conftest import run_cli
from helpers import (
    BASE_METRICS,
    BUILTIN_DERIVED,
    HEADER,
    TODAY,
    default_clients,
    env_with,
    line_of,
    tree_bytes,
    tree_listing,
)

import reportgen

SPECS = {s.id: s for s in default_clients()}
CLIENT_IDS = list(SPECS)
DATA_MONTHS = [f"2025-{m:02d}" for m in (10, 11, 12)] + [f"2026-{m:02d}" for m in range(1, 12)]
ALL_MONTHS = ["2025-09", *DATA_MONTHS]  # 2025-09 has a note and no data
ALL_METRICS = (*BASE_METRICS, *BUILTIN_DERIVED, "cpl")


# --- an independent computation from the CSV files ---------------------------------------


def input_rows(project: Path, client_id: str) -> list[dict]:
    rows = []
    for path in sorted((project / "data" / client_id).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def number(cell: str):
    cell = cell.strip()
    if not cell:
        return None
    return float(cell)


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def expected_values(rows: list[dict]) -> dict:
    sums = {}
    for name in BASE_METRICS:
        present = [number(r[name]) for r in rows if number(r[name]) is not None]
        sums[name] = sum(present) if present else None
    cpm = div(sums["spend"], sums["impressions"])
    return {
        **sums,
        "ctr": div(sums["clicks"], sums["impressions"]),
        "cpc": div(sums["spend"], sums["clicks"]),
        "cpm": None if cpm is None else 1000 * cpm,
        "cvr": div(sums["conversions"], sums["clicks"]),
        "cpa": div(sums["spend"], sums["conversions"]),
        "roas": div(sums["revenue"], sums["spend"]),
        "cpl": div(sums["spend"], sums["leads"]),
    }


def month_shift(month: str, months: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def days_in(month: str) -> int:
    import calendar

    year, mon = map(int, month.split("-"))
    return calendar.monthrange(year, mon)[1]


def expected_report(project: Path, client_id: str, month: str) -> dict:
    spec = SPECS[client_id]
    rows = input_rows(project, client_id)
    by_month: dict[str, list[dict]] = {}
    for r in rows:
        by_month.setdefault(r["date"][:7], []).append(r)
    values = {m: expected_values(rs) for m, rs in by_month.items()}
    none = dict.fromkeys(ALL_METRICS)
    totals = values.get(month, none)

    kpis = []
    mk = spec.marker
    for metric, label, target in (
        ("leads", f"Leads {mk}", 400),
        ("cpl", f"Cost per lead {mk}", round(45 * spec.scale)),
        ("roas", f"ROAS {mk}", 3),
    ):
        kpis.append(
            {
                "metric": metric,
                "label": label,
                "target": target,
                "value": totals[metric],
                "previous": values.get(month_shift(month, -1), none)[metric],
                "last_year": values.get(month_shift(month, -12), none)[metric],
            }
        )

    budget = spec.november_budget if month == "2026-11" else spec.monthly_budget
    month_rows = by_month.get(month, [])
    if month == f"{TODAY:%Y-%m}":
        elapsed = max(int(r["date"][8:]) for r in month_rows)
        assert elapsed == TODAY.day - 1  # the data runs to yesterday
        expected_by_now = budget * elapsed / days_in(month)
    else:
        expected_by_now = budget
    campaigns = []
    for cid, name, channel in spec.campaigns:
        campaign_rows = [r for r in month_rows if r["campaign"] == cid]
        if campaign_rows:
            campaigns.append(
                {"campaign": cid, "name": name, "channel": channel, **expected_values(campaign_rows)}
            )
    return {
        "client": client_id,
        "month": month,
        "currency": spec.currency or "USD",
        "totals": totals,
        "kpis": kpis,
        "budget": {"budget": budget, "spent": totals["spend"], "expected_by_now": expected_by_now},
        "campaigns": campaigns,
    }


def assert_same_numbers(actual, expected, where=""):
    """Equal shape (keys, list lengths) and values equal up to float rounding."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same_numbers(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same_numbers(a, e, f"{where}[{i}]")
    elif expected is None:
        assert actual is None, f"{where}: {actual!r} should be null"
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), where
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert actual == expected, where


# --- the default build --------------------------------------------------------------------


def test_layout(built_site):
    files = tree_listing(built_site)
    for name in ("index.html", "_headers"):
        assert name in files
    for client_id in CLIENT_IDS:
        assert f"{client_id}/index.html" in files
        months = sorted(p.name for p in (built_site / client_id).iterdir() if p.is_dir())
        assert months == ALL_MONTHS, client_id
        for month in ALL_MONTHS:
            for name in ("index.html", "metrics.csv", "report.json"):
                assert f"{client_id}/{month}/{name}" in files


def test_assets_are_hashed_and_plotly_is_local(built_site):
    assets = sorted(p.name for p in (built_site / "assets").iterdir())
    plotly_files = [n for n in assets if re.fullmatch(r"plotly\.[0-9a-f]{8,}\.min\.js", n)]
    assert len(plotly_files) == 1, assets
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (built_site / "assets" / plotly_files[0]).read_bytes() == shipped.read_bytes()
    assert any(re.fullmatch(r"reportgen\.[0-9a-f]{8,}\.css", n) for n in assets), assets
    assert any(re.fullmatch(r"reportgen\.[0-9a-f]{8,}\.js", n) for n in assets), assets
    page = (built_site / "acme-corp" / "2026-10" / "index.html").read_text()
    assert f'src="../../assets/{plotly_files[0]}"' in page


def test_headers_file(built_site):
    text = (built_site / "_headers").read_text()
    assert text.startswith("/*\n")
    assert re.search(r"^\s+X-Robots-Tag: noindex", text, re.M)
    assert re.search(r"^\s+Referrer-Policy: no-referrer$", text, re.M)
    assert re.search(r"^/assets/\*$", text, re.M)
    assert "immutable" in text  # hashed assets may be cached forever


def test_every_page_is_private_and_offline(built_site):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) == 1 + 3 * (1 + len(ALL_MONTHS))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex,nofollow">' in html, page
        assert '<meta name="referrer" content="no-referrer">' in html, page
        # nothing is loaded from outside the site
        for match in re.finditer(r'<(script|link|img|iframe|source)\b[^>]*\b(?:src|href)="([^"]*)"', html):
            url = match.group(2)
            assert not re.match(r"(?i)^(https?:)?//", url), (page, match.group(0))
            if url.startswith("data:"):  # inline (the empty favicon): nothing is requested
                assert match.group(1) == "link" and url == "data:,", (page, match.group(0))
            elif match.group(1) in ("script", "link"):
                assert (page.parent / url).resolve().is_file(), (page, url)


def test_landing_page_lists_no_client(built_site):
    html = (built_site / "index.html").read_text()
    assert "Brightline Media" in html
    for spec in SPECS.values():
        assert spec.id not in html and spec.marker not in html


@pytest.mark.parametrize("client_id", CLIENT_IDS)
def test_report_json_matches_independent_computation(built_site, built_project, client_id):
    for month in ALL_MONTHS:
        report = json.loads((built_site / client_id / month / "report.json").read_text())
        assert list(report) == [
            "client",
            "month",
            "currency",
            "totals",
            "kpis",
            "budget",
            "campaigns",
            "channels",
        ]
        expected = expected_report(built_project, client_id, month)
        assert set(report["totals"]) == set(ALL_METRICS)
        channels = {row.pop("channel"): row for row in report.pop("channels")}
        assert_same_numbers(report, expected, f"{client_id}/{month}")
        month_rows = [r for r in input_rows(built_project, client_id) if r["date"][:7] == month]
        expected_channels = {}
        for channel in {r["channel"] for r in month_rows}:
            values = expected_values([r for r in month_rows if r["channel"] == channel])
            share = values["spend"] / report["totals"]["spend"] if report["totals"]["spend"] else None
            expected_channels[channel] = {**values, "share": share}
        assert_same_numbers(channels, expected_channels, f"{client_id}/{month} channels")


def test_report_json_has_no_nan_or_infinity(built_site):
    for path in built_site.rglob("report.json"):
        text = path.read_text()
        assert "NaN" not in text and "Infinity" not in text
        json.loads(text, parse_constant=lambda c, where=path: pytest.fail(f"{where}: {c}"))


@pytest.mark.parametrize("client_id", CLIENT_IDS)
def test_metrics_csv_equals_month_input_rows(built_site, built_project, client_id):
    rows = input_rows(built_project, client_id)

    def key(r):
        return (r["date"], r["campaign"], r["channel"])

    def normal(r):
        return (r["date"], r["campaign"], r["channel"], *[number(r[m]) for m in BASE_METRICS])

    for month in ALL_MONTHS:
        with (built_site / client_id / month / "metrics.csv").open(newline="") as handle:
            reader = csv.DictReader(handle)
            assert tuple(reader.fieldnames) == HEADER
            produced = sorted((normal(r) for r in reader), key=lambda t: t[:3])
        expected = sorted((normal(r) for r in rows if r["date"][:7] == month), key=lambda t: t[:3])
        assert produced == expected, f"{client_id}/{month}"
        assert len({t[:3] for t in produced}) == len(produced)
    assert key(rows[0])  # the data has campaign and channel columns


def test_locale_formatting_on_pages(built_site):
    vi = (built_site / "saigon-foods" / "2026-10" / "index.html").read_text()
    de = (built_site / "berlin-bikes" / "2026-10" / "index.html").read_text()
    en = (built_site / "acme-corp" / "2026-10" / "index.html").read_text()
    assert '<html lang="vi-VN">' in vi and "tháng 10 năm 2026" in vi and "₫" in vi
    assert "Tất cả báo cáo" in vi  # Vietnamese theme labels
    assert '<html lang="de-DE">' in de and "Oktober 2026" in de and "€" in de
    assert '<html lang="en-US">' in en and "October 2026" in en and "$" in en


def test_report_page_sections(built_site):
    mk = SPECS["acme-corp"].marker
    html = (built_site / "acme-corp" / "2026-10" / "index.html").read_text()
    for text in (
        f"Summary October {mk}",
        f"Highlight one {mk}",
        f"Recommendation {mk}",
        f"Open task {mk}",
        f"Monthly review {mk}",
        f"Meeting notes {mk}",
        f"Body paragraph {mk}",
        f"Table cell {mk}",
        f"Chart title {mk}",
        f"Annotation {mk}",
        f"Brand search {mk}",
        f"Leads {mk}",
    ):
        assert text in html, text
    assert html.count('class="chart-canvas"') >= 5
    assert "RGCHARTSLOT" not in html
    assert 'href="report.json"' in html and 'href="metrics.csv"' in html


def test_partial_month_is_labelled(built_site):
    html = (built_site / "acme-corp" / "2026-11" / "index.html").read_text()
    assert "22 of 30 days" in html


def test_client_home(built_site):
    mk = SPECS["acme-corp"].marker
    html = (built_site / "acme-corp" / "index.html").read_text()
    assert f"Client {mk}" in html
    assert 'href="2026-11/index.html"' in html  # latest first
    for month in ALL_MONTHS:
        assert f'href="{month}/index.html"' in html
    assert f"Open task {mk}" in html and f"September task {mk}" in html
    assert f"Done task {mk}" not in html  # done steps are not open
    assert f"Summary October {mk}" in html  # archive summaries
    assert f"Draft summary {mk}" not in html


# --- options --------------------------------------------------------------------------------


def build(project: Path, *args: str, out: Path | None = None):
    extra = ("--out", str(out)) if out else ()
    return run_cli("build", "--project", str(project), *extra, *args)


def months_built(site: Path, client_id: str) -> list[str]:
    return sorted(p.name for p in (site / client_id).iterdir() if p.is_dir())


def test_summary_line(project):
    result = build(project)
    assert result.exit_code == 0, result.output
    site_files = [p for p in (project / "site").rglob("*") if p.is_file()]
    match = re.fullmatch(
        r"Built 3 client portals, (\d+) monthly reports, (\d+) files into (.+) "
        r"in \d+\.\ds: \d+ pages rendered, \d+ unchanged\.\n",
        result.stdout,
    )
    assert match, result.stdout
    assert int(match.group(1)) == 3 * len(ALL_MONTHS)
    assert int(match.group(2)) == len(site_files)
    assert result.stderr == ""


def test_client_option(project, tmp_path):
    result = build(project, "--client", "saigon-foods", out=tmp_path / "one")
    assert result.exit_code == 0, result.output
    assert "Built 1 client portal," in result.stdout
    assert sorted(p.name for p in (tmp_path / "one").iterdir() if p.is_dir()) == ["assets", "saigon-foods"]
    result = build(project, "--client", "saigon-foods", "--client", "acme-corp", out=tmp_path / "two")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "two").iterdir() if p.is_dir()) == [
        "acme-corp",
        "assets",
        "saigon-foods",
    ]


def test_client_option_keeps_other_portals(project):
    assert build(project).exit_code == 0
    site = project / "site"
    before = tree_bytes(site)
    acme = project / "content" / "acme-corp" / "2026-10.md"
    acme.write_text(acme.read_text().replace("Body paragraph", "Changed paragraph"))
    result = build(project, "--client", "acme-corp")
    assert result.exit_code == 0, result.output
    after = tree_bytes(site)
    assert set(after) == set(before)
    assert b"Changed paragraph" in after["acme-corp/2026-10/index.html"]
    for path in before:
        if not path.startswith("acme-corp/"):
            assert after[path] == before[path], path


def test_unknown_client_is_a_usage_error(project):
    result = build(project, "--client", "acme-crop")
    assert result.exit_code == 2
    assert "acme-corp" in result.output  # did you mean
    assert not (project / "site").exists()


def test_month_option(project, built_site, tmp_path):
    result = build(project, "--month", "2026-09", out=tmp_path / "sep")
    assert result.exit_code == 0, result.output
    site = tmp_path / "sep"
    for client_id in CLIENT_IDS:
        assert months_built(site, client_id) == [m for m in ALL_MONTHS if m <= "2026-09"]
        home = (site / client_id / "index.html").read_text()
        assert "2026-10/" not in home and "2026-11/" not in home
        assert 'href="2026-09/index.html"' in home
        # the portal as of September: September's figures are the same as in a full build
        assert json.loads((site / client_id / "2026-09" / "report.json").read_text()) == json.loads(
            (built_site / client_id / "2026-09" / "report.json").read_text()
        )
    mk = SPECS["acme-corp"].marker
    assert f"Open task {mk}" not in (site / "acme-corp" / "index.html").read_text()


def test_month_previous_is_last_complete_month(project, tmp_path):
    result = build(project, "--month", "previous", out=tmp_path / "prev")
    assert result.exit_code == 0, result.output
    for client_id in CLIENT_IDS:
        assert months_built(tmp_path / "prev", client_id) == [m for m in ALL_MONTHS if m <= "2026-10"]


def test_month_latest_is_the_default(project, built_site, tmp_path):
    result = build(project, "--month", "latest", out=tmp_path / "latest")
    assert result.exit_code == 0, result.output
    assert tree_bytes(tmp_path / "latest") == tree_bytes(built_site)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "foo", "2026", "10-2026", "1800-01"])
def test_bad_month_is_a_usage_error(project, bad):
    result = build(project, "--month", bad)
    assert result.exit_code == 2, result.output
    assert "--month" in result.output
    assert not (project / "site").exists()


@pytest.mark.parametrize("bad", ["2026-9", "2026-09-15", "2026-10-xx", " 2026-10"])
def test_month_must_be_exactly_yyyy_mm(project, bad):
    result = build(project, "--month", bad)
    assert result.exit_code == 2, result.output
    assert not (project / "site").exists()


def test_drafts_option(project, tmp_path):
    mk = SPECS["berlin-bikes"].marker
    without = tmp_path / "a"
    with_drafts = tmp_path / "b"
    assert build(project, out=without).exit_code == 0
    result = build(project, "--drafts", out=with_drafts)
    assert result.exit_code == 0, result.output
    page = "berlin-bikes/2026-11/index.html"
    assert f"Draft summary {mk}" not in (without / page).read_text()
    drafted = (with_drafts / page).read_text()
    assert f"Draft summary {mk}" in drafted and f"Draft body {mk}" in drafted
    assert "badge-draft" in drafted


def test_draft_only_month_appears_only_with_drafts(project, tmp_path):
    note = project / "content" / "acme-corp" / "2025-08.md"
    note.write_text("---\nstatus: draft\nsummary: early draft\n---\nx\n")
    assert build(project, out=tmp_path / "a").exit_code == 0
    assert not (tmp_path / "a" / "acme-corp" / "2025-08").exists()
    assert build(project, "--drafts", out=tmp_path / "b").exit_code == 0
    assert (tmp_path / "b" / "acme-corp" / "2025-08" / "index.html").is_file()


def test_unknown_option_is_a_usage_error(project):
    result = run_cli("build", "--project", str(project), "--bogus")
    assert result.exit_code == 2
    assert not (project / "site").exists()


def test_missing_project_folder_is_a_usage_error(tmp_path):
    result = run_cli("build", "--project", str(tmp_path / "nope"))
    assert result.exit_code == 2


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"reportgen, version {reportgen.__version__}"


# --- invalid input: exit 1, path:line, nothing written -------------------------------------


def break_file(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def test_invalid_clients_yaml_exit_1(project):
    text = break_file(project / "clients.yaml", "  website:", "  webiste:")
    result = build(project)
    assert result.exit_code == 1
    line = line_of(text, "webiste")
    assert f"clients.yaml:{line}: unknown field 'agency.webiste' (did you mean 'website'?)" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert not (project / "site").exists()


def test_unknown_kpi_metric_exit_1(project):
    text = break_file(project / "clients.yaml", "metric: roas", "metric: roaz")
    result = build(project)
    assert result.exit_code == 1
    assert re.search(
        rf"clients\.yaml:{line_of(text, 'metric: roaz')}: .*'roaz'.*did you mean "
        r"'roas'",
        result.stderr,
    ), result.stderr


def test_bad_csv_row_exit_1(project):
    path = project / "data" / "berlin-bikes" / "2026.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[41] = lines[41].replace("2026-", "2026/", 1)
    path.write_text("".join(lines))
    result = run_cli("check", "--project", str(project))
    assert result.exit_code == 1
    assert "data/berlin-bikes/2026.csv:42: column 'date':" in result.stderr


def test_unknown_chart_metric_in_note_exit_1(project):
    path = project / "content" / "saigon-foods" / "2026-10.md"
    text = break_file(path, "metric: cpl\n", "metric: cpx\n")
    result = run_cli("check", "--project", str(project))
    assert result.exit_code == 1
    assert f"content/saigon-foods/2026-10.md:{line_of(text, '```chart')}: " in result.stderr
    assert "cpx" in result.stderr


def test_check_writes_nothing(project):
    before = tree_bytes(project)
    listing = tree_listing(project.parent)
    result = run_cli("check", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: 3 clients, {3 * len(ALL_MONTHS)} monthly reports.\n"
    assert tree_bytes(project) == before
    assert tree_listing(project.parent) == listing


def test_check_reports_path_line_message(project):
    text = break_file(project / "content" / "acme-corp" / "2026-09.md", "next_steps:", "next_stpes:")
    csv_path = project / "data" / "saigon-foods" / "2025.csv"
    rows = csv_path.read_text().splitlines(keepends=True)
    rows[9] = rows[9].replace(",", ",x", 4)
    csv_path.write_text("".join(rows))
    before = tree_bytes(project)
    result = run_cli("check", "--project", str(project))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"content/acme-corp/2026-09.md:{line_of(text, 'next_stpes')}: unknown field "
        "'next_stpes' (did you mean 'next_steps'?)" in lines
    )
    assert any(ln.startswith("data/saigon-foods/2025.csv:10: ") for ln in lines), lines
    assert all(re.match(r"^[\w./-]+(:\d+)?: ", ln) for ln in lines), lines
    assert lines[-1] == "reportgen: 2 errors; nothing was written."
    assert tree_bytes(project) == before


def test_check_reports_config_and_note_problems_together(project):
    text = break_file(project / "content" / "acme-corp" / "2026-09.md", "next_steps:", "next_stpes:")
    break_file(project / "clients.yaml", "currency: VND", "currency: VNX")
    result = run_cli("check", "--project", str(project))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(re.fullmatch(r"clients\.yaml:\d+: .*unknown currency code 'VNX'", ln) for ln in lines)
    assert (
        f"content/acme-corp/2026-09.md:{line_of(text, 'next_stpes')}: unknown field "
        "'next_stpes' (did you mean 'next_steps'?)" in lines
    )


def test_warnings_and_strict(project):
    ghost = project / "content" / "ghost" / "2026-10.md"
    ghost.parent.mkdir()
    ghost.write_text("Orphan note\n")
    result = build(project)
    assert result.exit_code == 0, result.output
    assert "content/ghost: warning: no client 'ghost'" in result.stderr
    assert "(1 warnings)" in result.stdout or "1 warning" in result.stdout
    site_before = tree_bytes(project / "site")
    result = build(project, "--strict")
    assert result.exit_code == 1
    assert "content/ghost: warning:" in result.stderr
    assert tree_bytes(project / "site") == site_before
    assert run_cli("check", "--project", str(project), "--strict").exit_code == 1
    assert run_cli("check", "--project", str(project)).exit_code == 0


# --- a real process ------------------------------------------------------------------------


def run_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *args],
        capture_output=True,
        text=True,
        env=env_with(),
        cwd=cwd,
        timeout=120,
    )


def test_real_process_build_and_errors(project):
    done = run_process("build", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith("Built 3 client portals")
    assert (project / "site" / "acme-corp" / "2026-10" / "report.json").is_file()

    break_file(project / "clients.yaml", "agency:", "agency:\n  name: Dup\n  bad: [")
    failed = run_process("build", "--project", str(project))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert re.search(r"^clients\.yaml:\d+: ", failed.stderr, re.M), failed.stderr

    usage = run_process("build", "--project", str(project), "--month", "13")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


@pytest.mark.parametrize(
    "template",
    [
        '{% extends "base.html" %}{% block main %}{{ no_such_name }}{% endblock %}\n',
        '{% extends "base.html" %}\n{% block main %}{{ broken }\n{% endblock %}\n',
    ],
)
def test_broken_project_template_is_a_clear_error(project, template):
    (project / "templates").mkdir()
    (project / "templates" / "report.html").write_text(template)
    failed = run_process("build", "--project", str(project))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert "templates/report.html" in failed.stderr
