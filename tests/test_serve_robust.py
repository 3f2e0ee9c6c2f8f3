"""`reportgen serve` against the real world: replace-saves, foreign Host headers,
malformed request paths, and protected clients previewed without their password."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import TODAY, make_project, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.build import BuildOptions
from reportgen.serve import allowed_hosts, request_path, serve
from reportgen.servepages import PREVIEW_MARK

CLIENT = "acme-corp"
PAGE = f"/{CLIENT}/2026-10/index.html"


class Server:
    def __init__(self, project: Path, env: dict[str, str] | None = None):
        self.project = project
        self.stopping = threading.Event()
        self.address: str | None = None
        self.lines: list[str] = []
        ready = threading.Event()

        def on_ready(address: str) -> None:
            self.address = address
            ready.set()

        options = BuildOptions(project=project, out=project / "site", today=TODAY, jobs=1)
        self.thread = threading.Thread(
            target=serve, args=(options, 0, self.lines.append, on_ready, self.stopping), daemon=True
        )
        self.thread.start()
        assert ready.wait(120), "\n".join(self.lines)
        self.port = int(self.address.rsplit(":", 1)[1].strip("/"))

    def request(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def raw(self, request: bytes) -> int:
        """A hand-written request (http.client refuses malformed targets); the status."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        return int(data.split(b" ", 2)[1])

    def page(self, path: str = PAGE) -> str:
        status, body = self.request(path)
        return body.decode() if status == 200 else ""

    def state(self) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("GET", "/__reportgen/events", headers={"Host": f"localhost:{self.port}"})
            response = connection.getresponse()
            while True:
                line = response.fp.readline().decode().strip()
                if line.startswith("data:"):
                    return json.loads(line[5:])
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    root = tmp_path / "proj"
    make_project(root)
    running = Server(root)
    yield running
    running.stop()


def serve_a_new_project(tmp_path_factory, name: str):
    """A generated project, served until the generator is closed (a module fixture's body)."""
    root = tmp_path_factory.mktemp(name) / "proj"
    make_project(root)
    running = Server(root)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the read-only tests (hosts, paths)."""
    yield from serve_a_new_project(tmp_path_factory, "serve")


def replace_save(path: Path, text: str) -> None:
    """What sed -i, editors' atomic saves and git checkout do: a new file renamed over the old."""
    temporary = path.with_name(f".{path.name}.tmp-save")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# --- replace-saves ---------------------------------------------------------------------------


def test_replace_saves_of_clients_yaml_are_seen_every_time(server):
    config = server.project / "clients.yaml"
    good = config.read_text(encoding="utf-8")
    assert "Client qzacmeqz" in server.page()

    replace_save(config, good.replace("Client qzacmeqz", "Renamed Once"))
    wait_for(lambda: "Renamed Once" in server.page())
    replace_save(config, good.replace("Client qzacmeqz", "Renamed Twice"))
    wait_for(lambda: "Renamed Twice" in server.page())

    # A broken replace-save shows the overlay; a later replace-save clears it.
    replace_save(config, good + "\nbroken: [\n")
    state = wait_for(lambda: (s := server.state())["error"] and s)
    assert "clients.yaml:" in state["error"]
    replace_save(config, good.replace("Client qzacmeqz", "Fixed Again"))
    wait_for(lambda: server.state()["error"] is None)
    wait_for(lambda: "Fixed Again" in server.page())


def test_atomic_saves_and_branch_switches_of_folders_are_seen(server):
    note = server.project / "content" / CLIENT / "2026-10.md"
    replace_save(note, note.read_text(encoding="utf-8") + "\nAtomic paragraph one.\n")
    wait_for(lambda: "Atomic paragraph one." in server.page())

    # A branch switch: the client's notes folder is replaced as a whole.
    folder = note.parent
    fresh = folder.with_name(f"{CLIENT}.checkout")
    shutil.copytree(folder, fresh)
    (fresh / "2026-10.md").write_text(
        note.read_text(encoding="utf-8") + "\nFrom the other branch.\n", encoding="utf-8"
    )
    shutil.rmtree(folder)
    os.rename(fresh, folder)
    wait_for(lambda: "From the other branch." in server.page())
    # ... and later edits inside the replaced folder are still seen.
    replace_save(note, note.read_text(encoding="utf-8") + "\nAfter the switch.\n")
    wait_for(lambda: "After the switch." in server.page())

    # The whole content/ folder replaced (git checkout of another branch).
    content = server.project / "content"
    other = server.project / "content.other"
    shutil.copytree(content, other)
    path = other / CLIENT / "2026-10.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nWhole folder swapped.\n", encoding="utf-8")
    shutil.rmtree(content)
    os.rename(other, content)
    wait_for(lambda: "Whole folder swapped." in server.page())
    replace_save(note, note.read_text(encoding="utf-8") + "\nStill watching.\n")
    wait_for(lambda: "Still watching." in server.page())


def test_data_glob_folders_outside_data_are_watched(server):
    config = server.project / "clients.yaml"
    exports = server.project / "exports" / CLIENT
    exports.mkdir(parents=True)
    source = next((server.project / "data" / CLIENT).glob("*.csv"))
    shutil.move(source, exports / source.name)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == CLIENT:
            client["data"] = [*client["data"], f"exports/{CLIENT}/*.csv"]
    replace_save(config, yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    wait_for(lambda: server.state()["error"] is None and "Client qzacmeqz" in server.page())
    before = server.page()
    csv_path = exports / source.name
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    october = [i for i, line in enumerate(lines) if line.startswith("2026-10-0")]
    assert october, "the fixture has October rows"
    row = lines[october[0]].split(",")
    row[header.index("leads")] = str(int(float(row[header.index("leads")] or 0)) + 987654)
    lines[october[0]] = ",".join(row)
    replace_save(csv_path, "\n".join(lines) + "\n")
    wait_for(lambda: server.page() != before and server.page())


# --- Host header (DNS rebinding) --------------------------------------------------------------


def test_only_loopback_hosts_with_the_port_are_answered(shared_server):
    server = shared_server
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, body = server.request(PAGE, host)
        assert status == 200 and b"<html" in body, host
    for host in (
        "evil.example",
        f"evil.example:{port}",
        "127.0.0.1",
        "localhost",
        f"localhost:{port + 1}",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.:{port}",
        f"0.0.0.0:{port}",
        "",
        f"127.0.0.1:{port}@evil.example",
        f"[::1]:{port}x",
    ):
        status, body = server.request(PAGE, host)
        assert status in (400, 403, 421), host
        assert b"qzacmeqz" not in body and b"<html" not in body, host
    # the live-reload stream and script are guarded too
    assert server.request("/__reportgen/live.js", "evil.example")[0] in (400, 403, 421)
    assert server.request("/__reportgen/events", f"evil.example:{port}")[0] in (400, 403, 421)
    # no Host header at all, and two of them
    assert server.raw(f"GET {PAGE} HTTP/1.1\r\nConnection: close\r\n\r\n".encode()) in (400, 403, 421)
    assert server.raw(
        f"GET {PAGE} HTTP/1.1\r\nHost: localhost:{port}\r\nHost: evil.example\r\n"
        f"Connection: close\r\n\r\n".encode()
    ) in (400, 403, 421)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.text(alphabet="abcdefghijklmnopqrstuvwxyzLOCAH0123456789.-:[]@ ", max_size=30))
def test_any_other_host_gets_no_content(shared_server, host):
    status, body = shared_server.request("/", host)
    if host.strip().lower() in allowed_hosts(shared_server.port):
        assert status == 200
    else:
        assert status in (400, 403, 421), host
        assert body == b""


# --- malformed paths --------------------------------------------------------------------------


MALFORMED = [
    "/%00",
    "/acme-corp/%00/index.html",
    "/%",
    "/%2",
    "/%zz",
    "/%C3%28",
    "/%ff",
    "/../clients.yaml",
    "/%2e%2e/clients.yaml",
    "/acme-corp/%2e%2e/%2e%2e/clients.yaml",
    "/acme-corp/../../clients.yaml",
    "/./index.html",
    "/a%5c..%5cclients.yaml",
    "/a\\b",
    "/" + "a" * 5000,
    "/" + "%41" * 3000,
    "*",
    "http://evil.example/",
    "/%0d%0aSet-Cookie:%20x=1",
]


def test_malformed_paths_get_400_never_a_traceback(shared_server, capfd):
    server = shared_server
    for path in MALFORMED:
        status = server.raw(
            f"GET {path} HTTP/1.1\r\nHost: localhost:{server.port}\r\nConnection: close\r\n\r\n".encode()
        )
        assert status == 400, path
    assert server.request("/no-such-file.html")[0] == 404
    assert server.request("/")[0] == 200
    assert server.request(PAGE + "?x=%zz")[0] == 200  # the query string is not a path
    output = capfd.readouterr()
    assert "Traceback" not in output.err + output.out


@pytest.mark.parametrize("path", MALFORMED)
def test_request_path_refuses_malformed_targets(path):
    assert request_path(path) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "/",
                "%",
                "%0",
                "%00",
                "%2e",
                "%2E",
                "%2f",
                "%5c",
                "..",
                ".",
                "a",
                "é",
                "%ff",
                "%C3",
                "%A9",
                "index.html",
                "%25",
                "\\",
                "%7f",
            ]
        ),
        max_size=12,
    )
)
def test_request_path_is_safe_or_refused(parts):
    raw = "/" + "".join(parts)
    path = request_path(raw)
    if path is None:
        return
    assert "\x00" not in path and "\\" not in path
    assert ".." not in path.split("/") and "." not in path.split("/")
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in path)


# --- protected clients: preview without the password ------------------------------------------


def protect(root: Path, client_id: str = CLIENT, variable: str = "RG_TEST_UNSET_PASSWORD") -> None:
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == client_id:
            client["access"] = {"password_env": variable}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.slow
def test_protected_clients_preview_without_password(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    monkeypatch.delenv("RG_TEST_UNSET_PASSWORD", raising=False)
    root = tmp_path / "proj"
    make_project(root)
    protect(root)

    checked = run_cli("check", "--project", root)
    assert checked.exit_code == 0, checked.output
    assert "RG_TEST_UNSET_PASSWORD" in checked.stderr and "warning" in checked.stderr
    assert run_cli("check", "--project", root, "--strict").exit_code == 1
    built = run_cli("build", "--project", root)
    assert built.exit_code == 1 and "RG_TEST_UNSET_PASSWORD" in built.stderr
    assert not (root / "site").exists()

    running = Server(root)
    try:
        status, body = running.request(PAGE)
        assert status == 200
        assert PREVIEW_MARK in body.decode() and "qzacmeqz" in body.decode()
        status, home = running.request(f"/{CLIENT}/")
        assert status == 200 and PREVIEW_MARK in home.decode()
        other = running.request("/saigon-foods/2026-10/index.html")[1].decode()
        assert PREVIEW_MARK not in other  # only protected clients are marked
        cache = root / ".reportgen-cache"  # the unsealed preview is outside the project
        assert [
            p for p in cache.rglob("*") if p.is_file() and "qzacmeqz" in p.read_text("utf-8", "replace")
        ] == []
    finally:
        running.stop()
    assert not (root / "site").exists()  # never written to the real output
    cache = root / ".reportgen-cache"
    leftovers = [p for p in cache.rglob("*") if p.is_file() and "qzacmeqz" in p.read_text("utf-8", "replace")]
    assert leftovers == []
    assert not (cache / "serve-site").exists()


def test_a_password_set_later_builds_the_sealed_portal(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    root = tmp_path / "proj"
    make_project(root)
    protect(root)
    built = run_cli("build", "--project", root, env={"RG_TEST_UNSET_PASSWORD": "a long enough password"})
    assert built.exit_code == 0, built.output
    page = (root / "site" / CLIENT / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "qzacmeqz" not in page and PREVIEW_MARK not in page
