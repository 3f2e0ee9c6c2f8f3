"""The status cache: each client's summary (status.py), kept between runs.

The build stores the summary of every unprotected client it loads in the
project's cache (`.reportgen-cache/status/`, one file per client) under the
client's *status fingerprint* (its clients.yaml entry and the content of its
data files and notes, the as-of month and today), so `reportgen status` on a
warm cache reads no CSV: it recomputes only the clients whose fingerprint
changed (agency.py). One file per client: a build that loads one client reads
and writes only that client's file, whatever the agency's size. A stored
summary is checked against its shape on every read; a protected client's
summary is never stored, and a client's file goes as soon as it is protected
or removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import DigestEntry, InputDigests
from .codeid import code_identity
from .inputfiles import ignore_cache_in_git, keep_only, read_cache_file, real_cache_folder, write_whole
from .model import Client, Month
from .notes import note_paths
from .status import Summary

if TYPE_CHECKING:
    from .build import BuildPlan
    from .buildoptions import BuildResult

STATUS_FOLDER = "status"
LEGACY_FILE = "status.json"  # the whole agency in one file (earlier versions): removed when seen
FORMAT = "reportgen-status/2"
NOTE_STATES = ("missing", "draft", "final_without_summary", "final", "not_due")

# A client's entry: {"fingerprint": its status fingerprint, "summary": its summary}.
CacheEntry = dict[str, Any]
# A JSON object's shape: each key → its type(s), or the set of strings it may be.
Shape = dict[str, type | tuple[type, ...] | frozenset[str]]


def status_fingerprint(
    root: Path,
    client: Client,
    data_files: Iterable[Path],
    inputs: InputDigests,
    until: Month | None,
    today: dt.date,
    files: list[str] | None = None,
) -> str:
    """The client's clients.yaml entry, the content of its data files and notes
    (by InputDigests: a file whose stat is unchanged is not read), the as-of month
    and today: the same fingerprint means the same summary. `files`: status_inputs,
    when the caller has them already."""
    files = status_inputs(root, client, data_files) if files is None else files
    remember = client.access is None
    parts = [
        FORMAT,
        code_identity(),
        repr(client),
        str(until or "latest"),
        today.isoformat(),
        *(repr(inputs.signature(p, remember)) for p in files),
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def status_inputs(root: Path, client: Client, data_files: Iterable[Path]) -> list[str]:
    """The files a client's status fingerprint reads (data files, then notes): the
    digests its cache file keeps."""
    return [*sorted(str(p) for p in data_files), *(str(p) for p in note_paths(root, client.id))]


@dataclass
class StatusCache:
    clients: dict[str, CacheEntry] = field(default_factory=dict)
    inputs: dict[str, DigestEntry] = field(default_factory=dict)  # InputDigests.known


# The shape of a stored summary, checked on every read: a hand-edited or damaged entry
# (a budget of "x", kpis of null) is dropped and the client summarized afresh, never a
# traceback. The cache is trusted like the project's own files (whoever can write it can
# write clients.yaml and the data too); an entry must still name the client it is stored for.
_NUM = (int, float, type(None))
_STR = (str, type(None))
_KPI_SHAPE: Shape = {
    "metric": str,
    "label": str,
    "unit": str,
    "better": str,
    "value": _NUM,
    "target": _NUM,
    "projected": _NUM,
    "pct_of_target": _NUM,
    "status": str,
}
_BUDGET_SHAPE: Shape = {"budget": _NUM, "spent": _NUM, "expected_by_now": _NUM, "status": str, "delta": _NUM}
_STEP_SHAPE: Shape = {
    "task": str,
    "owner": _STR,
    "due": _STR,
    "state": frozenset({"open", "done", "overdue"}),
    "first_month": str,
    "last_month": str,
}
_SOURCE_SHAPE: Shape = {"data": str, "last_date": _STR, "missing": bool, "stale": bool}
_SPIKE_SHAPE: Shape = {
    "metric": str,
    "label": str,
    "unit": str,
    "date": str,
    "value": (int, float),
    "median": (int, float),
    "score": (int, float),
    "direction": str,
}
_GAP_SHAPE: Shape = {"campaign": str, "last_date": str, "days": int}
_HISTORY_SHAPE: Shape = {"month": str, "has_data": bool, "spend": _NUM, "budget": _NUM, "kpis": list}
_HISTORY_KPI_SHAPE: Shape = {"value": _NUM, "status": str, "pct_of_target": _NUM}
_SUMMARY_SHAPE: Shape = {
    "id": str,
    "name": str,
    "slug": str,
    "account_executive": str,
    "ae_email": _STR,
    "currency": str,
    "locale": str,
    "protected": bool,
    "month": _STR,
    "today": str,
    "partial": bool,
    "kpis": list,
    "budget": (dict, type(None)),
    "note": frozenset(NOTE_STATES),
    "steps": list,
    "history": list,
    "sources": list,
    "data_through": _STR,
    "spikes": list,
    "gaps": list,
    "report": bool,
}


def _fits(value: object, shape: Shape) -> bool:
    if not isinstance(value, dict) or set(value) != set(shape):
        return False
    for key, kind in shape.items():
        item = value[key]
        if isinstance(kind, frozenset):
            if not isinstance(item, str) or item not in kind:
                return False
        elif (
            isinstance(item, bool)
            and kind is not bool
            and bool not in (kind if isinstance(kind, tuple) else (kind,))
        ):
            return False  # a bool is an int to isinstance: not a number here
        elif not isinstance(item, kind) or (isinstance(item, float) and not math.isfinite(item)):
            return False
    return True


def valid_summary(summary: object, client: Client | None = None) -> bool:
    """A stored summary of the right shape (status_row and the overview read it without
    a check), every month and date well formed; with `client`, one that names that
    client as clients.yaml does now."""
    if not _fits(summary, _SUMMARY_SHAPE):
        return False
    assert isinstance(summary, dict)
    try:
        months = [summary["month"]] if summary["month"] is not None else []
        months += [h["month"] for h in summary["history"] if isinstance(h, dict)]
        for text in months:
            Month.parse(text)
        dt.date.fromisoformat(summary["today"])
        if summary["data_through"] is not None:
            dt.date.fromisoformat(summary["data_through"])
        for step in summary["steps"]:
            if not _fits(step, _STEP_SHAPE):
                return False
            if step["due"] is not None:
                dt.date.fromisoformat(step["due"])
        for spike in summary["spikes"]:
            if not _fits(spike, _SPIKE_SHAPE):
                return False
            dt.date.fromisoformat(spike["date"])
        for gap in summary["gaps"]:
            if not _fits(gap, _GAP_SHAPE):
                return False
            dt.date.fromisoformat(gap["last_date"])
        for source in summary["sources"]:
            if not _fits(source, _SOURCE_SHAPE):
                return False
            if source["last_date"] is not None:
                dt.date.fromisoformat(source["last_date"])
    except (ValueError, TypeError, AttributeError):
        return False
    if not all(_fits(k, _KPI_SHAPE) for k in summary["kpis"]):
        return False
    if summary["budget"] is not None and not _fits(summary["budget"], _BUDGET_SHAPE):
        return False
    for entry in summary["history"]:
        if (
            not _fits(entry, _HISTORY_SHAPE)
            or len(entry["kpis"]) > len(summary["kpis"])
            or not all(_fits(k, _HISTORY_KPI_SHAPE) for k in entry["kpis"])
        ):
            return False
    return client is None or (
        summary["id"],
        summary["name"],
        summary["slug"],
        summary["account_executive"],
        summary["ae_email"],
        summary["currency"],
        summary["locale"],
        summary["protected"],
    ) == (
        client.id,
        client.name,
        client.slug,
        client.account_executive.name,
        client.account_executive.email,
        client.currency,
        client.locale,
        client.access is not None,
    )


def status_file(cache_dir: Path, client_id: str) -> Path:
    """The client's file (named by a digest of its id: any id is a safe file name)."""
    name = hashlib.sha256(client_id.encode()).hexdigest()[:24]
    return cache_dir / STATUS_FOLDER / f"{name}.json"


def _load_entry(cache_dir: Path, client_id: str) -> tuple[CacheEntry, dict[str, DigestEntry]] | None:
    """A client's stored entry and file digests; None when absent, corrupt, of
    another version or another client, or of the wrong shape (valid_summary)."""
    try:
        raw = json.loads(read_cache_file(status_file(cache_dir, client_id)).decode("utf-8"))
        if (
            raw.get("format") != FORMAT
            or raw.get("version") != code_identity()
            or raw.get("id") != client_id
            or not isinstance(raw.get("fingerprint"), str)
            or not valid_summary(raw.get("summary"))
            or raw["summary"]["id"] != client_id
        ):
            return None
        inputs = {str(k): list(v) for k, v in raw["inputs"].items() if isinstance(v, list) and len(v) == 5}
        return {"fingerprint": raw["fingerprint"], "summary": dict(raw["summary"])}, inputs
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load_status_cache(cache_dir: Path, clients: Iterable[str]) -> StatusCache:
    """The stored summaries of `clients` (ids); an entry that is absent, corrupt, of
    another version or not of the right shape (valid_summary) is left out."""
    cache = StatusCache()
    if not real_cache_folder(cache_dir / STATUS_FOLDER):
        return cache
    for client_id in clients:
        found = _load_entry(cache_dir, client_id)
        if found is not None:
            cache.clients[client_id] = found[0]
            cache.inputs.update(found[1])
    return cache


def _save_entry(cache_dir: Path, client_id: str, entry: CacheEntry, inputs: dict[str, DigestEntry]) -> None:
    """Write one client's file (atomically); a cache that cannot be written is only
    slower next time. Never written through a link."""
    folder = cache_dir / STATUS_FOLDER
    try:
        if not os.path.lexists(folder):
            cache_dir.mkdir(parents=True, exist_ok=True)
            ignore_cache_in_git(cache_dir)
            folder.mkdir(exist_ok=True)
    except OSError:
        return
    if not real_cache_folder(folder):
        return
    data = {
        "format": FORMAT,
        "version": code_identity(),
        "id": client_id,
        "fingerprint": entry["fingerprint"],
        "summary": entry["summary"],
        "inputs": dict(sorted(inputs.items())),
    }
    path = status_file(cache_dir, client_id)
    with contextlib.suppress(OSError, ValueError):
        write_whole(path, json.dumps(data, separators=(",", ":"), allow_nan=False).encode("utf-8"))


def forget_status_files(cache_dir: Path, clients: Iterable[Client]) -> None:
    """Keep only the files of clients in clients.yaml that are not protected (and no
    file a killed run left half written); the whole-agency file of earlier versions
    goes too (it may hold a client protected since)."""
    with contextlib.suppress(OSError):
        os.unlink(cache_dir / LEGACY_FILE)
    folder = cache_dir / STATUS_FOLDER
    wanted = {status_file(cache_dir, c.id).name for c in clients if c.access is None}
    if os.path.islink(folder):  # (never followed: the link itself goes)
        with contextlib.suppress(OSError):
            os.unlink(folder)
    keep_only(folder, wanted)


def save_status_cache(
    cache_dir: Path, cache: StatusCache, clients: Iterable[Client], paths: dict[str, list[str]]
) -> None:
    """Write the entries of `cache` for the clients in `paths` (id → the files its
    fingerprint read: their digests are kept with it), then drop the files of clients
    that are gone or protected now."""
    clients = list(clients)
    wanted = cacheable_ids(clients)
    for client_id, files in sorted(paths.items()):
        entry = cache.clients.get(client_id)
        if client_id in wanted and entry is not None and entry["summary"].get("protected") is False:
            digests = {f: cache.inputs[f] for f in files if f in cache.inputs}
            _save_entry(cache_dir, client_id, entry, digests)
    forget_status_files(cache_dir, clients)


def cacheable_ids(clients: Iterable[Client]) -> set[str]:
    """The clients whose summary the status cache may hold: the unprotected ones
    (a client protected since it was cached loses its entry at the next read or write)."""
    return {c.id for c in clients if c.access is None}


def record_build(plan: BuildPlan, result: BuildResult) -> None:
    """After a build that rendered clients: their summaries, under their status fingerprints."""
    prints, seen, read = plan.status_prints, plan.inputs.seen, plan.previous.client_inputs
    record_summaries(plan.options.cache, prints, result.summaries, seen, plan.project.config.clients, read)


def record_summaries(
    cache_dir: Path,
    prints: dict[str, str],
    summaries: dict[str, Summary],
    inputs: dict[str, DigestEntry],
    keep: Iterable[Client],
    paths: dict[str, list[str]],
) -> None:
    """After a build: store the summaries it computed (id → summary) under their
    status fingerprints (`prints`; a client without one is not stored), each in its
    client's file with the digests of the files it read (`paths`: id → those files;
    `inputs`: the digests this build took); the files of clients not in `keep`
    (removed from clients.yaml) or protected now are removed. Nothing of the other
    clients is read or written."""
    cache = StatusCache(inputs=inputs)
    for client_id, summary in summaries.items():
        if client_id in prints:
            cache.clients[client_id] = {"fingerprint": prints[client_id], "summary": summary}
    save_status_cache(cache_dir, cache, keep, {k: paths.get(k, []) for k in cache.clients})
