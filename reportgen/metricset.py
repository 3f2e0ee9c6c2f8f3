"""Compute: which metrics a client has, and what each one is.

A client's metrics are its data files' columns (summed), the built-in derived
ones (vocabulary.BUILTIN_FORMULAS, e.g. `cpl = spend / leads`) and its own
formulas from clients.yaml, each compiled once into a function of a period's
sums. `MetricSet` also knows each metric's unit and checks a client's formulas
and KPIs for unknown names and cycles.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

from .config import CONFIG_FILE
from .errors import Problem, did_you_mean
from .formulas import BinOp, Compiled, Expr, Formula, Name, Neg, Num, compile_expr, parse_formula
from .model import Client
from .vocabulary import BUILTIN_FORMULAS, BUILTIN_UNITS, CURRENCY_WORDS

Sums = list[int | float | None]  # aligned with MetricSet.base (formulas.Sums, mutable)


class MetricSet:
    """A client's metrics: the CSV columns plus built-in and own derived ones."""

    def __init__(
        self, base: Iterable[str], client_formulas: Iterable[tuple[str, Formula, int | None]] = ()
    ) -> None:
        self.base = tuple(base)
        self.index = {name: i for i, name in enumerate(self.base)}
        self.formulas: dict[str, Formula] = {
            name: parse_formula(text) for name, text in BUILTIN_FORMULAS.items()
        }
        self.formula_lines: dict[str, int | None] = {}
        for name, formula, line in client_formulas:
            self.formulas[name] = formula
            self.formula_lines[name] = line
        # A CSV column wins over a formula of the same name only for built-ins;
        # a client's own formula always wins (they asked for it by name).
        self.derived = tuple(n for n in self.formulas if n not in self.index or n in self.formula_lines)
        self.names = tuple(n for n in self.base if n not in self.formula_lines) + self.derived
        self._compiled: dict[str, Compiled] = {}
        self._units: dict[str, str] = {}  # unit(): asked for every cell of every table
        for name in self.names:
            self._compile(name, ())

    def _compile(self, name: str, resolving: tuple[str, ...]) -> Compiled:
        if name in self._compiled:
            return self._compiled[name]
        function: Compiled
        if name in self.index and name not in self.formula_lines:
            function = operator.itemgetter(self.index[name])
        elif name in self.formulas and name not in resolving:  # a cycle has no value
            function = compile_expr(self.formulas[name].expr, lambda n: self._compile(n, (*resolving, name)))
        else:
            function = _no_value
        self._compiled[name] = function
        return function

    def __contains__(self, name: str) -> bool:
        return name in self.index or name in self.formulas

    def value(self, sums: Sums | None, name: str) -> float | None:
        if sums is None:
            return None
        function = self._compiled.get(name)
        return function(sums) if function else None

    def values(self, sums: Sums | None) -> dict[str, float | int | None]:
        if sums is None:
            return dict.fromkeys(self.names)
        compiled = self._compiled
        return {name: compiled[name](sums) for name in self.names}

    def is_additive(self, name: str) -> bool:
        return name in self.index and name not in self.formula_lines

    def unit(self, name: str) -> str:
        unit = self._units.get(name)
        if unit is None:
            unit = self._units[name] = self._unit(name)
        return unit

    def _unit(self, name: str) -> str:
        if self.is_additive(name):
            return "currency" if _is_money(name) else "count"
        if name in BUILTIN_UNITS and name not in self.formula_lines:
            return BUILTIN_UNITS[name]
        formula = self.formulas.get(name)
        return _unit_of(formula.expr, self) if formula else "number"

    def missing_inputs(self, name: str, _seen: frozenset[str] = frozenset()) -> list[str]:
        """Base metrics `name` needs that no data file has."""
        if name in self.index and name not in self.formula_lines:
            return []
        formula = self.formulas.get(name)
        if formula is None or name in _seen:
            return [name] if formula is None else []
        missing: list[str] = []
        for needed in sorted(formula.names):
            missing.extend(m for m in self.missing_inputs(needed, _seen | {name}) if m not in missing)
        return missing

    def check(self, client: Client) -> list[Problem]:
        """Unknown names and cycles in the client's formulas, unknown KPI metrics."""
        problems = []
        known = set(self.index) | set(self.formulas)
        for name, line in self.formula_lines.items():
            for needed in sorted(self.formulas[name].names):
                if needed not in known:
                    problems.append(
                        Problem(
                            CONFIG_FILE,
                            line,
                            (
                                f"client '{client.id}': metric '{name}' uses unknown metric '{needed}'"
                                f"{did_you_mean(needed, known)}"
                            ),
                        )
                    )
            if _has_cycle(name, self.formulas, self.formula_lines):
                problems.append(
                    Problem(CONFIG_FILE, line, f"client '{client.id}': metric '{name}' refers to itself")
                )
        for kpi in client.kpis:
            problems.extend(
                self.check_metric(kpi.metric, CONFIG_FILE, kpi.line, f"client '{client.id}': KPI")
            )
        return problems

    def check_metric(self, name: str, path: str, line: int | None, what: str) -> list[Problem]:
        if name not in self:
            return [
                Problem(
                    path,
                    line,
                    f"{what} uses unknown metric '{name}'"
                    f"{did_you_mean(name, self.names)}; "
                    f"known: {', '.join(self.names)}",
                )
            ]
        missing = self.missing_inputs(name)
        if missing:
            return [
                Problem(
                    path,
                    line,
                    f"{what} metric '{name}' needs "
                    f"{', '.join(repr(m) for m in missing)}, "
                    "which no data file of this client has",
                )
            ]
        return []


def _no_value(sums: object) -> None:
    return None


def _has_cycle(start: str, formulas: dict[str, Formula], own: dict[str, int | None]) -> bool:
    stack, seen = [start], set()
    while stack:
        name = stack.pop()
        formula = formulas.get(name)
        if formula is None or (name not in own and name != start):
            continue
        for needed in formula.names:
            if needed == start:
                return True
            if needed not in seen:
                seen.add(needed)
                stack.append(needed)
    return False


def _is_money(name: str) -> bool:
    return any(name == w or name.endswith("_" + w) or name.startswith(w + "_") for w in CURRENCY_WORDS)


def _unit_of(expr: Expr, metrics: MetricSet) -> str:
    """Rough unit algebra so a custom metric like spend/leads shows as money."""
    if isinstance(expr, Num):
        return "scalar"
    if isinstance(expr, Name):
        return metrics.unit(expr.name) if expr.name in metrics else "number"
    if isinstance(expr, Neg):
        return _unit_of(expr.operand, metrics)
    assert isinstance(expr, BinOp)
    left, right = _unit_of(expr.left, metrics), _unit_of(expr.right, metrics)
    if expr.op in "+-":
        return "currency" if "currency" in (left, right) else (left if left != "scalar" else right)
    if expr.op == "*":
        if "currency" in (left, right):
            return "currency"
        return left if right == "scalar" else right if left == "scalar" else "number"
    if right == "scalar":
        return left
    if left == "currency":
        return "ratio" if right == "currency" else "currency"
    return "number"
