"""Present: a note's Markdown body → safe HTML for the report page.

Raw HTML is allowed in a note but sanitized with nh3 (ammonia): no script, no
event handlers, no javascript: URLs survive. What survives is then made whole
for assistive technology (a link always has text, a list holds list items) and
every id is prefixed so that a note never takes a page's own. Each ```chart
block of the note (lifted out by notes.py) left a slot that `fill_chart_slots`
fills with the rendered chart.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Collection
from html import escape as html_escape
from html import unescape as html_unescape
from html.parser import HTMLParser
from typing import Any, TypeAlias

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from .notes import chart_placeholder

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


_SANITIZER_OPTIONS: dict[str, Any] = {
    "tags": _ALLOWED_TAGS,
    "attributes": _ALLOWED_ATTRIBUTES,
    "url_schemes": {"http", "https", "mailto"},
    "filter_style_properties": {"text-align"},
    "link_rel": "noopener noreferrer",
    "strip_comments": True,
}


def sanitize_html(html: str) -> str:
    return _prefix_note_ids(_repair_structure(_sanitizer()(html)))


@functools.cache
def _sanitizer() -> Callable[[str], str]:
    """nh3's cleaner with the options above, made once (nh3.clean builds one at every call);
    nh3.clean itself where nh3 is older than its Cleaner."""
    cleaner = getattr(nh3, "Cleaner", None)
    if cleaner is None:
        return functools.partial(nh3.clean, **_SANITIZER_OPTIONS)
    clean: Callable[[str], str] = cleaner(**_SANITIZER_OPTIONS).clean
    return clean


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
            if child.tag == "summary":
                # A summary is the toggle: a link inside it is a control inside a control
                # (axe nested-interactive), so it shows as its text (its URL if it had none).
                _unwrap_links(child)
                if not _shows_text(child.text()):
                    continue  # an empty summary: the browser shows its own "Details"
            if child.tag == "a" and not _shows_text(child.text()):
                href = child.attrs.get("href")
                if href:  # a link with no text is named by where it goes
                    child.children.append(html_escape(href, quote=False))
        repaired.append(child)
    element.children = repaired


def _unwrap_links(element: _Element) -> None:
    """Every link under `element` replaced by what it shows."""
    unwrapped: list[Node] = []
    for child in element.children:
        if isinstance(child, _Element):
            _unwrap_links(child)
            if child.tag == "a":
                unwrapped.extend(child.children)
                continue
        unwrapped.append(child)
    element.children = unwrapped


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
