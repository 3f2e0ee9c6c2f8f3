"""A PDF of a monthly report: the page as its print stylesheet lays it out.

Printed by headless Chromium — Debian's `chromium` package, never a browser
that Playwright downloads — driven by Playwright's Python API (the optional
extra `reportgen-portals[pdf]`, imported only here and only when a PDF is
made). Each PDF is printed in a fresh browser context from the page as the
build staged it (file://), in print media, once every chart is drawn; its
text is selectable, and Chromium writes the title (from <title>), the
language (from <html lang>) and a tagged structure. `finish_pdf` adds the
author (the agency) and sets the creation dates from SOURCE_DATE_EPOCH, so
the same page printed by the same Chromium gives the same bytes.

A build (`reportgen build --pdf`) prints the reports it re-rendered, after
their pages are staged, split over `--jobs` processes with one browser each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import datetime as dt
import multiprocessing
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .errors import ReportgenError
from .output_kinds import MonthBuild, month_output
from .protect import Sealer

if TYPE_CHECKING:  # playwright is the optional extra `pdf`, imported only when a PDF is made
    from playwright.sync_api import ViewportSize

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
# --headless comes from Playwright's headless=True, and a fresh user-data-dir
# from its launch() (a new temporary profile every time).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
VIEWPORT: ViewportSize = {"width": 794, "height": 1123}  # an A4 sheet at 96 dpi: charts drawn at paper width
# Paper by the client's country (the print stylesheet may set its own with @page size).
LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "PR"}
PDF_NAME = "report.pdf"


class PdfError(ReportgenError):
    """A PDF cannot be made: no browser, or the page did not print."""


@month_output(PDF_NAME, sealed_later=True)
def pdf_placeholder(built: MonthBuild, made: Mapping[str, bytes]) -> dict[str, bytes]:
    """`build --pdf`'s report.pdf, as a placeholder: the build prints it from the staged page
    (print_jobs), a protected one from its unsealed text (given here), and seals the PDF."""
    if not built.pdf:
        return {}
    return {PDF_NAME: made["index.html"] if built.sealed else b""}


def chromium_path() -> Path:
    """The browser: $REPORTGEN_CHROMIUM, else Debian's /usr/bin/chromium."""
    chosen = os.environ.get("REPORTGEN_CHROMIUM")
    return Path(chosen) if chosen else CHROMIUM


def check_available() -> Path:
    """The Chromium to print with; a PdfError naming what to install when it is missing."""
    browser = chromium_path()
    if not (browser.is_file() and os.access(browser, os.X_OK)):
        # "/etc/passwd is missing" would send the reader looking for a file that is there
        state = "is not an executable file" if os.path.lexists(browser) else "is missing"
        raise PdfError(
            f"PDFs are printed by Chromium, and {browser} {state}: install the Debian package "
            "`chromium` (sudo apt-get install chromium), or set REPORTGEN_CHROMIUM to a Chromium "
            "or Chrome executable. reportgen never downloads a browser."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise PdfError(
            "PDFs need the Python package `playwright` (it drives Chromium): "
            'pip install "reportgen-portals[pdf]" (no `playwright install`: reportgen uses '
            f"{browser})"
        ) from None
    return browser


def paper_format(locale: str) -> str:
    territory = locale.replace("-", "_").split("_")[-1].upper() if "_" in locale or "-" in locale else ""
    return "Letter" if territory in LETTER_TERRITORIES else "A4"


def creation_time() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except (ValueError, OverflowError, OSError):
            pass
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# --- metadata ---------------------------------------------------------------------------------

_PDF_DATE = re.compile(rb"\(D:\d{14}[+\-Z][0-9']*\)")


def _pdf_text(value: str) -> bytes:
    """A PDF text string: UTF-16BE with a byte-order mark, as hex (any script, no escaping)."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def finish_pdf(data: bytes, author: str | None, created: dt.datetime) -> bytes:
    """Set the creation and modification dates, and add the author.

    Chromium's dates are rewritten in place (same length: every offset stays
    valid); the author goes into an incremental update (a new revision of the
    document information dictionary appended to the file, as the PDF standard
    allows), so nothing Chromium wrote is re-serialised. A PDF not shaped as
    expected keeps its bytes apart from the dates."""
    stamp = created.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S")
    data = _PDF_DATE.sub(
        lambda found: (
            b"("
            + (stamp + "+00'00'").encode().ljust(len(found.group(0)) - 2)[: len(found.group(0)) - 2]
            + b")"
        ),
        data,
    )
    if not author:
        return data
    trailer = data.rfind(b"trailer")
    startxref = data.rfind(b"startxref")
    info = re.search(rb"/Info (\d+) 0 R", data[trailer:]) if trailer >= 0 else None
    root = re.search(rb"/Root (\d+ \d+ R)", data[trailer:]) if trailer >= 0 else None
    size = re.search(rb"/Size (\d+)", data[trailer:]) if trailer >= 0 else None
    previous = re.match(rb"startxref\s+(\d+)", data[startxref:]) if startxref >= 0 else None
    if not (info and root and size and previous):
        return data
    number = int(info.group(1))
    body = re.search(rb"(?:^|\n)%d 0 obj\s*(<<.*?>>)\s*endobj" % number, data, re.S)
    if not body or b"/Author" in body.group(1):
        return data
    dictionary = body.group(1)[:-2] + b"\n/Author " + _pdf_text(author) + b">>"
    if not data.endswith(b"\n"):
        data += b"\n"
    offset = len(data)
    update = b"%d 0 obj\n%s\nendobj\n" % (number, dictionary)
    xref = len(data) + len(update)
    update += (
        b"xref\n%d 1\n%010d 00000 n \ntrailer\n<</Size %s\n/Root %s\n/Info %d 0 R\n/Prev %s>>\n"
        b"startxref\n%d\n%%%%EOF\n"
    ) % (number, offset, size.group(1), root.group(1), number, previous.group(1), xref)
    return data + update


_FILE_LINK = re.compile(rb"/URI \((file://[^()\\]*)\)")


def relative_links(data: bytes, root: Path, page: str) -> bytes:
    """Links to the site's own files as the page's relative links again.

    Chromium writes each link as the absolute URL it resolved to: for a page
    printed from a folder (file://), the path of the staging or temporary
    folder, which means nothing once the PDF is published. Each becomes
    relative to the PDF's folder (the page's), padded with spaces to the same
    length so every offset in the file stays valid; a link outside `root`
    stays as it is."""
    prefix = root.resolve().as_uri().encode() + b"/"
    folder = posixpath.dirname(page)

    def rewrite(found: re.Match[bytes]) -> bytes:
        uri: bytes = found.group(1)
        whole: bytes = found.group(0)
        if not uri.startswith(prefix):
            return whole
        target, hash_, fragment = uri[len(prefix) :].partition(b"#")
        relative = posixpath.relpath(target.decode("ascii", "replace"), folder or ".").encode()
        replacement = b"/URI (" + relative + hash_ + fragment + b")"
        if len(replacement) > len(whole):
            return whole
        return replacement.ljust(len(whole))

    return _FILE_LINK.sub(rewrite, data)


# --- printing ---------------------------------------------------------------------------------


class Printer:
    """One headless Chromium; `print` makes a PDF of one page in a fresh context."""

    def __init__(self, browser_path: Path):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(browser_path), args=ARGS, headless=True
            )
        except Exception as exc:
            self._playwright.stop()
            raise PdfError(f"{browser_path} did not start: {str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def print(self, page_file: Path, paper: str = "A4", shown: str | None = None) -> bytes:
        """The PDF of the page at `page_file`, printed as its print stylesheet lays it out."""
        from playwright.sync_api import Error as PlaywrightError

        shown = shown or str(page_file)
        # A fresh context per page: the tagged PDF's node ids then do not depend
        # on what this browser printed before (same page, same bytes).
        context = self._browser.new_context(viewport=VIEWPORT, java_script_enabled=True)
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.emulate_media(media="print")
            page.goto(page_file.resolve().as_uri(), wait_until="load", timeout=TIMEOUT_MS)
            # Selectors only: the page's CSP forbids the eval() that wait_for_function needs.
            page.wait_for_selector("html[data-charts]", state="attached", timeout=TIMEOUT_MS)
            undrawn = "[data-figure]:not([data-drawn])"
            for chart in page.locator(undrawn).all():  # charts that draw when scrolled into view
                chart.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
            page.wait_for_selector(undrawn, state="detached", timeout=TIMEOUT_MS)
            if page.get_attribute("html", "data-charts") == "failed":
                raise PdfError(
                    f"{shown}: a chart did not draw: "
                    f"{page.get_attribute('html', 'data-chart-errors') or '; '.join(errors)}"
                )
            return page.pdf(
                format=paper,
                print_background=True,
                prefer_css_page_size=True,
                tagged=True,
                outline=True,
                margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
            )
        except PlaywrightError as exc:
            raise PdfError(f"{shown}: Chromium could not print it: {str(exc).splitlines()[0]}") from None
        finally:
            context.close()


@contextmanager
def printer() -> Iterator[Printer]:
    instance = Printer(check_available())
    try:
        yield instance
    finally:
        instance.close()


# --- a build's PDFs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfJob:
    """One report to print: `target` (relative to the staging folder) is written
    beside the page `target`'s folder holds; a protected portal's page is
    printed from `html` (its unsealed text, in a private temporary folder) and
    the PDF sealed."""

    target: str  # "client/2026-10/report.pdf"
    author: str
    paper: str
    html: bytes | None = None  # a protected report's unsealed page
    sealer: Sealer | None = None

    @property
    def page(self) -> str:
        return self.target.rsplit("/", 1)[0] + "/index.html"


def print_jobs(staging: Path, jobs: list[PdfJob], processes: int = 1) -> list[float]:
    """Print every job into `staging`; the seconds each PDF took. One browser
    per process; a failure anywhere raises PdfError (the build is abandoned)."""
    if not jobs:
        return []
    check_available()
    groups = [jobs[i::processes] for i in range(min(processes, len(jobs)))]
    if len(groups) == 1:
        return run_isolated(_print_group, staging, groups[0])
    context = multiprocessing.get_context("spawn" if _in_asyncio_loop() else "fork")
    seconds: list[float] = []
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=len(groups), mp_context=context) as pool:
            for result in pool.map(_print_group, [staging] * len(groups), groups):
                seconds.extend(result)
    except concurrent.futures.process.BrokenProcessPool:
        raise PdfError("a process printing PDFs died (out of memory?); nothing was published") from None
    return seconds


def _print_group(staging: Path, jobs: list[PdfJob]) -> list[float]:
    from .stagedfiles import write_into

    created = creation_time()
    seconds = []
    private = None
    with printer() as browser:
        try:
            for job in jobs:
                started = time.perf_counter()
                if job.html is None:
                    source = staging / job.page
                else:  # the unsealed page, beside a link to the staged assets; never in the site
                    if private is None:
                        private = Path(tempfile.mkdtemp(prefix="reportgen-pdf-"))
                        (private / "assets").symlink_to(staging / "assets", target_is_directory=True)
                    source = private / job.page
                    source.parent.mkdir(parents=True, exist_ok=True)
                    source.write_bytes(job.html)
                try:
                    data = browser.print(source, job.paper, job.page)
                    folder = private if job.html is not None else staging
                    assert folder is not None, "set above for a page given as text"
                    data = relative_links(data, folder, job.page)
                    data = finish_pdf(data, job.author, created)
                finally:
                    if job.html is not None:
                        source.unlink(missing_ok=True)
                write_into(staging, job.target, job.sealer.seal_file(data) if job.sealer else data)
                seconds.append(time.perf_counter() - started)
        finally:
            if private is not None:
                shutil.rmtree(private, ignore_errors=True)
    return seconds


def _print_one(browser: Path, source: Path, paper: str, page: str) -> bytes:
    instance = Printer(browser)
    try:
        return instance.print(source, paper, page)
    finally:
        instance.close()


def _in_asyncio_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_isolated(function: Callable[..., T], *args: object) -> T:
    """`function(*args)`, in a fresh process when this thread already runs an
    asyncio loop: Playwright's sync API refuses to start inside one (a host
    program's, or a test runner's own browser session). A fresh (spawned)
    process has no loop and no state but its arguments."""
    if not _in_asyncio_loop():
        return function(*args)
    context = multiprocessing.get_context("spawn")
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(function, *args).result()
    except concurrent.futures.process.BrokenProcessPool:
        raise PdfError("the process printing PDFs died (out of memory?); nothing was published") from None


# --- `reportgen pdf CLIENT --month YYYY-MM` ---------------------------------------------------


def report_pdf(project: Path, client_id: str, month_text: str, drafts: bool = False) -> tuple[bytes, str]:
    """One monthly report as a PDF, printed from a page rendered in a private
    temporary folder (the site is not touched), and its default file name. A
    protected client's PDF is not sealed: it is for the agency to send."""
    from dataclasses import replace

    from .build import BuildOptions, as_of_month, build_date, select_clients
    from .clientload import load_client
    from .config import read_project_config
    from .errors import InputError, Problem
    from .images import publishable_image
    from .site import SiteRenderer, collect_assets, data_uri, report_clock

    browser = check_available()
    today = build_date()
    month = as_of_month(month_text, today)
    config, problems = read_project_config(project)
    if config is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    client = select_clients(config, (client_id,))[0]
    options = BuildOptions(
        project=project, out=project / "site", clients=(client_id,), drafts=drafts, today=today, preview=True
    )
    plan, problems = load_client(project, client, options)
    if plan is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    if month is None:
        month = plan.latest
    if month not in plan.months:
        have = ", ".join(str(m) for m in plan.months[-6:]) or "none"
        raise InputError(
            [
                Problem(
                    "clients.yaml",
                    client.line,
                    (
                        f"client '{client.id}' has no report for {month_text}"
                        f"{'' if drafts else ' (its note may be a draft: add --drafts)'}; "
                        f"latest reports: {have}"
                    ),
                )
            ]
        )
    assets = collect_assets(project, config)
    renderer = SiteRenderer(config, assets)
    logo = (
        data_uri(client.brand.logo.suffix, publishable_image(client.brand.logo, config.root))
        if client.brand.logo
        else None
    )
    seen = replace(plan, today=report_clock(month, plan.today))
    files = renderer.report_files(seen, month, logo)
    page = f"{client.slug}/{month}/index.html"
    private = Path(tempfile.mkdtemp(prefix="reportgen-pdf-"))
    try:
        for hashed, content in assets.files.values():
            (private / "assets").mkdir(exist_ok=True)
            (private / "assets" / hashed).write_bytes(content)
        source = private / page
        source.parent.mkdir(parents=True)
        source.write_bytes(files[page])
        data = relative_links(
            run_isolated(_print_one, browser, source, paper_format(client.locale), page), private, page
        )
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return finish_pdf(data, config.agency.name, creation_time()), f"{client.id}-{month}.pdf"
