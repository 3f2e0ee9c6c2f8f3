"""`agency.plotly_js` must be a whole plotly.js (issue 11, attack round 11).

Found: a copy of plotly-basic.min.js with its last 2,000 bytes cut (a partial download)
passed `check`, `build` exited 0, and every chart failed in the browser ("Unexpected end
of input"); a 3-line fake holding the registration strings passed too. A released file
reportgen knows (by SHA-256) is accepted silently; any other file must have the shape of a
whole dist file and is a warning that --strict makes a failure; a cut file is an error.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import BASIC_PLOTLY_JS, line_of, make_project, npm_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import charts
from reportgen.plotlybundle import (
    BUILTIN_PLOTLY_JS,
    KNOWN_BUNDLES,
    BundleError,
    builtin_version,
    check_bundle,
    known_release,
)

BASIC = BASIC_PLOTLY_JS
FULL = BUILTIN_PLOTLY_JS.read_bytes()


def basic_bundle() -> bytes:
    return npm_tool(BASIC).read_bytes()


def verdict(content: bytes) -> str:
    """ "error", "warning" or "ok": what check and build --strict would make of it."""
    try:
        return "warning" if check_bundle(content) else "ok"
    except BundleError:
        return "error"


def test_the_released_files_are_known_and_accepted_silently():
    basic = basic_bundle()
    assert "plotly.js-basic-dist-min 4.1.1" in known_release(basic)
    assert hashlib.sha256(basic).hexdigest() in KNOWN_BUNDLES
    assert known_release(FULL) and check_bundle(FULL) == [] and check_bundle(basic) == []
    assert all(len(sha) == 64 for sha in KNOWN_BUNDLES)


@pytest.mark.parametrize("bundle", ["basic", "full"])
def test_the_attack_cases(bundle):
    content = basic_bundle() if bundle == "basic" else FULL
    with pytest.raises(BundleError, match="is incomplete"):
        check_bundle(content[:-2000])
    fake = (
        b"/* plotly.js v4.1.1 */\n"
        + b"".join(b'{moduleType:"trace",name:"%s"},' % t.encode() for t in charts.TRACE_TYPES)
        + b"\n"
    )
    assert verdict(fake) == "error"


# --- generative: any cut of a real bundle, any fake --------------------------------------------


@settings(max_examples=50, deadline=None)
@given(cut=st.integers(min_value=1, max_value=1_200_000), which=st.sampled_from(["basic", "full"]))
def test_a_bundle_cut_anywhere_is_an_error(cut, which):
    content = basic_bundle() if which == "basic" else FULL
    cut = min(cut, len(content) - 1)
    assert verdict(content[: len(content) - cut]) == "error"
    assert verdict(content[cut:]) == "error"  # its head lost instead


@settings(max_examples=40, deadline=None)
@given(position=st.floats(min_value=0, max_value=1), junk=st.binary(min_size=1, max_size=40))
def test_a_changed_bundle_is_never_accepted_silently(position, junk):
    content = FULL
    at = int(position * (len(content) - 1))
    changed = content[:at] + junk + content[at + len(junk) :]
    if changed != content:
        assert verdict(changed) in ("error", "warning")


_TYPES = st.lists(st.sampled_from([*charts.TRACE_TYPES, "box", "heatmap"]), min_size=1, unique=True)


@st.composite
def fakes(draw) -> bytes:
    """Files holding plotly.js's registration strings, with or without its header, its UMD
    wrapper's opening and closing, and some size."""
    parts = []
    if draw(st.booleans()):
        parts.append(f"/**\n* plotly.js v{draw(st.sampled_from(['4.1.1', '3.0.1', '4.2.0']))}\n*/\n")
    if draw(st.booleans()):
        parts.append("(\n function(root, factory) {\n root.moduleName = factory();\n} (self, () => {\n")
    parts += [f'{{moduleType:"trace",name:"{t}"}},' for t in draw(_TYPES)]
    parts.append(" " * draw(st.sampled_from([0, 100, 600_000])))
    if draw(st.booleans()):
        parts.append("\nwindow.Plotly = Plotly;\nreturn Plotly;\n}));\n")
    return "".join(parts).encode()


@settings(max_examples=50, deadline=None)
@given(fakes())
def test_a_fake_with_the_registration_strings_is_never_accepted_silently(content):
    assert verdict(content) in ("error", "warning")


# --- through the CLI: file and line, and --strict ----------------------------------------------


def _set_bundle(root: Path, value: str) -> int:
    config = root / "clients.yaml"
    text = re.sub(r"^  plotly_js: .*\n", "", config.read_text(encoding="utf-8"), flags=re.M)
    text = text.replace(
        "  contact_email: reports@brightline.example\n",
        f"  contact_email: reports@brightline.example\n  plotly_js: {value}\n",
        1,
    )
    config.write_text(text, encoding="utf-8")
    return line_of(text, "plotly_js:")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bundle") / "proj"
    make_project(root)
    (root / "assets").mkdir(exist_ok=True)
    return root


def _run(root: Path, content: bytes, *args: str):
    (root / "assets" / "plotly.js").write_bytes(content)
    line = _set_bundle(root, "assets/plotly.js")
    return line, run_cli("check", "--project", root, *args)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=1_000_000))
def test_check_strict_fails_on_any_cut_bundle(project, cut):
    content = basic_bundle()
    line, result = _run(project, content[: len(content) - cut], "--strict")
    assert result.exit_code == 1, result.output
    assert f"clients.yaml:{line}: agency.plotly_js: 'assets/plotly.js' " in result.output
    assert "Traceback" not in result.output


def test_an_unknown_whole_bundle_is_a_warning_that_strict_makes_a_failure(project):
    patched = FULL + b"\n/* patched by hand */\n"
    line, result = _run(project, patched)
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(patched).hexdigest()
    assert (
        f"clients.yaml:{line}: warning: agency.plotly_js: 'assets/plotly.js': it is not a "
        f"plotly.js release reportgen knows (sha256 {sha}); check that its charts draw"
    ) in result.output
    _line, result = _run(project, patched, "--strict")
    assert result.exit_code == 1, result.output
    _line, result = _run(project, FULL, "--strict")  # a known release: silent
    assert result.exit_code == 0 and "plotly_js" not in result.output, result.output
    assert builtin_version() in KNOWN_BUNDLES[hashlib.sha256(FULL).hexdigest()]


# --- the other outside file reportgen runs: REPORTGEN_CHROMIUM (pdf.py) --------------------------


@pytest.mark.parametrize("kind", ["missing", "text file", "folder", "link to a text file"])
def test_a_chromium_path_that_is_not_an_executable_says_so(tmp_path, monkeypatch, kind):
    from reportgen.pdf import PdfError, check_available

    target = tmp_path / "chromium"
    if kind == "text file":
        target.write_text("root:x:0:0\n")
    elif kind == "folder":
        target.mkdir()
    elif kind == "link to a text file":
        (tmp_path / "passwd").write_text("root:x:0:0\n")
        target.symlink_to(tmp_path / "passwd")
    monkeypatch.setenv("REPORTGEN_CHROMIUM", str(target))
    with pytest.raises(PdfError) as error:
        check_available()
    state = "is missing" if kind == "missing" else "is not an executable file"
    assert f"{target} {state}" in str(error.value), str(error.value)
