from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govauto.errors import ExpressionError
from govauto.rules import expr, ir


def test_parses_comparisons_bool_ops_and_calls() -> None:
    cond = expr.parse("age_on(applicant.id_number, submitted_on) < 16 and not applicant.own_income")
    assert isinstance(cond, ir.All)
    first, second = cond.items
    assert first == ir.Compare("<", ir.Call("age_on", (ir.Fact("applicant.id_number"), ir.Fact("submitted_on"))),
                               ir.Const(16))
    assert second == ir.Not(ir.Truth(ir.Fact("applicant.own_income")))


def test_in_literal_list_becomes_or_of_equalities() -> None:
    cond = expr.parse("organisation in ['family', 'individual']")
    assert cond == ir.Any_((ir.Compare("==", ir.Fact("organisation"), ir.Const("family")),
                            ir.Compare("==", ir.Fact("organisation"), ir.Const("individual"))))


def test_not_in_fact_list_is_negated_contains() -> None:
    cond = expr.parse("'id_card' not in materials.kinds")
    assert cond == ir.Not(ir.Truth(ir.Call("contains", (ir.Fact("materials.kinds"), ir.Const("id_card")))))


def test_missing_and_chained_comparison() -> None:
    assert expr.parse("missing(agent)") == ir.Exists(ir.Fact("agent"), negated=True)
    chained = expr.parse("16 <= age < 18")
    assert isinstance(chained, ir.All) and len(chained.items) == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('x')", "plain function names"),
        ("a + 1 > 2", "arithmetic"),
        ("a[0] == 1", "indexing"),
        ("(lambda: 1)()", "plain function names"),
        ("x == None", "missing(x)"),
        ("matches(x, '[')", "invalid regular expression"),
        ("matches(x, y)", "string literal"),
        ("'a'", "cannot stand alone"),
        ("x in 'abc'", "right side of 'in'"),
        ("a ==", "syntax error"),
        ("", "empty"),
        ("f(x=1)", "positional"),
        ("[i for i in x]", "list comprehension"),
        ("x is None", "not allowed"),
        ("a.b().c", "names joined by dots"),
    ],
)
def test_rejects_what_is_not_in_the_language(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        expr.parse(text)
    assert fragment in str(info.value)


def test_error_points_at_the_column() -> None:
    with pytest.raises(ExpressionError) as info:
        expr.parse("a == 1 and b[0] == 2")
    assert info.value.offset == 11


@settings(max_examples=3000, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        expr.parse(text)
    except ExpressionError:
        pass


_atoms = st.sampled_from(["a", "b.c", "f(a)", "1", "'s'", "true", "g(a, 'x')", "missing(a)", "matches(a, 'x+')"])


@st.composite
def _exprs(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(_atoms)
    op = draw(st.sampled_from(["and", "or", "==", "!=", "<", ">=", "in", "not", "+", "[", "**"]))
    left, right = draw(_exprs(depth + 1)), draw(_exprs(depth + 1))
    if op == "not":
        return f"not ({left})"
    if op == "in":
        return f"{left} in [1, 'x']"
    if op == "[":
        return f"{left}[{right}]"
    return f"({left}) {op} ({right})"


@settings(max_examples=3000, deadline=None)
@given(_exprs())
def test_fuzz_grammar_shaped_text_never_escapes_the_allow_list(text: str) -> None:
    try:
        tree = expr.parse(text)
    except ExpressionError:
        return
    allowed = (ir.Compare, ir.Exists, ir.Truth, ir.Not, ir.All, ir.Any_, ir.Literal_)
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        assert isinstance(node, (*allowed, ir.Const, ir.Fact, ir.Call))
        if isinstance(node, (ir.All, ir.Any_)):
            stack.extend(node.items)
        elif isinstance(node, ir.Not):
            stack.append(node.item)
        elif isinstance(node, ir.Compare):
            stack.extend([node.left, node.right])
        elif isinstance(node, (ir.Exists, ir.Truth)):
            stack.append(node.operand)
        elif isinstance(node, ir.Call):
            stack.extend(node.args)
