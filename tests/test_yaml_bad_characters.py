"""A character YAML forbids is reported at its line, in clients.yaml and in notes.

PyYAML's reader refuses control characters with an offset only (in characters from
PyYAML, in bytes from libyaml), and the message used to end in `"<unicode string>",
position 858` with no line. Found by the issue-15 attack: a DEL pasted into a client
name. The generated YAML below has non-ASCII text before the character, so a byte
offset would land on the wrong line.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.yamlfile import YamlError, parse_yaml

FORBIDDEN = [chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE, 0xFFFF)]

values = st.text(st.sampled_from("abc xyz äöü Lượt — 0123"), min_size=1, max_size=15)
lines = st.lists(
    st.tuples(st.from_regex(r"[a-z]{1,6}", fullmatch=True), values),
    min_size=1,
    max_size=12,
    unique_by=lambda kv: kv[0],
)


@settings(max_examples=150, deadline=None)
@given(
    lines=lines,
    at=st.integers(0, 1000),
    column=st.integers(0, 1000),
    bad=st.sampled_from(FORBIDDEN),
    first_line=st.integers(1, 5),
)
def test_a_forbidden_character_is_reported_at_its_line(lines, at, column, bad, first_line):
    text_lines = [f"{key}: '{value}'" for key, value in lines]
    row = at % len(text_lines)
    place = column % (len(text_lines[row]) + 1)
    text_lines[row] = text_lines[row][:place] + bad + text_lines[row][place:]
    with pytest.raises(YamlError) as caught:
        parse_yaml("\n".join(text_lines) + "\n", first_line=first_line)
    assert caught.value.line == row + first_line
    assert f"U+{ord(bad):04X}" in str(caught.value)
    assert "position" not in str(caught.value)


def test_a_control_character_in_clients_yaml_names_file_and_line(tmp_path):
    from conftest import run_cli
    from helpers import make_project

    make_project(tmp_path)
    config = tmp_path / "clients.yaml"
    text = config.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(i for i, t in enumerate(text) if t.strip().startswith("name:") and i > 3)
    text[line] = text[line].rstrip("\n") + "\x7f\n"
    config.write_text("".join(text), encoding="utf-8")
    result = run_cli("check", "--project", tmp_path)
    assert result.exit_code == 1
    assert f"clients.yaml:{line + 1}: invalid YAML: the character U+007F" in result.output
    assert "Traceback" not in result.output
