"""The build cache: what the last build into an output folder was made from.

Lektor's rule: every output records the digests of its sources; a build
re-renders only what is stale and prunes what nothing produces any more.
The cache lives in the project (`.reportgen-cache/`, git-ignored), one
manifest per output folder. It is plain JSON — never pickle — and a corrupt,
foreign (another project or output) or older-format manifest is discarded,
never trusted: the build is then simply a full one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

CACHE_DIR = ".reportgen-cache"
FORMAT = "reportgen-cache/1"


@dataclass
class ClientEntry:
    """One client's share of the output, as the last build left it."""

    fingerprint: str  # cheap, stat-based: unchanged means nothing of the client changed
    pages: dict[str, str] = field(default_factory=dict)  # unit key → input digest
    files: dict[str, list[str]] = field(default_factory=dict)  # unit key → files it wrote
    warnings: list[list] = field(default_factory=list)  # [path, line, message] to report again

    def to_json(self) -> dict:
        return {"fingerprint": self.fingerprint, "pages": self.pages, "files": self.files,
                "warnings": self.warnings}


@dataclass
class Manifest:
    site_key: str = ""
    shared: list[str] = field(default_factory=list)
    clients: dict[str, ClientEntry] = field(default_factory=dict)


def manifest_path(project: Path, out: Path) -> Path:
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"build-{name}.json"


def load_manifest(project: Path, out: Path) -> Manifest:
    """The last build's manifest, or an empty one when absent, corrupt or foreign."""
    path = manifest_path(project, out)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if (raw.get("format") != FORMAT or raw.get("version") != __version__
                or raw.get("out") != str(out.resolve())):
            return Manifest()
        clients = {
            cid: ClientEntry(fingerprint=str(e["fingerprint"]), pages=dict(e["pages"]),
                             files={k: list(v) for k, v in e["files"].items()},
                             warnings=[list(w) for w in e.get("warnings", [])])
            for cid, e in raw["clients"].items()}
        return Manifest(site_key=str(raw["site_key"]), shared=list(raw["shared"]), clients=clients)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Manifest()


def forget_manifest(project: Path, out: Path) -> None:
    """Before swapping in a new site: a crash after the swap must not leave a
    manifest that describes the previous site."""
    with contextlib.suppress(FileNotFoundError):
        manifest_path(project, out).unlink()


def save_manifest(project: Path, out: Path, manifest: Manifest) -> None:
    path = manifest_path(project, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    data = {"format": FORMAT, "version": __version__, "out": str(out.resolve()),
            "site_key": manifest.site_key, "shared": manifest.shared,
            "clients": {cid: e.to_json() for cid, e in sorted(manifest.clients.items())}}
    temporary = path.with_suffix(f".tmp-{os.getpid()}")
    temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, path)


RACY_WINDOW_NS = 2_000_000_000


def stat_signature(path: Path, now_ns: int) -> tuple:
    """Size and modification time: cheap evidence a file is unchanged.

    File times tick coarsely (milliseconds), so a file written just before
    this build could be written again, same size, within the same tick after
    it. Like git's "racy" index entries, such recent files are identified by
    their content instead.
    """
    try:
        info = path.stat()
    except OSError:
        return (str(path), None)
    if info.st_mtime_ns >= now_ns - RACY_WINDOW_NS:
        return (str(path), info.st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return (str(path), info.st_size, info.st_mtime_ns)
