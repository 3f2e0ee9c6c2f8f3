"""What this reportgen is, for every cache key: its version, a digest of its own code,
and what else decides the bytes and permissions of what it writes.

A cache written by other code is never trusted. The version alone let an edited
checkout, or a newer commit installed with the same version number (the CI workflow
`init` writes installs reportgen from git), carry pages, parsed files and summaries
the old code made into the new site (found in this round's screenshot review: a fix
did not reach the demo's pages until `--clean`). Likewise a library upgraded under it
(Markdown, Jinja, Babel, nh3 …), another Python, or another umask: each left the pages
and file permissions of the old one published beside new ones (found by the attack on
the speed work's last part).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys

from . import __version__

# The libraries whose code shapes what a build writes (module, distribution): pages
# (Jinja, MarkupSafe, Markdown, Babel, nh3), parsed values (PyYAML), logos (defusedxml),
# sealed portals (cryptography), the chart bundle (plotly).
RENDERING_LIBRARIES = (
    ("jinja2", "jinja2"),
    ("markupsafe", "markupsafe"),
    ("markdown", "markdown"),
    ("yaml", "pyyaml"),
    ("babel", "babel"),
    ("nh3", "nh3"),
    ("defusedxml", "defusedxml"),
    ("cryptography", "cryptography"),
    ("plotly", "plotly"),
)

_CODE_SUFFIXES = (".py", ".po", ".mo")


@functools.cache
def code_identity() -> str:
    """`0.1.0+` and the first 16 hex digits of the SHA-256 of the package's own files
    (~3 ms, once per process)."""
    return identity_of(os.path.dirname(os.path.abspath(__file__)), environment_identity())


@functools.cache
def environment_identity() -> tuple[object, ...]:
    """The Python, the umask (the permissions of every file and folder written) and each
    rendering library as installed: where it is imported from and the versions its
    folder's install records name (~1 ms; nothing is imported). Stable across reinstalls
    of the same versions at the same paths, so a CI cache restored onto a fresh machine
    whose Python sits where the last one's did still holds. Not seen: a library's code
    edited where it sits under the same version (build with --clean after that)."""
    listings: dict[str, list[str]] = {}
    libraries = []
    for module, distribution in RENDERING_LIBRARIES:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None and spec.origin else ""
        libraries.append((module, origin, _installed_versions(origin, distribution, listings)))
    return (sys.version, process_umask(), tuple(libraries))


def _installed_versions(origin: str, distribution: str, listings: dict[str, list[str]]) -> str:
    """The `<name>-<version>.dist-info` (or `.egg-info`) records of `distribution` beside the
    folder `origin` is in (a package's `__init__.py`, or a single module)."""
    if not origin:
        return ""
    folder = os.path.dirname(origin)
    if os.path.basename(origin).startswith("__init__."):
        folder = os.path.dirname(folder)
    if folder not in listings:
        try:
            listings[folder] = sorted(os.listdir(folder))
        except OSError:
            listings[folder] = []
    wanted = _normalised(distribution)
    return ",".join(
        name
        for name in listings[folder]
        if name.endswith((".dist-info", ".egg-info")) and _normalised(name.split("-", 1)[0]) == wanted
    )


def _normalised(name: str) -> str:
    """A distribution's name as its install record spells it, any case (PEP 503, 427)."""
    return name.lower().replace("-", "_").replace(".", "_")


@functools.cache
def process_umask() -> int:
    """This process's umask, read without changing it where /proc says it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # (no /proc: read by setting it, at once restored)
    os.umask(umask)
    return umask


def identity_of(package: str, environment: tuple[object, ...] = ()) -> str:
    digest = hashlib.sha256(repr(environment).encode("utf-8", "surrogateescape"))
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
