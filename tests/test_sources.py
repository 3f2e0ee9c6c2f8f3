"""sources: canonical metric CSVs, every bad row as path:LINE."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from reportgen.config import load_project_config
from reportgen.errors import InputError
from reportgen.sources import load_client_data, parse_metric_bytes, parse_number

HEADER = "date,campaign,channel,impressions,clicks,spend\n"


def read(tmp_path: Path, content: str | bytes, name: str = "m.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    table, problems = parse_metric_bytes(path.read_bytes(), f"data/{name}")
    return table, [str(p) for p in problems]


def only_errors(problems):
    return [p for p in problems if ": warning: " not in p]


def test_reads_canonical_file(tmp_path):
    table, problems = read(
        tmp_path, HEADER + "2026-10-01,brand,search,100,10,12.5\n2026-10-02,brand,search,200,20,7\n"
    )
    assert problems == []
    assert table.metrics == ("impressions", "clicks", "spend")
    assert table.has_campaign and table.has_channel
    first, second = table.rows
    assert first.date == dt.date(2026, 10, 1)
    assert (first.campaign, first.channel, first.values) == ("brand", "search", (100, 10, 12.5))
    assert isinstance(second.values[2], int)


def test_only_date_is_required(tmp_path):
    table, problems = read(tmp_path, "date,leads\n2026-10-01,4\n")
    assert problems == []
    assert not table.has_campaign and not table.has_channel
    assert table.rows[0].campaign is None and table.rows[0].values == (4,)


@pytest.mark.parametrize(
    "bad_row, fragment",
    [
        ("2026-13-01,brand,search,1,1,1", "column 'date': '2026-13-01' is not a date"),
        ("01/10/2026,brand,search,1,1,1", "is not a date"),
        ("2026-10-01,brand,search,lots,1,1", "column 'impressions': 'lots' is not a number"),
        ('2026-10-01,brand,search,"1,234",1,1', "'1,234' is not a number"),
        ("2026-10-01,brand,search,1,1,$5.00", "column 'spend': '$5.00' is not a number"),
        ("2026-10-01,brand,search,1,1,--", "is not a number"),
        ("2026-10-01,brand,search,1,1", "expected 6 fields as in the header, found 5"),
        ("2026-10-01,brand,search,1,1,1,1", "expected 6 fields as in the header, found 7"),
        ("Total,,,100,10,5", "is not a date"),
    ],
)
def test_bad_rows_reported_with_line(tmp_path, bad_row, fragment):
    content = HEADER + "2026-10-01,brand,search,1,1,1\n\n" + bad_row + "\n2026-10-03,b,s,1,1,1\n"
    table, problems = read(tmp_path, content)
    assert table is None
    assert problems == [f"data/m.csv:4: {fragment}"] or any(
        p.startswith("data/m.csv:4: ") and fragment in p for p in problems
    ), problems
    assert len(problems) == 1


def test_line_numbers_count_quoted_newlines(tmp_path):
    content = HEADER + '2026-10-01,"multi\nline",search,1,1,1\n2026-10-02,b,s,x,1,1\n'
    _table, problems = read(tmp_path, content)
    assert problems == ["data/m.csv:4: column 'impressions': 'x' is not a number"]


def test_every_bad_row_reported_up_to_a_limit(tmp_path):
    rows = "".join(f"2026-10-{d:02d},b,s,x,1,1\n" for d in range(1, 31))
    _table, problems = read(tmp_path, HEADER + rows)
    located = [p for p in problems if p.startswith("data/m.csv:") and "is not a number" in p]
    assert [p.split(":")[1] for p in located[:3]] == ["2", "3", "4"]
    assert len(located) >= 20
    assert any("more bad rows" in p for p in problems)


def test_utf8_bom_is_fine(tmp_path):
    table, problems = read(tmp_path, b"\xef\xbb\xbf" + (HEADER + "2026-10-01,b,s,1,2,3\n").encode())
    assert problems == []
    assert table.metrics == ("impressions", "clicks", "spend")


def test_crlf_line_endings(tmp_path):
    table, problems = read(tmp_path, (HEADER + "2026-10-01,b,s,1,2,3\n").replace("\n", "\r\n"))
    assert problems == [] and len(table.rows) == 1


def test_blank_cell_is_missing_not_zero(tmp_path):
    table, problems = read(tmp_path, HEADER + "2026-10-01,,,1,,3\n2026-10-02,b,s,  ,2, \n")
    assert problems == []
    assert table.rows[0].values == (1, None, 3)
    assert table.rows[0].campaign is None and table.rows[0].channel is None
    assert table.rows[1].values == (None, 2, None)


def test_blank_lines_skipped(tmp_path):
    table, problems = read(tmp_path, HEADER + "\n2026-10-01,b,s,1,2,3\n\n\n")
    assert problems == [] and len(table.rows) == 1


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("12", (12, True)),
        ("-3", (-3, True)),
        ("1.5", (1.5, True)),
        (".5", (0.5, True)),
        ("1e3", (1000.0, True)),
        ("", (None, True)),
        ("  ", (None, True)),
        ("1,234", (None, False)),
        ("12%", (None, False)),
        ("€5", (None, False)),
        ("nan", (None, False)),
        ("inf", (None, False)),
        ("--", (None, False)),
    ],
)
def test_parse_number(cell, expected):
    assert parse_number(cell) == expected


def test_ratio_columns_ignored_with_warning(tmp_path):
    table, problems = read(tmp_path, "date,clicks,impressions,ctr\n2026-10-01,1,10,0.1\n")
    assert table.metrics == ("clicks", "impressions")
    assert len(problems) == 1 and "warning" in problems[0] and "ctr" in problems[0]


@pytest.mark.parametrize(
    "header, fragment",
    [
        ("campaign,clicks\n", "no 'date' column"),
        ("date,Clicks (all)\n", "not a canonical metric name"),
        ("date,clicks,clicks\n", "appears twice"),
    ],
)
def test_bad_headers(tmp_path, header, fragment):
    table, problems = read(tmp_path, header + "2026-10-01,1\n")
    assert table is None
    assert any(p.startswith("data/m.csv:1: ") and fragment in p for p in problems), problems


def test_title_line_above_header_is_an_error_with_line(tmp_path):
    table, problems = read(tmp_path, "Campaign report: Oct 1 - Oct 31\n" + HEADER)
    assert table is None
    assert problems and all(p.startswith("data/m.csv:1: ") for p in problems)


def test_utf16_file(tmp_path):
    table, problems = read(tmp_path, (HEADER + "2026-10-01,b,s,1,2,3\n").encode("utf-16"))
    assert table is None
    assert problems == [problems[0]] and problems[0].startswith("data/m.csv:1: ")
    assert "UTF-16" in problems[0]


def test_latin1_file(tmp_path):
    content = (HEADER + "2026-10-01,b,s,1,2,3\n2026-10-02,café,s,1,2,3\n").encode("latin-1")
    table, problems = read(tmp_path, content)
    assert table is None
    assert len(problems) == 1 and problems[0].startswith("data/m.csv:3: ")
    assert "UTF-8" in problems[0]


def test_binary_file(tmp_path):
    table, problems = read(tmp_path, b"PK\x03\x04\x00\x00binary\x00junk")
    assert table is None
    assert len(problems) == 1 and "binary" in problems[0]


@pytest.mark.parametrize("content", ["", "\n\n", " , ,\n"])
def test_empty_file(tmp_path, content):
    table, problems = read(tmp_path, content)
    assert table is None
    assert len(problems) == 1 and "empty file" in problems[0]


def test_header_only_file_has_no_rows(tmp_path):
    table, problems = read(tmp_path, HEADER)
    assert problems == [] and table.rows == ()


# --- globs and paths ---------------------------------------------------------------


def project(root: Path, data: list[str]) -> None:
    patterns = "".join(f"      - {p}\n" for p in data)
    (root / "clients.yaml").write_text(
        textwrap.dedent("""\
        agency: {name: A}
        clients:
          - id: acme
            name: Acme
            account_executive: {name: X}
            data:
        """)
        + patterns,
        encoding="utf-8",
    )


def load(root: Path):
    (client,) = load_project_config(root).clients
    table, problems = load_client_data(root, client)
    return table, [str(p) for p in problems]


def test_globs_merge_files_with_different_columns(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("date,clicks\n2026-10-01,5\n")
    (tmp_path / "data" / "b.csv").write_text("date,leads,clicks\n2026-10-02,2,7\n")
    project(tmp_path, ["data/*.csv", "data/a.csv"])  # a.csv matched twice: read once
    table, problems = load(tmp_path)
    assert problems == []
    assert table.metrics == ("clicks", "leads")
    assert [r.values for r in table.rows] == [(5, None), (7, 2)]


def test_glob_matching_nothing_is_a_warning(tmp_path):
    project(tmp_path, ["data/none/*.csv"])
    table, problems = load(tmp_path)
    assert table.rows == ()
    assert len(problems) == 1 and problems[0].startswith("clients.yaml:7: warning:")


def test_bad_file_reported_with_its_path(tmp_path):
    (tmp_path / "data" / "acme").mkdir(parents=True)
    (tmp_path / "data" / "acme" / "oct.csv").write_text("date,clicks\n2026-10-01,x\n")
    project(tmp_path, ["data/acme/*.csv"])
    _table, problems = load(tmp_path)
    assert problems == ["data/acme/oct.csv:2: column 'clicks': 'x' is not a number"]


@pytest.mark.parametrize("pattern", ["../outside/*.csv", "/tmp/*.csv", "data/../../x/*.csv"])
def test_glob_outside_project_refused(tmp_path, pattern):
    project(tmp_path, [pattern])
    with pytest.raises(InputError) as info:
        load_project_config(tmp_path)
    assert any(str(p).startswith("clients.yaml:7: ") for p in info.value.problems)


def test_symlink_escaping_project_refused(tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.csv").write_text("date,clicks\n2026-10-01,5\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "link.csv").symlink_to(outside / "secret.csv")
    (tmp_path / "data" / "linkdir").symlink_to(outside, target_is_directory=True)
    project(tmp_path, ["data/*.csv", "data/linkdir/*.csv"])
    table, problems = load(tmp_path)
    assert table.rows == ()
    escapes = [p for p in problems if "outside the project" in p]
    assert len(escapes) == 2, problems
    assert all(p.startswith("clients.yaml:") and ": warning:" not in p for p in escapes)


def test_symlink_inside_project_is_fine(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "real.csv").write_text("date,clicks\n2026-10-01,5\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "link.csv").symlink_to(tmp_path / "exports" / "real.csv")
    project(tmp_path, ["data/*.csv"])
    table, problems = load(tmp_path)
    assert problems == [] and len(table.rows) == 1


# The fast path for plain canonical files (canonicalcsv._fast_rows) must read exactly what
# the csv reader path reads, and leave every other file, with its messages, to that path.
FAST_PATH_CASES = [
    HEADER + "2026-10-01,a,search,10,2,3.50\n2026-10-01,b,,7,1,\n\n2026-10-02, a ,social,0,0,0.0\n",
    HEADER + "2026-10-01,a,search,10,2,-3.50\n",  # a negative value: reported (info)
    HEADER + "2026-10-01,a,search,10,2\n",  # a short row
    HEADER + '2026-10-01,"a, b",search,10,2,3\n',  # a quoted name
    HEADER + "2026-10-01,a,search,1e3,+2,.5\r\n",  # CRLF, other number forms
    HEADER + "2026-13-01,a,search,1,1,1\n2026-10-01,a,search,x,1,1\n",  # bad date, bad number
    HEADER + "1899-12-31,a,search,1,1,1\n",  # outside the accepted dates
    HEADER + "2026-10-01,a,search,9999999999999999,1,1\n",  # past 10^15
    "date,clicks,ctr\n2026-10-01,3,0.5\n   \n2026-10-02,007,\n",  # a ratio column, a blank line
]


@pytest.mark.parametrize("text", FAST_PATH_CASES)
def test_fast_path_reads_what_the_csv_reader_reads(text, monkeypatch):
    from reportgen import canonicalcsv

    fast = canonicalcsv.parse_metric_text(text, "data/m.csv")
    monkeypatch.setattr(canonicalcsv, "_fast_rows", lambda *args: None)
    assert repr(fast) == repr(canonicalcsv.parse_metric_text(text, "data/m.csv"))
