"""The command line: the only module that prints or exits."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .build import BuildOptions, as_of_month, build_date, build_site, check_project
from .errors import InputError, Problem

MONTH_HELP = "YYYY-MM, 'latest' (newest month with data or a note) or 'previous' " \
             "(the last complete calendar month): portals as of that month"


def common_options(command):
    for decorator in reversed([
        click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
                     default=".", show_default=True, help="The project folder (holds clients.yaml)."),
        click.option("--client", "clients", multiple=True, metavar="ID",
                     help="Only this client (repeatable)."),
        click.option("--month", default=None, metavar="MONTH", help=MONTH_HELP),
        click.option("--drafts", is_flag=True, help="Include notes with status: draft."),
        click.option("--strict", is_flag=True, help="Warnings fail the run."),
    ]):
        command = decorator(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """reportgen: per-client static reporting portals for agencies."""


@main.command()
@common_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: site inside the project).")
def build(project: Path, clients, month, drafts, strict, out: Path | None) -> None:
    """Render every client's portal into the output folder."""
    options = _options(project, clients, month, drafts, strict, out)
    try:
        result = build_site(options)
    except InputError as exc:
        _fail(exc.problems)
    _print_warnings(result.warnings)
    click.echo(
        f"Built {result.clients} client portal{'s' if result.clients != 1 else ''}, "
        f"{result.reports} monthly report{'s' if result.reports != 1 else ''}, "
        f"{result.files} files into {options.out} in {result.seconds:.1f}s"
        f"{f' ({len(result.warnings)} warnings)' if result.warnings else ''}."
    )


@main.command()
@common_options
def check(project: Path, clients, month, drafts, strict) -> None:
    """Validate everything and write nothing; each problem as path:line: message."""
    options = _options(project, clients, month, drafts, strict, None)
    try:
        plan = check_project(options)
    except InputError as exc:
        _fail(exc.problems)
    _print_warnings(plan.warnings)
    reports = sum(len(c.months) for c in plan.clients)
    click.echo(f"OK: {len(plan.clients)} clients, {reports} monthly reports"
               f"{f', {len(plan.warnings)} warnings' if plan.warnings else ''}.")


def _options(project: Path, clients, month, drafts, strict, out) -> BuildOptions:
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
    )


def _print_warnings(warnings) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


def _fail(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        click.echo(str(problem), err=True)
    count = len(errors) or len(problems)
    what = "error" if errors else "warning (--strict)"
    click.echo(f"reportgen: {count} {what}{'s' if count != 1 else ''}; nothing was written.",
               err=True)
    sys.exit(1)


if __name__ == "__main__":  # python -m reportgen.cli
    main()
