"""The commands that turn the project into portals: `build`, `check` (the same
work, nothing written) and `pdf` (one monthly report printed)."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from .buildoptions import BuildOptions, BuildResult, as_of_month, build_date
from .cli_common import (
    LibraryErrorsCommand,
    PathType,
    build_options,
    common_options,
    fail,
    month_option,
    print_warnings,
    project_option,
    warnings_count,
)
from .errors import InputError, terminal_text


@click.command(cls=LibraryErrorsCommand)
@common_options
@click.option(
    "--out",
    type=PathType(file_okay=False, path_type=Path),
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
    options = replace(
        build_options(project, clients, month, drafts, strict, jobs, shard, out, clean), pdf=pdf
    )
    progress = None if as_json else _ProgressBar()
    # A no-op answered from its summary when nothing changed (noop.py): nothing else imported.
    from .noop import unchanged_build

    try:
        result = unchanged_build(options)
        if result is None:
            from .build import build_site

            result = build_site(options, progress)
    except InputError as exc:
        fail(exc.problems)  # errors and warnings only: anomaly lines are check's
    finally:
        if progress:
            progress.close()
    if as_json:
        click.echo(json.dumps(_summary(result, options), indent=1))
        return
    for info in result.infos:  # e.g. a portal rendered again because its protection changed
        click.echo(terminal_text(info), err=True)
    print_warnings(result.warnings)
    click.echo(
        f"Built {result.clients} client portal{'s' if result.clients != 1 else ''}, "
        f"{result.reports} monthly report{'s' if result.reports != 1 else ''}, "
        f"{result.files} files into {options.out} in {result.seconds:.1f}s: "
        f"{result.pages_written} pages rendered, {result.pages_skipped} unchanged"
        f"{f', {result.pdfs_written} PDFs printed' if result.pdfs_written else ''}"
        f"{f', {result.pages_pruned} pruned' if result.pages_pruned else ''}"
        f"{warnings_count(result.warnings)}."
    )


@click.command(cls=LibraryErrorsCommand)
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
    from .checking import check_project

    options = build_options(project, clients, month, drafts, strict, jobs, shard, None, False)
    try:
        result = check_project(options)
    except InputError as exc:
        fail(exc.problems, infos=True)
    for info in result.infos:
        click.echo(terminal_text(info), err=True)
    print_warnings(result.warnings)
    click.echo(
        f"OK: {result.clients} client{'s' if result.clients != 1 else ''}, {result.reports} "
        f"monthly report{'s' if result.reports != 1 else ''}"
        f"{warnings_count(result.warnings)}."
    )


@click.command(cls=LibraryErrorsCommand)
@click.argument("client_id", metavar="CLIENT")
@month_option("YYYY-MM, 'latest' or 'previous': the report to print.", default="latest")
@click.option(
    "-o",
    "--output",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    help="The PDF file to write (default: CLIENT-YYYY-MM.pdf here).",
)
@project_option
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
        fail(exc.problems)
    target = output or Path(name)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{target}: cannot write it: {exc.strerror}") from None
    click.echo(f"Wrote {target} ({len(data) // 1024} KB).")


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
