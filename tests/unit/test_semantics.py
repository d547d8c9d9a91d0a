"""The condition semantics every engine shares (see govauto.rules.ir), checked on the reference engine."""

from __future__ import annotations

from typing import Any

import pytest

from govauto.rules import expr, ir
from govauto.rules.compiler import _nnf, _simplify, compare_values
from govauto.rules.engines import holds


def _compile(text: str) -> ir.Cond:
    def keyed(node: Any) -> Any:
        if isinstance(node, ir.Fact):
            return ir.Fact(node.path, node.path)
        if isinstance(node, ir.Compare):
            return ir.Compare(node.op, keyed(node.left), keyed(node.right))
        if isinstance(node, (ir.Exists, ir.Truth)):
            return type(node)(keyed(node.operand), node.negated)
        if isinstance(node, ir.Not):
            return ir.Not(keyed(node.item))
        if isinstance(node, (ir.All, ir.Any_)):
            return type(node)(tuple(keyed(i) for i in node.items))
        return node

    return _simplify(_nnf(keyed(expr.parse(text)), negate=False))


@pytest.mark.parametrize(
    ("text", "fact", "expected"),
    [
        ("x < 3", {}, False),
        ("not (x < 3)", {}, False),  # a comparison with a missing value is false, however it is written
        ("not (x < 3)", {"x": 5}, True),
        ("missing(x)", {}, True),
        ("not missing(x)", {"x": 0}, True),
        ("x == 1", {"x": True}, False),  # bool and number are different kinds
        ("x != 1", {"x": True}, True),
        ("x != 1", {}, False),
        ("x < 'b'", {"x": 1}, False),  # ordering across kinds is false
        ("x < 'b'", {"x": "a"}, True),
        ("x", {"x": True}, True),
        ("not x", {"x": False}, True),
        ("not x", {}, False),
        ("x or not x", {}, False),
        ("x == 1 or y == 2", {"y": 2}, True),
        ("not (x == 1 and y == 2)", {"x": 1}, False),
        ("1 < 2", {}, True),
        ("not (1 < 2) or x == 1", {"x": 1}, True),
        ("x > 1.5", {"x": 2}, True),
    ],
)
def test_semantics(text: str, fact: dict[str, Any], expected: bool) -> None:
    assert holds(_compile(text), fact) is expected


def test_negation_is_pushed_to_the_atoms() -> None:
    cond = _compile("not (a < 1 or not missing(b))")
    assert cond == ir.All((ir.Compare(">=", ir.Fact("a", "a"), ir.Const(1)), ir.Exists(ir.Fact("b", "b"), True)))


def test_compare_values_rejects_missing() -> None:
    assert compare_values("==", "", "") is False
    assert compare_values("!=", None, 1) is False
