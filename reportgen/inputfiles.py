"""Open the user's input files safely: regular files only, never a hang.

A data glob or a logo path can name a named pipe (opening one waits for a
writer forever), a device, a socket, a symlink loop or a dangling symlink.
Each is refused with a message saying what it is, found with `stat` before
anything is opened. A file is then read through a non-blocking descriptor
that is checked again, so a file swapped for a pipe between the check and the
read cannot hang a build either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


class UnreadableInputError(Exception):
    """An input path that is not a readable regular file; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def input_file_problem(path: Path | str) -> str | None:
    """Why `path` cannot be read as an input file, or None when it is a regular file.

    Never opens the path (only `stat`), so it cannot block.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (a link that leads back to itself), not a file"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return "a broken symlink (what it points to does not exist)"
        if exc.errno == errno.ENAMETOOLONG:
            return "path too long"
        return f"cannot read file: {exc.strerror or exc}"
    except ValueError:  # a NUL byte in the name
        return "not a valid file name"
    if stat.S_ISREG(info.st_mode):
        return None
    kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
    return f"{kind}, not a regular file: only files are read"


def read_input_bytes(path: Path | str) -> bytes:
    """The bytes of a regular file; UnreadableInputError for anything else."""
    message = input_file_problem(path)
    if message:
        raise UnreadableInputError(message)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableInputError(_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped since the check above
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
            raise UnreadableInputError(f"{kind}, not a regular file: only files are read")
        with open(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError as exc:
        raise UnreadableInputError(_reason(exc)) from None
    finally:
        os.close(fd)


def read_cache_file(path: Path | str, limit: int = 1 << 30) -> bytes:
    """A file reportgen wrote into its own cache: a regular file, not reached through a
    link, never waited on (a FIFO put there would hang the build), at most `limit`
    bytes. OSError for anything else, which every cache reader takes as "no cache"."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise OSError(f"{path}: not a cache file reportgen wrote")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise OSError(f"{path}: larger than a cache file can be")
        return data
    finally:
        os.close(fd)


def input_folder_problem(path: Path | str) -> str | None:
    """Why `path`, where a folder is expected, is unusable (None when it is a
    folder or absent): a loop, a broken link, a FIFO or a file would otherwise be
    read as an empty folder, or crash a later `Path.resolve`."""
    if not os.path.lexists(path):
        return None
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (a link that leads back to itself), not a folder"
        if exc.errno == errno.ENOENT:
            return "a broken symlink (what it points to does not exist)"
        return f"cannot read folder: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return None
    kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
    return f"{'a file' if stat.S_ISREG(info.st_mode) else kind}, not a folder"


def real_path(path: Path | str) -> Path:
    """Where `path` leads after following symlinks; never raises on a loop
    (Path.resolve does on Python 3.11/3.12)."""
    return Path(os.path.realpath(path))


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop (a link that leads back to itself), not a file"
    return f"cannot read file: {exc.strerror or exc}"


def line_at(raw: bytes, offset: int) -> tuple[int, int]:
    """(line number from 1, offset where that line starts) of byte `offset`:
    CR, CRLF and LF each end a line (a file saved with old Mac line ends is
    not one long line)."""
    before = raw[:offset]
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    return line, start


def cache_folder_problem(cache: Path | str) -> str | None:
    """Why the build cache folder cannot be used (None when it is a folder or absent): a
    link could lead out of the project, and the cache's own clean-up would then delete
    files there that reportgen never wrote (found by the attack on the speed work)."""
    if not os.path.lexists(cache):
        return None
    info = os.lstat(cache)
    if stat.S_ISDIR(info.st_mode):
        return None
    if stat.S_ISLNK(info.st_mode):
        why = f"a link (to {os.readlink(cache)})"
    else:
        why = input_folder_problem(cache) or "not a folder"
    return (
        f"{cache} is {why}: reportgen keeps its build cache in a folder of its own and never "
        f"writes through a link, which could lead out of the project; remove it (rm {cache}) "
        "and build again: the next build makes it afresh"
    )


def write_whole(path: Path, data: bytes, new: bool = False, mode: int = 0o666) -> None:
    """`path` holding `data`, all of it or nothing: written to a temporary file of an
    unguessable name created anew beside it (never through a link: one planted under a
    predictable name made the build overwrite a file outside the project), then swapped
    in — or, `new`, put in only where nothing is (FileExistsError otherwise). A full
    disk leaves the old file, or no file, never a truncated one (`new report` left an
    empty note that the next build published). OSError when it cannot be written; no
    temporary file is left. Found by the attack on issue 15's last part."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(8)}")
    fd = os.open(temporary, flags, mode)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
        if new:
            _link_new(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _link_new(temporary: Path, path: Path) -> None:
    """`temporary` also named `path`, which must not exist (a link there is not followed).
    A file system without hard links (FAT, some network shares) gets a rename instead,
    checked first: a note on a USB stick is still written whole."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(temporary, path)


def ignore_cache_in_git(cache: Path) -> None:
    """`cache/.gitignore` holding `*`, unless something is there already (never written
    through a link planted there, which could lead out of the project), and never failing
    the build (git then shows the cache, nothing worse)."""
    with contextlib.suppress(OSError):
        write_whole(cache / ".gitignore", b"*\n", new=True)


def real_cache_folder(folder: Path | str) -> bool:
    """`folder` is a folder itself, not a link to one: nothing in the build cache is read or
    written through a link (it could lead out of the project)."""
    try:
        return stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        return False


def keep_only(folder: Path, wanted: set[str]) -> None:
    """Remove the files of a cache folder that are not `wanted` (never through a link)."""
    try:
        if not real_cache_folder(folder):
            return
        with os.scandir(folder) as listing:
            names = [entry.name for entry in listing]
    except OSError:
        return
    for name in names:
        if name not in wanted:
            with contextlib.suppress(OSError):
                os.unlink(folder / name)
