"""Attack fixes: what `init`'s workflow installs, serve's own preview folder,
and serve's HTTP surface (folders without a slash, HEAD, other methods), and
unknown clients as usage errors.

1. The workflow pins what CI can install: a git URL install -> that URL at its
   commit; a local checkout with a git remote (https or ssh) -> the remote at
   HEAD; a local folder without a remote -> the version pin and a comment.
2. serve owns its temporary folder: tampered with (marker removed, foreign
   files, replaced by a file or a link), it is emptied and rebuilt clean.
3. `GET /folder` -> 301 `/folder/`; HEAD = GET's headers without a body; the
   Host check first for every method, then 405 for anything but GET/HEAD;
   `new report`, `import --client` and `pdf` with an unknown client exit 2.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import TODAY, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_serve_robust import Server as ServeRobustServer
from test_serve_robust import wait_for

import reportgen
from reportgen import ciworkflow
from reportgen.build import BuildOptions, build_site
from reportgen.ciworkflow import WORKFLOW, install_source
from reportgen.installsource import git_url
from reportgen.output import SITE_MARKER
from reportgen.serve import ServeState, rebuild, reclaim_preview
from reportgen.servepages import folder_location

DIST = reportgen.DISTRIBUTION
PIN = f"{DIST}=={reportgen.__version__}"
SAFE_REQUIREMENT = re.compile(r"[A-Za-z0-9._~:/%+@#=\[\] -]+")
HAS_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


# --- 1. what the generated workflow installs ----------------------------------------------------


def fake_direct_url(monkeypatch, direct_url: dict | None) -> None:
    """pip's direct_url.json for our distribution, as the test wants it."""
    from importlib import metadata

    class Distribution:
        def read_text(self, name):
            return json.dumps(direct_url) if direct_url is not None and name == "direct_url.json" else None

    def distribution(name):
        assert name == DIST
        return Distribution()

    monkeypatch.setattr(metadata, "distribution", distribution)


def git(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x.ex",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x.ex",
    }
    return subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def checkout(folder: Path, remote: str | None, *, package_in: str = "", published: bool = True) -> str:
    """A git repository with one commit (the package in `package_in`); its HEAD."""
    folder.mkdir(parents=True)
    git(folder, "init", "-q")
    package = folder / package_in
    package.mkdir(parents=True, exist_ok=True)
    (package / "pyproject.toml").write_text("[project]\nname = 'reportgen-portals'\n", encoding="utf-8")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "x")
    head = git(folder, "rev-parse", "HEAD")
    if remote is not None:
        git(folder, "remote", "add", "origin", remote)
        if published:  # as after a push or fetch: a remote-tracking branch has the commit
            git(folder, "update-ref", "refs/remotes/origin/main", head)
    return head


def install_line(workflow: str) -> tuple[str, list[str]]:
    """The install step's requirement and the comment lines right above it."""
    steps = yaml.safe_load(workflow)["jobs"]["build"]["steps"]
    runs = [str(s["run"]) for s in steps if "pip install" in str(s.get("run", ""))]
    assert len(runs) == 1, runs
    match = re.fullmatch(r'pip install "([^"]+)"', runs[0])
    assert match, runs[0]
    lines = workflow.splitlines()
    index = next(i for i, line in enumerate(lines) if "- run: pip install" in line)
    comments = []
    while lines[index - 1].strip().startswith("#"):
        index -= 1
        comments.insert(0, lines[index].strip())
    return match.group(1), comments


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/brightline/reportgen", "https://github.com/brightline/reportgen"),
        ("ssh://git@github.com/brightline/reportgen.git", "ssh://git@github.com/brightline/reportgen.git"),
        ("https://user:ghp_SECRET@github.com/b/r.git", "https://github.com/b/r.git"),  # never the token
    ],
)
def test_a_git_url_install_is_pinned_to_its_commit(monkeypatch, url, expected):
    fake_direct_url(monkeypatch, {"url": url, "vcs_info": {"vcs": "git", "commit_id": "b" * 40}})
    requirement, _comments = install_line(ciworkflow.workflow_text())
    assert requirement == f"{DIST} @ git+{expected}@{'b' * 40}"
    assert "SECRET" not in ciworkflow.workflow_text()


def test_a_git_url_install_keeps_its_subdirectory(monkeypatch):
    fake_direct_url(
        monkeypatch,
        {
            "url": "https://github.com/a/mono",
            "subdirectory": "tools/reportgen",
            "vcs_info": {"vcs": "git", "commit_id": "c" * 40},
        },
    )
    assert (
        install_source().requirement == f"{DIST} @ git+https://github.com/a/mono@{'c' * 40}"
        "#subdirectory=tools/reportgen"
    )


@needs_git
@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/brightline/reportgen.git", "https://github.com/brightline/reportgen.git"),
        ("git@github.com:brightline/reportgen.git", "ssh://git@github.com/brightline/reportgen.git"),
        (
            "ssh://git@gitlab.example.com:2222/agency/reportgen.git",
            "ssh://git@gitlab.example.com:2222/agency/reportgen.git",
        ),
        ("https://me:ghp_SECRET@github.com/me/reportgen", "https://github.com/me/reportgen"),
    ],
)
@pytest.mark.parametrize("editable", [True, False])
def test_an_install_from_a_checkout_with_a_remote_pins_the_remote_at_head(
    tmp_path, monkeypatch, remote, expected, editable
):
    head = checkout(tmp_path / "reportgen", remote)
    fake_direct_url(
        monkeypatch,
        {"url": (tmp_path / "reportgen").as_uri(), "dir_info": {"editable": True} if editable else {}},
    )
    result = run_cli("init", tmp_path / "agency")  # end to end: the file `init` writes
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / "agency" / WORKFLOW).read_text(encoding="utf-8")
    requirement, comments = install_line(workflow)
    assert requirement == f"{DIST} @ git+{expected}@{head}"
    assert "SECRET" not in workflow
    assert not any("push it" in c or "package index, or replace" in c for c in comments)


@needs_git
def test_a_checkout_in_a_subfolder_of_its_repository(tmp_path, monkeypatch):
    head = checkout(tmp_path / "mono", "https://github.com/a/mono.git", package_in="tools/reportgen")
    fake_direct_url(
        monkeypatch,
        {"url": (tmp_path / "mono" / "tools" / "reportgen").as_uri(), "dir_info": {"editable": True}},
    )
    assert (
        install_source().requirement
        == f"{DIST} @ git+https://github.com/a/mono.git@{head}#subdirectory=tools/reportgen"
    )


@needs_git
def test_an_unpushed_commit_is_pinned_with_a_reminder(tmp_path, monkeypatch):
    head = checkout(tmp_path / "reportgen", "https://github.com/a/r.git", published=False)
    fake_direct_url(monkeypatch, {"url": (tmp_path / "reportgen").as_uri(), "dir_info": {"editable": True}})
    requirement, comments = install_line(ciworkflow.workflow_text())
    assert requirement == f"{DIST} @ git+https://github.com/a/r.git@{head}"
    assert "push it" in " ".join(comments)


@pytest.mark.parametrize("kind", ["git without remote", "local remote", "not git", "missing"])
def test_a_local_folder_without_a_usable_remote_pins_the_version_with_a_comment(tmp_path, monkeypatch, kind):
    folder = tmp_path / "reportgen"
    if kind == "git without remote" and HAS_GIT:
        checkout(folder, None)
    elif kind == "local remote" and HAS_GIT:
        checkout(folder, str(tmp_path / "elsewhere.git"))  # CI cannot reach a path on this machine
    elif kind != "missing":
        folder.mkdir()
    fake_direct_url(monkeypatch, {"url": folder.as_uri(), "dir_info": {"editable": True}})
    result = run_cli("init", tmp_path / "agency")
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / "agency" / WORKFLOW).read_text(encoding="utf-8")
    requirement, comments = install_line(workflow)
    assert requirement == PIN
    said = " ".join(c.lstrip("# ") for c in comments)
    assert "must be installable from the package index, or replace this line" in said
    assert str(tmp_path) not in workflow  # no path of this machine in a committed file


@needs_git
def test_a_plain_folder_inside_another_repository_is_not_taken_for_a_checkout(tmp_path, monkeypatch):
    """`pip install -e ~/src/reportgen` in a home folder kept under git (dotfiles):
    that repository's remote is not reportgen's."""
    checkout(tmp_path / "home", "https://github.com/me/dotfiles.git")
    folder = tmp_path / "home" / "src" / "reportgen"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\n", encoding="utf-8")  # not committed there
    fake_direct_url(monkeypatch, {"url": folder.as_uri(), "dir_info": {"editable": True}})
    source = install_source()
    assert source.requirement == PIN and "replace this line" in source.note


def test_an_index_install_is_a_plain_version_pin(monkeypatch):
    fake_direct_url(monkeypatch, None)
    monkeypatch.setattr(ciworkflow, "_source_checkout", lambda: None)  # a wheel in site-packages
    requirement, comments = install_line(ciworkflow.workflow_text())
    assert requirement == PIN
    assert not any("replace this line" in c for c in comments)


def test_no_git_command_is_run_for_an_index_or_git_url_install(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no subprocess expected")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(ciworkflow, "_source_checkout", lambda: None)
    fake_direct_url(monkeypatch, None)
    assert install_source().requirement == PIN
    fake_direct_url(
        monkeypatch, {"url": "https://github.com/a/r", "vcs_info": {"vcs": "git", "commit_id": "d" * 40}}
    )
    assert install_source().requirement.endswith("d" * 40)


_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,8}){1,2}", fullmatch=True)
_segment = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)
_secret = st.from_regex(r"[A-Za-z0-9_]{6,20}", fullmatch=True).map(lambda s: "TOKEN" + s)


@st.composite
def remotes(draw) -> tuple[str, str]:
    """A remote as git prints it, and the URL CI must get."""
    host, path = draw(_host), "/".join(draw(st.lists(_segment, min_size=1, max_size=3)))
    form = draw(st.sampled_from(["https", "https-token", "scp", "ssh", "ssh-port"]))
    if form == "https":
        return f"https://{host}/{path}", f"https://{host}/{path}"
    if form == "https-token":
        return f"https://user:{draw(_secret)}@{host}/{path}", f"https://{host}/{path}"
    if form == "scp":
        return f"git@{host}:{path}", f"ssh://git@{host}/{path}"
    if form == "ssh":
        return f"ssh://git@{host}/{path}", f"ssh://git@{host}/{path}"
    port = draw(st.integers(1, 65535))
    return f"ssh://git@{host}:{port}/{path}", f"ssh://git@{host}:{port}/{path}"


@settings(max_examples=50, deadline=None)
@given(remote=remotes())
def test_any_remote_form_becomes_a_credential_free_pip_url(remote):
    given_url, expected = remote
    assert git_url(given_url) == expected
    assert "TOKEN" not in (git_url(given_url) or "")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_no_remote_text_writes_an_unsafe_or_secret_url(text):
    """Whatever a remote says, the workflow line is one safe shell word in YAML,
    or there is no URL at all (then the version pin is used)."""
    url = git_url(text)
    if url is not None:
        assert re.fullmatch(r"(https?|ssh|git)://[A-Za-z0-9._~:/%+\-\[\]@]+", url), url
        assert url.count("@") <= 1 and (url.startswith("ssh://") or "@" not in url)
        requirement = f"{DIST} @ git+{url}@{'a' * 40}"
        step = yaml.safe_load(f'- run: pip install "{requirement}"\n')
        assert step == [{"run": f'pip install "{requirement}"'}]


@needs_git
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(remote=remotes(), published=st.booleans(), editable=st.booleans())
def test_any_checkout_is_pinned_to_its_remote_and_head(
    tmp_path_factory, monkeypatch, remote, published, editable
):
    root = tmp_path_factory.mktemp("co")
    given_url, expected = remote
    head = checkout(root / "reportgen", given_url, published=published)
    fake_direct_url(
        monkeypatch,
        {"url": (root / "reportgen").as_uri(), "dir_info": {"editable": True} if editable else {}},
    )
    workflow = ciworkflow.workflow_text()
    requirement, comments = install_line(workflow)
    assert requirement == f"{DIST} @ git+{expected}@{head}"
    assert SAFE_REQUIREMENT.fullmatch(requirement)
    assert "TOKEN" not in workflow
    assert ("push it" in " ".join(comments)) == (not published)


# --- 2. serve's own preview folder -----------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def preview_project(tmp_path_factory):
    """A project and its clean preview build (what every recovered folder must equal)."""
    base = tmp_path_factory.mktemp("preview")
    root = base / "proj"
    make_project(root)
    reference = base / "reference"
    build_site(preview_options(root, reference))
    return root, tree(reference / "site")


def preview_options(root: Path, owned: Path) -> BuildOptions:
    return BuildOptions(
        project=root,
        out=owned / "site",
        today=TODAY,
        jobs=1,
        drafts=True,
        preview=True,
        cache_dir=owned / "cache",
    )


def tamper(owned: Path, how: str, outside: Path) -> None:
    site = owned / "site"
    if how == "marker removed":
        (site / SITE_MARKER).unlink()
    elif how == "marker is a folder":
        (site / SITE_MARKER).unlink()
        (site / SITE_MARKER).mkdir()
    elif how == "foreign file, no marker":
        (site / SITE_MARKER).unlink()
        (site / "notes.txt").write_text("mine", encoding="utf-8")
    elif how == "emptied but for a foreign file":
        shutil.rmtree(site)
        site.mkdir()
        (site / "x.html").write_text("<p>other</p>", encoding="utf-8")
    elif how == "replaced by a file":
        shutil.rmtree(site)
        site.write_text("not a folder", encoding="utf-8")
    elif how == "replaced by a link":
        shutil.rmtree(site)
        site.symlink_to(outside, target_is_directory=True)
    elif how == "page removed":
        next(site.glob("*/*/index.html")).unlink()
    elif how == "folder removed":
        shutil.rmtree(site)
    elif how == "cache corrupted":
        for path in (owned / "cache").rglob("*"):
            if path.is_file():
                path.write_text("{not json", encoding="utf-8")
    else:
        raise AssertionError(how)


TAMPERINGS = [
    "marker removed",
    "marker is a folder",
    "foreign file, no marker",
    "emptied but for a foreign file",
    "replaced by a file",
    "replaced by a link",
    "page removed",
    "folder removed",
    "cache corrupted",
]


@pytest.mark.parametrize("how", TAMPERINGS)
def test_a_tampered_preview_folder_is_rebuilt_clean(tmp_path, preview_project, how):
    root, reference = preview_project
    owned = tmp_path / "reportgen-preview-x"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me", encoding="utf-8")
    options = preview_options(root, owned)
    state = ServeState(owned=owned)
    lines: list[str] = []
    rebuild(options, state, lines.append)
    assert state.error is None, lines
    tamper(owned, how, outside)
    rebuild(options, state, lines.append)
    assert state.error is None, lines  # the overlay clears
    assert (owned / "site").is_dir() and not (owned / "site").is_symlink()
    assert tree(owned / "site") == reference
    assert tree(outside) == {"precious.txt": b"keep me"}  # a link's target is never followed


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(TAMPERINGS), min_size=1, max_size=3))
def test_any_tampering_sequence_recovers_to_a_clean_build(tmp_path_factory, preview_project, steps):
    root, reference = preview_project
    base = tmp_path_factory.mktemp("tamper")
    owned, outside = base / "reportgen-preview-y", base / "outside"
    outside.mkdir()
    options = preview_options(root, owned)
    state = ServeState(owned=owned)
    for how in steps:
        rebuild(options, state, lambda line: None)
        assert state.error is None
        if not (owned / "site").is_dir() or (owned / "site").is_symlink():
            continue  # already replaced: the next rebuild recovers it
        tamper(owned, how, outside)
    rebuild(options, state, lambda line: None)
    assert state.error is None
    assert tree(owned / "site") == reference
    assert not any(outside.iterdir())


def test_a_folder_serve_does_not_own_is_never_emptied(tmp_path, preview_project):
    """`build`'s refusal stands for any folder outside serve's temporary folder."""
    root, _reference = preview_project
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work", encoding="utf-8")
    options = BuildOptions(
        project=root, out=out, today=TODAY, jobs=1, drafts=True, preview=True, cache_dir=tmp_path / "cache"
    )
    assert reclaim_preview(options, tmp_path / "reportgen-preview-z") is False
    assert reclaim_preview(options, None) is False
    state = ServeState()  # not owned
    rebuild(options, state, lambda line: None)
    assert "did not write" in (state.error or "")
    assert tree(out) == {"thesis.docx": b"years of work"}


# --- serve end to end -------------------------------------------------------------------------------


class Server(ServeRobustServer):
    """test_serve_robust's server; requests here also give the method, headers and raw bytes."""

    def request(
        self, path: str, method: str = "GET", host: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            if host != "":
                connection.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            headers = {k.lower(): v for k, v in response.getheaders() if k.lower() != "date"}
            return response.status, headers, body
        finally:
            connection.close()

    def raw(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve9")
    root = base / "proj"
    make_project(root)
    previous = tempfile.tempdir
    tempfile.tempdir = str(base)  # serve's temporary folder where the test can find it
    try:
        server = Server(root)
    finally:
        tempfile.tempdir = previous
    (preview,) = base.glob("reportgen-preview-*")
    server.preview = preview / "site"
    yield server
    server.stop()


def test_serve_recovers_after_its_folder_is_tampered_with(running):
    site = running.preview
    (site / SITE_MARKER).unlink()
    (site / "stray.txt").write_text("x", encoding="utf-8")
    data = next((running.preview.parent.parent / "proj" / "data").rglob("*.csv"))
    data.write_bytes(data.read_bytes())  # a save: serve rebuilds
    wait_for(lambda: (site / SITE_MARKER).is_file() and not (site / "stray.txt").exists())
    wait_for(lambda: running.state()["error"] is None)
    status, _headers, body = running.request("/acme-corp/2026-10/")
    assert status == 200 and b"<html" in body.lower()
    assert any("building afresh" in line for line in running.lines)


def folders_of(site: Path) -> list[str]:
    return sorted("/" + p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir())


def test_a_folder_without_its_slash_redirects(running):
    status, headers, body = running.request("/acme-corp")
    assert status in (301, 308)
    assert headers["location"] == "/acme-corp/"
    assert body == b""
    status, _headers, page = running.request(headers["location"])
    assert status == 200 and b"<html" in page.lower()
    assert running.request("/acme-corp/2026-10?x=1")[1]["location"] == "/acme-corp/2026-10/?x=1"
    # never to another host: `//acme-corp/` would be protocol-relative
    status, headers, _ = running.request("/%2Facme-corp")
    assert status == 404 or headers["location"] == "/acme-corp/"
    assert running.request("/acme-corp/index.html")[0] == 200  # files never redirect
    assert running.request("/nosuch")[0] == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_folder_redirects_to_itself_with_a_slash(running, data):
    folders = [f for f in folders_of(running.preview) if f != "/."]
    folder = data.draw(st.sampled_from(folders))
    status, headers, _ = running.request(folder)
    assert status in (301, 308) and headers["location"] == folder + "/"
    assert running.request(folder + "/")[0] in (200, 404)  # a folder without index.html: 404


@given(path=st.text(min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_redirect_locations_stay_on_this_server(path):
    location = folder_location("/" + path)
    assert location.startswith("/") and not location.startswith("//")
    assert re.fullmatch(r"[\x21-\x7e]+", location) and location.endswith("/")


HEADER_NAMES = ("content-type", "content-length", "cache-control", "location", "allow")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/acme-corp/",
        "/acme-corp",
        "/acme-corp/2026-10/index.html",
        "/__reportgen/live.js",
        "/nosuch",
        "/%00",
        "/assets/",
    ],
)
def test_head_gets_the_headers_of_get_without_a_body(running, path):
    get = running.request(path)
    head = running.request(path, "HEAD")
    assert head[0] == get[0]
    assert {k: head[1].get(k) for k in HEADER_NAMES} == {k: get[1].get(k) for k in HEADER_NAMES}
    assert head[2] == b""
    raw = running.raw(f"HEAD {path} HTTP/1.0\r\nHost: 127.0.0.1:{running.port}\r\n\r\n".encode())
    assert raw.endswith(b"\r\n\r\n")  # nothing after the headers


def test_head_of_the_event_stream_returns_at_once(running):
    started = time.monotonic()
    status, headers, body = running.request("/__reportgen/events", "HEAD")
    assert status == 200 and headers["content-type"] == "text/event-stream" and body == b""
    assert time.monotonic() - started < 5


METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"]


@pytest.mark.parametrize("method", METHODS)
def test_the_host_check_comes_first_for_every_method(running, method):
    path = "/acme-corp/" if method != "CONNECT" else "127.0.0.1:1"
    for host in ("evil.example", f"evil.example:{running.port}", "127.0.0.1:1", "localhost.evil:80"):
        status, _headers, body = running.request(path, method, host=host)
        assert status == 421 and body == b"", (method, host)
    status, _headers, body = running.request(path, method, host="")
    assert status == 400 and body == b""


@pytest.mark.parametrize("method", [m for m in METHODS if m not in ("GET", "HEAD")])
def test_other_methods_are_not_allowed(running, method):
    status, headers, _ = running.request("/acme-corp/", method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.from_regex(r"[A-Z][A-Z_-]{0,11}", fullmatch=True),
    host=st.one_of(st.just(None), st.from_regex(r"[a-z0-9.:-]{1,30}", fullmatch=True)),
)
def test_any_method_and_host(running, method, host):
    """Never a 501 or a traceback: a foreign Host is 421 first, then GET/HEAD are
    served and anything else is 405."""
    allowed = host is None or host in {f"{h}:{running.port}" for h in ("127.0.0.1", "localhost")}
    status, _headers, body = running.request("/acme-corp/", method, host=host)
    if not allowed:
        assert status == 421 and body == b""
    elif method in ("GET", "HEAD"):
        assert status == 200
    else:
        assert status == 405


# --- an unknown client is a usage error ------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("clients") / "proj"
    make_project(root)
    export = root.parent / "export.csv"
    export.write_text(
        "date,campaign,channel,impressions,clicks,spend\n2026-10-01,x,search,1,1,1\n", encoding="utf-8"
    )
    return root, export


def unknown_client_commands(root: Path, export: Path, client: str) -> list[list]:
    return [
        ["new", "report", client, "--project", root],
        ["import", export, "--client", client, "--project", root],
    ]


@pytest.mark.parametrize("which", [0, 1])
def test_an_unknown_client_is_a_usage_error(small, which):
    root, export = small
    command = unknown_client_commands(root, export, "acme-crop")[which]
    result = run_cli(*command)
    assert result.exit_code == 2, result.output
    assert "no client 'acme-crop' in clients.yaml" in result.stderr
    assert "did you mean 'acme-corp'" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not (root / "content" / "acme-crop").exists() and not (root / "data" / "acme-crop").exists()


def test_pdf_of_an_unknown_client_is_a_usage_error(small):
    from reportgen.pdf import check_available

    try:
        check_available()
    except Exception:
        pytest.skip("no browser for PDFs")
    root, _export = small
    result = run_cli("pdf", "nosuch", "--project", root, "-o", root.parent / "x.pdf")
    assert result.exit_code == 2, result.output
    assert "nosuch" in result.stderr
    assert not (root.parent / "x.pdf").exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client=st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), which=st.sampled_from([0, 1]))
def test_any_unknown_client_exits_2(small, client, which):
    root, export = small
    if client in ("acme-corp", "saigon-foods", "berlin-bikes"):
        return
    result = run_cli(*unknown_client_commands(root, export, client)[which])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output + result.stderr
