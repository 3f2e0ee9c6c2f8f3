"""Platform exports as they come: Google Ads, Meta Ads, LinkedIn Ads, GA4."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

from reportgen.importers import SourceSettings, parse_value, read_export

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


def load(name: str, **settings):
    return read_export((EXPORTS / name).read_bytes(), name, SourceSettings(**settings))


def totals(export) -> dict:
    table = export.table
    return {
        metric: sum(r.values[i] for r in table.rows if r.values[i] is not None)
        for i, metric in enumerate(table.metrics)
    }


# --- each quirk --------------------------------------------------------------------------------


def test_google_ads_ui_download():
    export, problems = load("google-ads-ui-title-range-totals.csv")
    assert problems == [] and export.format == "google_ads"
    assert export.header_line == 3  # below the title and the date-range lines
    sums = totals(export)
    # The platform's own totals row says 2,100 impressions, 117 clicks, $1,352.66, 5 conversions.
    assert sums["impressions"] == 2100 and sums["clicks"] == 117 and sums["conversions"] == 5
    assert sums["spend"] == pytest.approx(1352.66)
    assert "ctr" not in export.table.metrics  # ratios are recomputed, never summed
    days = sorted({r.date.isoformat() for r in export.table.rows})
    assert days == ["2025-11-01", "2025-11-02", "2025-11-03"]  # "Sat, Nov 1, 2025"
    no_data = next(r for r in export.table.rows if r.campaign == "Generic")
    assert no_data.values[export.table.metrics.index("impressions")] is None  # missing, not zero


def test_google_ads_utf16_tab_separated_crlf_and_a_localised_totals_row():
    export, problems = load("google-ads-utf16-tab-crlf.csv")
    assert problems == [] and export.currency == "USD"
    assert totals(export) == {"impressions": 3000, "clicks": 30, "spend": 37.5}


def test_google_ads_api_cost_in_micros():
    export, _ = load("google-ads-api-micros.csv")
    assert totals(export)["spend"] == pytest.approx(6.75)


def test_latin1_fallback():
    export, _ = load("google-ads-latin1.csv")
    assert export.table.rows[0].campaign == "Café crème"


def test_a_bad_value_names_file_line_and_column():
    export, problems = load("google-ads-bad-value.csv")
    assert export is None
    assert [str(p) for p in problems] == [
        "google-ads-bad-value.csv:3: column 'Impressions': 'ten' is not a number"
    ]


def test_meta_daily_export_with_leads_by_result_indicator():
    export, problems = load("meta-daily-leads.csv", leads="actions:lead")
    assert problems == [] and export.format == "meta_ads" and export.currency == "USD"
    sums = totals(export)
    # the totals row (first, dimensions empty) says $150.00, 3,000 impressions, 90 link clicks
    assert sums["spend"] == pytest.approx(150.0)
    assert sums["impressions"] == 3000 and sums["clicks"] == 90
    assert sums["leads"] == 16  # 7 + 9: only rows whose result indicator is actions:lead
    assert sums["conversions"] == 3 and sums["revenue"] == pytest.approx(210.0)
    assert "Lead gen – autumn" in {r.campaign for r in export.table.rows}


def test_meta_in_french_with_semicolons_and_spaced_thousands():
    export, _ = load("meta-french-semicolon.csv")
    assert export.currency == "EUR"
    assert totals(export) == {"spend": pytest.approx(2000.0), "impressions": 15000, "clicks": 200}


def test_linkedin_preamble_and_us_dates():
    export, problems = load("linkedin-campaigns.csv")
    assert problems == [] and export.format == "linkedin_ads"
    assert sorted({r.date.isoformat() for r in export.table.rows}) == ["2025-11-01", "2025-11-02"]
    assert totals(export) == {
        "spend": pytest.approx(380.5),
        "impressions": 9500,
        "clicks": 75,
        "conversions": 6,
        "revenue": pytest.approx(800.0),
        "leads": 5,
    }


def test_ga4_comment_preamble_yyyymmdd_and_channels():
    export, problems = load("ga4-daily-channels.csv")
    assert problems == [] and export.format == "ga4"
    assert {r.channel for r in export.table.rows} == {"Organic Search", "Paid Search"}
    assert totals(export) == {
        "sessions": 280,
        "engaged_sessions": 190,
        "key_events": 9,
        "revenue": pytest.approx(450.5),
    }


@pytest.mark.parametrize(
    ("cell", "comma", "value"),
    [
        ("1,234.56", False, 1234.56),
        ('"$1,234.56"', False, 1234.56),
        ("1 234,56", True, 1234.56),
        ("1.234,56", True, 1234.56),
        ("--", False, None),
        (" --", False, None),
        ("No data", False, None),
        ("> 90%", False, None),
        ("4.60%", False, None),
        ("€12", False, 12),
        ("(5.00)", False, -5.0),
        ("-", False, None),
        ("", False, None),
    ],
)
def test_numbers_as_exports_write_them(cell, comma, value):
    parsed, ok = parse_value(cell, comma)
    assert ok and parsed == (pytest.approx(value) if value is not None else None)


# --- through clients.yaml and the build ----------------------------------------------------------


def project_with(tmp_path: Path, files: list[str], currency: str = "USD", **entry) -> Path:
    root = tmp_path / "agency"
    assert run_cli("init", root).exit_code == 0
    config = yaml.safe_load((root / "clients.yaml").read_text())
    client = config["clients"][0]
    client["currency"] = currency
    client["kpis"] = [{"metric": "clicks", "label": "Clicks", "target": 10}]
    client.pop("metrics", None)
    client["data"] = [{"path": "data/exports/*.csv", **entry}]
    (root / "clients.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.rmtree(root / "data" / "example-client")
    shutil.rmtree(root / "content")
    (root / "data" / "exports").mkdir(parents=True)
    for name in files:
        shutil.copyfile(EXPORTS / name, root / "data" / "exports" / name)
    return root


def test_a_raw_export_builds_and_check_says_what_it_detected(tmp_path):
    root = project_with(
        tmp_path, ["linkedin-campaigns.csv"], campaign_map={"ABM decision makers": "abm"}, channel="social"
    )
    result = run_cli("check", "--project", root)
    assert result.exit_code == 0, result.output
    assert "linkedin-campaigns.csv:5: LinkedIn Ads export (detected): 2 rows" in result.stderr
    assert run_cli("build", "--project", root).exit_code == 0
    report = (root / "site" / "example-client" / "2025-11" / "report.json").read_text()
    assert '"campaign": "abm"' in report and '"channel": "social"' in report
    rows = list(
        csv.DictReader(
            io.StringIO((root / "site" / "example-client" / "2025-11" / "metrics.csv").read_text())
        )
    )
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(380.5)


def test_two_currencies_for_one_client_is_an_error(tmp_path):
    root = project_with(tmp_path, ["meta-eur-for-usd-client.csv"])
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "amounts are in EUR, but client 'example-client' reports in USD" in result.stderr


def test_overlapping_exports_are_never_double_counted(tmp_path):
    root = project_with(tmp_path, ["google-ads-overlap-a.csv", "google-ads-overlap-b.csv"])
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "overlaps data/exports/google-ads-overlap-a.csv: both have rows for 2025-11-02" in result.stderr


def test_import_command_writes_a_canonical_csv_and_says_what_it_found(tmp_path):
    root = tmp_path / "agency"
    run_cli("init", root)
    result = run_cli(
        "import",
        EXPORTS / "google-ads-ui-title-range-totals.csv",
        "--client",
        "example-client",
        "--project",
        root,
    )
    assert result.exit_code == 0, result.output
    assert "Google Ads export: 3 rows, 2025-11-01 to 2025-11-03, 2 campaigns" in result.stdout
    assert "total spend: 1,352.66" in result.stdout
    written = root / "data" / "example-client" / "google_ads-2025-11-01-2025-11-03.csv"
    assert written.read_text().startswith("date,campaign,channel,impressions,clicks,spend,conversions\n")
    assert run_cli("build", "--project", root).exit_code == 0  # the canonical file builds


# --- the real public exports in ../shared/fixtures/real --------------------------------------------


def hand_totals(path: Path, day: str, micros: bool, skip_total: bool = False) -> dict:
    """An independent computation: csv module, the columns named in the fixture README."""
    with path.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.startswith((day, "Customer ID", "Ad group ID", "Ad type", "Search Lost"))
    )
    rows = list(csv.DictReader(lines[start:]))
    if skip_total:
        rows = [r for r in rows if not r[day].startswith("Total")]
    cost = sum(float(r["Cost"]) for r in rows)
    return {
        "impressions": sum(int(r["Impressions"]) for r in rows),
        "clicks": sum(int(r["Clicks"]) for r in rows),
        "spend": cost / 1_000_000 if micros else cost,
    }


REAL_IMPORTS = {  # file: (date column, cost in micros)
    "googleads-account-daily-micros.csv": ("Day", True),
    "googleads-account-lost-is-gt90pct.csv": ("Day", True),
    "googleads-placement-micros.csv": ("Month", True),
    "googleads-placement-quoted-thousands.csv": ("Month", False),
    "googleads-geo-dash-in-id-columns.csv": ("Month", True),
    "googleads-keywords-decimal-utf8-accents.csv": ("Day", False),
    "googleads-gender-auto-bid-mixed-units.csv": ("Day", False),
    "googleads-search-query-duplicate-column.csv": ("Day", False),
}
REAL_FAILURES = {
    "googleads-video-campaign-title-and-total-row.csv": ":2: Google Ads export without a date column",
    "meta-adsmanager-age-breakdown-totals-row.csv": "rows cover a reporting period, not days",
    "ga4-user-acquisition-comment-preamble.csv": "GA4 export without a Date dimension",
    "ga4-home-multi-section.csv": "GA4 export without a Date dimension",
    "facebook-kag-conversion-bom-crlf.csv": "not an export reportgen knows",
    "googleads-sales-uncleaned-dirty.csv": "not an export reportgen knows",
    "unspecified-abtest-control-group-semicolon.csv": "not an export reportgen knows",
    "unspecified-abtest-test-group-semicolon.csv": "not an export reportgen knows",
}

real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/fixtures/real is not here")


@real
def test_every_real_fixture_is_covered():
    assert {p.name for p in REAL.glob("*.csv")} == set(REAL_IMPORTS) | set(REAL_FAILURES)


@real
@pytest.mark.parametrize("name", sorted(REAL_IMPORTS))
def test_real_google_ads_exports_import_with_the_right_totals(name):
    export, problems = read_export((REAL / name).read_bytes(), name)
    assert export is not None, problems
    day, micros = REAL_IMPORTS[name]
    expected = hand_totals(REAL / name, day, micros)
    sums = totals(export)
    assert sums["impressions"] == expected["impressions"]
    assert sums["clicks"] == expected["clicks"]
    assert sums["spend"] == pytest.approx(expected["spend"])


@real
def test_the_micros_and_currency_placement_files_agree():
    micros, _ = read_export((REAL / "googleads-placement-micros.csv").read_bytes(), "a")
    decimal, _ = read_export((REAL / "googleads-placement-quoted-thousands.csv").read_bytes(), "b")
    assert totals(micros)["spend"] == pytest.approx(totals(decimal)["spend"]) == pytest.approx(4.73)


@real
@pytest.mark.parametrize("name", sorted(REAL_FAILURES))
def test_real_files_that_cannot_import_fail_precisely(name):
    export, problems = read_export((REAL / name).read_bytes(), name)
    assert export is None
    assert REAL_FAILURES[name] in str(problems[0]) and str(problems[0]).startswith(f"{name}:")
