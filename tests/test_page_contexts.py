"""Typed page contexts (contexts.py): every name a built-in template uses is a field of its
page's class, and every field is documented in the README's template reference.

Like Datasette's test_template_context: a template override learns its variables from
the README, and this test keeps the README, the classes and the theme in step.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from jinja2 import nodes

from reportgen import contexts
from reportgen.render import builtin_templates_dir, make_environment

README = Path(__file__).resolve().parent.parent / "README.md"

# Each template a page is rendered from, and the class of what it is given.
PAGES = {
    "index.html": contexts.LandingPage,
    "login.html": contexts.LoginPage,
    "home.html": contexts.HomePage,
    "report.html": contexts.ReportPage,
    "partials/chart.html": contexts.ChartPart,
    "email/message.html": contexts.MailPage,
    "email/message.txt": contexts.MailPage,
    "overview/index.html": contexts.OverviewIndexPage,
    "overview/client.html": contexts.OverviewClientPage,
    "overview/agency.html": contexts.OverviewAgencyPage,
    "overview/login.html": contexts.OverviewLoginPage,
}
# The classes the README documents, each with the fields of its own (a subclass lists
# only what it adds to its base).
DOCUMENTED = [
    contexts.BasePage,
    contexts.LandingPage,
    contexts.LoginPage,
    contexts.HomePage,
    contexts.ArchiveEntry,
    contexts.ReportPage,
    contexts.ChartPart,
    contexts.MailPage,
    contexts.OverviewPage,
    contexts.OverviewIndexPage,
    contexts.OverviewClientPage,
    contexts.OverviewAgencyPage,
    contexts.OverviewLoginPage,
]


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> jinja2.Environment:
    return make_environment(tmp_path_factory.mktemp("empty-project"))


def closure(env: jinja2.Environment, name: str) -> list[nodes.Template]:
    """The template and every template it extends, includes or imports, parsed."""
    seen: dict[str, nodes.Template] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        source, _filename, _uptodate = env.loader.get_source(env, current)
        seen[current] = env.parse(source)
        pending.extend(n for n in jinja2.meta.find_referenced_templates(seen[current]) if isinstance(n, str))
    return list(seen.values())


def used_names(env: jinja2.Environment, name: str) -> set[str]:
    """The top-level names the page's templates read: each template's undeclared names,
    less the names any of them binds (`for`, `with`, `set`, macro parameters), which a
    partial reads from the template that includes it, and less the environment's globals."""
    trees = closure(env, name)
    used = set().union(*(jinja2.meta.find_undeclared_variables(tree) for tree in trees))
    bound = {n.name for tree in trees for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return used - bound - set(env.globals)


def field_names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


@pytest.mark.parametrize("template", sorted(PAGES))
def test_every_name_a_template_uses_is_a_field_of_its_page(env, template):
    missing = used_names(env, template) - field_names(PAGES[template])
    assert not missing, f"{template} uses {sorted(missing)}, not fields of {PAGES[template].__name__}"


def test_every_page_template_of_the_theme_has_a_context_class():
    theme = builtin_templates_dir()
    pages = {p.relative_to(theme).as_posix() for p in theme.rglob("*.html")} | {"email/message.txt"}
    parts = {p for p in pages if p.startswith("partials/") or p in ("base.html", "overview/base.html")}
    assert pages - parts - {"partials/chart.html"} <= set(PAGES)
    assert {t for t in PAGES} <= pages


def readme_fields() -> dict[str, dict[str, str]]:
    """The README's context reference: class name → {field: type as written}."""
    text = README.read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^#### .*\(`(\w+)`\)\s*$", line)
        if heading:
            current = heading.group(1)
            found[current] = {}
            continue
        if line.startswith("#"):
            current = None
        row = re.match(r"^\| `(\w+)` \| `([^`]+)` \|", line)
        if current and row:
            found[current][row.group(1)] = row.group(2).replace("\\|", "|")
    return found


def own_fields(cls: type) -> dict[str, str]:
    bases = [base for base in cls.__mro__[1:] if dataclasses.is_dataclass(base)]
    inherited = set().union(*(field_names(base) for base in bases))
    return {f.name: str(f.type) for f in dataclasses.fields(cls) if f.name not in inherited}


@pytest.mark.parametrize("cls", DOCUMENTED, ids=lambda c: c.__name__)
def test_every_field_is_documented_in_the_readme_with_its_type(cls):
    documented = readme_fields().get(cls.__name__)
    assert documented is not None, f"README: no '#### … (`{cls.__name__}`)' section"
    assert documented == own_fields(cls)


def test_a_context_is_its_fields_as_top_level_names():
    page = contexts.LandingPage(
        _=str,
        ngettext=lambda one, many, n: one if n == 1 else many,
        fmt=None,
        lang="en-US",
        agency=None,
        agency_logo=None,
        client=None,
        brand_color="#334155",
        brand_css="",
        root="",
        css="a.css",
        js="a.js",
        plotly_js="p.js",
        data_through=None,
        csp="x",
        protected=False,
        today_date=None,
        logo=None,
        home=None,
        page_title="T",
    )
    context = page.as_context()
    assert set(context) == field_names(contexts.LandingPage)
    assert context["page_title"] == "T" and context["_"] is str
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.page_title = "changed"
