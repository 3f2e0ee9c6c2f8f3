"""Declarative field definitions: one source for validation and JSON Schema.

Each kind checks a value read by `yamlfile` and returns the clean Python
value, or records a `Problem` at the value's line and returns `INVALID`.
Objects report every unknown field with a "did you mean" hint and every
missing required field, so one run lists all problems.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import Problem, did_you_mean
from .model import FIRST_YEAR, LAST_YEAR, outside_range
from .yamlfile import YamlList, YamlMap

# A JSON Schema, as `schema()` gives it for editors.
JsonSchema = dict[str, Any]

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# The largest magnitude of any number read from the user's files (a CSV cell,
# a budget, a target). Sums of millions of such values, their ratios and
# projections stay far from a float's overflow, so nothing downstream meets
# inf or NaN, and no real report comes near it (10^15 VND is $40 billion).
LARGEST_NUMBER = 10**15
LARGEST_NUMBER_TEXT = "1,000,000,000,000,000 (10^15)"


def is_sane_number(value: int | float) -> bool:
    """Finite and at most LARGEST_NUMBER either way (ints of any length are fine to test)."""
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return -LARGEST_NUMBER <= value <= LARGEST_NUMBER


def describe_number(value: int | float) -> str:
    """A number short enough for a message: 400-digit integers are not quoted whole."""
    if isinstance(value, int) and not -(10**30) < value < 10**30:
        return "a number with more than 30 digits"
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass
class Context:
    """Where problems go while one file is validated."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int | None, message: str) -> Any:
        self.problems.append(Problem(self.path, line, message))
        return INVALID

    def warn(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 40 else f"{text[:24]}… ({len(text):,} characters)"


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}' (a true/false value)"
    return f"'{value}'"


class Kind:
    json: ClassVar[JsonSchema]  # a kind's JSON Schema when it is the same for every instance

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    def schema(self) -> JsonSchema:
        return dict(self.json)


@dataclass
class Text(Kind):
    pattern: str | None = None
    pattern_hint: str = ""
    max_length: int = 2000
    numbers_ok: bool = False  # phone numbers and the like may be written unquoted

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if self.numbers_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = getattr(value, "text", None) or str(value)  # as written: 030 1234 keeps its 0
        if not isinstance(value, str):
            return ctx.error(line, f"{where}: expected text, got {type_name(value)}")
        value = value.strip()
        if not value:
            return ctx.error(line, f"{where}: must not be empty")
        if len(value) > self.max_length:
            return ctx.error(line, f"{where}: longer than {self.max_length} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            return ctx.error(line, f"{where}: '{value}' is not valid{self.pattern_hint}")
        return value

    def schema(self) -> JsonSchema:
        out: JsonSchema = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        if self.pattern:
            out["pattern"] = f"^(?:{self.pattern})$"
        if self.numbers_ok:
            out = {"anyOf": [out, {"type": "number"}]}
        return out


_INT_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def number_from_text(text: str) -> tuple[int | float | None, str | None]:
    """A number written in clients.yaml, read by the CSV's rules (canonicalcsv.parse_number):
    (value, None), or (None, "range") past 10^15, or (None, "shape") if not a
    plain decimal number (1_000, 0x10, 1:30, .inf, 1,5 are not)."""
    text = text.strip()
    if _INT_TEXT.fullmatch(text):
        if len(text.lstrip("+-").lstrip("0")) > 16:
            return None, "range"
        value: int | float = int(text)
    elif _FLOAT_TEXT.fullmatch(text):
        value = float(text)
    else:
        return None, "shape"
    return (value, None) if is_sane_number(value) else (None, "range")


@dataclass
class Number(Kind):
    """A number as the CSV writes one: digits, an optional decimal point and
    exponent (1500, 0.02, 1e6, 1.5E+3), quoted or not; YAML 1.1's other
    number forms are refused, so clients.yaml and the CSVs agree."""

    minimum: float | None = 0

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        text = value if isinstance(value, str) else getattr(value, "text", None)
        if text is not None and not isinstance(value, bool):
            number, problem = number_from_text(text)
            if problem == "range":
                return ctx.error(
                    line,
                    f"{where}: '{_short(text)}' is out of range (at most {LARGEST_NUMBER_TEXT} either way)",
                )
            if problem and not isinstance(value, str):  # 1_000, 0x10, 010 (octal), 1:30, .inf
                return ctx.error(
                    line,
                    f"{where}: '{_short(text)}' is not a plain number; write digits "
                    "with a decimal point, no thousands separators or prefixes "
                    "(e.g. 1000, 0.02 or 1e6)",
                )
            if problem is None:
                value = number
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or (isinstance(value, float) and math.isnan(value)):
            return ctx.error(line, f"{where}: expected a number, got {type_name(value)}")
        if not is_sane_number(value):
            return ctx.error(
                line,
                f"{where}: {describe_number(value)} is out of range "
                f"(at most {LARGEST_NUMBER_TEXT} either way)",
            )
        if self.minimum is not None and value < self.minimum:
            return ctx.error(line, f"{where}: must be at least {self.minimum}, got {value}")
        return value

    def schema(self) -> JsonSchema:
        out: JsonSchema = {"type": "number"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        return out


@dataclass
class Boolean(Kind):
    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if not isinstance(value, bool):
            return ctx.error(line, f"{where}: expected true or false, got {type_name(value)}")
        return value

    def schema(self) -> JsonSchema:
        return {"type": "boolean"}


@dataclass
class Choice(Kind):
    choices: tuple[str, ...]

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            hint = did_you_mean(str(value), self.choices)
            options = ", ".join(self.choices)
            return ctx.error(line, f"{where}: expected one of {options}, got {type_name(value)}{hint}")
        return value

    def schema(self) -> JsonSchema:
        return {"enum": list(self.choices)}


@dataclass
class MonthKind(Kind):
    """A calendar month written YYYY-MM (a full date is accepted and truncated)."""

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if isinstance(value, dt.date):
            value = f"{value.year:04d}-{value.month:02d}"
        if isinstance(value, str) and MONTH_RE.match(value.strip()):
            if not FIRST_YEAR <= int(value.strip()[:4]) <= LAST_YEAR:
                return ctx.error(line, f"{where}: {outside_range(value.strip())}")
            return value.strip()
        return ctx.error(line, f"{where}: expected a month as YYYY-MM, got {type_name(value)}")

    def schema(self) -> JsonSchema:
        return {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])(-\d{2})?$"}


@dataclass
class DateKind(Kind):
    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        day = None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a date: the error below says so
                day = dt.date.fromisoformat(value.strip())
        if day is not None:
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                return ctx.error(line, f"{where}: {outside_range(day.isoformat())}")
            return day
        return ctx.error(line, f"{where}: expected a date as YYYY-MM-DD, got {type_name(value)}")

    def schema(self) -> JsonSchema:
        return {"type": "string", "format": "date"}


@dataclass
class ListOf(Kind):
    item: Kind
    scalar_ok: bool = False  # a single value stands for a one-item list

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if self.scalar_ok and not isinstance(value, list):
            value = [value]
        lines: Sequence[int | None]
        if not isinstance(value, YamlList):
            if isinstance(value, list):  # wrapped above
                lines = [line] * len(value)
            else:
                return ctx.error(line, f"{where}: expected a list, got {type_name(value)}")
        else:
            lines = value.item_lines
        out = [
            self.item.check(v, ctx, ln, f"{where}[{i + 1}]")
            for i, (v, ln) in enumerate(zip(value, lines, strict=True))
        ]
        return INVALID if any(v is INVALID for v in out) else out

    def schema(self) -> JsonSchema:
        out = {"type": "array", "items": self.item.schema()}
        if self.scalar_ok:
            return {"anyOf": [out, self.item.schema()]}
        return out


@dataclass
class MapOf(Kind):
    key: Kind
    value: Kind

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if not isinstance(value, YamlMap):
            return ctx.error(line, f"{where}: expected a mapping, got {type_name(value)}")
        out = {}
        for k, v in value.items():
            key_line = value.line_of(k)
            ck = self.key.check(k, ctx, key_line, f"{where} key")
            cv = self.value.check(v, ctx, key_line, f"{where}.{k}")
            out[ck] = cv
        return INVALID if INVALID in out or any(v is INVALID for v in out.values()) else out

    def schema(self) -> JsonSchema:
        key = self.key.schema()
        out: JsonSchema = {"type": "object", "additionalProperties": self.value.schema()}
        if "pattern" in key:
            out = {
                "type": "object",
                "patternProperties": {key["pattern"]: self.value.schema()},
                "additionalProperties": False,
            }
        return out


@dataclass
class TextOr(Kind):
    """Either plain text (the short form) or a mapping (the long form)."""

    text: Kind
    mapping: Kind

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if isinstance(value, str):
            return self.text.check(value, ctx, line, where)
        return self.mapping.check(value, ctx, line, where)

    def schema(self) -> JsonSchema:
        return {"anyOf": [self.text.schema(), self.mapping.schema()]}


def split_number(key: Any, item: Any, before: tuple[Any, Any] | None) -> bool:
    """`{target: 0,02}` in YAML is `target: 0` plus a field named `02`: a number
    written with a comma (decimal or thousands) inside a flow mapping."""
    return (
        item is None
        and before is not None
        and isinstance(before[1], (int, float))
        and not isinstance(before[1], bool)
        and re.fullmatch(r"\d+(\.\d+)?", str(key)) is not None
    )


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False
    doc: str = ""
    # A key written with no value (`access:` followed only by comments) is an
    # error unless the field says an empty value means "not set" (`nullable`).
    nullable: bool = False
    empty_hint: str = "give it a value, or remove the key"


@dataclass
class Obj(Kind):
    """A mapping with known fields; unknown ones are errors with a hint."""

    fields: tuple[Field, ...]
    doc: str = ""
    # Optional extra check on the clean dict, e.g. fields that depend on each other.
    after: Callable[[dict[str, Any], YamlMap, Context, str], None] | None = None

    def check(self, value: Any, ctx: Context, line: int | None, where: str) -> Any:
        if not isinstance(value, YamlMap):
            return ctx.error(line, f"{where}: expected a mapping, got {type_name(value)}")
        known = {f.name: f for f in self.fields}
        out: dict[str, Any] = {}
        valid = True
        previous: tuple[Any, Any] | None = None
        for key, item in value.items():
            spec = known.get(key)
            sub = f"{where}.{key}" if where else key
            before, previous = previous, (key, item)
            if spec is None:
                if before is not None and split_number(key, item, before):
                    name = f"{where}.{before[0]}" if where else before[0]
                    ctx.error(
                        value.line_of(key),
                        (
                            f"{name}: a comma inside a number splits it in a {{...}} mapping (it "
                            f"reads as '{before[0]}: {before[1]}' and a field '{key}'); write "
                            "numbers with a decimal point and no thousands separator (e.g. 0.02, "
                            "1500, or 2% for a percent)"
                        ),
                    )
                    valid = False
                    continue
                hint = did_you_mean(key, known)
                ctx.error(value.line_of(key), f"unknown field '{sub}'{hint}")
                valid = False
                continue
            if item is None and not spec.required:
                if spec.nullable:
                    out[key] = None
                else:  # `access:` with only comments below it must not mean "no access rule"
                    ctx.error(value.line_of(key), f"`{sub}:` is empty: {spec.empty_hint}")
                    valid = False
                continue
            out[key] = spec.kind.check(item, ctx, value.line_of(key), sub)
            valid = valid and out[key] is not INVALID
        for spec in self.fields:
            if spec.name not in value:
                if spec.required:
                    name = f"{where}.{spec.name}" if where else spec.name
                    ctx.error(value.line, f"missing required field '{name}'")
                    valid = False
                out[spec.name] = None
        if valid and self.after:
            count = len(ctx.problems)
            self.after(out, value, ctx, where)  # may warn; only an error invalidates
            valid = not any(p.severity == "error" for p in ctx.problems[count:])
        return out if valid else INVALID

    def schema(self) -> JsonSchema:
        out: JsonSchema = {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                f.name: {**f.kind.schema(), **({"description": f.doc} if f.doc else {})} for f in self.fields
            },
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            out["required"] = required
        if self.doc:
            out["description"] = self.doc
        return out
