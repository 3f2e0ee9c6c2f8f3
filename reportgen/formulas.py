"""Derived-metric formulas: a tiny, safe arithmetic language.

`cpl: spend / leads` is parsed by a hand-written recursive-descent parser
that knows only metric names, numbers, + - * / and parentheses. Nothing is
ever passed to eval(): a formula cannot call, index, import or reach an
attribute, because the grammar has no way to say so.

Evaluation follows the reporting rule: a ratio whose denominator is zero or
missing has no value (None), and no value propagates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Union

NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")
_TOKEN_RE = re.compile(r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class FormulaError(ValueError):
    """A formula that does not parse; `column` is 1-based."""

    def __init__(self, message: str, column: int):
        super().__init__(f"{message} (at column {column})")
        self.column = column


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Union[Num, Name, Neg, BinOp]  # noqa: UP007 (a runtime alias used in isinstance-free code)


@dataclass(frozen=True)
class Formula:
    source: str
    expr: Expr

    @property
    def names(self) -> frozenset[str]:
        return frozenset(_names(self.expr))


def parse_formula(source: str) -> Formula:
    if not isinstance(source, str) or not source.strip():
        raise FormulaError("empty formula", 1)
    if len(source) > 500:
        raise FormulaError("formula longer than 500 characters", 501)
    parser = _Parser(_tokenize(source))
    expr = parser.expression(0)
    kind, text, column = parser.peek()
    if kind != "end":
        raise FormulaError(f"unexpected '{text}'", column)
    return Formula(source.strip(), expr)


def evaluate(expr: Expr, lookup: Callable[[str], float | None]) -> float | None:
    """Value of `expr`; `lookup(name)` gives a metric's value or None."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Name):
        return lookup(expr.name)
    if isinstance(expr, Neg):
        value = evaluate(expr.operand, lookup)
        return None if value is None else -value
    left = evaluate(expr.left, lookup)
    right = evaluate(expr.right, lookup)
    if left is None or right is None:
        return None
    return _finite(_apply(expr.op, left, right))


def _apply(op: str, left: float, right: float) -> float | None:
    try:
        return _arith(op, left, right)
    except (OverflowError, ZeroDivisionError):  # huge ints: int / int that no float holds
        return None


def _arith(op: str, left: float, right: float) -> float | None:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    return None if right == 0 else left / right


def _finite(value: float | None) -> float | None:
    """An overflow (1/1e-300) is no value either: never inf or NaN in a report. A huge
    Python int (integer sums multiplied many times) too: it does not fit a float."""
    if value is None:
        return None
    try:
        value = float(value)
    except (OverflowError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# A month's (or a day's) sums, aligned with a MetricSet's base metrics (metricset.py).
Sums = Sequence[float | None]
Compiled = Callable[[Sums], float | None]


def compile_expr(expr: Expr, resolve: Callable[[str], Compiled]) -> Compiled:
    """`expr` as a Python closure over a row of sums, with `evaluate`'s rules.

    `resolve(name)` gives the closure for a metric name. Reports evaluate the
    same few formulas hundreds of thousands of times; closures skip the tree
    walk. Still no eval(): the closures are built from the parsed tree.
    """
    if isinstance(expr, Num):
        constant = expr.value
        return lambda sums: constant
    if isinstance(expr, Name):
        return resolve(expr.name)
    if isinstance(expr, Neg):
        operand = compile_expr(expr.operand, resolve)

        def negate(sums: Sums) -> float | None:
            value = operand(sums)
            return None if value is None else -value

        return negate
    left, right = compile_expr(expr.left, resolve), compile_expr(expr.right, resolve)
    op = expr.op

    def binary(sums: Sums) -> float | None:
        a = left(sums)
        if a is None:
            return None
        b = right(sums)
        if b is None:
            return None
        return _finite(_apply(op, a, b))

    return binary


def _names(expr: Expr) -> Iterator[str]:
    if isinstance(expr, Name):
        yield expr.name
    elif isinstance(expr, Neg):
        yield from _names(expr.operand)
    elif isinstance(expr, BinOp):
        yield from _names(expr.left)
        yield from _names(expr.right)


Token = tuple[str, str, int]  # (kind, text, column)


def _tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN_RE.match(source, position)
        if not match or match.end() == position:
            break
        number, name, other = match.groups()
        column = match.start(match.lastindex or 1) + 1
        if number is not None:
            tokens.append(("num", number, column))
        elif name is not None:
            if not NAME_RE.fullmatch(name):
                raise FormulaError(f"metric names are lower-case: '{name}'", column)
            tokens.append(("name", name, column))
        elif other is not None:
            if other not in "+-*/()":
                raise FormulaError(
                    f"'{other}' is not allowed: only metric names, numbers, + - * / and parentheses", column
                )
            tokens.append(("op", other, column))
        position = match.end()
    tokens.append(("end", "end of formula", len(source) + 1))
    return tokens


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
LARGEST_CONSTANT = 10**15  # as every number a user writes (schema.LARGEST_NUMBER)
MAX_DEPTH = 50


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self, min_precedence: int) -> Expr:
        left = self.unary()
        while True:
            kind, text, _ = self.peek()
            if kind != "op" or text not in _PRECEDENCE or _PRECEDENCE[text] <= min_precedence - 1:
                return left
            if _PRECEDENCE[text] < min_precedence:
                return left
            self.take()
            right = self.expression(_PRECEDENCE[text] + 1)
            left = BinOp(text, left, right)

    def unary(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("formula nested too deeply", self.peek()[2])
        try:
            kind, text, column = self.take()
            if kind == "num":
                value = float(text)
                if not value <= LARGEST_CONSTANT:  # a 400-digit constant is inf: never in a report
                    raise FormulaError(
                        f"number '{text[:20]}{'…' if len(text) > 20 else ''}' is out of "
                        "range (at most 10^15)",
                        column,
                    )
                return Num(value)
            if kind == "name":
                if self.peek()[1] == "(":
                    raise FormulaError(f"'{text}(...)': function calls are not allowed", column)
                return Name(text)
            if text == "-":
                return Neg(self.unary())
            if text == "+":
                return self.unary()
            if text == "(":
                inner = self.expression(0)
                closing = self.take()
                if closing[1] != ")":
                    raise FormulaError("missing ')'", closing[2])
                return inner
            raise FormulaError(f"expected a metric name or a number, got '{text}'", column)
        finally:
            self.depth -= 1
