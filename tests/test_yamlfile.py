"""yamlfile: YAML with line numbers, refusing hostile documents."""

from __future__ import annotations

import pytest

from reportgen.yamlfile import MAX_DEPTH, YamlError, YamlList, YamlMap, parse_yaml

DOC = """\
agency:
  name: Brightline
clients:
  - id: acme
    name: Acme
  - id: beta
    tags: [a, b]
"""


def test_lines_of_keys_and_items():
    doc = parse_yaml(DOC)
    assert isinstance(doc, YamlMap)
    assert doc.line == 1
    assert doc.line_of("agency") == 1
    assert doc.line_of("clients") == 3
    assert doc["agency"].line_of("name") == 2
    clients = doc["clients"]
    assert isinstance(clients, YamlList)
    assert clients.item_lines == [4, 6]
    assert clients.line_of(0) == 4
    assert clients.line_of(1) == 6
    assert clients[0].line_of("name") == 5
    assert clients[1].line_of("tags") == 7
    # plain values compare like ordinary dicts and lists
    assert doc == {
        "agency": {"name": "Brightline"},
        "clients": [{"id": "acme", "name": "Acme"}, {"id": "beta", "tags": ["a", "b"]}],
    }


def test_first_line_offset_for_embedded_yaml():
    doc = parse_yaml("a: 1\nb: 2\n", first_line=10)
    assert doc.line_of("a") == 10
    assert doc.line_of("b") == 11


def test_unknown_key_line_falls_back_to_mapping_line():
    doc = parse_yaml("x:\n  a: 1\n")
    assert doc["x"].line_of("missing") == 2


def test_empty_document_is_none():
    assert parse_yaml("") is None
    assert parse_yaml("# only a comment\n") is None


def test_duplicate_key_reports_both_lines():
    with pytest.raises(YamlError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n")
    assert info.value.line == 3
    assert "duplicate key 'a'" in info.value.message
    assert "line 1" in info.value.message


def test_duplicate_nested_key():
    with pytest.raises(YamlError) as info:
        parse_yaml("clients:\n  - id: x\n    name: A\n    name: B\n")
    assert info.value.line == 4
    assert "'name'" in info.value.message and "line 3" in info.value.message


def test_syntax_error_has_line():
    with pytest.raises(YamlError) as info:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert info.value.line is not None
    assert info.value.message.startswith("invalid YAML")


def test_alias_bomb_refused():
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(YamlError) as info:
        parse_yaml("\n".join(bomb) + "\n")
    assert "alias bomb" in info.value.message


def test_small_aliases_are_fine():
    doc = parse_yaml("a: &x [1, 2]\nb: *x\n")
    assert doc["b"] == [1, 2]


def test_deep_nesting_refused():
    depth = MAX_DEPTH + 10
    with pytest.raises(YamlError) as info:
        parse_yaml("x: " + "[" * depth + "]" * depth + "\n")
    assert "nested" in info.value.message


def test_absurd_nesting_refused_without_recursion_error():
    depth = 5000
    with pytest.raises(YamlError):
        parse_yaml("[" * depth + "]" * depth)


def test_merge_keys_refused():
    with pytest.raises(YamlError) as info:
        parse_yaml("base: &b {a: 1}\nx:\n  <<: *b\n")
    assert info.value.line == 3


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/name:os.system\n",
        "x: !!python/object/new:os.system echo\n",
        "x: !custom 1\n",
    ],
)
def test_python_and_unknown_tags_on_scalars_refused(text):
    with pytest.raises(YamlError) as info:
        parse_yaml(text)
    assert info.value.line == 1


@pytest.mark.parametrize(
    "text",
    [
        'x: !!python/object/apply:os.system ["echo hi"]\n',
        "x: !!python/object:os.Thing {a: 1}\n",
        "x: !!python/object/new:os.system [echo hi]\n",
        "x: !custom [1, 2]\n",
    ],
)
def test_python_and_unknown_tags_on_collections_refused(text):
    with pytest.raises(YamlError) as info:
        parse_yaml(text)
    assert info.value.line == 1


def test_mapping_keys_must_be_text():
    with pytest.raises(YamlError):
        parse_yaml("? [a, b]\n: 1\n")
