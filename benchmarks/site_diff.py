"""Compare two built sites byte for byte and describe the first differences briefly.

Used by benchmarks/side_by_side.py (the speed work must change no output):

    python benchmarks/site_diff.py OLD_SITE NEW_SITE      # exit 1 when they differ
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

SHOWN = 5  # differing files described in detail
WINDOW = 70  # characters either side of the first differing byte


@dataclass
class SiteDiff:
    files: int = 0  # files in the old site
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # a short diff of the first few differing files

    @property
    def identical(self) -> bool:
        return not (self.only_old or self.only_new or self.differing)

    def summary(self) -> str:
        if self.identical:
            return f"identical: {self.files} files, byte for byte"
        return (
            f"DIFFERENT: {len(self.differing)} of {self.files} files differ, "
            f"{len(self.only_old)} only in the old site, {len(self.only_new)} only in the new one"
        )

    def lines(self) -> list[str]:
        out = [self.summary()]
        for label, paths in (
            ("only in the old site", self.only_old),
            ("only in the new site", self.only_new),
        ):
            if paths:
                out.append(f"  {label}: " + ", ".join(paths[:SHOWN]) + (" ..." if len(paths) > SHOWN else ""))
        out.extend(self.details)
        if len(self.differing) > SHOWN:
            out.append(
                f"  ... and {len(self.differing) - SHOWN} more differing files, e.g. "
                + ", ".join(self.differing[SHOWN : SHOWN + 5])
            )
        return out


def site_files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def compare_sites(old: Path, new: Path) -> SiteDiff:
    old_files, new_files = site_files(old), site_files(new)
    diff = SiteDiff(
        files=len(old_files), only_old=sorted(old_files - new_files), only_new=sorted(new_files - old_files)
    )
    for name in sorted(old_files & new_files):
        before, after = (old / name).read_bytes(), (new / name).read_bytes()
        if before != after:
            diff.differing.append(name)
            if len(diff.differing) <= SHOWN:
                diff.details.extend(describe_difference(name, before, after))
    return diff


def describe_difference(name: str, before: bytes, after: bytes) -> list[str]:
    """Where two files first differ: line number, and a window of text from each."""
    offset = next(
        (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
        min(len(before), len(after)),
    )
    line = before.count(b"\n", 0, offset) + 1
    start = max(0, offset - WINDOW)
    lines = [
        f"  {name}: {len(before):,} -> {len(after):,} bytes, first difference at byte {offset:,} "
        f"(line {line}); {differing_lines(before, after)}"
    ]
    lines.append(f"    - {snippet(before, start, offset)}")
    lines.append(f"    + {snippet(after, start, offset)}")
    return lines


def differing_lines(before: bytes, after: bytes) -> str:
    old, new = before.splitlines(), after.splitlines()
    changed = sum(a != b for a, b in zip(old, new, strict=False)) + abs(len(old) - len(new))
    return f"{changed} of {max(len(old), len(new))} lines differ"


def snippet(data: bytes, start: int, offset: int) -> str:
    text = data[start : offset + WINDOW].decode("utf-8", errors="replace")
    return ("…" if start else "") + text.replace("\n", "⏎")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    diff = compare_sites(Path(argv[0]), Path(argv[1]))
    print("\n".join(diff.lines()))
    return 0 if diff.identical else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
