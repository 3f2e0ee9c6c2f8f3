"""Monthly notes: content/<client>/YYYY-MM.md → `Note`, and Markdown → safe HTML.

A note is YAML front matter between `---` lines and a Markdown body. Fenced
```chart blocks are lifted out of the body into `ChartSpec`s (with their line
numbers) and replaced by placeholders that the render stage fills. Raw HTML
is allowed in the body but sanitized with nh3 (ammonia): no script, no event
handlers, no javascript: URLs survive.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from html import escape as html_escape
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeAlias

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from .chartkinds import CHART_KINDS, DEFAULT_BY, kinds_where
from .errors import Problem, did_you_mean, display_path, either
from .inputfiles import UnreadableInputError, line_at, read_input_bytes
from .model import Annotation, ChartSpec, Meeting, Month, NextStep, Note
from .schema import INVALID, Boolean, Choice, Context, DateKind, Field, Kind, ListOf, Obj, Text
from .yamlfile import YamlError, YamlMap, parse_yaml

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
    if not folder.is_dir():
        return []
    # Not is_file(): a FIFO, a device or a symlink loop named like a note is an
    # error when it is read (never opened), not a note silently left out.
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() == ".md" and not p.name.startswith(".") and not p.is_dir()
    )


def load_client_notes(root: Path, client_id: str) -> tuple[list[Note], list[Problem]]:
    """One client's notes, oldest first, and the problems in them."""
    notes: list[Note] = []
    problems: list[Problem] = []
    for path in note_paths(root, client_id):
        shown = display_path(path, root)
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
        note, note_problems = load_note(path, shown, client_id, month)
        problems.extend(note_problems)
        if note is not None:
            notes.append(note)
    return notes, problems


def load_note(path: Path, shown: str, client_id: str, month: Month) -> tuple[Note | None, list[Problem]]:
    try:
        raw = read_input_bytes(path)
    except UnreadableInputError as exc:
        return None, [Problem(shown, None, exc.message)]
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
    groups = CHART_KINDS[spec.by].groups  # points are names (campaigns, channels), not dates
    if spec.type == "pie" and not groups:
        ctx.error(
            line, "chart: a pie chart needs " + either([f"'by: {by}'" for by in kinds_where(groups=True)])
        )
        return None
    if spec.compare and spec.type == "pie":
        ctx.error(line, "chart: a pie chart cannot compare; use a bar chart")
        return None
    if spec.compare == "target" and groups:
        ctx.error(line, f"chart: 'compare: target' works with by: {either(kinds_where(groups=False))}")
        return None
    return spec


def chart_placeholder(index: int) -> str:
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


# --- Markdown → safe HTML ----------------------------------------------------------

_ALLOWED_TAGS = (nh3.ALLOWED_TAGS | {"details", "summary", "figure", "figcaption", "mark"}) - {
    "img"
}  # images would load from outside the portal; notes link to files instead
_ALLOWED_ATTRIBUTES = {
    **{f"h{i}": {"id"} for i in range(1, 7)},
    "a": {"href", "title"},
    "code": {"class"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
    "abbr": {"title"},
    "ol": {"start"},
}


def render_markdown(text: str) -> str:
    """Markdown (tables, fenced code, heading anchors) → sanitized HTML."""
    md = _markdown()
    md.reset()  # one converter per process: building one costs more than a conversion
    html = md.convert(text)
    html = sanitize_html(html)
    # One <h1> per page (the report's title): a note's top-level heading becomes <h2>.
    html = re.sub(r"<(/?)h1([ >])", r"<\1h2\2", html)
    # A note's table scrolls inside its own box (focusable, so a keyboard can
    # scroll it) instead of widening the page on a phone. The tags are the
    # sanitizer's own output, so matching them as text is exact.
    html = _TABLE_OPEN_RE.sub(r'<div class="table-scroll note-table" tabindex="0">\g<0>', html)
    return html.replace("</table>", "</table></div>")


_TABLE_OPEN_RE = re.compile(r"<table(?=[\s>])[^>]*>")


@functools.cache
def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "toc"],
        extension_configs={"toc": {"slugify": slugify_unicode, "permalink": False}},
        output_format="html",
    )


# Every id in a note (raw HTML or a Markdown heading anchor) is this prefix and
# the id the note gave, which no id of the page's own starts with: a note cannot
# take or repeat a page's ids (`## Budget` gets `note-budget`, never `budget`).
# Ids are then made unique within the note too (a raw `<h2 id="budget">` beside a
# `## Budget` heading, or a heading called "note-budget"), by construction rather
# than by nh3's id_prefix, which leaves an id that already starts with the prefix
# as it is.
NOTE_ID_PREFIX = "note-"
# The sanitizer's own output: only headings carry an id (the one attribute they
# may have), attribute values are double-quoted with `"` escaped, and a `<` in
# text is escaped, so these match tags, never text.
_HEADING_ID_RE = re.compile(r'(<h[1-6] id=")([^"]*)(")')
_FRAGMENT_HREF_RE = re.compile(r'(<a(?:\s+[\w:-]+="[^"]*")*?\s+href="#)([^"]*)(")')


def sanitize_html(html: str) -> str:
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return _prefix_note_ids(_repair_structure(clean))


# --- what survives sanitizing, made whole for assistive technology ----------------------
#
# nh3 keeps allowed tags where the note put them, so a note can still hold a link with no
# text (`[](https://…)`, or `<a href><img></a>` once the image is stripped), a `<p>` inside
# a `<ul>`, an `<li>` outside any list, a `<dt>` outside a `<dl>` or an empty `<summary>`:
# each one a serious axe-core violation. This pass rebuilds such places from the
# sanitizer's own output (well formed: every element closed, attributes quoted), leaving
# everything else byte for byte as it was.

_VOID_TAGS = frozenset({"area", "br", "col", "hr", "img", "wbr"})
_LISTS = frozenset({"ul", "ol"})
_DEFINITION_ITEMS = frozenset({"dt", "dd"})


Node: TypeAlias = "str | _Element"  # raw HTML text (entities as written) or an element


class _Element:
    """An element of the sanitizer's output; its children are elements and raw text."""

    __slots__ = ("attrs", "children", "start", "tag")

    def __init__(
        self,
        tag: str,
        start: str,
        children: list[Node] | None = None,
        attrs: dict[str, str | None] | None = None,
    ) -> None:
        self.tag, self.start = tag, start
        self.children = children if children is not None else []
        self.attrs = attrs or {}

    def html(self) -> str:
        inner = "".join(c if isinstance(c, str) else c.html() for c in self.children)
        return self.start if self.tag in _VOID_TAGS else f"{self.start}{inner}</{self.tag}>"

    def text(self) -> str:
        return "".join(html_unescape(c) if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """The sanitizer's output as a tree of `_Element`s and raw text (entities kept as written)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.root = _Element("", "")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, self.get_starttag_text() or f"<{tag}>", attrs=dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, self.get_starttag_text() or f"<{tag}>")
        if tag not in _VOID_TAGS:  # `<p/>`: closed at once
            element.start = f"<{tag}>"
        self.stack[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_entityref(self, name: str) -> None:
        self.stack[-1].children.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.stack[-1].children.append(f"&#{name};")


def _shows_text(text: str) -> bool:
    """Whether text shows anything: not only spaces, controls and invisible format characters."""
    return any(unicodedata.category(ch)[0] not in "ZC" for ch in text)


def _blank(child: Node) -> bool:
    return isinstance(child, str) and not _shows_text(html_unescape(child))


def _wrap_runs(
    children: list[Node], belongs: Callable[[Node], bool], tag: str, keep_blank: bool = True
) -> list[Node]:
    """Each run of children for which `belongs` is true (blank text between them joins the
    run) wrapped in a new `<tag>` element."""
    out: list[Node] = []
    run: list[Node] = []

    def close() -> None:
        trailing: list[Node] = []
        while run and _blank(run[-1]):
            trailing.insert(0, run.pop())
        if run:
            out.append(_Element(tag, f"<{tag}>", run[:]))
        out.extend(trailing)
        run.clear()

    for child in children:
        if belongs(child) or (run and keep_blank and _blank(child)):
            run.append(child)
        else:
            close()
            out.append(child)
    close()
    return out


def _is(tags: Collection[str]) -> Callable[[Node], bool]:
    return lambda child: isinstance(child, _Element) and child.tag in tags


def _repair(element: _Element) -> None:
    children = element.children
    if element.tag in _LISTS:  # a list holds list items only: anything else goes into one
        children = _wrap_runs(
            children, lambda c: not _blank(c) and not _is({"li"})(c), "li", keep_blank=False
        )
    else:  # a list item outside a list gets one
        children = _wrap_runs(children, _is({"li"}), "ul")
    if element.tag == "dl":  # a description list holds terms and descriptions only
        children = _wrap_runs(
            children, lambda c: not _blank(c) and not _is(_DEFINITION_ITEMS)(c), "dd", keep_blank=False
        )
        items = "".join(c.tag[1] for c in children if isinstance(c, _Element))
        if "t" not in items or "d" not in items[items.index("t") :]:
            # no term before a description: not a description list, plain blocks then
            element.tag, element.start = "div", "<div>"
            for child in children:
                if isinstance(child, _Element):
                    child.tag, child.start = "div", "<div>"
    else:
        children = _wrap_runs(children, _is(_DEFINITION_ITEMS), "dl")
    repaired: list[Node] = []
    for child in children:
        if isinstance(child, _Element):
            _repair(child)
            if child.tag == "summary" and not _shows_text(child.text()):
                continue  # an empty summary: the browser shows its own "Details"
            if child.tag == "a" and not _shows_text(child.text()):
                href = child.attrs.get("href")
                if href:  # a link with no text is named by where it goes
                    child.children.append(html_escape(href, quote=False))
        repaired.append(child)
    element.children = repaired


def _repair_structure(html: str) -> str:
    if not _NEEDS_REPAIR_RE.search(html):
        return html  # no list, link or summary: nothing this pass could change
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    _repair(builder.root)
    return "".join(c if isinstance(c, str) else c.html() for c in builder.root.children)


_NEEDS_REPAIR_RE = re.compile(r"<(?:li|ul|ol|dl|dt|dd|a|summary)[\s>]")


def _prefix_note_ids(html: str) -> str:
    """Every heading id prefixed and unique; links to the note's own anchors
    (`[x](#budget)`) follow them to their new ids, links to the page's sections
    (#campaigns) stay as they are."""
    used: set[str] = set()
    renamed: dict[str, str] = {}  # the id the note gave -> its first heading's new id

    def rename(match: re.Match[str]) -> str:
        given = match[2]
        new = base = NOTE_ID_PREFIX + given
        number = 2
        while new in used:
            new, number = f"{base}-{number}", number + 1
        used.add(new)
        renamed.setdefault(given, new)
        return f"{match[1]}{new}{match[3]}"

    html = _HEADING_ID_RE.sub(rename, html)
    return _FRAGMENT_HREF_RE.sub(lambda m: f"{m[1]}{renamed[m[2]]}{m[3]}" if m[2] in renamed else m[0], html)


def fill_chart_slots(html: str, charts: list[str]) -> str:
    """Put each rendered chart where its ```chart block stood."""
    for index, chart_html in enumerate(charts):
        slot = chart_placeholder(index)
        html = html.replace(f"<p>{slot}</p>", chart_html, 1)
    return html
