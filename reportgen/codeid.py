"""What this reportgen is, for every cache key: its version and a digest of its own code.

A cache written by other code is never trusted. The version alone let an edited
checkout, or a newer commit installed with the same version number (the CI workflow
`init` writes installs reportgen from git), carry pages, parsed files and summaries
the old code made into the new site (found in this round's screenshot review: a fix
did not reach the demo's pages until `--clean`).
"""

from __future__ import annotations

import functools
import hashlib
import os

from . import __version__

_CODE_SUFFIXES = (".py", ".po", ".mo")


@functools.cache
def code_identity() -> str:
    """`0.1.0+` and the first 16 hex digits of the SHA-256 of the package's own files
    (~3 ms, once per process)."""
    return identity_of(os.path.dirname(os.path.abspath(__file__)))


def identity_of(package: str) -> str:
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(_CODE_SUFFIXES):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    content = handle.read()
                digest.update(f"{os.path.relpath(path, package)}\0{len(content)}\0".encode())
                digest.update(content)
    return f"{__version__}+{digest.hexdigest()[:16]}"
