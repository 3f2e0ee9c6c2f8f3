"""The build cache: what the last build into an output folder was made from.

Lektor's rule: every output records the digests of its sources; a build
re-renders only what is stale and prunes what nothing produces any more.
The cache lives in the project (`.reportgen-cache/`, git-ignored), one
manifest per output folder. It is plain JSON — never pickle — and a corrupt,
foreign (another project or output) or older-format manifest is discarded,
never trusted: the build is then simply a full one.

A manifest is one small file (`build-<out>.json`: the shared files, and each
client's entry by the SHA-256 of its file) and one file per client beside it
(`build-<out>/`): a build writes again only the clients' files that changed,
so editing one client's note writes that client's entry, not the agency's. A
client file whose digest is not the one the manifest names (a build killed
between the two, an edit) is not used: that client is simply built afresh.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .codeid import code_identity, process_umask
from .inputfiles import ignore_cache_in_git, read_cache_file, real_cache_folder, write_whole

CACHE_DIR = ".reportgen-cache"
FORMAT = "reportgen-cache/4"
CLIENT_FORMAT = "reportgen-cache-client/4"

# What InputDigests knows of a file: size, modification and change times, inode, content digest.
DigestEntry = list[int | str]


@dataclass
class ClientEntry:
    """One client's share of the output, as the last build left it."""

    fingerprint: str  # digest of every input file's content: unchanged means nothing changed
    pages: dict[str, str] = field(default_factory=dict)  # unit key → input digest
    files: dict[str, list[str]] = field(default_factory=dict)  # unit key → files it wrote
    warnings: list[list[object]] = field(default_factory=list)  # [path, line, message] to report again
    # A protected client's warnings (they quote its figures and next steps), sealed
    # with its portal's keys like its pages; `warnings` is then empty.
    sealed_warnings: dict[str, object] | None = None
    # unit key → the client data it read while rendering (depends.py keys); its
    # digest in `pages` covers exactly these, with their values as they were then
    reads: dict[str, list[str]] = field(default_factory=dict)
    published: str = ""  # digest of the portal's address and protection (audit.publish_state)
    # file → its stamp as this build left it (file_stamp): a file in the site is
    # carried into the next build only while it is still the file written here
    stamps: dict[str, list[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "fingerprint": self.fingerprint,
            "pages": self.pages,
            "files": self.files,
            "warnings": self.warnings,
            "reads": self.reads,
            "published": self.published,
            "stamps": self.stamps,
        }
        if self.sealed_warnings is not None:
            out["sealed_warnings"] = self.sealed_warnings
        return out


@dataclass
class Manifest:
    site_key: str = ""
    shared: list[str] = field(default_factory=list)
    clients: dict[str, ClientEntry] = field(default_factory=dict)
    inputs: dict[str, DigestEntry] = field(default_factory=dict)  # InputDigests.known
    shared_stamps: dict[str, list[int]] = field(default_factory=dict)  # shared file → file_stamp
    # client id → the input files its fingerprint read (their digests are kept in its file)
    client_inputs: dict[str, list[str]] = field(default_factory=dict)
    # What load_manifest read, client id → (its file's digest, its entry as read, its
    # digests): a client whose entry and digests are unchanged is not written again.
    stored: dict[str, StoredClient] = field(default_factory=dict)


StoredClient = tuple[str, ClientEntry, dict[str, DigestEntry]]


def file_stamp(path: Path | str) -> list[int] | None:
    """What identifies a file the build wrote, cheaply: inode, size, modification
    time and permissions. An edit in place changes the time (or the size), a file
    put in its place has another inode, a chmod the permissions (which a hard link
    would carry into the next site). None when it is no regular file."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return stamp_of(info)


STAMP_FIELDS = 4  # inode, size, modification time, permissions


def stamp_of(info: os.stat_result) -> list[int]:
    return [info.st_ino, info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode)]


def folder_mode() -> int:
    """The permissions a build gives the folders it makes (0o777 less the umask): a
    published folder with others (chmod'ed since) is not as the build wrote it."""
    return 0o777 & ~process_umask()


def is_written_file(site: Path, relative: str, stamps: dict[str, list[int]]) -> bool:
    """`site/relative` is still exactly the file the last build wrote there."""
    expected = stamps.get(relative)
    return expected is not None and file_stamp(site / relative) == list(expected)


def tree_as_written(
    site: Path,
    folder: str,
    stamps: dict[str, list[int]],
    checked: Mapping[str, Mapping[str, list[int]]] | None = None,
) -> bool:
    """`site/folder` (the whole site for "") holds exactly the files of `stamps`
    under it, each still the file the build wrote, and no other file, folder
    or link: nothing put there or edited by hand since.

    `checked` (the whole site only): top-level folders this build has just
    found as written (tree_as_written of that folder) with the stamps given
    there; one whose files in `stamps` are exactly those is not walked again."""
    prefix = f"{folder}/" if folder else ""
    expected = [k for k in stamps if k.startswith(prefix)]
    folders = {folder} if folder else {""}
    folders.update(_parent_folders(expected))
    base = site / folder if folder else site
    if not expected:
        if not os.path.lexists(base):
            return True
        if not base.is_dir() or base.is_symlink():
            return False
        with os.scandir(base) as listing:
            return not any(listing)
    if base.is_symlink() or not base.is_dir() or _mode(base) != folder_mode():
        return False
    skip = _already_checked(stamps, checked) if checked and not folder else {}
    found = _files_as_written(str(base), folder, folders, stamps, skip)
    return found == len(expected)


def _mode(path: Path | str) -> int | None:
    """A folder's permission bits (a setgid or sticky bit a parent passes on is not a chmod)."""
    try:
        return os.lstat(path).st_mode & 0o777
    except OSError:
        return None


def _parent_folders(files: list[str]) -> set[str]:
    """Every folder the files lie in, and each folder above it ("a/b/c" → "a",
    "a/b"; "" for a path that starts with a slash). A folder already found
    ends the walk up: the folders above it were added with it."""
    found: set[str] = set()
    for relative in files:
        cut = relative.rfind("/")
        while cut > 0:
            parent = relative[:cut]
            if parent in found:
                break
            found.add(parent)
            cut = relative.rfind("/", 0, cut)
        if cut == 0:
            found.add("")
    return found


def _already_checked(
    stamps: dict[str, list[int]], checked: Mapping[str, Mapping[str, list[int]]]
) -> dict[str, int]:
    """Top-level folders (name → how many files) whose expected files are exactly
    the ones they were found as written with."""
    under: dict[str, dict[str, list[int]]] = {}
    for relative, stamp in stamps.items():
        top, slash, _rest = relative.partition("/")
        if slash and top in checked:
            under.setdefault(top, {})[relative] = stamp
    skip = {}
    for name, files in under.items():
        prefix = f"{name}/"
        if files == {k: v for k, v in checked[name].items() if k.startswith(prefix)}:
            skip[name] = len(files)
    return skip


def _files_as_written(
    path: str, here: str, folders: set[str], stamps: dict[str, list[int]], skip: dict[str, int]
) -> int | None:
    """How many files under `path` (`here` relative to the site), walked like
    os.walk (an unreadable folder lists nothing); None as soon as a folder is
    not expected or is a link, or a file is not one the build wrote as it is."""
    try:
        with os.scandir(path) as listing:
            entries = list(listing)
    except OSError:
        return 0
    found = 0
    below = []
    for entry in entries:
        relative = f"{here}/{entry.name}" if here else entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if relative not in folders or entry.is_symlink() or _mode(entry.path) != folder_mode():
                return None
            below.append((entry.path, relative))
            continue
        expected = stamps.get(relative)
        if expected is None:
            return None
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            return None
        if type(expected) is not list:
            expected = list(expected)
        if not stat.S_ISREG(info.st_mode) or stamp_of(info) != expected:
            return None
        found += 1
    for sub, relative in below:
        if relative in skip:
            found += skip[relative]
            continue
        count = _files_as_written(sub, relative, folders, stamps, skip)
        if count is None:
            return None
        found += count
    return found


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection for a while: loading and planning a large
    agency's build make millions of objects (the manifest, clients.yaml) that all
    live on, and the collector would walk them again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def manifest_path(project: Path, out: Path, folder: Path | None = None) -> Path:
    """Where the manifest of builds into `out` lives: the project's cache, or
    `folder` (serve keeps its preview's manifest in its temporary folder)."""
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return (folder or project / CACHE_DIR) / f"build-{name}.json"


def client_file(manifest: Path, client_id: str) -> Path:
    """A client's file of the manifest (named by a digest of its id: any id is a safe name)."""
    name = hashlib.sha256(client_id.encode()).hexdigest()[:24]
    return manifest.with_suffix("") / f"{name}.json"


def load_manifest(project: Path, out: Path, folder: Path | None = None) -> Manifest:
    """The last build's manifest, or an empty one when absent, corrupt or foreign
    (a client whose file is missing or not the one it names is left out)."""
    path = manifest_path(project, out, folder)
    try:
        raw = json.loads(read_cache_file(path).decode("utf-8"))
        if (
            raw.get("format") != FORMAT
            or raw.get("version") != code_identity()
            or raw.get("out") != str(out.resolve())
        ):
            return Manifest()
        manifest = Manifest(
            site_key=str(raw["site_key"]),
            shared=list(raw["shared"]),
            inputs=_digests(raw["inputs"]),
            shared_stamps=_stamps(raw["shared_stamps"]),
        )
        index = {str(k): str(v) for k, v in raw["clients"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Manifest()
    if index and not real_cache_folder(path.with_suffix("")):
        return manifest
    for client_id, digest in index.items():
        found = _load_client(path, client_id, digest)
        if found is not None:
            entry, inputs = found
            manifest.clients[client_id] = entry
            manifest.stored[client_id] = (digest, replace(entry), inputs)
            manifest.inputs.update(inputs)
    return manifest


def _load_client(
    manifest: Path, client_id: str, digest: str
) -> tuple[ClientEntry, dict[str, DigestEntry]] | None:
    try:
        data = read_cache_file(client_file(manifest, client_id))
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        raw = json.loads(data.decode("utf-8"))
        if raw.get("format") != CLIENT_FORMAT or raw.get("id") != client_id:
            return None
        e = raw["entry"]
        entry = ClientEntry(
            fingerprint=str(e["fingerprint"]),
            pages=dict(e["pages"]),
            files={k: list(v) for k, v in e["files"].items()},
            warnings=[list(w) for w in e.get("warnings", [])],
            sealed_warnings=dict(e["sealed_warnings"]) if e.get("sealed_warnings") else None,
            reads={k: list(map(str, v)) for k, v in e["reads"].items()},
            published=str(e.get("published", "")),
            stamps=_stamps(e["stamps"]),
        )
        return entry, _digests(raw["inputs"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _digests(raw: dict[str, object]) -> dict[str, DigestEntry]:
    return {str(k): list(v) for k, v in raw.items() if isinstance(v, list) and len(v) == 5}


def _stamps(raw: dict[str, object]) -> dict[str, list[int]]:
    fields = STAMP_FIELDS
    return {str(k): list(map(int, v)) for k, v in raw.items() if isinstance(v, list) and len(v) == fields}


def forget_manifest(project: Path, out: Path, folder: Path | None = None) -> None:
    """Before swapping in a new site: a crash after the swap must not leave a
    manifest that describes the previous site (its clients' files are used only
    through it)."""
    with contextlib.suppress(FileNotFoundError):
        manifest_path(project, out, folder).unlink()


def save_manifest(project: Path, out: Path, manifest: Manifest, folder: Path | None = None) -> None:
    """Each client's file that changed since load_manifest read it (its entry, or the
    digests of the files its fingerprint read), then the manifest that names them
    all; client files it no longer names are removed."""
    path = manifest_path(project, out, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore_cache_in_git(path.parent)
    clients = path.with_suffix("")
    if not real_cache_folder(clients):
        if os.path.lexists(clients):  # (a link or a file in its place: never followed)
            os.unlink(clients)
        clients.mkdir()
    owned = {f for files in manifest.client_inputs.values() for f in files}
    index = {}
    for client_id, entry in sorted(manifest.clients.items()):
        stored = manifest.stored.get(client_id)
        files = manifest.client_inputs.get(client_id)
        if files is None:  # not looked at by this build (a --client build): as it was
            inputs = stored[2] if stored is not None else {}
        else:
            inputs = {f: manifest.inputs[f] for f in files if f in manifest.inputs}
        if stored is not None and stored[1] == entry and stored[2] == inputs:
            index[client_id] = stored[0]
            continue
        owned.update(inputs)
        data = json.dumps(
            {
                "format": CLIENT_FORMAT,
                "id": client_id,
                "entry": entry.to_json(),
                "inputs": dict(sorted(inputs.items())),
            },
            separators=(",", ":"),
        ).encode("utf-8")
        write_whole(client_file(path, client_id), data)
        index[client_id] = hashlib.sha256(data).hexdigest()
    for stored in manifest.stored.values():
        owned.update(stored[2])
    data = json.dumps(
        {
            "format": FORMAT,
            "version": code_identity(),
            "out": str(out.resolve()),
            "site_key": manifest.site_key,
            "shared": manifest.shared,
            "shared_stamps": manifest.shared_stamps,
            "clients": index,
            "inputs": dict(sorted((k, v) for k, v in manifest.inputs.items() if k not in owned)),
        },
        separators=(",", ":"),
    ).encode("utf-8")
    write_whole(path, data)
    wanted = {client_file(path, client_id).name for client_id in index}
    with os.scandir(clients) as listing:
        names = [e.name for e in listing]
    for name in names:
        if name not in wanted:
            with contextlib.suppress(OSError):
                os.unlink(clients / name)


# File times tick coarsely on some file systems (up to 2 s on FAT, network
# shares); a file changed within this window of being read may change again
# without its size or times changing.
RACY_WINDOW_NS = 2_000_000_000


class InputDigests:
    """Content digests of input files, read again only when a file may have changed.

    Like git's index: the digest of each file is kept with its size, inode and
    modification and change times (`known`, saved in the manifest). A file
    whose stat is the same as when its digest was taken is not read again —
    but only if its times were already older than RACY_WINDOW_NS when it was
    read (otherwise a same-size write in the same clock tick could go unseen;
    such a "racy" file is simply not remembered, so it is read next time too).
    The change time cannot be set by tools (unlike `touch -d`, `cp -p`,
    `rsync -t`), so any later write shows in the stat.

    `signature(path)` depends on the file's content only, never on when it was
    written or read: an unchanged file always has the same signature. With
    `remember=False` (a protected client's files: the cache holds no digest
    of their content that a guess could be checked against) nothing is kept.
    """

    def __init__(self, known: dict[str, DigestEntry] | None = None):
        self.known = dict(known or {})
        self.seen: dict[str, DigestEntry] = {}  # entries to keep: settled files looked at in this build

    def signature(self, path: Path | str, remember: bool = True) -> tuple[str, str | None]:
        key = str(path)
        started = time.time_ns()
        old = self.seen.get(key) or self.known.get(key)
        if old is not None:  # a known file whose stat is unchanged is not even opened
            try:
                info = os.stat(key)
            except (OSError, ValueError):
                info = None
            if (
                info is not None
                and stat.S_ISREG(info.st_mode)
                and old[:4] == [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            ):
                content = str(old[4])
                if remember and max(info.st_mtime_ns, info.st_ctime_ns) < started - RACY_WINDOW_NS:
                    self.seen[key] = [*old[:4], content]
                return (key, content)
        try:  # non-blocking: a FIFO put in a file's place must not hang the build
            fd = os.open(key, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return (key, None)
        except (OSError, ValueError) as exc:
            return (key, f"unreadable ({getattr(exc, 'errno', None)})")
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return (key, f"not a regular file ({stat.S_IFMT(info.st_mode):o})")
            fields = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            # A digest this build took already (status fingerprints read the data files
            # again) is trusted by the same rule as the last build's.
            old = self.seen.get(key) or self.known.get(key)
            if old is not None and old[:4] == fields:
                content = str(old[4])
            else:
                try:
                    content = hashlib.file_digest(handle, "sha256").hexdigest()
                except OSError as exc:
                    return (key, f"unreadable ({exc.errno})")
        if remember and max(info.st_mtime_ns, info.st_ctime_ns) < started - RACY_WINDOW_NS:
            self.seen[key] = [*fields, content]
        return (key, content)
