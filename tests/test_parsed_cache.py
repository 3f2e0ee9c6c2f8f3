"""The parsed-data cache (parsedcache.py): a client's data as the cache gives it back is
exactly what parsing its CSVs gives; a changed file is read again; a corrupt, truncated or
foreign cache file is ignored (never a traceback); a protected client is never cached."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
from helpers import DEFAULT_MARKERS, make_project
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import reportgen.sources as sources
from reportgen.cache import CACHE_DIR
from reportgen.config import load_project_config
from reportgen.parsedcache import FOLDER, MAGIC, ParsedCache, cache_file
from reportgen.sources import load_client_data

TODAY = dt.date(2026, 11, 5)


def project(root: Path, data: str = "data/acme/*.csv", extra: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "clients.yaml").write_text(
        textwrap.dedent(f"""\
        agency: {{name: A}}
        clients:
          - id: acme
            name: Acme
            account_executive: {{name: X}}
            data: [{data}]
        {extra}""")
    )


def known(paths: list[Path]) -> dict[str, list[int | str]]:
    """What InputDigests keeps of each settled file: size, times, inode, content digest."""
    out: dict[str, list[int | str]] = {}
    for path in paths:
        info = os.stat(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out[str(path)] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, digest]
    return out


class Parses:
    """Counts the files parsed (the cache's misses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = sources.parse_data_file

        def counting(*args):  # type: ignore[no-untyped-def]
            self.count += 1
            return original(*args)

        monkeypatch.setattr(sources, "parse_data_file", counting)


def load(root: Path, cache: ParsedCache | None = None):
    (client,) = load_project_config(root).clients
    return load_client_data(root, client, TODAY, cache)


def cache_for(root: Path) -> ParsedCache:
    files = sorted((root / "data").rglob("*.csv"))
    return ParsedCache(root / CACHE_DIR, "acme", known(files))


# --- round trip: random canonical files ---------------------------------------------------

NAMES = st.sampled_from(["brand", "", " spaced ", "Ünïcode", "x" * 40, "a;b"])
CELLS = st.one_of(
    st.integers(0, 10**15 - 1).map(str),
    st.decimals(0, 10**6, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["", " 7 ", "-3", "1e3", "12.50", "abc", "0.1"]),
)
DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)


@st.composite
def csv_files(draw: st.DrawFn) -> list[str]:
    files = []
    for _ in range(draw(st.integers(1, 3))):
        metrics = draw(
            st.lists(st.sampled_from(["clicks", "spend", "leads", "ctr"]), min_size=1, unique=True)
        )
        names = [c for c in ("campaign", "channel") if draw(st.booleans())]
        header = ["date", *names, *metrics]
        lines = [",".join(header)]
        for _ in range(draw(st.integers(0, 12))):
            cells = [draw(DAYS), *(draw(NAMES) for _ in names), *(draw(CELLS) for _ in metrics)]
            lines.append(",".join(cells))
        end = draw(st.sampled_from(["\n", "\r\n"]))
        files.append(end.join(lines) + (end if draw(st.booleans()) else ""))
    return files


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=csv_files())
def test_cached_data_equals_a_fresh_parse(files, monkeypatch):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project(root)
        (root / "data" / "acme").mkdir(parents=True)
        for index, text in enumerate(files):
            (root / "data" / "acme" / f"{index}.csv").write_bytes(text.encode())
        fresh = load(root)
        first = cache_for(root)
        assert load(root, first) == fresh  # every file parsed, the cache written
        parses = Parses(monkeypatch)
        again = cache_for(root)
        assert load(root, again) == fresh  # taken from the cache
        table = fresh[0]
        future = any(r.date > TODAY + dt.timedelta(days=3) for r in table.rows)
        if not future and not any(p.severity == "error" for p in fresh[1]):
            assert parses.count == 0  # nothing parsed again
        monkeypatch.undo()


def test_a_changed_file_is_read_again(tmp_path, monkeypatch):
    project(tmp_path)
    data = tmp_path / "data" / "acme" / "2026-10.csv"
    data.parent.mkdir(parents=True)
    data.write_text("date,clicks\n2026-10-01,5\n")
    load(tmp_path, cache_for(tmp_path))
    data.write_text("date,clicks\n2026-10-01,6\n")  # same size, other content
    parses = Parses(monkeypatch)
    table, _ = load(tmp_path, cache_for(tmp_path))
    assert parses.count == 1 and table.rows[0].values == (6,)


def test_a_file_known_with_another_stat_is_read_again(tmp_path, monkeypatch):
    """The digest is trusted only while the file's stat is the one it was taken with."""
    project(tmp_path)
    data = tmp_path / "data" / "acme" / "a.csv"
    data.parent.mkdir(parents=True)
    data.write_text("date,clicks\n2026-10-01,5\n")
    stale = known([data])
    load(tmp_path, ParsedCache(tmp_path / CACHE_DIR, "acme", stale))
    data.write_text("date,clicks\n2026-10-01,7\n")
    parses = Parses(monkeypatch)
    table, _ = load(tmp_path, ParsedCache(tmp_path / CACHE_DIR, "acme", stale))  # the old digest
    assert parses.count == 1 and table.rows[0].values == (7,)


# --- a damaged or foreign cache file ----------------------------------------------------------


@pytest.fixture
def cached(tmp_path) -> Path:
    project(tmp_path)
    data = tmp_path / "data" / "acme" / "a.csv"
    data.parent.mkdir(parents=True)
    data.write_text("date,campaign,clicks,spend\n2026-10-01,x,5,1.5\n2026-10-02,y,,2\n")
    load(tmp_path, cache_for(tmp_path))
    assert cache_file(tmp_path / CACHE_DIR, "acme").is_file()
    return tmp_path


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, 10_000),
    flip=st.one_of(st.none(), st.tuples(st.integers(0, 10_000), st.integers(1, 255))),
    keep_digest=st.booleans(),
)
def test_a_damaged_cache_file_is_ignored(cached, cut, flip, keep_digest, monkeypatch):
    path = cache_file(cached / CACHE_DIR, "acme")
    original = path.read_bytes()
    try:
        data = bytearray(original[: max(cut, 1)] if cut < len(original) else original)
        if flip is not None:
            at = flip[0] % len(data)
            data[at] ^= flip[1]
        if keep_digest and len(data) > len(MAGIC) + 32:
            # damage behind a matching digest (a forged file): never a traceback, and what
            # it gives is a well-formed table (the cache is the user's, as the manifest is)
            payload = bytes(data[len(MAGIC) + 32 :])
            path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
            table, _ = load(cached, cache_for(cached))
            assert all(len(row.values) == len(table.metrics) for row in table.rows)
            return
        path.write_bytes(bytes(data))
        fresh = load(cached)
        assert load(cached, cache_for(cached)) == fresh
    finally:
        path.write_bytes(original)


def test_a_foreign_cache_file_is_ignored(cached, monkeypatch):
    """Another client's file put in this one's place: not this client's, not read."""
    folder = cached / CACHE_DIR
    shutil.copy(cache_file(folder, "acme"), cache_file(folder, "other"))
    other = ParsedCache(folder, "other", known(sorted((cached / "data").rglob("*.csv"))))
    assert other.old == {}
    for junk in (b"", MAGIC, b"not a cache", MAGIC + b"\0" * 32 + b"x"):
        cache_file(folder, "acme").write_bytes(junk)
        parses = Parses(monkeypatch)
        assert load(cached, cache_for(cached)) == load(cached)
        assert parses.count == 2
        monkeypatch.undo()


def test_clean_build_reads_no_cache(cached, monkeypatch):
    files = sorted((cached / "data").rglob("*.csv"))
    parses = Parses(monkeypatch)
    load(cached, ParsedCache(cached / CACHE_DIR, "acme", known(files), read=False))
    assert parses.count == 1


# --- builds: protected clients, and the cache's effect on the site -------------------------


def test_a_protected_client_is_never_cached(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    assert cli("build", "--project", root).exit_code == 0
    folder = root / CACHE_DIR / FOLDER
    assert cache_file(root / CACHE_DIR, "berlin-bikes").is_file()
    marker = DEFAULT_MARKERS["berlin-bikes"].encode()
    text = (root / "clients.yaml").read_text()
    text = text.replace("- id: berlin-bikes\n", "- id: berlin-bikes\n  access: {password_env: BB_PW}\n", 1)
    (root / "clients.yaml").write_text(text)
    env = {"BB_PW": "a long enough password here"}
    assert cli("build", "--project", root, env=env).exit_code == 0
    assert not cache_file(root / CACHE_DIR, "berlin-bikes").exists()
    assert all(marker not in p.read_bytes() for p in folder.iterdir())
    assert cli("build", "--project", root, "--clean", env=env).exit_code == 0
    assert not cache_file(root / CACHE_DIR, "berlin-bikes").exists()
    assert cache_file(root / CACHE_DIR, "acme-corp").is_file()


def test_a_build_from_the_cache_equals_a_clean_build(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    assert cli("build", "--project", root).exit_code == 0
    csv = sorted((root / "data").rglob("*.csv"))[0]
    csv.write_text(csv.read_text().replace(",1", ",2", 3))
    (root / "content" / "acme-corp" / "2026-10.md").touch()
    first = cli("build", "--project", root, "--json")
    clean = cli("build", "--project", root, "--clean", "--out", tmp_path / "clean", "--json")
    assert first.exit_code == clean.exit_code == 0
    site = {p.relative_to(root / "site"): p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    other = {
        p.relative_to(tmp_path / "clean"): p.read_bytes()
        for p in (tmp_path / "clean").rglob("*")
        if p.is_file()
    }
    assert site == other


# A column of machine numbers is checked by its least, greatest and sum (parsedcache._in_range):
# it must take exactly what the per-value rule takes, NaN and infinities included.
_in_bounds = st.floats(-1e15, 1e15, width=64)
_odd = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e15 + 2, -1e15 - 2, 1e308, 1e15, -1e15])


@st.composite
def _column(draw: st.DrawFn) -> list[float]:
    """In-range numbers with an odd one anywhere (a NaN after a number hides from min and max)."""
    values = draw(st.lists(_in_bounds, max_size=30))
    for _ in range(draw(st.integers(0, 2))):
        values.insert(draw(st.integers(0, len(values))), draw(_odd))
    return values


@settings(max_examples=300)
@example(values=[1.0, float("nan")], ints=[])
@example(values=[float("inf"), -float("inf")], ints=[10**15 + 1])
@given(
    values=_column(),
    ints=st.lists(
        st.integers(-(2**63), 2**63 - 1) | st.sampled_from([10**15, -(10**15), 10**15 + 1]), max_size=40
    ),
)
def test_a_column_range_check_agrees_with_the_per_value_rule(values, ints):
    from reportgen.parsedcache import _in_range
    from reportgen.schema import LARGEST_NUMBER

    def per_value(column):
        return all(-LARGEST_NUMBER <= v <= LARGEST_NUMBER for v in column)

    assert _in_range(values, "d") == per_value(values)
    assert _in_range(ints, "q") == per_value(ints)
    assert _in_range([*ints, None], "t") == per_value(ints)


def test_a_forged_cache_with_a_number_out_of_range_is_ignored(cached, monkeypatch):
    """A cache file behind a matching digest whose column holds NaN or 1e16 after a valid
    number (where a NaN hides from min and max): not ours, so read afresh (the CSV reader
    never gives such a number)."""
    import marshal
    from array import array

    path = cache_file(cached / CACHE_DIR, "acme")
    original = path.read_bytes()
    head = len(MAGIC) + 32
    version, owner, files = marshal.loads(original[head:])
    try:
        for bad in (float("nan"), 1e16, float("-inf")):
            entry = list(files[0])
            columns = list(entry[10])
            count = entry[6]
            assert count >= 2
            columns[-1] = ("d", array("d", [1.5] * (count - 1) + [bad]).tobytes())
            entry[10] = tuple(columns)
            payload = marshal.dumps((version, owner, (tuple(entry), *files[1:])), 4)
            path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
            parses = Parses(monkeypatch)
            assert load(cached, cache_for(cached)) == load(cached)
            assert parses.count == 2  # the forged file was not taken
            monkeypatch.undo()
    finally:
        path.write_bytes(original)
