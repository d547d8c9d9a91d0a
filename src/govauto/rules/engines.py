"""The rule-engine interface and the reference (pure-Python) engine.

An engine receives a :class:`~govauto.rules.compiler.CompiledPack` once (``load``) and then, per case, the
prepared facts (:func:`~govauto.rules.compiler.prepare`); it returns every ``(rule index, item index)`` whose
condition holds. Engines never see the case itself, so they cannot differ on anything but condition
evaluation, which the differential tests compare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from govauto.rules import ir
from govauto.rules.compiler import CompiledPack, Prepared, compare_values, is_missing

Match = tuple[int, int | None]
"""``(rule index in the pack, item index in the scope's list, or None for the case scope)``."""


@runtime_checkable
class RuleEngine(Protocol):
    """What a rule engine provides. Register a factory with ``govauto_register_rule_engines``."""

    name: str

    def load(self, pack: CompiledPack) -> None:
        """Prepare to evaluate ``pack`` (called once per pack and engine instance, before ``evaluate``)."""

    def evaluate(self, pack: CompiledPack, prepared: Prepared) -> list[Match]:
        """Every rule that fires on the prepared facts, as ``(rule index, item index)`` pairs, in any order."""
        ...


class PythonEngine:
    """The reference engine: each compiled condition becomes a tree of Python closures at ``load``."""

    name = "python"

    def __init__(self) -> None:
        self._programs: dict[int, tuple[CompiledPack, dict[str, list[tuple[int, Predicate]]]]] = {}

    def load(self, pack: CompiledPack) -> None:
        programs = {name: [(rule.index, compile_condition(rule.condition)) for rule in scope.rules]
                    for name, scope in pack.scopes.items()}
        self._programs[id(pack)] = (pack, programs)  # the pack is kept alive, so its id stays unique

    def evaluate(self, pack: CompiledPack, prepared: Prepared) -> list[Match]:
        entry = self._programs.get(id(pack))
        if entry is None or entry[0] is not pack:
            self.load(pack)
            entry = self._programs[id(pack)]
        programs = entry[1]
        matches: list[Match] = []
        for scope_name, entries in prepared.items():
            rules = programs[scope_name]
            for item_index, fact in entries:
                for rule_index, predicate in rules:
                    if predicate(fact):
                        matches.append((rule_index, item_index))
        return matches


Predicate = Callable[[Mapping[str, Any]], bool]


def holds(cond: ir.Cond, fact: Mapping[str, Any]) -> bool:
    """Whether a compiled (negation-normal) condition holds on a prepared fact."""
    return compile_condition(cond)(fact)


def compile_condition(cond: ir.Cond) -> Predicate:
    """A Python predicate over a prepared fact implementing ``cond`` with the semantics of :mod:`~govauto.rules.ir`."""
    if isinstance(cond, ir.Compare):
        return _compile_compare(cond)
    if isinstance(cond, (ir.Exists, ir.Truth)) and isinstance(cond.operand, ir.Const):
        constant = cond.operand.value
        if isinstance(cond, ir.Exists):
            result = is_missing(constant) == cond.negated
        else:
            result = constant is (not cond.negated)
        return lambda fact: result
    if isinstance(cond, ir.Exists):
        key = _key(cond.operand)
        if cond.negated:
            return lambda fact: fact.get(key) is None
        return lambda fact: fact.get(key) is not None
    if isinstance(cond, ir.Truth):
        key = _key(cond.operand)
        wanted = not cond.negated
        return lambda fact: fact.get(key) is wanted
    if isinstance(cond, ir.All):
        parts = tuple(compile_condition(i) for i in cond.items)
        return lambda fact: all(p(fact) for p in parts)
    if isinstance(cond, ir.Any_):
        parts = tuple(compile_condition(i) for i in cond.items)
        return lambda fact: any(p(fact) for p in parts)
    if isinstance(cond, ir.Literal_):
        value = cond.value
        return lambda fact: value
    raise TypeError(f"not a compiled condition: {cond!r}")


def _compile_compare(cond: ir.Compare) -> Predicate:
    op = cond.op
    if isinstance(cond.left, ir.Const):
        if isinstance(cond.right, ir.Const):
            result = compare_values(op, cond.left.value, cond.right.value)
            return lambda fact: result
        return _compile_compare(ir.Compare(ir.MIRRORED_OP[op], cond.right, cond.left))
    left_key = _key(cond.left)
    if isinstance(cond.right, ir.Const):
        constant = cond.right.value

        def with_constant(fact: Mapping[str, Any]) -> bool:
            value = fact.get(left_key)
            return value is not None and compare_values(op, value, constant)

        return with_constant
    right_key = _key(cond.right)

    def with_fact(fact: Mapping[str, Any]) -> bool:
        left, right = fact.get(left_key), fact.get(right_key)
        return left is not None and right is not None and compare_values(op, left, right)

    return with_fact


def _key(operand: ir.Operand) -> str:
    if isinstance(operand, (ir.Fact, ir.Computed)):
        return operand.key
    raise TypeError(f"operand not compiled: {operand!r}")
