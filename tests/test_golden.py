"""The golden output: every byte `build`, `overview`, `send --dry-run` and
`check` write for a small checked-in project, so refactorings prove they
change no output (Pelican's functional tests are the model).
Refresh on purpose with `python tests/golden/refresh.py`."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))
import refresh as golden  # noqa: E402


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "out"
    golden.produce(out)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _first_difference(path: str, expected: bytes, actual: bytes) -> str:
    try:
        lines = difflib.unified_diff(
            expected.decode().splitlines(),
            actual.decode().splitlines(),
            "golden/" + path,
            "built/" + path,
            lineterm="",
            n=1,
        )
        return "\n".join(list(lines)[:40])
    except UnicodeDecodeError:
        return f"{path}: binary files differ"


def test_output_is_byte_identical_to_the_golden_output(produced):
    out = produced
    large = golden.large_files(out)
    recorded = dict(
        line.split("  ", 1)[::-1] for line in golden.DIGESTS.read_text(encoding="utf-8").splitlines() if line
    )
    assert large == recorded, "large files (plotly.js) differ from tests/golden/digests.txt"
    built = {path: data for path, data in _files(out).items() if path not in large}
    expected = _files(golden.EXPECTED)
    assert sorted(built) == sorted(expected), (
        f"missing: {sorted(set(expected) - set(built))}, extra: {sorted(set(built) - set(expected))}"
        " (intended? run python tests/golden/refresh.py)"
    )
    changed = [path for path in expected if expected[path] != built[path]]
    assert not changed, (
        f"{len(changed)} files differ from the golden site "
        f"(intended? run python tests/golden/refresh.py):\n"
        + _first_difference(changed[0], expected[changed[0]], built[changed[0]])
    )


def test_golden_project_exercises_every_chart_kind():
    # The golden site guards the chart builders only if it draws each of them.
    notes = "".join(p.read_text(encoding="utf-8") for p in (GOLDEN / "project").rglob("*.md"))
    for by in ("day", "week", "month", "campaign", "channel"):
        assert f"by: {by}" in notes
