"""What changed since the last build: fingerprints, and what can be carried over.

Lektor's rule, on two levels. A client whose inputs (its clients.yaml entry,
data files, notes, logo, the theme) have the same content as last time has
the same *fingerprint* and is not even loaded: its folder is carried over
from the previous site as hard links, while every file in it is still the
file the last build wrote (its *stamp*: inode, size, modification time). A
client that is loaded re-renders only the pages whose content digests differ
(workers.py). Nothing here writes: these functions read the project, the
output and the build cache, so a build can plan before it touches anything.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from .assets import SiteAssets
from .audit import Shells, foreign_entries
from .buildoptions import BuildOptions, as_of_month
from .cache import ClientEntry, InputDigests, Manifest, file_stamp, tree_as_written
from .datafiles import find_data_sources
from .digests import digest
from .errors import Problem
from .model import Client, ProjectConfig
from .notes import note_paths
from .output import SITE_MARKER
from .protect import SealedError, Sealer


def client_fingerprint(
    root: Path,
    client: Client,
    site_key: str,
    options: BuildOptions,
    inputs: InputDigests,
    sealer: Sealer | None = None,
    found: dict[str, list[Path]] | None = None,
    read: dict[str, list[str]] | None = None,
) -> str:
    """The same fingerprint means none of the client's inputs changed: its
    clients.yaml entry, the theme (`site_key`), and the content of its data
    files (found exactly as the build finds them), notes and logo.

    Cheap: a file whose stat is unchanged since its digest was taken is not
    read again (InputDigests), so a no-op rebuild of 500 clients is mostly stat
    calls. It never changes for an unchanged file, however recently written.
    `found` keeps the client's data files (for status_fingerprints, moments later),
    `read` the files whose digests it took (the manifest keeps them with the client).
    """
    try:
        sources, problems = find_data_sources(root, client)
    except (OSError, RuntimeError, ValueError):  # reported when the client is loaded
        return f"unreadable data {time.time_ns()}"
    if any(p.severity == "error" for p in problems):  # (a link out of the project added): refused, as clean
        return f"data problems {time.time_ns()}"
    files = [path for path, _source in sources]
    if found is not None:
        found[client.id] = files
    data = sorted(str(path) for path in files)
    remember = client.access is None  # no digest of a protected client's files in the cache
    logo = inputs.signature(client.brand.logo, remember) if client.brand.logo else None
    notes = note_paths(root, client.id)
    if read is not None:
        read[client.id] = [*([str(client.brand.logo)] if client.brand.logo else []), *data, *map(str, notes)]
    # A protected portal: which KEKs (never a cheap hash of a password; see protect.py).
    return digest(
        site_key,
        client,
        logo,
        sealer.identity if sealer else None,
        [inputs.signature(p, remember) for p in data],
        [inputs.signature(p, remember) for p in notes],
        options.drafts,
        options.month,
        options.today,
        *(("pdf",) if options.pdf else ()),
    )


def status_fingerprints(
    options: BuildOptions,
    clients: list[Client],
    inputs: InputDigests,
    found: dict[str, list[Path]] | None = None,
) -> dict[str, str]:
    """The status fingerprint (status.py) of each client this build loads, taken
    before loading it; none for a protected client (its summary is not cached).
    `found`: the data files client_fingerprint found moments ago (else found again)."""
    from .statuscache import status_fingerprint  # (status.py: not needed by a no-op rebuild)

    until = as_of_month(options.month, options.today)
    prints = {}
    for client in clients:
        if client.access is not None:
            continue
        if found is not None and client.id in found:
            files = found[client.id]
        else:
            try:
                files = [path for path, _source in find_data_sources(options.project, client)[0]]
            except (OSError, RuntimeError, ValueError):
                continue
        prints[client.id] = status_fingerprint(options.project, client, files, inputs, until, options.today)
    return prints


def cached_warnings(entry: ClientEntry, sealer: Sealer | None) -> list[Problem] | None:
    """The warnings the last build found for a client it does not reload; None
    when they cannot be read back (then the client is loaded again)."""
    if entry.sealed_warnings is None:
        return _warnings(entry.warnings)
    if sealer is None:
        return None
    try:
        return _warnings(json.loads(sealer.open(entry.sealed_warnings)))
    except (SealedError, ValueError, KeyError, TypeError):
        return None


def _warnings(raw: object) -> list[Problem] | None:
    """[path, line, message] lists as warnings; None for anything else."""
    if not isinstance(raw, list):
        return None
    warnings = []
    for item in raw:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and (item[1] is None or type(item[1]) is int)
            and isinstance(item[2], str)
        ):
            return None
        warnings.append(Problem(item[0], item[1], item[2], "warning"))
    return warnings


def portal_as_written(
    out: Path, folder: str, entry: ClientEntry | None, checked: dict[str, dict[str, list[int]]] | None = None
) -> bool:
    """`out/folder` is exactly what the last build wrote for this client (or
    absent when it wrote nothing): its recorded files, each unchanged, and
    nothing else. A folder found so is noted in `checked` (with the stamps it
    was checked against), for site_as_written."""
    if entry is None:
        return not os.path.lexists(out / folder)
    written = set(entry.stamps) == entry_files(entry) and tree_as_written(out, folder, entry.stamps)
    if written and checked is not None:
        checked[folder] = entry.stamps
    return written


def site_as_written(
    out: Path,
    config: ProjectConfig,
    manifest: Manifest,
    checked: dict[str, dict[str, list[int]]] | None = None,
) -> bool:
    """The whole output is exactly what the last build wrote: its shared files
    and every client's files, each unchanged, and nothing else beside them.
    Portals `checked` moments ago (portal_as_written) against exactly these
    stamps are not walked again."""
    every_file = {
        **manifest.shared_stamps,
        **{f: stamp for e in manifest.clients.values() for f, stamp in e.stamps.items()},
    }
    return (
        bool(manifest.shared)
        and not foreign_entries(out, config, manifest.shared)
        and tree_as_written(out, "", every_file, checked)
    )


def entry_files(entry: ClientEntry) -> set[str]:
    """Every file the last build wrote for a client, whichever page wrote it."""
    return {f for unit_files in entry.files.values() for f in unit_files}


def stamp_files(staging: Path, manifest: Manifest, proven: Collection[str] = ()) -> None:
    """Record every file of the new site as it is now (cache.file_stamp), so the
    next build carries a file only while it is still this one. The clients in
    `proven` keep the stamps they have: every one of their files was just found
    with exactly that stamp (output.sync_folder), or were stamped by the worker
    that staged them."""
    manifest.shared_stamps = file_stamps(staging, [*manifest.shared, SITE_MARKER])
    for client_id, entry in manifest.clients.items():
        if client_id not in proven:
            entry.stamps = file_stamps(staging, entry_files(entry))


def file_stamps(staging: Path, files: Iterable[str]) -> dict[str, list[int]]:
    """The stamp of each of `files` in the staging folder, as it is now (a worker stamps
    its client's files once they are all staged: workers.py)."""
    root = str(staging)  # (strings: a large site has tens of thousands of files)
    found = {f: file_stamp(f"{root}/{f}") for f in sorted(files)}
    return {f: stamp for f, stamp in found.items() if stamp is not None}


def report_count(entry: ClientEntry) -> int:
    """How many monthly reports a client's portal holds (their pages' keys end in '/')."""
    return sum(1 for key in entry.pages if key.endswith("/"))


def lazy_login_shells(
    config: ProjectConfig, assets: SiteAssets, pdf: bool
) -> Callable[[Client, int], Shells]:
    """SiteRenderer.login_shells, with the renderer made on the first call (a build
    with no protected portal never needs one)."""
    made: list[Any] = []

    def shells(client: Client, depth: int) -> Shells:
        if not made:
            from .site import SiteRenderer

            made.append(SiteRenderer(config, assets, pdf=pdf))
        result: Shells = made[0].login_shells(client, depth)
        return result

    return shells


def protected_portal_sealers(clients: list[Client], salts: dict[str, bytes]) -> dict[str, Sealer]:
    """clientload.portal_sealers; none (and nothing imported) without a protected portal."""
    if all(c.access is None for c in clients):
        return {}
    from .clientload import portal_sealers

    return portal_sealers(clients, salts)
