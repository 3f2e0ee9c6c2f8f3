"""Every command's options refuse a bad value alike: exit 2, the usage line, the
option named, no traceback (a huge --jobs, an empty --month or --project, a
control character ...), and --jobs never starts more processes than clients."""

from __future__ import annotations

import concurrent.futures
import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import agency, workers

HERE = Path(__file__).parent

# --- the bad values, by the kind of option ----------------------------------------------------

_huge = st.integers(min_value=257, max_value=10**40).map(str)
_negative = st.integers(max_value=-1, min_value=-(10**30)).map(str)
_blank = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u3000"])
_controls = st.builds(
    lambda head, c, tail: head + c + tail,
    st.sampled_from(["", "a", "2026-11", "4"]),
    st.sampled_from(["\x00", "\x01", "\n", "\r", "\x1b", "\x7f", "\x1b]52;c;eA==\x07"]),
    st.sampled_from(["", "b", "1"]),
)
_non_ascii_digits = st.sampled_from(["٣", "４", "१२", "٣/٤", "²"])
_words = st.text(
    alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
).filter(lambda t: t.strip() == t and t.strip())  # non-ASCII words (none is a real value here)

JOBS = st.one_of(_huge, _negative, _blank, _controls, _non_ascii_digits, st.just("0"), st.just("two"))
MONTHS = st.one_of(
    _blank,
    _controls,
    _negative,
    _huge,
    _words,
    st.sampled_from(["2026-13", "2026-00", "3000-01", "1899-12", "2026/11", "26-11", "latest ", "Previous"]),
)
EXISTING_FOLDER = st.one_of(_blank, _controls, _words.map(lambda w: f"no-such-{w}"))
NEW_PATH = st.one_of(_blank, _controls)  # any other name is a fine place to write
CLIENT = st.one_of(_blank, _controls, _words, st.just("no-such-client"))
NAME = st.one_of(_blank, _controls)
SHARD = st.one_of(_blank, _controls, _non_ascii_digits, st.sampled_from(["0/2", "3/2", "1", "a/b", "-1/2"]))
PORT = st.one_of(
    st.integers(min_value=65536, max_value=10**30).map(str),
    _negative,
    _blank,
    _controls,
    st.sampled_from(["\n1", " 1", "1 ", "\r8000", "٣", "1_000", "+1"]),  # click's int took the first three
)
FORMAT = st.one_of(_blank, _controls, _words)
AE = st.one_of(_blank, _controls, _words, st.just("Nobody"))

# (command words before the option, option, its values, the name the message shows)
CASES: list[tuple[tuple[str, ...], str, st.SearchStrategy[str], str]] = [
    *[((cmd,), "--jobs", JOBS, "--jobs") for cmd in ("build", "check", "status", "overview", "serve")],
    *[
        ((*cmd,), "--month", MONTHS, "--month")
        for cmd in (("build",), ("check",), ("status",), ("overview",), ("send",), ("pdf", "CLIENT"))
    ],
    (("new", "report", "CLIENT"), "--month", MONTHS, "--month"),
    *[
        ((*cmd,), "--project", EXISTING_FOLDER, "--project")
        for cmd in (
            ("build",),
            ("check",),
            ("status",),
            ("overview",),
            ("send", "--month", "2026-10"),
            ("pdf", "CLIENT"),
            ("new", "report", "CLIENT"),
            ("serve",),
        )
    ],
    (("new", "client", "newco", "--name", "New Co"), "--project", NEW_PATH, "--project"),
    (("import", "EXPORT", "--client", "CLIENT"), "--project", NEW_PATH, "--project"),
    (("build",), "--out", NEW_PATH, "--out"),
    (("overview",), "--out", NEW_PATH, "--out"),
    (("pdf", "CLIENT"), "--output", NEW_PATH, "--output"),
    (("send", "--month", "2026-10"), "--dry-run", NEW_PATH, "--dry-run"),
    *[((cmd,), "--client", CLIENT, "--client") for cmd in ("build", "check")],
    (("send", "--month", "2026-10"), "--client", CLIENT, "--client"),
    (("import", "EXPORT"), "--client", st.one_of(_blank, _controls), "--client"),
    (("import", "EXPORT", "--client", "CLIENT"), "--format", FORMAT, "--format"),
    (("status",), "--ae", AE, "--ae"),
    (("new", "client", "newco"), "--name", NAME, "--name"),
    *[((cmd,), "--shard", SHARD, "--shard") for cmd in ("build", "check")],
    (("serve",), "--port", PORT, "--port"),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A generated project (never changed by these tests), one client id and an export."""
    root = tmp_path_factory.mktemp("options") / "proj"
    specs = make_project(root)
    config = root / "clients.yaml"  # send needs the portals' address before it reads --client
    text = config.read_text(encoding="utf-8")
    anchor = "  contact_email: reports@brightline.example\n"
    config.write_text(text.replace(anchor, f"{anchor}  site_url: https://reports.example.com/\n", 1), "utf-8")
    export = root.parent / "export.csv"
    export.write_text("date,campaign,spend\n2026-11-01,A,1\n", encoding="utf-8")
    return root, specs[0].id, export


def _args(words: tuple[str, ...], option: str, value: str, tiny: tuple[Path, str, Path]) -> list[str]:
    root, client, export = tiny
    named = {"CLIENT": client, "EXPORT": str(export)}
    args = [named.get(w, w) for w in words] + [option, value]
    return args if option == "--project" else [*args, "--project", str(root)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_bad_option_value_is_a_usage_error(data: st.DataObject, tiny: tuple[Path, str, Path]) -> None:
    words, option, values, shown = data.draw(st.sampled_from(CASES), label="case")
    value = data.draw(values, label="value")
    args = _args(words, option, value, tiny)
    result = run_cli(*args)
    out = result.stdout + result.stderr
    assert result.exit_code == 2, (args, result.exit_code, out, result.exception)
    assert "Usage:" in result.stderr, (args, out)
    assert "Traceback" not in out and not isinstance(result.exception, (OverflowError, ValueError, OSError))
    assert shown in result.stderr, (args, out)
    assert "\x1b" not in out and "\x00" not in out  # echoed escaped, never raw


@pytest.mark.parametrize("command", ["build", "check", "status", "overview", "serve"])
@pytest.mark.parametrize("value", ["99999999999999999999", "0", "-1", "", "257", "many"])
def test_jobs_out_of_range_on_every_command(command: str, value: str, tiny: tuple[Path, str, Path]) -> None:
    result = run_cli(command, "--jobs", value, "--project", str(tiny[0]))
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr and "--jobs" in result.stderr and "Traceback" not in result.stderr


def test_the_jobs_limit_is_in_the_help() -> None:
    assert "(1 to 256)" in " ".join(run_cli("build", "--help").stdout.split())


@pytest.mark.parametrize("command", ["status", "overview"])
@pytest.mark.parametrize("month", ["2026-13", "", "3000-01", "2026/11"])
def test_status_and_overview_refuse_a_bad_month_as_build_does(
    command: str, month: str, tiny: tuple[Path, str, Path]
) -> None:
    result = run_cli(command, "--project", str(tiny[0]), "--month", month)
    build = run_cli("build", "--project", str(tiny[0]), "--month", month)
    assert result.exit_code == build.exit_code == 2
    assert result.stderr.splitlines()[-1] == build.stderr.splitlines()[-1]  # the same message
    assert f" {command} [OPTIONS]" in result.stderr.splitlines()[0]  # the usage line


def test_status_ae_nobody_names_the_account_executives(tiny: tuple[Path, str, Path]) -> None:
    result = run_cli("status", "--project", str(tiny[0]), "--ae", "Nobody")
    assert result.exit_code == 2 and "Usage:" in result.stderr
    assert "no client has the account executive 'Nobody'" in result.stderr and "they are: " in result.stderr


def test_new_report_with_an_empty_month_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    specs = make_project(root)
    before = sorted(p for p in (root / "content").rglob("*"))
    result = run_cli("new", "report", specs[0].id, "--project", str(root), "--month", "")
    assert result.exit_code == 2 and "--month" in result.stderr
    assert sorted(p for p in (root / "content").rglob("*")) == before


class _CountingPool(concurrent.futures.ProcessPoolExecutor):
    sizes: ClassVar[list[int]] = []

    def __init__(self, max_workers: int | None = None, **kwargs: object) -> None:
        _CountingPool.sizes.append(max_workers or 0)
        super().__init__(max_workers, **kwargs)  # type: ignore[arg-type]


def test_jobs_64_starts_no_more_processes_than_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    specs = make_project(root)
    _CountingPool.sizes = []
    monkeypatch.setattr(workers.concurrent.futures, "ProcessPoolExecutor", _CountingPool)
    result = run_cli("build", "--project", str(root), "--jobs", "64")
    assert result.exit_code == 0, result.output
    result = run_cli("status", "--project", str(root), "--jobs", "64", "--month", "2026-10")
    assert result.exit_code == 0, result.output
    assert _CountingPool.sizes, "a pool was started"
    assert max(_CountingPool.sizes) <= len(specs), _CountingPool.sizes


def test_library_pools_are_capped_at_the_task_count() -> None:
    # the library, called with an absurd job count, neither overflows nor forks for nothing
    assert agency._summarize_all(Path("."), [], None, __import__("datetime").date(2026, 11, 23), 10**20) == {}


def test_a_failing_build_prints_no_anomaly_lines(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(HERE / "golden" / "project", root)
    checked = run_cli("check", "--project", str(root))
    assert checked.exit_code == 0 and "anomaly:" in checked.stderr  # the project has anomalies
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "report.html").write_text(
        "{% extends 'base.html' %}{{ broken( }}", encoding="utf-8"
    )
    built = run_cli("build", "--project", str(root))
    assert built.exit_code == 1
    assert "anomaly:" not in built.stderr
    assert "templates/report.html" in built.stderr.splitlines()[0]  # the real error, first
    assert "nothing was written" in built.stderr
