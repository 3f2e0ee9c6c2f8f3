"""Refresh the golden output on purpose: `python tests/golden/refresh.py`.

The golden output is what reportgen makes of the small checked-in project in
`tests/golden/project/` on 2026-11-23 (SOURCE_DATE_EPOCH): the site (`build`),
the internal overview (`overview`), the e-mails (`send --dry-run`, with the
per-run Date, Message-ID and MIME boundary replaced by fixed text) and the
output of `check`. `test_golden.py` produces it again and requires every byte
to match, so a refactoring that changes output fails loudly. When a change to
the output is intended, run this script, read `git diff tests/golden/`, and
commit the new golden files with the change. Files over LARGE_FILE bytes (the
vendored plotly.js) and the theme's scripts, stylesheets and logos are kept as a
SHA-256 line in `digests.txt`, not copied.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project"
EXPECTED = HERE / "expected"
DIGESTS = HERE / "digests.txt"
SOURCE_DATE_EPOCH = "1795392000"  # 2026-11-23, as in tests/helpers.py
LARGE_FILE = 512 * 1024
DIGEST_ONLY = (".js", ".css", ".svg")
MONTH_SENT = "2026-10"

# Headers a real send must make unique per message; the golden copy fixes them.
_PER_RUN = [
    (re.compile(rb"^Date: .*$", re.M), b"Date: (per run)"),
    (re.compile(rb"^Message-ID: .*$", re.M), b"Message-ID: (per run)"),
    (re.compile(rb"={15}\d+=="), b"===============BOUNDARY=="),
]


def _run(*args: str, cwd: Path) -> str:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPORTGEN_")}
    env.update(SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, NO_COLOR="1", COLUMNS="100")
    done = subprocess.run(
        [sys.executable, "-m", "reportgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"reportgen {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def produce(out: Path) -> None:
    """Everything reportgen makes of the golden project, into `out`."""
    project = out.parent / (out.name + "-project")
    shutil.copytree(PROJECT, project)  # commands write caches into the project
    _run("build", "--out", str(out / "site"), cwd=project)
    check = _run("check", cwd=project)
    _run("overview", "--out", str(out / "overview"), cwd=project)
    _run("send", "--month", MONTH_SENT, "--dry-run", str(out / "mail"), cwd=project)
    for message in (out / "mail").iterdir():
        data = message.read_bytes()
        for pattern, fixed in _PER_RUN:
            data = pattern.sub(fixed, data)
        message.write_bytes(data)
    (out / "check.txt").write_text(check, encoding="utf-8")
    shutil.rmtree(project)


def large_files(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file kept as a digest, not a copy: files too
    large to keep (plotly.js) and the theme's own assets and logos (copies of files
    in templates/static and the project; a digest proves them unchanged as well)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and (path.stat().st_size > LARGE_FILE or path.suffix in DIGEST_ONLY)
    }


def refresh() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        produce(out)
        large = large_files(out)
        for relative in large:
            (out / relative).unlink()
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(out, EXPECTED)
    DIGESTS.write_text("".join(f"{digest}  {path}\n" for path, digest in large.items()), encoding="utf-8")
    print("refreshed tests/golden/expected; review with git diff tests/golden/")


if __name__ == "__main__":
    refresh()
