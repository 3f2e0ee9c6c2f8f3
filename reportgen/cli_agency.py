"""The commands about the agency's clients as a whole: `status` (what needs
attention first), `overview` (the internal site) and `send` (each client's
report e-mailed to its contacts, once)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from .buildoptions import as_of_month, build_date
from .cli_common import (
    LibraryErrorsCommand,
    NonEmptyText,
    PathType,
    client_option,
    fail,
    jobs_option,
    month_option,
    project_option,
)
from .errors import InputError, ReportgenError, UsageError


@click.command(cls=LibraryErrorsCommand)
@project_option
@month_option("YYYY-MM, 'latest' (default: each client's newest month) or 'previous'.")
@click.option(
    "--ae", type=NonEmptyText(), default=None, metavar="NAME", help="Only this account executive's clients."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of every client's status.")
@jobs_option("Parallel processes for clients not in the cache (default: the number of CPUs)")
def status(project: Path, month: str | None, ae: str | None, as_json: bool, jobs: int | None) -> None:
    """Every client's status, what needs attention first (reads the build cache)."""
    from .agency import check_ae, collect_summaries, load_config
    from .status import render_table

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    try:
        if ae is not None:  # a usage error (exit 2) before any client is loaded
            check_ae(load_config(project), ae)
        found = collect_summaries(project, month, build_date(), jobs or os.cpu_count() or 1)
    except InputError as exc:
        fail(exc.problems)
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


@click.command(cls=LibraryErrorsCommand)
@project_option
@click.option(
    "--out",
    type=PathType(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: overview inside the project; never inside the site).",
)
@month_option("YYYY-MM, 'latest' (default: each client's newest month) or 'previous'.")
@jobs_option("Parallel processes for clients not in the cache (default: the number of CPUs)")
def overview(project: Path, out: Path | None, month: str | None, jobs: int | None) -> None:
    """The agency's internal site: every client's status, trends and next steps."""
    from .overview import build_overview

    if not project.is_dir():
        raise click.BadParameter(f"folder '{project}' does not exist", param_hint="--project")
    target = out if out is not None else project / "overview"
    try:
        written = build_overview(project, target, month, build_date(), jobs or os.cpu_count() or 1)
    except InputError as exc:
        fail(exc.problems)
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


@click.command(cls=LibraryErrorsCommand)
@month_option(
    "YYYY-MM or 'previous' (the last complete calendar month): the reports to send.",
    latest=False,
    required=True,
)
@client_option
@project_option
@click.option(
    "--dry-run",
    "dry_run",
    type=PathType(file_okay=False, path_type=Path),
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
    chosen = as_of_month(month, today)
    assert chosen is not None  # only 'latest' is no month, refused by month_option
    try:
        if dry_run:
            check_dry_run_dir(dry_run, project)
        # The selection and the project first (a bad --client is a usage error), then the server.
        plan = plan_sending(SendOptions(project, chosen, tuple(clients), resend, today))
        server = None if dry_run else smtp_server()
        context = None if dry_run else tls_context()
    except InputError as exc:
        fail(exc.problems)
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


def _send_failed(message: str) -> NoReturn:
    from .mail import printable

    click.echo(f"reportgen send: {printable(message)}", err=True)
    sys.exit(1)


def _json_escape_controls(text: str) -> str:
    """JSON text with every control terminal_text escapes written as \\uXXXX (still the same JSON)."""
    from .errors import _TERMINAL_CONTROLS

    return _TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
