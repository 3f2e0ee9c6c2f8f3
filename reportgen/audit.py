"""The publish audit: what a protected portal's folder may hold, checked before a swap.

A protected client's folder may hold two kinds of file and nothing else: a
*sealed page* (the login page: one `<script type="application/json"
id="sealed">` block holding a sealed envelope, and no other inline script or
data block) and a *sealed envelope* (a download: the envelope alone, as JSON).
Both are recognised by their structure, never by trusting where they came
from. The site's top level may hold only the shared files and the folders of
the clients in clients.yaml.

The build runs `audit_site` over the staging folder right before the swap:
whatever combination of `--client`, `--shard`, cache state and config
changes led there, a site that breaks these rules is not published. And
before a build decides what it can carry over from the previous site,
`portals_to_rebuild` names the portals that must be rendered again because
their protection, their address or their files changed since they were built.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import Manifest
from .config import RESERVED_FOLDERS
from .errors import InputError, Problem
from .model import Client, ProjectConfig
from .output import SITE_MARKER
from .protect import SALT_BYTES, make_sealer

if TYPE_CHECKING:
    from .assets import SiteAssets

_SEALED_BLOCK = re.compile(rb'<script type="application/json" id="sealed">(.*?)</script>', re.S)
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)


def _is_base64(text: str) -> bool:
    if not text or len(text) % 4:
        return False
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# An envelope field's kind: "b64", "int", "[b64]", or ("const", its value).
EnvelopeField = str | tuple[str, str]


def _envelope_shape() -> dict[str, EnvelopeField]:
    """The envelope protect.py writes, from a throwaway sealer: its fields, and
    for each a constant (format and algorithm names), "b64", "int" or "[b64]"."""
    sample = make_sealer(["audit"], bytes(SALT_BYTES), iterations=1).seal(b"")
    shape: dict[str, EnvelopeField] = {}
    for key, value in sample.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, list)):
            raise TypeError(f"sealed envelope field {key!r}: unexpected {type(value).__name__}")
        if isinstance(value, int):
            shape[key] = "int"
        elif isinstance(value, list):
            shape[key] = "[b64]"
        else:
            shape[key] = "b64" if _is_base64(value) else ("const", value)
    return shape


ENVELOPE = _envelope_shape()


def is_sealed_envelope_value(value: object) -> bool:
    """A decoded sealed envelope: exactly protect.py's fields, its constants
    unchanged, and nothing but base64 and numbers anywhere else."""
    if not isinstance(value, dict) or set(value) != set(ENVELOPE):
        return False
    for key, kind in ENVELOPE.items():
        field = value[key]
        if kind == "int":
            ok = isinstance(field, int) and not isinstance(field, bool) and field > 0
        elif kind == "b64":
            ok = isinstance(field, str) and _is_base64(field)
        elif kind == "[b64]":
            ok = (
                isinstance(field, list)
                and bool(field)
                and all(isinstance(item, str) and _is_base64(item) for item in field)
            )
        else:
            ok = field == kind[1]
        if not ok:
            return False
    return True


def is_sealed_envelope(content: bytes) -> bool:
    """A download of a protected portal: a sealed envelope as JSON, nothing else."""
    try:
        return is_sealed_envelope_value(json.loads(content.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


Shells = list[tuple[bytes, bytes]]  # a login page around its sealed block: (before, after)


def is_login_page(content: bytes, shells: Shells) -> bool:
    """Exactly one of the login pages the build renders (`SiteRenderer.login_shells`),
    byte for byte, with a sealed envelope in its sealed block: no text, element,
    attribute or script added anywhere."""
    for before, after in shells:
        if (
            len(content) >= len(before) + len(after)
            and content.startswith(before)
            and content.endswith(after)
        ):
            middle = content[len(before) : len(content) - len(after)]
            if b"<" in middle:
                continue
            try:
                if is_sealed_envelope_value(json.loads(middle.decode("utf-8"))):
                    return True
            except (UnicodeDecodeError, ValueError, RecursionError):
                continue
    return False


def is_sealed_page(content: bytes, shells: Shells | None = None) -> bool:
    """A page of a protected portal: exactly one sealed block holding an envelope,
    and no other inline script or data block (chart data, a plaintext page).
    With `shells`, also exactly the login page around it (`is_login_page`)."""
    if shells is not None:
        return is_login_page(content, shells)
    blocks = _SEALED_BLOCK.findall(content)
    if len(blocks) != 1:
        return False
    rest = _SEALED_BLOCK.sub(b"", content)
    if _INLINE_SCRIPT.search(rest):
        return False
    try:
        return is_sealed_envelope_value(json.loads(blocks[0].decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def is_sealed_file(relative: str, content: bytes, shells: Shells | None = None) -> bool:
    if relative.endswith(".html"):
        return is_sealed_page(content, shells)
    return is_sealed_envelope(content)


def unsealed_files(root: Path, folder: str, shells: Callable[[int], Shells] | None = None) -> list[str]:
    """Files under `root/folder` (posix, relative to root) that are not sealed;
    a symlink or anything but a regular file counts as not sealed. With
    `shells` (depth → the login page's shells), a page must be exactly one."""
    found = []
    base = root / folder
    for directory, dirs, files in os.walk(base):
        for name in sorted(dirs):
            if os.path.islink(os.path.join(directory, name)):
                found.append(Path(directory, name).relative_to(root).as_posix())
        for name in sorted(files):
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink() or not path.is_file():
                found.append(relative)
                continue
            try:
                content = path.read_bytes()
            except OSError:
                found.append(relative)
                continue
            page_shells = shells(relative.count("/")) if shells and relative.endswith(".html") else None
            if not is_sealed_file(relative, content, page_shells):
                found.append(relative)
    return sorted(found)


def audit_site(
    root: Path,
    config: ProjectConfig,
    shared: Iterable[str],
    shown: str = "site",
    login_shells: Callable[[Client, int], Shells] | None = None,
) -> list[Problem]:
    """Every reason `root` (a staged site) must not be published; [] when it may.

    `shared` are the site-wide files the build wrote (their top-level names are
    allowed); `shown` is the output folder as the user knows it, for messages;
    `login_shells` (client, depth → `SiteRenderer.login_shells`) makes every
    protected page pass only as exactly the login page the build renders.
    """
    folders = {c.slug: c for c in config.clients}
    problems: list[Problem] = []
    if not root.is_dir():
        return problems
    foreign = set(foreign_entries(root, config, shared))
    for entry in sorted(os.listdir(root)):
        if entry in foreign:
            problems.append(
                Problem(
                    f"{shown}/{entry}",
                    None,
                    (
                        "not the folder of any client in clients.yaml (an old address or a removed "
                        "client?); refusing to publish it — nothing was published, the previous site is "
                        "unchanged"
                    ),
                )
            )
            continue
        client = folders.get(entry)
        if client is None or client.access is None:
            continue
        if not (root / entry).is_dir() or (root / entry).is_symlink():
            problems.append(
                Problem(f"{shown}/{entry}", None, f"protected portal of '{client.id}' is not a folder")
            )
            continue
        shells = None
        if login_shells is not None:
            shells = functools.partial(login_shells, client)
        for relative in unsealed_files(root, entry, shells):
            problems.append(
                Problem(
                    f"{shown}/{relative}",
                    None,
                    (
                        f"not sealed, but '{client.id}' is a protected portal: refusing to publish it — "
                        "nothing was published, the previous site is unchanged (run `reportgen build "
                        "--clean` to render every page again)"
                    ),
                )
            )
    return problems


def foreign_entries(root: Path, config: ProjectConfig, shared: Iterable[str]) -> list[str]:
    """Top-level entries of a site that are neither shared files nor a client's folder."""
    allowed = {
        SITE_MARKER,
        *RESERVED_FOLDERS,
        *(s.split("/", 1)[0] for s in shared),
        *(c.slug for c in config.clients),
    }
    try:
        return sorted(set(os.listdir(root)) - allowed)
    except OSError:
        return []


def publish_state(client: Client) -> str:
    """What a portal's published folder depends on besides its content — its
    address and its protection (who may open it) — as a digest: the cache
    records it, and names no person and holds no secret."""
    access = repr(_without_lines(client.access)) if client.access is not None else ""
    return hashlib.sha256(f"{client.slug}\0{access}".encode()).hexdigest()


def _without_lines(value: object) -> object:
    """A config object's values, minus where in clients.yaml they were written."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(
            (f.name, _without_lines(getattr(value, f.name)))
            for f in dataclasses.fields(value)
            if f.name != "line"
        )
    if isinstance(value, tuple):
        return tuple(_without_lines(v) for v in value)
    return value


def portals_to_rebuild(
    out: Path,
    config: ProjectConfig,
    selected: list[Client],
    previous: Manifest,
    partial: bool,
    login_shells: Callable[[Client, int], Shells] | None = None,
) -> dict[str, str]:
    """Portals (client id → why) whose folder in the previous site cannot be carried over.

    - a protected portal whose published files are not all sealed (built before
      `access:` was added, or a file put there by hand) — rendered afresh;
    - in a partial build (`--client`), a portal outside the selection whose
      address or protection (`slug`, `access`, its people) changed since it was
      built, or a protected one the build cache has no record of: a partial
      build keeps the other portals, but never one that no longer matches its
      protection.
    """
    chosen = {c.id for c in selected}
    reasons: dict[str, str] = {}
    for client in config.clients:
        folder = out / client.slug
        entry = previous.clients.get(client.id)
        shells = functools.partial(login_shells, client) if login_shells else None
        if client.access is not None and folder.is_dir() and unsealed_files(out, client.slug, shells):
            reasons[client.id] = (
                f"its portal {client.slug}/ holds files that are not exactly "
                "sealed pages and downloads of this build"
            )
            continue
        if not partial or client.id in chosen:
            continue
        if entry is not None and entry.published:
            if entry.published != publish_state(client):
                reasons[client.id] = "its address or protection changed since it was built"
        elif client.access is not None:
            if folder.is_dir():
                reasons[client.id] = "it is protected and the build cache has no record of its portal"
        elif (folder / "index.html").is_file() and is_sealed_page((folder / "index.html").read_bytes()):
            reasons[client.id] = "its portal is no longer protected"
    return reasons


def address_warnings(clients: Iterable[Client]) -> list[Problem]:
    """`check`: a protected portal whose address is its id names the client in
    its URL, and anyone who knows the client can find the login page."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return [
        Problem(
            "clients.yaml",
            client.line,
            (
                f"client '{client.id}' is protected, but its portal's address is its id ({client.slug}/): "
                "the URL names the client and can be guessed; add `slug:` with an unguessable value, "
                f"e.g. `slug: {''.join(secrets.choice(alphabet) for _ in range(16))}`"
            ),
            "warning",
        )
        for client in clients
        if client.access is not None and client.slug == client.id
    ]


def refuse_unsafe_site(
    staging: Path,
    config: ProjectConfig,
    assets: SiteAssets,
    shared: Iterable[str],
    shown: str,
    login_shells: Callable[[Client, int], Shells] | None,
) -> None:
    """Raise the audit's problems, and for a page, what in the templates made it."""
    unsafe = audit_site(staging, config, shared, shown, login_shells)
    if unsafe:
        if any(p.path.endswith(".html") for p in unsafe):  # what to fix, not only where
            from .site import SiteRenderer
            from .workers import login_template_problems

            unsafe += login_template_problems(SiteRenderer(config, assets))
        raise InputError(unsafe)
