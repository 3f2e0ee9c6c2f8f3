"""Templates: a project's templates/ overrides the built-in theme file by file."""

from __future__ import annotations

from conftest import run_cli

SCORECARD = """\
<div class="my-card" data-metric="{{ card.metric }}">
OVERRIDDEN-SCORECARD {{ card.label }}: {{ card.value }}</div>
"""


def test_project_partial_overrides_builtin(project):
    (project / "templates" / "partials").mkdir(parents=True)
    (project / "templates" / "partials" / "scorecard.html").write_text(SCORECARD)
    result = run_cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    for page in ("acme-corp/index.html", "acme-corp/2026-10/index.html"):
        html = (project / "site" / page).read_text()
        assert html.count("OVERRIDDEN-SCORECARD") == 3, page  # one per KPI
        assert 'data-metric="cpl"' in html
        assert "scorecard-value" not in html  # the built-in partial is gone
        assert "Budget pacing" in html or page.endswith("acme-corp/index.html")  # rest intact


def test_project_static_asset_overrides_builtin(project):
    (project / "templates" / "static").mkdir(parents=True)
    (project / "templates" / "static" / "reportgen.css").write_text("body{color:#123456}\n")
    result = run_cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    css = [p for p in (project / "site" / "assets").iterdir() if p.suffix == ".css"]
    assert len(css) == 1 and css[0].read_text() == "body{color:#123456}\n"


def test_templates_autoescape(project):
    (project / "templates").mkdir()
    (project / "templates" / "index.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="t">{{ "<b>x</b>" }}</p>{% endblock %}\n'
    )
    result = run_cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert '<p id="t">&lt;b&gt;x&lt;/b&gt;</p>' in (project / "site" / "index.html").read_text()
