"""YAML that remembers where everything came from.

PyYAML's safe loader forgets line numbers and silently keeps the last of two
duplicate keys. Here the document is composed into nodes (which carry marks),
then turned into `YamlMap` / `YamlList` values that remember the line of
every key and item, so every later validation error can say `path:line`.

Hostile documents are refused rather than expanded: alias "billion laughs"
bombs hit a node budget, absurd nesting hits a depth limit.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_NODES = 200_000  # far above any real clients.yaml; stops alias bombs early
MAX_DEPTH = 64


class YamlError(Exception):
    """A document that cannot be read; `line` is 1-based or None."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


class YamlMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int | None = None
    key_lines: dict[str, int] = {}  # noqa: RUF012 (replaced per instance by the converter)

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key, self.line)


class YamlInt(int):
    """An integer as written: `text` keeps the scalar, because YAML 1.1 also
    reads `1_000`, `0x10`, `010` (octal) and `1:30` as integers, which a
    number field refuses (it follows the CSV's rules)."""

    text: str = ""


class YamlFloat(float):
    """A float as written (`text`): YAML 1.1 also reads `1_000.5`, `.inf`, `.nan`."""

    text: str = ""


_NUMBER_TAGS = {"tag:yaml.org,2002:int": YamlInt, "tag:yaml.org,2002:float": YamlFloat}


class YamlList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int | None = None
    item_lines: list[int] = []  # noqa: RUF012 (replaced per instance by the converter)

    def line_of(self, index: int) -> int | None:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def parse_yaml(text: str, *, first_line: int = 1) -> Any:
    """Parse one YAML document into plain values with line information.

    `first_line` shifts reported lines, for YAML embedded in a larger file
    (a note's front matter, a chart block).
    """
    _refuse_deep_nesting(text, first_line)
    try:
        node = yaml.compose(text, Loader=_FastLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        raise YamlError(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids: no mark, only an offset
        raise YamlError(_bad_character(exc), _bad_character_line(text, exc) + first_line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply", None) from None
    if node is None:
        return None
    return _Converter(first_line).convert(node, 0)


def _character_code(exc: yaml.reader.ReaderError) -> int:
    return exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")


def _bad_character_line(text: str, exc: yaml.reader.ReaderError) -> int:
    """Lines before the character: the parser reports the first one it refuses, as an
    offset in characters (PyYAML) or in bytes (libyaml), so look for the character."""
    at = text.find(chr(_character_code(exc)))
    return text.count("\n", 0, at if at >= 0 else exc.position)


def _bad_character(exc: yaml.reader.ReaderError) -> str:
    code = _character_code(exc)
    return (
        f"invalid YAML: the character U+{code:04X} is not allowed ({exc.reason}); delete it, "
        f'or write it as an escape inside double quotes ("\\x{code:02x}")'
        if code < 0x100
        else f"invalid YAML: the character U+{code:04X} is not allowed ({exc.reason}); delete it"
    )


class _Loader(yaml.SafeLoader):
    """Safe loader; only its scalar constructors are used."""


# libyaml's parser is ~14x faster at composing; it is only handed documents
# whose nesting was bounded first (it overflows the C stack on absurd depth).
_FastLoader: type[Any] = _Loader
_TAGS: dict[tuple[Any, Any, Any], str] = {}  # (kind, value, implicit) -> implicit tag


if hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):
        """libyaml's safe loader, resolving each short scalar's tag once per process (a
        pure function of its kind, text and style: no path resolvers are registered)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if value is None or len(value) > 100:
                return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            key = (kind, value, implicit)
            tag = _TAGS.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(_TAGS) >= 8192:
                    _TAGS.clear()
                _TAGS[key] = tag
            return tag

    _FastLoader = _CLoader

_BRACKETS_RE = re.compile(r"[\[\]{}]")
_INDENT_RE = re.compile(rf"^[ \t-]{{{MAX_DEPTH * 8},}}", re.MULTILINE)


def _refuse_deep_nesting(text: str, first_line: int) -> None:
    depth = 0
    for match in _BRACKETS_RE.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + first_line
            raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
    deep = _INDENT_RE.search(text)
    if deep:
        line = text.count("\n", 0, deep.start()) + first_line
        raise YamlError(f"nested more than {MAX_DEPTH} levels deep (or indented absurdly far)", line)


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_STR_TAG = "tag:yaml.org,2002:str"


class _Converter:
    def __init__(self, first_line: int):
        self.first_line = first_line
        self.nodes_seen = 0
        self.scalar_loader = _Loader("")

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.first_line

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self.nodes_seen += 1
        if self.nodes_seen > MAX_NODES:
            raise YamlError(
                f"document expands to more than {MAX_NODES:,} values (an alias bomb?); refusing to read it",
                self.line(node),
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"nested more than {MAX_DEPTH} levels deep", self.line(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            raise YamlError(f"YAML tag '{node.tag}' is not supported", self.line(node))
        if isinstance(node, yaml.MappingNode):
            return self.convert_mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            result = YamlList(self.convert(item, depth + 1) for item in node.value)
            result.line = self.line(node)
            result.item_lines = [self.line(item) for item in node.value]
            return result
        return self.convert_scalar(node)

    def convert_mapping(self, node: yaml.MappingNode, depth: int) -> YamlMap:
        result = YamlMap()
        result.line = self.line(node)
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("YAML merge keys (<<) are not supported", self.line(key_node))
            key = self.convert_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                raise YamlError("mapping keys must be plain text", self.line(key_node))
            key = str(key)
            if key in result:
                raise YamlError(
                    f"duplicate key '{key}' (first on line {result.key_lines[key]})",
                    self.line(key_node),
                )
            result.key_lines[key] = self.line(key_node)
            result[key] = self.convert(value_node, depth + 1)
        return result

    def convert_scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG:  # what the safe constructor makes of it: the scalar's text
            return node.value
        try:
            value = self.scalar_loader.construct_object(node, deep=True)
        except ValueError:
            if node.tag == "tag:yaml.org,2002:timestamp" or node.tag in _NUMBER_TAGS:
                return node.value  # an impossible date, a 5,000-digit integer: the field says why
            raise YamlError(f"invalid value '{node.value}'", self.line(node)) from None
        except yaml.MarkedYAMLError as exc:
            raise YamlError(f"invalid value: {exc.problem}", self.line(node)) from None
        except (yaml.YAMLError, OverflowError) as exc:
            raise YamlError(f"invalid value: {exc}", self.line(node)) from None
        kind = _NUMBER_TAGS.get(node.tag)
        if kind is not None and not isinstance(value, bool):
            value = kind(value)
            value.text = node.value
        return value
