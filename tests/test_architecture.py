"""The house a newcomer finds their way in (issue 12): every module is on the
README's map, none is too long to read, and the library never depends on the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reportgen"
MODULES = sorted(path.name for path in PACKAGE.glob("*.py"))
LONGEST_MODULE = 600  # lines; past this a module does more than one job
# the command line: cli.py, its cli_*.py modules and __main__.py (clientload.py is library)
CLI_MODULES = {name for name in MODULES if name == "cli.py" or name.startswith("cli_")} | {"__main__.py"}


def _module_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Development", 1)[1]
    return section.split("\n## ", 1)[0]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_on_the_readme_module_map(module):
    if module == "__init__.py":
        return
    assert re.search(rf"(?<![\w.]){re.escape(module)}\b", _module_map()), (
        f"reportgen/{module} is missing from the module map in README's Development section"
    )


@pytest.mark.parametrize("module", MODULES)
def test_no_module_is_longer_than_a_reader_can_hold(module):
    lines = len((PACKAGE / module).read_text(encoding="utf-8").splitlines())
    assert lines <= LONGEST_MODULE, f"reportgen/{module} has {lines} lines; split it by job"


def test_the_library_does_not_import_click():
    library = [
        f"reportgen.{name[:-3]}" for name in MODULES if name not in CLI_MODULES and name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {library!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'click' or m.startswith('click.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", "a library module imports click; only the cli modules may"


def test_the_package_holds_no_second_command_line():
    for module in MODULES:
        if module in CLI_MODULES:
            continue
        text = (PACKAGE / module).read_text(encoding="utf-8")
        assert 'if __name__ == "__main__"' not in text, f"reportgen/{module} is a second CLI"
