"""`reportgen check`'s warnings: what an AE wants to know before sending."""

from __future__ import annotations

import re

import pytest
from conftest import run_cli


def check(root, *args):
    return run_cli("check", "--project", root, *args)


@pytest.fixture
def starter(tmp_path):
    """The project `reportgen init` writes: nothing to warn about."""
    root = tmp_path / "starter"
    assert run_cli("init", root).exit_code == 0
    return root


def test_a_fresh_project_has_no_advice(starter):
    result = check(starter, "--strict")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_month_with_data_but_no_note(project):
    (project / "content" / "acme-corp" / "2026-10.md").unlink()
    result = check(project)
    assert "content/acme-corp/2026-10.md: warning: 2026-10 has data but no note" in result.stderr


def test_final_note_without_summary(project):
    note = project / "content" / "acme-corp" / "2026-09.md"
    note.write_text(re.sub(r"(?m)^summary:.*\n", "", note.read_text(encoding="utf-8")), encoding="utf-8")
    assert "content/acme-corp/2026-09.md:1: warning: final note without a summary" in check(project).stderr


def test_kpi_without_target(project):
    config = project / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        re.sub(r", target: [\d.]+", "", text, count=1)
        if ", target:" in text
        else re.sub(r"\n(\s+)target: [\d.]+", "", text, count=1),
        encoding="utf-8",
    )
    assert re.search(
        r"clients\.yaml:\d+: warning: client '[a-z-]+': KPI '\w+' has no target", check(project).stderr
    )


def test_overdue_next_step(project):
    note = project / "content" / "acme-corp" / "2026-10.md"
    text = note.read_text(encoding="utf-8")
    step = "next_steps:\n- {task: Send the invoice, due: 2026-11-01}"
    note.write_text(text.replace("next_steps:", step, 1), encoding="utf-8")
    assert (
        "content/acme-corp/2026-10.md:11: warning: next step 'Send the invoice' was due 2026-11-01 "
        "and is not done"
    ) in check(project).stderr


def test_spend_far_over_budget(starter):
    config = starter / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"monthly: [\d.]+", "monthly: 1000", text, count=1), encoding="utf-8")
    result = check(starter, "--strict")
    assert re.search(
        r"warning: client 'example-client': \d{4}-\d{2} spend [\d,.]+ is \d+% over the "
        r"budget of 1,000\.00",
        result.stderr,
    )
    assert result.exit_code == 1
