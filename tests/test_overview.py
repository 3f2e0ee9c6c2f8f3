"""`reportgen overview`: the agency's internal site — sealing, isolation, refusals, the table in a browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from helpers import DEFAULT_MARKERS, make_project, tree_bytes

from reportgen.protect import open_sealed
from reportgen.scaffold import GITIGNORE

PASSWORD = "overview correct horse battery"
MARKERS = tuple(DEFAULT_MARKERS.values())


@pytest.fixture
def proj(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    return root


def seal(root: Path) -> None:
    text = (root / "clients.yaml").read_text()
    (root / "clients.yaml").write_text(
        text.replace("agency:\n", "agency:\n  overview:\n    password_env: OVERVIEW_PASSWORD\n", 1)
    )


def test_the_overview_shows_every_client_and_links_to_their_portals(proj, cli):
    result = cli("overview", "--project", proj)
    assert result.exit_code == 0, result.output
    out = proj / "overview"
    index = (out / "index.html").read_text()
    for marker in MARKERS:
        assert f"Client {marker}" in index
    assert 'href="../site/acme-corp/2026-11/index.html"' in index
    assert 'href="clients/acme-corp.html"' in index
    client = (out / "clients" / "acme-corp.html").read_text()
    assert "13-month trends against targets" in client and "data-figure" in client
    assert "Open task qzacmeqz" in client and "Done task qzacmeqz" in client  # the full history
    assert "qzsaigonqz" not in client and "qzberlinqz" not in client
    agency = (out / "agency.html").read_text()
    assert "Spend against budget, VND" in agency and "Spend against budget, EUR" in agency
    for page in out.rglob("*.html"):
        html = page.read_text()
        assert '<meta name="robots" content="noindex,nofollow">' in html
        assert "Content-Security-Policy" in html
        # no inline script
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html), page
        assert not re.search(r"""(src|href)="(https?:)?//""", html), page  # nothing loads from outside


def test_the_overview_is_deterministic(proj, cli):
    assert cli("overview", "--project", proj).exit_code == 0
    first = tree_bytes(proj / "overview")
    shutil.rmtree(proj / "overview")
    assert cli("overview", "--project", proj).exit_code == 0
    assert tree_bytes(proj / "overview") == first


def test_a_sealed_overview_has_no_client_name_or_figure_in_any_file(proj, cli):
    assert cli("overview", "--project", proj, "--out", proj / "plain").exit_code == 0
    plain = b"".join(tree_bytes(proj / "plain").values())
    figures = [b"$32,000", b"Open task"]  # a budget and a next step, as the plain overview shows them
    assert all(f in plain for f in figures)
    seal(proj)
    result = cli("overview", "--project", proj, env={"OVERVIEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert "sealed" in result.output
    files = tree_bytes(proj / "overview")
    for name, content in files.items():
        for secret in (
            *[m.encode() for m in MARKERS],
            *figures,
            b"acme-corp",
            b"saigon-foods",
            b"berlin-bikes",
        ):
            assert secret not in content, (name, secret)
            assert secret.decode() not in name
    pages = [n for n in files if n.endswith(".html")]
    assert len(pages) == 5  # index, agency and a page per client
    envelope = json.loads(
        re.search(rb'<script type="application/json" id="sealed">(.*?)</script>', files["index.html"]).group(
            1
        )
    )
    opened = open_sealed(envelope, PASSWORD).decode()
    assert "Client qzacmeqz" in opened and "Content-Security-Policy" not in opened


def test_a_sealed_overview_needs_its_password(proj, cli):
    seal(proj)
    result = cli("overview", "--project", proj)
    assert result.exit_code == 1
    assert "clients.yaml:3:" in result.output and "OVERVIEW_PASSWORD" in result.output
    assert not (proj / "overview").exists()


def test_overview_password_env_is_validated(proj, cli):
    text = (proj / "clients.yaml").read_text()
    (proj / "clients.yaml").write_text(
        text.replace("agency:\n", "agency:\n  overview:\n    password: hunter2\n", 1)
    )
    result = cli("overview", "--project", proj)
    assert result.exit_code == 1
    assert "clients.yaml:3:" in result.output and "password_env" in result.output


@pytest.mark.parametrize("where", ["site", "site/overview", "site/acme-corp", ".", "content/x"])
def test_the_overview_never_goes_into_the_site_or_the_project(proj, cli, where):
    assert cli("build", "--project", proj).exit_code == 0
    before = tree_bytes(proj / "site")
    result = cli("overview", "--project", proj, "--out", proj / where)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "--out" in result.output
    assert tree_bytes(proj / "site") == before


def test_the_overview_never_goes_into_a_site_built_elsewhere(proj, cli, tmp_path):
    public = tmp_path / "public"
    assert cli("build", "--project", proj, "--out", public).exit_code == 0
    result = cli("overview", "--project", proj, "--out", public / "internal")
    assert result.exit_code == 1 and "client site" in result.output
    result = cli("overview", "--project", proj, "--out", public)
    assert result.exit_code == 1


def test_isolation_with_both_built(proj, cli):
    assert cli("build", "--project", proj).exit_code == 0
    assert cli("overview", "--project", proj).exit_code == 0
    site = proj / "site"
    for path in site.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            named = [m for m in MARKERS if m.encode() in content]
            assert len(named) <= 1, (path, named)
            assert b"reportgen-overview" not in content and b"internal overview" not in content
    overview = (proj / "overview").resolve()
    assert not overview.is_relative_to(site.resolve())
    assert not any(p.name == ".reportgen-overview" for p in site.rglob("*"))
    # a second build of the site leaves the overview alone, and the other way round
    assert cli("build", "--project", proj, "--clean").exit_code == 0
    assert (proj / "overview" / "index.html").is_file()


def test_init_ignores_the_overview():
    assert "/overview/" in GITIGNORE.splitlines()  # anchored: templates/overview/ is no output


def test_the_overview_reuses_the_status_cache(proj, cli):
    from reportgen.agency import collect_summaries
    from reportgen.build import build_date

    assert cli("overview", "--project", proj).exit_code == 0
    assert collect_summaries(proj, None, build_date()).loaded == 0


# --- in a browser ---------------------------------------------------------------------------------


def rows_text(page) -> list[str]:
    return [t.strip() for t in page.locator("#status-table tbody tr:visible th a").all_inner_texts()]


def two_aes(root: Path) -> None:
    """acme-corp and berlin-bikes share an AE, so the filter has something to do."""
    text = (root / "clients.yaml").read_text()
    (root / "clients.yaml").write_text(text.replace("name: AE qzberlinqz", "name: AE qzacmeqz"))


def test_sort_and_filter_in_a_browser(proj, cli, browser):
    two_aes(proj)
    assert cli("overview", "--project", proj).exit_code == 0
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((proj / "overview" / "index.html").as_uri())
    page.wait_for_selector("#status-table[data-ready]")
    page.click("button[data-sort='1']")  # the client column: A to Z
    assert rows_text(page) == ["Client qzacmeqz", "Client qzberlinqz", "Client qzsaigonqz"]
    assert page.get_attribute("#status-table thead th:nth-child(2)", "aria-sort") == "ascending"
    page.click("button[data-sort='1']")  # Z to A
    assert rows_text(page) == ["Client qzsaigonqz", "Client qzberlinqz", "Client qzacmeqz"]
    page.select_option("#ae-filter", "AE qzacmeqz")
    assert rows_text(page) == ["Client qzberlinqz", "Client qzacmeqz"]
    assert page.inner_text("#shown-count") == "2 clients shown"
    page.select_option("#ae-filter", "")
    assert len(rows_text(page)) == 3
    page.click("button[data-sort='9']")  # anomalies: a numeric column, largest first
    counts = [int(t) for t in page.locator("#status-table tbody tr td:last-child").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    assert errors == []
    context.close()


def test_a_sealed_overview_opens_with_its_password_in_a_browser(proj, cli, browser):
    seal(proj)
    assert cli("overview", "--project", proj, env={"OVERVIEW_PASSWORD": PASSWORD}).exit_code == 0
    context = browser.new_context()
    page = context.new_page()
    page.goto((proj / "overview" / "index.html").as_uri())
    page.wait_for_selector("#unlock:not([hidden])")
    page.fill("#password", PASSWORD)
    page.click("#unlock button[type=submit]")
    page.wait_for_selector("#status-table[data-ready]", timeout=30_000)  # overview.js ran again
    page.click("button[data-sort='1']")
    assert rows_text(page) == ["Client qzacmeqz", "Client qzberlinqz", "Client qzsaigonqz"]
    context.close()


def test_an_unsealed_overview_warns_about_protected_clients(proj, cli):
    text = (proj / "clients.yaml").read_text()
    (proj / "clients.yaml").write_text(
        text.replace("- id: saigon-foods\n", "- id: saigon-foods\n  access: {password_env: SAIGON_PW}\n", 1)
    )
    result = cli("overview", "--project", proj)
    assert result.exit_code == 0, result.output
    assert "not sealed and shows 1 protected client" in result.stderr
    seal(proj)
    sealed = cli("overview", "--project", proj, env={"OVERVIEW_PASSWORD": PASSWORD})
    assert sealed.exit_code == 0 and "protected client" not in sealed.stderr
