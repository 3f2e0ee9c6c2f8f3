"""`reportgen serve`: build, serve on localhost, rebuild on change, reload the browser.

The site is built (drafts included) into a private temporary folder, with
its build cache beside it — never into `site/` or the project's cache — and
removed when serve stops (Ctrl-C, SIGTERM or SIGHUP); it is served on
127.0.0.1 only, to requests whose `Host` is 127.0.0.1, localhost or [::1]
with the server's port (anything else is a DNS-rebinding attempt and gets
no content). Watchers (watchfiles; watching.py) follow *folders*, never single files, so
a save that replaces a file (`sed -i`, an editor's atomic rename, `git
checkout`) is seen like any other: the project
folder itself (not recursively: clients.yaml and top-level data files), and
data/, content/, templates/, assets/ and every data glob's folder
recursively. A change marks the site dirty; the serving loop rebuilds
(incrementally: only what the change affects is rendered). Open pages ask for
the build's state twice a second (no tab holds a connection: a browser keeps six
to one host) and reload after a rebuild; a build that fails
shows its `path:line` problems as an overlay in the page (and in the
terminal), the server keeps running, and the next good build clears it.

A protected client (`access.password_env`) is previewed without its password:
its pages are rendered unsealed and marked "preview, not protected" — which
is safe only because they stay in that temporary folder, served on loopback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import http.server
import json
import mimetypes
import os
import re
import shutil
import signal
import socketserver
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from urllib.parse import unquote, unquote_to_bytes

from .build import build_site
from .buildoptions import BuildOptions
from .config import read_project_config
from .errors import InputError, OutputError, ReportgenError
from .output import check_output_dir
from .render import read_static
from .servepages import (
    LIVE_SCRIPT,
    canonical_location,
    folder_location,
    inject_live_reload,
    mark_preview,
    missing_page,
    target_parts,
    wants_page,
)
from .watching import watch

EVENTS = "/__reportgen/events"  # the state as a stream: what a theme's own older live.js listens to
STATE = "/__reportgen/state"  # the state, asked by live.js every half second
WATCHED = ("clients.yaml", "content", "data", "templates", "assets")
HEARTBEAT_SECONDS = 10
WATCHER_READY_SECONDS = 15  # at most this long for the watch to be set up before the first build
MAX_WARNINGS_SHOWN = 30  # in the terminal after a good build (`reportgen check` lists them all)
MAX_PATH = 2048  # longer request paths are refused (400)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclasses.dataclass
class ServeState:
    """What the open pages need to know: which build they show, and any error."""

    version: int = 0
    error: str | None = None
    built: bool = False  # a build has succeeded: until then every page is the "no site yet" page
    warnings: list[str] = dataclasses.field(default_factory=list)  # the last good build's
    condition: threading.Condition = dataclasses.field(default_factory=threading.Condition)
    protected: frozenset[str] = frozenset()  # portal folders previewed unsealed
    # serve's own temporary folder (the preview site and its cache): when
    # something else changed it, serve empties it and builds afresh.
    owned: Path | None = None

    def publish(self, error: str | None) -> None:
        with self.condition:
            self.version += 1
            self.error = error
            self.built = self.built or error is None
            self.condition.notify_all()

    def message(self) -> str:
        with self.condition:  # (a version with the error of the build before would never reload)
            return json.dumps({"version": self.version, "error": self.error, "warnings": self.warnings})


def protected_clients(project: Path) -> frozenset[str] | None:
    """Portal folders (slug, else id) of clients with `access` (None when
    clients.yaml cannot be read)."""
    config, _problems = read_project_config(project)
    if config is None:
        return None
    return frozenset(getattr(c, "slug", None) or c.id for c in config.clients if c.access is not None)


def rebuild(options: BuildOptions, state: ServeState, log: Callable[[str], None]) -> None:
    started, first = time.perf_counter(), not state.built
    try:
        protected = protected_clients(options.project)
        if protected is not None:
            state.protected = protected
        if reclaim_preview(options, state.owned):
            log("The preview folder was changed by something else: emptied it, building afresh.")
        result = build_site(options)
    except (InputError, OutputError, ReportgenError) as exc:
        _failed(state, failure_text(exc), log)
        return
    except Exception as exc:  # a bug must not stop the server: say it, keep serving the last site
        _failed(state, f"internal error: {type(exc).__name__}: {exc}", log)
        return
    pages = result.pages_written
    verb = "Built" if first else "Rebuilt"
    log(f"{verb} in {time.perf_counter() - started:.1f}s: {counted(pages, 'page')} rendered.")
    warnings = [str(w) for w in result.warnings]
    if warnings and warnings != state.warnings:
        # A build that succeeds can still leave a portal empty (a data folder renamed): say so.
        shown = warnings[:MAX_WARNINGS_SHOWN]
        more = f"\n… and {len(warnings) - len(shown)} more" if len(warnings) > len(shown) else ""
        log(f"{counted(len(warnings), 'warning')}:\n" + "\n".join(shown) + more)
    elif warnings:
        log(f"The same {counted(len(warnings), 'warning')} as before.")
    changed = warnings != state.warnings
    state.warnings = warnings
    if pages or result.pages_pruned or state.error is not None or changed:
        state.publish(None)  # (a rebuild that changed nothing does not reload the open pages)


def counted(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _failed(state: ServeState, text: str, log: Callable[[str], None]) -> None:
    if text == state.error:  # every save of a file being copied in would repeat the whole list
        log("Build failed again: the same problems as above.")
    else:
        log(f"Build failed:\n{text}")
    state.publish(text)


def failure_text(exc: ReportgenError) -> str:
    """What failed the build first, then the warnings found alongside, under their own heading:
    mixed into one list, a warning (a month "has data but no note" because its note did not
    parse) reads like a second thing to fix."""
    if not isinstance(exc, InputError):
        return exc.format_message()
    # With --strict, warnings alone fail the build: then they are the list.
    failed = [p for p in exc.problems if p.severity == "error"] or exc.problems
    also = [p for p in exc.problems if p not in failed]
    text = "\n".join(str(p) for p in failed)
    if also:
        text += f"\n\nAlso found ({len(also)}, did not fail the build):\n" + "\n".join(str(p) for p in also)
    return text


def reclaim_preview(options: BuildOptions, owned: Path | None) -> bool:
    """Empty serve's own preview folder when it no longer passes the output
    check (its `.reportgen-site` marker removed, files put there, the folder
    replaced by a file or a link): serve wrote it and owns it, so instead of
    refusing every rebuild it starts afresh, cache included. True when it did.

    Only a folder inside `owned` (serve's temporary folder) is ever touched."""
    if owned is None:
        return False
    owned = Path(os.path.realpath(owned))
    out = _unresolved_name(options.out)  # the folder itself may be a link: never followed
    if not out.is_relative_to(owned) or out == owned:
        return False
    if not os.path.lexists(out):
        return False
    if not out.is_symlink() and out.is_dir():
        try:
            check_output_dir(out, options.project)
            return False
        except OutputError:
            pass
    _remove(out)
    cache = _unresolved_name(options.cache_dir) if options.cache_dir is not None else None
    if cache is not None and cache.is_relative_to(owned) and cache != owned and os.path.lexists(cache):
        _remove(cache)  # its manifest describes the folder as it was
    out.mkdir(parents=True, exist_ok=True)
    return True


def _unresolved_name(path: Path) -> Path:
    """The path with its parent folders resolved, its last name as it is."""
    path = Path(os.path.abspath(path))
    return Path(os.path.realpath(path.parent)) / path.name


def _remove(path: Path) -> None:
    """A file or link is unlinked (a link's target is never followed), a folder removed."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def make_server(
    port: int, root: Path, state: ServeState, live_js: bytes, stopping: threading.Event
) -> http.server.ThreadingHTTPServer:
    handler = type(
        "Handler", (_Handler,), {"root": root, "state": state, "live_js": live_js, "stopping": stopping}
    )
    try:
        return _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        return _Server(("127.0.0.1", 0), handler)  # taken: any free port


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """One line, never a traceback (a dropped connection is not even that)."""
        kind, exc = sys.exc_info()[:2]
        if kind is None or issubclass(kind, ConnectionError | TimeoutError):
            return
        print(f"reportgen serve: request failed: {kind.__name__}: {exc}", file=sys.stderr)


def bound_address(server: socketserver.BaseServer) -> tuple[str, int]:
    """The host and port an IPv4 server listens on."""
    address = server.server_address
    assert isinstance(address, tuple)
    return str(address[0]), int(address[1])


def allowed_hosts(port: int) -> frozenset[str]:
    """Host header values this server answers: loopback names with its port."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_HOSTS}
    if port == 80:
        hosts.update(LOOPBACK_HOSTS)
    return frozenset(hosts)


def request_path(raw: str) -> str | None:
    """The decoded path of a request target, or None for a malformed one:
    not origin-form, too long, bad percent-encoding, not UTF-8, control
    characters, backslashes, or `.`/`..` segments."""
    if len(raw) > MAX_PATH or not raw.startswith("/"):
        return None
    path = target_parts(raw)[0]
    if _PERCENT.search(path):
        return None
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(decoded) or any(part in (".", "..") for part in decoded.split("/")):
        return None
    return decoded


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    state: ServeState
    live_js: bytes
    stopping: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # quiet: the terminal shows builds
        pass

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Every method but GET and HEAD (http.server looks up `do_<METHOD>`):
        the Host check first, like any request, then 405."""
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _host_allowed(self) -> bool:
        """The Host check, before anything else for every method; False when refused."""
        hosts = self.headers.get_all("Host") or []
        host = hosts[0].strip().lower() if len(hosts) == 1 else ""
        if host not in allowed_hosts(bound_address(self.server)[1]):
            # DNS rebinding: another site's page, under a name that resolves to us.
            self._send(421 if host else 400, b"", "text/plain; charset=utf-8")
            return False
        return True

    def _not_allowed(self) -> None:
        if self._host_allowed():
            self._send(405, b"Method not allowed", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})

    def do_HEAD(self) -> None:  # the headers GET would send, no body
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_allowed():
            return
        path = request_path(self._target())
        if path is None:
            self._send(400, b"Bad request", "text/plain; charset=utf-8")
            return
        if path == LIVE_SCRIPT:
            self._send(200, self.live_js, "text/javascript; charset=utf-8")
        elif path == STATE:
            self._send(200, self.state.message().encode(), "application/json")
        elif path == EVENTS:
            self._events()
        else:
            self._file(path)

    def _target(self) -> str:
        """The request target as sent: http.server rewrites a leading `//` to `/` in `self.path`,
        and the browser would resolve the page's links against the `//` it shows."""
        words = self.requestline.split()
        return words[1] if len(words) == 3 else self.path

    def _file(self, path: str) -> None:
        # The version before the file is read: a rebuild in between reloads the page once more,
        # never leaves it stale.
        version = self.state.version
        raw_path, query = target_parts(self._target())
        # A page at `//` or `%2F` would resolve its links elsewhere: redirected, once.
        moved = canonical_location(path, raw_path, query)
        path = unquote(target_parts(moved)[0]) if moved else path
        root = self.root.resolve()
        folder = False
        try:
            target = (root / path.lstrip("/")).resolve()
            # `/acme-corp` -> `/acme-corp/`, as a static host does: the page's
            # relative links resolve against the folder, not its parent.
            is_folder = target.is_dir()
            folder = is_folder and not path.endswith("/") and target.is_relative_to(root)
            if is_folder:
                target = target / "index.html"
            # (`index.html/` is no page: as on a static host, a file has no trailing slash)
            found = target.is_relative_to(root) and target.is_file() and not folder
            found = found and (is_folder or not path.endswith("/"))
            content = target.read_bytes() if found else b""
        except (OSError, ValueError):  # too long a name, a loop, a file removed by a rebuild
            found = False
        if folder or moved:
            location = folder_location(path, query) if folder else str(moved)
            self._send(301, b"", "text/plain; charset=utf-8", {"Location": location})
            return
        if not found:
            self._missing(path)
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".html":
            client = target.relative_to(root).parts[0] if len(target.relative_to(root).parts) > 1 else None
            if client in self.state.protected:
                content = mark_preview(content)
            content = inject_live_reload(content, version)
            kind = "text/html; charset=utf-8"
        self._send(200, content, kind)

    def _missing(self, path: str) -> None:
        """A page that is not there (yet): a page that listens for the next build, so the
        open tab shows the failed build's problems and reloads once a build succeeds (a
        bare 404 would leave it stranded); anything else, a plain 404."""
        if not wants_page(path) or path.startswith("/__reportgen/"):  # (serve's own: no page there)
            self._send(404, b"Not found", "text/plain; charset=utf-8")
            return
        with self.state.condition:
            version, built, error = self.state.version, self.state.built, self.state.error
        status = 404 if built else 503  # 503: no site yet, the first build failed
        self._send(status, missing_page(path, built, version, error), "text/html; charset=utf-8")

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command == "HEAD":
            return
        seen = -1
        try:
            while not self.stopping.is_set():
                with self.state.condition:
                    if self.state.version == seen:
                        self.state.condition.wait(HEARTBEAT_SECONDS)
                    seen = self.state.version
                    message = self.state.message()
                self.wfile.write(f"data: {message}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, status: int, content: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


# --- watching ------------------------------------------------------------------------------


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as on Ctrl-C."""


def _stop_on_signals() -> Callable[..., None]:
    """Make SIGTERM and SIGHUP raise like Ctrl-C (main thread only: Python
    delivers signals there); returns what puts the previous handlers back —
    `quiet=True` first ignores further signals while serve cleans up.

    A signal this process was started ignoring stays ignored: `nohup reportgen
    serve` must outlive its terminal, and a SIGHUP before this ran was ignored
    already (a SIGHUP stopping serve only later would depend on timing)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda quiet=False: None
    names = [
        n
        for n in ("SIGTERM", "SIGHUP")
        if hasattr(signal, n) and signal.getsignal(getattr(signal, n)) != signal.SIG_IGN
    ]
    previous = {name: signal.getsignal(getattr(signal, name)) for name in names}

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped()

    for name in names:
        signal.signal(getattr(signal, name), stop)

    def restore(quiet: bool = False) -> None:
        for name in names:
            handler = signal.SIG_IGN if quiet else previous[name]
            signal.signal(getattr(signal, name), handler if handler is not None else signal.SIG_DFL)

    return restore


def serve(
    options: BuildOptions,
    port: int,
    log: Callable[[str], None],
    ready: Callable[[str], None] | None = None,
    stopping: threading.Event | None = None,
) -> None:
    """Serve until `stopping` is set (Ctrl-C in the terminal)."""
    # The preview (drafts, protected portals unsealed) lives in a private temporary
    # folder outside the project, removed when serve stops: never in the output,
    # never in the project's cache.
    # Its build cache too: the project's .reportgen-cache/ is not touched.
    # SIGTERM and SIGHUP stop serve the way Ctrl-C does, through the cleanup below.
    stopping = stopping or threading.Event()
    restore = _stop_on_signals()
    preview_dir = server = watcher = thread = None
    state = ServeState()
    try:
        preview_dir = Path(tempfile.mkdtemp(prefix="reportgen-preview-"))
        state.owned = preview_dir
        options = dataclasses.replace(
            options, out=preview_dir / "site", drafts=True, preview=True, cache_dir=preview_dir / "cache"
        )
        options.out.mkdir(parents=True, exist_ok=True)
        # Watching starts before the first build: a change saved while it runs (a minute on a
        # large agency) sets `dirty`, and the loop below builds again once it is served.
        dirty, watching = threading.Event(), threading.Event()
        watcher = threading.Thread(
            target=watch, args=(options.project, stopping, dirty.set, watching.set), daemon=True
        )
        watcher.start()
        if not watching.wait(WATCHER_READY_SECONDS):
            log("Watching the project is not set up yet: a change saved now may need another save.")
        rebuild(options, state, log)
        server = make_server(port, options.out, state, read_static(options.project, "live.js"), stopping)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        host, bound = bound_address(server)
        address = f"http://{host}:{bound}/"
        log(f"Serving {options.project.resolve()} at {address} (Ctrl-C to stop)")
        if ready:
            ready(address)
        while not stopping.is_set():
            if dirty.wait(0.5):
                dirty.clear()  # changes from now on trigger the next rebuild
                rebuild(options, state, log)
    except KeyboardInterrupt:
        stopping.set()
    finally:
        stopping.set()
        restore(quiet=True)  # a second signal now must not cut the cleanup short
        with state.condition:
            state.condition.notify_all()
        if server is not None:
            # shutdown() waits for serve_forever() to end: only when it runs (a signal
            # can arrive before its thread started, and would hang the cleanup).
            if thread is not None and thread.is_alive():
                server.shutdown()
            server.server_close()
        if watcher is not None:
            watcher.join(timeout=5)
        if thread is not None:
            with contextlib.suppress(Exception):
                thread.join(timeout=5)
        if preview_dir is not None:
            shutil.rmtree(preview_dir, ignore_errors=True)
        restore(quiet=False)
