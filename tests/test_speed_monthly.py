"""The monthly run (a new month for every client, built a month later): it parses only the
new files (the rest come from the parsed-data cache), renders only the pages whose bytes
change, and publishes exactly what a clean build publishes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency

import reportgen.sources as sources
from reportgen import cache

END = dt.date(2026, 10, 31)
BUILT = "1793836800"  # 2026-11-05
NEXT = "1796428800"  # 2026-12-05


def add_a_month(root: Path) -> int:
    """November's data and note for every client (October's, a month later), as
    benchmarks/bench.py's monthly run does; the number of files added."""
    added = 0
    for folder in sorted((root / "data").iterdir()):
        october = folder / "2026-10.csv"
        if october.is_file():
            lines = october.read_text(encoding="utf-8").splitlines()
            rows = [f"2026-11{line[7:]}" for line in lines[1:] if int(line[8:10]) <= 30]
            (folder / "2026-11.csv").write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
            added += 1
    for folder in sorted((root / "content").iterdir()):
        october = folder / "2026-10.md"
        if october.is_file():
            text = october.read_text(encoding="utf-8").replace("2026-10-", "2026-11-")
            (folder / "2026-11.md").write_text(text, encoding="utf-8")
    return added


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    """Every input file counts as settled at once (as it is a few seconds after it was
    written): the build remembers its digest, and the parsed-data cache can use it."""
    monkeypatch.setattr(cache, "RACY_WINDOW_NS", 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clients=st.integers(1, 3), months=st.integers(2, 5), seed=st.integers(0, 1000))
def test_monthly_run_parses_only_the_new_files(tmp_path_factory, monkeypatch, cli, clients, months, seed):
    root = tmp_path_factory.mktemp("agency")
    write_synthetic_agency(root, clients=clients, months=months, end=END, seed=seed)
    first = cli("build", "--project", root, "--jobs", "1", env={"SOURCE_DATE_EPOCH": BUILT})
    assert first.exit_code == 0, first.output
    added = add_a_month(root)
    parsed: list[str] = []
    original = sources.parse_data_file

    def counting(raw, shown, source, client):  # type: ignore[no-untyped-def]
        parsed.append(shown)
        return original(raw, shown, source, client)

    monkeypatch.setattr(sources, "parse_data_file", counting)
    monthly = cli("build", "--project", root, "--jobs", "1", "--json", env={"SOURCE_DATE_EPOCH": NEXT})
    monkeypatch.setattr(sources, "parse_data_file", original)
    assert monthly.exit_code == 0, monthly.output
    assert len(parsed) == added and all(name.endswith("2026-11.csv") for name in parsed)
    clean = cli(
        "build",
        "--project",
        root,
        "--jobs",
        "1",
        "--clean",
        "--out",
        root / "clean",
        env={"SOURCE_DATE_EPOCH": NEXT},
    )
    assert clean.exit_code == 0, clean.output
    assert files_of(root / "site") == files_of(root / "clean")


def test_monthly_run_renders_only_what_changes(tmp_path, cli):
    """The pages rendered again are the new month's report, the month before it (its link
    to the next month) and each client's home: every other page's bytes are unchanged."""
    write_synthetic_agency(tmp_path, clients=3, months=6, end=END, seed=7)
    assert cli("build", "--project", tmp_path, env={"SOURCE_DATE_EPOCH": BUILT}).exit_code == 0
    before = files_of(tmp_path / "site")
    add_a_month(tmp_path)
    result = cli("build", "--project", tmp_path, "--json", env={"SOURCE_DATE_EPOCH": NEXT})
    assert result.exit_code == 0, result.output
    after = files_of(tmp_path / "site")
    changed = {
        path.split("/")[0] + "/" + path.split("/")[1] for path in after if before.get(path) != after[path]
    }
    pages = {p for p in changed if p.count("/") == 1 and not p.startswith(("assets", "index.html"))}
    assert f'"pages_written": {3 * 3}' in result.output  # 3 clients: November, October, home
    assert {p.split("/")[1] for p in pages} <= {"2026-11", "2026-10", "index.html"}
