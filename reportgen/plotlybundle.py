"""The plotly.js bundle a site serves: the full one from the plotly package, or
the agency's own (`agency.plotly_js`), checked before anything is built.

A bundle must be plotly.js and must register every trace type reportgen
draws (charts.TRACE_TYPES): a bundle without pie draws every other chart and
leaves the channel mix blank, with no error anywhere but the reader's
console. Registrations are found in the bundle's text (each trace module
declares `moduleType: "trace", name: "bar"`), never by running it.

A bundle must also be whole: a download cut short still holds the
registrations and breaks every chart in the browser ("Unexpected end of
input"). A released bundle reportgen knows (KNOWN_BUNDLES, by SHA-256, and the
plotly package's own) is accepted as it is; any other file must have the shape
of a plotly.js dist file (its `plotly.js … vX.Y.Z` header, the UMD wrapper's
opening and closing, a plausible size) and is a warning that `--strict` makes
a failure: reportgen cannot know that it draws.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
from pathlib import Path

from .charts import TRACE_TYPES
from .inputfiles import UnreadableInputError, input_file_problem, read_input_bytes

# The plotly package is found, not imported (its import costs every no-op rebuild).
_PLOTLY = importlib.util.find_spec("plotly")
if _PLOTLY is None or _PLOTLY.origin is None:  # not installed: the error `import plotly` gives
    raise ModuleNotFoundError("No module named 'plotly'", name="plotly")
BUILTIN_PLOTLY_JS = Path(_PLOTLY.origin).parent / "package_data" / "plotly.min.js"
# The full bundle is 4.8 MB; a bundle four times that is not a plotly.js a site should serve.
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
LIGHT_BUNDLE = "plotly.js-basic-dist-min"
# The smallest real plotly.js bundle (basic, minified) is about 1 MB in every major version.
MIN_BUNDLE_BYTES = 512 * 1024

# Released bundles reportgen knows (npm package and file, by SHA-256): accepted without a
# warning. The plotly package's own plotly.min.js is known too (builtin_sha256).
KNOWN_BUNDLES = {
    "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba": (
        "plotly.js-basic-dist-min 4.1.1 (plotly-basic.min.js)"
    ),
    "7e4e0a65b1c10722e2604af5af6e7b510a035c98c88a5dbaa80aa4d614291057": (
        "plotly.js-basic-dist 4.1.1 (plotly-basic.js)"
    ),
    "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a": (
        "plotly.js-cartesian-dist-min 4.1.1 (plotly-cartesian.min.js)"
    ),
    "3b6e15d45dbb7fca5bd2094291e961ddc5472cd887009e6009a56dab668d721f": (
        "plotly.js-dist-min 4.1.1 (plotly.min.js)"
    ),
    "81df0dcd0bf22897a2c5c340ae52d7be3e075ddd2f3bbb940ac1509402e65d9d": "plotly.js-dist 4.1.1 (plotly.js)",
}

# `moduleType:"trace",name:"bar"` as minifiers write it, with any spacing and quotes.
_REGISTRATION = re.compile(rb"""moduleType\s*:\s*["']trace["']\s*,\s*name\s*:\s*["'](\w+)["']""")
# The version in the bundle's first comment: "plotly.js v4.1.1", "plotly.js (basic - minified) v4.1.1".
_HEADER = re.compile(rb"\A\s*/\*(.*?)\*/", re.DOTALL)
_VERSION = re.compile(rb"plotly\.js\b[^\n]*?\bv(\d+)\.(\d+)\.(\d+)")
# A dist file's shape: header comments, then the UMD wrapper, which ends the file ("}));",
# then at most whitespace and comments such as a source map's). plotly.js 3 and 4 open
# with `(function(root, factory) {` and close with `return Plotly;})`; 1 and 2 are minified
# by browserify/webpack: `!function(`.
_COMMENTS = rb"(?:\s|/\*.*?\*/|//[^\n]*(?:\n|\Z))*"
_OPENING = re.compile(
    _COMMENTS + rb"(\(\s*function\s*\(\s*root\s*,\s*factory\s*\)\s*\{|!function\s*\()", re.DOTALL
)
_CLOSING = re.compile(rb"\}\)\);" + _COMMENTS + rb"\Z", re.DOTALL)
_ESBUILD_CLOSING = re.compile(
    rb"\bwindow\.Plotly\s*=\s*Plotly;\s*return\s+Plotly;\s*\}\)\);" + _COMMENTS + rb"\Z", re.DOTALL
)


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


@functools.lru_cache(maxsize=1)
def builtin_sha256() -> str:
    """The SHA-256 of the plotly package's own plotly.min.js."""
    return hashlib.sha256(BUILTIN_PLOTLY_JS.read_bytes()).hexdigest()


def known_release(content: bytes) -> str | None:
    """What a released bundle reportgen knows is ("plotly.js-dist-min 4.1.1 ..."), else None."""
    sha = hashlib.sha256(content).hexdigest()
    if sha == builtin_sha256():
        return f"the plotly package's plotly.min.js (v{builtin_version()})"
    return KNOWN_BUNDLES.get(sha)


def incomplete(content: bytes) -> str | None:
    """Why a file with a plotly.js header is not a whole dist file (None: it looks whole)."""
    again = (
        f'download it again (README: "A lighter Plotly bundle": npm pack {LIGHT_BUNDLE}@{builtin_version()})'
    )
    header = _HEADER.match(content)
    opening = _OPENING.match(content, header.end()) if header else None
    if opening is None:
        return (
            "does not start as a plotly.js dist file does (its header comment, then "
            "the `(function(root, factory) {` wrapper); " + again
        )
    esbuild = opening.group(1).startswith(b"(")
    if not (_ESBUILD_CLOSING if esbuild else _CLOSING).search(content[-8192:]):
        ending = "`window.Plotly = Plotly; return Plotly; }));`" if esbuild else "`}));`"
        return (
            f"is incomplete: it does not end as a plotly.js dist file does ({ending}); "
            "a download cut short? " + again
        )
    if len(content) < MIN_BUNDLE_BYTES:
        return (
            f"is {len(content) // 1024} KB, less than any plotly.js bundle "
            f"({MIN_BUNDLE_BYTES // 1024} KB at least): not a whole plotly.js; " + again
        )
    return None


def check_bundle(content: bytes) -> list[str]:
    """Warnings about a usable bundle; BundleError when it cannot draw the site's charts."""
    if known_release(content):
        return []
    types = registered_trace_types(content)
    version = bundle_version(content)
    if not types and not version:
        raise BundleError(
            "does not look like a plotly.js bundle (it registers no trace types); "
            f"point it at a plotly.js dist file such as {LIGHT_BUNDLE}'s "
            "plotly-basic.min.js"
        )
    if not version:
        raise BundleError(
            "does not look like a plotly.js dist file: it has no header comment "
            "naming its version (`/** plotly.js v4.1.1 ... */`); point it at a "
            f"plotly.js dist file such as {LIGHT_BUNDLE}'s plotly-basic.min.js"
        )
    damaged = incomplete(content)
    if damaged:
        raise BundleError(damaged)
    missing = [name for name in TRACE_TYPES if name not in types]
    if missing:
        raise BundleError(
            f"the bundle has no {', '.join(missing)} trace type{'s' if len(missing) > 1 else ''}, "
            f"which reportgen draws (it needs {', '.join(TRACE_TYPES)}); use {LIGHT_BUNDLE} "
            "(plotly-basic.min.js) or the full plotly.js bundle"
        )
    warnings = [
        f"it is not a plotly.js release reportgen knows (sha256 "
        f"{hashlib.sha256(content).hexdigest()}); check that its charts draw (reportgen "
        f"knows the {builtin_version()} files of {LIGHT_BUNDLE}, plotly.js-dist-min and "
        "plotly.js-cartesian-dist-min from npm)"
    ]
    builtin = builtin_version()
    if version and builtin and version.split(".")[0] != builtin.split(".")[0]:
        warnings.append(
            f"the bundle is plotly.js v{version}, but reportgen is made and tested with "
            f"v{builtin}: a different major version may draw charts differently or not "
            f"at all; use {LIGHT_BUNDLE}@{builtin}"
        )
    return warnings


def read_bundle(path: Path | str) -> bytes:
    """The bytes of a bundle file: a regular file of at most MAX_BUNDLE_BYTES."""
    problem = input_file_problem(path)
    if problem:
        raise BundleError(_being(problem))
    size = os.stat(path).st_size
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(
            f"is {size / 1024 / 1024:.1f} MB; a plotly.js bundle may be at most "
            f"{MAX_BUNDLE_BYTES // 1024 // 1024} MB"
        )
    try:
        content = read_input_bytes(path)
    except UnreadableInputError as exc:
        raise BundleError(_being(exc.message)) from None
    if len(content) > MAX_BUNDLE_BYTES:  # grew since the stat above
        raise BundleError(f"is larger than {MAX_BUNDLE_BYTES // 1024 // 1024} MB")
    return content


def _being(problem: str) -> str:
    """ "a named pipe (FIFO), ..." reads "is a named pipe ..."; "cannot read file: ..." stays."""
    return f"is {problem}" if problem.startswith(("a ", "not ")) else problem


def load_bundle(path: Path | str) -> tuple[bytes, list[str]]:
    """A bundle's bytes and its warnings; BundleError when it is unusable."""
    content = read_bundle(path)
    return content, check_bundle(content)
