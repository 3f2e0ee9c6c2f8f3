"""Determinism (SPEC 5.5): same inputs, byte-identical output."""

from __future__ import annotations

from conftest import run_cli
from helpers import tree_bytes


def test_two_builds_are_byte_identical(built_project, built_site, tmp_path):
    out = tmp_path / "again"
    result = run_cli("build", "--project", str(built_project), "--out", str(out))
    assert result.exit_code == 0, result.output
    first, second = tree_bytes(built_site), tree_bytes(out)
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []


def test_today_comes_from_source_date_epoch(built_site):
    # SOURCE_DATE_EPOCH (2026-11-23), not the machine's clock, makes November the
    # partial month; no page shows a build date (pages show the data's last day).
    html = (built_site / "acme-corp" / "2026-11" / "index.html").read_text()
    assert "Month to date: 22 of 30 days" in html
    october = (built_site / "acme-corp" / "2026-10" / "index.html").read_text()
    assert "Month to date" not in october
    assert "Data through Oct 31, 2026" in october


def test_bad_source_date_epoch_is_a_usage_error(project):
    result = run_cli("build", "--project", str(project), env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH" in result.output
