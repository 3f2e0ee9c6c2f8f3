"""The notes cache (notescache.py): a note as the cache gives it back is exactly what
parsing the note gives (every field, line numbers included, and every problem in order);
an edited note is parsed again; a corrupt, stale or forged cache file is ignored (never a
traceback, never a value no parse could give); a protected client's notes are never kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
from pathlib import Path
from types import SimpleNamespace

from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen import notescache
from reportgen.cache import CACHE_DIR
from reportgen.model import Month, Note
from reportgen.notes import load_client_notes, parse_note_bytes
from reportgen.notescache import FOLDER, MAGIC, NotesCache, cache_file
from reportgen.parsedcache import forget_protected

MONTH = Month(2026, 10)
SHOWN = "content/acme/2026-10.md"

# --- random notes -----------------------------------------------------------------------------

TEXT = st.sampled_from(["Leads up", "Ünïcode ✓", "'quoted'", '"a: b"', "é\u0301", "x" * 150])
DATE = st.sampled_from(["2026-10-05", "2026-10-31", "1999-01-01"])
FRONT_LINES = st.one_of(
    st.builds("title: {}".format, TEXT),
    st.builds("summary: {}".format, TEXT),
    st.sampled_from(
        ["status: draft", "status: final", "status: maybe", "colour: blue", "title:", "- a list"]
    ),
    st.builds("highlights: [{}, {}]".format, TEXT, TEXT),
    st.builds("recommendations:\n  - {}".format, TEXT),
    st.builds(
        "next_steps:\n  - {{task: {}, owner: {}, due: {}, done: {}}}\n  - {{task: {}}}".format,
        TEXT,
        TEXT,
        DATE,
        st.sampled_from(["true", "false"]),
        TEXT,
    ),
    st.builds(
        "meetings:\n  - {{date: {}, title: {}, attendees: [{}, {}], notes: {}}}\n  - {{date: {}}}".format,
        DATE,
        TEXT,
        TEXT,
        TEXT,
        TEXT,
        DATE,
    ),
    st.builds("annotations:\n  - {{date: {}, text: {}}}\n  - {{date: {}, text: b}}".format, DATE, TEXT, DATE),
)
BAD_FRONT_LINES = st.sampled_from(
    [
        "{ unclosed",
        "key: [1, 2",
        ": no key",
        "\tindented: tab",
        "title:",
        "title: [1, 2]",
        f"summary: {'x' * 1001}",
        "annotations:\n  - {date: 2026-02-30, text: a}",
        "next_steps:\n  - {task: t, done: maybe}",
        "meetings:\n  - {date: yesterday}",
    ]
)
CHART = st.builds(
    "```chart\nmetric: {}\ntype: {}\nby: {}\n{}```".format,
    st.sampled_from(["clicks", "spend", "leads", "clicks", ""]),
    st.sampled_from(["line", "bar", "line", "bar", "pie", "area", "donut"]),
    st.sampled_from(["day", "week", "month", "channel", "campaign", "day", "hour"]),
    st.sampled_from(["", "", "compare: previous\n", "compare: target\n", "title: T\n", "colour: red\n"]),
)
BODY_LINES = st.one_of(
    TEXT,
    st.sampled_from(["## Heading", "- item", "RGCHARTSLOT0X", "---", "", "Text *em*"]),
    CHART,
)
BAD_BODY_LINES = st.sampled_from(["```chart", "~~~chart\nmetric: x"])


@st.composite
def note_bytes(draw: st.DrawFn) -> bytes:
    parts = []
    if draw(st.booleans()):
        parts.append("---")
        parts.extend(draw(st.lists(FRONT_LINES, max_size=5, unique_by=lambda line: line.split(":")[0])))
        if draw(st.integers(0, 9)) == 9:
            parts.append(draw(BAD_FRONT_LINES))
        if draw(st.integers(0, 9)) < 9:  # now and then: no closing line
            parts.append(draw(st.sampled_from(["---", "...", " --- "])))
    parts.extend(draw(st.lists(BODY_LINES, max_size=6)))
    if draw(st.integers(0, 9)) == 9:
        parts.append(draw(BAD_BODY_LINES))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(parts)
    raw = text.encode()
    prefix = draw(st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b"\xff\xfe"]))
    if draw(st.integers(0, 14)) == 14:
        raw += b"caf\xe9"  # Latin-1: not UTF-8
    return prefix + raw


def same(left: tuple[Note | None, list], right: tuple[Note | None, list]) -> bool:
    """Equal, and equal in every field (a next step's line is not part of its ==)."""
    return left == right and repr(left) == repr(right)


def fresh(raw: bytes) -> tuple[Note | None, list]:
    return parse_note_bytes(raw, SHOWN, "acme", MONTH)


# --- cached == fresh -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=note_bytes(), other=note_bytes())
def test_a_cached_note_parses_exactly_as_a_fresh_one(tmp_path_factory, raw, other):
    cache_dir = tmp_path_factory.mktemp("cache")
    first = NotesCache(cache_dir, "acme")
    assert same(first.parse(raw, "2026-10.md", SHOWN, MONTH), fresh(raw))
    first.parse(other, "2026-09.md", "content/acme/2026-09.md", Month(2026, 9))
    first.save()
    again = NotesCache(cache_dir, "acme")
    assert set(again.old) == {"2026-10.md", "2026-09.md"}
    assert same(again.parse(raw, "2026-10.md", SHOWN, MONTH), fresh(raw))
    assert not again.changed  # taken from the cache, not parsed
    # the note edited: parsed again, exactly as fresh
    assert same(again.parse(other, "2026-10.md", SHOWN, MONTH), fresh(other))
    assert again.changed or raw == other
    # the same bytes under another shown name (a folder linked elsewhere): parsed again
    elsewhere = "content/other/2026-10.md"
    assert same(
        NotesCache(cache_dir, "acme").parse(raw, "2026-10.md", elsewhere, MONTH),
        parse_note_bytes(raw, elsewhere, "acme", MONTH),
    )


def test_load_client_notes_with_and_without_the_cache(tmp_path):
    folder = tmp_path / "content" / "acme"
    folder.mkdir(parents=True)
    (folder / "2026-09.md").write_text(
        "---\nsummary: s\nnext_steps:\n  - {task: t, due: 2026-10-01}\n---\nBody\n"
    )
    (folder / "2026-10.md").write_text("---\nstatus: maybe\n---\n")
    (folder / "notes.md").write_text("not a month\n")
    plain = load_client_notes(tmp_path, "acme")
    cache = NotesCache(tmp_path / CACHE_DIR, "acme")
    assert same(load_client_notes(tmp_path, "acme", cache), plain)  # type: ignore[arg-type]
    cache.save()
    cache = NotesCache(tmp_path / CACHE_DIR, "acme")
    assert same(load_client_notes(tmp_path, "acme", cache), plain)  # type: ignore[arg-type]
    assert not cache.changed
    assert load_client_notes(tmp_path, "other", cache) == load_client_notes(tmp_path, "other")


# --- stale and forged files ---------------------------------------------------------------------

FULL = (
    b"---\ntitle: T\nsummary: S\nhighlights: [a]\nrecommendations: [r]\n"
    b"next_steps:\n  - {task: t, owner: o, due: 2026-11-01, done: true}\n"
    b"meetings:\n  - {date: 2026-10-02, title: M, attendees: [x], notes: n}\n"
    b"annotations:\n  - {date: 2026-10-05, text: A}\n---\n"
    b"Body\n\n```chart\nmetric: clicks\ntype: bar\nby: channel\n```\n"
)


def write_cache(cache_dir: Path, raw: bytes = FULL) -> Path:
    cache = NotesCache(cache_dir, "acme")
    cache.parse(raw, "2026-10.md", SHOWN, MONTH)
    cache.save()
    return cache_file(cache_dir, "acme")


def forge(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite the payload through `change` and put a matching digest in front."""
    data = path.read_bytes()
    head = len(MAGIC) + 32
    version, kinds, owner, entries = marshal.loads(data[head:])
    payload = marshal.dumps(change(version, kinds, owner, entries), 4)
    path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)


def set_field(entries, position, value):  # type: ignore[no-untyped-def]
    """The first entry with the note field at `position` (a path of indexes) set to `value`."""
    entry = list(entries[0])
    fields = list(entry[3])

    def put(container, path):  # type: ignore[no-untyped-def]
        items = list(container)
        if len(path) == 1:
            items[path[0]] = value
        else:
            items[path[0]] = put(items[path[0]], path[1:])
        return tuple(items)

    entry[3] = put(fields, position)
    return (tuple(entry), *entries[1:])


FORGERIES = [
    ((0,), "maybe"),  # status
    ((1,), 7),  # title
    ((1,), "\udcff"),  # a lone surrogate: no UTF-8 note holds one
    ((3,), ["a"]),  # highlights: a list
    ((3, 0), b"a"),
    ((5, 0, 2), 10**12),  # a due date past year 9999
    ((5, 0, 2), "2026-11-01"),
    ((5, 0, 3), 1),  # done: not a bool
    ((5, 0), ("t",)),
    ((6, 0, 0), -5),
    ((7, 0, 1), None),
    ((8,), None),  # body
    ((9, 0, 1), "donut"),  # chart type
    ((9, 0, 2), "hour"),  # no such kind
    ((9, 0, 1), "pie"),  # by channel: a valid note could say so
    ((9, 0, 2), "day"),  # with type bar: the same
    ((9, 0, 3), "target"),  # by channel: no target
    ((9, 0, 5), "1"),
    ((10,), "short"),
    ((), ("x",)),
]
VALID = [((9, 0, 1), "pie"), ((9, 0, 2), "day")]


@settings(
    max_examples=len(FORGERIES) * 3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(forgery=st.sampled_from(FORGERIES))
def test_a_forged_entry_is_never_trusted_beyond_what_a_parse_could_give(tmp_path_factory, forgery):
    cache_dir = tmp_path_factory.mktemp("cache")
    path = write_cache(cache_dir)
    position, value = forgery
    if position == ():
        forge(path, lambda v, k, o, entries: (v, k, o, ((*entries[0][:3], value, entries[0][4]),)))
    else:
        forge(path, lambda v, k, o, entries: (v, k, o, set_field(entries, position, value)))
    cache = NotesCache(cache_dir, "acme")
    answer = cache.parse(FULL, "2026-10.md", SHOWN, MONTH)  # never a traceback
    if forgery in VALID:  # a note could say so: taken as it is
        assert answer[0] is not None and not cache.changed
    else:
        assert same(answer, fresh(FULL)) and cache.changed


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, 4000),
    flip=st.one_of(st.none(), st.tuples(st.integers(0, 4000), st.integers(1, 255))),
    keep_digest=st.booleans(),
)
def test_a_damaged_file_is_ignored(tmp_path_factory, cut, flip, keep_digest):
    cache_dir = tmp_path_factory.mktemp("cache")
    path = write_cache(cache_dir)
    data = bytearray(path.read_bytes())
    if flip is not None:
        data[flip[0] % len(data)] ^= flip[1]
    data = data[: max(0, len(data) - cut)] if cut % 3 else data
    if keep_digest and len(data) > len(MAGIC) + 32:
        # damage behind a matching digest (a forged file): never a traceback, and what it
        # gives is a note a parse could give (each value checked again: it round-trips)
        payload = bytes(data[len(MAGIC) + 32 :])
        path.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)
        note, problems = NotesCache(cache_dir, "acme").parse(FULL, "2026-10.md", SHOWN, MONTH)
        entry = notescache._encode("2026-10.md", "", SHOWN, note, problems)
        assert same(notescache._decode(entry, "acme", MONTH), (note, problems))
        return
    path.write_bytes(bytes(data))
    assert same(NotesCache(cache_dir, "acme").parse(FULL, "2026-10.md", SHOWN, MONTH), fresh(FULL))


def test_another_clients_or_an_older_versions_file_is_ignored(tmp_path):
    path = write_cache(tmp_path)
    os.makedirs(path.parent, exist_ok=True)
    os.replace(path, cache_file(tmp_path, "harbor"))
    assert NotesCache(tmp_path, "harbor").old == {}
    path = write_cache(tmp_path)
    forge(path, lambda v, k, o, e: ("0.0.0", k, o, e))
    assert NotesCache(tmp_path, "acme").old == {}
    path = write_cache(tmp_path)
    forge(path, lambda v, k, o, e: (v, (("day", False),), o, e))  # other chart kinds
    assert NotesCache(tmp_path, "acme").old == {}


def test_a_notes_folder_linked_out_is_never_read_or_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_cache(outside / "cache")
    cache_dir = tmp_path / "project" / CACHE_DIR
    cache_dir.mkdir(parents=True)
    os.symlink(outside / "cache" / FOLDER, cache_dir / FOLDER)
    cache = NotesCache(cache_dir, "acme")
    assert cache.old == {}
    cache.parse(FULL, "2026-10.md", SHOWN, MONTH)
    before = sorted(p.name for p in (outside / "cache" / FOLDER).iterdir())
    cache.save()
    assert sorted(p.name for p in (outside / "cache" / FOLDER).iterdir()) == before


def test_protected_and_removed_clients_keep_no_notes_file(tmp_path):
    for client_id in ("acme", "harbor", "gone"):
        cache = NotesCache(tmp_path, client_id)
        cache.parse(FULL, "2026-10.md", SHOWN, MONTH)
        cache.save()
    clients = [SimpleNamespace(id="acme", access=None), SimpleNamespace(id="harbor", access=object())]
    forget_protected(tmp_path, clients)  # type: ignore[arg-type]
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == [cache_file(tmp_path, "acme").name]


# --- builds ---------------------------------------------------------------------------------------


def test_a_protected_clients_notes_are_never_cached(tmp_path, cli):
    root = tmp_path / "proj"
    make_project(root)
    assert cli("build", "--project", root).exit_code == 0
    cache_dir = root / CACHE_DIR
    assert cache_file(cache_dir, "berlin-bikes").is_file() and cache_file(cache_dir, "acme-corp").is_file()
    text = (root / "clients.yaml").read_text()
    text = text.replace("- id: berlin-bikes\n", "- id: berlin-bikes\n  access: {password_env: BB_PW}\n", 1)
    (root / "clients.yaml").write_text(text)
    env = {"BB_PW": "a long enough password here"}
    assert cli("build", "--project", root, env=env).exit_code == 0
    assert not cache_file(cache_dir, "berlin-bikes").exists()
    assert cli("build", "--project", root, "--clean", env=env).exit_code == 0
    assert not cache_file(cache_dir, "berlin-bikes").exists()
    assert cache_file(cache_dir, "acme-corp").is_file()


def test_a_build_with_the_notes_cache_equals_a_clean_build(tmp_path, cli):
    """A note edited, one added and one broken after a build: the next build (most notes
    from the cache) publishes what a clean build does, and fails as a clean build fails."""
    root = tmp_path / "proj"
    make_project(root)
    assert cli("build", "--project", root).exit_code == 0
    folder = root / "content" / "acme-corp"
    note = folder / "2026-10.md"
    note.write_text(note.read_text() + "\nOne more line.\n")
    (folder / "2026-11.md").write_text("---\nsummary: next\nstatus: draft\n---\nNew month.\n")
    first = cli("build", "--project", root, "--drafts")
    clean = cli("build", "--project", root, "--clean", "--drafts", "--out", tmp_path / "clean")
    assert first.exit_code == clean.exit_code == 0
    assert _tree(root / "site") == _tree(tmp_path / "clean")
    (folder / "2026-11.md").write_text("---\nstatus: maybe\n---\n")
    broken = cli("build", "--project", root)
    assert broken.exit_code != 0 and "maybe" in broken.output
    again = cli("build", "--project", root, "--clean", "--out", tmp_path / "clean2")
    assert (again.exit_code, again.output) == (
        broken.exit_code,
        broken.output.replace(str(root / "site"), str(tmp_path / "clean2")),
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_dates_survive(tmp_path):
    """A note's dates come back as dates, not ordinals."""
    path = write_cache(tmp_path)
    assert path.is_file()
    note, _ = NotesCache(tmp_path, "acme").parse(FULL, "2026-10.md", SHOWN, MONTH)
    assert note is not None and note.meetings[0].date == dt.date(2026, 10, 2)
