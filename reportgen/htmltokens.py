"""The tags of an HTML page as a browser's tokenizer sees them, with their source spans.

csp.py decides where a page's Content-Security-Policy <meta> is, and whether a
template already put it first, on what a browser parses — not on the text: a
`<meta>` inside a comment, a `<script>`, a `<style>`, a `<title>` or an attribute
value is no tag. This follows the WHATWG tokenizer for what can hide a tag
(comments, bogus comments, doctypes, raw-text and RCDATA elements, script
escapes, quoted and unquoted attribute values) and the tree builder only as far
as the tokenizer depends on it (SVG/MathML content, where `<style>` is not raw
text and `<![CDATA[` opens a section). Standard library only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

WHITESPACE = "\t\n\f\r "
_SPACES = re.compile(r"[\t\n\f\r ]*")
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
_SPACES_AND_SLASHES = re.compile(r"[\t\n\f\r /]*")
# One attribute, from the spaces (and stray slashes) before it: its name (which may start
# with `=`), its `=` if it has a value, and the value — quoted (group 3, with its quotes) or not (4).
_ATTRIBUTE = re.compile(
    r"""[\t\n\f\r /]*([^\t\n\f\r />][^\t\n\f\r />=]*)"""
    r"""(?:[\t\n\f\r ]*(=)[\t\n\f\r ]*(?:("[^"]*"|'[^']*')|([^\t\n\f\r >"'][^\t\n\f\r >]*))?)?"""
)
_COMMENT_END = re.compile(r"--!?>")
# Elements whose content is text up to their end tag (HTML content, scripting enabled).
_RAW_TEXT = frozenset({"style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea"})
# Start tags that end SVG/MathML content (the tree builder's "breakout" list).
_BREAKOUT_NAMES = (
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li "
    "listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var"
)
_BREAKOUT = frozenset(_BREAKOUT_NAMES.split())
# Elements inside SVG/MathML whose content is HTML again (integration points).
_INTEGRATION = frozenset({"foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext"})


@dataclass(frozen=True)
class Token:
    """One token: `kind` is doctype, comment, text, start or end; `page[start:end]` is its source."""

    kind: str
    start: int
    end: int
    name: str = ""  # tags: the lowercased name
    attributes: dict[str, str] = field(default_factory=dict)  # start tags: unescaped values

    def attribute(self, name: str) -> str | None:
        return self.attributes.get(name)


@dataclass
class _Frame:
    """HTML content, or SVG/MathML content with its open elements."""

    foreign: bool
    open: list[str] = field(default_factory=list)
    closer: str = ""  # an HTML frame inside an integration point: the end tag that leaves it


def tokens(page: str) -> Iterator[Token]:
    """The page's tokens in order; text runs may come in several pieces."""
    frames = [_Frame(foreign=False)]
    at, size = 0, len(page)
    while at < size:
        lt = page.find("<", at)
        if lt < 0:
            yield Token("text", at, size)
            return
        if lt > at:
            yield Token("text", at, lt)
        following = page[lt + 1 : lt + 2]
        if following.isascii() and following.isalpha():
            tag = _tag(page, lt, lt + 1, "start")
            if tag is None:  # unfinished tag at the end: a browser drops it
                return
            yield tag
            at = yield from _after_start_tag(page, tag, frames)
        elif following == "/":
            at = yield from _end_tag_or_comment(page, lt, frames)
        elif following == "!":
            at = yield from _markup_declaration(page, lt, frames[-1].foreign)
        elif following == "?":
            at = yield from _bogus_comment(page, lt, lt + 2)
        else:
            yield Token("text", lt, lt + 1)
            at = lt + 1


def _after_start_tag(page: str, tag: Token, frames: list[_Frame]) -> Generator[Token, None, int]:
    """Where tokenizing resumes after `tag`: past its raw text, if it has some."""
    frame = frames[-1]
    name, closed = tag.name, page[tag.end - 2 : tag.end] == "/>"
    if frame.foreign and (name in _BREAKOUT or (name == "font" and _font_breaks_out(tag))):
        while frames[-1].foreign:
            frames.pop()
        frame = frames[-1]
    if frame.foreign:
        if not closed:
            frame.open.append(name)
            if name in _INTEGRATION:
                frames.append(_Frame(foreign=False, closer=name))
        return tag.end
    if name in ("svg", "math") and not closed:
        frames.append(_Frame(foreign=True, open=[name]))
        return tag.end
    if name == "plaintext":
        if tag.end < len(page):
            yield Token("text", tag.end, len(page))
        return len(page)
    if name == "script":
        return (yield from _raw_text(page, tag.end, _script_end(page, tag.end)))
    if name in _RAW_TEXT:
        return (yield from _raw_text(page, tag.end, _end_tag_at(page, tag.end, name)))
    return tag.end


def _font_breaks_out(tag: Token) -> bool:
    return any(name in tag.attributes for name in ("color", "face", "size"))


def _raw_text(page: str, start: int, end: int) -> Generator[Token, None, int]:
    if end > start:
        yield Token("text", start, end)
    return end


def _end_tag_or_comment(page: str, lt: int, frames: list[_Frame]) -> Generator[Token, None, int]:
    following = page[lt + 2 : lt + 3]
    if following == ">":  # `</>`: dropped
        return lt + 3
    if not following:
        yield Token("text", lt, lt + 2)
        return lt + 2
    if not (following.isascii() and following.isalpha()):
        return (yield from _bogus_comment(page, lt, lt + 2))
    tag = _tag(page, lt, lt + 2, "end")
    if tag is None:
        return len(page)
    yield tag
    _close(tag.name, frames)
    return tag.end


def _close(name: str, frames: list[_Frame]) -> None:
    frame = frames[-1]
    if not frame.foreign and frame.closer == name:
        frames.pop()
        frame = frames[-1]
    if frame.foreign and name in frame.open:
        del frame.open[len(frame.open) - 1 - frame.open[::-1].index(name) :]
        if not frame.open:
            frames.pop()


def _markup_declaration(page: str, lt: int, foreign: bool) -> Generator[Token, None, int]:
    if page.startswith("<!--", lt):
        if page.startswith(">", lt + 4) or page.startswith("->", lt + 4):  # `<!-->`, `<!--->`
            end = page.index(">", lt + 4) + 1
        else:
            found = _COMMENT_END.search(page, lt + 4)
            end = found.end() if found else len(page)
        yield Token("comment", lt, end)
        return end
    if page[lt + 2 : lt + 9].lower() == "doctype":
        close = page.find(">", lt + 9)  # a doctype ends at its first `>`, even inside quotes
        end = close + 1 if close >= 0 else len(page)
        yield Token("doctype", lt, end)
        return end
    if foreign and page.startswith("<![CDATA[", lt):
        close = page.find("]]>", lt + 9)
        end = close + 3 if close >= 0 else len(page)
        yield Token("text", lt, end)
        return end
    return (yield from _bogus_comment(page, lt, lt + 2))


def _bogus_comment(page: str, lt: int, start: int) -> Generator[Token, None, int]:
    close = page.find(">", start)
    end = close + 1 if close >= 0 else len(page)
    yield Token("comment", lt, end)
    return end


def _tag(page: str, lt: int, name_at: int, kind: str) -> Token | None:
    """The tag starting at `lt` (its name at `name_at`), or None if the page ends inside it."""
    at = _skip(_TAG_NAME, page, name_at)
    name = page[name_at:at].lower()
    attributes: dict[str, str] = {}
    while True:
        found = _ATTRIBUTE.match(page, at)
        if found is None:  # only slashes and spaces left: `>` ends the tag, the end drops it
            at = _skip(_SPACES_AND_SLASHES, page, at)
            if page.startswith(">", at):
                return Token(kind, lt, at + 1, name, attributes)
            return None
        attribute, equals, quoted, unquoted = found.group(1, 2, 3, 4)
        at = found.end()
        if equals and quoted is None and unquoted is None and (at >= len(page) or page[at] in "\"'"):
            return None  # the page ends in the value (an unclosed quote runs to the end)
        value = quoted[1:-1] if quoted is not None else unquoted or ""
        attributes.setdefault(attribute.lower(), html.unescape(value) if "&" in value else value)


def _skip(pattern: re.Pattern[str], page: str, at: int) -> int:
    """Where a run of `pattern` (which may be empty, so always matches) starting at `at` ends."""
    found = pattern.match(page, at)
    return found.end() if found else at


def _end_tag_at(page: str, start: int, name: str) -> int:
    """Where the raw text of a `name` element that starts at `start` ends."""
    found = re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE).search(page, start)
    return found.start() if found else len(page)


_SCRIPT_DATA = re.compile(r"<!--|</script(?=[\t\n\f\r />])", re.IGNORECASE)
_SCRIPT_ESCAPED = re.compile(r"-->|</script(?=[\t\n\f\r />])|<script(?=[\t\n\f\r />])", re.IGNORECASE)
_SCRIPT_DOUBLE_ESCAPED = re.compile(r"-->|</script(?=[\t\n\f\r />])", re.IGNORECASE)


def _script_end(page: str, start: int) -> int:
    """Where a script's text ends: its `</script`, past `<!--` … `<script>` escapes."""
    state, at = "data", start
    while True:
        if state == "data":
            found = _SCRIPT_DATA.search(page, at)
            if found is None:
                return len(page)
            if found.group(0) != "<!--":
                return found.start()
            state, at = "escaped", found.start() + 2  # `<!-->` ends the escape at once
        elif state == "escaped":
            found = _SCRIPT_ESCAPED.search(page, at)
            if found is None:
                return len(page)
            text = found.group(0).lower()
            if text == "-->":
                state = "data"
            elif text.startswith("</"):
                return found.start()
            else:
                state = "double"
            at = found.end()
        else:
            found = _SCRIPT_DOUBLE_ESCAPED.search(page, at)
            if found is None:
                return len(page)
            state = "data" if found.group(0) == "-->" else "escaped"
            at = found.end()
