"""Compile a loaded pack into the form every engine evaluates, and prepare a case's facts for it.

Compilation (once per pack and process):

1. parse each rule's ``when`` and ``let`` texts (:mod:`govauto.rules.expr`);
2. substitute ``let`` names, check every fact path and function name, fold constants;
3. push negations down to the atoms (see the semantics in :mod:`govauto.rules.ir`);
4. hoist calls, regex matches and list memberships into ``Computed`` values with keys of their own.

Fact preparation (once per case) turns the flat facts of a case into one small dict per scope (the case,
and each item of every list a ``for_each`` rule iterates over), holding exactly the keys the rules read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from govauto.errors import ExpressionError, GovautoError, PackProblem
from govauto.rules import expr, ir
from govauto.rules.pack import Pack, Rule

CASE_SCOPE = "case"
ITEM = "item"

Functions = Mapping[str, Callable[..., Any]]


@dataclass(frozen=True)
class FactSchema:
    """The fact paths a matter's cases provide: scalar paths, list paths, and the item paths of each list."""

    paths: frozenset[str]
    lists: Mapping[str, frozenset[str]]
    """list path → paths inside one item (``""`` when the items are scalars)."""

    def item_paths(self, list_path: str) -> frozenset[str]:
        return self.lists.get(list_path, frozenset())


@dataclass
class Scope:
    """The rules evaluated on one prepared fact: the case, or each item of a list."""

    name: str
    rules: list[ir.CompiledRule] = field(default_factory=list)
    reads: dict[str, str] = field(default_factory=dict)
    """key → fact path (``item.kind`` for item paths) that preparation copies into the prepared fact."""
    computed: dict[str, ir.Call] = field(default_factory=dict)
    """key → call whose value preparation computes into the prepared fact."""


@dataclass
class CompiledPack:
    """A pack compiled for evaluation: its scopes, and the source rules by index."""

    pack: Pack
    scopes: dict[str, Scope]
    rules: list[Rule]
    compiled: list[ir.CompiledRule]
    lets: list[dict[str, str]]
    """per rule index: let name → key of its computed value (or fact path) for message templates."""
    functions: Functions

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def version(self) -> str:
        return self.pack.version


PreparedScope = list[tuple[int | None, dict[str, Any]]]
Prepared = dict[str, PreparedScope]


# ---- compilation --------------------------------------------------------------------------------------------


def compile_pack(pack: Pack, schema: FactSchema, functions: Functions) -> tuple[CompiledPack, list[PackProblem]]:
    """Compile ``pack``; returns the compiled pack and the problems found (the pack is unusable if any)."""
    problems: list[PackProblem] = []
    scopes: dict[str, Scope] = {}
    compiled: list[ir.CompiledRule] = []
    lets: list[dict[str, str]] = []
    for index, rule in enumerate(pack.rules):
        scope_name = rule.for_each or CASE_SCOPE
        scope = scopes.setdefault(scope_name, Scope(scope_name))
        try:
            compiler = _RuleCompiler(rule, scope, schema, functions)
            cond = compiler.compile()
            problems.extend(compiler.template_problems())
        except _RuleProblem as exc:
            problems.append(PackProblem(rule.file, exc.line or rule.line, exc.message, rule.id))
            cond, compiler = ir.Literal_(False), None
        inputs = tuple(compiler.inputs.items()) if compiler else ()
        item = ir.CompiledRule(rule.id, index, scope_name, cond, inputs)
        compiled.append(item)
        scope.rules.append(item)
        lets.append(compiler.let_keys if compiler else {})
    return CompiledPack(pack, scopes, list(pack.rules), compiled, lets, functions), problems


class _RuleProblem(GovautoError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _RuleCompiler:
    def __init__(self, rule: Rule, scope: Scope, schema: FactSchema, functions: Functions) -> None:
        self.rule = rule
        self.scope = scope
        self.schema = schema
        self.functions = functions
        self.lets: dict[str, ir.Operand] = {}
        self.let_keys: dict[str, str] = {}
        self.inputs: dict[str, str] = {}
        if rule.for_each is not None:
            if rule.for_each not in schema.lists:
                raise _RuleProblem(
                    f"for_each: '{rule.for_each}' is not a list in the case"
                    + _suggest(rule.for_each, schema.lists.keys()),
                    rule.lines.get("for_each"),
                )

    # -- entry --
    def compile(self) -> ir.Cond:
        for name, text in self.rule.let.items():
            if name in self.lets or name == ITEM or "." in name or not name.isidentifier():
                raise _RuleProblem(f"let: '{name}' is not a usable name", self.rule.lines.get("let"))
            try:
                parsed = expr.parse(text)
            except ExpressionError as exc:
                raise _RuleProblem(f"let {name}: {exc}", self.rule.lines.get("let")) from None
            if not isinstance(parsed, ir.Truth):
                raise _RuleProblem(f"let {name}: must be a value (a fact or a call), not a condition",
                                   self.rule.lines.get("let"))
            operand = self.operand(parsed.operand)
            self.lets[name] = operand
            self.let_keys[name] = operand.key if isinstance(operand, (ir.Computed, ir.Fact)) else ""
        try:
            parsed_when = expr.parse(self.rule.when)
        except ExpressionError as exc:
            raise _RuleProblem(f"when: {exc}", self.rule.lines.get("when")) from None
        cond = self.cond(parsed_when)
        return _simplify(_nnf(cond, negate=False))

    def template_problems(self) -> list[PackProblem]:
        problems = []
        for placeholder in re.findall(r"\{([^{}]*)\}", self.rule.message):
            name = placeholder.strip()
            if name in self.lets:
                continue
            try:
                self.fact(name, record=False)
            except _RuleProblem as exc:
                problems.append(PackProblem(self.rule.file, self.rule.lines.get("message", self.rule.line),
                                            f"message: {{{name}}}: {exc.message}", self.rule.id))
        return problems

    # -- conditions --
    def cond(self, node: ir.Cond) -> ir.Cond:
        if isinstance(node, ir.Compare):
            return _fold(ir.Compare(node.op, self.operand(node.left), self.operand(node.right)))
        if isinstance(node, ir.Exists):
            return ir.Exists(self.operand(node.operand), node.negated)
        if isinstance(node, ir.Truth):
            return ir.Truth(self.operand(node.operand), node.negated)
        if isinstance(node, ir.Not):
            return ir.Not(self.cond(node.item))
        if isinstance(node, ir.All):
            return ir.All(tuple(self.cond(i) for i in node.items))
        if isinstance(node, ir.Any_):
            return ir.Any_(tuple(self.cond(i) for i in node.items))
        return node

    # -- operands --
    def operand(self, node: ir.Operand) -> ir.Operand:
        if isinstance(node, ir.Const):
            return node
        if isinstance(node, ir.Fact):
            if node.path in self.lets:
                return self.lets[node.path]
            return self.fact(node.path)
        if isinstance(node, ir.Call):
            call = self.call(node)
            key = self.hoist(call)
            return ir.Computed(call, key)
        return node

    def call(self, node: ir.Call) -> ir.Call:
        if node.name not in expr.BUILTINS and node.name != "contains" and node.name not in self.functions:
            raise _RuleProblem(
                f"unknown function '{node.name}'" + _suggest(node.name, [*self.functions, *expr.BUILTINS]),
                self.rule.lines.get("when"),
            )
        args = tuple(self.argument(a) for a in node.args)
        return ir.Call(node.name, args)

    def argument(self, node: ir.Operand) -> ir.Operand:
        if isinstance(node, ir.Call):
            return self.call(node)
        if isinstance(node, ir.Fact) and node.path in self.lets:
            let = self.lets[node.path]
            return let.call if isinstance(let, ir.Computed) else let
        return self.operand(node)

    def fact(self, path: str, record: bool = True) -> ir.Fact:
        scope_list = self.rule.for_each
        if path == ITEM or path.startswith(ITEM + "."):
            if scope_list is None:
                raise _RuleProblem(f"'{path}' is used outside a for_each rule", self.rule.lines.get("when"))
            inner = path[len(ITEM) + 1:]
            item_paths = self.schema.item_paths(scope_list)
            if inner and inner not in item_paths:
                raise _RuleProblem(
                    f"unknown fact '{path}': items of {scope_list} have "
                    + ", ".join(sorted(p for p in item_paths if p)) + _suggest(inner, item_paths),
                    self.rule.lines.get("when"),
                )
            if not inner and "" not in item_paths:
                raise _RuleProblem(f"the items of {scope_list} are objects: name a field, like item.{min(item_paths)}",
                                   self.rule.lines.get("when"))
        elif path not in self.schema.paths and path not in self.schema.lists:
            raise _RuleProblem(
                f"unknown fact '{path}'" + _suggest(path, [*self.schema.paths, *self.schema.lists]),
                self.rule.lines.get("when"),
            )
        key = _mangle(path)
        if record:
            self.scope.reads.setdefault(key, path)
            self.inputs.setdefault(path, key)
        return ir.Fact(path, key)

    def hoist(self, call: ir.Call) -> str:
        for key, existing in self.scope.computed.items():
            if existing == call:
                return key
        key = f"_c{len(self.scope.computed)}"
        self.scope.computed[key] = call
        return key


def _mangle(path: str) -> str:
    return path.replace(".", "__")


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fold(cond: ir.Compare) -> ir.Cond:
    left, right = cond.left, cond.right
    if isinstance(left, ir.Const) and isinstance(right, ir.Const):
        return ir.Literal_(compare_values(cond.op, left.value, right.value))
    if isinstance(left, ir.Const):
        return ir.Compare(ir.MIRRORED_OP[cond.op], right, left)
    return cond


def _nnf(cond: ir.Cond, negate: bool) -> ir.Cond:
    if isinstance(cond, ir.Not):
        return _nnf(cond.item, not negate)
    if isinstance(cond, ir.All):
        items = tuple(_nnf(i, negate) for i in cond.items)
        return ir.Any_(items) if negate else ir.All(items)
    if isinstance(cond, ir.Any_):
        items = tuple(_nnf(i, negate) for i in cond.items)
        return ir.All(items) if negate else ir.Any_(items)
    if not negate:
        return cond
    if isinstance(cond, ir.Compare):
        return ir.Compare(ir.NEGATED_OP[cond.op], cond.left, cond.right)
    if isinstance(cond, ir.Exists):
        return ir.Exists(cond.operand, not cond.negated)
    if isinstance(cond, ir.Truth):
        return ir.Truth(cond.operand, not cond.negated)
    if isinstance(cond, ir.Literal_):
        return ir.Literal_(not cond.value)
    raise AssertionError(cond)


def _simplify(cond: ir.Cond) -> ir.Cond:
    if isinstance(cond, (ir.All, ir.Any_)):
        is_all = isinstance(cond, ir.All)
        items: list[ir.Cond] = []
        for item in (_simplify(i) for i in cond.items):
            if isinstance(item, ir.Literal_):
                if item.value != is_all:  # False in All, True in Any decides
                    return item
                continue
            if isinstance(item, (ir.All, ir.Any_)) and type(item) is type(cond):
                items.extend(item.items)
            else:
                items.append(item)
        if not items:
            return ir.Literal_(is_all)
        if len(items) == 1:
            return items[0]
        return ir.All(tuple(items)) if is_all else ir.Any_(tuple(items))
    return cond


# ---- semantics shared by preparation and the reference evaluator ---------------------------------------------


def is_missing(value: Any) -> bool:
    """The language's notion of a missing value: absent, ``None``, ``""`` or an empty list."""
    return value is None or value == "" or (isinstance(value, (list, tuple)) and len(value) == 0)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, str):
        return "str"
    return "other"


def compare_values(op: str, left: Any, right: Any) -> bool:
    """Compare two present values under the language's rules (see :mod:`govauto.rules.ir`)."""
    if is_missing(left) or is_missing(right):
        return False
    same = _kind(left) == _kind(right) and _kind(left) != "other"
    if op == "==":
        return bool(same and left == right)
    if op == "!=":
        return bool(not same or left != right)
    if not same or _kind(left) == "bool":
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


_SCALARS = (int, float, bool)


def normalise_value(value: Any) -> Any:
    """The value a prepared fact holds: a scalar, or ``None`` for missing.

    Dates become ISO text. Lists and objects can only be tested for presence in a condition (their contents
    are read by functions during preparation), so a non-empty one is held as ``True``.
    """
    kind = type(value)
    if kind is str:
        return value or None
    if kind in _SCALARS or value is None:
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if is_missing(value) or (isinstance(value, Mapping) and not value):
        return None
    if isinstance(value, list | tuple | Mapping):
        return True
    return value


# ---- fact preparation ---------------------------------------------------------------------------------------


def prepare(pack: CompiledPack, facts: Mapping[str, Any]) -> Prepared:
    """Build the prepared facts of one case: one dict for the case scope, one per item of each list scope.

    Computed values are evaluated here, in Python; a function that raises is a bug in its plugin and
    propagates as :class:`~govauto.errors.EngineError` naming the function and rule pack.
    """
    prepared: Prepared = {}
    for name, scope in pack.scopes.items():
        if name == CASE_SCOPE:
            prepared[name] = [(None, _prepare_one(pack, scope, facts, None))]
        else:
            items = facts.get(name) or []
            prepared[name] = [(i, _prepare_one(pack, scope, facts, item)) for i, item in enumerate(items)]
    return prepared


def item_facts(item: Any) -> dict[str, Any]:
    """The ``item.*`` view of one list item: ``{"item": value}`` for scalars, ``item.<field>`` for objects."""
    if isinstance(item, Mapping):
        out: dict[str, Any] = {}
        _flatten(item, ITEM, out)
        return out
    return {ITEM: item}


def _flatten(obj: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in obj.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            _flatten(value, path, out)
        else:
            out[path] = value


def _prepare_one(pack: CompiledPack, scope: Scope, facts: Mapping[str, Any], item: Any) -> dict[str, Any]:
    view: Mapping[str, Any] = facts
    if item is not None:
        view = _Overlay(item_facts(item), facts)
    out: dict[str, Any] = {}
    for key, path in scope.reads.items():
        value = normalise_value(view.get(path))
        if value is not None:
            out[key] = value
    for key, call in scope.computed.items():
        value = normalise_value(evaluate_call(pack.functions, call, view))
        if value is not None:
            out[key] = value
    return out


class _Overlay(Mapping[str, Any]):
    def __init__(self, first: Mapping[str, Any], second: Mapping[str, Any]) -> None:
        self.first, self.second = first, second

    def __getitem__(self, key: str) -> Any:
        if key in self.first:
            return self.first[key]
        return self.second[key]

    def __iter__(self) -> Any:
        yield from self.first
        yield from (k for k in self.second if k not in self.first)

    def __len__(self) -> int:
        return len(set(self.first) | set(self.second))


def evaluate_operand(functions: Functions, operand: ir.Operand, facts: Mapping[str, Any]) -> Any:
    """The value of an operand over a fact view (used for computed values and for explanations)."""
    if isinstance(operand, ir.Const):
        return operand.value
    if isinstance(operand, ir.Fact):
        return facts.get(operand.path)
    if isinstance(operand, ir.Computed):
        return evaluate_call(functions, operand.call, facts)
    return evaluate_call(functions, operand, facts)


def evaluate_call(functions: Functions, call: ir.Call, facts: Mapping[str, Any]) -> Any:
    args = [evaluate_operand(functions, a, facts) for a in call.args]
    if call.name == "matches":
        value, pattern = args
        if is_missing(value):
            return None
        return re.search(pattern, str(value)) is not None
    if call.name == "count":
        (value,) = args
        if value is None:
            return 0
        return len(value) if isinstance(value, (list, tuple, str)) else 1
    if call.name == "contains":
        container, member = args
        if is_missing(member):
            return None
        if is_missing(container):
            return False  # an empty or absent list contains nothing
        return member in container if isinstance(container, (list, tuple, str)) else None
    try:
        return functions[call.name](*args)
    except GovautoError:
        raise
    except Exception as exc:
        from govauto.errors import EngineError

        raise EngineError(f"the rule function {call.name}() failed on {args!r}: {type(exc).__name__}: {exc}") from exc


def computed_in(cond: ir.Cond) -> list[ir.Computed]:
    """The computed values a compiled condition reads, in order of first appearance."""
    found: dict[str, ir.Computed] = {}

    def walk(c: ir.Cond) -> None:
        if isinstance(c, ir.Compare):
            for operand in (c.left, c.right):
                if isinstance(operand, ir.Computed):
                    found.setdefault(operand.key, operand)
        elif isinstance(c, (ir.Exists, ir.Truth)) and isinstance(c.operand, ir.Computed):
            found.setdefault(c.operand.key, c.operand)
        elif isinstance(c, (ir.All, ir.Any_)):
            for item in c.items:
                walk(item)

    walk(cond)
    return list(found.values())


def describe(operand: ir.Operand) -> str:
    """An operand written back in the expression language (``age_on(applicant.id_number, submitted_on)``)."""
    if isinstance(operand, ir.Const):
        return repr(operand.value)
    if isinstance(operand, ir.Fact):
        return operand.path
    if isinstance(operand, ir.Computed):
        return describe(operand.call)
    if operand.name == "contains" and len(operand.args) == 2:
        return f"{describe(operand.args[1])} in {describe(operand.args[0])}"
    return f"{operand.name}({', '.join(describe(a) for a in operand.args)})"
