"""Errors and problems: the library raises, the CLI translates.

A `Problem` is one thing wrong with the user's input, located at `path:line`.
Loaders collect every problem they find (not just the first) and raise a
single `InputError` carrying all of them, so one `reportgen check` run shows
the whole list.

The library never depends on the command line: these are plain exceptions,
each with the `exit_code` the CLI exits with (cli_common.py maps them to click's
messages: `Error: ...`, or a usage error with the command's usage line).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# What a terminal acts on instead of showing: C0 controls but line feed and tab, DEL, C1
# controls (U+0080–U+009F, e.g. the one-byte CSI and OSC), and the bidi marks, embeddings,
# overrides and isolates that reorder what follows (U+061C, U+200E/F, U+202A–E, U+2066–9).
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """User-derived text made safe to print: every control a terminal would act on
    (escape sequences such as OSC 52 clipboard writes, OSC 8 links or a screen clear,
    and bidi overrides) is shown escaped, as `\\x1b` or `\\u202e`; line feeds and tabs
    stay. Everything the CLI prints about the user's files goes through this
    (Problem.__str__, ReportgenError messages, the CLI's own echo of user text)."""
    return _TERMINAL_CONTROLS.sub(_escaped, str(text))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error" | "warning" | "info" (what check reports, e.g. a detected format)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return terminal_text(f"{where}: {prefix}{self.message}")

    # Sorted by file, then line (a problem without a line first), then text:
    # never by comparing a line of None with a number.
    def __lt__(self, other: Problem) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (*_problem_order(self), self.severity) < (*_problem_order(other), other.severity)


class ReportgenError(Exception):
    """Base of every error reportgen shows to a user: the CLI prints its message
    (no traceback) and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def format_message(self) -> str:  # what the CLI prints: never a raw escape sequence
        return terminal_text(self.message)


class UsageError(ReportgenError):
    """A command-line value the library cannot use (an unknown --client, a bad
    --month, SOURCE_DATE_EPOCH): exit code 2, shown with the command's usage.
    `param_hint` names the option (`--month`): the CLI then says
    "Invalid value for --month: ..." as click does for its own options."""

    exit_code = 2

    def __init__(self, message: str, param_hint: str | None = None) -> None:
        super().__init__(message)
        self.param_hint = param_hint

    def __reduce__(self) -> tuple[type[UsageError], tuple[str, str | None]]:
        return (type(self), (self.message, self.param_hint))


class InputError(ReportgenError):
    """One or more problems in the user's files."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))

    # crosses process boundaries intact (parallel builds)
    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        return (type(self), (self.problems,))


class OutputError(ReportgenError):
    """The output folder cannot be used safely."""


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line or 0, problem.message)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint like ` (did you mean 'leads'?)`, or '' when nothing is close."""
    # (never the word itself: an invalid id is among the ids, and would suggest itself)
    close = difflib.get_close_matches(word, sorted(c for c in choices if c != word), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def either(options: Sequence[str]) -> str:
    """Options as a message lists them: "a, b or c"."""
    return " or ".join(filter(None, (", ".join(options[:-1]), *options[-1:])))


def display_path(path: Path, root: Path) -> str:
    """A path as the user typed it: relative to the project when inside it.

    The file itself is named, never where a symlink leads (a broken link
    `2025-05.md -> nothing.md` is reported as 2025-05.md, the file that exists);
    only the folders above it are resolved, so the project may be reached
    through a link. os.path.realpath, unlike Path.resolve on 3.11, never raises
    on a symlink loop."""
    absolute = Path(os.path.abspath(path))
    try:
        return (
            (Path(os.path.realpath(absolute.parent)) / absolute.name)
            .relative_to(os.path.realpath(root))
            .as_posix()
        )
    except ValueError:
        return str(path)
