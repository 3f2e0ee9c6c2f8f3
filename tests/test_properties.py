"""Property-based tests (hypothesis): no input makes the parsers crash or leak code."""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.formulas import FormulaError, evaluate, parse_formula
from reportgen.notehtml import render_markdown, sanitize_html
from reportgen.yamlfile import YamlError, parse_yaml

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FORMULA_ALPHABET = st.sampled_from(
    [
        *"abcxyz_0123456789.+-*/() ",
        "spend",
        "leads",
        "__import__",
        "os",
        "'",
        '"',
        "[",
        "]",
        ",",
        "lambda",
        ":",
        "**",
        "@",
        "\n",
    ]
)


@SETTINGS
@given(st.lists(FORMULA_ALPHABET, max_size=40).map("".join))
def test_formula_parser_parses_or_refuses_cleanly(text):
    try:
        formula = parse_formula(text)
    except FormulaError:
        return
    value = evaluate(formula.expr, lambda name: 2.0)
    assert value is None or isinstance(value, float)
    assert value is None or not math.isnan(value)


NAMES = st.sampled_from(["spend", "leads", "clicks", "x"])


def expressions(depth=3):
    leaf = st.one_of(NAMES, st.integers(0, 1000).map(str))
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    operation = st.tuples(sub, st.sampled_from("+-*/"), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    return st.one_of(leaf, operation)


@SETTINGS
@given(expressions(), st.dictionaries(NAMES, st.one_of(st.none(), st.floats(-1e6, 1e6))))
def test_valid_formulas_never_raise_and_never_give_inf_or_nan(text, values):
    formula = parse_formula(text)
    assert formula.names <= {"spend", "leads", "clicks", "x"}
    value = evaluate(formula.expr, values.get)
    assert value is None or math.isfinite(value)


DANGEROUS_TAG = re.compile(r"<\s*(script|iframe|object|embed|style)\b", re.IGNORECASE)
DANGEROUS_IN_TAG = re.compile(r"\son[a-z]+\s*=|javascript:|vbscript:|data:text/html", re.IGNORECASE)


def dangerous(html: str) -> bool:
    """Executable markup: a script-like element, or an event handler or script URL
    inside a tag. (The words as text, escaped, are harmless.)"""
    return bool(DANGEROUS_TAG.search(html)) or any(
        DANGEROUS_IN_TAG.search(tag) for tag in re.findall(r"<[^>]*>", html)
    )


HTML_BITS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        '<a href="JaVaScRiPt:alert(1)">',
        "<svg onload=alert(1)>",
        "<iframe src=x>",
        "<b onclick=x>b</b>",
        "<p style='x'>",
        "[link](javascript:alert(1))",
        "<scr<script>ipt>",
        "</script>",
        "<!-- x -->",
        "<object data=x>",
        "<a href=' java\tscript:x'>",
        "&lt;script&gt;",
        "**bold**",
        "# head",
        "| a | b |\n|---|---|",
        "\n",
        " ",
        "text",
        "<details open ontoggle=alert(1)>",
        "<math><mi xlink:href=javascript:x>",
        "<a href=data:text/html,x>",
        "`code`",
        "```\n<script>\n```",
    ]
)


@SETTINGS
@given(st.lists(st.one_of(HTML_BITS, st.text(max_size=20)), max_size=12).map("".join))
def test_sanitized_markdown_never_carries_script(text):
    html = render_markdown(text)
    assert not dangerous(html), html
    assert not dangerous(sanitize_html(text))


YAML_BITS = st.sampled_from(
    [
        "a: 1\n",
        "- x\n",
        "&a [1, *a]\n",
        "*a\n",
        "!!python/object:os.system x\n",
        "{",
        "}",
        "[",
        "]",
        ": ",
        "\t",
        "'",
        '"',
        "key: value\n",
        "key: value\n",
        "? complex\n",
        "<<: *a\n",
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "!custom x\n",
        "a: &x [*x]\n",
        "\x00",
        "\ufeff",
        "2026-13-40",
        "- - - -\n",
    ]
)


@SETTINGS
@given(st.lists(st.one_of(YAML_BITS, st.text(max_size=10)), max_size=15).map("".join))
def test_yaml_loader_never_raises_anything_but_yaml_error(text):
    try:
        parse_yaml(text)
    except YamlError as error:
        assert error.message
