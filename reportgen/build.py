"""Plan and run a build: load, validate, compute, render, write — incrementally.

The whole configuration is loaded and validated first. Then each client is
a unit of work, done in parallel processes (`--jobs`): load its notes and
data, validate them, compute, and render only the pages whose input digests
changed since the last build (the rest are carried over from the previous
site as hard links). Every problem of every client is collected; if there is
any, the staging folder is thrown away and the previous site stays exactly as
it was. Otherwise the new site is swapped in at once.

Two levels of change detection keep a no-op rebuild of a large agency cheap:
a client whose config entry, data files and notes have the same size and
modification time as last time (its *fingerprint*) is not even loaded; a
client that is loaded re-renders only the pages whose content digests differ.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from . import metrics as m
from .advice import advise, no_recipients
from .audit import (
    address_warnings,
    audit_site,
    foreign_entries,
    is_sealed_file,
    portals_to_rebuild,
    publish_state,
)
from .cache import (
    CACHE_DIR,
    ClientEntry,
    InputDigests,
    Manifest,
    file_stamp,
    forget_manifest,
    is_written_file,
    load_manifest,
    save_manifest,
    tree_as_written,
)
from .config import read_project_config
from .errors import InputError, Problem, did_you_mean, display_path, terminal_text
from .inputfiles import input_folder_problem
from .mail import check_message
from .model import FIRST_YEAR, LAST_YEAR, Client, MetricTable, Month, Note, ProjectConfig
from .notes import load_client_notes, load_notes, note_paths, orphan_note_folders
from .output import (
    SITE_MARKER,
    OutputLock,
    StagedSite,
    check_output_dir,
    link_into,
    remove_stale_staging,
    write_into,
)
from .pdf import PDF_NAME, PdfJob, check_available, paper_format, print_jobs
from .protect import SealedError, Sealer, load_salts, make_sealer, new_salt, save_salts
from .site import ClientPlan, SiteAssets, SiteRenderer, collect_assets, digest
from .sources import find_data_sources, load_client_data
from .status import record_summaries, status_fingerprint, summarize_client


@dataclass(frozen=True)
class BuildOptions:
    project: Path
    out: Path
    clients: tuple[str, ...] = ()
    month: str | None = None  # None / "latest" / "previous" / "YYYY-MM"
    drafts: bool = False
    strict: bool = False
    today: dt.date = field(default_factory=lambda: build_date())
    jobs: int = 1
    shard: tuple[int, int] | None = None  # (index from 1, count)
    clean: bool = False  # ignore the cache: render every page
    # `serve`/`check`: a protected client whose password variable is unset is a
    # warning, and its pages are rendered unsealed (serve marks them "preview,
    # not protected"; it never writes into the real output). `build` refuses.
    preview: bool = False
    pdf: bool = False  # `build --pdf`: a report.pdf beside every monthly report (pdf.py)
    # Where the build cache goes (default: the project's .reportgen-cache/);
    # `serve` keeps its preview's cache in its own temporary folder.
    cache_dir: Path | None = None

    @property
    def cache(self) -> Path:
        return self.cache_dir or self.project / CACHE_DIR


def build_date() -> dt.date:
    """The build's 'today': SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            today = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise click.UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
        if not FIRST_YEAR <= today.year <= LAST_YEAR:  # every date reportgen reads lies in this range
            raise click.UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is {today}, outside the dates "
                                   f"reportgen handles ({FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31)")
        return today
    return dt.date.today()


@dataclass
class BuildResult:
    clients: int = 0
    reports: int = 0
    files: int = 0
    pages_written: int = 0
    pages_skipped: int = 0
    pages_pruned: int = 0
    pdfs_written: int = 0
    clients_loaded: int = 0
    warnings: tuple[Problem, ...] = ()
    infos: tuple[Problem, ...] = ()  # e.g. which platform each export was read as
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)  # loaded clients' status summaries


# --- selection ----------------------------------------------------------------------------


def select_clients(config: ProjectConfig, wanted: tuple[str, ...],
                   shard: tuple[int, int] | None = None) -> list[Client]:
    clients = list(config.clients)
    if wanted:
        known = {c.id: c for c in config.clients}
        for client_id in wanted:
            if client_id not in known and client_id not in config.declared_ids:
                raise click.UsageError(f"--client {client_id}: no such client in clients.yaml"
                                       f"{did_you_mean(client_id, known)}")
        clients = [c for c in clients if c.id in wanted]
    if shard:
        index, count = shard
        ordered = sorted(clients, key=lambda c: c.id)
        keep = {c.id for position, c in enumerate(ordered) if position % count == index - 1}
        clients = [c for c in clients if c.id in keep]
    return clients


def as_of_month(option: str | None, today: dt.date) -> Month | None:
    """The --month option as a month, or None for 'latest'."""
    if option in (None, "latest"):
        return None
    if option == "previous":
        return Month.of(today).previous
    try:
        return Month.parse(option)
    except ValueError as exc:
        outside = "outside" in str(exc)  # a month beyond the accepted years says the range
        shown = terminal_text(option)  # echoed to the terminal: no escape sequence acts
        raise click.BadParameter(str(exc) if outside else f"'{shown}' is not YYYY-MM, latest or previous",
                                 param_hint="--month") from None


# --- one client: load, validate, compute ----------------------------------------------------


def plan_client(client: Client, table: MetricTable, notes: list[Note],
                options: BuildOptions) -> tuple[ClientPlan | None, list[Problem]]:
    problems: list[Problem] = access_problems(client, options.preview)
    if any(p.severity == "error" for p in problems):
        return None, problems
    until = as_of_month(options.month, options.today)
    facts = m.compute_client_facts(client, table, until)
    if table.rows:
        problems.extend(facts.metrics.check(client))
    elif client.data:
        problems.append(Problem("clients.yaml", client.line,
                                f"client '{client.id}' has no metric rows yet", "warning"))
    included = {n.month: n for n in notes if (options.drafts or not n.is_draft)
                and (until is None or n.month <= until)}
    for note in included.values():
        for spec in note.charts:
            if table.rows:
                problems.extend(facts.metrics.check_metric(spec.metric, note.path, spec.line, "chart"))
            if spec.compare == "target" and not any(k.metric == spec.metric and k.target is not None
                                                    for k in client.kpis):
                problems.append(Problem(note.path, spec.line, (
                    f"chart: 'compare: target' needs a KPI with a target for '{spec.metric}'")))
    months = set(facts.rows_by_month) | set(included)
    if client.since:
        months = {mo for mo in months if mo >= client.since}
    problems.extend(advise(client, facts, included, tuple(sorted(months)), options.today))
    plan = ClientPlan(client=client, facts=facts, notes=included, months=tuple(sorted(months)),
                      today=options.today)
    return plan, problems


SHORT_PASSWORD = 12  # shorter portal passwords are a warning (empty or only spaces: an error)


def access_problems(client: Client, preview: bool) -> list[Problem]:
    """Every password of a protected portal is set, and no two people share one."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for where, variable, line in client.access.keys if client.access else ():
        password = os.environ.get(variable)
        if password and not password.strip():
            problems.append(Problem("clients.yaml", line or client.line, (
                f"client '{client.id}': {where}: the environment variable {variable} holds only "
                "spaces; set a real password"), "warning" if preview else "error"))
            continue
        if password and len(password) < SHORT_PASSWORD:
            problems.append(Problem("clients.yaml", line or client.line, (
                f"client '{client.id}': {where}: the password in {variable} has only "
                f"{len(password)} characters; anyone with a downloaded page can try guesses "
                f"offline — use at least {SHORT_PASSWORD} (e.g. four random words)"), "warning"))
        if not password and preview:
            problems.append(Problem("clients.yaml", line or client.line, (
                f"client '{client.id}': {where}: the environment variable {variable} is not "
                "set (or empty); `reportgen build` will refuse to publish this portal until it is"),
                "warning"))
        elif not password:
            problems.append(Problem("clients.yaml", line or client.line, (
                f"client '{client.id}': {where}: the environment variable "
                f"{variable} is not set (or empty); refusing to build an unprotected portal")))
        elif password in seen:
            problems.append(Problem("clients.yaml", line or client.line, (
                f"client '{client.id}': {where}: {variable} holds the same password as {seen[password]}; "
                "give each person their own (removing one of them would not revoke the other)")))
        else:
            seen[password] = where
    return problems


def portal_sealers(clients: list[Client], salts: dict[str, bytes]) -> dict[str, Sealer]:
    """Each protected portal's sealer: one PBKDF2 per person, in this process.

    A portal with a missing or shared password gets none (`access_problems`
    reports it). New portals get a new salt in `salts`."""
    sealers = {}
    for client in clients:
        if client.access is None or any(p.severity == "error"
                                        for p in access_problems(client, preview=False)):
            continue
        passwords = [os.environ[variable] for _where, variable, _line in client.access.keys]
        sealers[client.id] = make_sealer(passwords, salts.setdefault(client.id, new_salt()))
    return sealers


def load_client(root: Path, client: Client, options: BuildOptions, all_notes: list[Note] | None = None
                ) -> tuple[ClientPlan | None, list[Problem]]:
    """`all_notes`, when given, receives every note of the client, drafts included."""
    notes, problems = load_client_notes(root, client.id)
    if all_notes is not None:
        all_notes.extend(notes)
    table, data_problems = load_client_data(root, client, options.today)
    problems.extend(data_problems)
    if any(p.severity == "error" for p in data_problems):
        return None, problems
    plan, plan_problems = plan_client(client, table, notes, options)
    return plan, problems + plan_problems


def client_fingerprint(root: Path, client: Client, site_key: str, options: BuildOptions,
                       inputs: InputDigests, sealer: Sealer | None = None) -> str:
    """The same fingerprint means none of the client's inputs changed: its
    clients.yaml entry, the theme (`site_key`), and the content of its data
    files (found exactly as the build finds them), notes and logo.

    Cheap: a file whose stat is unchanged since its digest was taken is not
    read again (InputDigests), so a no-op rebuild of 500 clients is mostly stat
    calls. It never changes for an unchanged file, however recently written.
    """
    try:
        data = sorted(str(path) for path, _source in find_data_sources(root, client)[0])
    except (OSError, RuntimeError, ValueError):  # reported when the client is loaded
        return f"unreadable data {time.time_ns()}"
    remember = client.access is None  # no digest of a protected client's files in the cache
    logo = inputs.signature(client.brand.logo, remember) if client.brand.logo else None
    # A protected portal: which KEKs (never a cheap hash of a password; see protect.py).
    return digest(site_key, client, logo, sealer.identity if sealer else None,
                  [inputs.signature(p, remember) for p in data],
                  [inputs.signature(p, remember) for p in note_paths(root, client.id)],
                  options.drafts, options.month, options.today, *(("pdf",) if options.pdf else ()))


# --- the work of one client, in a worker process ---------------------------------------------


@dataclass(frozen=True)
class ClientTask:
    client_id: str
    fingerprint: str
    previous: ClientEntry | None  # what the last build left for this client
    render: bool = True
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
    status: dict | None = None  # the client's status summary, for `reportgen status` (status.py)


@dataclass(frozen=True)
class _WorkerState:
    options: BuildOptions
    config: ProjectConfig
    assets: SiteAssets | None
    staging: Path | None


_STATE: _WorkerState | None = None  # set before worker processes fork
_RENDERER: SiteRenderer | None = None


def _renderer() -> SiteRenderer:
    global _RENDERER
    if _RENDERER is None:
        assert _STATE is not None and _STATE.assets is not None
        _RENDERER = SiteRenderer(_STATE.config, _STATE.assets, pdf=_STATE.options.pdf)
    return _RENDERER


def run_client(task: ClientTask) -> ClientOutcome:
    """Load, validate and compute one client; render its stale pages into staging."""
    assert _STATE is not None
    options = _STATE.options
    client = next(c for c in _STATE.config.clients if c.id == task.client_id)
    notes: list[Note] = []
    plan, problems = load_client(options.project, client, options, notes)
    outcome = ClientOutcome(client.id, problems)
    if plan is None or any(p.severity == "error" for p in problems):
        return outcome
    outcome.reports = len(plan.months)
    if not task.render:  # check: every page rendered in memory, so it fails when build would
        outcome.problems.extend(check_client_pages(client, plan))
        outcome.problems.extend(no_recipients(client, plan.notes))  # who `send` would reach
        outcome.problems.extend(check_message(_STATE.config, options.project, plan))  # templates/email/
        return outcome
    assert _STATE.staging is not None
    if not options.preview and client.access is None:  # kept for `reportgen status` (status.py)
        outcome.status = summarize_client(client, plan.facts, notes, options.today,
                                          as_of_month(options.month, options.today))
    warnings = [[p.path, p.line, p.message] for p in problems if p.severity == "warning"]
    sealer = task.sealer if not options.preview else None
    if client.access is not None and sealer is None and not options.preview:
        outcome.problems.append(Problem("clients.yaml", client.line, (
            f"client '{client.id}': no key to seal its portal with; refusing to build it unprotected")))
        return outcome
    # A protected client's warnings name its figures and next steps: sealed in the cache too.
    # `serve`'s unsealed preview of a protected client keeps nothing of it in the
    # cache: no warnings, and no fingerprint (so it is simply loaded again).
    unsealed_preview = client.access is not None and sealer is None
    entry = ClientEntry(fingerprint="" if unsealed_preview else task.fingerprint,
                        warnings=[] if client.access is not None else warnings,
                        sealed_warnings=sealer.seal(json.dumps(warnings).encode()) if sealer else None,
                        published=publish_state(client))
    previous = task.previous if not options.clean else None
    for unit in _renderer().client_units(plan, sealer):
        # Fresh when everything the page read last time still has the same
        # digest (the reads were recorded while it rendered: site.PageUnit).
        old_files = previous.files.get(unit.key) if previous else None
        old_reads = previous.reads.get(unit.key) if previous else None
        if (previous and old_files and old_reads is not None
                and previous.pages.get(unit.key) == unit.digest(old_reads)
                # still the files the last build wrote (not edited or replaced since)
                and all(is_written_file(options.out, f, previous.stamps) for f in old_files)
                and all(link_into(_STATE.staging, options.out.resolve(), f) for f in old_files)):
            entry.pages[unit.key] = previous.pages[unit.key]
            entry.reads[unit.key] = old_reads
            entry.files[unit.key] = old_files
            outcome.carried.extend(old_files)
            outcome.pages_skipped += 1
            continue
        try:
            files, reads, unit_digest = unit.render_recorded()
        except InputError as exc:  # a template mistake: reported with all other problems
            outcome.problems.extend(exc.problems)
            return outcome
        printed_later = [r for r in files if r.endswith(f"/{PDF_NAME}")]  # `build --pdf`
        for relative in printed_later:  # once every page is staged (pdf.print_jobs)
            html = files.pop(relative)  # b"", or a protected report's unsealed page
            outcome.pdfs.append(PdfJob(relative, _STATE.config.agency.name, paper_format(client.locale),
                                       html or None, sealer))
        for relative, content in sorted(files.items()):
            write_into(_STATE.staging, relative, content)
        files.update(dict.fromkeys(printed_later, b""))
        entry.pages[unit.key] = unit_digest
        entry.reads[unit.key] = reads
        entry.files[unit.key] = sorted(files)
        outcome.written.extend(sorted(files))
        outcome.pages_written += 1
    outcome.entry = entry
    return outcome


def check_client_pages(client: Client, plan: ClientPlan) -> list[Problem]:
    """`check`: render every page of a client in memory, as `build` would publish it.

    A protected portal is sealed, as the build seals it, with a throwaway key (the
    login page and the publish audit do not depend on the key; no password is
    needed), and each sealed file goes through the publish audit's per-file check
    (audit.is_sealed_file): what happens only at the protect/seal/audit stage of a
    build (a login.html override that fails, or that the audit refuses) fails here too.
    """
    renderer = _renderer()
    sealer = throwaway_sealer() if client.access is not None else None
    shells = functools.lru_cache(maxsize=None)(functools.partial(renderer.login_shells, client))
    problems: list[Problem] = []
    shown = display_path(_STATE.options.out, _STATE.options.project) if _STATE else "site"
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
                    problems.append(Problem(f"{shown}/{relative}", None, (
                        f"not sealed, but '{client.id}' is a protected portal: `reportgen build` "
                        "would refuse to publish it")))
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
    return [Problem(path, None, (
        "the login page of protected portals is rendered from this template, and the publish "
        "audit refuses it: a protected page may hold only the login card and one sealed block "
        "(no inline <script>, no other JSON block, nothing that shows the client)"))
        for path in (own or files[:1])]


def _run_all(tasks: list[ClientTask], jobs: int, progress: Callable[[int, int], None] | None
             ) -> list[ClientOutcome]:
    outcomes: list[ClientOutcome] = []
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            outcomes.append(run_client(task))
            if progress:
                progress(len(outcomes), len(tasks))
        return outcomes
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(run_client, task) for task in tasks]
        for future in concurrent.futures.as_completed(futures):
            outcomes.append(future.result())
            if progress:
                progress(len(outcomes), len(tasks))
    return sorted(outcomes, key=lambda o: o.client_id)


# --- build and check ------------------------------------------------------------------------


# Folders of a project (SPEC 2): each must be a folder, or absent.
PROJECT_FOLDERS = ("content", "data", "templates", "assets")


def _load_config(options: BuildOptions) -> tuple[ProjectConfig, list[Client], list[Problem]]:
    folder_problems = [Problem(name, None, f"{name}/ is {why}") for name in PROJECT_FOLDERS
                       if (why := input_folder_problem(options.project / name))]
    if folder_problems:  # read as an empty folder, it would silently lose notes or data
        raise InputError(folder_problems)
    config, problems = read_project_config(options.project)
    if config is None:
        raise InputError(problems)
    if any(p.severity == "error" for p in problems):
        # The config is wrong: still check every note, then report everything.
        _, note_problems = load_notes(options.project, set(config.declared_ids))
        raise InputError(problems + note_problems)
    selected = select_clients(config, options.clients, options.shard)
    problems.extend(orphan_note_folders(options.project, set(config.declared_ids)))
    return config, selected, problems


def _raise_if_failed(problems: list[Problem], strict: bool) -> tuple[Problem, ...]:
    warnings = tuple(sorted({p for p in problems if p.severity == "warning"}))
    if any(p.severity == "error" for p in problems) or (strict and warnings):
        raise InputError(problems)
    return warnings


def check_project(options: BuildOptions) -> BuildResult:
    """Load, validate, compute and render everything in memory; write nothing."""
    global _STATE, _RENDERER
    started = time.perf_counter()
    options = replace(options, preview=True)  # an unset password variable is a warning here
    config, selected, problems = _load_config(options)
    assets = collect_assets(options.project, config)
    _STATE, _RENDERER = _WorkerState(options, config, assets, None), None
    tasks = [ClientTask(c.id, "", None, render=False) for c in selected]
    try:
        try:
            SiteRenderer(config, assets).shared_files()  # the agency's landing page
        except InputError as exc:
            problems.extend(exc.problems)
        outcomes = _run_all(tasks, options.jobs, None)
    finally:
        _STATE, _RENDERER = None, None
    for outcome in outcomes:
        problems.extend(outcome.problems)
    problems.extend(address_warnings(selected))
    warnings = _raise_if_failed(problems, options.strict)
    infos = tuple(sorted({p for p in problems if p.severity == "info"}))
    return BuildResult(clients=len(selected), reports=sum(o.reports for o in outcomes),
                       warnings=warnings, infos=infos, seconds=time.perf_counter() - started)


def build_site(options: BuildOptions, progress: Callable[[int, int], None] | None = None
               ) -> BuildResult:
    global _STATE, _RENDERER
    started = time.perf_counter()
    stages: dict[str, float] = {}
    check_output_dir(options.out, options.project)
    if options.pdf:
        check_available()  # before any work: no browser, no build
    config, selected, problems = _load_config(options)
    assets = collect_assets(options.project, config)
    # What the last build wrote into the output, file by file (stamps): nothing
    # else in the output is ever carried into the new site (even with --clean, a
    # --client build keeps the other portals only as they were written).
    recorded = load_manifest(options.project, options.out, options.cache) if options.out.is_dir() \
        else Manifest()
    manifest = Manifest() if options.clean else replace(recorded, clients=dict(recorded.clients))
    shells = functools.lru_cache(maxsize=None)(
        SiteRenderer(config, assets, pdf=options.pdf).login_shells)
    # Every portal the new site keeps gets its current address and protection (audit.py);
    # `serve`'s preview is never published and shows protected portals unsealed.
    rebuild = {} if options.preview else \
        portals_to_rebuild(options.out, config, selected, manifest, bool(options.clients), shells)
    if options.clients:  # the other portals are kept only exactly as the last build wrote them
        chosen = {c.id for c in selected}
        for client in config.clients:
            if client.id not in chosen and client.id not in rebuild and not portal_as_written(
                    options.out, client.slug, recorded.clients.get(client.id)):
                rebuild[client.id] = ("its portal holds files the last build did not write there"
                                      if client.id in recorded.clients else
                                      "the build cache has no record of its portal (a deleted cache?)")
    chosen = {c.id for c in selected}
    outside = {client_id: why for client_id, why in rebuild.items() if client_id not in chosen}
    if outside and options.clients and (options.month not in (None, "latest") or options.drafts):
        # A portal this --client build must render again although nobody selected it
        # is rendered as a plain build would (latest month, no drafts); never with
        # this run's --month or --drafts, which would publish another client's
        # drafts or take months off its portal.
        raise InputError([Problem("clients.yaml", c.line, (
            f"client '{c.id}': {outside[c.id]}, so this --client build would have to render it "
            "again, but not with --month/--drafts meant for other clients: build it on its own "
            f"first (--client {c.id}, with the options of your scheduled build) or build every "
            "client")) for c in config.clients if c.id in outside])
    if not options.clients:  # a shard keeps no other portal: nothing outside it to render
        rebuild = {client_id: why for client_id, why in rebuild.items() if client_id in chosen}
    if rebuild:
        wanted = {c.id for c in selected} | set(rebuild)
        selected = [c for c in config.clients if c.id in wanted]
        for client_id in rebuild:  # rendered afresh: none of its old files is reused
            manifest.clients.pop(client_id, None)
    infos = tuple(Problem("clients.yaml", c.line, f"client '{c.id}' is rendered again: {rebuild[c.id]}",
                          "info") for c in selected if c.id in rebuild)
    if manifest.site_key != assets.key:  # theme, labels or agency changed: every page is stale
        manifest = Manifest(inputs=manifest.inputs)
    inputs = InputDigests(manifest.inputs)
    salts = load_salts(options.cache) if not options.preview else {}  # a preview seals nothing
    known_salts = dict(salts)
    sealers = portal_sealers(selected, salts) if not options.preview else {}
    fingerprints = {c.id: client_fingerprint(options.project, c, assets.key, options, inputs,
                                             sealers.get(c.id)) for c in selected}
    stages["load"] = time.perf_counter() - started

    with OutputLock(options.out):
        remove_stale_staging(options.out)
        unchanged = [c for c in selected if c.id in manifest.clients and c.id not in rebuild
                     and manifest.clients[c.id].fingerprint == fingerprints[c.id]]
        cached = {c.id: cached_warnings(manifest.clients[c.id], sealers.get(c.id)) for c in unchanged}
        unchanged = [c for c in unchanged if cached[c.id] is not None
                     # a file put into (or edited in) its portal since: loaded, and only
                     # the pages the last build wrote are carried (run_client)
                     and portal_as_written(options.out, c.slug, manifest.clients[c.id])]
        everyone_kept = set(manifest.clients) == {c.id for c in selected} or options.clients
        if (len(unchanged) == len(selected) and everyone_kept and manifest.shared and not options.clean
                and not foreign_entries(options.out, config, manifest.shared)
                and tree_as_written(options.out, "", {**manifest.shared_stamps, **{
                    f: stamp for e in manifest.clients.values() for f, stamp in e.stamps.items()}})):
            if any(manifest.inputs.get(k) != v for k, v in inputs.seen.items()):
                # files that were too recent to trust by their stat have settled
                manifest.inputs.update(inputs.seen)
                save_manifest(options.project, options.out, manifest, options.cache)
            return _nothing_to_do(options, manifest, selected, cached, problems, started, stages)

        status_prints = {} if options.preview else \
            status_fingerprints(options, [c for c in selected if c not in unchanged], inputs)
        site = StagedSite(options.out)
        try:
            result, new_manifest = _build_into(site, options, config, assets, manifest, selected,
                                               unchanged, fingerprints, sealers, cached, problems,
                                               progress, stages, recorded)
            _stamp_files(site.staging, new_manifest)
            unsafe = [] if options.preview else \
                audit_site(site.staging, config, new_manifest.shared, str(options.out), shells)
            if unsafe:  # the safety net: nothing that breaks a portal's protection goes out
                if any(p.path.endswith(".html") for p in unsafe):  # what to fix, not only where
                    unsafe += login_template_problems(SiteRenderer(config, assets))
                raise InputError(unsafe)
            forget_manifest(options.project, options.out, options.cache)
            if salts != known_salts:  # kept before the swap: published pages depend on them
                save_salts(options.cache, salts)
            site.commit()
        except BaseException:
            site.abort()
            raise
        finally:
            _STATE, _RENDERER = None, None
        # A partial (--client) build keeps what it knew of the other clients' files.
        new_manifest.inputs = {**manifest.inputs, **inputs.seen} if options.clients else inputs.seen
        save_manifest(options.project, options.out, new_manifest, options.cache)
    if not options.preview:  # `reportgen status` reads these instead of loading every client
        # again; also drops the entries of clients protected since (record_summaries)
        record_summaries(options.cache, {k: (status_prints[k], v) for k, v in result.summaries.items()
                                         if k in status_prints}, inputs.seen, keep=config.clients)
    result.seconds = time.perf_counter() - started
    result.stages = stages
    result.infos = infos
    return result


def _build_into(site: StagedSite, options: BuildOptions, config: ProjectConfig, assets: SiteAssets,
                manifest: Manifest, selected: list[Client], unchanged: list[Client],
                fingerprints: dict[str, str], sealers: dict[str, Sealer], cached: dict[str, list | None],
                problems: list[Problem], progress: Callable[[int, int], None] | None,
                stages: dict[str, float], recorded: Manifest) -> tuple[BuildResult, Manifest]:
    global _STATE
    clock = time.perf_counter()
    new = Manifest(site_key=assets.key)
    renderer = SiteRenderer(config, assets)
    for relative, content in sorted(renderer.shared_files().items()):
        # plotly.js is 4.6 MB: an unchanged asset is linked, not written again.
        if not (relative.startswith("assets/") and relative in manifest.shared
                and is_written_file(options.out, relative, manifest.shared_stamps) and site.carry(relative)):
            site.write(relative, content)
    new.shared = sorted(site.written - {".reportgen-site"})

    # Clients nothing changed for: carry their folders over as they are.
    incomplete = set(site.carry_folders({
        c.slug: [f for unit_files in manifest.clients[c.id].files.values() for f in unit_files]
        for c in unchanged}))
    skipped = 0
    for client in list(unchanged):
        entry = manifest.clients[client.id]
        if client.slug in incomplete:  # the previous site lost files: rebuild this client
            unchanged.remove(client)
            continue
        entry.published = publish_state(client)  # same fingerprint: same address and access
        new.clients[client.id] = entry
        skipped += len(entry.pages)
        problems.extend(Problem(path, line, message, "warning")
                        for path, line, message in cached[client.id] or ())

    _STATE = _WorkerState(options, config, assets, site.staging)
    changed = [c for c in selected if c not in unchanged]
    tasks = [ClientTask(c.id, fingerprints[c.id], manifest.clients.get(c.id),
                        sealer=sealers.get(c.id)) for c in changed]
    # Biggest first, so the last process is not left with the longest client.
    tasks.sort(key=lambda t: -len(t.previous.pages) if t.previous else 0)
    outcomes = _run_all(tasks, options.jobs, progress)
    stages["render"] = time.perf_counter() - clock
    for outcome in outcomes:
        problems.extend(outcome.problems)
    warnings = _raise_if_failed(problems, options.strict)
    clock = time.perf_counter()
    pdfs = print_jobs(site.staging, [job for o in outcomes for job in o.pdfs], options.jobs)
    if options.pdf:
        stages["pdf"] = time.perf_counter() - clock

    clock = time.perf_counter()
    written = skipped_pages = 0
    summaries: dict[str, dict] = {}
    for outcome in outcomes:
        if outcome.status is not None:
            summaries[outcome.client_id] = outcome.status
        site.record(outcome.written + outcome.carried)
        assert outcome.entry is not None
        new.clients[outcome.client_id] = outcome.entry
        written += outcome.pages_written
        skipped_pages += outcome.pages_skipped
    if options.clients:  # a partial build keeps every other client's portal
        # Only files the last build wrote, still as it wrote them (build_site has
        # rebuilt every other portal that is not exactly so): the other clients'
        # current folders, and the assets their pages may still refer to.
        chosen = {c.id for c in selected}
        kept_assets = [f for f in recorded.shared if f.startswith("assets/") and f not in site.written
                       and is_written_file(options.out, f, recorded.shared_stamps) and site.carry(f)]
        new.shared = sorted({*new.shared, *kept_assets})
        for client in config.clients:  # a removed client's folder is gone too
            entry = recorded.clients.get(client.id)
            if client.id in chosen or entry is None:
                continue
            for relative in sorted({f for files in entry.files.values() for f in files}):
                site.carry(relative)
            new.clients.setdefault(client.id, entry)
    before = {key for entry in manifest.clients.values() for key in entry.pages}
    after = {key for entry in new.clients.values() for key in entry.pages}
    stages["write"] = time.perf_counter() - clock
    result = BuildResult(
        clients=len(selected),
        reports=sum(_reports(new.clients[c.id]) for c in selected),
        files=len(site.written),
        pages_written=written,
        pages_skipped=skipped + skipped_pages,
        pages_pruned=len(before - after),
        pdfs_written=len(pdfs),
        clients_loaded=len(outcomes),
        warnings=warnings,
        summaries=summaries,
    )
    return result, new


def status_fingerprints(options: BuildOptions, clients: list[Client], inputs: InputDigests
                        ) -> dict[str, str]:
    """The status fingerprint (status.py) of each client this build loads, taken
    before loading it; none for a protected client (its summary is not cached)."""
    until = as_of_month(options.month, options.today)
    prints = {}
    for client in clients:
        if client.access is not None:
            continue
        try:
            files = [path for path, _source in find_data_sources(options.project, client)[0]]
        except (OSError, RuntimeError, ValueError):
            continue
        prints[client.id] = status_fingerprint(options.project, client, files, inputs, until,
                                               options.today)
    return prints


def portal_as_written(out: Path, folder: str, entry: ClientEntry | None) -> bool:
    """`out/folder` is exactly what the last build wrote for this client (or
    absent when it wrote nothing): its recorded files, each unchanged, and
    nothing else."""
    if entry is None:
        return not os.path.lexists(out / folder)
    files = {f for unit_files in entry.files.values() for f in unit_files}
    return set(entry.stamps) == files and tree_as_written(out, folder, entry.stamps)


def _stamp_files(staging: Path, manifest: Manifest) -> None:
    """Record every file of the new site as it is now (cache.file_stamp), so the
    next build carries a file only while it is still this one."""
    def stamps(files: Iterable[str]) -> dict[str, list[int]]:
        found = {f: file_stamp(staging / f) for f in sorted(files)}
        return {f: stamp for f, stamp in found.items() if stamp is not None}

    manifest.shared_stamps = stamps([*manifest.shared, SITE_MARKER])
    for entry in manifest.clients.values():
        entry.stamps = stamps({f for unit_files in entry.files.values() for f in unit_files})


def cached_warnings(entry: ClientEntry, sealer: Sealer | None) -> list | None:
    """The warnings the last build found for a client it did not reload; None
    when they cannot be read back (then the client is loaded again)."""
    if entry.sealed_warnings is None:
        return entry.warnings
    if sealer is None:
        return None
    try:
        return json.loads(sealer.open(entry.sealed_warnings))
    except (SealedError, ValueError, KeyError, TypeError):
        return None


def _reports(entry: ClientEntry) -> int:
    return sum(1 for key in entry.pages if key.endswith("/"))


def _nothing_to_do(options: BuildOptions, manifest: Manifest, selected: list[Client],
                   cached: dict[str, list | None], problems: list[Problem], started: float,
                   stages: dict[str, float]) -> BuildResult:
    for client in selected:
        problems.extend(Problem(path, line, message, "warning")
                        for path, line, message in cached[client.id] or ())
    warnings = _raise_if_failed(problems, options.strict)
    pages = sum(len(manifest.clients[c.id].pages) for c in selected)
    files = 1 + len(manifest.shared) + sum(len(f) for c in selected
                                       for f in manifest.clients[c.id].files.values())
    reports = sum(_reports(manifest.clients[c.id]) for c in selected)
    return BuildResult(clients=len(selected), reports=reports, files=files, pages_skipped=pages,
                       warnings=warnings, seconds=time.perf_counter() - started, stages=stages)
