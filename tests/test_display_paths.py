"""sources.display_paths: a client's data files named as `errors.display_path` names them,
each folder resolved once; over random trees with folders linked in, linked out, dangling
links and files outside the project."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.errors import display_path
from reportgen.sources import display_paths

PLACES = ["data/acme", "data/acme/deep", "data/linked-in", "data/linked-out", "outside", "data/dangling", "."]
NAMES = st.sampled_from(["2026-10.csv", "a b.csv", "Ünï.csv", "link.csv", "..csv"])


@settings(max_examples=100, deadline=None)
@given(
    files=st.lists(st.tuples(st.sampled_from(PLACES), NAMES), min_size=1, max_size=8),
    relative=st.booleans(),
    root_linked=st.booleans(),
)
def test_display_paths_names_files_as_display_path_does(files, relative, root_linked):
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        real = base / "real-project"
        (real / "data" / "acme" / "deep").mkdir(parents=True)
        (base / "outside").mkdir()
        os.symlink(real / "data" / "acme", real / "data" / "linked-in")
        os.symlink(base / "outside", real / "data" / "linked-out")
        os.symlink(base / "missing", real / "data" / "dangling")
        root = base / "project-link" if root_linked else real
        if root_linked:
            os.symlink(real, root)
        display = display_paths(root)
        cwd = os.getcwd()
        try:
            os.chdir(base)
            for place, name in files:
                path = (root / place / name) if place != "outside" else base / "outside" / name
                if relative:
                    path = Path(os.path.relpath(path, base))
                assert display(path) == display_path(path, root), path
        finally:
            os.chdir(cwd)
