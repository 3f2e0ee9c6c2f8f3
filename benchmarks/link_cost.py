"""What carrying a page's files costs: link_into of this checkout against a previous revision's.

A monthly run of the L agency carries ~50,000 files from the published site into the staging
folder (hard links); a one-note edit's whole-site path does the same. This times only that
step, on a generated portal tree, for both revisions in the same run, alternating:

    python benchmarks/link_cost.py --baseline 6c4d5d6 --clients 100 --rounds 5

"fresh": an empty staging folder (the first build after a cold one); "back buffer": a staging
folder that already holds the same files (the double buffer's steady state).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from reportgen import stagedfiles  # noqa: E402  (this checkout, not an installed one)


def baseline_link_into(revision: str):
    """link_into as `revision` had it (output.py then), loaded beside this checkout's package."""
    source = subprocess.run(
        ["git", "-C", str(HERE.parent), "show", f"{revision}:reportgen/output.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_output.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("reportgen.baseline_output", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.link_into


def published_tree(root: Path, clients: int, months: int) -> list[str]:
    files = []
    for client in range(clients):
        for month in range(months):
            folder = root / f"client-{client:04d}" / f"2025-{month + 1:02d}"
            folder.mkdir(parents=True)
            for name, size in (("index.html", 60_000), ("metrics.csv", 2_000)):
                (folder / name).write_bytes(b"x" * size)
                files.append(f"client-{client:04d}/2025-{month + 1:02d}/{name}")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", default="6c4d5d6")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="link-cost-"))
    try:
        files = published_tree(work / "site", args.clients, args.months)
        sides = {args.baseline: baseline_link_into(args.baseline), "current": stagedfiles.link_into}
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for name in order:
                staging = work / f"staging-{name}"
                for case in ("fresh", "back buffer"):
                    if case == "fresh":
                        shutil.rmtree(staging, ignore_errors=True)
                        staging.mkdir()
                    stagedfiles._FOLDERS_MADE.clear()  # a new build process
                    started = time.perf_counter()
                    for relative in files:
                        sides[name](staging, work / "site", relative)
                    times.setdefault((name, case), []).append(time.perf_counter() - started)
        print(f"{len(files)} files, {args.rounds} rounds, medians:")
        for case in ("fresh", "back buffer"):
            base, current = (statistics.median(times[(n, case)]) for n in sides)
            ratio = f"current/{args.baseline} {current / base:.2f}x"
            print(f"  {case:12} {args.baseline} {base:.3f} s  current {current:.3f} s  {ratio}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
