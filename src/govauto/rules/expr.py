"""The ``when`` expression language: Python syntax, parsed with :mod:`ast` into an allow-listed tree.

Nothing is ever ``eval``-ed. Allowed:

* dotted fact paths: ``applicant.id_number``, ``item.kind`` (inside ``for_each`` rules), ``let`` names;
* literals: strings, integers, decimals, ``true``/``false`` (``True``/``False``), lists of literals after ``in``;
* comparisons ``== != < <= > >=``, ``in`` / ``not in`` (a literal list, or a list-valued fact);
* ``and``, ``or``, ``not`` and parentheses;
* calls of registered functions and of the built-ins ``missing(x)``, ``matches(x, "regex")`` and ``count(x)``.

Anything else (arithmetic, subscripts, attribute calls, lambdas, comprehensions ...) is an
:class:`~govauto.errors.ExpressionError` that names the construct and its column.
"""

from __future__ import annotations

import ast
import re

from govauto.errors import ExpressionError
from govauto.rules import ir

BUILTINS = {"missing": 1, "matches": 2, "count": 1}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_BOOL_NAMES = {"true": True, "false": False, "True": True, "False": False}
MAX_LENGTH = 2000
MAX_DEPTH = 40


def parse(text: str) -> ir.Cond:
    """Parse a ``when`` expression into a condition tree.

    :raises ExpressionError: when the text is not in the language; the message names the construct.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty", str(text))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters", text[:80] + "…")
    source = " ".join(text.split("\n"))
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        raise ExpressionError(f"syntax error: {exc.msg}", source.strip(), offset) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse the expression: {exc}", source.strip()[:200]) from None
    return _Parser(source.strip()).cond(tree.body, 0)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, self.text, getattr(node, "col_offset", None))

    def cond(self, node: ast.expr, depth: int) -> ir.Cond:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"the expression nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.BoolOp):
            items = tuple(self.cond(v, depth + 1) for v in node.values)
            return ir.All(items) if isinstance(node.op, ast.And) else ir.Any_(items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ir.Not(self.cond(node.operand, depth + 1))
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "missing":
            (arg,) = self.call_args(node, 1)
            return ir.Exists(self.operand(arg, depth + 1), negated=True)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return ir.Literal_(node.value)
        operand = self.operand(node, depth + 1)
        if isinstance(operand, ir.Const):
            raise self.fail(node, f"a constant ({operand.value!r}) cannot stand alone as a condition")
        return ir.Truth(operand)

    def compare(self, node: ast.Compare, depth: int) -> ir.Cond:
        parts: list[ir.Cond] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                cond = self.membership(left_node, right_node, depth)
                parts.append(ir.Not(cond) if isinstance(op, ast.NotIn) else cond)
            elif type(op) in _CMP:
                left = self.operand(left_node, depth + 1)
                right = self.operand(right_node, depth + 1)
                parts.append(ir.Compare(_CMP[type(op)], left, right))  # type: ignore[arg-type]
            else:
                raise self.fail(node, f"the operator {type(op).__name__} is not allowed (use ==, !=, <, in ...)")
            left_node = right_node
        return parts[0] if len(parts) == 1 else ir.All(tuple(parts))

    def membership(self, left_node: ast.expr, right_node: ast.expr, depth: int) -> ir.Cond:
        left = self.operand(left_node, depth + 1)
        if isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
            if not right_node.elts:
                raise self.fail(right_node, "'in' needs a non-empty list")
            values = [self.literal(e) for e in right_node.elts]
            return ir.Any_(tuple(ir.Compare("==", left, ir.Const(v)) for v in values))
        right = self.operand(right_node, depth + 1)
        if isinstance(right, ir.Const):
            raise self.fail(right_node, "the right side of 'in' must be a list like ['a', 'b'] or a list-valued fact")
        return ir.Truth(ir.Call("contains", (right, left)))

    def call_args(self, node: ast.Call, count: int) -> list[ast.expr]:
        name = node.func.id if isinstance(node.func, ast.Name) else "?"
        if node.keywords:
            raise self.fail(node, f"{name}() takes positional arguments only")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, f"{name}() does not take *arguments")
        if len(node.args) != count:
            raise self.fail(node, f"{name}() takes {count} argument(s), got {len(node.args)}")
        return list(node.args)

    def literal(self, node: ast.expr) -> ir.Scalar:
        operand = self.operand(node, 0)
        if not isinstance(operand, ir.Const):
            raise self.fail(node, "a list after 'in' may hold only literals (strings, numbers, true/false)")
        return operand.value

    def operand(self, node: ast.expr, depth: int) -> ir.Operand:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"the expression nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, (bool, int, float, str)) and not (isinstance(value, float) and value != value):
                return ir.Const(value)
            if value is None:
                raise self.fail(node, "None is not a value here: test for absence with missing(x)")
            raise self.fail(node, f"the literal {value!r} is not allowed (strings, numbers, true/false)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            inner = node.operand.value
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return ir.Const(-inner)
        if isinstance(node, ast.Name):
            if node.id in _BOOL_NAMES:
                return ir.Const(_BOOL_NAMES[node.id])
            return ir.Fact(node.id)
        if isinstance(node, ast.Attribute):
            return ir.Fact(self.dotted(node))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.fail(node, "only plain function names can be called, like age_on(x, y)")
            name = node.func.id
            if name == "missing":
                raise self.fail(node, "missing(x) is a condition; it cannot be compared or passed to a function")
            if name in BUILTINS:
                args = self.call_args(node, BUILTINS[name])
            else:
                if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                    raise self.fail(node, f"{name}() takes positional arguments only")
                args = list(node.args)
            operands = tuple(self.operand(a, depth + 1) for a in args)
            if name == "matches":
                pattern = operands[1]
                if not isinstance(pattern, ir.Const) or not isinstance(pattern.value, str):
                    raise self.fail(node, 'the pattern of matches(x, "regex") must be a string literal')
                try:
                    re.compile(pattern.value)
                except re.error as exc:
                    raise self.fail(node, f"invalid regular expression {pattern.value!r}: {exc}") from None
            return ir.Call(name, operands)
        raise self.fail(node, f"{_describe(node)} is not allowed in a rule expression")

    def dotted(self, node: ast.Attribute) -> str:
        parts: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name):
            raise self.fail(node, "a fact path is made of names joined by dots, like applicant.id_number")
        parts.append(current.id)
        return ".".join(reversed(parts))


def _describe(node: ast.AST) -> str:
    names = {
        ast.BinOp: "arithmetic", ast.Subscript: "indexing with [...]", ast.Lambda: "lambda",
        ast.ListComp: "a list comprehension", ast.GeneratorExp: "a generator", ast.IfExp: "an if-expression",
        ast.Dict: "a dict", ast.JoinedStr: "an f-string", ast.NamedExpr: "the walrus operator",
        ast.List: "a list outside 'in'", ast.Await: "await", ast.Starred: "*arguments",
    }
    for kind, label in names.items():
        if isinstance(node, kind):
            return label
    return type(node).__name__


def referenced_paths(cond: ir.Cond) -> list[str]:
    """Every fact path a condition reads, in order of first appearance (calls' arguments included)."""
    seen: dict[str, None] = {}

    def operand(op: ir.Operand) -> None:
        if isinstance(op, ir.Fact):
            seen.setdefault(op.path)
        elif isinstance(op, ir.Call):
            for arg in op.args:
                operand(arg)
        elif isinstance(op, ir.Computed):
            operand(op.call)

    def walk(c: ir.Cond) -> None:
        if isinstance(c, ir.Compare):
            operand(c.left)
            operand(c.right)
        elif isinstance(c, (ir.Exists, ir.Truth)):
            operand(c.operand)
        elif isinstance(c, ir.Not):
            walk(c.item)
        elif isinstance(c, (ir.All, ir.Any_)):
            for item in c.items:
                walk(item)

    walk(cond)
    return list(seen)
