"""The hostile and broken input corpus (tests/corpus/<case>/): every case is a
clear `path:line` error with exit 1 and no traceback, leaving the previous
site exactly as it was — or, where marked "ok", builds and renders correctly.

Each case folder holds the files that differ from a small valid project, and
`expect.txt`: "error" or "ok" on the first line, then text the output must contain.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import tree_bytes

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.txt").is_file())
BASE = CORPUS / "csv-crlf-bom"  # a valid project


def prepare(tmp_path: Path, case: str) -> Path:
    """A built valid project, then the case's files on top."""
    root = tmp_path / "proj"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns("expect.txt"))
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    for path in (CORPUS / case).rglob("*"):
        if path.is_file() and path.name != "expect.txt":
            target = root / path.relative_to(CORPUS / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return root


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(tmp_path, case):
    expect = (CORPUS / case / "expect.txt").read_text(encoding="utf-8").splitlines()
    root = prepare(tmp_path, case)
    before = tree_bytes(root / "site")
    result = run_cli("build", "--project", root)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for needle in expect[1:]:
        assert needle in output, (case, needle, output)
    if expect[0] == "error":
        assert result.exit_code == 1, output
        assert tree_bytes(root / "site") == before
    else:
        assert result.exit_code == 0, output


def test_emoji_and_right_to_left_text_survive_intact(tmp_path):
    root = prepare(tmp_path, "emoji-rtl-everywhere")
    assert run_cli("build", "--project", root).exit_code == 0
    report = (root / "site" / "acme" / "2026-10" / "index.html").read_text(encoding="utf-8")
    for text in (
        "شركة أكمي 🎉 Acme",
        "دנה כהן 👩‍💼".replace("د", "ד"),
        "نقرات 👆",
        "بحث العلامة 🔎",
        "تقرير أكتوبر 🗓️",
        "إطلاق الحملة 🚀",
        "صفحة جديدة 🆕",
    ):
        assert text in report, text
    assert '<h1 dir="auto">تقرير أكتوبر 🗓️</h1>' in report  # right-to-left text lays out right to left


def test_a_200_megabyte_line_is_refused_quickly(tmp_path):
    root = prepare(tmp_path, "csv-crlf-bom")
    before = tree_bytes(root / "site")
    with (root / "data" / "acme" / "huge.csv").open("wb") as handle:
        handle.write(b"date,campaign,channel,impressions,clicks,spend\n2026-10-03,")
        chunk = b"9" * (1 << 20)
        for _ in range(200):
            handle.write(chunk)
    result = run_cli("build", "--project", root)
    assert result.exit_code == 1
    assert "data/acme/huge.csv:2:" in result.stderr and "Traceback" not in result.stderr
    assert tree_bytes(root / "site") == before
