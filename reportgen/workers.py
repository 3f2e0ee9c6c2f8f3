"""The work of one client, in a worker process: load, validate, compute, render.

A build (or `check`) hands each client to a `ClientWorker` as a `ClientTask`
and gets a `ClientOutcome` back: the problems found, the pages rendered into
the staging folder or carried from the previous site, and what the build
cache should remember. With `--jobs N` the tasks run in a process pool whose
initializer (`install_worker`) builds each process's worker once, from a
`WorkerSetup`; with one job they run in this process, on a worker made here.
"""

from __future__ import annotations

import concurrent.futures
import functools
import gc
import json
import multiprocessing
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .advice import no_recipients
from .assets import SiteAssets
from .audit import is_sealed_file, publish_state
from .buildoptions import BuildOptions, as_of_month
from .cache import ClientEntry, is_written_file, paused_gc
from .clientload import load_client
from .digests import PageUnit
from .errors import InputError, Problem, display_path
from .incremental import entry_files, file_stamps
from .mail import check_message
from .model import Client, Note, ProjectConfig
from .notescache import NotesCache
from .parsedcache import ParsedCache
from .pdf import PDF_NAME, PdfJob, paper_format
from .protect import Sealer, make_sealer, new_salt
from .site import ClientPlan, SiteRenderer
from .stagedfiles import link_into, write_into
from .status import summarize_client

Progress = Callable[[int, int], None]  # (clients done, clients in all)


@dataclass(frozen=True)
class ClientTask:
    client_id: str
    fingerprint: str
    previous: ClientEntry | None  # what the last build left for this client
    render: bool = True  # False: `check`, which renders every page in memory and writes nothing
    sealer: Sealer | None = None  # a protected portal's keys (from the main process)


@dataclass
class ClientOutcome:
    client_id: str
    problems: list[Problem]
    entry: ClientEntry | None = None
    written: list[str] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    pages_written: int = 0
    pages_skipped: int = 0
    reports: int = 0
    pdfs: list[PdfJob] = field(default_factory=list)  # printed once every page is staged
    status: dict[str, object] | None = None  # the client's summary for `reportgen status` (status.py)
    stamped: bool = False  # entry.stamps are the staged files' (incremental.stamp_files need not)


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs, the same for every client of one build."""

    options: BuildOptions
    config: ProjectConfig
    assets: SiteAssets
    staging: Path | None  # where pages are written; None for `check`
    # The content digests the build took of unchanged input files (InputDigests.seen):
    # with them, a client's unchanged CSVs are taken as parsed by the last build (parsedcache.py).
    input_digests: Mapping[str, list[int | str]] | None = None


class ClientWorker:
    """Runs client tasks in one process, with one renderer (its Jinja environment
    and template cache serve every client this process renders)."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.setup = setup
        self.options = setup.options
        self.renderer = SiteRenderer(setup.config, setup.assets, pdf=setup.options.pdf)

    def run(self, task: ClientTask) -> ClientOutcome:
        """Load, validate and compute one client; render its stale pages into staging."""
        client = next(c for c in self.setup.config.clients if c.id == task.client_id)
        notes: list[Note] = []
        parsed = self._parsed(client)
        plan, problems = load_client(
            self.options.project,
            client,
            self.options,
            notes,
            parsed,
            None
            if parsed is None
            else NotesCache(self.options.cache, client.id, read=not self.options.clean),
        )
        outcome = ClientOutcome(client.id, problems)
        if plan is None or any(p.severity == "error" for p in problems):
            return outcome
        outcome.reports = len(plan.months)
        if not task.render:  # check: every page rendered in memory, so it fails when build would
            outcome.problems.extend(check_client_pages(self.renderer, self.options, client, plan))
            outcome.problems.extend(no_recipients(client, plan.notes))  # who `send` would reach
            outcome.problems.extend(check_message(self.setup.config, self.options.project, plan))
            return outcome
        if not self.options.preview and client.access is None:  # kept for `reportgen status`
            outcome.status = summarize_client(
                client,
                plan.facts,
                notes,
                self.options.today,
                as_of_month(self.options.month, self.options.today),
            )
        sealer = task.sealer if not self.options.preview else None
        if client.access is not None and sealer is None and not self.options.preview:
            outcome.problems.append(
                Problem(
                    "clients.yaml",
                    client.line,
                    (
                        f"client '{client.id}': no key to seal its portal with; "
                        "refusing to build it unprotected"
                    ),
                )
            )
            return outcome
        outcome.entry = self._render_stale_pages(task, plan, sealer, outcome)
        return outcome

    @functools.cached_property
    def _published(self) -> Path:
        """The output folder, resolved once (the build holds its lock: it does not move)."""
        return self.options.out.resolve()

    def _parsed(self, client: Client) -> ParsedCache | None:
        """The client's parsed-data cache, in a build that writes a site (not `check`, not
        `serve`'s preview); a protected client keeps none (build.py removes one left from before).
        The notes cache (notescache.py) is kept when this one is."""
        if self.setup.staging is None or self.setup.input_digests is None or self.options.preview:
            return None
        if client.access is not None:
            return None
        return ParsedCache(
            self.options.cache, client.id, self.setup.input_digests, read=not self.options.clean
        )

    def _render_stale_pages(
        self, task: ClientTask, plan: ClientPlan, sealer: Sealer | None, outcome: ClientOutcome
    ) -> ClientEntry | None:
        """Every page of the client, carried when fresh, else rendered and staged; the
        cache entry describing them, or None when a template failed (a problem)."""
        entry = self._new_entry(task, plan.client, sealer, outcome.problems)
        previous = task.previous if not self.options.clean else None
        for unit in self.renderer.client_units(plan, sealer):
            if previous is not None and self._carry_page(unit, previous, entry, outcome):
                continue
            try:
                files, reads, unit_digest = unit.render_recorded()
            except InputError as exc:  # a template mistake: reported with all other problems
                outcome.problems.extend(exc.problems)
                return None
            self._stage_page(plan.client, sealer, files, outcome)
            entry.pages[unit.key] = unit_digest
            entry.reads[unit.key] = reads
            entry.files[unit.key] = sorted(files)
        if not self.options.pdf:  # (a PDF is printed once every page is staged: stamped then)
            # stamped here, in parallel, not one by one in the main process (build.py)
            assert self.setup.staging is not None
            entry.stamps = file_stamps(self.setup.staging, entry_files(entry))
            outcome.stamped = True
        return entry

    def _new_entry(
        self, task: ClientTask, client: Client, sealer: Sealer | None, problems: list[Problem]
    ) -> ClientEntry:
        """The client's cache entry before any page: its fingerprint and warnings.

        A protected client's warnings name its figures and next steps: sealed in
        the cache too. `serve`'s unsealed preview of a protected client keeps
        nothing of it in the cache: no warnings, and no fingerprint (so it is
        simply loaded again)."""
        warnings: list[list[object]] = [
            [p.path, p.line, p.message] for p in problems if p.severity == "warning"
        ]
        unsealed_preview = client.access is not None and sealer is None
        return ClientEntry(
            fingerprint="" if unsealed_preview else task.fingerprint,
            warnings=[] if client.access is not None else warnings,
            sealed_warnings=sealer.seal(json.dumps(warnings).encode()) if sealer else None,
            published=publish_state(client),
        )

    def _carry_page(
        self, unit: PageUnit, previous: ClientEntry, entry: ClientEntry, outcome: ClientOutcome
    ) -> bool:
        """Link a fresh page's files from the previous site; False when it is stale.

        Fresh when everything the page read last time still has the same digest
        (the reads were recorded while it rendered: site.PageUnit), and its files
        are still the ones the last build wrote (not edited or replaced since)."""
        old_files = previous.files.get(unit.key)
        old_reads = previous.reads.get(unit.key)
        out = self.options.out
        assert self.setup.staging is not None
        if not (
            old_files
            and old_reads is not None
            and previous.pages.get(unit.key) == unit.digest(old_reads)
            and all(is_written_file(out, f, previous.stamps) for f in old_files)
            and all(link_into(self.setup.staging, self._published, f) for f in old_files)
        ):
            return False
        entry.pages[unit.key] = previous.pages[unit.key]
        entry.reads[unit.key] = old_reads
        entry.files[unit.key] = old_files
        outcome.carried.extend(old_files)
        outcome.pages_skipped += 1
        return True

    def _stage_page(
        self, client: Client, sealer: Sealer | None, files: dict[str, bytes], outcome: ClientOutcome
    ) -> None:
        """Write a rendered page's files into staging; a `build --pdf` report.pdf is
        printed later, once every page is staged (pdf.print_jobs), and is listed
        in `files` as an empty placeholder until then."""
        assert self.setup.staging is not None
        printed_later = [r for r in files if r.endswith(f"/{PDF_NAME}")]
        for relative in printed_later:
            html = files.pop(relative)  # b"", or a protected report's unsealed page
            outcome.pdfs.append(
                PdfJob(
                    relative, self.setup.config.agency.name, paper_format(client.locale), html or None, sealer
                )
            )
        for relative, content in sorted(files.items()):
            write_into(self.setup.staging, relative, content)
        files.update(dict.fromkeys(printed_later, b""))
        outcome.written.extend(sorted(files))
        outcome.pages_written += 1


def check_client_pages(
    renderer: SiteRenderer, options: BuildOptions, client: Client, plan: ClientPlan
) -> list[Problem]:
    """`check`: render every page of a client in memory, as `build` would publish it.

    A protected portal is sealed, as the build seals it, with a throwaway key (the
    login page and the publish audit do not depend on the key; no password is
    needed), and each sealed file goes through the publish audit's per-file check
    (audit.is_sealed_file): what happens only at the protect/seal/audit stage of a
    build (a login.html override that fails, or that the audit refuses) fails here too.
    """
    sealer = throwaway_sealer() if client.access is not None else None
    shells = functools.lru_cache(maxsize=None)(functools.partial(renderer.login_shells, client))
    problems: list[Problem] = []
    shown = display_path(options.out, options.project)
    refused_page = False
    try:
        for unit in renderer.client_units(plan, sealer):
            files, _reads, _digest = unit.render_recorded()
            if sealer is None:
                continue
            for relative, content in sorted(files.items()):
                if relative.endswith(f"/{PDF_NAME}"):  # printed and sealed later (pdf.py)
                    continue
                page_shells = shells(relative.count("/")) if relative.endswith(".html") else None
                if not is_sealed_file(relative, content, page_shells):
                    refused_page = refused_page or page_shells is not None
                    problems.append(
                        Problem(
                            f"{shown}/{relative}",
                            None,
                            (
                                f"not sealed, but '{client.id}' is a protected portal: `reportgen build` "
                                "would refuse to publish it"
                            ),
                        )
                    )
    except InputError as exc:  # a template mistake, as build reports it
        problems.extend(exc.problems)
    if refused_page:  # what to fix, not only where
        problems.extend(login_template_problems(renderer))
    return problems


@functools.cache
def throwaway_sealer() -> Sealer:
    """A sealer with a random key and a single PBKDF2 round: `check` seals pages
    exactly as `build` does without deriving a key from anyone's password."""
    return make_sealer([os.urandom(16).hex()], new_salt(), iterations=1)


def login_template_problems(renderer: SiteRenderer) -> list[Problem]:
    """Where to fix a login page the publish audit refuses: the theme files it is
    rendered from (the project's own overrides first)."""
    files = renderer.login_templates()
    own = [f for f in files if not f.startswith("built-in theme:")]
    return [
        Problem(
            path,
            None,
            (
                "the login page of protected portals is rendered from this template, and the publish "
                "audit refuses it: a protected page may hold only the login card and one sealed block "
                "(no inline <script>, no other JSON block, nothing that shows the client)"
            ),
        )
        for path in (own or files[:1])
    ]


# --- running the tasks ----------------------------------------------------------------------

# The worker of a pool process. Set only by `install_worker`, the pool's
# initializer, once per process before its first task; never read by the
# main process (which runs a single job on a worker of its own).
_POOL_WORKER: ClientWorker | None = None


def install_worker(setup: WorkerSetup) -> None:
    """The process pool's initializer: this process's worker, for every task it runs."""
    global _POOL_WORKER
    _POOL_WORKER = ClientWorker(setup)
    # What this process inherited (the build plan, the previous manifest: hundreds of MB
    # of objects on a large agency) and its templates live until it exits: out of the
    # collector's sight for good (gc.freeze). Freezing in the parent before the fork as well
    # (what the gc documentation advises against copy-on-write) measured no faster.
    gc.freeze()


def _run_in_pool(task: ClientTask) -> ClientOutcome:
    assert _POOL_WORKER is not None, "install_worker runs first in every pool process"
    return _run_one(_POOL_WORKER, task)


def _run_one(worker: ClientWorker, task: ClientTask) -> ClientOutcome:
    """One client's task with the garbage collector paused: loading a client makes ~10^5
    objects (its rows, facts and pages) that all live until its pages are written, so
    the collections they would trigger find nothing to free but walk everything alive.
    Measured on the L agency's monthly run: ~20 % less CPU (with gc.freeze above). What
    a task leaves as garbage in cycles is collected between tasks."""
    with paused_gc():
        return worker.run(task)


def run_tasks(
    setup: WorkerSetup, tasks: list[ClientTask], jobs: int, progress: Progress | None
) -> list[ClientOutcome]:
    """Every task's outcome: in this process for one job (or one task), else in a
    pool of `jobs` forked processes, never more than there are tasks (then
    ordered by client id)."""
    outcomes: list[ClientOutcome] = []
    if jobs <= 1 or len(tasks) <= 1:
        worker = ClientWorker(setup)
        for task in tasks:
            outcomes.append(_run_one(worker, task))
            if progress:
                progress(len(outcomes), len(tasks))
        return outcomes
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),  # an idle process costs a fork and memory, nothing more
        mp_context=context,
        initializer=install_worker,
        initargs=(setup,),
    ) as pool:
        futures = [pool.submit(_run_in_pool, task) for task in tasks]
        for future in concurrent.futures.as_completed(futures):
            outcomes.append(future.result())
            if progress:
                progress(len(outcomes), len(tasks))
    return sorted(outcomes, key=lambda o: o.client_id)
