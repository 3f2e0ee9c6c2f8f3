"""The status cache: each client's summary (status.py), kept between runs.

The build stores the summary of every unprotected client it loads in the
project's cache (`.reportgen-cache/status.json`) under the client's *status
fingerprint* (its clients.yaml entry and the content of its data files and
notes, the as-of month and today), so `reportgen status` on a warm cache
reads no CSV: it recomputes only the clients whose fingerprint changed
(agency.py). A stored summary is checked against its shape on every read; a
protected client's summary is never stored.
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
from typing import Any

from . import __version__
from .cache import DigestEntry, InputDigests
from .inputfiles import read_cache_file
from .model import Client, Month
from .notes import note_paths
from .status import Summary

STATUS_FILE = "status.json"
FORMAT = "reportgen-status/1"
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
) -> str:
    """The client's clients.yaml entry, the content of its data files and notes
    (by InputDigests: a file whose stat is unchanged is not read), the as-of month
    and today: the same fingerprint means the same summary."""
    remember = client.access is None
    parts = [
        FORMAT,
        __version__,
        repr(client),
        str(until or "latest"),
        today.isoformat(),
        *(repr(inputs.signature(p, remember)) for p in sorted(str(p) for p in data_files)),
        *(repr(inputs.signature(p, remember)) for p in note_paths(root, client.id)),
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


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


def load_status_cache(cache_dir: Path) -> StatusCache:
    """The stored summaries; an empty cache when absent, corrupt or of another version.
    An entry whose summary is not of the right shape (valid_summary) is left out."""
    try:
        raw = json.loads(read_cache_file(cache_dir / STATUS_FILE).decode("utf-8"))
        if raw.get("format") != FORMAT or raw.get("version") != __version__:
            return StatusCache()
        clients = {
            str(k): {"fingerprint": str(v["fingerprint"]), "summary": dict(v["summary"])}
            for k, v in raw["clients"].items()
            if isinstance(v, dict)
            and isinstance(v.get("fingerprint"), str)
            and valid_summary(v.get("summary"))
            and v["summary"]["id"] == k
        }
        inputs = {str(k): list(v) for k, v in raw["inputs"].items() if isinstance(v, list) and len(v) == 5}
        return StatusCache(clients, inputs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return StatusCache()


def save_status_cache(cache_dir: Path, cache: StatusCache) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    data = {
        "format": FORMAT,
        "version": __version__,
        "clients": dict(sorted(cache.clients.items())),
        "inputs": dict(sorted(cache.inputs.items())),
    }
    temporary = cache_dir / f"{STATUS_FILE}.tmp-{os.getpid()}"
    try:
        temporary.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False), encoding="utf-8")
        os.replace(temporary, cache_dir / STATUS_FILE)
    except (OSError, ValueError):  # a cache that cannot be written is only slower next time
        with contextlib.suppress(OSError):
            temporary.unlink()


def cacheable_ids(clients: Iterable[Client]) -> set[str]:
    """The clients whose summary the status cache may hold: the unprotected ones
    (a client protected since it was cached loses its entry at the next read or write)."""
    return {c.id for c in clients if c.access is None}


def prune_status_cache(cache: StatusCache, clients: Iterable[Client]) -> bool:
    """Drop the entries of clients that are gone or protected now, and every file
    digest once a client is protected (they may be of its files); True when
    anything was dropped."""
    clients = list(clients)
    wanted = cacheable_ids(clients)
    kept = {
        k: v
        for k, v in cache.clients.items()
        if k in wanted and isinstance(v, dict) and v.get("summary", {}).get("protected") is False
    }
    dropped = len(kept) != len(cache.clients)
    cache.clients = kept
    if dropped and len(wanted) != len(clients):
        cache.inputs = {}
    return dropped


def record_summaries(
    cache_dir: Path,
    entries: dict[str, tuple[str, Summary]],
    inputs: dict[str, DigestEntry],
    keep: Iterable[Client],
) -> None:
    """After a build: store the summaries it computed (id → (fingerprint, summary));
    entries of clients not in `keep` (removed from clients.yaml) or protected now are
    dropped."""
    keep = list(keep)
    cache = load_status_cache(cache_dir)
    prune_status_cache(cache, keep)
    wanted = cacheable_ids(keep)
    for client_id, (fingerprint, summary) in entries.items():
        if client_id in wanted and summary.get("protected") is False:
            cache.clients[client_id] = {"fingerprint": fingerprint, "summary": summary}
    if len(wanted) == len(keep):
        cache.inputs.update(inputs)
    else:  # only what this build saw (it never remembers a protected client's files)
        cache.inputs = dict(inputs)
    save_status_cache(cache_dir, cache)
