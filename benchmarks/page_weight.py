"""What a monthly report weighs and how soon it shows, in Chromium over HTTP.

    python benchmarks/page_weight.py              # 7 runs of each case (medians)
    python benchmarks/page_weight.py --runs 3 --report acme-corp/2026-10

Copies the repo's demo project (clients.yaml, data/, content/, assets/) into a
temporary folder, builds it, serves the site with Python's http.server in a
thread (file:// reports no transfer sizes) and opens one monthly report in
Debian's headless chromium driven by Playwright, each run in a fresh browser
context (a cold cache):

- bytes transferred for the report, by resource (Resource Timing transferSize:
  body and headers as served, uncompressed: http.server does not gzip; the
  gzip column is what a host that compresses would send for the body);
- time to text: first contentful paint (performance 'paint' entries);
- time to first chart: from navigation start until the first chart's box gets
  data-drawn (charts draw as they come into view: the first one in view);

with no throttling and at 4x CPU slowdown (CDP Emulation.setCPUThrottlingRate),
for the full plotly.js of the plotly package and, when
tests/js/node_modules/plotly.js-basic-dist-min exists (`npm ci --prefix tests/js`)
and the project accepts `agency.plotly_js`, for the basic bundle; then the
ratios basic / full. Medians of --runs. Numbers depend on the machine: quote
them from a quiet one.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("clients.yaml", "data", "content", "assets")
BASIC_BUNDLE = REPO / "tests" / "js" / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RATES = (1, 4)

# Installed before the page's own scripts: notes when the first chart box gets data-drawn
# (and when the first plotly drawing appears), in ms since navigation start.
WATCH_FIRST_CHART = """
(() => {
  const seen = {};
  const look = () => {
    if (seen.svg === undefined && document.querySelector('svg.main-svg')) { seen.svg = performance.now(); }
    if (seen.drawn === undefined && document.querySelector('[data-drawn="true"]')) {
      seen.drawn = performance.now();
    }
    if (seen.drawn !== undefined && seen.svg !== undefined) { observer.disconnect(); }
  };
  const observer = new MutationObserver(look);
  observer.observe(document, {subtree: true, childList: true, attributes: true,
                              attributeFilter: ['data-drawn', 'class']});
  window.__reportgenFirstChart = seen;
})();
"""


@dataclass
class Run:
    fcp: float | None
    first_chart: float | None
    bytes_by_resource: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.bytes_by_resource.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each case (median)")
    parser.add_argument(
        "--report", default="", help="CLIENT/YYYY-MM (default: the first client's newest complete month)"
    )
    parser.add_argument("--width", type=int, default=1280, help="viewport width (height 900)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("playwright is missing: pip install -e '.[pdf]'")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1795392000")  # the demo's "today": 2026-11-23

    with tempfile.TemporaryDirectory(prefix="reportgen-weight-") as temporary:
        sites = {"full": build_demo(Path(temporary) / "full", bundle=None)}
        if BASIC_BUNDLE.exists():
            basic = build_demo(Path(temporary) / "basic", bundle=BASIC_BUNDLE)
            if basic is not None:
                sites["basic"] = basic
        else:
            print(
                f"(no {BASIC_BUNDLE.relative_to(REPO)}: `npm ci --prefix tests/js` "
                "to measure the basic bundle too)\n"
            )
        report = args.report or default_report(sites["full"])
        results: dict[tuple[str, int], list[Run]] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                with contextlib.ExitStack() as stack:
                    urls = {
                        name: f"{stack.enter_context(serve(site))}/{report}/index.html"
                        for name, site in sites.items()
                    }
                    # Interleaved (full, basic, full, basic, …) so that a noisy machine's
                    # slow spell weighs on both bundles alike, not on one of them.
                    for _ in range(args.runs):
                        for rate in RATES:
                            for name, url in urls.items():
                                results.setdefault((name, rate), []).append(
                                    measure(browser, url, rate, args.width)
                                )
            finally:
                browser.close()
        print_results(report, sites, results, args)


# --- the demo, built ---------------------------------------------------------------------


def build_demo(folder: Path, bundle: Path | None) -> Path | None:
    """The repo's demo project copied into `folder` and built; its site folder."""
    folder.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, folder / part)
        elif source.exists():
            shutil.copy2(source, folder / part)
    if bundle is not None:
        shutil.copy2(bundle, folder / "assets" / bundle.name)
        clients = folder / "clients.yaml"
        text = clients.read_text(encoding="utf-8")
        if "\n  plotly_js:" not in text:
            text = text.replace("\nagency:\n", f"\nagency:\n  plotly_js: assets/{bundle.name}\n", 1)
        clients.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "reportgen.cli", "build", "--project", str(folder)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        if bundle is None:
            sys.exit("the demo does not build:\n" + "\n".join(message))
        print(
            f"(the basic bundle is left out: the build with agency.plotly_js failed: "
            f"{message[-1] if message else result.returncode})\n"
        )
        return None
    return folder / "site"


def default_report(site: Path) -> str:
    """The first client's newest complete month: the one before its newest."""
    clients = sorted(
        p
        for p in site.iterdir()
        if p.is_dir()
        and (p / "index.html").exists()
        and any(child.name[:4].isdigit() for child in p.iterdir())
    )
    first = clients[0]
    months = sorted(p.name for p in first.iterdir() if p.is_dir() and p.name[:4].isdigit())
    return f"{first.name}/{months[-2] if len(months) > 1 else months[-1]}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class serve:
    """The site over HTTP on a free localhost port, in a thread, for a `with` block."""

    def __init__(self, site: Path):
        handler = partial(_Quiet, directory=str(site))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


# --- one run ---------------------------------------------------------------------------


def measure(browser, url: str, rate: int, width: int) -> Run:
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": width, "height": 900})  # a cold cache
    try:
        page = context.new_page()
        page.add_init_script(WATCH_FIRST_CHART)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.goto(url, wait_until="load", timeout=120_000)
        # A selector, not wait_for_function: the page's CSP forbids eval. No chart drawn
        # in time is a missing time in the table, not a crash.
        with contextlib.suppress(PlaywrightError):
            page.wait_for_selector('[data-drawn="true"]', state="attached", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        seen = page.evaluate("window.__reportgenFirstChart || {}")
        fcp = page.evaluate("""() => {
            const entry = performance.getEntriesByType('paint')
              .find(e => e.name === 'first-contentful-paint');
            return entry ? entry.startTime : null;
        }""")
        entries = page.evaluate("""() => performance.getEntriesByType('navigation')
            .concat(performance.getEntriesByType('resource'))
            .map(e => [e.name, e.transferSize])""")
        sizes: dict[str, int] = {}
        for name, size in entries:
            path = urlsplit(name).path or name
            sizes[path] = sizes.get(path, 0) + int(size)
        return Run(fcp=fcp, first_chart=seen.get("drawn"), bytes_by_resource=sizes)
    finally:
        context.close()


# --- the table ---------------------------------------------------------------------------


def median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def size(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1e6:.2f} MB" if value >= 1e6 else f"{value / 1e3:.1f} kB"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b else f"{a / b:.2f}"


def gzip_size(site: Path, path: str) -> int | None:
    file = site / path.lstrip("/")
    if file.is_dir():
        file = file / "index.html"
    return len(gzip.compress(file.read_bytes(), 6)) if file.is_file() else None


def print_results(
    report: str, sites: dict[str, Path], results: dict[tuple[str, int], list[Run]], args
) -> None:
    print(
        f"Report {report}, {args.width}x900, medians of {args.runs} runs, "
        f"{platform.machine()} {os.cpu_count()} CPUs, chromium over http.server (no gzip)\n"
    )
    for name, site in sites.items():
        runs = results[name, 1]
        print(f"{name} plotly.js: bytes by resource (first run)")
        resources = sorted(runs[0].bytes_by_resource.items(), key=lambda item: -item[1])
        width = max(len(path) for path, _ in resources)
        for path, transferred in resources:
            print(f"  {path:<{width}}  {size(transferred):>9}  gzip {size(gzip_size(site, path)):>9}")
        print(f"  {'total':<{width}}  {size(runs[0].total):>9}\n")
    header = f"{'plotly.js':<9} {'CPU':>4} {'bytes':>9} {'text (FCP)':>11} {'first chart':>12}"
    print(header)
    print("-" * len(header))
    table: dict[tuple[str, int], tuple] = {}
    for (name, rate), runs in results.items():
        row = (
            median([r.total for r in runs]),
            median([r.fcp for r in runs]),
            median([r.first_chart for r in runs]),
        )
        table[name, rate] = row
        print(f"{name:<9} {f'{rate}x':>4} {size(row[0]):>9} {ms(row[1]):>11} {ms(row[2]):>12}")
    if "basic" in sites:
        print("\nbasic / full")
        for rate in RATES:
            basic, full = table["basic", rate], table["full", rate]
            print(
                f"  {rate}x CPU: bytes {ratio(basic[0], full[0])}, text {ratio(basic[1], full[1])}, "
                f"first chart {ratio(basic[2], full[2])}"
            )


if __name__ == "__main__":
    main()
