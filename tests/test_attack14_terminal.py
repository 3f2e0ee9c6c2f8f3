"""Attack on issue 14: no escape sequence or bidi control from user text reaches the terminal,
through any output path (problems, warnings, anomaly lines, --ae errors, import summaries,
status and its --json)."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.errors import Problem, terminal_text

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
# what a terminal acts on: C0 (but line feed and tab), DEL, C1, bidi embeddings/overrides/isolates
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ATTACKS = [
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "\u202egnp.exe",
    "\x9b31m",
    "\x9d0;title\x9c",
    "\x07",
    "\x7f",
    "\u2066x\u2069",
]
CONTROL = (
    st.sampled_from(ATTACKS)
    | st.characters(codec="utf-8", categories=("Cc",))
    | st.sampled_from(list("\u202a\u202b\u202c\u202d\u202e\u2066\u2069"))
)


def clean(text: str) -> bool:
    return RAW.search(text) is None


@given(text=st.lists(CONTROL | st.text(max_size=3), max_size=6).map("".join))
def test_terminal_text_leaves_no_control_and_keeps_lines(text):
    shown = terminal_text(text)
    assert clean(shown)
    assert shown.count("\n") == text.count("\n") and shown.count("\t") == text.count("\t")
    assert clean(str(Problem("x.csv", 3, text, "warning")))


def inject(root: Path, attack: str) -> None:
    """The attack in a client's name, a KPI label, a campaign name (CSV), a note's next step."""
    yaml_text = (root / "clients.yaml").read_text(encoding="utf-8")
    escaped = attack.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    yaml_text = yaml_text.replace("name: Client qzacmeqz", f'name: "Client {escaped}"', 1)
    yaml_text = yaml_text.replace("label: Leads qzberlinqz", f'label: "Leads {escaped}"', 1)
    (root / "clients.yaml").write_text(yaml_text, encoding="utf-8")
    data = root / "data" / "acme-corp" / "2026.csv"
    rows = data.read_text(encoding="utf-8").splitlines()
    rows[-1] = rows[-1].replace("prospecting qzacmeqz", f'"prospecting{attack}"', 1)
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    note = root / "content" / "acme-corp" / "2026-10.md"
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            "next_steps:", f'next_steps:\n- {{task: "Overdue {escaped}", due: 2026-11-01}}', 1
        ),
        encoding="utf-8",
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attack=st.lists(CONTROL, min_size=1, max_size=3).map("".join))
def test_no_control_reaches_the_terminal_from_any_command(tmp_path_factory, cli, attack):
    root = tmp_path_factory.mktemp("ctl") / "proj"
    make_project(root)
    inject(root, attack)
    results = [
        cli("check", "--project", root),
        cli("status", "--project", root),
        cli("status", "--json", "--project", root),
        cli("status", "--ae", f"Nobody{attack}", "--project", root),
        cli("status", "--month", f"2026-1{attack}", "--project", root),
        cli("check", "--month", f"2026-1{attack}", "--project", root),
        cli("check", "--client", f"x{attack}", "--shard", "1/2", "--project", root),
        cli("check", "--shard", f"1/{attack}", "--project", root),
        cli("check", f"--bogus{attack}", "--project", root),
    ]
    for result in results:
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert clean(result.stdout), result.stdout
        assert clean(result.stderr), result.stderr


def test_an_import_summary_shows_campaign_names_escaped(tmp_path, cli):
    root = tmp_path / "agency"
    assert cli("init", root).exit_code == 0
    export = tmp_path / "meta.csv"
    text = (EXPORTS / "meta-daily-leads.csv").read_text(encoding="utf-8-sig")
    export.write_text(
        text.replace("Lead gen – autumn", "Lead gen \x1b]52;c;cHduZWQ=\x07\u202e"), encoding="utf-8"
    )
    result = cli("import", export, "--client", "example-client", "--project", root)
    assert result.exit_code == 0, result.output
    assert clean(result.stdout) and clean(result.stderr)
    assert "\\x1b]52" in result.stdout and "\\u202e" in result.stdout  # shown, not acted on


def test_the_attackers_hostile_project_output_is_clean(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    inject(root, "".join(ATTACKS))
    result = cli("check", "--project", root)
    assert "\\x1b" in result.stderr  # the escapes are visible, escaped
    assert clean(result.stderr) and clean(result.stdout)
