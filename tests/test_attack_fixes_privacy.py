"""Fixes for an attacker's review of the privacy work (issue 10, second round).

Each test covers a class of hole, most of them with generated inputs:

1. a declared field written with no value (`access:` followed by comments) is an
   error at its line, never "not set";
2. a protected page is exactly the login page around a sealed envelope (the
   audit), and a file edited in the output is never carried into a new build;
3. `serve` keeps its build cache in its own temporary folder;
4. SIGTERM and SIGHUP stop `serve` through the same cleanup as Ctrl-C;
5. files planted or edited anywhere in the output do not survive a build: an
   incremental build publishes what a clean build does;
6. Windows' reserved device names are refused as an id or slug;
7. whatever the SVG sanitizer leaves out is named in the warning;
8. an embedded picture in an SVG must be what its type says; a password of
   spaces is an error and a short one a warning.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import run_cli
from helpers import SOURCE_DATE_EPOCH, from_a_terminal, make_project, tree_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_publish_audit import PASSWORDS, protect, small_project, variable

from reportgen import images
from reportgen.audit import audit_site, is_login_page
from reportgen.build import BuildOptions
from reportgen.cache import CACHE_DIR
from reportgen.config import CLIENT, WINDOWS_RESERVED, load_project_config
from reportgen.errors import InputError
from reportgen.site import SiteRenderer, collect_assets

PROTECTED = "saigon-foods"
ENV = {variable(PROTECTED): PASSWORDS[PROTECTED]}


# --- 1. a key with no value ---------------------------------------------------------------

OPTIONAL_CLIENT_FIELDS = sorted(f.name for f in CLIENT.fields if not f.required and not f.nullable)


@pytest.fixture(scope="module")
def config_text(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("cfg") / "proj"
    make_project(root)
    return root, (root / "clients.yaml").read_text(encoding="utf-8")


def _with_empty_field(text: str, field: str) -> tuple[str, int]:
    """clients.yaml with `field:` (and only comments) added to the first client;
    the line it is on."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("- id:") or line.startswith("  - id:"))
    indent = " " * (len(lines[index]) - len(lines[index].lstrip()) + 2)
    kept = list(lines)
    last = next((i for i in range(index + 1, len(kept)) if not kept[i].startswith(indent)), len(kept))
    # drop the client's own value of the field, if any (its block ends at the next key)
    start = next((i for i in range(index + 1, last) if kept[i].startswith(f"{indent}{field}:")), None)
    if start is not None:
        end = start + 1
        while end < len(kept) and (kept[end].startswith(indent + " ") or kept[end].startswith(indent + "-")):
            end += 1
        del kept[start:end]
    kept[index + 1 : index + 1] = [f"{indent}{field}:", f"{indent}  # nothing here yet"]
    return "\n".join(kept) + "\n", index + 2


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(OPTIONAL_CLIENT_FIELDS))
def test_a_declared_field_with_no_value_is_an_error_at_its_line(config_text, field):
    root, text = config_text
    edited, line = _with_empty_field(text, field)
    assert yaml.safe_load(edited)["clients"][0][field] is None
    (root / "clients.yaml").write_text(edited, encoding="utf-8")
    try:
        with pytest.raises(InputError) as caught:
            load_project_config(root)
    finally:
        (root / "clients.yaml").write_text(text, encoding="utf-8")
    problems = [p for p in caught.value.problems if p.severity == "error"]
    assert any(p.line == line and "is empty" in p.message and field in p.message for p in problems), problems


def test_empty_access_does_not_publish_a_plaintext_portal(tmp_path):
    root = small_project(tmp_path / "proj")
    text = (root / "clients.yaml").read_text(encoding="utf-8")
    edited, line = _with_empty_field(text, "access")
    (root / "clients.yaml").write_text(edited, encoding="utf-8")
    result = run_cli("build", "--project", root)
    assert result.exit_code == 1
    assert f"clients.yaml:{line}: `clients[1].access:` is empty: give password_env or people" in result.stderr
    assert not (root / "site").exists()


# --- 6. Windows' device names ---------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(WINDOWS_RESERVED)), key=st.sampled_from(["id", "slug"]))
def test_windows_reserved_names_are_refused_as_an_address(config_text, name, key):
    root, text = config_text
    document = yaml.safe_load(text)
    document["clients"][0][key] = name
    (root / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    try:
        with pytest.raises(InputError) as caught:
            load_project_config(root)
    finally:
        (root / "clients.yaml").write_text(text, encoding="utf-8")
    assert any(
        f"'{name}' is a name Windows reserves" in p.message and p.line for p in caught.value.problems
    ), caught.value.problems


def test_names_that_only_start_like_a_device_are_fine(config_text):
    root, text = config_text
    document = yaml.safe_load(text)
    document["clients"][0]["slug"] = "con-x"
    document["clients"][1]["slug"] = "com10"
    (root / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    try:
        config = load_project_config(root)
    finally:
        (root / "clients.yaml").write_text(text, encoding="utf-8")
    assert {"con-x", "com10"} <= {c.slug for c in config.clients}


# --- 7 and 8. the SVG sanitizer names everything it leaves out ---------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
_TAGS = st.sampled_from(
    [
        "g",
        "rect",
        "path",
        "text",
        "cursor",
        "tref",
        "font-face-uri",
        "color-profile",
        "SCRIPT",
        "foreignobject",
        "script",
        "a",
        "metadata",
        "x:thing",
        "image",
        "use",
        "Rect",
        "set",
        "style",
    ]
)
_ATTRS = st.sampled_from(
    [
        "fill",
        "cursor",
        "x:label",
        "id",
        "onload",
        "href",
        "data-x",
        "Fill",
        "transform",
        "style",
        "requiredExtensions",
        "width",
    ]
)
_VALUES = st.sampled_from(
    [
        "red",
        "url(#a)",
        "url(cursor.png)",
        "#a",
        "javascript:x()",
        "1",
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n1234").decode(),
        "data:image/png;base64," + base64.b64encode(b"<svg onload=x()>").decode(),
        "fill:red",
    ]
)
_EXTRAS = st.sampled_from(["", "<!-- a comment -->", '<?xml-stylesheet href="x.css"?>', "<?pi data?>"])


@st.composite
def svg_nodes(draw, depth=0):
    tag = draw(_TAGS)
    attributes = draw(st.dictionaries(_ATTRS, _VALUES, max_size=3))
    rendered = "".join(f' {k}="{v}"' for k, v in attributes.items())
    children = draw(st.lists(svg_nodes(depth + 1), max_size=2)) if depth < 2 else []
    text = draw(st.sampled_from(["", " ", "words"]))
    return f"<{tag}{rendered}>{text}{draw(_EXTRAS)}{''.join(children)}</{tag}>"


def _inventory(content: bytes) -> tuple[list, int, bool]:
    """Every element (name and attributes), the count of non-blank text pieces,
    and whether the file has comments or processing instructions (other than
    the XML declaration)."""
    root = ElementTree.fromstring(content)
    elements = []
    texts = 0
    for element in root.iter():
        attributes = sorted((k.rsplit("}", 1)[-1], v) for k, v in element.attrib.items())
        elements.append((element.tag.rsplit("}", 1)[-1], attributes))
        texts += sum(1 for t in (element.text, element.tail) if t and t.strip())
    extras = bool(re.search(rb"<!--|<\?(?!xml\s)", content))
    return elements, texts, extras


@settings(max_examples=50, deadline=None)
@given(nodes=st.lists(svg_nodes(), max_size=4), prolog=_EXTRAS)
def test_nothing_is_left_out_of_an_svg_without_a_word(nodes, prolog):
    source = (
        f'<?xml version="1.0"?>{prolog}<svg xmlns="{SVG_NS}" xmlns:x="urn:x" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink">{"".join(nodes)}</svg>'
    ).encode()
    published, removed = images.sanitize_svg(source)
    if not removed:  # then the drawing is whole: every element, attribute and text
        before, after = _inventory(source), _inventory(published)
        assert before[0] == after[0] and before[1] == after[1] and not before[2], (source, published)
    assert images.sanitize_svg(published) == (published, ())


@pytest.mark.parametrize(
    "snippet, named",
    [
        ("<cursor/>", "<cursor>"),
        ('<g cursor="url(#c)"/>', "cursor"),
        ("<tref/>", "<tref>"),
        ("<font-face-uri/>", "<font-face-uri>"),
        ("<color-profile/>", "<color-profile>"),
        ("<SCRIPT>x()</SCRIPT>", "<SCRIPT>"),
        ("<foreignobject/>", "<foreignobject>"),
    ],
)
def test_the_reported_cases_are_named(snippet, named):
    source = f'<svg xmlns="{SVG_NS}"><g id="ok"/>{snippet}</svg>'.encode()
    published, removed = images.sanitize_svg(source)
    assert any(named in item for item in removed), removed
    assert b'id="ok"' in published


def test_a_stylesheet_instruction_is_named():
    source = f'<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns="{SVG_NS}"/>'.encode()
    published, removed = images.sanitize_svg(source)
    assert b"stylesheet" not in published
    assert any("xml-stylesheet" in item for item in removed)


@pytest.mark.parametrize(
    "kind, payload, kept",
    [
        ("png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, True),
        ("png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>", False),
        ("jpeg", b"\xff\xd8\xff\xe0" + b"0" * 20, True),
        ("jpeg", b"\x89PNG\r\n\x1a\n" + b"0" * 20, False),
        ("gif", b"<html>", False),
        ("webp", b"RIFF0000WEBPVP8 ", True),
    ],
)
def test_an_embedded_picture_must_be_what_its_type_says(kind, payload, kept):
    uri = f"data:image/{kind};base64,{base64.b64encode(payload).decode()}"
    source = f'<svg xmlns="{SVG_NS}"><image href="{uri}" width="1" height="1"/></svg>'.encode()
    published, removed = images.sanitize_svg(source)
    assert (uri.encode() in published) is kept
    assert bool(removed) is not kept


# --- 8. passwords -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def protected_small(tmp_path_factory) -> Path:
    root = small_project(tmp_path_factory.mktemp("pw") / "proj")
    protect(root, PROTECTED)
    return root


@pytest.mark.parametrize("password", [" ", "\t \n", "        "])
def test_a_password_of_spaces_is_an_error(protected_small, password):
    result = run_cli(
        "build",
        "--project",
        protected_small,
        "--out",
        protected_small / "out-spaces",
        env={variable(PROTECTED): password},
    )
    assert result.exit_code == 1
    assert f"{variable(PROTECTED)} holds only spaces" in result.stderr
    assert not (protected_small / "out-spaces").exists()


def test_a_short_password_is_a_warning_with_a_hint(protected_small):
    out = protected_small / "out-short"
    result = run_cli(
        "build", "--project", protected_small, "--out", out, env={variable(PROTECTED): "hunter2"}
    )
    assert result.exit_code == 0, result.stderr
    assert "has only 7 characters" in result.stderr and "at least 12" in result.stderr
    strict = run_cli(
        "build", "--strict", "--project", protected_small, "--out", out, env={variable(PROTECTED): "hunter2"}
    )
    assert strict.exit_code == 1


# --- 2a. the audit: a protected page is exactly the login page --------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = small_project(tmp_path_factory.mktemp("built") / "proj")
    protect(root, PROTECTED)
    result = run_cli("build", "--project", root, env=ENV)
    assert result.exit_code == 0, result.stderr
    return root


def _shells(root: Path):
    config = load_project_config(root)
    renderer = SiteRenderer(config, collect_assets(root, config))
    client = next(c for c in config.clients if c.id == PROTECTED)
    return lambda depth: renderer.login_shells(client, depth)


ADDITIONS = st.sampled_from(
    [
        "<div hidden>secret</div>",
        "<p>secret",
        "secret",
        "<script src=http://evil.example/x.js></script>",
        "<img src=https://evil.example/x.png>",
        "<!-- secret -->",
        " ",
        "<style>*{}</style>",
        '<a href="https://evil.example">x</a>',
        "\n",
    ]
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(addition=ADDITIONS, where=st.floats(0, 1), page=st.sampled_from(["index.html", "2026-11/index.html"]))
def test_a_login_page_with_anything_added_fails_the_audit(built, addition, where, page):
    content = (built / "site" / PROTECTED / page).read_bytes()
    shells = _shells(built)(page.count("/") + 1)
    assert is_login_page(content, shells)
    start = content.index(b'id="sealed">') + len(b'id="sealed">')
    end = content.index(b"</script>", start)
    position = int(where * len(content))
    if start <= position <= end and "<" not in addition:
        # inside the envelope's JSON, blanks and base64 letters change only the ciphertext
        # (the envelope check decides): put it just before the sealed block instead
        position = start - len('<script type="application/json" id="sealed">')
    tampered = content[:position] + addition.encode() + content[position:]
    assert not is_login_page(tampered, shells)


def test_the_audit_refuses_a_staged_site_with_an_edited_login_page(built, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(built / "site", copy)
    page = copy / PROTECTED / "index.html"
    page.write_bytes(
        page.read_bytes().replace(b'<body class="login">', b'<body class="login"><div hidden>secret</div>')
    )
    config = load_project_config(built)
    renderer = SiteRenderer(config, collect_assets(built, config))
    shared = [p.relative_to(copy).as_posix() for p in copy.iterdir()]
    problems = audit_site(copy, config, shared, "site", renderer.login_shells)
    assert [p.path for p in problems] == [f"site/{PROTECTED}/index.html"]
    assert audit_site(built / "site", config, shared, "site", renderer.login_shells) == []


# --- 2b and 5. nothing in the output is carried unless the last build wrote it -----------------


def _comparable(site: Path) -> dict[str, bytes]:
    """The site's files; a sealed file (its nonce differs each build) by name only."""
    return {k: (b"sealed" if k.startswith(f"{PROTECTED}/") else v) for k, v in tree_bytes(site).items()}


class Built:
    """A built project and its clean build's files (a short repr for hypothesis)."""

    def __init__(self, root: Path, clean: dict[str, bytes]):
        self.root, self.clean = root, clean

    def __repr__(self) -> str:
        return f"Built({self.root})"


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Built:
    root = small_project(tmp_path_factory.mktemp("plant") / "proj")
    protect(root, PROTECTED)
    assert run_cli("build", "--project", root, env=ENV).exit_code == 0
    clean = root.parent / "clean"
    assert run_cli("build", "--clean", "--project", root, "--out", clean, env=ENV).exit_code == 0
    return Built(root, _comparable(clean))


FOLDERS = st.sampled_from(
    [
        "",
        "acme-corp",
        "acme-corp/2026-11",
        "assets",
        PROTECTED,
        f"{PROTECTED}/2026-10",
        "berlin-bikes",
        "new-folder",
    ]
)
# Not covered: an edit in place that keeps the size and puts the modification time
# back (README: the output is checked by inode, size and time, a protected portal's
# files by content too).
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["plant", "append", "replace", "mkdir"]),
        FOLDERS,
        st.sampled_from(["evil.html", "x.txt", "index.html", "robots.txt", "metrics.csv", "_headers"]),
    ),
    min_size=1,
    max_size=3,
)


def _tamper(site: Path, action: str, folder: str, name: str) -> None:
    base = site / folder
    if not base.is_dir():
        return
    existing = sorted(p for p in base.iterdir() if p.is_file())
    if action == "plant":
        (base / name).write_bytes(b"<p>planted</p>")
    elif action == "mkdir":
        (base / f"planted-{name}").mkdir(exist_ok=True)
    elif existing:
        target = next((p for p in existing if p.name == name), existing[0])
        if action == "append":
            with open(target, "ab") as handle:
                handle.write(b"<p>planted</p>")
        else:  # another file in its place
            content = target.read_bytes()
            target.unlink()
            target.write_bytes(content + b"<!-- planted -->")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, partial=st.booleans())
def test_an_incremental_build_publishes_what_a_clean_build_does(planted, actions, partial):
    root, clean = planted.root, planted.clean
    site = root / "site"
    for action in actions:
        _tamper(site, *action)
    args = ("--client", "acme-corp") if partial else ()
    result = run_cli("build", "--project", root, *args, env=ENV)
    assert result.exit_code == 0, result.stderr
    assert _comparable(site) == clean
    dirs = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir()}
    assert not any("planted" in d for d in dirs)
    again = run_cli("build", "--project", root, env=ENV)  # and the next build has nothing to do
    assert again.exit_code == 0 and " 0 pages rendered" in again.output, again.output
    assert _comparable(site) == clean


# --- 3 and 4. serve ------------------------------------------------------------------------------


def test_serve_keeps_its_cache_in_its_own_temporary_folder(tmp_path):
    from reportgen.serve import serve

    root = small_project(tmp_path / "proj")
    protect(root, PROTECTED)
    stopping = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(
        target=serve,
        args=(BuildOptions(project=root, out=root / "site"), 0, lambda line: None),
        kwargs={"ready": lambda address: ready.set(), "stopping": stopping},
    )
    thread.start()
    try:
        assert ready.wait(60)
        assert not (root / CACHE_DIR).exists() or not list((root / CACHE_DIR).iterdir())
    finally:
        stopping.set()
        thread.join(30)
    assert not (root / CACHE_DIR).exists() or not list((root / CACHE_DIR).iterdir())


def _serve(root: Path, temporary: Path, extra_env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """`reportgen serve` on `root` in its own process, its previews in `temporary`."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "TMPDIR": str(temporary)}
    return subprocess.Popen(
        [sys.executable, "-m", "reportgen", "serve", "--project", str(root), "--port", "0", "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        env={**env, **(extra_env or {})},
        **popen,
    )


def _stacks_of(process: subprocess.Popen, stderr: Path) -> str:
    """The hung process's threads, as faulthandler prints them on SIGABRT (PYTHONFAULTHANDLER)."""
    process.send_signal(signal.SIGABRT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    return stderr.read_text(errors="replace")[-6000:]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_serve_removes_its_preview(tmp_path, signum):
    root = small_project(tmp_path / "proj")
    protect(root, PROTECTED)
    temporary = tmp_path / "tmp"  # serve's own temporary folder: nobody else's previews
    temporary.mkdir()

    def previews() -> set[Path]:
        return set(temporary.glob("reportgen-preview-*"))

    process = _serve(root, temporary, stderr=subprocess.PIPE, text=True, preexec_fn=from_a_terminal)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 90
        for line in process.stderr:
            if line.startswith("Serving") or time.monotonic() > deadline:
                break
        mine = previews()
        assert any((folder / "site" / PROTECTED).is_dir() for folder in mine), "no preview"
        process.send_signal(signum)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert not previews(), "the unsealed preview was left behind"
    assert not (root / CACHE_DIR).exists() or not list((root / CACHE_DIR).iterdir())


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delay=st.floats(min_value=0.2, max_value=3.0), signum=st.sampled_from([signal.SIGTERM, signal.SIGHUP]))
def test_a_signal_at_any_moment_of_startup_stops_serve_and_removes_its_preview(
    tmp_path_factory, delay, signum
):
    """Found by a second attack: a signal after the server was made but before its
    thread ran hung the cleanup for good (shutdown() waited for a loop that never
    started), leaving the unsealed preview behind. Any moment must end cleanly."""
    base = tmp_path_factory.mktemp("startup")
    root = small_project(base / "proj")
    protect(root, PROTECTED)
    temporary = base / "tmp"
    temporary.mkdir()
    stderr = base / "stderr.txt"
    with stderr.open("wb") as log:
        process = _serve(root, temporary, {"PYTHONFAULTHANDLER": "1"}, stderr=log, preexec_fn=from_a_terminal)
    try:
        time.sleep(delay)
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            stacks = _stacks_of(process, stderr)
            process.kill()
            process.wait()
            pytest.fail(f"serve hung after a signal {delay:.2f} s into its start; its threads:\n{stacks}")
    assert not list(temporary.glob("reportgen-preview-*")), "the unsealed preview was left behind"


@pytest.mark.slow
def test_serve_under_nohup_outlives_a_sighup_and_stops_on_sigterm(tmp_path):
    """`nohup reportgen serve` (SIGHUP ignored from the start) keeps serving when its terminal
    closes, at any moment: it used to ignore a SIGHUP that came before its handler was set
    and stop on one that came after (a CI run under nohup saw the first as a hang)."""
    root = small_project(tmp_path / "proj")
    protect(root, PROTECTED)
    temporary = tmp_path / "tmp"
    temporary.mkdir()

    def as_nohup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    process = _serve(root, temporary, stderr=subprocess.PIPE, text=True, preexec_fn=as_nohup)
    try:
        assert process.stderr is not None
        process.send_signal(signal.SIGHUP)  # before serve set anything up
        for line in process.stderr:
            if line.startswith("Serving"):
                break
        process.send_signal(signal.SIGHUP)  # while it serves
        time.sleep(1.5)
        assert process.poll() is None, "a SIGHUP stopped serve under nohup"
        assert list(temporary.glob("reportgen-preview-*"))
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert not list(temporary.glob("reportgen-preview-*")), "the unsealed preview was left behind"
