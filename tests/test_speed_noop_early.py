"""The early "nothing changed" decision answers exactly as the full build would (issue 15,
third part; noop.py).

A project is built twice (the second, a no-op, records the summary), then changed in
random ways — inputs, the published site, the build cache, the summary itself, the
options — and `unchanged_build` (the fast path) is asked before `build_site` (the full
way). Whenever the fast path answers, the full way must find nothing to do and answer
the same counts and warnings, and leave the site as it was. With no change at all the
fast path must answer (it is not simply always falling back).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency

from reportgen import cache, noop
from reportgen.build import build_site
from reportgen.buildoptions import BuildOptions, BuildResult
from reportgen.errors import ReportgenError
from reportgen.noop import summary_path, unchanged_build

# The build's rule is 2 s (a file's stat is trusted only when older than that); the tests
# use 50 ms (still far above the file system's clock tick) and wait that long.
WINDOW_NS = 50_000_000
TODAY = dt.date(2026, 11, 5)


@pytest.fixture(scope="module", autouse=True)
def short_window() -> Iterator[None]:
    saved = cache.RACY_WINDOW_NS, noop.RACY_WINDOW_NS
    cache.RACY_WINDOW_NS = noop.RACY_WINDOW_NS = WINDOW_NS
    try:
        yield
    finally:
        cache.RACY_WINDOW_NS, noop.RACY_WINDOW_NS = saved


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "project"
    write_synthetic_agency(root, clients=2, months=3, end=dt.date(2026, 10, 31), campaigns_per_client=2)
    (root / "content" / "client-0001" / "2026-10.md").unlink()  # a warning to keep
    return root


def settle() -> None:
    time.sleep(2 * WINDOW_NS / 1e9)


def options_for(project: Path, **changes: object) -> BuildOptions:
    return replace(BuildOptions(project=project, out=project / "site", today=TODAY, jobs=1), **changes)


def site_state(site: Path) -> dict[str, tuple[int, int, int]]:
    found = {}
    for folder, _dirs, files in os.walk(site):
        for name in files:
            info = os.lstat(f"{folder}/{name}")
            found[f"{folder}/{name}"] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


def answer(result: BuildResult) -> tuple[object, ...]:
    return (result.clients, result.reports, result.files, result.pages_skipped, result.warnings)


# --- the changes ------------------------------------------------------------------------------


def _first(project: Path, pattern: str) -> Path:
    return sorted(project.glob(pattern))[0]


def append_to_note(p: Path) -> None:
    with _first(p, "content/*/*.md").open("a", encoding="utf-8") as handle:
        handle.write("\nOne more line.\n")


def rewrite_note_unchanged(p: Path) -> None:
    note = _first(p, "content/*/*.md")
    text = note.read_bytes()
    note.unlink()
    note.write_bytes(text)


def touch_data_file(p: Path) -> None:
    os.utime(_first(p, "data/*/*.csv"))


def edit_csv(p: Path) -> None:
    path = _first(p, "data/*/*.csv")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].rstrip("\n").split(",")
    cells[3] = str(int(cells[3]) + 1)
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def add_note(p: Path) -> None:
    note = _first(p, "content/*/*.md")
    shutil.copy(note, p / "content" / "client-0001" / "2026-10.md")


def remove_note(p: Path) -> None:
    _first(p, "content/*/*.md").unlink()


def orphan_content_folder(p: Path) -> None:
    (p / "content" / "client-9999").mkdir()


def other_file_in_data(p: Path) -> None:
    (p / "data" / "client-0001" / "readme.txt").write_text("x", encoding="utf-8")


def new_month_csv(p: Path) -> None:
    shutil.copy(_first(p, "data/client-0001/*.csv"), p / "data" / "client-0001" / "2026-09-b.csv")


def data_file_as_link(p: Path) -> None:
    path = _first(p, "data/*/*.csv")
    copy = path.with_name("copy.keep")
    shutil.copy(path, copy)
    path.unlink()
    os.symlink(copy.name, path)


def comment_in_clients_yaml(p: Path) -> None:
    with (p / "clients.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# a comment\n")


def foreign_file_in_site(p: Path) -> None:
    (_first(p, "site/client-*/index.html").parent / "extra.txt").write_text("x", encoding="utf-8")


def edit_site_file(p: Path) -> None:
    with _first(p, "site/client-*/index.html").open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited -->")


def remove_site_file(p: Path) -> None:
    _first(p, "site/client-*/*/index.html").unlink()


def chmod_site_file(p: Path) -> None:
    _first(p, "site/client-*/index.html").chmod(0o600)


def stale_staging(p: Path) -> None:
    (p / ".site.staging-123").mkdir()


def forget_manifest(p: Path) -> None:
    for path in (p / cache.CACHE_DIR).glob("build-*.json"):
        path.unlink()


def stray_parsed_file(p: Path) -> None:
    (p / cache.CACHE_DIR / "parsed" / "stray").write_bytes(b"x")


def garbage_summary(p: Path) -> None:
    path = summary_path(options_for(p))
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")


def summary_as_fifo(p: Path) -> None:
    path = summary_path(options_for(p))
    path.unlink()
    os.mkfifo(path)


CHANGES: list[Callable[[Path], None]] = [
    append_to_note,
    rewrite_note_unchanged,
    touch_data_file,
    edit_csv,
    add_note,
    remove_note,
    orphan_content_folder,
    other_file_in_data,
    new_month_csv,
    data_file_as_link,
    comment_in_clients_yaml,
    foreign_file_in_site,
    edit_site_file,
    remove_site_file,
    chmod_site_file,
    stale_staging,
    forget_manifest,
    stray_parsed_file,
    garbage_summary,
    summary_as_fifo,
]
OPTIONS = st.sampled_from(
    [{}, {}, {}, {"drafts": True}, {"today": TODAY + dt.timedelta(days=40)}, {"month": "2026-09"}]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(st.sampled_from(CHANGES), max_size=3, unique=True), option=OPTIONS, wait=st.booleans()
)
def test_the_early_answer_is_the_full_builds(tmp_path_factory, template, changes, option, wait):
    project = tmp_path_factory.mktemp("p") / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))  # cold
    settle()
    build_site(options_for(project))  # the full no-op: records the summary
    assert summary_path(options_for(project)).is_file()
    if wait:
        settle()
    for change in changes:
        change(project)
    options = options_for(project, **option)
    fast = unchanged_build(options)
    before = site_state(project / "site")
    if not changes and not option:
        assert fast is not None, "nothing changed, yet no early answer"
    try:
        full = build_site(options)
    except ReportgenError:  # (a change the build refuses: the early answer must not be given)
        assert fast is None
        return
    if fast is not None:
        assert (full.pages_written, full.pages_pruned, full.clients_loaded) == (0, 0, 0)
        assert answer(fast) == answer(full)
        assert site_state(project / "site") == before


def test_a_just_edited_input_leaves_no_summary_and_the_next_no_op_records_it(tmp_path, template):
    """A file changed moments ago could change again unseen by its stat: no summary then;
    nor after a build of only some clients; the next no-op build (the full way) records it."""
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))
    append_to_note(project)
    saved = noop.RACY_WINDOW_NS, cache.RACY_WINDOW_NS
    noop.RACY_WINDOW_NS = cache.RACY_WINDOW_NS = 3_600 * 10**9  # everything is "recent"
    try:
        build_site(options_for(project))
        assert not summary_path(options_for(project)).exists()
    finally:
        noop.RACY_WINDOW_NS, cache.RACY_WINDOW_NS = saved
    settle()
    build_site(options_for(project))  # renders the note's pages: a build of one client records nothing
    assert not summary_path(options_for(project)).exists()
    settle()
    full = build_site(options_for(project))  # the no-op, the full way
    fast = unchanged_build(options_for(project))
    assert fast is not None and answer(fast) == answer(full)
    assert fast.warnings, "the cached warnings are answered again"


def test_no_summary_for_a_protected_portal_or_a_clean_build(tmp_path, template, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project, clean=True))
    assert not summary_path(options_for(project)).exists()
    text = (project / "clients.yaml").read_text(encoding="utf-8")
    protected = text.replace(
        "- id: client-0001\n", "- id: client-0001\n  access:\n    password_env: RG_NOOP_PASSWORD\n", 1
    )
    assert protected != text
    (project / "clients.yaml").write_text(protected, encoding="utf-8")
    monkeypatch.setenv("RG_NOOP_PASSWORD", "correct horse battery staple")
    settle()
    build_site(options_for(project))
    settle()
    build_site(options_for(project))
    assert not summary_path(options_for(project)).exists()
    assert unchanged_build(options_for(project)) is None


def test_the_cli_offers_the_import_formats_importers_declares(tmp_path):
    from click.testing import CliRunner

    from reportgen.cli import main
    from reportgen.importers import EXPORTS

    result = CliRunner().invoke(main, ["import", "--help"])
    assert "[auto|" + "|".join(EXPORTS) + "]" in result.output.replace("\n", "").replace(" ", "")
    bad = CliRunner().invoke(main, ["import", str(tmp_path / "x.csv"), "--client", "a", "--format", "nope"])
    assert bad.exit_code == 2 and all(name in bad.output for name in EXPORTS)


def test_a_no_op_from_the_command_line_imports_no_renderer(tmp_path, template):
    """What the early answer saves is also the imports: not Jinja, Markdown, Babel, YAML."""
    import subprocess
    import sys

    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    settle()
    build_site(options_for(project))
    time.sleep(2.1)  # the command line's own rule: 2 s
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1793836800"}
    command = [sys.executable, "-m", "reportgen", "build", "--project", str(project), "--json"]
    for _ in range(2):  # the full no-op records the summary; the next one uses it
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    probe = (
        "import runpy, sys; sys.argv = ['reportgen', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('reportgen', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jinja2', 'markdown', 'babel', 'yaml', 'nh3', 'plotly')), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "build", "--project", str(project), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


def test_a_trailing_globstar_reads_and_watches_every_folder_below(tmp_path, template):
    """`data/ID/**` reads every file below (attack a15e: it matched none); a file added in a
    subfolder is never answered early as a no-op (the summary lists only one folder)."""
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    config = project / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    globbed = text.replace("data/client-0001/*.csv", "data/client-0001/**")
    assert globbed != text
    config.write_text(globbed, encoding="utf-8")
    sub = project / "data" / "client-0001" / "sub"
    sub.mkdir()
    month = _first(project, "data/client-0001/*.csv")
    month.rename(sub / month.name)
    (sub / "later").mkdir()  # a folder with no file yet: only a trailing ** reads it
    settle()
    first = build_site(options_for(project))
    settle()
    build_site(options_for(project))
    assert summary_path(options_for(project)).is_file() is False or unchanged_build(options_for(project))
    (sub / "later" / "more.csv").write_text("date,leads\n2026-10-02,1\n", encoding="utf-8")
    assert unchanged_build(options_for(project)) is None
    assert first.reports == build_site(options_for(project, clean=True)).reports


def test_the_default_project_dot_records_a_summary(tmp_path, template, monkeypatch):
    """`reportgen build` in the project folder (`--project .`, the README's way) found its
    files as `data/…` and never recorded a summary (attack a15f)."""
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    monkeypatch.chdir(project)
    here = replace(options_for(project), project=Path("."), out=Path("site"))
    settle()
    build_site(here)
    settle()
    full = build_site(here)
    assert summary_path(here).is_file()
    fast = unchanged_build(here)
    assert fast is not None and answer(fast) == answer(full)
    append_to_note(project)
    assert unchanged_build(here) is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spelling=st.sampled_from(
        [
            "./data/extra/*.csv",
            "data//extra/*.csv",
            "data/./extra/*.csv",
            "data/extra/./*.csv",
            "data/extra/*.csv",
        ]
    ),
    dot=st.booleans(),
)
def test_a_file_in_a_data_folder_that_was_empty_is_never_answered_as_a_no_op(
    tmp_path_factory, template, monkeypatch, spelling, dot
):
    """However the entry spells its folder (`./data/…`, `data//…`), a file added to it after
    the summary was recorded is read (attack a15f: the portal stayed stale for ever)."""
    project = tmp_path_factory.mktemp("p") / "project"
    shutil.copytree(template, project, symlinks=True)
    config = project / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip() == "- data/client-0001/*.csv")
    config.write_text(
        text.replace(line, f"{line}\n{line.replace('data/client-0001/*.csv', spelling)}"), "utf-8"
    )
    (project / "data" / "extra").mkdir()
    options = options_for(project)
    if dot:
        monkeypatch.chdir(project)
        options = replace(options, project=Path("."), out=Path("site"))
    settle()
    build_site(options)
    settle()
    build_site(options)
    assert summary_path(options).is_file()  # (the file below is then the only change)
    (project / "data" / "extra" / "2026-10.csv").write_text("date,leads\n2026-10-02,1\n", encoding="utf-8")
    settle()
    assert unchanged_build(options) is None


def _marked_output_link(project: Path) -> Callable[[], None]:
    public = project / "public"
    public.mkdir()
    (public / ".reportgen-site").write_text("")
    (public / "feed.csv").write_text("date,campaign,leads\n2026-10-03,pub,5\n", encoding="utf-8")
    os.symlink("../../public/feed.csv", project / "data" / "client-0001" / "feed.csv")
    return lambda: (public / ".reportgen-site").unlink()


def _ghost_content_link(project: Path) -> Callable[[], None]:
    (project / "misc").mkdir()
    os.symlink("../misc/ghostdir", project / "content" / "ghost")
    return lambda: (project / "misc" / "ghostdir").mkdir()


@pytest.mark.parametrize("setup", [_marked_output_link, _ghost_content_link])
def test_a_link_whose_target_changes_is_never_answered_early(tmp_path, template, setup):
    """(attack a15g) A data link into an old output folder (skipped while it was marked),
    and a `content/ghost` link whose target appeared: the stats the summary kept stayed the
    same while the answer changed (a stale portal; a warning --strict should fail on)."""
    project = tmp_path / "project"
    shutil.copytree(template, project, symlinks=True)
    later = setup(project)
    settle()
    build_site(options_for(project))
    settle()
    build_site(options_for(project))
    later()
    settle()
    fast = unchanged_build(options_for(project))
    full = build_site(options_for(project))
    assert fast is None or (answer(fast) == answer(full) and full.pages_written == 0)
