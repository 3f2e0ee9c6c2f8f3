"""A data glob skips hidden files and folders it does not ask for (attack a15d).

`data/acme/*.csv` read macOS's `._2026-10.csv` (AppleDouble files on a shared
drive: binary, so the build failed) and a spreadsheet's `.~lock.…#` copy (an
overlap error), because pathlib's glob matches hidden names where the shell
and Python's glob do not. Property: over random trees, a client's data files
are exactly what `glob.glob` (the shell's rule) finds, a hidden name only when
a pattern part starting with '.' asks for it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.datafiles import find_data_sources
from reportgen.model import Client, DataSource, Person

FOLDERS = ["data", "data/acme", "data/.backup", "data/acme/.old", ".exports"]
NAMES = ["2026-10.csv", "._2026-10.csv", ".~lock.2026-10.csv#", ".hidden.csv", "notes.txt"]
PATTERNS = [
    "data/acme/*.csv",
    "data/**/*.csv",
    "data/*/*.csv",
    "data/*",
    "data/.backup/*.csv",
    "data/**/.*.csv",
    "data/acme/.*",
    "data/acme/._2026-10.csv",
    ".exports/*.csv",
    "**/*.csv",
    "data/acme/**",  # a trailing `**`: every file below, as the shell's globstar (attack a15e)
    "data/**",
    "**",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES)), min_size=1, max_size=10),
    pattern=st.sampled_from(PATTERNS),
)
def test_data_files_are_what_the_shell_glob_finds(tmp_path_factory, files, pattern):
    root = tmp_path_factory.mktemp("p")
    for folder, name in files:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text("date\n")
    client = Client(
        id="acme",
        name="Acme",
        account_executive=Person("AE", "ae@agency.example"),
        data=(DataSource(pattern, 1),),
    )
    found, _problems = find_data_sources(root, client)
    got = sorted(path.relative_to(root).as_posix() for path, _source in found)
    expected = sorted(
        p for p in glob.glob(pattern, root_dir=root, recursive=True) if os.path.isfile(root / p)
    )
    assert got == expected


def test_a_build_ignores_the_files_a_mac_and_a_spreadsheet_leave(tmp_path, cli):
    root = tmp_path / "p"
    assert cli("init", str(root)).exit_code == 0
    folder = root / "data" / "example-client"
    export = next(folder.glob("*.csv"))
    (folder / f"._{export.name}").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    (folder / f".~lock.{export.name}#").write_text(export.read_text())
    result = cli("build", "--project", str(root))
    assert result.exit_code == 0, result.output
    assert Path(root / "site").is_dir()
