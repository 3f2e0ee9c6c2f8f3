"""`reportgen serve`: build, serve on localhost, rebuild on change, reload the browser.

The site is built (drafts included) into the project's cache folder, never
into `site/`, and served on 127.0.0.1 only. A watcher (watchfiles) rebuilds on
every change to clients.yaml, data, content, templates or assets; the build
is incremental, so only what the change affects is rendered. Open pages
listen on a server-sent-events stream and reload after a rebuild; a build that
fails shows its `path:line` problems as an overlay in the page (and in the
terminal), and the server keeps running until the file is fixed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import http.server
import json
import mimetypes
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import BuildOptions, build_site
from .cache import CACHE_DIR
from .errors import InputError, OutputError, ReportgenError
from .render import read_static

LIVE_SCRIPT = "/__reportgen/live.js"
EVENTS = "/__reportgen/events"
WATCHED = ("clients.yaml", "content", "data", "templates", "assets")
HEARTBEAT_SECONDS = 10
WATCHER_SETTLE_SECONDS = 0.5  # the OS watch is set up when the watcher first runs


@dataclasses.dataclass
class ServeState:
    """What the open pages need to know: which build they show, and any error."""

    version: int = 0
    error: str | None = None
    condition: threading.Condition = dataclasses.field(default_factory=threading.Condition)

    def publish(self, error: str | None) -> None:
        with self.condition:
            self.version += 1
            self.error = error
            self.condition.notify_all()

    def message(self) -> str:
        return json.dumps({"version": self.version, "error": self.error})


def serve_output(project: Path) -> Path:
    return project / CACHE_DIR / "serve-site"


def rebuild(options: BuildOptions, state: ServeState, log: Callable[[str], None]) -> None:
    started = time.perf_counter()
    try:
        result = build_site(options)
    except (InputError, OutputError, ReportgenError) as exc:
        log(f"Build failed:\n{exc.format_message()}")
        state.publish(exc.format_message())
        return
    log(f"Rebuilt in {time.perf_counter() - started:.1f}s: {result.pages_written} pages rendered.")
    state.publish(None)


def make_server(port: int, root: Path, state: ServeState, live_js: bytes,
                stopping: threading.Event) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"root": root, "state": state, "live_js": live_js,
                                            "stopping": stopping})
    try:
        return _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise
        return _Server(("127.0.0.1", 0), handler)  # taken: any free port


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    state: ServeState
    live_js: bytes
    stopping: threading.Event

    def log_message(self, format: str, *args) -> None:  # quiet: the terminal shows builds
        pass

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == LIVE_SCRIPT:
            self._send(200, self.live_js, "text/javascript; charset=utf-8")
        elif path == EVENTS:
            self._events()
        else:
            self._file(path)

    def _file(self, path: str) -> None:
        target = (self.root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            self._send(404, b"Not found", "text/plain; charset=utf-8")
            return
        content = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".html":
            content = inject_live_reload(content)
            kind = "text/html; charset=utf-8"
        self._send(200, content, kind)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
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

    def _send(self, status: int, content: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(content)


def inject_live_reload(html: bytes) -> bytes:
    """The live-reload script, and a policy that lets it listen to the server."""
    html = html.replace(b"default-src 'none';", b"default-src 'none'; connect-src 'self';", 1)
    tag = f'<script src="{LIVE_SCRIPT}"></script>'.encode()
    if b"</body>" in html:
        return html.replace(b"</body>", tag + b"\n</body>", 1)
    return html + tag


def watch(project: Path, stopping: threading.Event, on_change: Callable[[], None]) -> None:
    from watchfiles import watch as watch_files

    ignored = {(project / CACHE_DIR).resolve(), (project / "site").resolve()}

    def relevant(_change, path: str) -> bool:
        resolved = Path(path).resolve()
        return not any(resolved.is_relative_to(folder) for folder in ignored)

    paths = [str(project / name) for name in WATCHED if (project / name).exists()] or [str(project)]
    for _changes in watch_files(*paths, watch_filter=relevant, stop_event=stopping,
                                debounce=200, rust_timeout=500, yield_on_timeout=False):
        on_change()


def serve(options: BuildOptions, port: int, log: Callable[[str], None],
          ready: Callable[[str], None] | None = None, stopping: threading.Event | None = None) -> None:
    """Serve until `stopping` is set (Ctrl-C in the terminal)."""
    options = dataclasses.replace(options, out=serve_output(options.project), drafts=True)
    options.out.mkdir(parents=True, exist_ok=True)
    stopping = stopping or threading.Event()
    state = ServeState()
    rebuild(options, state, log)
    server = make_server(port, options.out, state, read_static(options.project, "live.js"), stopping)
    watcher = threading.Thread(target=watch, args=(options.project, stopping,
                                                   lambda: rebuild(options, state, log)), daemon=True)
    watcher.start()
    time.sleep(WATCHER_SETTLE_SECONDS)  # changes saved from now on are seen
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    host, bound = server.server_address[:2]
    address = f"http://{host}:{bound}/"
    log(f"Serving {options.project.resolve()} at {address} (Ctrl-C to stop)")
    if ready:
        ready(address)
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        stopping.set()
    finally:
        with state.condition:
            state.condition.notify_all()
        server.shutdown()
        server.server_close()
        watcher.join(timeout=5)
        with contextlib.suppress(Exception):
            thread.join(timeout=5)

