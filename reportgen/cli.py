"""The command line: the only module that prints or exits."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import click

from . import __version__
from .build import BuildOptions, BuildResult, as_of_month, build_date, build_site, check_project
from .errors import InputError, Problem, ReportgenError, UsageError, terminal_text
from .importers import EXPORTS

Command = TypeVar("Command", bound=Callable[..., None])

MONTH_HELP = (
    "YYYY-MM, 'latest' (newest month with data or a note) or 'previous' "
    "(the last complete calendar month): portals as of that month"
)


def common_options(command: Command) -> Command:
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


class _LibraryErrorsCommand(click.Command):
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


class _SafeGroup(click.Group):
    """Every usage error shown escaped (terminal_text): a bad --client, --shard or
    --month, an unknown option or command echo what was typed, escape sequences included."""

    command_class = _LibraryErrorsCommand  # every command's, `new report`'s and `new client`'s too
    group_class = type  # a subgroup (`new`) is a _SafeGroup

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


@click.group(cls=_SafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """reportgen: per-client static reporting portals for agencies."""


@main.command()
@common_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: site inside the project).",
)
@click.option("--clean", is_flag=True, help="Ignore the build cache: render every page.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON build summary on stdout.")
@click.option(
    "--pdf",
    is_flag=True,
    help="Also print each monthly report to report.pdf (headless Chromium; stale ones only).",
)
def build(
    project: Path,
    clients: tuple[str, ...],
    month: str | None,
    drafts: bool,
    strict: bool,
    jobs: int | None,
    shard: str | None,
    out: Path | None,
    clean: bool,
    as_json: bool,
    pdf: bool,
) -> None:
    """Render every client's portal into the output folder."""
    options = replace(_options(project, clients, month, drafts, strict, jobs, shard, out, clean), pdf=pdf)
    progress = None if as_json else _ProgressBar()
    try:
        result = build_site(options, progress)
    except InputError as exc:
        _fail(exc.problems)
    finally:
        if progress:
            progress.close()
    if as_json:
        click.echo(json.dumps(_summary(result, options), indent=1))
        return
    for info in result.infos:  # e.g. a portal rendered again because its protection changed
        click.echo(terminal_text(info), err=True)
    _print_warnings(result.warnings)
    click.echo(
        f"Built {result.clients} client portal{'s' if result.clients != 1 else ''}, "
        f"{result.reports} monthly report{'s' if result.reports != 1 else ''}, "
        f"{result.files} files into {options.out} in {result.seconds:.1f}s: "
        f"{result.pages_written} pages rendered, {result.pages_skipped} unchanged"
        f"{f', {result.pdfs_written} PDFs printed' if result.pdfs_written else ''}"
        f"{f', {result.pages_pruned} pruned' if result.pages_pruned else ''}"
        f"{_warnings_count(result.warnings)}."
    )


@main.command()
@common_options
def check(
    project: Path,
    clients: tuple[str, ...],
    month: str | None,
    drafts: bool,
    strict: bool,
    jobs: int | None,
    shard: str | None,
) -> None:
    """Validate everything and write nothing; each problem as path:line: message."""
    options = _options(project, clients, month, drafts, strict, jobs, shard, None, False)
    try:
        result = check_project(options)
    except InputError as exc:
        _fail(exc.problems)
    for info in result.infos:
        click.echo(terminal_text(info), err=True)
    _print_warnings(result.warnings)
    click.echo(
        f"OK: {result.clients} client{'s' if result.clients != 1 else ''}, {result.reports} "
        f"monthly report{'s' if result.reports != 1 else ''}"
        f"{_warnings_count(result.warnings)}."
    )


@main.command()
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (a free one is picked if it is taken).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Parallel processes (default: the number of CPUs).",
)
def serve(project: Path, port: int, jobs: int | None) -> None:
    """Build (drafts included), serve on localhost, rebuild on change, reload the browser."""
    from .serve import serve as run_server

    options = _options(project, (), None, True, False, jobs, None, None, False)
    run_server(options, port, log=lambda line: click.echo(line, err=True))


@main.command()
@click.argument("client_id", metavar="CLIENT")
@click.option(
    "--month",
    default="latest",
    show_default=True,
    metavar="MONTH",
    help="YYYY-MM, 'latest' or 'previous': the report to print.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The PDF file to write (default: CLIENT-YYYY-MM.pdf here).",
)
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option("--drafts", is_flag=True, help="Include notes with status: draft.")
def pdf(client_id: str, month: str, output: Path | None, project: Path, drafts: bool) -> None:
    """Print one monthly report to a PDF (headless Chromium), as the site would show it."""
    from .pdf import report_pdf

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    as_of_month(month, build_date())  # a bad --month is a usage error (exit 2)
    try:
        data, name = report_pdf(project, client_id, month, drafts)
    except InputError as exc:
        _fail(exc.problems)
    target = output or Path(name)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{target}: cannot write it: {exc.strerror}") from None
    click.echo(f"Wrote {target} ({len(data) // 1024} KB).")


@main.command()
@click.option(
    "--month",
    required=True,
    metavar="MONTH",
    help="YYYY-MM or 'previous' (the last complete calendar month): the reports to send.",
)
@click.option("--client", "clients", multiple=True, metavar="ID", help="Only this client (repeatable).")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write each message as an .eml file into DIR instead of sending it.",
)
@click.option(
    "--resend", is_flag=True, help="Send again what the ledger (.reportgen/sent.jsonl) says was already sent."
)
def send(month: str, clients: tuple[str, ...], project: Path, dry_run: Path | None, resend: bool) -> None:
    """E-mail each client's contacts their report for the month, once (SMTP from REPORTGEN_SMTP_URL)."""
    from .mail import printable
    from .send import SendOptions, check_dry_run_dir, plan_sending, send_messages, smtp_server, tls_context
    from .send import write_dry_run as write_eml

    def say(text: str) -> None:  # names come from clients.yaml and notes: no escape sequences
        click.echo(printable(text))

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    today = build_date()
    if month == "latest":
        raise click.BadParameter(
            "'latest' is not a month to send: give YYYY-MM or previous", param_hint="--month"
        )
    chosen = as_of_month(month, today)  # a bad --month is a usage error (exit 2)
    assert chosen is not None  # only 'latest' is no month, refused above
    try:
        if dry_run:
            check_dry_run_dir(dry_run, project)
        # The selection and the project first (a bad --client is a usage error), then the server.
        plan = plan_sending(SendOptions(project, chosen, tuple(clients), resend, today))
        server = None if dry_run else smtp_server()
        context = None if dry_run else tls_context()
    except InputError as exc:
        _fail(exc.problems)
    except UsageError:
        raise  # a bad --client: exit 2 with the usage line, as build and check say it
    except ReportgenError as exc:
        _send_failed(exc.message)
    for warning in plan.warnings:
        click.echo(printable(str(warning)), err=True)
    for skipped in plan.skipped:
        say(f"skipped: {skipped.client_id} {chosen}: {skipped.reason}")
    for stale in plan.stale:
        say(f"not sent: {stale.client_id} {chosen}: {stale.reason}")
    for message, record in plan.already:
        say(f"already sent: {message.client_id} {chosen} → {message.recipient.email} ({record.time})")
    for message, record in plan.changed:
        say(
            f"changed since it was sent: {message.client_id} {chosen} → {message.recipient.email} "
            f"(sent {record.time}); not sent again (`--resend --client {message.client_id}` sends it again)"
        )
    for message, record in plan.resent:
        say(
            f"sending again (--resend): {message.client_id} {chosen} → {message.recipient.email} "
            f"(sent {record.time})"
        )
    stale_failure = (
        f"{len(plan.stale)} client{'s' if len(plan.stale) != 1 else ''} not sent: the built "
        "site is older than the data; run `reportgen build` (with --pdf if the PDF is "
        "attached), then send again"
    )
    if dry_run:
        try:
            paths = write_eml(plan, dry_run, project)
        except ReportgenError as exc:
            _send_failed(exc.message)
        for message, path in zip(plan.to_send, paths, strict=True):
            say(
                f"would send: {message.client_id} {chosen} → {message.recipient.name} "
                f"<{message.recipient.email}>: {message.subject} ({path})"
            )
        say(
            f"Dry run: {len(paths)} message{'s' if len(paths) != 1 else ''} for {chosen} written to "
            f"{dry_run}; nothing was sent."
        )
        if plan.stale:
            _send_failed(stale_failure)
        return
    assert server is not None and context is not None
    try:
        result = send_messages(plan, project, server, context, say)
    except ReportgenError as exc:
        _send_failed(exc.message)
    total = len(plan.to_send)
    say(
        f"Sent {len(result.sent)} of {total} message{'s' if total != 1 else ''} for {chosen}"
        f" ({len(plan.already)} already sent, {len(plan.skipped)} client"
        f"{'s' if len(plan.skipped) != 1 else ''} skipped)."
    )
    if result.refused or result.stopped:
        left = total - len(result.sent)
        _send_failed(
            f"{left} message{'s' if left != 1 else ''} not sent; the ledger "
            ".reportgen/sent.jsonl keeps what was sent: run the same command again to send "
            "the rest"
        )
    if plan.stale:
        _send_failed(stale_failure)


def _send_failed(message: str) -> None:
    from .mail import printable

    click.echo(f"reportgen send: {printable(message)}", err=True)
    sys.exit(1)


@main.group()
def new() -> None:
    """Scaffold a monthly note or a client."""


@new.command("report")
@click.argument("client_id", metavar="CLIENT")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option(
    "--month",
    default=None,
    metavar="YYYY-MM",
    help="The month (default: the first month with data after the newest final note).",
)
def new_report(client_id: str, project: Path, month: str | None) -> None:
    """Write content/CLIENT/YYYY-MM.md: a draft with last month's open next steps."""
    from .scaffold import new_report as scaffold_report

    chosen = as_of_month(month, build_date()) if month else None
    try:
        path = scaffold_report(project, client_id, chosen, build_date())
    except InputError as exc:
        _fail(exc.problems)
    click.echo(f"Wrote {path} (status: draft). Write it, then remove the draft status.")


@new.command("client")
@click.argument("client_id", metavar="ID")
@click.option("--name", required=True, help="The client's name as shown in the portal.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
def new_client(client_id: str, name: str, project: Path) -> None:
    """Add a client to clients.yaml (keeping its comments) and create its folders."""
    from .scaffold import new_client as scaffold_client

    try:
        scaffold_client(project, client_id, name)
    except InputError as exc:
        _fail(exc.problems)
    click.echo(
        f"Added '{client_id}' to {project / 'clients.yaml'}; put its exports in "
        f"{project / 'data' / client_id} and its notes in {project / 'content' / client_id}."
    )


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--client", "client_id", required=True, metavar="ID", help="The client the export belongs to.")
@click.option(
    "--format",
    "format_",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", *EXPORTS]),
    help="The platform (auto: detected from the header).",
)
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
def import_(file: Path, client_id: str, format_: str, project: Path) -> None:
    """Convert a platform export into a canonical CSV under data/CLIENT/ and say what it holds."""
    from .scaffold import import_export

    try:
        target, found = import_export(project, file, client_id, format_)
    except InputError as exc:
        _fail(exc.problems)
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


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Fill it with the demo agency (four clients, 15 months).")
def init(directory: Path, demo: bool) -> None:
    """Create a new project (with a CI workflow and editor schemas)."""
    from .scaffold import init_project

    init_project(directory, demo=demo, today=build_date())
    click.echo(f"Created {directory}. Next: cd {directory} && reportgen serve")


@main.command()
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option(
    "--month",
    default=None,
    metavar="MONTH",
    help="YYYY-MM, 'latest' (default: each client's newest month) or 'previous'.",
)
@click.option("--ae", default=None, metavar="NAME", help="Only this account executive's clients.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of every client's status.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Parallel processes for clients not in the cache (default: the number of CPUs).",
)
def status(project: Path, month: str | None, ae: str | None, as_json: bool, jobs: int | None) -> None:
    """Every client's status, what needs attention first (reads the build cache)."""
    from .agency import check_ae, collect_summaries
    from .status import render_table

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    try:
        found = collect_summaries(project, month, build_date(), jobs or os.cpu_count() or 1)
        if ae is not None:
            check_ae(found.config, ae)
    except InputError as exc:
        _fail(exc.problems)
    rows = found.rows(ae)
    if as_json:
        # json escapes C0 controls; C1 and bidi controls too, so none reaches a terminal raw
        click.echo(
            _json_escape_controls(json.dumps([r.to_json() for r in rows], indent=1, ensure_ascii=False))
        )
        return
    click.echo(render_table(rows, styled=sys.stdout.isatty()), color=sys.stdout.isatty())
    red = sum(1 for r in rows if r.red)
    click.echo(
        f"{len(rows)} client{'s' if len(rows) != 1 else ''}, {red} need{'s' if red == 1 else ''} "
        f"action{f' ({found.loaded} loaded, the rest from the cache)' if found.loaded else ''}.",
        err=True,
    )


@main.command()
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (holds clients.yaml).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: overview inside the project; never inside the site).",
)
@click.option(
    "--month",
    default=None,
    metavar="MONTH",
    help="YYYY-MM, 'latest' (default: each client's newest month) or 'previous'.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Parallel processes for clients not in the cache (default: the number of CPUs).",
)
def overview(project: Path, out: Path | None, month: str | None, jobs: int | None) -> None:
    """The agency's internal site: every client's status, trends and next steps."""
    from .overview import build_overview

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    target = out if out is not None else project / "overview"
    try:
        written = build_overview(project, target, month, build_date(), jobs or os.cpu_count() or 1)
    except InputError as exc:
        _fail(exc.problems)
    if written.protected_shown:
        click.echo(
            f"warning: the overview is not sealed and shows {written.protected_shown} protected "
            "client(s) in plain text; set agency.overview.password_env before putting it "
            "anywhere others can read",
            err=True,
        )
    click.echo(
        f"Wrote the overview of {written.clients} client{'s' if written.clients != 1 else ''} "
        f"({written.files} files{', sealed' if written.sealed else ''}) into {target}."
    )


def _options(
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
        shard=_parse_shard(shard),
        clean=clean,
    )


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise click.BadParameter(f"'{text}' is not I/N (e.g. 1/4)", param_hint="--shard") from None
    if not 1 <= index <= count:
        raise click.BadParameter(f"'{text}': I must be between 1 and N", param_hint="--shard")
    return index, count


def _summary(result: BuildResult, options: BuildOptions) -> dict[str, object]:
    return {
        "out": str(options.out),
        "clients": result.clients,
        "clients_loaded": result.clients_loaded,
        "reports": result.reports,
        "files": result.files,
        "pages_written": result.pages_written,
        "pages_skipped": result.pages_skipped,
        "pages_pruned": result.pages_pruned,
        "pdfs_written": result.pdfs_written,
        "seconds": round(result.seconds, 3),
        "stages": {k: round(v, 3) for k, v in result.stages.items()},
        "warnings": [str(w) for w in result.warnings],
    }


class _ProgressBar:
    """A progress bar on an interactive terminal, once a build runs past a second.

    In CI (no terminal) it stays silent: the summary line is the whole log.
    """

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < 1:
            return
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} clients", err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)


def _json_escape_controls(text: str) -> str:
    """JSON text with every control terminal_text escapes written as \\uXXXX (still the same JSON)."""
    from .errors import _TERMINAL_CONTROLS

    return _TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _warnings_count(warnings: Sequence[Problem]) -> str:
    if not warnings:
        return ""
    return f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})"


def _print_warnings(warnings: Iterable[Problem]) -> None:
    for warning in warnings:
        click.echo(terminal_text(warning), err=True)


def _fail(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        click.echo(terminal_text(problem), err=True)
    count = len(errors) or len(problems)
    what = ("error" if errors else "warning") + ("s" if count != 1 else "")
    click.echo(f"reportgen: {count} {what}{'' if errors else ' (--strict)'}; nothing was written.", err=True)
    sys.exit(1)


if __name__ == "__main__":  # python -m reportgen.cli
    main()
