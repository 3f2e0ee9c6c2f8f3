"""The README is the user's manual: it cannot fall behind the code."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.cli import main
from reportgen.config import CLIENTS_YAML
from reportgen.notes import CHART_BLOCK, FRONT_MATTER
from reportgen.schema import ListOf, MapOf, Obj

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def field_names(kind, seen=None) -> set[str]:
    names: set[str] = set()
    if isinstance(kind, Obj):
        for field in kind.fields:
            names.add(field.name)
            names |= field_names(field.kind)
    elif isinstance(kind, ListOf):
        names |= field_names(kind.item)
    elif isinstance(kind, MapOf):
        names |= field_names(kind.value)
    return names


def test_every_clients_yaml_field_is_documented():
    missing = sorted(n for n in field_names(CLIENTS_YAML) if f"{n}:" not in README)
    assert not missing, f"fields missing from README: {missing}"


def test_every_note_and_chart_field_is_documented():
    names = field_names(FRONT_MATTER) | field_names(CHART_BLOCK)
    missing = sorted(n for n in names if f"{n}:" not in README)
    assert not missing, f"note fields missing from README: {missing}"


def test_every_command_and_option_is_documented():
    missing = []
    for name, command in main.commands.items():
        if f"reportgen {name}" not in README:
            missing.append(f"reportgen {name}")
        for param in command.params:
            if isinstance(param, click.Option):
                flag = max(param.opts, key=len)
                if flag != "--help" and f"`{flag}" not in README:
                    missing.append(f"{name} {flag}")
    assert not missing, f"missing from README: {missing}"


def test_readme_quick_start_has_the_two_commands():
    assert "pip install -e . && reportgen build" in README
    assert 'pip install -e ".[test]" && pytest' in README
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && pytest' in ci
