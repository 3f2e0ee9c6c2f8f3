"""The AE's day at the command line: `init` a project, `new client`, `new
report` (a draft note), `import` a platform export, and `serve` (a live
preview while writing)."""

from __future__ import annotations

from pathlib import Path

import click

from .buildoptions import as_of_month, build_date
from .cli_common import (
    LibraryErrorsCommand,
    NonEmptyText,
    PathType,
    PortType,
    SafeGroup,
    build_options,
    fail,
    jobs_option,
    month_option,
    project_option,
)
from .errors import InputError, terminal_text


class _ImportFormats(click.Choice[str]):
    """auto and importers.EXPORTS, read when `import` is parsed or its help shown: a command
    line that imports nothing (a no-op build, noop.py) does not load the import formats
    (tests/test_speed_noop_early.py checks)."""

    def __init__(self) -> None:
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]  # (read, never set)
        from .importers import EXPORTS

        return ("auto", *EXPORTS)


@click.command(cls=LibraryErrorsCommand)
@click.argument("directory", type=PathType(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Fill it with the demo agency (four clients, 15 months).")
def init(directory: Path, demo: bool) -> None:
    """Create a new project (with a CI workflow and editor schemas)."""
    from .scaffold import init_project

    init_project(directory, demo=demo, today=build_date())
    click.echo(f"Created {directory}. Next: cd {directory} && reportgen serve")


@click.group(cls=SafeGroup)
def new() -> None:
    """Scaffold a monthly note or a client."""


@new.command("report")
@click.argument("client_id", metavar="CLIENT")
@project_option
@month_option("YYYY-MM or 'previous' (default: the first month with data after the newest final note).")
def new_report(client_id: str, project: Path, month: str | None) -> None:
    """Write content/CLIENT/YYYY-MM.md: a draft with last month's open next steps."""
    from .scaffold import new_report as scaffold_report

    chosen = as_of_month(month, build_date())  # 'latest' (or none): the default month
    try:
        path = scaffold_report(project, client_id, chosen, build_date())
    except InputError as exc:
        fail(exc.problems)
    click.echo(f"Wrote {path} (status: draft). Write it, then remove the draft status.")


@new.command("client")
@click.argument("client_id", metavar="ID")
@click.option("--name", type=NonEmptyText(), required=True, help="The client's name as shown in the portal.")
@project_option
def new_client(client_id: str, name: str, project: Path) -> None:
    """Add a client to clients.yaml (keeping its comments) and create its folders."""
    from .scaffold import new_client as scaffold_client

    try:
        scaffold_client(project, client_id, name)
    except InputError as exc:
        fail(exc.problems)
    click.echo(
        f"Added '{client_id}' to {project / 'clients.yaml'}; put its exports in "
        f"{project / 'data' / client_id} and its notes in {project / 'content' / client_id}."
    )


@click.command("import", cls=LibraryErrorsCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--client",
    "client_id",
    type=NonEmptyText(),
    required=True,
    metavar="ID",
    help="The client the export belongs to.",
)
@click.option(
    "--format",
    "format_",
    default="auto",
    show_default=True,
    type=_ImportFormats(),
    help="The platform (auto: detected from the header).",
)
@project_option
def import_(file: Path, client_id: str, format_: str, project: Path) -> None:
    """Convert a platform export into a canonical CSV under data/CLIENT/ and say what it holds."""
    from .importexport import import_export

    try:
        target, found = import_export(project, file, client_id, format_)
    except InputError as exc:
        fail(exc.problems)
    click.echo(
        terminal_text(
            f"{found['format']} export: {found['rows']} rows, {found['first']} to "
            f"{found['last']}, {len(found['campaigns'])} campaigns, currency "
            f"{found['currency']}"
        )
    )
    for name in found["campaigns"][:20]:
        click.echo(f"  campaign: {terminal_text(' '.join(str(name).split()))}")
    if len(found["campaigns"]) > 20:
        click.echo(f"  ... and {len(found['campaigns']) - 20} more")
    for metric, total in found["totals"].items():
        shown = "—" if total is None else f"{total:,.2f}" if isinstance(total, float) else f"{total:,}"
        click.echo(terminal_text(f"  total {metric}: {shown}"))
    click.echo(f"Wrote {target}")


@click.command(cls=LibraryErrorsCommand)
@project_option
@click.option(
    "--port",
    type=PortType(),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (a free one is picked if it is taken).",
)
@jobs_option("Parallel processes (default: the number of CPUs)")
def serve(project: Path, port: int, jobs: int | None) -> None:
    """Build (drafts included), serve on localhost, rebuild on change, reload the browser."""
    from .serve import serve as run_server

    options = build_options(project, (), None, True, False, jobs, None, None, False)
    run_server(options, port, log=lambda line: click.echo(line, err=True))
