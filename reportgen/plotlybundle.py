"""The plotly.js bundle a site serves: the full one from the plotly package, or
the agency's own (`agency.plotly_js`), checked before anything is built.

A bundle must be plotly.js and must register every trace type reportgen
draws (charts.TRACE_TYPES): a bundle without pie draws every other chart and
leaves the channel mix blank, with no error anywhere but the reader's
console. Registrations are found in the bundle's text (each trace module
declares `moduleType: "trace", name: "bar"`), never by running it.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import plotly

from .charts import TRACE_TYPES
from .inputfiles import UnreadableInputError, input_file_problem, read_input_bytes

BUILTIN_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The full bundle is 4.8 MB; a bundle four times that is not a plotly.js a site should serve.
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
LIGHT_BUNDLE = "plotly.js-basic-dist-min"

# `moduleType:"trace",name:"bar"` as minifiers write it, with any spacing and quotes.
_REGISTRATION = re.compile(rb"""moduleType\s*:\s*["']trace["']\s*,\s*name\s*:\s*["'](\w+)["']""")
# The version in the bundle's first comment: "plotly.js v4.1.1", "plotly.js (basic - minified) v4.1.1".
_HEADER = re.compile(rb"\A\s*/\*(.*?)\*/", re.DOTALL)
_VERSION = re.compile(rb"plotly\.js\b[^\n]*?\bv(\d+)\.(\d+)\.(\d+)")


class BundleError(Exception):
    """A file that cannot serve as the site's plotly.js; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def registered_trace_types(content: bytes) -> frozenset[str]:
    """The trace types a plotly.js bundle registers (empty: not a plotly.js bundle)."""
    return frozenset(name.decode("ascii") for name in _REGISTRATION.findall(content))


def bundle_version(content: bytes) -> str | None:
    """`4.1.1` from the bundle's header comment, or None when it names none."""
    header = _HEADER.match(content[:4096])
    found = _VERSION.search(header.group(1)) if header else None
    return ".".join(part.decode("ascii") for part in found.groups()) if found else None


@functools.lru_cache(maxsize=1)
def builtin_version() -> str | None:
    """The version of the plotly.js that ships in the plotly package."""
    with open(BUILTIN_PLOTLY_JS, "rb") as handle:
        return bundle_version(handle.read(4096))


def check_bundle(content: bytes) -> list[str]:
    """Warnings about a usable bundle; BundleError when it cannot draw the site's charts."""
    types = registered_trace_types(content)
    if not types:
        raise BundleError("does not look like a plotly.js bundle (it registers no trace types); "
                          f"point it at a plotly.js dist file such as {LIGHT_BUNDLE}'s "
                          "plotly-basic.min.js")
    missing = [name for name in TRACE_TYPES if name not in types]
    if missing:
        raise BundleError(
            f"the bundle has no {', '.join(missing)} trace type{'s' if len(missing) > 1 else ''}, "
            f"which reportgen draws (it needs {', '.join(TRACE_TYPES)}); use {LIGHT_BUNDLE} "
            "(plotly-basic.min.js) or the full plotly.js bundle")
    warnings = []
    version, builtin = bundle_version(content), builtin_version()
    if version and builtin and version.split(".")[0] != builtin.split(".")[0]:
        warnings.append(f"the bundle is plotly.js v{version}, but reportgen is made and tested with "
                        f"v{builtin}: a different major version may draw charts differently or not "
                        f"at all; use {LIGHT_BUNDLE}@{builtin}")
    return warnings


def read_bundle(path: Path | str) -> bytes:
    """The bytes of a bundle file: a regular file of at most MAX_BUNDLE_BYTES."""
    problem = input_file_problem(path)
    if problem:
        raise BundleError(_being(problem))
    size = os.stat(path).st_size
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"is {size / 1024 / 1024:.1f} MB; a plotly.js bundle may be at most "
                          f"{MAX_BUNDLE_BYTES // 1024 // 1024} MB")
    try:
        content = read_input_bytes(path)
    except UnreadableInputError as exc:
        raise BundleError(_being(exc.message)) from None
    if len(content) > MAX_BUNDLE_BYTES:  # grew since the stat above
        raise BundleError(f"is larger than {MAX_BUNDLE_BYTES // 1024 // 1024} MB")
    return content


def _being(problem: str) -> str:
    """"a named pipe (FIFO), ..." reads "is a named pipe ..."; "cannot read file: ..." stays."""
    return f"is {problem}" if problem.startswith(("a ", "not ")) else problem


def load_bundle(path: Path | str) -> tuple[bytes, list[str]]:
    """A bundle's bytes and its warnings; BundleError when it is unusable."""
    content = read_bundle(path)
    return content, check_bundle(content)
