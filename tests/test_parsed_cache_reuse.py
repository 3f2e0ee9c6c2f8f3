"""The parsed-data cache writes back the entries it took from its file as stored (it
encodes only what was parsed afresh): the file it writes reads back exactly as one
encoded wholly afresh would, over random canonical CSVs, files added, edited and removed."""

from __future__ import annotations

import marshal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parsed_cache import cache_for, csv_files, load, project

from reportgen import parsedcache
from reportgen.cache import CACHE_DIR
from reportgen.parsedcache import MAGIC, ParsedCache, cache_file


def payload(root: Path) -> object:
    data = cache_file(root / CACHE_DIR, "acme").read_bytes()
    return marshal.loads(data[len(MAGIC) + 32 :])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=csv_files(),
    later=csv_files(),
    edits=st.lists(st.sampled_from(["add", "edit", "remove"]), max_size=3),
)
def test_entries_kept_as_stored_read_back_as_encoded_afresh(files, later, edits):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project(root)
        data = root / "data" / "acme"
        data.mkdir(parents=True)
        for index, text in enumerate(files):
            (data / f"{index}.csv").write_bytes(text.encode())
        load(root, cache_for(root))
        for step, edit in enumerate(edits):
            present = sorted(data.iterdir())
            if edit == "add" or not present:
                (data / f"new-{step}.csv").write_bytes(later[step % len(later)].encode())
            elif edit == "edit":
                present[0].write_bytes(later[step % len(later)].encode() + b"\n")
            elif len(present) > 1:
                present[-1].unlink()
        fresh = load(root)
        cache = cache_for(root)
        assert load(root, cache) == fresh  # some entries reused, some parsed afresh
        if not cache_file(root / CACHE_DIR, "acme").is_file():  # a file with an error: nothing kept
            return
        written = payload(root)
        version, owner, stored = written  # type: ignore[misc]
        afresh = tuple(parsedcache._encode(k, e) for k, e in sorted(cache.new.items()))
        assert ParsedCache(root / CACHE_DIR, "acme", {}).old == dict(map(parsedcache._decode, afresh))
        assert (version, owner) == (parsedcache.code_identity(), "acme")
        assert [item[0] for item in stored] == sorted(cache.new)
