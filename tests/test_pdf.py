"""`reportgen build --pdf` and `reportgen pdf`: a PDF of every monthly report (issue 11).

The PDFs are printed by Debian's Chromium through Playwright; the tests that
print are marked `browser` (skipped when Chromium or Playwright is absent,
except in CI). The rest check the error when the browser is missing, the
metadata writer and the paper choice without a browser.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CHROMIUM, _unavailable, run_cli
from helpers import draw_all_charts, make_project
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.audit import audit_site, is_sealed_envelope
from reportgen.config import read_project_config
from reportgen.pdf import finish_pdf, paper_format, relative_links
from reportgen.protect import open_sealed

pypdf = pytest.importorskip("pypdf")

PASSWORD = "a long passphrase for saigon"
ENV = {"SAIGON_PORTAL_PASSWORD": PASSWORD}
SINCE = "2026-10"  # two reports per client (October, and November so far): a quick print
PDF_RE = re.compile(r'href="report\.pdf"')


def small_project(root: Path) -> Path:
    """The generated project, each client from SINCE, saigon-foods protected."""
    make_project(root)
    config = root / "clients.yaml"
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for client in document["clients"]:
        client["since"] = SINCE
        if client["id"] == "saigon-foods":
            client["access"] = {"password_env": "SAIGON_PORTAL_PASSWORD"}
    config.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def build(root: Path, *args: str):
    return run_cli("build", "--project", root, "--pdf", "--jobs", "2", "--json", *args, env=ENV)


def reader(data: bytes):
    return pypdf.PdfReader(io.BytesIO(data))


@pytest.fixture(scope="session")
def need_chromium():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PDF tests cannot run in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pdf_project(tmp_path_factory, need_chromium) -> Path:
    root = small_project(tmp_path_factory.mktemp("pdf") / "proj")
    result = build(root)
    assert result.exit_code == 0, result.output + result.stderr
    summary = json.loads(result.stdout)
    assert summary["pdfs_written"] == 6, summary
    return root


# --- without a browser -------------------------------------------------------------------------


def test_missing_chromium_is_a_clear_error_and_nothing_is_built(tmp_path):
    root = small_project(tmp_path / "proj")
    result = run_cli(
        "build", "--project", root, "--pdf", env={**ENV, "REPORTGEN_CHROMIUM": str(tmp_path / "no-chromium")}
    )
    assert result.exit_code == 1
    assert "chromium" in result.output and "apt-get install chromium" in result.output
    assert "Traceback" not in result.output
    assert not (root / "site").exists()
    result = run_cli(
        "pdf",
        "acme-corp",
        "--month",
        "2026-10",
        "--project",
        root,
        env={"REPORTGEN_CHROMIUM": str(tmp_path / "no-chromium")},
    )
    assert result.exit_code == 1 and "Debian package `chromium`" in result.output
    assert "Traceback" not in result.output


def test_missing_playwright_names_the_python_package(tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("the Chromium check comes first")
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails
    root = small_project(tmp_path / "proj")
    result = run_cli("build", "--project", root, "--pdf", env=ENV)
    assert result.exit_code == 1
    assert "playwright" in result.output and "reportgen-portals[pdf]" in result.output
    assert not (root / "site").exists()


def test_without_pdf_no_pdf_link_and_no_pdf(tmp_path):
    root = small_project(tmp_path / "proj")
    result = run_cli("build", "--project", root, env=ENV)
    assert result.exit_code == 0, result.output
    page = (root / "site" / "acme-corp" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert not PDF_RE.search(page)
    assert not list((root / "site").rglob("*.pdf"))


@pytest.mark.parametrize(
    ("locale", "paper"),
    [
        ("en_US", "Letter"),
        ("en_CA", "Letter"),
        ("de_DE", "A4"),
        ("vi_VN", "A4"),
        ("en", "A4"),
        ("en-GB", "A4"),
    ],
)
def test_paper_by_country(locale, paper):
    assert paper_format(locale) == paper


def minimal_pdf(title: str = "T", link: str = "https://example.com/") -> bytes:
    """A one-page PDF shaped as Chromium writes them: Info first, a classic xref table."""
    objects = [
        f"<</Title ({title})\n/Producer (Skia/PDF m156)\n/CreationDate (D:20261201151651+00'00')\n"
        f"/ModDate (D:20261201151651+00'00')>>",
        "<</Type /Catalog /Pages 3 0 R /Lang (en-US)>>",
        "<</Type /Pages /Kids [4 0 R] /Count 1>>",
        "<</Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] /Annots [5 0 R]>>",
        f"<</Type /Annot /Subtype /Link /Rect [0 0 10 10] /A <</S /URI /URI ({link})>>>>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<</Size {len(objects) + 1}\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n{xref}\n%%EOF"
    ).encode()
    return out


@settings(max_examples=40, deadline=None)
@given(author=st.text(min_size=1, max_size=40), epoch=st.integers(0, 4_000_000_000))
def test_finish_pdf_adds_any_author_and_fixes_the_dates(author, epoch):
    """Any agency name (any script, parentheses, backslashes) reads back exactly;
    the dates are the given time; the original revision is kept byte for byte."""
    original = minimal_pdf()
    created = dt.datetime.fromtimestamp(epoch, dt.UTC)
    finished = finish_pdf(original, author, created)
    stamp = created.strftime("D:%Y%m%d%H%M%S")
    metadata = reader(finished).metadata
    assert metadata["/Author"] == author
    assert metadata["/Title"] == "T"
    assert metadata["/CreationDate"].startswith(stamp) and metadata["/ModDate"].startswith(stamp)
    assert len(reader(finished).pages) == 1
    assert b"20261201151651" not in finished
    assert finished[: len(original)] == finish_pdf(original, None, created)  # an appended revision
    assert finish_pdf(original, author, created) == finished  # deterministic


@settings(max_examples=30, deadline=None)
@given(
    depth=st.integers(0, 3),
    target=st.lists(st.sampled_from(["acme-corp", "2026-09", "a b", "x%20y"]), min_size=0, max_size=3),
    fragment=st.sampled_from(["", "#kpis", "#h%C3%A9"]),
)
def test_links_into_the_printed_folder_become_relative(tmp_path_factory, depth, target, fragment):
    """A link Chromium resolved to the staging folder points at the same file,
    relative to the PDF's folder; the file stays valid (same offsets)."""
    root = tmp_path_factory.mktemp("staging")
    page = "/".join([*["acme-corp", "2026-10", "sub", "deeper"][:depth], "index.html"])
    linked = "/".join([*target, "index.html"])
    data = minimal_pdf(link=f"{root.resolve().as_uri()}/{linked}{fragment}")
    rewritten = relative_links(data, root, page)
    assert len(rewritten) == len(data)
    uri = reader(rewritten).pages[0]["/Annots"][0].get_object()["/A"]["/URI"]
    folder = Path("/site", page).parent
    assert (folder / uri.split("#")[0]).resolve() == Path("/site", linked).resolve()
    assert uri.endswith(fragment) and "file:" not in uri
    outside = minimal_pdf(link="https://brightline.example/")
    assert relative_links(outside, root, page) == outside


def test_finish_pdf_leaves_an_unexpected_pdf_alone():
    data = b"%PDF-1.7\n% an xref stream, no classic trailer\n%%EOF"
    assert finish_pdf(data, "Agency", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == data


# --- printed by Chromium -----------------------------------------------------------------------


@pytest.mark.browser
def test_every_report_has_a_linked_pdf_with_text_and_metadata(pdf_project):
    site = pdf_project / "site"
    for month in ("2026-10", "2026-11"):
        page = (site / "acme-corp" / month / "index.html").read_text(encoding="utf-8")
        assert PDF_RE.search(page)
        data = (site / "acme-corp" / month / "report.pdf").read_bytes()
        assert data.startswith(b"%PDF-")
        document = reader(data)
        assert 1 <= len(document.pages) <= 12
        text = " ".join(p.extract_text() for p in document.pages)
        assert "qzacmeqz" in text and "Key results" in text
        assert "Campaign" in text  # the campaign table made it onto paper
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1).replace("&amp;", "&")
        assert document.metadata["/Title"] == title
        assert document.metadata["/Author"] == "Brightline Media"
        assert document.metadata["/CreationDate"].startswith("D:20261123000000")
        assert document.trailer["/Root"]["/Lang"] == "en-US"
        assert "/StructTreeRoot" in document.trailer["/Root"]  # tagged: readable by screen readers
        assert document.pages[0].mediabox.width == pytest.approx(612, abs=1)  # Letter in the US
    german = reader((site / "berlin-bikes" / "2026-10" / "report.pdf").read_bytes())
    assert german.trailer["/Root"]["/Lang"] == "de-DE"
    assert german.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4


@pytest.mark.browser
def test_a_protected_portals_pdf_is_sealed_and_the_audit_passes(pdf_project):
    site = pdf_project / "site"
    config, _ = read_project_config(pdf_project)
    assert audit_site(site, config, ["assets", "index.html", "_headers", "robots.txt"]) == []
    for month in ("2026-10", "2026-11"):
        sealed = (site / "saigon-foods" / month / "report.pdf").read_bytes()
        assert is_sealed_envelope(sealed)
        data = open_sealed(json.loads(sealed), PASSWORD)
        document = reader(data)
        text = " ".join(p.extract_text() for p in document.pages)
        assert "qzsaigonqz" in text  # the client's own words, only inside the envelope
        assert b"qzsaigonqz" not in sealed
        assert document.trailer["/Root"]["/Lang"] == "vi-VN"


@pytest.mark.browser
def test_only_stale_pdfs_are_printed_and_a_reprint_is_byte_identical(need_chromium, tmp_path):
    root = small_project(tmp_path / "proj")
    site = root / "site"
    result = build(root, "--client", "acme-corp")
    assert json.loads(result.stdout)["pdfs_written"] == 2
    pdfs = {p: p.read_bytes() for p in site.rglob("report.pdf")}
    result = build(root, "--client", "acme-corp")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pdfs_written"] == 0
    assert {p: p.read_bytes() for p in site.rglob("report.pdf")} == pdfs

    note = root / "content" / "acme-corp" / "2026-10.md"
    original = note.read_text(encoding="utf-8")
    note.write_text(original + "\nOne more sentence for the board.\n", encoding="utf-8")
    result = build(root, "--client", "acme-corp")
    assert json.loads(result.stdout)["pdfs_written"] == 1
    october = site / "acme-corp" / "2026-10" / "report.pdf"
    assert "One more sentence" in " ".join(p.extract_text() for p in reader(october.read_bytes()).pages)
    assert {p: p.read_bytes() for p in site.rglob("report.pdf") if p != october} == {
        p: d for p, d in pdfs.items() if p != october
    }

    note.write_text(original, encoding="utf-8")  # back as it was: printed again, same bytes
    result = build(root, "--client", "acme-corp")
    assert json.loads(result.stdout)["pdfs_written"] == 1
    assert october.read_bytes() == pdfs[october]


@pytest.mark.browser
def test_pdf_command_writes_one_report(pdf_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("pdf", "berlin-bikes", "--month", "2026-10", "--project", pdf_project)
    assert result.exit_code == 0, result.output
    written = tmp_path / "berlin-bikes-2026-10.pdf"
    document = reader(written.read_bytes())
    assert "qzberlinqz" in " ".join(p.extract_text() for p in document.pages)
    # A protected client's PDF from the command is for the agency: not sealed.
    target = tmp_path / "out" / "saigon.pdf"
    target.parent.mkdir()
    result = run_cli(
        "pdf", "saigon-foods", "--month", "2026-10", "-o", target, "--project", pdf_project, env=ENV
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")
    result = run_cli("pdf", "acme-corp", "--month", "2024-01", "--project", pdf_project)
    assert result.exit_code == 1 and "no report for 2024-01" in result.output
    assert "Traceback" not in result.output


@pytest.mark.browser
def test_the_sealed_pages_pdf_link_downloads_the_opened_pdf(pdf_project, browser):
    """Over http (WebCrypto needs a secure context; file:// cannot fetch), with the
    site's own header policy: the password opens the page, the link the PDF."""
    from test_protected_browser import Server

    server = Server(pdf_project / "site")
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{server.base}saigon-foods/2026-10/index.html")
        page.fill("#password", PASSWORD)
        page.click("#unlock button[type=submit]")
        draw_all_charts(page, 60_000)  # the opened page, every chart drawn
        with page.expect_download(timeout=60_000) as download:
            page.click('a[href="report.pdf"]')
        assert download.value.suggested_filename == "report.pdf"
        data = Path(download.value.path()).read_bytes()
        assert "qzsaigonqz" in " ".join(p.extract_text() for p in reader(data).pages)
    finally:
        context.close()
        server.close()


@pytest.mark.browser
def test_from_a_file_the_sealed_pdf_link_says_why_it_cannot_download(pdf_project, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((pdf_project / "site" / "saigon-foods" / "2026-10" / "index.html").as_uri())
        page.fill("#password", PASSWORD)
        page.click("#unlock button[type=submit]")
        draw_all_charts(page, 60_000)  # the opened page, every chart drawn
        page.click('a[href="report.pdf"]')
        status = page.wait_for_selector("[data-download-status]", timeout=30_000)
        assert "web address" in status.text_content() or "địa chỉ web" in status.text_content()
    finally:
        context.close()
