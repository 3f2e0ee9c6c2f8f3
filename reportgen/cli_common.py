"""What every command of the command line shares: the options build and check
both take, the mapping of the library's errors to click's (message and exit
code), and the way problems and warnings are printed.

Only the cli modules (cli.py and cli_*.py) import click, print or exit.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from .buildoptions import BuildOptions, as_of_month, build_date
from .errors import Problem, ReportgenError, UsageError, terminal_text

Command = TypeVar("Command", bound=Callable[..., None])

# The most worker processes --jobs may ask for; each command also starts no more
# processes than it has clients to work on (workers.run_tasks, agency.py).
MAX_JOBS = 256

# What no folder or file name given on the command line holds: a C0 control or DEL
# (a newline, an escape sequence, a NUL the OS refuses).
_CONTROLS = re.compile("[\x00-\x1f\x7f]")

MONTH_HELP = (
    "YYYY-MM, 'latest' (newest month with data or a note) or 'previous' "
    "(the last complete calendar month): portals as of that month"
)


class JobsType(click.ParamType[int]):
    """--jobs N: a whole number of worker processes, 1 to MAX_JOBS, in ASCII digits
    (Python's int() would also take '١٢', '1_000' or ' 4 ')."""

    name = "integer"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch("[0-9]+", value):
            number = int(value)
        else:
            self.fail(f"'{terminal_text(value)}' is not a whole number of processes", param, ctx)
        if not 1 <= number <= MAX_JOBS:
            self.fail(
                f"{number if number < 10**9 else 'so many'} processes: give 1 to {MAX_JOBS}", param, ctx
            )
        return number


class PortType(click.ParamType[int]):
    """--port N: 0 to 65535 in ASCII digits (click's int takes ' 1' or a line break before
    it, and serve would start on a port nobody asked for)."""

    name = "integer"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and 0 <= value <= 65535:
            return value
        if isinstance(value, str) and re.fullmatch("[0-9]{1,5}", value) and int(value) <= 65535:
            return int(value)
        self.fail(f"'{terminal_text(value)}' is not a port: give 0 to 65535", param, ctx)


class MonthType(click.ParamType[str]):
    """--month: YYYY-MM, 'previous' and (unless `latest` is False) 'latest', checked
    as it is parsed, so every command refuses a bad month alike: exit 2 with its
    usage line. The command gets the text as typed (the library reads it)."""

    name = "month"

    def __init__(self, latest: bool = True) -> None:
        self.latest = latest

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if text == "latest" and not self.latest:
            message = "'latest' is not a month to send: give YYYY-MM or previous"
            raise click.BadParameter(message, ctx=ctx, param_hint="--month")
        if text in ("latest", "previous"):
            return text  # 'previous' is read against today (build_date) by the command
        try:
            # only 'previous' depends on today, and it is answered above
            as_of_month(text, dt.date(2000, 1, 1))
        except UsageError as exc:  # said as the library says it: "Invalid value for --month: ..."
            raise click.BadParameter(exc.message, ctx=ctx, param_hint=exc.param_hint) from None
        return text


class NonEmptyText(click.ParamType[str]):
    """A value that says something: not empty, not only spaces, no control character."""

    name = "text"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return _refuse_blank(str(value), self, param, ctx)


class PathType(click.Path):
    """click.Path, but an empty name (which Path() would read as '.', the current
    folder), one of only spaces, or one holding a control character is a usage error."""

    def convert(
        self, value: str | os.PathLike[str], param: click.Parameter | None, ctx: click.Context | None
    ) -> str | bytes | os.PathLike[str]:
        if isinstance(value, str):
            _refuse_blank(value, self, param, ctx)
        return super().convert(value, param, ctx)


class ProjectPathType(PathType):
    """--project DIR: a folder that exists (clients.yaml in it is the library's to check)."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(
        self, value: str | os.PathLike[str], param: click.Parameter | None, ctx: click.Context | None
    ) -> str | bytes | os.PathLike[str]:
        path = super().convert(value, param, ctx)
        if not os.path.isdir(path):
            self.fail(f"folder '{terminal_text(os.fsdecode(path))}' does not exist", param, ctx)
        return path


def _refuse_blank(
    text: str,
    kind: click.ParamType[str] | click.Path,
    param: click.Parameter | None,
    ctx: click.Context | None,
) -> str:
    if not text.strip():
        kind.fail(f"'{text}' is empty", param, ctx)
    if _CONTROLS.search(text):
        kind.fail(f"'{terminal_text(text)}' holds a control character", param, ctx)
    return text


def project_option(command: Command) -> Command:
    """--project DIR, as every command but init takes it."""
    return click.option(
        "--project",
        "project",
        type=ProjectPathType(),
        default=".",
        show_default=True,
        help="The project folder (holds clients.yaml).",
    )(command)


def client_option(command: Command) -> Command:
    """--client ID (repeatable), as build, check and send take it."""
    return click.option(
        "--client",
        "clients",
        type=NonEmptyText(),
        multiple=True,
        metavar="ID",
        help="Only this client (repeatable).",
    )(command)


def jobs_option(help: str) -> Callable[[Command], Command]:
    return click.option(
        "--jobs", type=JobsType(), default=None, metavar="N", help=f"{help} (1 to {MAX_JOBS})."
    )


def month_option(
    help: str, default: str | None = None, latest: bool = True, required: bool = False
) -> Callable[[Command], Command]:
    """--month, as every command that takes it parses it (MonthType)."""
    return click.option(
        "--month",
        type=MonthType(latest),
        default=default,
        required=required,
        show_default=default is not None,
        metavar="MONTH",
        help=help,
    )


def common_options(command: Command) -> Command:
    """The options build and check share, in this order in their --help."""
    for decorator in reversed(
        [
            project_option,
            client_option,
            month_option(MONTH_HELP),
            click.option("--drafts", is_flag=True, help="Include notes with status: draft."),
            click.option("--strict", is_flag=True, help="Warnings fail the run."),
            jobs_option("Parallel processes (default: the number of CPUs)"),
            click.option(
                "--shard",
                default=None,
                metavar="I/N",
                help="Only the I-th of N deterministic slices of the clients (for a CI matrix).",
            ),
        ]
    ):
        command = decorator(command)
    return command


class LibraryErrorsCommand(click.Command):
    """reportgen's own errors (errors.py; the library knows nothing of click) shown
    as click shows its own: `Error: message` with the error's exit code, and a
    usage error with this command's usage line ("Invalid value for --month: ..."
    when it names an option)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ReportgenError as exc:
            raise _click_error(exc, ctx) from None
        except OSError as exc:  # the machine, not an input: a full disk, a folder it may not write
            raise click.ClickException(_os_error_text(exc)) from None


def _os_error_text(exc: OSError) -> str:
    """`path: reason` (both escaped), what the shell's own tools say."""
    reason = exc.strerror or str(exc)
    where = exc.filename
    if where is None:
        return terminal_text(reason)
    return terminal_text(f"{os.fsdecode(where)}: {reason}")


def _click_error(exc: ReportgenError, ctx: click.Context) -> click.ClickException:
    if isinstance(exc, UsageError):
        if exc.param_hint is not None:
            return click.BadParameter(exc.message, ctx=ctx, param_hint=exc.param_hint)
        return click.UsageError(exc.message, ctx=ctx)
    error = click.ClickException(exc.format_message())
    # click declares exit_code a class variable; this one error exits with the library's code.
    setattr(error, "exit_code", exc.exit_code)  # noqa: B010
    return error


def _escape_message(exc: click.ClickException) -> None:
    """Escape what click echoes back (it declares `message` Final: set it as an attribute)."""
    setattr(exc, "message", terminal_text(exc.message))  # noqa: B010


class SafeGroup(click.Group):
    """Every usage error shown escaped (terminal_text): a bad --client, --shard or
    --month, an unknown option or command echo what was typed, escape sequences included."""

    command_class = LibraryErrorsCommand  # every command's, `new report`'s and `new client`'s too
    group_class = type  # a subgroup (`new`) is a SafeGroup

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            _escape_message(exc)
            raise

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _escape_message(exc)
            raise


def build_options(
    project: Path,
    clients: tuple[str, ...],
    month: str | None,
    drafts: bool,
    strict: bool,
    jobs: int | None,
    shard: str | None,
    out: Path | None,
    clean: bool,
) -> BuildOptions:
    """What a build is asked, from a command's options: a missing project folder
    or a bad --month or --shard is a usage error (exit 2) before any work."""
    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    today = build_date()
    as_of_month(month, today)  # a bad --month is a usage error (exit 2) before any work
    return BuildOptions(
        project=project,
        out=out if out is not None else project / "site",
        clients=tuple(clients),
        month=month,
        drafts=drafts,
        strict=strict,
        today=today,
        jobs=jobs or os.cpu_count() or 1,
        shard=parse_shard(shard),
        clean=clean,
    )


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    found = re.fullmatch("([0-9]+)/([0-9]+)", text)  # ASCII digits: int() would take '٣' or '1_0'
    if found is None:
        shown = terminal_text(text)
        raise click.BadParameter(f"'{shown}' is not I/N (e.g. 1/4)", param_hint="--shard") from None
    index, count = int(found[1]), int(found[2])
    if not 1 <= index <= count:
        raise click.BadParameter(f"'{text}': I must be between 1 and N", param_hint="--shard")
    return index, count


def warnings_count(warnings: Sequence[Problem]) -> str:
    if not warnings:
        return ""
    return f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})"


def print_warnings(warnings: Iterable[Problem]) -> None:
    for warning in warnings:
        click.echo(terminal_text(warning), err=True)


def fail(problems: list[Problem], infos: bool = False) -> NoReturn:
    """Every problem as path:line: message, the count, and exit 1: nothing was written.
    Info lines (anomalies, the format an export was read as) only with `infos`:
    they are check's report, and would bury a failing build's real error."""
    errors = [p for p in problems if p.severity == "error"]
    problems = [p for p in problems if infos or p.severity != "info"] or problems
    for problem in problems:
        click.echo(terminal_text(problem), err=True)
    count = len(errors) or len(problems)
    what = ("error" if errors else "warning") + ("s" if count != 1 else "")
    click.echo(f"reportgen: {count} {what}{'' if errors else ' (--strict)'}; nothing was written.", err=True)
    sys.exit(1)
