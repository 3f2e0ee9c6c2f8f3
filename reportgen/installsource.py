"""Where this reportgen can be installed from in CI, as facts about git.

`reportgen init` writes a CI workflow that installs the very reportgen that
wrote it (ciworkflow.install_source decides how); this module holds what that
decision is made of: the `InstallSource` it returns, pip's `git+` form of a
remote URL (credentials never written), and local git queries about a
checkout (never the network).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class InstallSource:
    """What the generated workflow installs, and a comment for the AE when it
    cannot be sure CI will find it."""

    requirement: str
    note: str = ""  # comment lines (without '#') written above the install step


NOT_ON_INDEX = (
    "reportgen was installed from {source}: this version must be installable from the "
    'package index, or replace this line (e.g. with pip install "reportgen-portals @ '
    'git+https://github.com/OWNER/REPO@COMMIT").'
)


def git_url(remote: str) -> str | None:
    """A git remote as pip's `git+` URL can use it, without credentials:
    `https://host/path` (a user or token dropped), `ssh://user@host/path`, or
    scp-like `user@host:path` as `ssh://user@host/path`. None for anything
    else (a local path, `file://`) or a URL with characters unsafe in a shell
    or YAML line."""
    remote = remote.strip()
    scp = re.fullmatch(r"([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!//)([^\s]+)", remote)
    if scp and "/" not in (scp.group(1) or "") and not re.match(r"[A-Za-z]:[\\/]", remote):
        remote = f"ssh://{scp.group(1) or ''}{scp.group(2)}/{scp.group(3).lstrip('/')}"
    parts = urlsplit(remote)
    if (
        parts.scheme not in ("https", "http", "ssh", "git")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        return None
    user = f"{parts.username}@" if parts.scheme == "ssh" and parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    url = f"{parts.scheme}://{user}{host}{port}{parts.path}"
    return (
        url
        if re.fullmatch(r"[A-Za-z0-9._~:/%+\-\[\]]+(@[A-Za-z0-9._~:/%+\-\[\]]+)?", url)
        and "@" not in parts.path
        and parts.path not in ("", "/")
        else None
    )


def subdirectory_fragment(value: object) -> str:
    """pip's `#subdirectory=` for a package below the repository's top ("" at the top or when unsafe)."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._/-]+", value) and ".." not in value.split("/"):
        return f"#subdirectory={value.strip('/')}" if value.strip("/") else ""
    return ""


def _git(folder: Path, *args: str) -> str | None:
    """A local git query (never the network); None when it fails or git is missing."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_checkout(folder: Path) -> tuple[str, str, str, bool] | None:
    """(remote URL, commit, package folder within the repository, commit on a
    remote-tracking branch) of a git checkout with a usable remote, else None."""
    if not folder.is_dir():
        return None
    top = _git(folder, "rev-parse", "--show-toplevel")
    commit = _git(folder, "rev-parse", "HEAD")
    if not top or not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    try:
        subdirectory = folder.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        return None
    if not _git(folder, "ls-files", "--", "pyproject.toml"):
        return None  # a folder inside some other repository (a home folder under git): not reportgen's
    names = (_git(folder, "remote") or "").split()
    name = "origin" if "origin" in names else names[0] if len(names) == 1 else None
    remote = git_url(_git(folder, "remote", "get-url", name) or "") if name else None
    if remote is None:
        return None
    published = bool(_git(folder, "branch", "-r", "--contains", commit))
    return remote, commit, "" if subdirectory == "." else subdirectory, published
