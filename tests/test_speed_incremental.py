"""The no-op rebuild's fast checks answer exactly as the slow ones did (issue 15).

`cache.tree_as_written` walks a folder with `os.scandir` and plain strings instead
of `os.walk` and pathlib, and the whole-site check skips portals the plan has just
found as written (`checked`). On random trees — files written, edited in place,
replaced, removed, put there by hand, symlinks, extra folders — it answers as the
reference implementation below (the code before the speed work), and with
`checked` as without it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.cache import file_stamp, tree_as_written


def reference_is_written_file(site: Path, relative: str, stamps: dict[str, list[int]]) -> bool:
    expected = stamps.get(relative)
    return expected is not None and file_stamp(site / relative) == list(expected)


def reference_tree_as_written(site: Path, folder: str, stamps: dict[str, list[int]]) -> bool:
    """cache.tree_as_written as it was before the speed work (os.walk, pathlib)."""
    prefix = f"{folder}/" if folder else ""
    expected = [k for k in stamps if k.startswith(prefix)]
    folders = {folder} if folder else {""}
    for relative in expected:
        parts = relative.split("/")[:-1]
        folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    found = 0
    base = site / folder if folder else site
    if not expected:
        if not os.path.lexists(base):
            return True
        if not base.is_dir() or base.is_symlink():
            return False
        with os.scandir(base) as listing:  # (the same, with the listing closed)
            return not any(listing)
    if base.is_symlink() or not base.is_dir():
        return False
    for directory, subfolders, files in os.walk(base):
        here = Path(directory).relative_to(site).as_posix()
        here = "" if here == "." else here
        for name in subfolders:
            relative = f"{here}/{name}" if here else name
            if relative not in folders or os.path.islink(os.path.join(directory, name)):
                return False
        for name in files:
            relative = f"{here}/{name}" if here else name
            if not reference_is_written_file(site, relative, stamps):
                return False
            found += 1
    return found == len(expected)


NAMES = ["a", "b", "index.html", "2026-01", "report.json"]
PORTALS = ["p1", "p2", "p3"]

paths = st.builds(
    lambda top, rest: "/".join([top, *rest]),
    st.sampled_from([*PORTALS, "index.html", "assets"]),
    st.lists(st.sampled_from(NAMES), min_size=0, max_size=2),
)

# What happens to the written site before it is checked again.
edits = st.lists(
    st.tuples(
        st.sampled_from(["append", "replace", "remove", "add", "add_dir", "symlink", "touch", "none"]),
        st.integers(0, 50),
        st.sampled_from([*PORTALS, "x", "p1/a", "p2/2026-01"]),
    ),
    max_size=4,
)


def write_site(site: Path, files: list[str]) -> dict[str, list[int]]:
    """Write the files (a path that is a folder of another is skipped); their stamps."""
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    written = []
    for relative in sorted(set(files)):
        if any(other.startswith(relative + "/") for other in files) or any(
            relative.startswith(w + "/") for w in written
        ):
            continue
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(relative.encode())
        written.append(relative)
    stamps = {}
    for relative in written:
        stamp = file_stamp(site / relative)
        assert stamp is not None
        stamps[relative] = stamp
    return stamps


def apply(site: Path, stamps: dict[str, list[int]], changes: list[tuple[str, int, str]]) -> None:
    names = sorted(stamps)
    for kind, index, where in changes:
        target = site / names[index % len(names)] if names else site / "nothing"
        try:
            if kind == "append" and target.is_file():
                with target.open("ab") as handle:
                    handle.write(b"x")
            elif kind == "replace" and target.is_file():
                target.unlink()
                target.write_bytes(names[index % len(names)].encode())
            elif kind == "remove" and target.is_file():
                target.unlink()
            elif kind == "add":
                (site / where).mkdir(parents=True, exist_ok=True) if where in PORTALS else None
                if (site / where).is_dir():
                    (site / where / f"extra{index}").write_bytes(b"x")
                else:
                    (site / where).write_bytes(b"x")
            elif kind == "add_dir":
                (site / where / f"dir{index}").mkdir(parents=True, exist_ok=True)
            elif kind == "symlink":
                link = site / where / f"link{index}" if (site / where).is_dir() else site / f"link{index}"
                link.symlink_to(target)
            elif kind == "touch" and target.is_file():
                os.utime(target, ns=(1, 1))
        except OSError:
            pass  # e.g. a name that is now a file: that change simply does not happen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(paths, min_size=0, max_size=12), changes=edits, extra=st.sampled_from([None, *PORTALS]))
def test_tree_as_written_answers_as_before(tmp_path: Path, files, changes, extra) -> None:
    site = tmp_path / "site"
    stamps = write_site(site, files)
    apply(site, stamps, changes)
    if extra is not None:  # a stamp for a file the site never had
        stamps = {**stamps, f"{extra}/never": [1, 2, 3]}
    for folder in ["", *PORTALS, "assets", "absent"]:
        expected = reference_tree_as_written(site, folder, stamps)
        assert tree_as_written(site, folder, stamps) == expected, folder
    # The whole site, with the portals found as written a moment ago not walked again.
    checked: dict[str, dict[str, list[int]]] = {}
    for portal in PORTALS:
        own = {k: v for k, v in stamps.items() if k.startswith(f"{portal}/")}
        if own and tree_as_written(site, portal, own):
            checked[portal] = own
    whole = reference_tree_as_written(site, "", stamps)
    assert tree_as_written(site, "", stamps, checked) == whole
    assert tree_as_written(site, "", stamps) == whole


# --- InputDigests: a digest taken earlier in the same build is reused by the same rule ------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.sampled_from(["write", "read", "replace"]), st.integers(0, 2)), max_size=12)
)
def test_signature_reuses_only_a_digest_of_the_file_as_it_is(tmp_path: Path, monkeypatch, steps) -> None:
    """A build's InputDigests reads a file again (the status fingerprints after the
    build's own) and reuses what it took moments ago only while the file's stat is
    the same: after any write, it is the digest of the content as it is now."""
    import hashlib

    from reportgen import cache

    monkeypatch.setattr(cache, "RACY_WINDOW_NS", 0)  # every file settled at once: reuse is exercised
    folder = tmp_path / "files"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files = [folder / f"f{i}.csv" for i in range(3)]
    for path in files:
        path.write_bytes(b"a")
    inputs = cache.InputDigests()
    for kind, index in steps:
        path = files[index]
        if kind == "write":  # in place, another size
            with path.open("ab") as handle:
                handle.write(b"b")
        elif kind == "replace":  # another file, another size (same size in the same clock
            content = path.read_bytes()  # tick is the racy case RACY_WINDOW_NS covers)
            path.unlink()
            path.write_bytes(b"c" + content[::-1])
        for each in files:
            assert inputs.signature(each) == (str(each), hashlib.sha256(each.read_bytes()).hexdigest())


# --- a large leftover beside the output is removed in the background, never published ------------


def test_a_large_leftover_site_is_removed_without_waiting(project: Path) -> None:
    """The previous build's site, still being removed when the next build starts
    (tens of thousands of files), is moved out of the way and removed in the
    background; a small one (a killed build's) is removed at once, as before."""
    import time

    from conftest import run_cli

    large = project / ".site.staging-0123456789ab"
    for index in range(150):
        (large / f"client-{index:03d}").mkdir(parents=True)
        (large / f"client-{index:03d}" / "index.html").write_text("an old page")
    small = project / ".site.old-ba9876543210"
    small.mkdir()
    (small / "index.html").write_text("half a site")
    result = run_cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert not large.exists() and not small.exists()
    names = sorted(p.name for p in (project / "site").iterdir())
    assert not any(name.startswith("client-") for name in names)  # nothing of it published
    deadline = time.monotonic() + 30
    while any(".old-" in p.name or ".staging-" in p.name for p in project.iterdir()):
        assert time.monotonic() < deadline, sorted(p.name for p in project.iterdir())
        time.sleep(0.1)
