"""The policy is placed on the page as a browser parses it, not as text (csp.py, htmltokens.py).

A template can hide `<head>` or a policy <meta> in a comment, open the body early
(`<svg>`, text), run a script before `<head>` or before the doctype, or spell the policy
<meta> another way: whatever it writes, Chromium loading the page finds exactly one
policy, the project's, first in <head>, and no inline script runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import csp
from reportgen.csp import CONTENT_SECURITY_POLICY, CSP_META, policies, with_policy, without_policy

pytestmark = pytest.mark.browser

PWN = "<script>window.PWN=1</script>"
WEAK = "script-src 'unsafe-inline' *"

# What the page holds, as the browser parsed it: the policy metas in the document,
# whether the inline script ran, and the first elements of <head>.
PROBE = """() => {
  const kinds = ['content-security-policy', 'content-security-policy-report-only'];
  const metas = Array.from(document.querySelectorAll('meta[http-equiv]'))
    .filter(m => kinds.includes(m.httpEquiv.trim().toLowerCase()));
  // What <head> holds before the first policy: whitespace and harmless metas and icons only.
  const before = [];
  for (const node of document.head ? document.head.childNodes : []) {
    if (metas.includes(node)) break;
    if (node.nodeType === 3 && !node.data.trim()) continue;
    const harmless = node.nodeType === 1 && (
      (node.tagName === 'META' && !node.hasAttribute('http-equiv')) ||
      (node.tagName === 'LINK' && node.rel === 'icon' && node.getAttribute('href').startsWith('data:')));
    before.push(harmless ? 'harmless' : (node.outerHTML || '#' + node.nodeName));
  }
  return {
    pwn: window.PWN === undefined ? null : String(window.PWN),
    metas: metas.map(m => m.outerHTML),
    inHead: metas.length > 0 && metas[0].parentNode === document.head,
    before: before.filter(b => b !== 'harmless'),
  };
}"""
OURS = CSP_META.rstrip("\n")


def head_case(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.title()])


FRAGMENTS = st.one_of(
    st.sampled_from(
        [
            "<!-- <head> -->",
            f"<!-- {CSP_META} -->",
            "<!-->",
            "<!--->",
            "<!-- --!> ",
            "<?x <head> ?>",
            "<svg></svg>",
            "<svg><style>",
            "</svg>",
            "<math><mi>",
            PWN,
            "<script><!--<script></script>",
            "<template><meta http-equiv='Content-Security-Policy' content='default-src *'></template>",
            "<noscript><meta http-equiv=Content-Security-Policy content=x></noscript>",
            "<title><meta http-equiv=Content-Security-Policy content=x></title>",
            "<style>/* <meta http-equiv=Content-Security-Policy content=x> */</style>",
            "<div title='<meta http-equiv=Content-Security-Policy content=x>'>",
            "<div title=<meta http-equiv=Content-Security-Policy content=x>",
            "text ",
            "\n",
            '<meta charset="utf-8">',
            '<link rel="icon" href="data:,">',
            '<link rel="stylesheet" href="data:text/css,b{}">',
            '<img src="data:,">',
            "</head><body>",
            CSP_META,
            f'<meta http-equiv=" Content-Security-Policy " content="{WEAK}">',
            f'<meta http-equiv="Content&#45;Security-Policy" content="{WEAK}">',
            f'<META HTTP-EQUIV="content-security-policy-report-only" CONTENT="{WEAK}">',
            f"<meta content=\"{WEAK}\" http-equiv='CONTENT-SECURITY-POLICY'/>",
        ]
    ),
    head_case("<head>"),
    head_case('<html lang="x">'),
    head_case("<!doctype html>"),
)


@pytest.fixture(scope="module")
def tab(browser):
    """One tab that loads any page text from http://csp.test/ (a real navigation)."""
    context = browser.new_context()
    served: dict[str, str] = {}
    context.route(
        "http://csp.test/**",
        lambda route: route.fulfill(body=served["page"], content_type="text/html; charset=utf-8"),
    )
    page = context.new_page()

    def load(html: str) -> dict:
        served["page"] = html
        page.goto("http://csp.test/")
        return page.evaluate(PROBE)

    yield load
    context.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(FRAGMENTS, max_size=10), doctype=st.booleans())
def test_chromium_finds_one_policy_first_in_head_and_no_inline_script_runs(tab, pieces, doctype):
    page = ("<!doctype html>\n" if doctype else "") + "".join(pieces) + PWN + "<p>body</p>"
    placed = with_policy(page, CONTENT_SECURITY_POLICY)
    seen = tab(placed)
    assert seen["pwn"] is None, placed
    assert seen["metas"] == [OURS], (placed, seen)
    assert seen["inHead"] and seen["before"] == [], (placed, seen)
    assert policies(placed) == [CSP_META] or policies(placed) == [OURS]
    assert with_policy(placed, CONTENT_SECURITY_POLICY) == placed  # placed once: stays
    assert policies(without_policy(placed)) == []


def test_a_page_the_built_in_head_starts_is_left_byte_for_byte():
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<link rel="icon" href="data:,"><meta name="robots" content="x">\n' + CSP_META + "<title>t</title>"
    )
    assert with_policy(page, CONTENT_SECURITY_POLICY) == page
    for before in (
        "<!-- -->",
        "<script></script>",
        "<svg></svg>",
        "<head>",
        '<link rel="icon" href="x.ico">',
    ):
        moved = page.replace("<head>\n", "<head>\n" + before, 1)
        assert with_policy(moved, CONTENT_SECURITY_POLICY) != moved, before
    out_of_order = ["<meta charset=x><!doctype html>", "<head><html>", "<head><head>", "<meta name=x><head>"]
    for start in out_of_order:
        placed = with_policy(start + CSP_META, CONTENT_SECURITY_POLICY)
        assert placed.startswith("<!doctype html>" + CSP_META), start
    for start in ["", "<head>", "<html><meta charset=x><meta name=y>", " <!DOCTYPE html><HTML><HEAD>"]:
        assert with_policy(start + CSP_META, CONTENT_SECURITY_POLICY) == start + CSP_META, start


# --- the reported repros, built by `reportgen build` and opened in Chromium ----------------------

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BASE_SOURCE = (TEMPLATES / "base.html").read_text(encoding="utf-8")
OVERVIEW_BASE = (TEMPLATES / "overview" / "base.html").read_text(encoding="utf-8")
HTML_OPEN = '<html lang="{{ lang }}">'
OVERVIEW_HTML_OPEN = '<html lang="en">'
VARIANTS = (
    f'<meta http-equiv=" Content-Security-Policy " content="{WEAK}">\n'
    f'<meta http-equiv="Content&#45;Security-Policy" content="{WEAK}">\n'
    f'<meta http-equiv="Content-Security-Policy-Report-Only" content="{WEAK}">\n'
)


def comment_hides_head(source: str) -> str:
    opening = HTML_OPEN if HTML_OPEN in source else OVERVIEW_HTML_OPEN
    return source.replace(opening, opening + "<!-- <head> -->" + PWN, 1)


# Each attack, applied to the site's base.html and to the overview's.
REPROS = {
    "comment-hides-head": comment_hides_head,
    "svg-before-head": lambda source: source.replace("<head>", "<svg></svg><head>", 1).replace(
        "<main", PWN + "<main", 1
    ),
    "script-before-head": lambda source: source.replace("<head>", PWN + "<head>", 1),
    "script-before-doctype": lambda source: PWN + source,
    "variant-metas": lambda source: source.replace("</head>", VARIANTS + PWN + "</head>", 1),
}


@pytest.fixture(scope="module", params=sorted(REPROS))
def repro_site(request, tmp_path_factory) -> list[Path]:
    attack = REPROS[request.param]
    root = tmp_path_factory.mktemp(request.param) / "proj"
    make_project(root)
    (root / "templates" / "overview").mkdir(parents=True)
    for source, target in ((BASE_SOURCE, "base.html"), (OVERVIEW_BASE, "overview/base.html")):
        assert attack(source) != source
        (root / "templates" / target).write_text(attack(source), encoding="utf-8")
    document = yaml.safe_load((root / "clients.yaml").read_text(encoding="utf-8"))
    client = document["clients"][0]["id"]
    result = run_cli("build", "--project", root, "--jobs", "1")
    assert result.exit_code == 0, result.output + result.stderr
    result = run_cli("overview", "--project", root, "--out", root / "overview")
    assert result.exit_code == 0, result.output + result.stderr
    site = root / "site"
    months = [
        path for path in (site / client).glob("*/index.html") if re.match(r"\d{4}-\d\d", path.parent.name)
    ]
    return [site / "index.html", site / client / "index.html", max(months), root / "overview" / "index.html"]


@pytest.mark.slow
def test_reported_overrides_run_no_inline_script_and_block_no_theme_asset(browser, repro_site):
    for path in repro_site:
        context = browser.new_context()
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message, messages=messages: messages.append(message.text))
        page.on("pageerror", lambda error, messages=messages: messages.append(f"pageerror: {error}"))
        try:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            seen = page.evaluate(PROBE)
            assert seen["pwn"] is None, path
            assert seen["metas"] == [OURS], (path, seen)
            assert seen["inHead"] and seen["before"] == [], (path, seen)
            violations = [
                text
                for text in messages
                if ("Content Security Policy" in text and "inline script" not in text) or "pageerror" in text
            ]
            assert violations == [], (path, violations)
            assert any("inline script" in text for text in messages), (path, messages)  # PWN was there
        finally:
            context.close()


BUILT_IN_START = '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(FRAGMENTS, max_size=10),
    before=st.lists(FRAGMENTS, max_size=3),
    starts_built_in=st.booleans(),
)
def test_the_fast_path_answers_as_the_whole_page_would(pieces, before, starts_built_in):
    # with_policy first tries a cheap check (tokenize up to our meta, look for any
    # `http-equiv` after it); whatever the page, the answer is the whole-page one.
    lead = BUILT_IN_START if starts_built_in else "".join(before)
    page = lead + CSP_META + "".join(pieces)
    spans = csp._policy_spans(page)
    whole_page_unchanged = len(spans) == 1 and csp._placed_first(page, spans[0], CSP_META)
    assert csp._already_first(page, CSP_META) <= whole_page_unchanged  # never says yes wrongly
    assert (csp.with_policy(page, CONTENT_SECURITY_POLICY) == page) == whole_page_unchanged
