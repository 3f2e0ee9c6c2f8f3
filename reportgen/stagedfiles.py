"""Putting one file into a staging folder: written new, or hard-linked from the published site.

The two ways every page's files reach the site a build stages (output.py), each a few
system calls: a cold build writes 55,000 files, a monthly run links most of them. Nothing
lands outside the staging folder, and nothing already there is written into (in a reused
back buffer it may be a hard link the published site shares)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path, PurePosixPath

from .errors import OutputError


def staged_target(staging: Path, relative: str) -> str:
    """Where `relative` goes in the staging folder (nothing can point outside it), its
    folder made once per process (a build stages thousands of files in hundreds of folders)."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative:
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    target = os.path.join(staging, *pure.parts)
    folder = os.path.dirname(target)
    if folder not in _FOLDERS_MADE:
        os.makedirs(folder, exist_ok=True)
        if len(_FOLDERS_MADE) >= 1 << 16:  # `serve` builds again and again: stay bounded
            _FOLDERS_MADE.clear()
        _FOLDERS_MADE.add(folder)
    return target


def write_into(staging: Path, relative: str, content: bytes | str) -> None:
    """`content` as the staged file `relative`: one open, write and close."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = staged_target(staging, relative)
    try:
        _write_file(target, data)
    except FileNotFoundError:  # the folder went away since (a staging folder of the same name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _write_file(target, data)


_FOLDERS_MADE: set[str] = set()  # folders staged_target made in this process (cleared when large)


def _write_file(path: str, data: bytes) -> None:
    """A new file at `path`: whatever was there (in a reused back buffer, perhaps a
    hard link the published site shares, or a link) is unlinked, never written into."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def link_into(staging: Path, previous: Path, relative: str) -> bool:
    """Hard-link the previous site's file into the staging folder (copy if links are not
    possible): safe, as a published file is never modified in place. False when the old file
    is gone (or no regular file). What the staging folder held there (a reused back buffer)
    is replaced, unless it is that very file. Few system calls: a monthly run links 50,000."""
    target = staged_target(staging, relative)
    source = os.path.join(previous, relative)
    info = _lstat(source)
    if info is None or not stat.S_ISREG(info.st_mode):
        return False
    for _attempt in range(3):
        try:
            os.link(source, target, follow_symlinks=False)
            return True
        except FileExistsError:
            if os.path.samestat(os.lstat(target), info):
                return True
            os.unlink(target)
        except FileNotFoundError:  # our folder went away since it was made (or the source did)
            os.makedirs(os.path.dirname(target), exist_ok=True)
        except OSError:  # no hard links here: a copy
            break
    if _lstat(source) is None:  # gone since
        return False
    if os.path.lexists(target):
        os.unlink(target)
    shutil.copyfile(source, target, follow_symlinks=False)
    return True


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None
