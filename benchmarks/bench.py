"""reportgen benchmark: synthetic agencies S, M, L; wall time and peak memory.

    python benchmarks/bench.py                  # S and M, 3 runs each
    python benchmarks/bench.py --sizes S,M,L --runs 3
    python benchmarks/bench.py --mode agency --sizes M   # `status` and `overview`

Agencies are generated (deterministically) into benchmarks/out/<size>/ once
and reused. Each scenario runs `reportgen build` in a fresh process and
records wall time and peak RSS (the whole process tree, sampled from /proc,
and the largest single process from the kernel); the table shows medians.
The same run times a naive baseline on S — plotly.graph_objects figures and
`to_html`, one process — and prints reportgen's speed-up over it.

Scenarios: cold full build; no-op rebuild; one note edited; one client's
CSV changed; the monthly run (one new month of data and notes for every
client, built on the 5th of the next month); cold with --jobs 1 vs --jobs 2.

`--mode agency` times the agency's own view instead: `reportgen status` with
no cache, `status` after a build (the warm cache the build leaves), `status`
again, and `reportgen overview` cold (no cache at all) and warm.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SIZES = {"S": (20, 12), "M": (100, 24), "L": (500, 36)}
END = dt.date(2026, 10, 31)  # the agencies hold complete months up to October 2026
TODAY = dt.date(2026, 11, 5)  # built on the 5th, as a scheduled CI would
NEXT_TODAY = dt.date(2026, 12, 5)


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()))


# --- measuring ----------------------------------------------------------------------------


def tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as handle:
                pages = int(handle.read().split()[1])
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run(command: list[str], env: dict[str, str]) -> dict:
    """Wall seconds, peak tree RSS (MB) and largest-process RSS (MB) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()}")
    return {
        "seconds": seconds,
        "tree_mb": peak[0] / 1024,
        "process_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,  # the process and the workers it waited for
        "stdout": stdout.decode(),
    }


def reportgen(root: Path, *args: str, today: dt.date = TODAY) -> dict:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch(today)}
    env.pop("CI", None)
    return run([sys.executable, "-m", "reportgen", "build", "--project", str(root), "--json", *args], env)


# --- agencies and edits -----------------------------------------------------------------------


def agency(size: str) -> Path:
    root = OUT / size
    if not (root / "clients.yaml").is_file():
        sys.path.insert(0, str(HERE.parent / "tests"))  # the generator lives beside the tests
        from synthetic import write_synthetic_agency

        clients, months = SIZES[size]
        print(f"generating {size}: {clients} clients x {months} months ...", file=sys.stderr)
        write_synthetic_agency(root, clients=clients, months=months, end=END, seed=1)
    return root


def reset(root: Path) -> None:
    shutil.rmtree(root / "site", ignore_errors=True)
    shutil.rmtree(root / ".reportgen-cache", ignore_errors=True)
    shutil.rmtree(root / "overview", ignore_errors=True)


def edit_one_note(root: Path, step: int) -> None:
    note = sorted((root / "content").glob("*/*.md"))[1]
    with note.open("a", encoding="utf-8") as handle:
        handle.write(f"\nBenchmark edit {step}.\n")


def edit_one_csv(root: Path, step: int) -> None:
    path = sorted((root / "data").glob("*/*.csv"))[3]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].rstrip("\n").split(",")
    cells[3] = str(int(cells[3]) + 1 + step)
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


NEW_MONTH = "2026-11"


def add_a_month(root: Path) -> None:
    """November's data and note for every client: October's, a month later."""
    days = calendar.monthrange(2026, 11)[1]
    for folder in sorted((root / "data").iterdir()):
        october = folder / "2026-10.csv"
        if not october.is_file():
            continue
        out = []
        for index, line in enumerate(october.read_text(encoding="utf-8").splitlines()):
            if index and int(line[8:10]) > days:
                continue
            out.append(line if index == 0 else f"2026-11{line[7:]}")
        (folder / f"{NEW_MONTH}.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    for folder in sorted((root / "content").iterdir()):
        october = folder / "2026-10.md"
        if october.is_file():
            text = october.read_text(encoding="utf-8").replace("2026-10-", "2026-11-")
            (folder / f"{NEW_MONTH}.md").write_text(text, encoding="utf-8")


def remove_the_month(root: Path) -> None:
    for path in list(root.glob(f"data/*/{NEW_MONTH}.csv")) + list(root.glob(f"content/*/{NEW_MONTH}.md")):
        path.unlink()


# --- the naive baseline -------------------------------------------------------------------------


def naive_baseline(root: Path) -> float:
    """What most teams write first: graph_objects + to_html per chart, one process."""
    import csv
    from collections import defaultdict

    import plotly.graph_objects as go

    started = time.perf_counter()
    out = HERE / "out" / "naive-site"
    shutil.rmtree(out, ignore_errors=True)
    for folder in sorted((root / "data").iterdir()):
        for path in sorted(folder.glob("*.csv")):
            days: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
            channels: dict[str, float] = defaultdict(float)
            with path.open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    for metric in ("impressions", "clicks", "spend", "conversions"):
                        days[row["date"]][metric] += float(row[metric] or 0)
                    channels[row["channel"]] += float(row["spend"] or 0)
            dates = sorted(days)
            figures = [
                go.Figure(go.Scatter(x=dates, y=[days[d][m] for d in dates], name=m))
                for m in ("clicks", "conversions", "spend")
            ]
            running, cumulative = 0.0, []
            for day in dates:
                running += days[day]["spend"]
                cumulative.append(running)
            figures.append(go.Figure(go.Scatter(x=dates, y=cumulative, fill="tozeroy")))
            figures.append(go.Figure(go.Pie(labels=list(channels), values=list(channels.values()))))
            html = "".join(f.to_html(include_plotlyjs=False, full_html=False) for f in figures)
            target = out / folder.name / path.stem / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"<!doctype html><html><body>{html}</body></html>", encoding="utf-8")
    return time.perf_counter() - started


# --- scenarios --------------------------------------------------------------------------------


def scenarios(size: str, runs: int, jobs: int) -> dict[str, list[dict]]:
    root = agency(size)
    remove_the_month(root)
    results: dict[str, list[dict]] = {name: [] for name in ("cold", "noop", "note", "csv", "monthly")}
    for step in range(runs):
        reset(root)
        results["cold"].append(reportgen(root, "--jobs", str(jobs)))
        results["noop"].append(reportgen(root, "--jobs", str(jobs)))
        edit_one_note(root, step)
        results["note"].append(reportgen(root, "--jobs", str(jobs)))
        edit_one_csv(root, step)
        results["csv"].append(reportgen(root, "--jobs", str(jobs)))
        add_a_month(root)
        results["monthly"].append(reportgen(root, "--jobs", str(jobs), today=NEXT_TODAY))
        remove_the_month(root)
    reset(root)
    return results


def jobs_scaling(size: str, runs: int) -> dict[str, list[dict]]:
    root = agency(size)
    remove_the_month(root)
    results: dict[str, list[dict]] = {"jobs1": [], "jobs2": []}
    for _ in range(runs):
        for jobs in (1, 2):
            reset(root)
            results[f"jobs{jobs}"].append(reportgen(root, "--jobs", str(jobs)))
    largest = max((p.stat().st_size for p in (root / "site").glob("*/*/index.html")), default=0)
    results["page_kb"] = [{"seconds": largest / 1024, "tree_mb": 0, "process_mb": 0}]
    reset(root)
    return results


def command(root: Path, *args: str) -> dict:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch(TODAY)}
    env.pop("CI", None)
    return run([sys.executable, "-m", "reportgen", *args, "--project", str(root)], env)


AGENCY_SCENARIOS = {
    "status_cold": "status, no cache",
    "status_after_build": "status after a build (warm)",
    "status_warm": "status again (warm)",
    "overview_cold": "overview, cold (no cache)",
    "overview_warm": "overview, warm cache",
}


def agency_scenarios(size: str, runs: int) -> dict[str, list[dict]]:
    root = agency(size)
    remove_the_month(root)
    results: dict[str, list[dict]] = {name: [] for name in AGENCY_SCENARIOS}
    for _ in range(runs):
        reset(root)
        results["status_cold"].append(command(root, "status", "--json"))
        reset(root)
        reportgen(root)
        results["status_after_build"].append(command(root, "status", "--json"))
        results["status_warm"].append(command(root, "status", "--json"))
        reset(root)
        results["overview_cold"].append(command(root, "overview"))
        results["overview_warm"].append(command(root, "overview"))
    reset(root)
    return results


def print_agency_table(report: dict) -> None:
    print(f"\nMachine: {report['machine']}; medians of {report['runs']} runs.\n")
    print("| size | scenario | wall s | CPU s | peak RSS, all processes (MB) |")
    print("|---|---|---:|---:|---:|")
    for size, results in report["sizes"].items():
        for key, label in AGENCY_SCENARIOS.items():
            rows = results[key]
            print(
                f"| {size} | {label} | {median(rows, 'seconds'):.2f} | {median(rows, 'cpu_seconds'):.2f} | "
                f"{median(rows, 'tree_mb'):.0f} |"
            )


def median(values: list[dict], key: str) -> float:
    return statistics.median(v[key] for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="S,M", help="comma-separated: S, M, L")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--mode",
        choices=("build", "agency"),
        default="build",
        help="build: the build scenarios; agency: `status` and `overview`",
    )
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",")]
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "runs": args.runs,
        "sizes": {},
    }
    if args.mode == "agency":
        for size in sizes:
            report["sizes"][size] = agency_scenarios(size, args.runs)
        print_agency_table(report)
        return 0
    for size in sizes:
        report["sizes"][size] = scenarios(size, args.runs, args.jobs)
        if size in ("M", "S"):
            report["sizes"][size].update(jobs_scaling(size, args.runs))
    if "S" in sizes:
        baseline = [naive_baseline(agency("S")) for _ in range(max(1, args.runs // 2))]
        report["baseline_S_seconds"] = statistics.median(baseline)
    print_table(report)
    (OUT / "results.json").write_text(
        json.dumps(
            {
                **report,
                "sizes": {
                    s: {
                        k: [{kk: vv for kk, vv in r.items() if kk != "stdout"} for r in v]
                        for k, v in d.items()
                    }
                    for s, d in report["sizes"].items()
                },
            },
            indent=1,
        )
    )
    return 0


def print_table(report: dict) -> None:
    names = {
        "cold": "cold full build",
        "noop": "no-op rebuild",
        "note": "one note edited",
        "csv": "one client's CSV changed",
        "monthly": "monthly run (new month, all clients)",
        "jobs1": "cold, --jobs 1",
        "jobs2": "cold, --jobs 2",
    }
    print(f"\nMachine: {report['machine']}; medians of {report['runs']} runs.\n")
    print(
        "| size | scenario | wall s | peak RSS, all processes (MB) | largest process (MB) | pages rendered |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for size, results in report["sizes"].items():
        for key, label in names.items():
            if key not in results:
                continue
            rows = results[key]
            rendered = statistics.median(json.loads(r["stdout"])["pages_written"] for r in rows)
            print(
                f"| {size} | {label} | {median(rows, 'seconds'):.2f} | {median(rows, 'tree_mb'):.0f} | "
                f"{median(rows, 'process_mb'):.0f} | {rendered:.0f} |"
            )
        if "jobs1" in results:
            ratio = median(results["jobs1"], "seconds") / median(results["jobs2"], "seconds")
            print(f"| {size} | speed-up of --jobs 2 over --jobs 1 | {ratio:.2f}x | | | |")
            page_kb = results["page_kb"][0]["seconds"]
            print(f"| {size} | largest monthly report page | {page_kb:.0f} KB | | | |")
    if "baseline_S_seconds" in report and "S" in report["sizes"]:
        ours = median(report["sizes"]["S"]["cold"], "seconds")
        print(
            f"\nNaive baseline on S (graph_objects + to_html, one process): "
            f"{report['baseline_S_seconds']:.1f} s; reportgen cold: {ours:.2f} s "
            f"→ {report['baseline_S_seconds'] / ours:.1f}x faster."
        )


if __name__ == "__main__":
    sys.exit(main())
