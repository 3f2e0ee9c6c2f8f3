"""Load: content/<client>/YYYY-MM.md → `Note`.

A note is YAML front matter between `---` lines and a Markdown body. Fenced
```chart blocks are lifted out of the body into `ChartSpec`s (with their line
numbers) and replaced by placeholders that the render stage fills. The body
becomes safe HTML in the present stage (notehtml.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .chartkinds import CHART_KINDS, DEFAULT_BY, kinds_where
from .errors import Problem, did_you_mean, display_path, either
from .inputfiles import UnreadableInputError, input_file_problem, line_at, read_input_bytes
from .model import Annotation, ChartSpec, Meeting, Month, NextStep, Note
from .schema import INVALID, Boolean, Choice, Context, DateKind, Field, Kind, ListOf, Obj, Text
from .yamlfile import YamlError, YamlMap, parse_yaml

if TYPE_CHECKING:
    from .notescache import NotesCache

CONTENT_DIR = "content"
NOTE_NAME_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\.md$")
_FENCE_OPEN_RE = re.compile(r"^(```|~~~)\s*chart\s*$")

SHORT_TEXT = Text(max_length=500)
LONG_TEXT = Text(max_length=5000)

NEXT_STEP = Obj(
    (
        Field("task", SHORT_TEXT, required=True),
        Field("owner", Text(max_length=200)),
        Field("due", DateKind()),
        Field("done", Boolean()),
    )
)
MEETING = Obj(
    (
        Field("date", DateKind(), required=True),
        Field("title", SHORT_TEXT),
        Field("attendees", ListOf(Text(max_length=200), scalar_ok=True)),
        Field("notes", LONG_TEXT),
    )
)
ANNOTATION = Obj(
    (
        Field("date", DateKind(), required=True),
        Field("text", SHORT_TEXT, required=True),
    )
)
FRONT_MATTER = Obj(
    (
        Field("title", SHORT_TEXT, doc="default: the month, e.g. 'October 2026'"),
        Field("status", Choice(("final", "draft")), doc="drafts are built only with --drafts"),
        Field("summary", Text(max_length=1000), doc="shown on the client home and in the archive"),
        Field("highlights", ListOf(SHORT_TEXT)),
        Field("recommendations", ListOf(Text(max_length=1000))),
        Field("next_steps", ListOf(NEXT_STEP)),
        Field("meetings", ListOf(MEETING)),
        Field("annotations", ListOf(ANNOTATION), doc="dated events marked on trend charts"),
    )
)

CHART_TYPES = ("line", "bar", "area", "pie")


class ChartBy(Kind):
    """`by:` of a chart block: a registered chart kind (chartkinds.CHART_KINDS), read when
    a note is checked, so a kind registered after this module loads is accepted too."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        return Choice(tuple(CHART_KINDS)).check(value, ctx, line, where)

    def schema(self) -> dict[str, Any]:
        return Choice(tuple(CHART_KINDS)).schema()


CHART_BLOCK = Obj(
    (
        Field("metric", Text(max_length=100), required=True),
        Field("type", Choice(CHART_TYPES)),
        Field("by", ChartBy()),
        Field("compare", Choice(("previous", "target"))),
        Field("title", SHORT_TEXT),
    )
)


# --- loading -------------------------------------------------------------------


def load_notes(root: Path, client_ids: set[str]) -> tuple[dict[str, list[Note]], list[Problem]]:
    """Every note under content/, by client id, oldest first."""
    notes: dict[str, list[Note]] = {}
    problems = orphan_note_folders(root, client_ids)
    for client_id in sorted(client_ids):
        notes[client_id], client_problems = load_client_notes(root, client_id)
        problems.extend(client_problems)
    return notes, problems


def orphan_note_folders(root: Path, client_ids: set[str]) -> list[Problem]:
    """A warning for each content/ folder that belongs to no client."""
    content = root / CONTENT_DIR
    if not content.is_dir():
        return []
    return [
        Problem(
            display_path(folder, root),
            None,
            f"no client '{folder.name}' in clients.yaml"
            f"{did_you_mean(folder.name, client_ids)}; its notes are ignored",
            "warning",
        )
        for folder in sorted(content.iterdir())
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in client_ids
    ]


def note_paths(root: Path, client_id: str) -> list[Path]:
    folder = root / CONTENT_DIR / client_id
    # By name, then as paths (the same order: one folder), never by comparing Paths.
    return [folder / name for name in sorted(entry.name for entry in note_entries(folder))]


def note_entries(folder: Path) -> list[os.DirEntry[str]]:
    """The notes in a client's folder, as its listing gives them (no stat for a plain file)."""
    if not folder.is_dir():
        return []
    # Not is_file(): a FIFO, a device or a symlink loop named like a note is an
    # error when it is read (never opened), not a note silently left out.
    found = []
    with os.scandir(folder) as listing:  # the listing's file types: no stat for a plain file
        for entry in listing:
            name = entry.name
            dot = name.rfind(".")
            if not (0 < dot < len(name) - 1 and name[dot:].lower() == ".md") or name.startswith("."):
                continue
            try:
                directory = entry.is_dir(follow_symlinks=False) if not entry.is_symlink() else entry.is_dir()
            except OSError:
                directory = False
            if not directory:
                found.append(entry)
    return found


def load_client_notes(
    root: Path, client_id: str, cache: NotesCache | None = None
) -> tuple[list[Note], list[Problem]]:
    """One client's notes, oldest first, and the problems in them; `cache`: the notes as an
    earlier build parsed them (notescache.py; never for a protected client)."""
    notes: list[Note] = []
    folder_problem = _notes_folder_problem(root, client_id)
    if folder_problem is not None:
        return [], [folder_problem]
    problems: list[Problem] = []
    shown_as = _display_paths(root / CONTENT_DIR / client_id, root)
    real_root = os.path.realpath(root)
    for path in note_paths(root, client_id):
        shown = shown_as(path)
        if os.path.islink(path) and not _inside(os.path.realpath(path), real_root):
            problems.append(Problem(shown, None, _OUTSIDE.format(where=os.path.realpath(path))))
            continue
        if not NOTE_NAME_RE.match(path.name):
            problems.append(
                Problem(
                    shown,
                    None,
                    "a note's file name must be the month it covers, YYYY-MM.md (e.g. 2026-10.md)",
                )
            )
            continue
        try:
            month = Month.parse(path.stem)
        except ValueError as exc:  # a year outside the accepted range
            problems.append(Problem(shown, None, f"file name: {exc}"))
            continue
        note, note_problems = load_note(path, shown, client_id, month, cache)
        problems.extend(note_problems)
        if note is not None:
            notes.append(note)
    return notes, problems


_OUTSIDE = (
    "a link out of the project (to {where}): notes are read only inside it, where a build "
    "on another machine (CI, a colleague's clone) finds them too; move the notes into the project"
)


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip("/") + "/")


def _notes_folder_problem(root: Path, client_id: str) -> Problem | None:
    """content/ID as something other than a folder of notes in the project: a broken
    link or a loop (the client's notes were silently never read), a file, or a link
    that leaves the project."""
    folder = root / CONTENT_DIR / client_id
    shown = f"{CONTENT_DIR}/{client_id}"
    if not os.path.lexists(folder):
        return None
    if not folder.is_dir():
        why = input_file_problem(folder) or "a file"
        why = why.replace(", not a file", "").replace(", not a regular file: only files are read", "")
        return Problem(shown, None, f"{why}, not a folder: the client's notes cannot be read")
    real = os.path.realpath(folder)
    if not _inside(real, os.path.realpath(root)):
        return Problem(shown, None, _OUTSIDE.format(where=real))
    return None


def _display_paths(folder: Path, root: Path) -> Callable[[Path], str]:
    """`display_path(path, root)` of the files in `folder`, its folder resolved once."""
    try:
        inside = Path(os.path.realpath(os.path.abspath(folder))).relative_to(os.path.realpath(root))
    except ValueError:
        return str
    return lambda path: (inside / path.name).as_posix()


def load_note(
    path: Path, shown: str, client_id: str, month: Month, cache: NotesCache | None = None
) -> tuple[Note | None, list[Problem]]:
    try:
        raw = read_input_bytes(path)
    except UnreadableInputError as exc:
        return None, [Problem(shown, None, exc.message)]
    if cache is not None and cache.client_id == client_id:
        return cache.parse(raw, path.name, shown, month)
    return parse_note_bytes(raw, shown, client_id, month)


def parse_note_bytes(
    raw: bytes, shown: str, client_id: str, month: Month
) -> tuple[Note | None, list[Problem]]:
    """A note's file content as a note (None when it has an error) and its problems."""
    text, problem = decode_note(raw, shown)
    if problem is not None:
        return None, [problem]
    return parse_note(text, shown, client_id, month)


def decode_note(raw: bytes, shown: str) -> tuple[str, Problem | None]:
    """A note's text: UTF-8 (a BOM is fine). Anything else is an error at the
    line of the first byte that is not UTF-8: a note is read by the client, so
    its text is never guessed (a Windows-1252 quote read as Latin-1 would be
    an invisible control character on the page)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(shown, 1, "the note is UTF-16 text; save it as UTF-8")
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line, line_start = line_at(body, exc.start)  # CR, CRLF and LF each end a line
        column = len(body[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        snippet = (body[line_start : line_start + 200].splitlines() or [b""])[0].decode("latin-1").strip()
        if len(snippet) > 60:
            snippet = snippet[:60] + "…"
        return "", Problem(
            shown,
            line,
            (
                f"not UTF-8 text: byte 0x{body[exc.start]:02X} at column {column} of {snippet!r} "
                "(a Latin-1 or Windows-1252 file?); save the note as UTF-8"
            ),
        )


def parse_note(text: str, shown: str, client_id: str, month: Month) -> tuple[Note | None, list[Problem]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    ctx = Context(shown)
    front, body, body_line = _split_front_matter(text, ctx)
    if front is INVALID:
        return None, ctx.problems
    clean = (
        FRONT_MATTER.check(front, ctx, 1, "")
        if front is not None
        else {f.name: None for f in FRONT_MATTER.fields}
    )
    body, charts = _extract_charts(body, body_line, ctx)
    if clean is INVALID or any(p.severity == "error" for p in ctx.problems):
        return None, ctx.problems
    note = Note(
        client_id=client_id,
        month=month,
        path=shown,
        status=clean["status"] or "final",
        title=clean["title"],
        summary=clean["summary"],
        highlights=tuple(clean["highlights"] or ()),
        recommendations=tuple(clean["recommendations"] or ()),
        next_steps=tuple(
            NextStep(task=s["task"], owner=s["owner"], due=s["due"], done=bool(s["done"]), line=line)
            for s, line in zip(clean["next_steps"] or (), _step_lines(front), strict=False)
        ),
        meetings=tuple(
            sorted(
                (
                    Meeting(
                        date=m["date"],
                        title=m["title"] or None,
                        attendees=tuple(m["attendees"] or ()),
                        notes=m["notes"],
                    )
                    for m in clean["meetings"] or ()
                ),
                key=lambda m: m.date,
            )
        ),
        annotations=tuple(
            sorted(
                (Annotation(a["date"], a["text"]) for a in clean["annotations"] or ()),
                key=lambda a: (a.date, a.text),
            )
        ),
        body=body,
        charts=tuple(charts),
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )
    return note, ctx.problems


def _split_front_matter(text: str, ctx: Context) -> tuple[YamlMap | None, str, int]:
    """(front matter mapping or None, body, line number where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            block = "\n".join(lines[1:index])
            try:
                front = parse_yaml(block, first_line=2)
            except YamlError as exc:
                ctx.error(exc.line, f"front matter: {exc.message}")
                return INVALID, "", 1
            if front is None:
                front = YamlMap()
                front.line, front.key_lines = 2, {}
            if not isinstance(front, YamlMap):
                ctx.error(2, "front matter must be a mapping of fields (summary: ..., highlights: ...)")
                return INVALID, "", 1
            return front, "\n".join(lines[index + 1 :]), index + 2
    ctx.error(1, "front matter starts with '---' but has no closing '---' line")
    return INVALID, "", 1


def _extract_charts(body: str, first_line: int, ctx: Context) -> tuple[str, list[ChartSpec]]:
    lines = body.split("\n")
    out: list[str] = []
    charts: list[ChartSpec] = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN_RE.match(lines[index].strip())
        if not match:
            out.append(lines[index])
            index += 1
            continue
        start = index
        fence = match.group(1)
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == fence), None)
        line = first_line + start
        if end is None:
            ctx.error(line, f"chart block has no closing {fence}")
            return body, charts
        spec = _parse_chart("\n".join(lines[start + 1 : end]), line, ctx)
        if spec is not None:
            out.extend(["", chart_placeholder(len(charts)), ""])
            charts.append(spec)
        index = end + 1
    return "\n".join(out), charts


def _parse_chart(block: str, line: int, ctx: Context) -> ChartSpec | None:
    try:
        raw = parse_yaml(block, first_line=line + 1)
    except YamlError as exc:
        ctx.error(exc.line, f"chart block: {exc.message}")
        return None
    if not isinstance(raw, YamlMap):
        ctx.error(line, "chart block must hold 'metric: ...' and optional type, by, compare, title")
        return None
    clean = CHART_BLOCK.check(raw, ctx, line, "chart")
    if clean is INVALID:
        return None
    spec = ChartSpec(
        metric=clean["metric"],
        type=clean["type"] or "line",
        by=clean["by"] or DEFAULT_BY,
        compare=clean["compare"],
        title=clean["title"],
        line=line,
    )
    problem = chart_spec_problem(spec)
    if problem is not None:
        ctx.error(line, problem)
        return None
    return spec


def chart_spec_problem(spec: ChartSpec) -> str | None:
    """What is wrong with a chart block whose fields are each valid, or None."""
    groups = CHART_KINDS[spec.by].groups  # points are names (campaigns, channels), not dates
    if spec.type == "pie" and not groups:
        return "chart: a pie chart needs " + either([f"'by: {by}'" for by in kinds_where(groups=True)])
    if spec.compare and spec.type == "pie":
        return "chart: a pie chart cannot compare; use a bar chart"
    if spec.compare == "target" and groups:
        return f"chart: 'compare: target' works with by: {either(kinds_where(groups=False))}"
    return None


def chart_placeholder(index: int) -> str:
    """What stands for a note's chart `index` in its Markdown body: a paragraph of its own,
    which notehtml.fill_chart_slots replaces with the rendered chart."""
    return f"RGCHARTSLOT{index}X"


def _step_lines(front: object) -> list[int | None]:
    """The line of each next step in the front matter (padded with None: zip stops at the steps)."""
    steps = front.get("next_steps") if isinstance(front, dict) else None
    lines = [getattr(s, "line", None) for s in steps] if isinstance(steps, list) else []
    return lines + [None] * 1000


def task_key(task: str) -> str:
    """A next step's identity across notes: the same task however it is typed — Unicode
    composed or not (NFKC: "é" as one or two code points), in any case, with any
    spacing; a later note closing it with visually identical text closes it."""
    text = unicodedata.normalize("NFKC", str(task))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, bidi marks
    return " ".join(unicodedata.normalize("NFKC", text.casefold()).split())


def open_next_steps(notes: Iterable[Note]) -> list[tuple[NextStep, Note]]:
    """Steps not done, by their latest mention (a later note can close a step), due date first."""
    latest: dict[str, tuple[NextStep, Note]] = {}
    for note in sorted(notes, key=lambda n: n.month):
        for step in note.next_steps:
            latest[task_key(step.task)] = (step, note)
    steps = [pair for pair in latest.values() if not pair[0].done]
    return sorted(steps, key=lambda p: (p[0].due is None, p[0].due or dt.date.min, p[0].task))
