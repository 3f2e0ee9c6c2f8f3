"""Read plain block YAML (a typical clients.yaml) without libyaml's nodes.

A large agency's clients.yaml is tens of thousands of lines of `key: value`,
`- item` and nested blocks; composing it with libyaml and converting the nodes
cost a no-op rebuild a good share of its time. `read_block` reads exactly that
shape, line by line, straight into the values yamlfile.py's converter makes
(YamlMap, YamlList, the same scalars, lines and key lines), and answers None
for anything else: flow collections, multi-line or escaped scalars, anchors,
tags, comments after a value, tabs, document markers, a character YAML forbids
or a break YAML reads as a line end, and any document the converter would
refuse (a duplicate key, an invalid value, too many values or levels).
yamlfile.py then reads it with libyaml as before, so every message is the same.
tests/test_speed_noop.py checks both ways answer alike on random documents.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .yamlfile import MAX_DEPTH, MAX_NODES, YamlError, YamlList, YamlMap

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"

# Characters YAML refuses (the reader's printable set), and the breaks YAML 1.1 also
# reads as line ends (NEL, LS, PS) or a byte-order mark inside the text.
_UNUSUAL_RE = re.compile(
    "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_MAX_TAGS = 8192

_resolver = yaml.resolver.Resolver()
_tags: dict[str, str] = {}  # plain scalar → its implicit tag (a pure function of the text)


class _Unusual(Exception):
    """Not plain block YAML, or not a document the converter accepts: use libyaml."""


def _plain_tag(value: str) -> str:
    tag = _tags.get(value)
    if tag is None:
        tag = _resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if len(value) <= 100:
            if len(_tags) >= _MAX_TAGS:
                _tags.clear()
            _tags[value] = tag
    return tag


def _scalar(text: str) -> tuple[str, str]:
    """(tag, value) of a scalar as written after `key: ` or `- ` (stripped), or refused."""
    if not text:
        return _plain_tag(""), ""
    first = text[0]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Unusual
        return _STR_TAG, inner.replace("''", "'")
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Unusual
        return _STR_TAG, inner
    if not (first.isalnum() or first in "_./+($^" or (first == "-" and text[1:2] in _DIGIT_OR_DOT)):
        raise _Unusual
    if ": " in text or " #" in text or text.endswith(":") or text.startswith("..."):
        raise _Unusual
    return _plain_tag(text), text


_DIGIT_OR_DOT = frozenset("0123456789.")


def _node(tag: str, value: str, line: int) -> yaml.ScalarNode:
    """A scalar node for the converter (it reads the tag, the value and the line)."""
    mark: Any = yaml.Mark("<unicode string>", 0, line, 0, "", 0)
    return yaml.ScalarNode(tag, value, mark, mark)


def _split_key(content: str) -> tuple[str, str] | None:
    """`key: value` or `key:` → (key, value); None for any other line."""
    match = _KEY_RE.match(content)
    if match is None:
        return None
    end = match.end()
    if content[end : end + 1] != ":":
        return None
    rest = content[end + 1 :]
    if rest and rest[0] != " ":
        return None
    return content[:end], rest.strip(" ")


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


class _Reader:
    """The document's content lines, (line index, indent, text after the indent), read once."""

    def __init__(self, text: str, first_line: int, convert_scalar: Any):
        self.items: list[tuple[int, int, str]] = []
        for number, raw in enumerate(text.split("\n")):
            content = raw.lstrip(" ")
            if content and content[0] != "#":
                self.items.append((number, len(raw) - len(content), content.rstrip(" ")))
        self.at = 0
        self.first_line = first_line
        self.convert_scalar = convert_scalar  # the converter's, for every scalar that is not text
        self.values = 0

    def count(self, depth: int) -> None:
        """One more value, as the converter counts them (it refuses too many, too deep)."""
        self.values += 1
        if self.values > MAX_NODES or depth > MAX_DEPTH:
            raise _Unusual

    def scalar(self, text: str, line: int, depth: int) -> Any:
        self.count(depth)
        tag, value = _scalar(text)
        if tag == _STR_TAG:
            return value
        return self.convert_scalar(_node(tag, value, line))

    def key(self, text: str, line: int) -> str:
        tag, value = _scalar(text)
        if tag == _STR_TAG:
            return value
        key = self.convert_scalar(_node(tag, value, line))
        if key is None or isinstance(key, (list, dict)):
            raise _Unusual
        return str(key)

    def block(self, indent: int, depth: int, first: tuple[int, int, str] | None = None) -> tuple[Any, int]:
        """(value, its first line) of the block at the current line (or `first`, a
        mapping's first entry written after a sequence's dash), indented by `indent`."""
        content = first[2] if first else self.items[self.at][2]
        if first is None and _is_item(content):
            return self.sequence(indent, depth)
        return self.mapping(indent, depth, first)

    def below(self, indent: int, line: int, depth: int, indentless: bool) -> tuple[Any, int]:
        """What follows `key:` or `-` with nothing after it: a block indented further,
        (after a key) a sequence at the key's own indent, or an empty value."""
        if self.at < len(self.items):
            _number, column, content = self.items[self.at]
            if column > indent:
                return self.block(column, depth)
            if indentless and column == indent and _is_item(content):
                return self.sequence(indent, depth)
        return self.scalar("", line, depth), line

    def mapping(self, indent: int, depth: int, first: tuple[int, int, str] | None) -> tuple[YamlMap, int]:
        self.count(depth)
        items = self.items
        result = YamlMap()
        result.key_lines = key_lines = {}
        start: int | None = None
        while True:
            if first is not None:
                number, column, content = first
                first = None
            else:
                if self.at >= len(items):
                    break
                number, column, content = items[self.at]
                if column < indent:
                    break
                if column > indent:
                    raise _Unusual
            split = _split_key(content)
            if split is None:
                raise _Unusual
            if start is None:
                start = number
            text, value = split
            self.at += 1
            key = self.key(text, number)
            if key in result:
                raise _Unusual  # a duplicate key: the converter says where
            key_lines[key] = number + self.first_line
            if value:
                result[key] = self.scalar(value, number, depth + 1)
                if self.at < len(items) and items[self.at][1] > indent:
                    raise _Unusual  # a scalar continued on the next line
            else:
                result[key] = self.below(indent, number, depth + 1, indentless=True)[0]
        assert start is not None
        result.line = start + self.first_line
        return result, start

    def sequence(self, indent: int, depth: int) -> tuple[YamlList, int]:
        self.count(depth)
        items = self.items
        result = YamlList()
        lines: list[int] = []
        start = items[self.at][0]
        while self.at < len(items):
            number, column, content = items[self.at]
            if column < indent or (column == indent and not _is_item(content)):
                break
            if column > indent:
                raise _Unusual
            rest = content[1:]
            value = rest.lstrip(" ")
            if not value:
                self.at += 1
                item, line = self.below(indent, number, depth + 1, indentless=False)
            elif _is_item(value) or value[0] in "?:":
                raise _Unusual  # "- - x", a complex key
            elif _split_key(value) is not None:
                inner = column + 1 + len(rest) - len(value)
                item, line = self.mapping(inner, depth + 1, (number, inner, value))
            else:
                self.at += 1
                item, line = self.scalar(value, number, depth + 1), number
                if self.at < len(items) and items[self.at][1] > indent:
                    raise _Unusual
            result.append(item)
            lines.append(line + self.first_line)
        result.line = start + self.first_line
        result.item_lines = lines
        return result, start


def read_block(text: str, first_line: int, convert_scalar: Any) -> tuple[bool, Any]:
    """(True, the document's value as the converter makes it), or (False, None)
    when the text is not plain block YAML the converter accepts (then use libyaml).
    `convert_scalar` is the converter's, for every scalar that is not text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _UNUSUAL_RE.search(text):
        return False, None
    try:
        reader = _Reader(text, first_line, convert_scalar)
        if not reader.items:
            return False, None
        value, _line = reader.block(reader.items[0][1], 0)
        if reader.at != len(reader.items):
            return False, None
        return True, value
    except (_Unusual, YamlError, IndexError, RecursionError):
        return False, None
