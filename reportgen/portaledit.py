"""Publishing an edit of one portal in place: the build that changes one client's folder.

A note edited, one client's CSV corrected: the new site differs from the published one in
that client's folder only. The whole-site build still stages a complete site to swap it in
(on L, 54,500 files hard-linked into a new staging folder, or a back buffer synced file by
file). This path stages only the changed client's folder and exchanges it with the published
one — one atomic `renameat2(RENAME_EXCHANGE)`, as the whole site's swap, so a reader or a
killed build sees the old portal or the new one, never a mix — and leaves every other file of
the site where it is.

Taken only when it publishes exactly what the whole-site build would (else None, and the
caller builds the whole site):

- a plain build or serve's preview (no --clean, --pdf, --client) that renders one client, whose
  folder the last build wrote, at the same address and protection, with no new portal key;
- every other client unchanged (same fingerprint: carried whole by the other path too) and
  none added or removed;
- the published site exactly as the last build wrote it — its shared files and every
  portal, each file as stamped, nothing else beside them (the no-op's proof,
  incremental.site_as_written), so what stays in place is what would have been carried;
- the shared files (landing page, assets, headers) byte for byte what this build renders.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from .audit import publish_state, refuse_unsafe_site
from .build import raise_if_failed
from .buildoptions import BuildResult
from .cache import ClientEntry, Manifest, forget_manifest, save_manifest
from .incremental import entry_files, file_stamps, report_count, site_as_written
from .model import Client
from .output import new_staging_folder, publish_portal, remove_tree

if TYPE_CHECKING:
    from .build import BuildPlan
    from .workers import Progress


def edited_portal(plan: BuildPlan) -> Client | None:
    """The one client whose folder this build changes, when the edit can be published in
    place (the conditions in the module's docstring); None otherwise."""
    options, previous = plan.options, plan.previous
    if options.clean or options.pdf or options.clients or plan.new_salts:  # (serve's preview: too)
        return None
    if len(plan.to_render) != 1 or set(previous.clients) != {c.id for c in plan.clients}:
        return None
    edited = plan.to_render[0]
    if any(c.id not in plan.unchanged for c in plan.clients if c is not edited):
        return None
    if any(previous.clients[c.id].published != publish_state(c) for c in plan.clients):
        return None  # (an address or a protection changed: portals_to_rebuild has a reason)
    if plan.proven is not None and plan.proven.edited == edited.id:
        return edited  # (the no-op summary proves the site as written and the shared files' inputs)
    if not site_as_written(options.out, plan.project.config, previous, plan.checked):
        return None
    return edited if _shared_files_unchanged(plan) else None


def _shared_files_unchanged(plan: BuildPlan) -> bool:
    """The published shared files are, byte for byte, the ones this build renders (they were
    just found as the last build wrote them: site_as_written)."""
    from .site import SiteRenderer

    rendered = SiteRenderer(plan.project.config, plan.project.assets).shared_files()
    if set(rendered) != set(plan.previous.shared):
        return False
    out = plan.options.out
    for relative, content in rendered.items():
        try:
            if (out / relative).read_bytes() != content:
                return False
        except OSError:
            return False
    return True


def publish_edited_portal(
    plan: BuildPlan, edited: Client, progress: Progress | None, stages: dict[str, float]
) -> tuple[BuildResult, Manifest]:
    """Render the edited client's stale pages into a staging folder of its own (its other pages
    linked from the published site, as a whole build links them), check it is safe to
    publish, and exchange it with its published folder. Nothing is published on an error."""
    from .workers import ClientTask, WorkerSetup, run_tasks

    options, previous, config = plan.options, plan.previous, plan.project.config
    clock = time.perf_counter()
    staging = new_staging_folder(options.out)
    try:
        task = ClientTask(
            edited.id,
            plan.fingerprints[edited.id],
            previous.clients[edited.id],
            sealer=plan.sealers.get(edited.id),
        )
        setup = WorkerSetup(options, config, plan.project.assets, staging, plan.inputs.seen)
        (outcome,) = run_tasks(setup, [task], 1, progress)
        stages["render"] = time.perf_counter() - clock
        clock = time.perf_counter()
        problems = [*plan.project.warnings, *plan.read_twice]  # (in a whole build's order)
        problems += [w for c in plan.clients if c is not edited for w in plan.unchanged[c.id]]
        problems += outcome.problems
        warnings = raise_if_failed(problems, options.strict, infos=False)
        assert outcome.entry is not None  # (an outcome without one had an error: raised above)
        manifest = _manifest_after(plan, edited, outcome.entry)
        if not outcome.stamped:
            outcome.entry.stamps = file_stamps(staging, entry_files(outcome.entry))
        if not options.preview:  # (as the whole build: serve's preview shows protected portals unsealed)
            refuse_unsafe_site(
                staging, config, plan.project.assets, manifest.shared, str(options.out), plan.login_shells
            )
        forget_manifest(options.project, options.out, options.cache)
        publish_portal(options.out, staging, edited.slug)
    finally:
        remove_tree(staging)  # (after the exchange: the old portal)
    manifest.inputs = plan.inputs.seen
    manifest.client_inputs, manifest.stored = previous.client_inputs, plan.recorded.stored
    save_manifest(options.project, options.out, manifest, options.cache)
    stages["write"] = time.perf_counter() - clock
    before = {key for entry in previous.clients.values() for key in entry.pages}
    after = {key for entry in manifest.clients.values() for key in entry.pages}
    entries = [manifest.clients[c.id] for c in plan.clients]
    result = BuildResult(
        clients=len(plan.clients),
        reports=sum(report_count(e) for e in entries),
        files=1 + len(manifest.shared) + sum(len(entry_files(e)) for e in entries),  # (with the marker)
        pages_written=outcome.pages_written,
        pages_skipped=sum(len(manifest.clients[c.id].pages) for c in plan.clients if c is not edited)
        + outcome.pages_skipped,
        pages_pruned=len(before - after),
        clients_loaded=1,
        warnings=warnings,
        summaries={outcome.client_id: outcome.status} if outcome.status is not None else {},
    )
    return result, manifest


def _manifest_after(plan: BuildPlan, edited: Client, entry: ClientEntry) -> Manifest:
    """The manifest a whole build would save: the shared files and the other portals as they
    are (the same files, so the same stamps), the edited client's new entry."""
    previous = plan.previous
    clients = {
        c.id: entry if c is edited else replace(previous.clients[c.id], published=publish_state(c))
        for c in plan.clients
    }
    return Manifest(
        site_key=plan.project.assets.key,
        shared=list(previous.shared),
        clients=clients,
        shared_stamps=dict(previous.shared_stamps),
    )
