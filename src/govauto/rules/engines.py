"""The rule-engine interface and the reference (pure-Python) engine.

An engine receives a :class:`~govauto.rules.compiler.CompiledPack` once (``load``) and then, per case, the
prepared facts (:func:`~govauto.rules.compiler.prepare`); it returns every ``(rule index, item index)`` whose
condition holds. Engines never see the case itself, so they cannot differ on anything but condition
evaluation, which the differential tests compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from govauto.rules import ir
from govauto.rules.compiler import CompiledPack, Prepared, compare_values

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
    """The reference engine: evaluates the compiled conditions directly in Python."""

    name = "python"

    def load(self, pack: CompiledPack) -> None:
        return None

    def evaluate(self, pack: CompiledPack, prepared: Prepared) -> list[Match]:
        matches: list[Match] = []
        for scope_name, entries in prepared.items():
            rules = pack.scopes[scope_name].rules
            for item_index, fact in entries:
                for rule in rules:
                    if holds(rule.condition, fact):
                        matches.append((rule.index, item_index))
        return matches


def holds(cond: ir.Cond, fact: Mapping[str, Any]) -> bool:
    """Whether a compiled (negation-normal) condition holds on a prepared fact."""
    if isinstance(cond, ir.Compare):
        left = _value(cond.left, fact)
        right = _value(cond.right, fact)
        if left is None or right is None:
            return False
        return compare_values(cond.op, left, right)
    if isinstance(cond, ir.Exists):
        present = _value(cond.operand, fact) is not None
        return not present if cond.negated else present
    if isinstance(cond, ir.Truth):
        value = _value(cond.operand, fact)
        return value is (False if cond.negated else True)
    if isinstance(cond, ir.All):
        return all(holds(i, fact) for i in cond.items)
    if isinstance(cond, ir.Any_):
        return any(holds(i, fact) for i in cond.items)
    if isinstance(cond, ir.Literal_):
        return cond.value
    raise TypeError(f"not a compiled condition: {cond!r}")


def _value(operand: ir.Operand, fact: Mapping[str, Any]) -> Any:
    if isinstance(operand, ir.Const):
        return operand.value
    if isinstance(operand, (ir.Fact, ir.Computed)):
        return fact.get(operand.key)
    raise TypeError(f"operand not compiled: {operand!r}")
