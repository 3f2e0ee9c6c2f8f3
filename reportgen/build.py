"""Plan and run a build: load, validate, compute, render, write — incrementally.

It reads like Zola's `Site::build`, in three steps:

1. `load_project`: the whole configuration is loaded and validated first.
2. `plan_build`: a `BuildPlan` says what the build will do — which clients the
   new site holds, which are unchanged since the last build (incremental.py:
   the same fingerprint, their folder exactly as written; carried over from
   the previous site as hard links, never loaded) and which must be loaded
   and rendered. Planning reads the project, the output and the build cache,
   and writes nothing.
3. Executing the plan: each changed client is a unit of work, done in
   parallel processes (`--jobs`, workers.py), re-rendering only the pages
   whose input digests changed. Every problem of every client is collected;
   if there is any, the staging folder is thrown away and the previous site
   stays exactly as it was. Otherwise the new site is swapped in at once.

The library raises its own errors (errors.py); cli_common.py turns them into
messages and exit codes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .assets import SiteAssets, collect_assets
from .audit import Shells, portals_to_rebuild, publish_state, refuse_unsafe_site
from .buildoptions import BuildOptions, BuildResult, as_of_month, build_date, select_clients
from .cache import (
    InputDigests,
    Manifest,
    forget_manifest,
    is_written_file,
    load_manifest,
    paused_gc,
    save_manifest,
)
from .config import read_project_config
from .datafiles import files_read_twice
from .editproof import ProvenEdit, carried_fingerprints, proven_edit
from .errors import InputError, OutputError, Problem
from .incremental import (
    cached_warnings,
    client_fingerprint,
    entry_files,
    lazy_login_shells,
    portal_as_written,
    protected_portal_sealers,
    report_count,
    site_as_written,
    stamp_files,
    status_fingerprints,
)
from .inputfiles import cache_folder_problem, input_folder_problem
from .model import Client, ProjectConfig
from .nooprecord import remember, remember_edit
from .notes import load_notes, orphan_note_folders
from .output import OutputLock, StagedSite, back_buffer_folders, check_output_dir, remove_stale_staging
from .parsedcache import forget_protected
from .protect import Sealer, load_salts, save_salts

if TYPE_CHECKING:
    from .workers import ClientOutcome, ClientTask, Progress

# What a no-op rebuild does not need is imported where it is used: loading,
# rendering, printing and the workers (Jinja's environment, Markdown, nh3,
# the chart kinds) cost a large agency's no-op a good share of its time.


def __getattr__(name: str) -> Any:
    """`load_client`, re-exported here (see __all__), imported on first use."""
    if name == "load_client":
        from .clientload import load_client

        return load_client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The names other modules (and the tests) import from here.
__all__ = [
    "BuildOptions",
    "BuildPlan",
    "BuildResult",
    "LoadedProject",
    "as_of_month",
    "build_date",
    "build_site",
    "client_fingerprint",
    "load_client",  # noqa: F822 (imported on first use: __getattr__ below)
    "load_project",
    "plan_build",
    "select_clients",
]


# --- 1. load the project ---------------------------------------------------------------------

# Folders of a project (SPEC 2): each must be a folder, or absent.
PROJECT_FOLDERS = ("content", "data", "templates", "assets")


@dataclass(frozen=True)
class LoadedProject:
    """The whole configuration, loaded and validated before any client is."""

    config: ProjectConfig
    selected: list[Client]  # the clients --client and --shard choose
    warnings: list[Problem]  # what loading found (an error has been raised instead)
    assets: SiteAssets


def load_project(options: BuildOptions) -> LoadedProject:
    folder_problems = [
        Problem(name, None, f"{name}/ is {why}")
        for name in PROJECT_FOLDERS
        if (why := input_folder_problem(options.project / name))
    ]
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
    return LoadedProject(config, selected, problems, collect_assets(options.project, config))


def raise_if_failed(problems: list[Problem], strict: bool, infos: bool = True) -> tuple[Problem, ...]:
    """The warnings, sorted; an InputError when there is an error (or, with
    --strict, a warning), holding the info lines too only with `infos` (check's
    report lists its anomalies; a failed build says only what failed it)."""
    warnings = tuple(sorted({p for p in problems if p.severity == "warning"}))
    if any(p.severity == "error" for p in problems) or (strict and warnings):
        raise InputError([p for p in problems if infos or p.severity != "info"])
    return warnings


# --- 2. plan the build -----------------------------------------------------------------------


LoginShells = Callable[[Client, int], Shells]  # client, depth → its login page's shells (audit.py)


@dataclass(frozen=True)
class BuildPlan:
    """What a build will do, decided before it writes anything."""

    options: BuildOptions
    project: LoadedProject
    # The clients this build renders or carries, in clients.yaml's order (a --client build
    # keeps the other portals as the last build wrote them, or plans them here to render again).
    clients: list[Client]
    unchanged: dict[str, list[Problem]]  # client id → its warnings, kept from the last build
    to_render: list[Client]  # loaded, validated and rendered (only their stale pages)
    fingerprints: dict[str, str]  # client id → what its inputs are now (incremental.py)
    # What the last build left that this one may reuse: empty with --clean or
    # when the theme changed, and without the portals rendered afresh.
    previous: Manifest
    recorded: Manifest  # what the last build wrote, file by file (a --client build keeps the rest by it)
    inputs: InputDigests  # content digests of the input files looked at (the cache keeps them)
    sealers: dict[str, Sealer]  # protected portals' keys
    salts: dict[str, bytes]  # every protected portal's salt (new portals get one)
    new_salts: bool  # saved before the new site is swapped in (its pages depend on them)
    status_prints: dict[str, str]  # client id → status fingerprint, for `reportgen status`
    login_shells: LoginShells
    infos: tuple[Problem, ...]  # portals rendered again although unselected, and why
    nothing_to_do: bool  # every portal and shared file is exactly as the last build wrote it
    data_files: dict[str, list[Path]]  # each client's data files, as the fingerprints found them
    read_twice: list[Problem]  # clients that read the same data file (datafiles.files_read_twice)
    checked: dict[str, dict[str, list[int]]]  # portals found as written, by the stamps they were checked with
    # An edit of one client whose other clients the no-op summary proves unchanged (editproof.py)
    proven: ProvenEdit | None = None


def plan_build(options: BuildOptions, project: LoadedProject, proven: ProvenEdit | None = None) -> BuildPlan:
    """The build's plan. Reads the project, the output and the build cache; writes nothing.
    `proven`: the clients the no-op summary proves unchanged are not looked at again."""
    config, assets = project.config, project.assets
    # What the last build wrote into the output, file by file (stamps): nothing
    # else in the output is ever carried into the new site (even with --clean, a
    # --client build keeps the other portals only as they were written).
    recorded = (
        load_manifest(options.project, options.out, options.cache) if options.out.is_dir() else Manifest()
    )
    reusable = Manifest() if options.clean else recorded
    shells = functools.lru_cache(maxsize=None)(lazy_login_shells(config, assets, options.pdf))
    rebuild = _portals_to_render_again(options, project, reusable, recorded, shells)
    clients = project.selected
    if rebuild:
        wanted = {c.id for c in clients} | set(rebuild)
        clients = [c for c in config.clients if c.id in wanted]
    # rendered afresh: none of their old files is reused
    previous = replace(reusable, clients={k: v for k, v in reusable.clients.items() if k not in rebuild})
    if previous.site_key != assets.key:  # theme, labels or agency changed: every page is stale
        previous = Manifest(inputs=previous.inputs, stored=previous.stored)
    inputs = InputDigests(previous.inputs)
    salts = load_salts(options.cache) if not options.preview else {}  # a preview seals nothing
    known_salts = dict(salts)
    sealers = protected_portal_sealers(clients, salts) if not options.preview else {}
    found: dict[str, list[Path]] = {}  # each client's data files, found once for both fingerprints
    read = previous.client_inputs = {}  # the files each fingerprint read (kept with its manifest entry)
    carried = carried_fingerprints(proven, clients, previous, rebuild, inputs, found, read)
    fingerprints = {
        c.id: carried.get(c.id)
        or client_fingerprint(options.project, c, assets.key, options, inputs, sealers.get(c.id), found, read)
        for c in clients
    }
    checked: dict[str, dict[str, list[int]]] = {}  # portals found as written (not walked twice)
    unchanged = _unchanged_clients(
        options, clients, previous, rebuild, fingerprints, sealers, checked, proven=carried
    )
    to_render = [c for c in clients if c.id not in unchanged]
    everyone_kept = set(previous.clients) == {c.id for c in clients} or bool(options.clients)
    nothing_to_do = (
        not to_render
        and everyone_kept
        and not options.clean
        and site_as_written(options.out, config, previous, checked)
    )
    return BuildPlan(
        options=options,
        project=project,
        clients=clients,
        unchanged=unchanged,
        to_render=to_render,
        fingerprints=fingerprints,
        previous=previous,
        recorded=recorded,
        inputs=inputs,
        sealers=sealers,
        salts=salts,
        new_salts=salts != known_salts,
        status_prints={}
        if options.preview or nothing_to_do
        else status_fingerprints(options, to_render, inputs, found),
        login_shells=shells,
        infos=tuple(
            Problem("clients.yaml", c.line, f"client '{c.id}' is rendered again: {rebuild[c.id]}", "info")
            for c in clients
            if c.id in rebuild
        ),
        nothing_to_do=nothing_to_do,
        data_files=found,
        read_twice=files_read_twice(clients, found, options.project),
        checked=checked,
        proven=proven if proven is not None and len(carried) == len(clients) - 1 else None,
    )


def _portals_to_render_again(
    options: BuildOptions, project: LoadedProject, reusable: Manifest, recorded: Manifest, shells: LoginShells
) -> dict[str, str]:
    """Portals (client id → why) that cannot be carried over as they are: every
    portal the new site keeps gets its current address and protection (audit.py);
    `serve`'s preview is never published and shows protected portals unsealed."""
    if options.preview:
        return {}
    config, selected = project.config, project.selected
    chosen = {c.id for c in selected}
    rebuild = portals_to_rebuild(options.out, config, selected, reusable, bool(options.clients), shells)
    if not options.clients:  # a shard keeps no other portal: nothing outside it to render
        return {client_id: why for client_id, why in rebuild.items() if client_id in chosen}
    for client in config.clients:  # the other portals are kept only exactly as the last build wrote them
        if (
            client.id not in chosen
            and client.id not in rebuild
            and not portal_as_written(options.out, client.slug, recorded.clients.get(client.id))
        ):
            rebuild[client.id] = (
                "its portal holds files the last build did not write there"
                if client.id in recorded.clients
                else "the build cache has no record of its portal (a deleted cache?)"
            )
    outside = {client_id: why for client_id, why in rebuild.items() if client_id not in chosen}
    if outside and (options.month not in (None, "latest") or options.drafts):
        # A portal this --client build must render again although nobody selected it
        # is rendered as a plain build would (latest month, no drafts); never with
        # this run's --month or --drafts, which would publish another client's
        # drafts or take months off its portal.
        raise InputError(
            [
                Problem(
                    "clients.yaml",
                    c.line,
                    (
                        f"client '{c.id}': {outside[c.id]}, so this --client build would have to render it "
                        "again, but not with --month/--drafts meant for other clients: build it on its own "
                        f"first (--client {c.id}, with the options of your scheduled build) or build every "
                        "client"
                    ),
                )
                for c in config.clients
                if c.id in outside
            ]
        )
    return rebuild


def _unchanged_clients(
    options: BuildOptions,
    clients: list[Client],
    previous: Manifest,
    rebuild: dict[str, str],
    fingerprints: dict[str, str],
    sealers: dict[str, Sealer],
    checked: dict[str, dict[str, list[int]]],
    proven: Collection[str] = (),
) -> dict[str, list[Problem]]:
    """Clients nothing changed for (id → the warnings the last build found): the
    same fingerprint, warnings that can be read back, and a folder in the output
    exactly as the last build wrote it (a file put into, or edited in, its portal
    since: loaded, and only the pages the last build wrote are carried), or in the
    back buffer (checked file by file as it is synced: output.sync_folder), or `proven` so
    by the no-op summary (editproof.py)."""
    unchanged, backed = {}, back_buffer_folders(options.out)
    for client in clients:
        entry = previous.clients.get(client.id)
        if entry is None or client.id in rebuild or entry.fingerprint != fingerprints[client.id]:
            continue
        warnings = cached_warnings(entry, sealers.get(client.id))
        out, slug = options.out, client.slug
        if warnings is not None and (
            client.id in proven or slug in backed or portal_as_written(out, slug, entry, checked)
        ):
            unchanged[client.id] = warnings
    return unchanged


# --- 3. build: execute the plan --------------------------------------------------------------


def build_site(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    started, began_ns = time.perf_counter(), time.time_ns()
    check_output_dir(options.out, options.project)
    if (problem := cache_folder_problem(options.cache)) is not None:
        raise OutputError(problem)
    if options.pdf:
        from .pdf import check_available

        check_available()  # before any work: no browser, no build
    with paused_gc():  # (what loading and planning make lives on: nothing to collect)
        project = load_project(options)
    forget_protected(options.cache, project.config.clients)  # at once: parsed before it was protected
    with OutputLock(options.out):
        remove_stale_staging(options.out)
        with paused_gc():
            plan = plan_build(options, project, proven_edit(options))
        stages = {"load": time.perf_counter() - started}
        if plan.nothing_to_do:
            result = _site_unchanged(plan, started, stages)
        else:
            edit = _publish_edit(plan, progress, stages)
            result = edit[0] if edit is not None else _execute(plan, progress, stages)
            if not options.preview:  # `reportgen status` reads these instead of loading every client
                from .statuscache import record_build

                record_build(plan, result)
            if edit is not None and plan.proven is not None:  # (under the lock: nothing changes it)
                remember_edit(plan, began_ns, edit[1])  # the next no-op's or edit's proof, brought up to date
    if plan.nothing_to_do:
        remember(plan, began_ns, result)  # the next no-op's answer, when it can be proved (noop.py)
        return result
    result.seconds = time.perf_counter() - started
    result.stages = stages
    result.infos = plan.infos
    if edit is None or plan.proven is None:
        remember(plan, began_ns)
    return result


def _site_unchanged(plan: BuildPlan, started: float, stages: dict[str, float]) -> BuildResult:
    """Nothing to write: the summary of the site as it is (and its warnings again)."""
    options, previous = plan.options, plan.previous
    if any(previous.inputs.get(k) != v for k, v in plan.inputs.seen.items()):
        # files that were too recent to trust by their stat have settled
        settled = replace(previous, inputs={**previous.inputs, **plan.inputs.seen})
        save_manifest(options.project, options.out, settled, options.cache)
    result = unchanged_result(plan)
    result.seconds, result.stages = time.perf_counter() - started, stages
    return result


def unchanged_result(plan: BuildPlan) -> BuildResult:
    """What a build that finds nothing to do answers (its seconds and stages aside)."""
    previous = plan.previous
    problems = [
        *plan.project.warnings,
        *plan.read_twice,
        *(w for c in plan.clients for w in plan.unchanged[c.id]),
    ]
    warnings = raise_if_failed(problems, plan.options.strict)
    entries = [previous.clients[c.id] for c in plan.clients]
    files = 1 + len(previous.shared) + sum(len(f) for e in entries for f in e.files.values())
    return BuildResult(
        clients=len(plan.clients),
        reports=sum(report_count(e) for e in entries),
        files=files,
        pages_skipped=sum(len(e.pages) for e in entries),
        warnings=warnings,
    )


def _publish_edit(
    plan: BuildPlan, progress: Progress | None, stages: dict[str, float]
) -> tuple[BuildResult, Manifest] | None:
    """An edit of one portal, published in place (portaledit.py), with the manifest saved;
    None when the whole site is built."""
    from .portaledit import edited_portal, publish_edited_portal

    edited = edited_portal(plan)
    return None if edited is None else publish_edited_portal(plan, edited, progress, stages)


def _execute(plan: BuildPlan, progress: Progress | None, stages: dict[str, float]) -> BuildResult:
    """Stage the new site, check it is safe to publish, swap it in, save the cache."""
    options = plan.options
    # double-buffered: the folders to carry may already be in the back buffer
    site = StagedSite(options.out, keep=sorted(c.slug for c in plan.clients if c.id in plan.unchanged))
    try:
        result, manifest, stamped = _build_into(site, plan, progress, stages)
        proven = {c.id for c in plan.clients if c.slug in site.proven and c.id in plan.unchanged} | stamped
        stamp_files(site.staging, manifest, proven)
        if not options.preview:  # the safety net: nothing that breaks a portal's protection goes out
            refuse_unsafe_site(
                site.staging,
                plan.project.config,
                plan.project.assets,
                manifest.shared,
                str(options.out),
                plan.login_shells,
            )
        forget_manifest(options.project, options.out, options.cache)
        if plan.new_salts:  # kept before the swap: published pages depend on them
            save_salts(options.cache, plan.salts)
        site.commit()
    except BaseException:
        site.abort()
        raise
    # (a partial, --client, build keeps what it knew of the other clients' files)
    manifest.inputs = {**plan.previous.inputs, **plan.inputs.seen} if options.clients else plan.inputs.seen
    manifest.client_inputs, manifest.stored = plan.previous.client_inputs, plan.recorded.stored  # on disk
    save_manifest(options.project, options.out, manifest, options.cache)
    return result


def _build_into(
    site: StagedSite, plan: BuildPlan, progress: Progress | None, stages: dict[str, float]
) -> tuple[BuildResult, Manifest, set[str]]:
    """Every file of the new site into staging; the result, the manifest, the clients stamped."""
    from .pdf import print_jobs
    from .workers import WorkerSetup, run_tasks

    options = plan.options
    clock = time.perf_counter()
    manifest = Manifest(site_key=plan.project.assets.key, shared=_stage_shared_files(site, plan))
    problems = [*plan.project.warnings, *plan.read_twice]
    carried = _carry_unchanged(site, plan, manifest, problems)
    outcomes = run_tasks(
        WorkerSetup(options, plan.project.config, plan.project.assets, site.staging, plan.inputs.seen),
        _client_tasks(plan, carried),
        options.jobs,
        progress,
    )
    stages["render"] = time.perf_counter() - clock
    for outcome in outcomes:
        problems.extend(outcome.problems)
    warnings = raise_if_failed(problems, options.strict, infos=False)
    clock = time.perf_counter()
    pdfs = print_jobs(site.staging, [job for o in outcomes for job in o.pdfs], options.jobs)
    if options.pdf:
        stages["pdf"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _record_outcomes(site, outcomes, manifest)
    if options.clients:  # a partial build keeps every other client's portal
        _keep_other_portals(site, plan, manifest)
    before = {key for entry in plan.previous.clients.values() for key in entry.pages}
    after = {key for entry in manifest.clients.values() for key in entry.pages}
    stages["write"] = time.perf_counter() - clock
    result = BuildResult(
        clients=len(plan.clients),
        reports=sum(report_count(manifest.clients[c.id]) for c in plan.clients),
        files=len(site.written),
        pages_written=sum(o.pages_written for o in outcomes),
        pages_skipped=sum(len(manifest.clients[c].pages) for c in carried)
        + sum(o.pages_skipped for o in outcomes),
        pages_pruned=len(before - after),
        pdfs_written=len(pdfs),
        clients_loaded=len(outcomes),
        warnings=warnings,
        summaries={o.client_id: o.status for o in outcomes if o.status is not None},
    )
    return result, manifest, {o.client_id for o in outcomes if o.stamped}


def _stage_shared_files(site: StagedSite, plan: BuildPlan) -> list[str]:
    """The files every site has (assets, the landing page); the shared files staged."""
    from .site import SiteRenderer

    previous, out = plan.previous, plan.options.out
    renderer = SiteRenderer(plan.project.config, plan.project.assets)
    for relative, content in sorted(renderer.shared_files().items()):
        # plotly.js is 4.6 MB: an unchanged asset is linked, not written again.
        if not (
            relative.startswith("assets/")
            and relative in previous.shared
            and is_written_file(out, relative, previous.shared_stamps)
            and site.carry(relative)
        ):
            site.write(relative, content)
    return sorted(site.written - {".reportgen-site"})


def _carry_unchanged(
    site: StagedSite, plan: BuildPlan, manifest: Manifest, problems: list[Problem]
) -> list[str]:
    """Clients nothing changed for: their folders carried over as they are, their
    warnings reported again. The ids carried; a client whose folder the previous
    site no longer holds complete is rendered instead."""
    unchanged = [c for c in plan.clients if c.id in plan.unchanged]
    entries = [plan.previous.clients[c.id] for c in unchanged]
    incomplete = set(
        site.carry_folders(
            {
                c.slug: [f for unit_files in e.files.values() for f in unit_files]
                for c, e in zip(unchanged, entries, strict=True)
            },
            {f: stamp for e in entries for f, stamp in e.stamps.items()},  # as unchanged_clients found them
        )
    )
    carried = []
    for client in unchanged:
        if client.slug in incomplete:
            continue
        # same fingerprint: same address and access
        manifest.clients[client.id] = replace(
            plan.previous.clients[client.id], published=publish_state(client)
        )
        problems.extend(plan.unchanged[client.id])
        carried.append(client.id)
    return carried


def _client_tasks(plan: BuildPlan, carried: list[str]) -> list[ClientTask]:
    """A task for every client not carried over, biggest first (so the last
    process is not left with the longest client)."""
    from .workers import ClientTask

    tasks = [
        ClientTask(
            c.id, plan.fingerprints[c.id], plan.previous.clients.get(c.id), sealer=plan.sealers.get(c.id)
        )
        for c in plan.clients
        if c.id not in carried
    ]
    tasks.sort(key=lambda t: -len(t.previous.pages) if t.previous else 0)
    return tasks


def _record_outcomes(site: StagedSite, outcomes: list[ClientOutcome], manifest: Manifest) -> None:
    """The files the workers wrote or carried, claimed in the site; their cache entries."""
    for outcome in outcomes:
        site.record(outcome.written + outcome.carried)
        assert outcome.entry is not None  # an outcome without one had an error: raised above
        manifest.clients[outcome.client_id] = outcome.entry


def _keep_other_portals(site: StagedSite, plan: BuildPlan, manifest: Manifest) -> None:
    """A --client build keeps the other clients' portals: only files the last
    build wrote, still as it wrote them (plan_build has planned every other
    portal that is not exactly so for rendering): their current folders, and
    the assets their pages may still refer to. A removed client's folder is gone."""
    recorded, out = plan.recorded, plan.options.out
    chosen = {c.id for c in plan.clients}
    kept_assets = [
        f
        for f in recorded.shared
        if f.startswith("assets/")
        and f not in site.written
        and is_written_file(out, f, recorded.shared_stamps)
        and site.carry(f)
    ]
    manifest.shared = sorted({*manifest.shared, *kept_assets})
    for client in plan.project.config.clients:
        entry = recorded.clients.get(client.id)
        if client.id in chosen or entry is None:
            continue
        for relative in sorted(entry_files(entry)):
            site.carry(relative)
        manifest.clients.setdefault(client.id, entry)
