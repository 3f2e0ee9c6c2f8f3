"""No input reaches a traceback, and no figure is ever counted twice (issue 9).

Classes of input, each with a generative test that would have found it and
end-to-end runs of the CLI:

- numbers: any cell text (huge exponents, 400-digit integers, `nan`) is a
  value or a `path:line` problem naming the column; never inf, NaN or a
  traceback; budgets and targets past 10^15 are errors in clients.yaml;
- files: a FIFO, a socket, a symlink loop or a dangling link matched by a data
  glob, named as a logo, a note or a template is an error naming the path,
  never opened (a FIFO would hang the build);
- templates: anything a user's template raises while rendering is
  `templates/NAME.html:LINE: message`;
- notes that are not UTF-8: an error at the line of the first bad byte;
- overlaps: two files of one client that give the same metric for the same
  day and campaign are an error naming both files and the first overlapping
  day, whatever their formats; files giving different metrics merge.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import SOURCE_DATE_EPOCH, tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.config import load_project_config
from reportgen.importers import bad_number, parse_value
from reportgen.schema import LARGEST_NUMBER
from reportgen.sources import load_client_data, number_problem, parse_metric_text, parse_number

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "csv-crlf-bom"  # a small valid project: acme, clicks KPI, data/acme/*.csv
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


def sane(value) -> bool:
    return value is None or (
        not isinstance(value, bool) and math.isfinite(value) and abs(value) <= LARGEST_NUMBER
    )


# --- numbers --------------------------------------------------------------------------------------

NUMBERISH = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[+-]?\d{0,400}(\.\d{0,40})?([eE][+-]?\d{1,6})?", fullmatch=True),
    st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),  # past int()'s 4,300 digits
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1e308",
            "1.0e+308",
            "nan",
            "NaN",
            "inf",
            "-Infinity",
            "1_000",
            "١٢٣",
            "0x10",
            "1e-400",
            "(1e400)",
            "$1e400",
            "1,5e3",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(NUMBERISH)
def test_a_canonical_cell_is_a_sane_value_or_a_reason(cell):
    value, ok = parse_number(cell)
    assert sane(value)
    if not ok:
        assert value is None and number_problem(cell)
        assert len(number_problem(cell)) < 200  # a 100 KB cell is not quoted whole


@settings(max_examples=300, deadline=None)
@given(NUMBERISH, st.booleans())
def test_an_export_cell_is_a_finite_value_or_a_reason(cell, decimal_comma):
    value, ok = parse_value(cell, decimal_comma)
    assert value is None or (math.isfinite(value) and abs(value) <= LARGEST_NUMBER * 10**6)  # micros
    if not ok:
        assert bad_number(cell, decimal_comma)


@settings(max_examples=100, deadline=None)
@given(NUMBERISH.filter(lambda c: "," not in c and '"' not in c and "\n" not in c and "\r" not in c))
def test_a_csv_file_with_any_cell_is_rows_or_a_problem_at_its_line(cell):
    table, problems = parse_metric_text(f"date,clicks\n2026-10-01,1\n2026-10-02,{cell}\n", "data/x.csv")
    if table is None:
        assert [(p.path, p.line) for p in problems] == [("data/x.csv", 3)]
        assert "column 'clicks'" in problems[0].message
    else:
        assert all(sane(v) for row in table.rows for v in row.values)


@pytest.mark.parametrize(
    "cell, words",
    [
        ("1e400", "out of range"),
        ("9" * 400, "out of range"),
        ("9" * 5000, "out of range"),
        ("1e16", "out of range"),
        ("-1e16", "out of range"),
        ("nan", "not a number"),
        ("inf", "not a number"),
    ],
)
def test_out_of_range_cells_say_so(cell, words):
    assert parse_number(cell) == (None, False)
    assert words in number_problem(cell)


def test_the_largest_number_still_reads():
    assert parse_number("1000000000000000") == (10**15, True)
    assert parse_number("-999999999999999.5") == (-999999999999999.5, True)


# --- a small project on the CLI -----------------------------------------------------------------


def base_project(tmp_path: Path, build: bool = True) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns("expect.txt"))
    if build:
        result = run_cli("build", "--project", root)
        assert result.exit_code == 0, result.output
    return root


def fails_cleanly(root: Path, *needles: str) -> str:
    """`check` and `build` both fail with exit 1, the needles, no traceback; site kept."""
    before = tree_bytes(root / "site") if (root / "site").is_dir() else None
    outputs = []
    for command in ("check", "build"):
        result = run_cli(command, "--project", root)
        output = result.stdout + result.stderr
        assert result.exit_code == 1, (command, output)
        assert "Traceback" not in output, (command, output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, output)
        for needle in needles:
            assert needle in output, (command, needle, output)
        outputs.append(output)
    if before is not None:
        assert tree_bytes(root / "site") == before
    return outputs[1]


def set_client_lines(root: Path, *lines: str) -> None:
    """Add lines to the (only) client of the base project's clients.yaml."""
    path = root / "clients.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    name: Acme\n", "    name: Acme\n" + "".join(f"    {line}\n" for line in lines))
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("cell", ["1e400", "9" * 400, "-1e308", "1.0e+308"])
def test_huge_numbers_in_a_csv_are_an_error_at_file_line_column(tmp_path, cell):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "big.csv").write_text(
        f"date,campaign,channel,clicks\n2026-10-05,other,search,1\n2026-10-06,other,search,{cell}\n"
    )
    fails_cleanly(root, "data/acme/big.csv:3: column 'clicks':", "out of range")


def test_huge_numbers_in_a_platform_export_are_an_error_at_its_line(tmp_path):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "ads.csv").write_text(
        "Day,Campaign,Impr.,Clicks,Cost\n2026-10-05,Other,10,1,1.00\n2026-10-06,Other,1e400,1,1.00\n"
    )
    fails_cleanly(root, "data/acme/ads.csv:3: column 'Impr.':", "out of range")


def test_a_cost_in_micros_is_checked_once_converted(tmp_path):
    root = base_project(tmp_path)
    # 2e15 micros is 2,000,000,000 a day: large but fine; 2e22 micros is 2e16: out of range.
    (root / "data" / "acme" / "ads.csv").write_text(
        "Day,Campaign,Cost (micros)\n2026-10-05,Other,2000000000000000\n"
    )
    assert run_cli("check", "--project", root).exit_code == 0
    (root / "data" / "acme" / "ads.csv").write_text(
        "Day,Campaign,Cost (micros)\n2026-10-05,Other,20000000000000000000000\n"
    )
    fails_cleanly(root, "data/acme/ads.csv:2: column 'Cost (micros)':", "out of range")


@pytest.mark.parametrize(
    "lines, where",
    [
        (["budget: {monthly: 1.0e+308}"], "clients[1].budget.monthly"),
        (["budget: {months: {2026-10: 1.0e+308}}"], "clients[1].budget.months.2026-10"),
        (["budget: {monthly: " + "9" * 400 + "}"], "clients[1].budget.monthly"),
        (["campaigns: [{id: brand, budget: 1.0e+308}]"], "clients[1].campaigns[1].budget"),
    ],
)
def test_budgets_past_the_largest_number_are_an_error(tmp_path, lines, where):
    root = base_project(tmp_path)
    set_client_lines(root, *lines)
    fails_cleanly(root, f"clients.yaml:5: {where}:", "out of range")


@pytest.mark.parametrize("target", ["1.0e+308", "-1.0e+308", "9" * 400])
def test_targets_past_the_largest_number_are_an_error(tmp_path, target):
    root = base_project(tmp_path)
    path = root / "clients.yaml"
    path.write_text(path.read_text().replace("target: 100", f"target: {target}"))
    fails_cleanly(root, "clients.yaml:6: clients[1].kpis[1].target:", "out of range")


def test_a_tiny_target_or_budget_is_no_value_never_inf(tmp_path):
    """Finite inputs whose ratios overflow (1e15 / 1e-300) give no value, not a crash."""
    root = base_project(tmp_path)
    path = root / "clients.yaml"
    path.write_text(path.read_text().replace("target: 100", "target: 1.0e-300"))
    set_client_lines(root, "budget: {monthly: 1.0e-300}")
    (root / "data" / "acme" / "big.csv").write_text(
        "date,campaign,channel,clicks,spend\n2026-10-05,other,search,1000000000000000,1000000000000000\n"
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_a_formula_constant_past_the_largest_number_is_an_error(tmp_path):
    root = base_project(tmp_path)
    set_client_lines(root, 'metrics: {big: "2 * ' + "9" * 400 + '"}')
    fails_cleanly(
        root, "clients.yaml:5: clients[1].metrics.big: number '99999999999999999999…' is out of range"
    )


# --- files that are not regular files ----------------------------------------------------------


def run_subprocess(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The CLI in a process of its own, so a hang fails the test instead of blocking it."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_fifo_matched_by_a_data_glob_is_an_error_never_a_hang(tmp_path, command):
    root = base_project(tmp_path)
    before = tree_bytes(root / "site")
    os.mkfifo(root / "data" / "acme" / "pipe.csv")
    result = run_subprocess(command, "--project", str(root))
    assert result.returncode == 1, result.stderr
    assert "data/acme/pipe.csv: a named pipe (FIFO), not a regular file" in result.stderr
    assert "clients.yaml line 7" in result.stderr and "Traceback" not in result.stderr
    assert tree_bytes(root / "site") == before


def test_a_fifo_as_a_note_or_a_template_is_an_error_never_a_hang(tmp_path):
    root = base_project(tmp_path)
    (root / "content" / "acme").mkdir(parents=True)
    os.mkfifo(root / "content" / "acme" / "2026-10.md")
    result = run_subprocess("build", "--project", str(root))
    assert result.returncode == 1 and "content/acme/2026-10.md: a named pipe" in result.stderr
    (root / "content" / "acme" / "2026-10.md").unlink()
    (root / "templates").mkdir()
    os.mkfifo(root / "templates" / "home.html")
    result = run_subprocess("build", "--project", str(root))
    assert result.returncode == 1, result.stderr
    assert "templates/home.html: template error: a named pipe" in result.stderr


def test_a_socket_matched_by_a_data_glob_is_an_error(tmp_path):
    root = base_project(tmp_path)
    # A short path: socket addresses are limited to about 100 bytes.
    with tempfile.TemporaryDirectory(dir="/tmp") as short:
        link_root = Path(short) / "p"
        link_root.symlink_to(root)
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(link_root / "data" / "acme" / "s.csv"))
            fails_cleanly(root, "data/acme/s.csv: a socket, not a regular file")
        finally:
            server.close()


def test_clients_yaml_as_a_fifo_a_loop_or_latin1_is_an_error(tmp_path):
    root = base_project(tmp_path)
    config = root / "clients.yaml"
    config.unlink()
    os.mkfifo(config)
    result = run_subprocess("check", "--project", str(root))
    assert result.returncode == 1 and "clients.yaml: a named pipe (FIFO)" in result.stderr
    config.unlink()
    config.symlink_to("clients.yaml")
    result = run_subprocess("check", "--project", str(root))
    assert result.returncode == 1 and "clients.yaml: a symlink loop" in result.stderr
    config.unlink()
    config.write_bytes("# Café\nagency: {name: A}\n".encode("latin-1"))
    fails_cleanly(root, "clients.yaml:1: not UTF-8 text")


def test_import_of_a_fifo_is_an_error_never_a_hang(tmp_path):
    root = base_project(tmp_path)
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    result = run_subprocess("import", str(fifo), "--client", "acme", "--project", str(root))
    assert result.returncode == 1 and "a named pipe (FIFO)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("link", ["loop.csv", "../acme/loop.csv"])
def test_a_symlink_loop_matched_by_a_data_glob_is_an_error(tmp_path, link):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "loop.csv").symlink_to(link)
    fails_cleanly(root, "data/acme/loop.csv: a symlink loop", "clients.yaml line 7")


def test_a_two_link_loop_and_a_dangling_link_are_errors(tmp_path):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "a.csv").symlink_to("b.csv")
    (root / "data" / "acme" / "b.csv").symlink_to("a.csv")
    (root / "data" / "acme" / "gone.csv").symlink_to("nowhere.csv")
    fails_cleanly(
        root,
        "data/acme/a.csv: a symlink loop",
        "data/acme/b.csv: a symlink loop",
        "data/acme/gone.csv: a broken symlink",
    )


def test_a_folder_loop_under_a_recursive_glob_ends(tmp_path):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "again").symlink_to(".")
    (root / "data" / "acme" / "up").symlink_to("..")
    path = root / "clients.yaml"
    path.write_text(path.read_text().replace("data/acme/*.csv", "data/**/*.csv"))
    result = run_subprocess("check", "--project", str(root), timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("field, line", [("agency", 1), ("brand", 5)])
@pytest.mark.parametrize("kind", ["loop", "fifo", "folder", "dangling"])
def test_a_logo_that_is_not_a_regular_file_is_an_error(tmp_path, field, line, kind):
    root = base_project(tmp_path)
    logo = root / "logo.svg"
    if kind == "loop":
        logo.symlink_to("logo.svg")
    elif kind == "fifo":
        os.mkfifo(logo)
    elif kind == "folder":
        logo.mkdir()
    else:
        logo.symlink_to("missing.svg")
    if field == "agency":
        path = root / "clients.yaml"
        text = path.read_text().replace("{name: Corpus Agency}", "{name: Corpus Agency, logo: logo.svg}")
        path.write_text(text)
    else:
        set_client_lines(root, "brand: {logo: logo.svg}")
    words = {
        "loop": "a symlink loop",
        "fifo": "a named pipe (FIFO)",
        "folder": "a folder",
        "dangling": "a broken symlink",
    }[kind]
    result = run_subprocess("check", "--project", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"clients.yaml:{line}:" in result.stderr and words in result.stderr, result.stderr


# --- templates -----------------------------------------------------------------------------------

REPORT_WITH = """{%% extends "base.html" %%}
{%% block main %%}
<p>fine</p>
%s
{%% endblock %%}
"""


@pytest.mark.parametrize(
    "expression, words",
    [
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{{ client.no_such_field.x }}", "has no attribute 'no_such_field'"),
        ("{{ 'x' + 1 }}", "TypeError"),
        ("{{ [1, 2][7] }}", "no element 7"),
        ("{{ {}.x.y }}", "has no attribute"),
        ("{{ '%d' % 'x' }}", "TypeError"),
        ("{{ (2 ** 100000) | string }}", "ValueError"),
    ],
)
def test_a_runtime_error_in_a_user_template_is_template_path_line(tmp_path, expression, words):
    root = base_project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "report.html").write_text(REPORT_WITH % expression)
    before = tree_bytes(root / "site")
    result = run_cli("build", "--project", root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "templates/report.html:4: template error: " in result.stderr
    assert words in result.stderr, result.stderr
    assert tree_bytes(root / "site") == before


@pytest.mark.parametrize("template", ["report.html", "home.html", "index.html", "partials/chart.html"])
def test_check_renders_every_page_so_it_fails_when_build_would(tmp_path, template):
    root = base_project(tmp_path)
    if template != "index.html":  # a note with a chart, so the chart partial is rendered
        folder = root / "content" / "acme"
        folder.mkdir(parents=True)
        (folder / "2026-10.md").write_text("---\ntitle: T\n---\n```chart\nmetric: clicks\n```\n")
    path = root / "templates" / template
    path.parent.mkdir(parents=True)
    path.write_text(
        "<p>x</p>\n{{ 1 // 0 }}\n" if template.startswith("partials/") else REPORT_WITH % "{{ 1 // 0 }}"
    )
    line = 2 if template.startswith("partials/") else 4
    fails_cleanly(root, f"templates/{template}:{line}: template error: ZeroDivisionError")


def test_a_template_that_is_not_utf8_is_an_error_at_its_line(tmp_path):
    root = base_project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "report.html").write_bytes((REPORT_WITH % "Caf\xe9").encode("latin-1"))
    result = run_cli("build", "--project", root)
    assert result.exit_code == 1, result.output
    assert "templates/report.html:4: template error: not UTF-8 text" in result.stderr


# --- notes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, line", [("latin-1", 2), ("cp1252", 4)])
def test_a_note_that_is_not_utf8_is_an_error_at_its_line(tmp_path, encoding, line):
    root = base_project(tmp_path)
    folder = root / "content" / "acme"
    folder.mkdir(parents=True)
    text = {2: "---\ntitle: Café report\n---\nBody\n", 4: "---\ntitle: Fine\n---\nIt’s done.\n"}[line]
    (folder / "2026-10.md").write_bytes(text.encode(encoding))
    fails_cleanly(root, f"content/acme/2026-10.md:{line}: not UTF-8 text", "save the note as UTF-8")


def test_a_utf16_note_says_so(tmp_path):
    root = base_project(tmp_path)
    folder = root / "content" / "acme"
    folder.mkdir(parents=True)
    (folder / "2026-10.md").write_bytes("---\ntitle: x\n---\n".encode("utf-16"))
    fails_cleanly(root, "content/acme/2026-10.md:1: the note is UTF-16 text")


# --- overlaps ------------------------------------------------------------------------------------


def test_a_copy_of_a_data_file_is_an_error_never_double_counted(tmp_path):
    root = base_project(tmp_path)
    shutil.copyfile(root / "data" / "acme" / "2026-10.csv", root / "data" / "acme" / "metrics (1).csv")
    fails_cleanly(
        root,
        "data/acme/metrics (1).csv: overlaps data/acme/2026-10.csv: both have rows "
        "for 2026-10-01 campaign 'brand' giving impressions, clicks, spend, on 2 days",
    )


def test_an_imported_csv_next_to_its_export_is_an_error(tmp_path):
    root = base_project(tmp_path)
    export = root / "data" / "acme" / "google-ads.csv"
    shutil.copyfile(EXPORTS / "google-ads-ui-title-range-totals.csv", export)
    assert run_cli("check", "--project", root).exit_code == 0
    result = run_cli("import", export, "--client", "acme", "--project", root)
    assert result.exit_code == 0, result.output
    assert (root / "data" / "acme" / "google_ads-2025-11-01-2025-11-03.csv").is_file()
    fails_cleanly(
        root,
        "data/acme/google_ads-2025-11-01-2025-11-03.csv: overlaps data/acme/google-ads.csv: "
        "both have rows for 2025-11-01 campaign 'Brand search' giving impressions, "
        "clicks, spend, conversions, on 3 days in all",
    )


def test_delivery_plus_crm_leads_for_the_same_days_merge(tmp_path):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "crm.csv").write_text(
        "date,campaign,leads\n2026-10-01,brand,3\n2026-10-02,brand,4\n"
    )
    # A delivery file whose leads column is blank gives no leads: no overlap either.
    (root / "data" / "acme" / "more.csv").write_text(
        "date,campaign,channel,leads\n2026-10-01,brand,search,\n"
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    report = json.loads((root / "site" / "acme" / "2026-10" / "report.json").read_text())
    assert report["totals"]["leads"] == 7 and report["totals"]["clicks"] == 22


def test_rows_without_a_campaign_are_one_campaign_of_their_own(tmp_path):
    root = base_project(tmp_path)
    (root / "data" / "acme" / "a.csv").write_text("date,clicks\n2026-10-03,1\n")
    assert run_cli("check", "--project", root).exit_code == 0  # 'brand' rows are another campaign
    (root / "data" / "acme" / "b.csv").write_text("date,channel,clicks\n2026-10-03,social,1\n")
    fails_cleanly(
        root,
        "data/acme/b.csv: overlaps data/acme/a.csv: both have rows for 2026-10-03 "
        "(rows without a campaign) giving clicks",
    )


# --- overlaps, generatively: any formats, error iff same metric, day and campaign ----------------

DAYS = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(6)]
CAMPAIGNS = ["Alpha", "Beta"]


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def render_file(fmt: str, rows: list[tuple[dt.date, str | None, dict[str, int | None]]]) -> str:
    """One file in `fmt` with the given (day, campaign, {metric: value}) rows."""
    if fmt == "canonical":
        metrics = sorted({m for _, _, values in rows for m in values})
        has_campaign = any(c is not None for _, c, _ in rows)
        head = ["date"] + (["campaign"] if has_campaign else []) + metrics
        lines = [",".join(head)]
        for day, campaign, values in rows:
            lines.append(
                ",".join(
                    [day.isoformat()]
                    + ([campaign or ""] if has_campaign else [])
                    + [_cell(values.get(m)) for m in metrics]
                )
            )
        return "\n".join(lines) + "\n"
    if fmt == "google_ads":  # clicks, impressions; a title line above the header
        lines = ["Campaign report", "Day,Campaign,Impr.,Clicks,Cost"]
        for day, campaign, values in rows:
            lines.append(
                f"{day.isoformat()},{campaign},{_cell(values.get('impressions'))},"
                f"{_cell(values.get('clicks'))},"
            )
        return "\n".join(lines) + "\n"
    if fmt == "linkedin_ads":
        lines = [
            "Campaign Performance Report",
            "Start Date (in UTC),Campaign Name,Impressions,Clicks,Total Spent,Leads",
        ]
        for day, campaign, values in rows:
            lines.append(
                f"{day.month}/{day.day}/{day.year},{campaign},{_cell(values.get('impressions'))},"
                f"{_cell(values.get('clicks'))},,{_cell(values.get('leads'))}"
            )
        return "\n".join(lines) + "\n"
    assert fmt == "ga4"  # no campaign column: rows without a campaign
    lines = ["# GA4 export", "Date,Session default channel group,Sessions,Key events"]
    for day, _campaign, values in rows:
        lines.append(
            f"{day:%Y%m%d},Organic Search,{_cell(values.get('sessions'))},{_cell(values.get('leads'))}"
        )
    return "\n".join(lines) + "\n"


FORMAT_METRICS = {
    "canonical": ["impressions", "clicks", "leads", "sessions"],
    "google_ads": ["impressions", "clicks"],
    "linkedin_ads": ["impressions", "clicks", "leads"],
    "ga4": ["sessions"],
}


@st.composite
def data_file(draw):
    fmt = draw(st.sampled_from(sorted(FORMAT_METRICS)))
    metrics = draw(st.lists(st.sampled_from(FORMAT_METRICS[fmt]), min_size=1, max_size=3, unique=True))
    campaign_less = fmt == "ga4" or (fmt == "canonical" and draw(st.booleans()))
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True))
    rows = []
    for day in sorted(days):
        for campaign in (
            [None]
            if campaign_less
            else draw(st.lists(st.sampled_from(CAMPAIGNS), min_size=1, max_size=2, unique=True))
        ):
            values = {m: draw(st.one_of(st.none(), st.integers(1, 999))) for m in metrics}
            rows.append((day, campaign, values))
    return fmt, rows


def given_keys(fmt: str, rows) -> set[tuple]:
    """(metric, day, campaign) that a file gives a value for, as reportgen names them."""
    out = set()
    for day, campaign, values in rows:
        for metric, value in values.items():
            if value is None:
                continue
            if fmt == "ga4" and metric == "leads":
                metric = "key_events"
            out.add((metric, day, campaign))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(data_file(), min_size=1, max_size=3))
def test_files_in_any_formats_are_an_error_iff_they_give_a_figure_twice(files):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "clients.yaml").write_text(
            "agency: {name: A}\nclients:\n  - id: acme\n    name: Acme\n"
            "    account_executive: {name: J}\n    data: [data/*.csv]\n"
        )
        (root / "data").mkdir()
        for index, (fmt, rows) in enumerate(files):
            (root / "data" / f"f{index}.csv").write_text(render_file(fmt, rows))
        client = load_project_config(root).clients[0]
        table, problems = load_client_data(root, client)
    errors = [p for p in problems if p.severity == "error"]
    keys = [given_keys(fmt, rows) for fmt, rows in files]
    twice = {key for i in range(len(keys)) for j in range(i) for key in keys[i] & keys[j]}
    assert all("overlaps" in p.message for p in errors), errors
    assert bool(errors) == bool(twice), (errors, twice)
    if twice:
        first = min(day for _, day, _ in twice)
        assert any(f"for {first}" in p.message for p in errors), (errors, first)
    else:  # merged: every figure once
        for metric in {m for k in keys for m, _, _ in k}:
            at = table.metrics.index(metric)
            expected = sum(
                values.get("leads" if metric == "key_events" else metric) or 0
                for _fmt, rows in files
                for _d, _c, values in rows
                if (metric != "key_events" or _fmt == "ga4") and (metric != "leads" or _fmt != "ga4")
            )
            assert sum(r.values[at] or 0 for r in table.rows) == expected
