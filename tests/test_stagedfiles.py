"""One file into the staging folder (stagedfiles.py), whatever the staging folder already holds.

A monthly run links some 50,000 carried files into a reused back buffer, so link_into takes
as few system calls as it can; these tests hold it to its contract in every state the
staged place and the published file can be in: the staged file is the published one (the
same inode) or a copy of it, nothing outside the staging folder is touched, and a published
file that is gone or no regular file is not carried.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import stagedfiles
from reportgen.errors import OutputError
from reportgen.stagedfiles import link_into, staged_target, write_into

RELATIVE = "client/2026-10/index.html"

# What the staging folder holds where the file goes (a reused back buffer holds anything).
STAGED = ["nothing", "no folder", "the same file", "another file", "a link to the file", "a link outside"]
# What the published site holds there.
PUBLISHED = ["a file", "nothing", "a link", "a folder"]


def _set_up(base: Path, staged: str, published: str) -> tuple[Path, Path, Path]:
    out, staging, outside = base / "site", base / "staging", base / "outside.txt"
    source = out / RELATIVE
    source.parent.mkdir(parents=True)
    outside.write_text("outside", encoding="utf-8")
    if published == "a file":
        source.write_text("published", encoding="utf-8")
    elif published == "a link":
        source.symlink_to(outside)
    elif published == "a folder":
        source.mkdir()
    target = staging / RELATIVE
    staging.mkdir()
    if staged != "no folder":
        target.parent.mkdir(parents=True)
    if staged == "the same file" and published == "a file":
        os.link(source, target)
    elif staged == "another file":
        target.write_text("stale", encoding="utf-8")
    elif staged == "a link to the file":
        target.symlink_to(source)
    elif staged == "a link outside":
        target.symlink_to(outside)
    return out, staging, outside


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(staged=st.sampled_from(STAGED), published=st.sampled_from(PUBLISHED), twice=st.booleans())
def test_a_carried_file_is_the_published_one_whatever_the_staging_folder_held(
    tmp_path_factory, staged, published, twice
):
    base = tmp_path_factory.mktemp("staged")
    out, staging, outside = _set_up(base, staged, published)
    stagedfiles._FOLDERS_MADE.clear()
    carried = link_into(staging, out, RELATIVE)
    if twice:  # (the folder is remembered as made: the second call must not depend on it)
        carried = link_into(staging, out, RELATIVE)
    assert outside.read_text(encoding="utf-8") == "outside"
    if published != "a file":
        assert carried is False
        return
    target = staging / RELATIVE
    assert carried is True
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "published"
    assert os.path.samestat(os.lstat(target), os.lstat(out / RELATIVE))


def test_a_staging_folder_removed_since_its_folders_were_made_is_made_again(tmp_path):
    out, staging, _outside = _set_up(tmp_path, "nothing", "a file")
    assert link_into(staging, out, RELATIVE)
    (staging / RELATIVE).unlink()
    (staging / RELATIVE).parent.rmdir()  # the folder is still in _FOLDERS_MADE
    assert link_into(staging, out, RELATIVE)
    write_into(staging, "client/2026-10/other.html", "x")
    (staging / "client/2026-10/other.html").unlink()
    (staging / RELATIVE).unlink()
    (staging / RELATIVE).parent.rmdir()
    write_into(staging, "client/2026-10/other.html", "again")
    assert (staging / "client/2026-10/other.html").read_text(encoding="utf-8") == "again"


SEGMENTS = st.sampled_from(["a", "b.html", "..", ".", "", "x\\y", "é", "/"])


@given(parts=st.lists(SEGMENTS, min_size=1, max_size=5))
def test_a_staged_place_is_inside_the_staging_folder_or_refused(tmp_path_factory, parts):
    staging = tmp_path_factory.mktemp("inside")
    relative = "/".join(parts)
    try:
        target = staged_target(staging, relative)
    except OutputError:
        return
    inside, real = os.path.realpath(staging), os.path.realpath(target)
    assert os.path.commonpath([real, inside]) == inside and real != inside


@pytest.mark.parametrize("relative", ["", "/etc/passwd", "../x", "a/../../x", "a\\..\\x"])
def test_places_outside_are_refused(tmp_path, relative):
    with pytest.raises(OutputError):
        staged_target(tmp_path, relative)
