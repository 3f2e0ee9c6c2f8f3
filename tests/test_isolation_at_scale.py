"""Isolation at scale (SPEC 5.1): 50 clients, a unique marker in every field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from conftest import run_cli
from helpers import tree_bytes
from synthetic import write_synthetic_agency

MARKER = re.compile(rb"MARKER-(client-\d{4})-")


def test_fifty_clients_never_see_each_other(tmp_path: Path):
    root = tmp_path / "agency"
    write_synthetic_agency(
        root, clients=50, months=3, end=dt.date(2026, 11, 22), seed=5, campaigns_per_client=2, marker=True
    )
    result = run_cli("build", "--project", root, "--jobs", "2")
    assert result.exit_code == 0, result.output
    files = tree_bytes(root / "site")
    seen_own = set()
    for path, content in files.items():
        owners = {m.decode() for m in MARKER.findall(content)}
        top = path.split("/")[0]
        if top.startswith("client-"):
            assert owners <= {top}, (path, owners - {top})  # nobody else's names, figures or notes
            seen_own |= owners
        else:  # landing page, _headers, robots.txt, shared assets: no client at all
            assert owners == set(), (path, owners)
            assert b"client-0" not in content, path
    assert len(seen_own) == 50  # the markers really are in the output
