"""An edit of one client, the others proven unchanged by the no-op summary (noop.py).

The early no-op answers a build when every path its summary recorded is as recorded. A
note edited, one client's CSV corrected: that test fails, and the full way used to plan
every client again — on L, the other 499 clients' fingerprints (their data globbed,
36,000 files stat'd) and the check that their portals are as written (54,000 published
files): most of a one-note edit's 3 s.

Those two are exactly what the summary proves. When every recorded path is as recorded
but inputs and folders read for one client only (its notes, its data files, its own
folders), the other clients are proven unchanged by the same stats the no-op trusts:
their fingerprints, the files they read and their data files are taken as the last build
left them, their portals and the shared files as written (portaledit.py), and only the
edited client is planned the full way. Anything else that differs — an input or folder
read for two clients or for the site (clients.yaml, the theme, a shared data folder), a
build-cache file, a published file, a folder compared by its listing, a killed build's
leftovers, other options — and nothing is proven: the build plans every client.

After such a build (an edit published in place), nooprecord.remember_edit brings the
summary up to date for the edited client, so the next edit or no-op is answered early too.
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .buildoptions import BuildOptions
from .noop import (
    _STATES,
    State,
    cache_state,
    dir_state,
    input_state,
    listing_of,
    listings_as_recorded,
    load_summary,
    published_state,
)

if TYPE_CHECKING:
    from .cache import InputDigests, Manifest
    from .model import Client


@dataclass(frozen=True)
class ProvenEdit:
    """What the summary proves for an edit of one client."""

    edited: str  # the client whose inputs changed
    summary: dict[str, object]  # the summary that proves it (brought up to date after the build)
    files: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # other client → (data files, files read)
    # The output folder and its parent as the summary proved them, by their listings: the
    # edit exchanges the portal with one staged beside the output, which changes both
    # folders' times but, once done, neither listing
    listings: dict[str, tuple[tuple[str, int], ...] | None]


def proven_edit(options: BuildOptions) -> ProvenEdit | None:
    """The edit the summary proves (called under the output lock), or None."""
    if options.clean or options.pdf or options.preview or options.clients:
        return None
    summary = load_summary(options)
    if summary is None:
        return None
    edited = edited_client(summary)
    if edited is None:
        return None
    files = cast(tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], summary["client_files"])
    others = {cid: (found, read) for cid, found, read in files if cid != edited}
    out = str(options.out)  # (spelled as the summary spells it)
    parent = os.path.dirname(os.path.abspath(out))
    return ProvenEdit(edited, summary, others, {out: listing_of(out), parent: listing_of(parent)})


def edited_client(summary: dict[str, object]) -> str | None:
    """The one client whose inputs or folders alone differ from the summary; None when
    anything else differs, or nothing does (then the early no-op answered already)."""
    try:
        if not listings_as_recorded(summary):
            return None
        for name, kind in (("cached", cache_state), ("published", published_state)):
            if _differences(summary, name, kind):
                return None
        edited: set[str] = set()
        for name, kind in (("stat_dirs", dir_state), ("inputs", input_state)):
            owners = cast(tuple[str, ...], summary[name + "_owners"])
            edited.update(owners[at] for at in _differences(summary, name, kind))
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, AssertionError):
        return None  # (a forged summary)
    if len(edited) != 1 or "" in edited:
        return None
    return edited.pop()


def _differences(summary: dict[str, object], name: str, kind: State) -> list[int]:
    """The indexes of a group's paths whose state is not the recorded one (a path gone
    counts as different). One pass of C-level maps, as the early no-op's (a Python call
    per path made this check 1.6x slower on L); path by path only when one is gone."""
    assert name in _STATES
    paths = cast(tuple[str, ...], summary[name + "_paths"])
    states = cast(tuple[object, ...], summary[name])
    if len(paths) != len(states):
        raise ValueError(name)
    lstat = os.lstat
    try:
        differ = map(operator.ne, map(kind, map(lstat, paths)), states)
        return list(itertools.compress(itertools.count(), differ))
    except OSError:
        pass

    def state(path: str) -> object:
        try:
            return kind(lstat(path))
        except OSError:
            return None

    return [at for at, same in enumerate(map(operator.eq, map(state, paths), states)) if not same]


def carried_fingerprints(
    proven: ProvenEdit | None,
    clients: list[Client],
    previous: Manifest,
    rebuild: Collection[str],
    inputs: InputDigests,
    found: dict[str, list[Path]],
    read: dict[str, list[str]],
) -> dict[str, str]:
    """The fingerprints of the clients the summary proves unchanged (client id → the last
    build's), with their data files (`found`), the files their fingerprint read (`read`)
    and those files' digests (kept in `inputs`) as the last build left them."""
    if proven is None:
        return {}
    carried = {}
    for client in clients:
        entry, files = previous.clients.get(client.id), proven.files.get(client.id)
        if entry is None or files is None or client.id in rebuild or client.access is not None:
            continue
        found[client.id] = [Path(path) for path in files[0]]
        read[client.id] = list(files[1])
        for path in files[1]:
            known = inputs.known.get(path)
            if known is not None:
                inputs.seen[path] = known
        carried[client.id] = entry.fingerprint
    return carried
