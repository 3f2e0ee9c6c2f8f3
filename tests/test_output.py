"""Output (SPEC 5.2): atomic builds, and --out can never clobber anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import tree_bytes, tree_listing

import reportgen.build
import reportgen.site
from reportgen.errors import OutputError
from reportgen.output import SITE_MARKER, StagedSite


def build(project: Path, *args):
    return run_cli("build", "--project", str(project), *args)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".staging-" in p.name or ".old-" in p.name)


def test_site_is_marked_as_reportgen_output(built_site):
    assert (built_site / SITE_MARKER).is_file()


def test_failure_midway_leaves_previous_site_untouched(copy_project, monkeypatch):
    project = copy_project()
    site = project / "site"
    before = tree_bytes(site)
    # change an input so a successful build would change the site
    (project / "content" / "acme-corp" / "2026-10.md").write_text("Rewritten\n")
    original = reportgen.site.SiteRenderer.client_units
    calls = []

    def failing(self, plan, *args):
        calls.append(plan.client.id)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return original(self, plan, *args)

    monkeypatch.setattr(reportgen.site.SiteRenderer, "client_units", failing)
    result = build(project, "--clean", "--jobs", "1")
    assert result.exit_code != 0
    assert len(calls) == 2
    assert tree_bytes(site) == before
    assert leftovers(project) == []


def test_broken_template_leaves_previous_site_untouched(copy_project):
    project = copy_project()
    before = tree_bytes(project / "site")
    (project / "templates" / "partials").mkdir(parents=True)
    (project / "templates" / "partials" / "scorecard.html").write_text("{{ card.no_such_field }}\n")
    result = build(project)
    assert result.exit_code != 0
    assert tree_bytes(project / "site") == before
    assert leftovers(project) == []


def test_invalid_input_leaves_previous_site_untouched(copy_project):
    project = copy_project()
    before = tree_bytes(project / "site")
    (project / "clients.yaml").write_text("agency: [\n")
    result = build(project)
    assert result.exit_code == 1
    assert tree_bytes(project / "site") == before
    assert leftovers(project) == []


def test_rebuild_replaces_the_site_whole(copy_project):
    project = copy_project()
    (project / "content" / "acme-corp" / "2025-09.md").unlink()
    (project / "site" / "stray.txt").write_text("left over")
    result = build(project)
    assert result.exit_code == 0, result.output
    assert not (project / "site" / "acme-corp" / "2025-09").exists()
    assert not (project / "site" / "stray.txt").exists()
    assert leftovers(project) == []


def test_build_writes_nothing_outside_the_output_but_its_cache(project):
    before = tree_listing(project.parent)
    result = build(project)
    assert result.exit_code == 0, result.output
    after = {
        p for p in tree_listing(project.parent) if not p.startswith(("proj/site/", "proj/.reportgen-cache/"))
    }
    # the build cache in the project is documented in the README (incremental builds)
    assert after - before <= {"proj/site", "proj/.reportgen-cache"}
    assert before <= after


def test_stale_staging_of_a_killed_build_is_cleared(project):
    stale = project / ".site.staging-deadbeef0000"
    stale.mkdir()
    (stale / "index.html").write_text("half a site")
    assert build(project).exit_code == 0
    assert not stale.exists()


@pytest.mark.parametrize(
    "out", [".", "content", "content/acme-corp/site", "data", "data/x", "templates", "assets", ".."]
)
def test_out_that_would_clobber_inputs_is_refused(project, out):
    (project / "templates").mkdir()
    (project / "assets").mkdir()
    before = tree_bytes(project)
    parent_before = tree_listing(project.parent)
    result = build(project, "--out", str(project / out))
    assert result.exit_code == 1, result.output
    assert "--out" in result.stderr and "Traceback" not in result.output
    assert tree_bytes(project) == before
    assert tree_listing(project.parent) == parent_before


def test_out_that_is_a_file_is_refused(project):
    before = tree_bytes(project)
    result = build(project, "--out", str(project / "clients.yaml"))
    assert result.exit_code in (1, 2)
    assert tree_bytes(project) == before


def test_out_that_is_a_foreign_non_empty_folder_is_refused(project, tmp_path):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"years of work")
    before = tree_listing(tmp_path)
    result = build(project, "--out", str(foreign))
    assert result.exit_code == 1
    assert "did not write" in result.stderr
    assert (foreign / "thesis.docx").read_bytes() == b"years of work"
    assert tree_listing(tmp_path) == before


def test_out_may_be_an_empty_folder_or_elsewhere(project, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(project, "--out", str(empty)).exit_code == 0
    assert (empty / "index.html").is_file()
    elsewhere = tmp_path / "deep" / "er" / "site"
    assert build(project, "--out", str(elsewhere)).exit_code == 0
    assert (elsewhere / SITE_MARKER).is_file()


@pytest.mark.parametrize("relative", ["../escape.html", "/etc/passwd", "a/../../b", ""])
def test_staged_site_refuses_paths_outside_the_output(tmp_path, relative):
    site = StagedSite(tmp_path / "site")
    try:
        with pytest.raises(OutputError):
            site.write(relative, "x")
    finally:
        site.abort()
    assert leftovers(tmp_path) == []


def test_staged_site_refuses_writing_a_file_twice(tmp_path):
    site = StagedSite(tmp_path / "site")
    try:
        site.write("a/index.html", "one")
        with pytest.raises(OutputError):
            site.write("a/index.html", "two")
    finally:
        site.abort()


def test_a_finished_background_removal_is_not_reported_as_still_running(tmp_path):
    """A large old site is removed by a background `rm` the build does not wait for; one that
    finished before the process exits must not be reported "subprocess … is still running"
    (a Popen never polled is, when Python collects it: the full suite's CI log showed one)."""
    folder = tmp_path / "old-site"
    (folder / "a" / "b").mkdir(parents=True)
    (folder / "a" / "b" / "index.html").write_text("old")
    script = (
        "import sys, time; from pathlib import Path; from reportgen import output\n"
        "output._remove_in_background(Path(sys.argv[1]))\n"
        "deadline = time.monotonic() + 20\n"
        "while Path(sys.argv[1]).exists() and time.monotonic() < deadline: time.sleep(0.05)\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script, str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert not folder.exists()
    assert "still running" not in done.stderr, done.stderr
