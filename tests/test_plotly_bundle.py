"""`agency.plotly_js`: a lighter plotly.js bundle instead of the full one.

The bundle is checked when clients.yaml is read (a regular file inside the
project, at most 20 MB, plotly.js, registering every trace type reportgen
draws), served under its own content-hashed name, part of every page's
fingerprint, and draws the same pictures as the full bundle in a browser.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import BASIC_PLOTLY_JS, figure_blocks, line_of, make_project, npm_tool, tree_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen import charts
from reportgen.plotlybundle import (
    BUILTIN_PLOTLY_JS,
    MAX_BUNDLE_BYTES,
    MIN_BUNDLE_BYTES,
    BundleError,
    builtin_version,
    bundle_version,
    check_bundle,
    registered_trace_types,
)

BASIC = BASIC_PLOTLY_JS
FULL = BUILTIN_PLOTLY_JS.read_bytes()


def basic_bundle() -> bytes:
    return npm_tool(BASIC).read_bytes()


def dist_file(code: bytes, version: str = "4.1.1") -> bytes:
    """`code` in the shape of a whole plotly.js dist file (header, UMD wrapper, a plausible
    size), which reportgen does not know: accepted with a warning."""
    padding = b" " * max(0, MIN_BUNDLE_BYTES - len(code))
    return (
        (
            f"/**\n* plotly.js (fake) v{version}\n* Licensed under the MIT license\n*/\n(\n"
            " function(root, factory) {\n  root.moduleName = factory();\n} (self, () => {\n"
        ).encode()
        + code
        + padding
        + b"\nwindow.Plotly = Plotly;\nreturn Plotly;\n}));\n"
    )


def fake_bundle(types=charts.TRACE_TYPES, version: str = "4.1.1") -> bytes:
    """A file that looks like a plotly.js bundle registering `types` (not one reportgen knows:
    a warning)."""
    modules = ",".join(f'{{moduleType:"trace",name:"{name}",basePlotModule:{{}}}}' for name in types)
    return dist_file(f"var Plotly={{modules:[{modules}]}};\n".encode(), version)


def set_bundle(root: Path, value: str) -> int:
    """Write `agency.plotly_js: value` into clients.yaml; its line number."""
    config = root / "clients.yaml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"^  plotly_js: .*\n", "", text, flags=re.M)
    text = text.replace(
        "  contact_email: reports@brightline.example\n",
        f"  contact_email: reports@brightline.example\n  plotly_js: {value}\n",
        1,
    )
    config.write_text(text, encoding="utf-8")
    return line_of(text, "plotly_js:")


def build(root: Path, *args: str):
    return run_cli("build", "--project", root, *args)


def plotly_assets(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (site / "assets").glob("plotly.*")}


def pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


# --- the trace types: one list, and every figure keeps to it ------------------------------


def test_every_figure_uses_only_the_declared_trace_types(built_site):
    used = set()
    for html in pages(built_site).values():
        for figure in figure_blocks(html).values():
            if isinstance(figure, dict) and "data" in figure:
                used |= {trace["type"] for trace in figure["data"]}
    assert used == set(charts.TRACE_TYPES)  # none outside the list; none listed for nothing


def test_a_figure_with_another_trace_type_is_refused():
    with pytest.raises(TypeError, match="heatmap"):
        charts.plotly_figure([{"type": "heatmap"}], {})


# --- reading a bundle ---------------------------------------------------------------------


def test_the_real_bundles_register_what_reportgen_draws():
    assert set(charts.TRACE_TYPES) <= registered_trace_types(FULL)
    assert bundle_version(FULL) == builtin_version()
    assert builtin_version().split(".")[0] == "4"
    basic = basic_bundle()
    assert registered_trace_types(basic) == set(charts.TRACE_TYPES)
    assert bundle_version(basic) == builtin_version()
    assert check_bundle(basic) == []
    assert len(basic) < len(FULL) / 3


_WS = st.text(alphabet=" \t\n\r", max_size=3)
_QUOTE = st.sampled_from(['"', "'"])
_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
# Minified code between registrations: anything that does not spell a registration.
_FILLER = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda text: "moduleType" not in text
)


@st.composite
def bundle_texts(draw):
    names = draw(st.lists(_NAME, max_size=8))
    decoys = draw(st.lists(_NAME, max_size=3))  # components and transforms are not traces
    parts = []
    for name in names:
        q1, q2 = draw(_QUOTE), draw(_QUOTE)
        w = [draw(_WS) for _ in range(6)]
        parts.append(f"{{moduleType{w[0]}:{w[1]}{q1}trace{q1}{w[2]},{w[3]}name{w[4]}:{w[5]}{q2}{name}{q2}")
    for name in decoys:
        parts.append(f'{{moduleType:"component",name:"{name}"')
    order = draw(st.permutations(parts))
    text = "".join(draw(_FILLER) + part + "," for part in order) + draw(_FILLER)
    return text, set(names)


@settings(max_examples=50, deadline=None)
@given(bundle_texts())
def test_registrations_are_found_whatever_the_spacing_quotes_and_order(case):
    text, names = case
    assert registered_trace_types(text.encode()) == names
    if not names:
        with pytest.raises(BundleError, match=r"does not look like a plotly\.js bundle"):
            check_bundle(text.encode())
    elif missing := [t for t in charts.TRACE_TYPES if t not in names]:
        with pytest.raises(BundleError) as error:
            check_bundle(dist_file(text.encode()))
        assert all(t in error.value.message for t in missing)
        assert "plotly.js-basic-dist-min" in error.value.message
    else:
        # registrations alone are not a bundle (test_attack11_bundle.py); in a whole dist
        # file reportgen does not know, they are a warning
        with pytest.raises(BundleError, match=r"plotly\.js dist file"):
            check_bundle(text.encode())
        [warning] = check_bundle(dist_file(text.encode()))
        assert "not a plotly.js release reportgen knows" in warning


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["plotly.js v{}", "plotly.js (basic - minified) v{}", "plotly.js (cartesian) v{}"]),
)
def test_the_header_version_is_read(major, minor, patch, header):
    version = f"{major}.{minor}.{patch}"
    text = f"/**\n* {header.format(version)}\n* Copyright 2012-2026, Plotly, Inc.\n*/\n(function(){{}})"
    assert bundle_version(text.encode()) == version
    assert bundle_version(b"var x = 'plotly.js v4.1.1';") is None  # only the first comment says


# --- errors in clients.yaml: file and line, exit 1, the previous site untouched ------------


def _missing(root: Path) -> str:
    return "assets/nothing.min.js"


def _folder(root: Path) -> str:
    (root / "assets" / "plotly").mkdir(parents=True)
    return "assets/plotly"


def _fifo(root: Path) -> str:
    (root / "assets").mkdir(exist_ok=True)
    os.mkfifo(root / "assets" / "plotly.min.js")
    return "assets/plotly.min.js"


def _link_outside(root: Path) -> str:
    outside = root.parent / "outside.min.js"
    outside.write_bytes(fake_bundle())
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "plotly.min.js").symlink_to(outside)
    return "assets/plotly.min.js"


def _not_plotly(root: Path) -> str:
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "plotly.min.js").write_text("console.log('hello');\n")
    return "assets/plotly.min.js"


def _no_pie(root: Path) -> str:
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "plotly-cartesian.min.js").write_bytes(fake_bundle(("scatter", "bar", "box")))
    return "assets/plotly-cartesian.min.js"


def _too_big(root: Path) -> str:
    (root / "assets").mkdir(exist_ok=True)
    with open(root / "assets" / "big.js", "wb") as handle:
        handle.write(fake_bundle())
        handle.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: nothing is really written
    return "assets/big.js"


def _absolute(root: Path) -> str:
    return str(BUILTIN_PLOTLY_JS)


def _dotdot(root: Path) -> str:
    return "../outside.min.js"


CASES = {
    "missing": (_missing, "file 'assets/nothing.min.js' not found"),
    "folder": (_folder, "'assets/plotly' is a folder, not a regular file"),
    "fifo": (_fifo, "'assets/plotly.min.js' is a named pipe (FIFO), not a regular file"),
    "link outside": (_link_outside, "'assets/plotly.min.js' points outside the project"),
    "not plotly": (_not_plotly, "'assets/plotly.min.js' does not look like a plotly.js bundle"),
    "no pie": (_no_pie, "the bundle has no pie trace type, which reportgen draws"),
    "too big": (_too_big, "'assets/big.js' is 20.0 MB; a plotly.js bundle may be at most 20 MB"),
    "absolute": (_absolute, "must be relative to the project root"),
    "dotdot": (_dotdot, "must not leave the project ('..')"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_bundle_is_an_error_at_its_line_and_the_site_is_untouched(copy_project, case):
    root = copy_project()
    make, message = CASES[case]
    before = tree_bytes(root / "site")
    line = set_bundle(root, make(root))
    for command in ("build", "check"):
        result = run_cli(command, "--project", root)
        assert result.exit_code == 1, result.output
        assert f"clients.yaml:{line}: agency.plotly_js: " in result.output
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    assert tree_bytes(root / "site") == before


def test_a_bundle_of_another_major_version_is_a_warning(copy_project):
    root = copy_project()
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "plotly.min.js").write_bytes(fake_bundle(version="3.0.1"))
    line = set_bundle(root, "assets/plotly.min.js")
    result = build(root)
    assert result.exit_code == 0, result.output
    assert (
        f"clients.yaml:{line}: warning: agency.plotly_js: 'assets/plotly.min.js': the bundle is "
        "plotly.js v3.0.1" in result.output
    )
    assert f"v{builtin_version()}" in result.output
    assert build(root, "--strict").exit_code == 1


def test_the_schema_knows_the_field():
    from reportgen.scaffold import CLIENTS_SCHEMA, json_schemas

    agency = json_schemas()[CLIENTS_SCHEMA]["properties"]["agency"]["properties"]
    assert agency["plotly_js"]["type"] == "string"
    assert "plotly.js-basic-dist-min" in agency["plotly_js"]["description"]


# --- the built site -------------------------------------------------------------------------


def test_the_site_serves_the_configured_bundle_and_rebuilds_when_it_changes(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    (root / "assets").mkdir()
    bundle = root / "assets" / "plotly-basic.min.js"
    bundle.write_bytes(basic_bundle())
    set_bundle(root, "assets/plotly-basic.min.js")
    result = build(root)
    assert result.exit_code == 0, result.output
    site = root / "site"
    [(name, content)] = plotly_assets(site).items()
    assert content == bundle.read_bytes()  # the full bundle is not copied
    assert not any(p.read_bytes() == FULL for p in (site / "assets").iterdir())
    charted = {path: html for path, html in pages(site).items() if "data-figure" in html}
    assert len(charted) > 10
    for path, html in charted.items():
        depth = path.count("/")
        assert f'src="{"../" * depth}assets/{name}"' in html, path

    # Nothing changed: nothing is rendered again.
    again = build(root)
    assert again.exit_code == 0 and "0 pages rendered" in again.output, again.output

    # The bundle changed: every page names the new asset; the old one is gone.
    bundle.write_bytes(bundle.read_bytes() + b"\n/* patched */\n")
    before = tree_bytes(site)
    result = build(root)
    assert result.exit_code == 0, result.output
    [(new_name, content)] = plotly_assets(site).items()
    assert new_name != name and content == bundle.read_bytes()
    after = tree_bytes(site)
    for path, html in pages(site).items():
        if path in charted:
            assert new_name in html and name not in html, path
            assert after[path] != before[path]

    # Back to the full bundle: the setting removed, the built-in file served again.
    text = (root / "clients.yaml").read_text(encoding="utf-8")
    (root / "clients.yaml").write_text(re.sub(r"^  plotly_js: .*\n", "", text, flags=re.M), encoding="utf-8")
    assert build(root).exit_code == 0
    assert list(plotly_assets(site).values()) == [FULL]
    # A clean build gives the same site as the incremental one.
    assert run_cli("build", "--project", root, "--out", tmp_path / "clean").exit_code == 0
    assert tree_bytes(tmp_path / "clean") == tree_bytes(site)


# --- in a browser: the light bundle draws what the full one draws ----------------------------

BROWSER_PAGES = ["acme-corp/2026-10/index.html", "acme-corp/index.html"]

# Per chart: what it draws, independent of Plotly's random clip-path ids.
_DRAWING = """(canvas) => {
  const svg = canvas.querySelector('svg.main-svg');
  const count = (selector) => canvas.querySelectorAll(selector).length;
  return {
    drawn: canvas.dataset.drawn || null,
    svg: !!svg,
    scatter: count('.scatterlayer .trace'),
    bars: count('.barlayer .trace'),
    pies: count('.pielayer .trace'),
    points: count('.scatterlayer .point'),
    lines: count('.scatterlayer .js-line'),
    barPoints: count('.barlayer .point'),
    slices: count('.pielayer .slice'),
    legend: count('.legend .traces'),
    text: Array.from(canvas.querySelectorAll('svg text')).map((t) => t.textContent),
    shapes: Array.from(canvas.querySelectorAll(
      '.scatterlayer .js-line, .barlayer .point path, .pielayer .slice path.surface'))
      .map((e) => e.getAttribute('d'))
  };
}"""


def _draw_all(page, timeout_ms: int) -> None:
    try:  # the shared helper, once it exists (charts may draw only when scrolled into view)
        from helpers import draw_all_charts
    except ImportError:
        draw_all_charts = None
    if draw_all_charts is not None:
        draw_all_charts(page, timeout_ms)
        return
    for element in page.query_selector_all("[data-figure]"):
        element.scroll_into_view_if_needed()
    # Selectors only: the pages' CSP forbids the eval() wait_for_function needs.
    page.wait_for_selector("html[data-charts]", state="attached", timeout=timeout_ms)
    if page.evaluate("document.documentElement.dataset.charts") == "drawn":
        for element in page.query_selector_all("[data-figure]"):
            element.wait_for_selector("svg.main-svg", state="attached", timeout=timeout_ms)


def _drawings(browser, path: Path) -> tuple[list[dict], list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None,
    )
    try:
        page.goto(path.as_uri())
        _draw_all(page, 30_000)
        state = page.evaluate("document.documentElement.dataset.charts")
        errors = page.evaluate("document.documentElement.dataset.chartErrors || ''")
        assert state == "drawn", f"{path}: {state} {errors}"
        return [canvas.evaluate(_DRAWING) for canvas in page.query_selector_all("[data-figure]")], problems
    finally:
        context.close()


@pytest.fixture(scope="module")
def light_site(tmp_path_factory) -> Path:
    content = basic_bundle()
    root = tmp_path_factory.mktemp("light") / "proj"
    make_project(root)
    shutil.copy(BASIC, root / "plotly-basic.min.js")
    assert (root / "plotly-basic.min.js").read_bytes() == content
    set_bundle(root, "plotly-basic.min.js")
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.mark.browser
@pytest.mark.parametrize("relative", BROWSER_PAGES)
def test_the_light_bundle_draws_every_chart_as_the_full_one_does(browser, light_site, built_site, relative):
    light, light_problems = _drawings(browser, light_site / relative)
    full, _ = _drawings(browser, built_site / relative)
    assert light_problems == []
    assert len(light) >= 3 and len(light) == len(full)
    kinds = set()
    for index, (ours, theirs) in enumerate(zip(light, full, strict=True)):
        assert ours["drawn"] == "true" and ours["svg"], (relative, index, ours)
        assert ours == theirs, (relative, index)
        kinds |= {kind for kind in ("scatter", "bars", "pies") if ours[kind]}
        if ours["pies"]:
            assert ours["slices"] > 1
    if relative.endswith("2026-10/index.html"):  # the report has line, bar and pie charts
        assert kinds == {"scatter", "bars", "pies"}
