"""Attack findings (issue 9): `check` fails exactly when `build` would, broken theme
overrides are errors, messages name the right file and line, data globs never read
the build's own output.

Each class has a generative test (hypothesis) over variants of the input, through
the CLI where a user would meet it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reportgen.audit
from reportgen import cache, output
from reportgen.inputfiles import line_at
from reportgen.notes import decode_note
from reportgen.render import builtin_templates_dir
from reportgen.sources import DEFAULT_OUTPUT, NEVER_DATA, OUTPUT_MARKER, is_generated_path

PASSWORD = "correct horse battery staple"
PROTECTED = "saigon-foods"
ENV = {"SAIGON_PORTAL_PASSWORD": PASSWORD}
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def protect(root: Path) -> None:
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == PROTECTED:
            client["access"] = {"password_env": "SAIGON_PORTAL_PASSWORD"}
            client["slug"] = "k3v9q2m7x8w4z1p6"
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def base_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base") / "proj"
    make_project(root)
    protect(root)
    return root


def copy_of(base: Path, into: str) -> Path:
    root = Path(into) / "proj"
    shutil.copytree(base, root, symlinks=True)
    return root


# --- 1. check runs the protect/seal/audit stage ------------------------------------------------

# (template, text inserted): failures at render time, at seal time (only the login page
# sees `client` as None), what the publish audit may refuse, and harmless edits.
MUTATIONS = [
    ("login.html", "{{ 1 // 0 }}"),
    ("login.html", "{{ client.name }}"),
    ("login.html", "<script>alert(1)</script>"),
    ("login.html", '<script type="application/json" id="x">{}</script>'),
    ("login.html", '{% include "nonexistent.html" %}'),
    ("login.html", "<p>Welcome</p>"),
    ("report.html", "{{ 1 // 0 }}"),
    ("report.html", "{{ figures.no_such_field }}"),
    ("report.html", "<p>Board pack</p>"),
    ("home.html", "{{ 1 // 0 }}"),
    ("home.html", "<p>Hello {{ client.name }}</p>"),
    ("partials/head.html", "{{ 1 // 0 }}"),
    ("partials/head.html", "<script>alert(1)</script>"),
    ("partials/head.html", '<meta name="x" content="y">'),
    ("partials/chart.html", "{{ 1 // 0 }}"),
    ("partials/scorecard.html", "{{ kpi.no_such_field }}"),
]


def mutate(root: Path, template: str, text: str) -> None:
    target = root / "templates" / template
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(builtin_templates_dir() / template, target)
    source = target.read_text(encoding="utf-8")
    for anchor in ("<h1>", "</main>", "</head>", "{% endblock %}"):
        if anchor in source:
            source = source.replace(anchor, text + anchor, 1)
            break
    else:
        source = text + source
    target.write_text(source, encoding="utf-8")


@SLOW
@given(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=2, unique=True))
def test_check_fails_exactly_when_build_does(base_project, mutations):
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_of(base_project, tmp)
        for template, text in mutations:
            mutate(root, template, text)
        checked = run_cli("check", "--project", root)  # no password needed to check
        built = run_cli("build", "--project", root, env=ENV)
        assert checked.exception is None or isinstance(checked.exception, SystemExit), checked.output
        assert built.exception is None or isinstance(built.exception, SystemExit), built.output
        assert checked.exit_code == built.exit_code, (mutations, checked.output, built.output)
        if built.exit_code:  # the same errors, at the same places
            errors = {
                line
                for line in built.stderr.splitlines()
                if ": warning:" not in line and line.startswith("templates/")
            }
            assert errors <= set(checked.stderr.splitlines()), (checked.stderr, built.stderr)


@pytest.mark.parametrize("text", ["{{ 1 // 0 }}", "{{ client.name }}"])
def test_login_page_errors_fail_check_without_the_password(base_project, tmp_path, text):
    root = copy_of(base_project, str(tmp_path))
    mutate(root, "login.html", text)
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "templates/login.html:" in result.stderr and "Traceback" not in result.output


def test_a_refused_login_page_points_at_the_template(base_project, tmp_path, monkeypatch):
    """Whatever the publish audit refuses in a login page made from the user's
    override: check and build both fail and say to fix templates/login.html."""
    root = copy_of(base_project, str(tmp_path))
    mutate(root, "login.html", "<script>qzinline()</script>")
    real = reportgen.audit.is_login_page
    monkeypatch.setattr(
        reportgen.audit,
        "is_login_page",
        lambda content, shells: b"qzinline" not in content and real(content, shells),
    )
    for command, env in (("check", {}), ("build", ENV)):
        result = run_cli(command, "--project", root, env=env)
        assert result.exit_code == 1, result.output
        assert "k3v9q2m7x8w4z1p6/index.html: not sealed" in result.stderr
        assert (
            "templates/login.html: the login page of protected portals is rendered from this "
            "template" in result.stderr
        )
    assert not (root / "site").exists()


# --- 2. theme static files -------------------------------------------------------------------

STATIC = ["reportgen.css", "reportgen.js", "unlock.js", "live.js"]


def spoil(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "broken link":
        path.symlink_to("nothing-here.css")
    elif kind == "folder":
        path.mkdir()
    else:  # Latin-1 text on line 3, with one of the three line ends
        ending = {"latin-1 lf": b"\n", "latin-1 cr": b"\r", "latin-1 crlf": b"\r\n"}[kind]
        path.write_bytes(ending.join([b"/* theme */", b"a { color: red }", b"/* caf\xe9 */", b""]))


@FAST
@given(
    st.sampled_from(STATIC),
    st.sampled_from(["fifo", "loop", "broken link", "folder", "latin-1 lf", "latin-1 cr", "latin-1 crlf"]),
)
def test_an_unusable_static_override_is_an_error_naming_it(base_project, name, kind):
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_of(base_project, tmp)
        spoil(root / "templates" / "static" / name, kind)
        result = run_cli("check", "--project", root)
        assert result.exit_code == 1, result.output
        expected = (
            f"templates/static/{name}:3:" if kind.startswith("latin-1") else f"templates/static/{name}:"
        )
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.output


def test_a_fifo_static_override_fails_build_and_keeps_the_site(base_project, tmp_path):
    root = copy_of(base_project, str(tmp_path))
    spoil(root / "templates" / "static" / "reportgen.css", "fifo")
    result = run_cli("build", "--project", root, env=ENV)
    assert result.exit_code == 1
    assert "templates/static/reportgen.css: a named pipe" in result.stderr
    assert not (root / "site").exists()


# --- 3. messages name the file and line that exist -------------------------------------------


@FAST
@given(st.sampled_from([b"\n", b"\r", b"\r\n"]), st.integers(1, 12), st.integers(0, 5))
def test_a_bad_byte_is_reported_at_its_line_whatever_the_line_ends(ending, line, column):
    lines = [b"text %d" % i for i in range(1, 14)]
    lines[line - 1] = b"x" * column + b"caf\xe9"
    raw = ending.join(lines)
    _text, problem = decode_note(raw, "content/c1/2025-05.md")
    assert problem is not None and problem.line == line
    assert f"column {column + 4}" in problem.message
    assert line_at(raw, len(raw))[0] == 13


def test_a_cr_only_latin1_note_is_reported_at_its_line(base_project, tmp_path):
    root = copy_of(base_project, str(tmp_path))
    note = root / "content" / "acme-corp" / "2025-05.md"
    note.write_bytes(b"---\rstatus: final\rtitle: May\r---\r\rCaf\xe9 and more\r")
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "content/acme-corp/2025-05.md:6: not UTF-8 text" in result.stderr


@pytest.mark.parametrize("target", ["nothing.md", "../elsewhere/nothing.md", "2025-05.md"])
def test_a_symlinked_note_is_named_as_the_link(base_project, tmp_path, target):
    root = copy_of(base_project, str(tmp_path))
    (root / "content" / "acme-corp" / "2025-05.md").symlink_to(target)
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "content/acme-corp/2025-05.md: a " in result.stderr, result.stderr
    assert "nothing.md" not in result.stderr


def test_importing_an_export_in_another_currency_says_how_to_fix_it(tmp_path):
    root = tmp_path / "agency"
    assert run_cli("init", root).exit_code == 0
    export = EXPORTS / "meta-eur-for-usd-client.csv"
    result = run_cli("import", export, "--client", "example-client", "--project", root)
    assert result.exit_code == 1
    assert f"{export}:1: the amounts are in EUR, but client 'example-client' reports in USD" in result.stderr
    assert "`currency: EUR`" in result.stderr and "clients.yaml (line" in result.stderr
    assert "`currency: USD`" in result.stderr  # the data entry's option, for a mislabelled export
    assert not list((root / "data" / "example-client").glob("meta*"))


@pytest.mark.parametrize(
    "statement",
    [
        '{% include "nonexistent.html" %}',
        '{% import "nonexistent.html" as x %}',
        '{% include ["a.html", "b.html"] %}',
    ],
)
def test_a_missing_include_says_not_found(base_project, tmp_path, statement):
    root = copy_of(base_project, str(tmp_path))
    mutate(root, "home.html", statement)
    result = run_cli("check", "--project", root)
    assert result.exit_code == 1
    assert "templates/home.html:" in result.stderr and "not found" in result.stderr


# --- 4. data globs and the build's own files -------------------------------------------------


def test_the_never_data_names_match_the_build():
    assert cache.CACHE_DIR in NEVER_DATA and ".git" in NEVER_DATA
    assert OUTPUT_MARKER == output.SITE_MARKER


SEGMENTS = ["data", "exports", DEFAULT_OUTPUT, ".git", cache.CACHE_DIR, "2026", "site-old"]


@FAST
@given(
    st.lists(st.sampled_from(SEGMENTS), max_size=4), st.sampled_from(["a.csv", "metrics.csv"]), st.booleans()
)
def test_generated_folders_are_never_data(folders, name, marked):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root.joinpath(*folders)
        folder.mkdir(parents=True, exist_ok=True)
        if marked and folders:
            (folder / OUTPUT_MARKER).write_bytes(b"")
        expected = bool(folders) and (
            folders[0] == DEFAULT_OUTPUT or any(f in NEVER_DATA for f in folders) or marked
        )
        assert is_generated_path(root, folder / name) == expected


def one_client_project(root: Path, glob: str) -> None:
    make_project(root)
    document = yaml.safe_load((root / "clients.yaml").read_text(encoding="utf-8"))
    document["clients"] = [c for c in document["clients"] if c["id"] == "acme-corp"]
    document["clients"][0]["data"] = [glob]
    (root / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    for other in ("saigon-foods", "berlin-bikes"):
        shutil.rmtree(root / "data" / other)
        shutil.rmtree(root / "content" / other)


def report_totals(out: Path) -> dict[str, object]:
    return {
        p.parent.name: json.loads(p.read_text())["totals"]
        for p in sorted(out.glob("acme-corp/*/report.json"))
    }


@pytest.mark.parametrize("out", [None, "public"])
def test_a_project_wide_glob_never_reads_the_output_or_the_cache(tmp_path, out):
    root = tmp_path / "proj"
    one_client_project(root, "**/*.csv")
    args = ("--out", root / out) if out else ()
    site = root / (out or "site")
    first = run_cli("build", "--project", root, *args)
    assert first.exit_code == 0, first.output
    totals = report_totals(site)
    assert totals
    # the build's own metrics.csv files, a copy in the cache and in .git are not data
    for folder in (root / cache.CACHE_DIR, root / ".git" / "x"):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / "data" / "acme-corp" / "2026.csv", folder / "copy.csv")
    for command in (("check",), ("build", "--clean", *args)):  # check has no --out: the
        again = run_cli(*command, "--project", root)  # output folder is known by its marker
        assert again.exit_code == 0, again.output
        assert "overlaps" not in again.output
    assert report_totals(site) == totals


def test_a_column_named_like_an_own_formula_is_a_warning(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    csv_path = root / "data" / "acme-corp" / "2026.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    csv_path.write_text(
        "\n".join([lines[0] + ",cpl", *(line + ",3" for line in lines[1:])]) + "\n", encoding="utf-8"
    )
    result = run_cli("check", "--project", root)
    assert result.exit_code == 0, result.output
    assert "data/acme-corp/2026.csv:1: warning: column 'cpl' ignored, recomputed" in result.stderr
    assert run_cli("check", "--strict", "--project", root).exit_code == 1
