"""Workers stamp the files they stage (workers.py), not the main process one by one after
them: the stamps a build records are exactly what `incremental.stamp_files` takes of the
new site, over random sequences of an AE's edits, --jobs 1 and 2, and a --client build."""

from __future__ import annotations

import copy
import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import write_synthetic_agency
from test_incremental import EDITS

from reportgen.cache import Manifest, load_manifest
from reportgen.incremental import stamp_files

BASE = Path(tempfile.mkdtemp(prefix="stamps-"))
TEMPLATE = BASE / "template"
write_synthetic_agency(
    TEMPLATE, clients=3, months=3, end=dt.date(2026, 11, 22), seed=5, campaigns_per_client=2
)


def recorded_stamps(root: Path) -> tuple[dict[str, dict[str, list[int]]], dict[str, list[int]]]:
    manifest = load_manifest(root, root / "site")
    return {k: e.stamps for k, e in manifest.clients.items()}, manifest.shared_stamps


@settings(max_examples=12, deadline=None)
@given(
    edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 99)), max_size=3),
    jobs=st.sampled_from(["1", "2"]),
    one_client=st.booleans(),
)
def test_the_stamps_workers_record_are_those_of_the_published_files(edits, jobs, one_client):
    root = Path(tempfile.mkdtemp(dir=BASE))
    try:
        shutil.copytree(TEMPLATE, root, dirs_exist_ok=True)
        assert run_cli("build", "--project", root, "--jobs", jobs).exit_code == 0
        for edit, seed in edits:
            edit(root, random.Random(seed))
            args = ["--client", sorted(p.name for p in (root / "content").iterdir())[0]] if one_client else []
            result = run_cli("build", "--project", root, "--jobs", jobs, *args)
            assert result.exit_code == 0, result.output
            clients, shared = recorded_stamps(root)
            manifest = load_manifest(root, root / "site")
            fresh = copy.deepcopy(Manifest(clients=manifest.clients, shared=manifest.shared))
            stamp_files(root / "site", fresh)  # every file stamped again by the main process's rule
            assert {k: e.stamps for k, e in fresh.clients.items()} == clients
            assert fresh.shared_stamps == shared
    finally:
        shutil.rmtree(root, ignore_errors=True)
