"""Where an entry sits in clients.yaml is not what a page shows (issue 15 attack).

A comment or blank line added above a client moved every entry's line, and the line
was part of each page's digest: the whole agency was rendered again. Pages now digest
the entries without their lines (digests.client_content); the clients are still loaded
again, so every message names the entry's new line. With a project's own templates
(which could print anything) the lines stay in the digest.
"""

from __future__ import annotations

import json
import re

from conftest import run_cli
from helpers import make_project, tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SOURCE_DATE_EPOCH = {"SOURCE_DATE_EPOCH": "1796083200"}  # 2026-12-01


def build(root, *args):
    result = run_cli("build", "--project", root, "--json", *args, env=SOURCE_DATE_EPOCH)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    return summary, sorted(summary["warnings"])


def overspent_project(root):
    """A project whose warnings name clients.yaml lines (a budget far below the spend)."""
    make_project(root)
    config = root / "clients.yaml"
    text = re.sub(r"monthly: [0-9.]+", "monthly: 1", config.read_text(encoding="utf-8"), count=1)
    config.write_text(text, encoding="utf-8")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    inserts=st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(["# moved", "", "#", "   # a note to self"])),
        min_size=1,
        max_size=4,
    )
)
def test_lines_added_to_clients_yaml_render_no_page_and_keep_messages_right(tmp_path_factory, inserts):
    root = tmp_path_factory.mktemp("moved") / "project"
    overspent_project(root)
    _, before = build(root)
    assert any(w.startswith("clients.yaml:") for w in before)
    config = root / "clients.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    for at, text in [(0, "# moved to the top"), *inserts]:  # at least the warned entry moves
        lines.insert(at % (len(lines) + 1), text + "\n")
    config.write_text("".join(lines), encoding="utf-8")
    summary, output = build(root)
    assert summary["pages_written"] == 0, summary
    clean = root.parent / "clean"
    _, clean_output = build(root, "--clean", "--out", str(clean))
    assert tree_bytes(root / "site") == tree_bytes(clean)
    assert output == clean_output  # every message names the entry's new line
    assert output != before


def test_with_own_templates_a_moved_entry_renders_its_pages_again(tmp_path):
    make_project(tmp_path)
    (tmp_path / "templates").mkdir()
    build(tmp_path)
    config = tmp_path / "clients.yaml"
    config.write_text("# moved\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    summary, _ = build(tmp_path)
    assert summary["pages_written"] > 0
