"""What a report's PDF costs, against rendering the report's page.

    python benchmarks/pdf_cost.py              # 5 reports of the demo agency
    python benchmarks/pdf_cost.py --reports 9

Builds the demo agency (`reportgen init --demo`) into a temporary folder,
then, for the newest N monthly reports of its first client: the time to
render the report's files (HTML page, metrics.csv, report.json) in process,
and the time to print its PDF the way `reportgen build --pdf` does (fresh
browser context, print media, charts drawn, page.pdf, metadata), with one
browser launched beforehand (its start-up is shown apart). Medians.
Needs Debian's chromium and the `pdf` extra.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from reportgen.build import BuildOptions, load_client
from reportgen.config import read_project_config
from reportgen.pdf import Printer, check_available, creation_time, finish_pdf, paper_format, relative_links
from reportgen.site import SiteRenderer, collect_assets, report_clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--html-runs", type=int, default=5, help="renders of each page (median)")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1795392000")  # the demo's "today": 2026-11-23
    browser_path = check_available()
    with tempfile.TemporaryDirectory(prefix="reportgen-pdf-bench-") as temporary:
        project = Path(temporary) / "demo"
        subprocess.run(
            [sys.executable, "-m", "reportgen.cli", "init", str(project), "--demo"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", "reportgen.cli", "build", "--project", str(project)],
            check=True,
            capture_output=True,
        )
        config, _ = read_project_config(project)
        client = config.clients[0]
        options = BuildOptions(project=project, out=project / "site", preview=True)
        plan, _ = load_client(project, client, options)
        renderer = SiteRenderer(config, collect_assets(project, config))
        months = plan.months[-args.reports :]

        html: list[float] = []
        for month in months:
            runs = []
            for _ in range(args.html_runs):
                started = time.perf_counter()
                renderer.report_files(replace(plan, today=report_clock(month, plan.today)), month, None)
                runs.append(time.perf_counter() - started)
            html.append(statistics.median(runs))

        started = time.perf_counter()
        printer = Printer(browser_path)
        launch = time.perf_counter() - started
        pdf: list[float] = []
        pages: list[int] = []
        sizes: list[int] = []
        try:
            for month in months:
                page = f"{client.slug}/{month}/index.html"
                started = time.perf_counter()
                data = printer.print(project / "site" / page, paper_format(client.locale), page)
                data = finish_pdf(
                    relative_links(data, project / "site", page), config.agency.name, creation_time()
                )
                pdf.append(time.perf_counter() - started)
                pages.append(data.count(b"/Type /Page\n"))
                sizes.append(len(data))
        finally:
            printer.close()

    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f}"
    )
    print(f"reports: {client.id} {months[0]}..{months[-1]} ({len(months)})")
    print(f"HTML page render (median): {statistics.median(html) * 1000:.1f} ms")
    print(
        f"PDF print (median):        {statistics.median(pdf):.2f} s "
        f"(min {min(pdf):.2f}, max {max(pdf):.2f}); browser start {launch:.2f} s"
    )
    print(f"ratio PDF / HTML:          {statistics.median(pdf) / statistics.median(html):.0f}x")
    print(
        f"PDF size (median):         {statistics.median(sizes) // 1024} KB, "
        f"{statistics.median(pages):.0f} pages"
    )


if __name__ == "__main__":
    main()
