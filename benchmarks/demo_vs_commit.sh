#!/usr/bin/env bash
# The repository's demo agency built by this checkout and by another commit, side by
# side in one run: cold build, no-op rebuild and `check`, median of 5 runs each, --jobs 2.
#
#   bash benchmarks/demo_vs_commit.sh 64e6340
#
# The other commit is checked out into a temporary git worktree and run with
# PYTHONPATH (its templates resolve from that tree); both read the same demo inputs.
set -euo pipefail
base=${1:?usage: demo_vs_commit.sh COMMIT}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -q "$work/base" "$base"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1796083200}  # 2026-12-01

median() {  # seconds, median of 5 runs of "$@"
  for _ in 1 2 3 4 5; do
    start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N)
    echo "$end - $start" | bc
  done | sort -n | sed -n 3p
}

for side in "$base:$work/base" "this checkout:$here"; do
  name=${side%%:*}; code=${side#*:}
  project="$work/project-${name// /-}"
  mkdir -p "$project"
  cp -r "$here/clients.yaml" "$here/content" "$here/data" "$here/assets" "$project/"
  cd "$project"
  cold=$(median bash -c "rm -rf site .reportgen-cache; PYTHONPATH='$code' python -m reportgen build --jobs 2")
  noop=$(median env PYTHONPATH="$code" python -m reportgen build --jobs 2)
  check=$(median env PYTHONPATH="$code" python -m reportgen check --jobs 2)
  printf '%-14s cold %6.2f s   no-op %6.2f s   check %6.2f s\n' "$name" "$cold" "$noop" "$check"
done
echo "machine: $(uname -m), $(nproc) CPUs, $(python --version 2>&1), load $(cut -d' ' -f1 /proc/loadavg)"
