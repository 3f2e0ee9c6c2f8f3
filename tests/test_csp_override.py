"""The Content-Security-Policy is the renderer's, not the templates' (csp.py).

A project that overrides partials/head.html or base.html — dropping the policy line,
writing another policy, or putting it after a script — still publishes every page with
exactly one policy <meta>, the project's, before anything that loads; a protected
portal's login pages carry theirs and the sealed page inside none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from helpers import make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.csp import CONTENT_SECURITY_POLICY, CSP_META, csp_meta, policies, with_policy, without_policy
from reportgen.protect import open_sealed

PASSWORD = "correct horse battery staple"
PROTECTED = "saigon-foods"
ANY_POLICY = re.compile(r"<meta[^>]*content-security-policy[^>]*>", re.IGNORECASE)
LOADS = re.compile(r"<(script|style)\b|<link\b[^>]*stylesheet", re.IGNORECASE)

# head.html without its policy line; base.html with a weaker policy written after a script.
HEAD = """<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex,nofollow">
"""
BASE_SOURCE = (Path(__file__).resolve().parent.parent / "templates" / "base.html").read_text(encoding="utf-8")
BASE = BASE_SOURCE.replace(
    '{% include "partials/head.html" %}\n',
    '{% include "partials/head.html" %}\n<script src="{{ js }}"></script>\n'
    '<META HTTP-EQUIV="content-security-policy" CONTENT="default-src *">\n',
)


def the_policy(html: str, policy: str) -> None:
    found = ANY_POLICY.findall(html)
    assert found == [csp_meta(policy).rstrip("\n")], found
    head = html[: html.index("</head>")]
    first_load = LOADS.search(head)
    assert first_load is None or head.index(found[0]) < first_load.start()


@pytest.fixture(scope="module")
def overridden(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("csp") / "proj"
    make_project(root)
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "templates" / "partials" / "head.html").write_text(HEAD, encoding="utf-8")
    (root / "templates" / "base.html").write_text(BASE, encoding="utf-8")
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        if client["id"] == PROTECTED:
            client["access"] = {"password_env": "SAIGON_PORTAL_PASSWORD"}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = run_cli("build", "--project", root, "--jobs", "1", env={"SAIGON_PORTAL_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output + result.stderr
    return root / "site"


def test_every_page_carries_the_policy_once_whatever_head_and_base_say(overridden):
    pages = sorted(overridden.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        the_policy(page.read_text(encoding="utf-8"), CONTENT_SECURITY_POLICY)


def test_the_sealed_page_inside_a_login_page_carries_none(overridden):
    login = (overridden / PROTECTED / "index.html").read_text(encoding="utf-8")
    the_policy(login, CONTENT_SECURITY_POLICY)
    block = re.search(r'<script type="application/json" id="sealed">(.*?)</script>', login, re.S)
    inner = open_sealed(json.loads(block.group(1)), PASSWORD).decode()
    assert ANY_POLICY.findall(inner) == []
    assert "<script src=" in inner  # the opened page is the overridden base's


def test_the_overview_carries_the_policy_with_overridden_templates(overridden, tmp_path):
    root = overridden.parent
    result = run_cli("overview", "--project", root, "--out", tmp_path / "overview")
    assert result.exit_code == 0, result.output + result.stderr
    pages = sorted((tmp_path / "overview").rglob("*.html"))
    assert pages
    for page in pages:
        the_policy(page.read_text(encoding="utf-8"), CONTENT_SECURITY_POLICY)


# --- with_policy, on any head a template can write ---------------------------------------------

PIECES = st.sampled_from(
    [
        '<meta charset="utf-8">\n',
        "<title>t</title>\n",
        '<link rel="icon" href="data:,">\n',
        '<link rel="stylesheet" href="a.css">\n',
        '<script src="a.js"></script>\n',
        "<style>b{}</style>\n",
        CSP_META,
        csp_meta("default-src *"),
        '<meta http-equiv="Content-Security-Policy" content="x">',
        "<META HTTP-EQUIV='CONTENT-SECURITY-POLICY' CONTENT='img-src *'>\n",
        '<meta name="robots" content="x">\n',
    ]
)


@settings(max_examples=200, deadline=None)
@given(head=st.lists(PIECES, max_size=8), body=st.lists(PIECES, max_size=3), with_head=st.booleans())
def test_with_policy_leaves_exactly_the_policy_early_in_the_head(head, body, with_head):
    page = (
        "<!doctype html>\n<html>\n"
        + ("<head>\n" if with_head else "")
        + "".join(head)
        + ("</head>\n" if with_head else "")
        + "<body>"
        + "".join(body)
        + "</body></html>\n"
    )
    placed = with_policy(page, CONTENT_SECURITY_POLICY)
    assert policies(placed) == [CSP_META] or policies(placed) == [CSP_META.rstrip("\n")]
    start = placed.index(policies(placed)[0])
    first_load = LOADS.search(placed)
    assert first_load is None or start < first_load.start()
    assert with_policy(placed, CONTENT_SECURITY_POLICY) == placed  # placed once: stays
    assert without_policy(placed) == without_policy(page)  # nothing else changed


def test_a_page_that_placed_the_policy_well_is_unchanged():
    page = '<html><head>\n<meta charset="utf-8">\n' + CSP_META + "<script src=a.js></script></head></html>"
    assert with_policy(page, CONTENT_SECURITY_POLICY) == page
