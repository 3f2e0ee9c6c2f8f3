"""What every command of the command line shares: the options build and check
both take, the mapping of the library's errors to click's (message and exit
code), and the way problems and warnings are printed.

Only the cli modules (cli.py and cli_*.py) import click, print or exit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from .build import BuildOptions, as_of_month, build_date
from .errors import Problem, ReportgenError, UsageError, terminal_text

Command = TypeVar("Command", bound=Callable[..., None])

MONTH_HELP = (
    "YYYY-MM, 'latest' (newest month with data or a note) or 'previous' "
    "(the last complete calendar month): portals as of that month"
)


def common_options(command: Command) -> Command:
    """The options build and check share, in this order in their --help."""
    for decorator in reversed(
        [
            click.option(
                "--project",
                "project",
                type=click.Path(file_okay=False, path_type=Path),
                default=".",
                show_default=True,
                help="The project folder (holds clients.yaml).",
            ),
            click.option(
                "--client", "clients", multiple=True, metavar="ID", help="Only this client (repeatable)."
            ),
            click.option("--month", default=None, metavar="MONTH", help=MONTH_HELP),
            click.option("--drafts", is_flag=True, help="Include notes with status: draft."),
            click.option("--strict", is_flag=True, help="Warnings fail the run."),
            click.option(
                "--jobs",
                type=click.IntRange(min=1),
                default=None,
                metavar="N",
                help="Parallel processes (default: the number of CPUs).",
            ),
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


def _click_error(exc: ReportgenError, ctx: click.Context) -> click.ClickException:
    if isinstance(exc, UsageError):
        if exc.param_hint is not None:
            return click.BadParameter(exc.message, ctx=ctx, param_hint=exc.param_hint)
        return click.UsageError(exc.message, ctx=ctx)
    error = click.ClickException(exc.format_message())
    error.exit_code = exc.exit_code
    return error


class SafeGroup(click.Group):
    """Every usage error shown escaped (terminal_text): a bad --client, --shard or
    --month, an unknown option or command echo what was typed, escape sequences included."""

    command_class = LibraryErrorsCommand  # every command's, `new report`'s and `new client`'s too
    group_class = type  # a subgroup (`new`) is a SafeGroup

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            exc.message = terminal_text(exc.message)
            raise

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = terminal_text(exc.message)
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
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise click.BadParameter(f"'{text}' is not I/N (e.g. 1/4)", param_hint="--shard") from None
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


def fail(problems: list[Problem]) -> NoReturn:
    """Every problem as path:line: message, the count, and exit 1: nothing was written."""
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        click.echo(terminal_text(problem), err=True)
    count = len(errors) or len(problems)
    what = ("error" if errors else "warning") + ("s" if count != 1 else "")
    click.echo(f"reportgen: {count} {what}{'' if errors else ' (--strict)'}; nothing was written.", err=True)
    sys.exit(1)
