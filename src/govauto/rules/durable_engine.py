"""The ``durable`` rule engine: evaluates compiled conditions with durable-rules (``durable.engine.Host``).

It gives exactly the matches of the reference engine (:class:`~govauto.rules.engines.PythonEngine`); the
differential tests hold it to that. durable-rules 2.0.28 compares values in ways that differ from the
semantics in :mod:`govauto.rules.ir`, has hard limits, and has bugs (several crash the process); this module
is built around each of them.

Encoding of a prepared fact
    Every key a scope's conditions read gets an index ``j`` and up to three properties, each put in a fact
    only when a condition of the ruleset reads it:

    * ``e<j>`` = 1 when the value is not ``None`` (``Exists``, which the reference tests with ``is not None``);
    * ``t<j>`` = the kind, when the value is not *missing* (``is_missing``): 1 bool, 2 number, 3 string,
      4 anything else (a list, or NaN, which compares exactly like an unknown kind: ``==`` false, ``!=`` true,
      ordering false);
    * ``v<j>`` = a *typed key*, when the value is not missing: a string whose first letter is the kind —
      ``b0``/``b1``; ``n`` + an order-preserving text of the exact number; ``s`` + the string with an
      order-preserving escape; ``o<j>`` for kind 4, which no other key and no constant has.

    durable thus only ever compares string with string or small int with small int: never ``True == 1``, a
    string with a number (durable formats the number as text), doubles, integers beyond 2**53, NaN or
    infinities. Typed keys of different keys are equal exactly when the values are of the same known kind and
    equal (``o<j>`` equals nothing else), and typed keys of one kind are ordered exactly like the values:

    * numbers (ints of any size, floats, ±inf; -0.0 == 0.0) become sign, 64-bit biased binary exponent and
      the exact binary fraction in hex without trailing zeros; negatives are digit-complemented and end with
      ``~``, so that larger magnitudes sort first;
    * strings keep their characters except those durable or JSON would disturb: code points below ``$``
      become ``#`` + a letter, ``[`` and ``\\`` become ``[A``/``[B``, and U+D7FF and the lone surrogates
      become U+D7FF + a second character (UTF-8 byte order is code-point order, as in Python).

    Every encoded byte is above ``"`` because durable compares strings with ``strncmp`` over the *longer*
    length, and a string inside a message is not NUL-terminated but followed by its closing quote: a shorter
    string is compared by its quote (0x22), so unescaped ``"ab" > "ab!"`` in durable. durable also passes
    string lengths as 16 bits: a typed key over 65,535 bytes raises :class:`~govauto.errors.EngineError`
    rather than compare wrongly.

Conditions
    Atoms become alpha tests on one fact: a comparison with a constant tests ``v`` (``==``, ``!=`` directly;
    ordering also tests ``t``, so that only numbers with numbers and strings with strings are ordered),
    ``Exists`` is ``$ex``/``$nex`` on ``e``, ``Truth`` is ``v == "b1"``/``"b0"``, a fact compared with itself
    tests ``t``. ``Literal_(True)`` is ``$ex`` on the bookkeeping property ``ok`` that every fact carries;
    ``Literal_(False)`` rules are left out; nested literals and constant operands fold; regular expressions
    are never generated (matches arrive precomputed as booleans).

    A comparison of two facts cannot be an alpha test: durable takes a same-message reference
    (``{"$lt": {"x": {"m": "y"}}}``, what ``m.x < m.y`` compiles to) as always true, and a rule joining one
    fact with itself (``"dist": 0``) crashes in ``delete_state``. Such a rule is a join of two patterns over
    two copies of the fact (``id`` ``a`` with ``ok`` 1, ``b`` with ``ok`` 2), in rulesets of their own:

    * ``a``: ``ok == 1``, ``$ex`` of every property referenced (a reference to an absent property crashes
      durable), and all the alpha tests, nested as they come;
    * ``b``: one flat ``$and`` of ``ok == 2``, ``ok != -n`` (``n`` numbers the rule in its ruleset), the
      references (``{"$lt": {"v1": {"a": "v2"}}}``), and ``ok >= a.ok`` (always true).

    The references are evaluated in the beta node's expression sequence, which durable gets wrong in three
    ways: after a nested group it stops at the group's end (hence one flat ``$and``); when a reference is
    false it skips to the end starting two entries further, so after a false *last* reference it reads past
    the sequence (hence the true reference last); and it shares an alpha node between rules with the same
    parent and test but records a reference only in the first rule's sequence (hence ``ok != -n`` first,
    below which nothing is shared). A rule is split into disjunctive pieces until no reference is under an
    ``$or``.

Limits of durable, and how they are met
    * A fact is matched by pushing alpha nodes on a stack of 64 (error 303): every stacked entry is a
      distinct link of the alpha network, so a ruleset whose rules create at most 60 links (1 per test, 1
      more per ``$or`` branch) cannot overflow. Rules are packed into rulesets of at most 60 links and 60
      rules; a rule over budget is split into disjunctive pieces (at an ``$or``); a piece that is a plain
      ``$and`` chain gets a ruleset of its own whatever its length (it stacks one entry at a time).
    * A pattern holds at most 15 ``$and``/``$or`` groups (2 entries each in a sequence of 31; error 113):
      larger rules are split the same way. Pattern ``b`` holds at most 28 references.
    * A fact holds at most 254 properties (error 302): a ruleset reads at most 250, and a scope that reads
      more than 250 keys is refused at ``load``.
    * durable fires a rule once per ``$or`` branch that holds: matches are collected in a set.
    * After every action durable runs its session-state fact (``sid``, ``id``, ``$s``) through the rules: a
      rule made of ``$nex`` tests would fire on it, forever. Those rules start with ``$ex ok``.
    * durable finds properties by a 32-bit FNV-1a hash of their name: the names are checked for collisions.

Sessions
    Each evaluation of a ruleset gets a fresh session id (``sid``) and uses ``assert_fact`` (a posted event is
    consumed by the first rule it matches). durable runs the actions synchronously inside ``assert_fact``
    when no completion callback is given, so the matches are complete when it returns; the actions add to a
    set found by the session id. The session is deleted right after (a ruleset holds at most 1,024): durable
    leaves a session's action context uninitialised until an action has run, and ``delete_state`` frees it,
    so every ruleset has a rule ``ready`` that every evaluated fact fires.

    Each loaded pack gets its own ``Host`` (ruleset names are per Host), built without the two timer threads
    ``Host`` normally starts: they poll every ruleset for pending actions and could run an action of a fact
    being evaluated by another thread. durable's C extension keeps global state and holds the GIL during each
    call; the calls for one evaluation (asserts, actions, delete) run under one process-wide lock. A Host's C
    rulesets are freed when the Host is garbage collected.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from durable import engine as durable

from govauto.errors import EngineError
from govauto.rules import ir
from govauto.rules.compiler import CompiledPack, Prepared, compare_values, is_missing
from govauto.rules.engines import Match

# ---- durable's limits, with the margins this module keeps ----------------------------------------------------

STACK_BUDGET: Final = 60
"""Alpha-network links per ruleset (durable's matching stack holds 64 entries)."""
MAX_RULES_PER_RULESET: Final = 60
MAX_GROUPS: Final = 15
"""``$and``/``$or`` groups per pattern (its expression sequence holds 31 entries, 2 per group)."""
MAX_REFERENCES: Final = 28
"""References in pattern ``b`` (31 entries less its ``$and`` group and its last, always true, reference)."""
MAX_PROPERTIES: Final = 250
"""Properties a fact may carry besides ``sid``, ``id`` and ``ok`` (durable refuses the 255th)."""
MAX_KEYS_PER_SCOPE: Final = 250
MAX_STRING_BYTES: Final = 65_535
"""durable passes string lengths as 16-bit numbers."""
MAX_PIECES_PER_RULE: Final = 256

_BOOL, _NUM, _STR, _OTHER = 1, 2, 3, 4
_OK = "ok"
_RESERVED = ("sid", "id", _OK, "$forward", "$s")
_ORDER_OPS: Final = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}

_DURABLE_LOCK = threading.Lock()
"""Serialises the calls that evaluate one ruleset: durable's C extension keeps global state."""

_ERROR_HINTS: Final = {
    "106": "too many alpha nodes below one node",
    "108": "too many rules ending on one alpha node",
    "113": "too many $and/$or groups or references in one pattern",
    "302": "too many properties in one fact",
    "303": "a fact matched too many alpha nodes (durable's stack holds 64)",
}


# ---- value encoding -------------------------------------------------------------------------------------------

_EXPONENT_BIAS: Final = 1 << 63
_COMPLEMENT: Final = str.maketrans("0123456789abcdef", "fedcba9876543210")


def num_key(value: int | float) -> str:
    """An order-preserving text of a number (not NaN): equal numbers, and only those, give equal texts.

    ``-inf`` → ``0``; negatives → ``0…~``; zero → ``1``; positives → ``2…``; ``+inf`` → ``3``. A finite
    non-zero value is ``±2**exponent × 1.fraction``: 16 hex digits of the biased exponent, then the fraction
    bits in hex without trailing zeros (negatives complement every digit and end with ``~``).
    """
    if isinstance(value, float):
        if math.isinf(value):
            return "3" if value > 0 else "0"
        numerator, denominator = value.as_integer_ratio()
        shift = denominator.bit_length() - 1  # the denominator is a power of two
    else:
        numerator, shift = int(value), 0
    if numerator == 0:
        return "1"
    magnitude = -numerator if numerator < 0 else numerator
    width = magnitude.bit_length() - 1  # bits after the leading one
    fraction = magnitude - (1 << width)
    digits = ""
    if fraction:
        pad = -width % 4
        digits = format(fraction << pad, "x").rjust((width + pad) // 4, "0").rstrip("0")
    body = format(width - shift + _EXPONENT_BIAS, "016x") + digits
    if numerator > 0:
        return "2" + body
    return "0" + body.translate(_COMPLEMENT) + "~"


_STR_ESCAPES: Final[dict[int, str]] = {code: "#" + chr(0x30 + code) for code in range(0x24)}
_STR_ESCAPES[0x5B] = "[A"
_STR_ESCAPES[0x5C] = "[B"
_STR_ESCAPES[0xD7FF] = "\ud7ff" + chr(0xFF)
_STR_ESCAPES.update({code: "\ud7ff" + chr(0x100 + code - 0xD800) for code in range(0xD800, 0xE000)})
_NEEDS_ESCAPE: Final = re.compile("[\x00-\x23\\[\\\\\ud7ff-\udfff]")


def str_key(text: str) -> str:
    """An order-preserving text of a string whose every UTF-8 byte is above ``"`` and is never escaped in JSON.

    Each code point maps to a code that is prefix-free and ordered like the code points, so the encoded
    strings compare (bytewise, as durable does) exactly as the strings do in Python.
    """
    return str(text).translate(_STR_ESCAPES) if _NEEDS_ESCAPE.search(text) else str(text)


def _kind(value: Any) -> str:
    """The kind of a value as :func:`~govauto.rules.compiler.compare_values` sees it (NaN is ``other``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "other" if isinstance(value, float) and math.isnan(value) else "num"
    if isinstance(value, str):
        return "str"
    return "other"


def typed_key(value: Any) -> tuple[int, str | None]:
    """``(kind tag, typed key)`` of a present (not missing) value; the key is ``None`` for the ``other`` kind."""
    kind = _kind(value)
    if kind == "bool":
        return _BOOL, "b1" if value else "b0"
    if kind == "num":
        return _NUM, "n" + num_key(value)
    if kind == "str":
        return _STR, "s" + str_key(value)
    return _OTHER, None


def _too_long(text: str) -> bool:
    """Whether an encoded text takes more UTF-8 bytes than durable compares (at most 4 per character)."""
    return len(text) * 4 > MAX_STRING_BYTES and len(text.encode("utf-8")) > MAX_STRING_BYTES


def fnv1a_32(name: str) -> int:
    """durable's hash of a property name (FNV-1a, 32 bits, over the UTF-8 bytes)."""
    value = 0x811C9DC5
    for byte in name.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value




# ---- durable condition trees -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Leaf:
    """One alpha test, e.g. ``{"$lt": {"v3": "n2…"}}``.

    ``reads`` are the properties it reads; ``ref`` is the property a reference (``{"a": "v2"}``) reads in
    pattern ``a``, for the tests that compare two facts.
    """

    test: dict[str, Any]
    reads: frozenset[str]
    ref: str | None = None


@dataclass(frozen=True, eq=False)
class _Group:
    op: str  # "$and" | "$or"
    items: tuple[_Node, ...]


_Node = _Leaf | _Group
_Tree = _Node | bool


def _group(op: str, items: Iterable[_Tree]) -> _Tree:
    """``$and`` (``op``) / ``$or`` of the items, folding literals, flattening and unwrapping single items."""
    decisive = op == "$or"  # True decides an $or, False an $and
    out: list[_Node] = []
    for item in items:
        if isinstance(item, bool):
            if item is decisive:
                return decisive
            continue
        if isinstance(item, _Group) and item.op == op:
            out.extend(item.items)
        else:
            out.append(item)
    if not out:
        return not decisive
    if len(out) == 1:
        return out[0]
    return _Group(op, tuple(out))


def _all(*items: _Tree) -> _Tree:
    return _group("$and", items)


def _any(*items: _Tree) -> _Tree:
    return _group("$or", items)


def _node(tree: _Tree) -> _Node:
    assert not isinstance(tree, bool)
    return tree


def _leaf(test: dict[str, Any], *reads: str, ref: str | None = None) -> _Leaf:
    return _Leaf(test, frozenset(reads), ref)


def _exists(prop: str) -> _Leaf:
    return _leaf({"$ex": {prop: 1}}, prop)


_OK_PRESENT: Final = _leaf({"$ex": {_OK: 1}})


def _links(node: _Node) -> int:
    """Links the node adds to durable's alpha network (an upper bound of its share of the matching stack)."""
    if isinstance(node, _Leaf):
        return 1
    if node.op == "$and":
        return sum(_links(i) for i in node.items)
    return sum(_links(i) + 1 for i in node.items)


def _groups(node: _Node) -> int:
    if isinstance(node, _Leaf):
        return 0
    return 1 + sum(_groups(i) for i in node.items)


def _is_chain(node: _Node) -> bool:
    return isinstance(node, _Leaf) or (node.op == "$and" and all(isinstance(i, _Leaf) for i in node.items))


def _reads(node: _Node) -> frozenset[str]:
    if isinstance(node, _Leaf):
        return node.reads
    return frozenset().union(*(_reads(i) for i in node.items))


def _has_ref(node: _Node) -> bool:
    if isinstance(node, _Leaf):
        return node.ref is not None
    return any(_has_ref(i) for i in node.items)


def _holds_without_properties(node: _Node) -> bool:
    """Whether the node holds on a message that has none of the properties it reads (only ``$nex`` tests do)."""
    if isinstance(node, _Leaf):
        return "$nex" in node.test
    if node.op == "$and":
        return all(_holds_without_properties(i) for i in node.items)
    return any(_holds_without_properties(i) for i in node.items)


_HEAD: Final = _leaf({"$neq": {_OK: 0}})
"""Stands for the test, different in each rule of a ruleset, that pattern ``b`` starts with (``_definition``)."""
_LAST: Final = _leaf({"$gte": {_OK: {"a": _OK}}})
"""The reference that ends pattern ``b``, always true (``2 >= 1``).

When a reference of an ``$and`` is false, durable skips to the group's end starting *two* entries further, so
after a false last reference it steps over the end and reads past the sequence (and sometimes crashes).
"""


def _json(node: _Node, head: dict[str, Any] | None = None) -> dict[str, Any]:
    if isinstance(node, _Leaf):
        return head if node is _HEAD and head is not None else node.test
    return {node.op: [_json(i, head) for i in node.items]}


Patterns = list[tuple[str, _Node]]
"""A durable rule's patterns: ``[("m", node)]``, or ``[("a", alpha tests), ("b", references)]`` for a join."""


def _patterns(node: _Node) -> Patterns | None:
    """The patterns of a durable rule for ``node``; ``None`` while a reference sits under an ``$or``."""
    items = node.items if isinstance(node, _Group) and node.op == "$and" else (node,)
    refs = [i for i in items if isinstance(i, _Leaf) and i.ref is not None]
    if not refs:
        return None if _has_ref(node) else [("m", node)]
    rest = [i for i in items if not (isinstance(i, _Leaf) and i.ref is not None)]
    if any(_has_ref(i) for i in rest):
        return None
    guards = [_exists(ref) for ref in dict.fromkeys(i.ref for i in refs if i.ref is not None)]
    tests: dict[str, _Node] = {}  # the tests of pattern a, each once
    for item in (_leaf({_OK: 1}), *guards, *rest):
        tests.setdefault(repr(item.test) if isinstance(item, _Leaf) else str(id(item)), item)
    a = _node(_all(*tests.values()))
    b = _node(_all(_leaf({_OK: 2}), _HEAD, *refs, _LAST))
    return [("a", a), ("b", b)]


def _fits(patterns: Patterns) -> bool:
    if all(_is_chain(node) for _, node in patterns):
        return True  # stacks one entry at a time; over budget, it gets a ruleset of its own
    return max(_groups(node) for _, node in patterns) <= MAX_GROUPS \
        and sum(_links(node) for _, node in patterns) <= STACK_BUDGET


def _pieces(node: _Node, out: list[tuple[_Node, Patterns]]) -> None:
    """Append to ``out`` disjuncts of ``node`` (their ``$or`` is ``node``) that durable can hold.

    An ``$or`` splits into its branches; an ``$and`` is distributed over an ``$or`` in it (one holding a
    reference first, so that references end up in a flat ``$and``).
    """
    if len(out) > MAX_PIECES_PER_RULE:
        return
    patterns = _patterns(node)
    if patterns is not None and _fits(patterns):
        out.append((node, patterns))
        return
    assert isinstance(node, _Group)
    if node.op == "$or":
        for item in node.items:
            _pieces(item, out)
        return
    groups = [i for i, item in enumerate(node.items) if isinstance(item, _Group)]
    with_refs = [i for i in groups if _has_ref(node.items[i])]
    position = (with_refs or groups)[0]
    branches = node.items[position]
    assert isinstance(branches, _Group)
    for branch in branches.items:
        _pieces(_node(_all(*node.items[:position], branch, *node.items[position + 1:])), out)


def _guard(node: _Node) -> _Node:
    """``node``, preceded by ``$ex ok`` if it would also hold on durable's session-state fact.

    The pieces of a guarded node keep the guard (an ``$and`` is only ever distributed); the pieces of an
    unguarded node need none (a piece that held without properties would make the node hold too).
    """
    if not _holds_without_properties(node):
        return node
    return _node(_all(_OK_PRESENT, node))


# ---- translation of compiled conditions ------------------------------------------------------------------------


def _const_problem(value: Any) -> str | None:
    if isinstance(value, str) and _too_long("s" + str_key(value)):
        return f"the string constant {value[:40]!r}… is longer than durable can compare ({MAX_STRING_BYTES} bytes)"
    return None


class _Translator:
    """Translates the compiled conditions of one scope, numbering the keys they read."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rule_id = ""

    def rule(self, rule: ir.CompiledRule) -> _Tree:
        self.rule_id = rule.id
        return self.cond(rule.condition)

    def cond(self, cond: ir.Cond) -> _Tree:
        if isinstance(cond, ir.All):
            return _group("$and", (self.cond(i) for i in cond.items))
        if isinstance(cond, ir.Any_):
            return _group("$or", (self.cond(i) for i in cond.items))
        if isinstance(cond, ir.Literal_):
            return bool(cond.value)
        if isinstance(cond, ir.Exists):
            if isinstance(cond.operand, ir.Const):
                return (cond.operand.value is None) is cond.negated
            e = f"e{self.key(cond.operand)}"
            return _leaf({"$nex" if cond.negated else "$ex": {e: 1}}, e)
        if isinstance(cond, ir.Truth):
            if isinstance(cond.operand, ir.Const):
                return cond.operand.value is (not cond.negated)
            v = f"v{self.key(cond.operand)}"
            return _leaf({v: "b0" if cond.negated else "b1"}, v)
        if isinstance(cond, ir.Compare):
            return self.compare(cond.op, cond.left, cond.right)
        raise EngineError(f"rule {self.rule_id}: not a compiled condition: {cond!r}")

    def key(self, operand: ir.Operand) -> int:
        if isinstance(operand, (ir.Fact, ir.Computed)):
            return self.index.setdefault(operand.key, len(self.index))
        raise EngineError(f"rule {self.rule_id}: operand not compiled: {operand!r}")

    def compare(self, op: str, left: ir.Operand, right: ir.Operand) -> _Tree:
        if isinstance(left, ir.Const) and isinstance(right, ir.Const):
            return compare_values(op, left.value, right.value)
        if isinstance(left, ir.Const):
            return self.compare(ir.MIRRORED_OP[op], right, left)
        j = self.key(left)
        t, v = f"t{j}", f"v{j}"
        if isinstance(right, ir.Const):
            value = right.value
            if value is None or is_missing(value):
                return False  # a comparison with a missing value is false
            problem = _const_problem(value)
            if problem:
                raise EngineError(f"rule {self.rule_id}: {problem}")
            tag, typed = typed_key(value)
            if typed is None:  # NaN: == and ordering are false, != holds for every present value
                return _exists(v) if op == "!=" else False
            if op == "==":
                return _leaf({v: typed}, v)
            if op == "!=":
                return _leaf({"$neq": {v: typed}}, v)  # an unknown kind's key o<j> differs from every constant
            if tag not in (_NUM, _STR):
                return False  # only numbers and strings are ordered
            return _all(_leaf({t: tag}, t), _leaf({_ORDER_OPS[op]: {v: typed}}, v))
        k = self.key(right)
        if k == j:  # the same value on both sides (o<j> would equal itself)
            if op == "==":
                return _leaf({"$neq": {t: _OTHER}}, t)
            if op == "!=":
                return _leaf({t: _OTHER}, t)
            if op in ("<", ">"):
                return False
            return _all(_leaf({"$neq": {t: _BOOL}}, t), _leaf({"$neq": {t: _OTHER}}, t))
        t2, v2 = f"t{k}", f"v{k}"
        if op == "==":
            return _leaf({v: {"a": v2}}, v, v2, ref=v2)
        if op == "!=":
            return _leaf({"$neq": {v: {"a": v2}}}, v, v2, ref=v2)
        return _all(
            _leaf({"$neq": {t: _BOOL}}, t),  # the left is a number or a string …
            _leaf({"$neq": {t: _OTHER}}, t),
            _leaf({t: {"a": t2}}, t, t2, ref=t2),  # … and so is the right
            _leaf({_ORDER_OPS[op]: {v: {"a": v2}}}, v, v2, ref=v2),
        )


# ---- loaded packs ---------------------------------------------------------------------------------------------


@dataclass
class _Piece:
    rule: ir.CompiledRule
    patterns: Patterns
    links: int
    reads: frozenset[str]

    @property
    def join(self) -> bool:
        return len(self.patterns) > 1


@dataclass
class _Ruleset:
    name: str
    join: bool
    pieces: list[_Piece] = field(default_factory=list)
    links: int = 1  # the rule "ready"
    reads: set[str] = field(default_factory=set)
    ruleset: Any = None
    encoders: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    """per key read: (key, e-property or None, t-property or None, v-property or None)."""
    rule_ids: str = ""


@dataclass
class _ScopePlan:
    name: str
    rulesets: list[_Ruleset]


@dataclass
class _LoadedPack:
    host: Any
    scopes: dict[str, _ScopePlan]
    sink: dict[str, set[int]]
    """session id → the rule indexes fired in it"""
    ready: set[str]
    """the sessions in which an action has run (which may be deleted)"""


class _QuietHost(durable.Host):  # type: ignore[misc]
    """A durable ``Host`` without the timer threads that poll rulesets for actions in the background."""

    def _run(self) -> None:
        return None


def _free_rulesets(handles: list[int]) -> None:
    for handle in handles:
        try:
            durable.durable_rules_engine.delete_ruleset(handle)
        except Exception:  # the ruleset is unreachable either way
            pass


def _make_action(rule_index: int, sink: dict[str, set[int]]) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        fired = sink.get(c.s["sid"])
        if fired is not None:
            fired.add(rule_index)

    return action


def _durable_message(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc)
    hint = _ERROR_HINTS.get(text.rsplit(" ", 1)[-1])
    return f"{text} ({hint})" if hint else text


def _make_ready(ready: set[str]) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        ready.add(c.s["sid"])

    return action


def _definition(pieces: Sequence[_Piece], sink: dict[str, set[int]], ready: set[str]) -> dict[str, Any]:
    """The ruleset: a rule per piece, and ``ready``, which every evaluated fact (``ok == 1``) fires.

    durable leaves the action context of a new session uninitialised until an action has run, and
    ``delete_state`` frees it: deleting a session in which no rule fired crashes the process (or not,
    depending on what the memory held). ``ready`` makes an action run in every session, and records the
    sessions that may be deleted.

    durable shares an alpha node between rules when the test and the parent node are the same, but records
    a reference test only in the expression sequence of the first rule: the others silently lose it (and
    durable may read past the end of their sequence). So pattern ``b`` of rule ``n`` starts with
    ``ok == 2`` and then ``ok != -n``, a test no other rule has, below which nothing is shared.
    """
    rules: dict[str, Any] = {"ready": {"all": [{"m": {_OK: 1}}], "run": _make_ready(ready)}}
    for n, piece in enumerate(pieces):
        head = {"$neq": {_OK: -1 - n}}
        rules[f"p{n}"] = {"all": [{name: _json(node, head)} for name, node in piece.patterns],
                          "run": _make_action(piece.rule.index, sink)}
    return rules


def _culprit(pieces: Sequence[_Piece]) -> str | None:
    """The id of the first rule durable refuses on its own."""
    for piece in pieces:
        probe = _QuietHost()
        try:
            probe.register_rulesets({"probe": _definition([piece], {}, set())})
        except Exception:
            return piece.rule.id
        _free_rulesets([probe.get_ruleset("probe")._handle])
    return None


def _plan_scope(pack: CompiledPack, number: int, scope_name: str, rules: Sequence[ir.CompiledRule]) -> _ScopePlan:
    translator = _Translator()
    pieces: list[_Piece] = []
    for rule in rules:
        tree = translator.rule(rule)
        if tree is False:
            continue
        parts: list[tuple[_Node, Patterns]] = []
        _pieces(_guard(_OK_PRESENT if tree is True else _node(tree)), parts)
        if len(parts) > MAX_PIECES_PER_RULE:
            raise EngineError(f"pack {pack.id}, rule {rule.id}: the condition is too large for the durable engine "
                              f"(more than {MAX_PIECES_PER_RULE} disjuncts once split to durable's limits); "
                              f"simplify it or use the python engine")
        for node, patterns in parts:
            reads = _reads(node)
            if len(reads) > MAX_PROPERTIES:
                raise EngineError(f"pack {pack.id}, rule {rule.id}: the condition reads {len(reads)} durable "
                                  f"properties; a durable fact holds at most {MAX_PROPERTIES}")
            b = patterns[-1][1]
            if len(patterns) > 1 and isinstance(b, _Group) and len(b.items) - 3 > MAX_REFERENCES:
                raise EngineError(f"pack {pack.id}, rule {rule.id}: more than {MAX_REFERENCES} comparisons "
                                  f"between facts in one conjunction; durable cannot hold them")
            pieces.append(_Piece(rule, patterns, sum(_links(n) for _, n in patterns), reads))
    if len(translator.index) > MAX_KEYS_PER_SCOPE:
        raise EngineError(f"pack {pack.id}, scope {scope_name!r}: the rules read {len(translator.index)} values; "
                          f"the durable engine supports at most {MAX_KEYS_PER_SCOPE} per scope (a durable fact "
                          f"holds at most 255 properties): use the python engine, or split the scope")
    rulesets: list[_Ruleset] = []
    for join in (False, True):
        current: _Ruleset | None = None
        for piece in pieces:
            if piece.join is not join:
                continue
            oversize = piece.links + 1 > STACK_BUDGET  # plain chains: a ruleset of their own
            if current is None or oversize or current.links + piece.links > STACK_BUDGET \
                    or len(current.pieces) >= MAX_RULES_PER_RULESET \
                    or len(current.reads | piece.reads) > MAX_PROPERTIES:
                current = _Ruleset(f"s{number}r{len(rulesets)}", join)
                rulesets.append(current)
            current.pieces.append(piece)
            current.links += piece.links
            current.reads |= piece.reads
            if oversize:
                current = None
    names = {index: key for key, index in translator.index.items()}
    for ruleset in rulesets:
        _check_names(pack, scope_name, ruleset)
        for index in sorted({int(p[1:]) for p in ruleset.reads}):
            e, t, v = f"e{index}", f"t{index}", f"v{index}"
            ruleset.encoders.append((names[index], e if e in ruleset.reads else None,
                                     t if t in ruleset.reads else None, v if v in ruleset.reads else None))
        ids = list(dict.fromkeys(p.rule.id for p in ruleset.pieces))
        ruleset.rule_ids = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    return _ScopePlan(scope_name, rulesets)


def _check_names(pack: CompiledPack, scope_name: str, ruleset: _Ruleset) -> None:
    seen: dict[int, str] = {}
    for name in (*_RESERVED, *sorted(ruleset.reads)):
        other = seen.setdefault(fnv1a_32(name), name)
        if other != name:
            raise EngineError(f"pack {pack.id}, scope {scope_name!r}: the durable property names {other!r} and "
                              f"{name!r} share a hash")


def _message(plan: _ScopePlan, ruleset: _Ruleset, fact: dict[str, Any]) -> dict[str, Any]:
    """The encoded fact for ``ruleset``: the properties its conditions read (see the module docstring)."""
    message: dict[str, Any] = {}
    for key, e, t, v in ruleset.encoders:
        value = fact.get(key)
        if value is None:
            continue
        if e is not None:
            message[e] = 1
        if (t is None and v is None) or is_missing(value):
            continue
        tag, typed = typed_key(value)
        if t is not None:
            message[t] = tag
        if v is not None:
            if typed is None:
                typed = "o" + v[1:]  # an unknown kind: a key of its own, equal to no other key's
            elif _too_long(typed):
                raise EngineError(f"scope {plan.name!r}: the value of {key!r} is longer than durable can compare "
                                  f"({MAX_STRING_BYTES} bytes); use the python engine")
            message[v] = typed
    return message


class DurableEngine:
    """Evaluates compiled packs with durable-rules; gives exactly the matches of the reference engine."""

    name = "durable"

    def __init__(self) -> None:
        self._loaded: dict[int, tuple[CompiledPack, _LoadedPack]] = {}
        self._sids = itertools.count()
        self._lock = threading.Lock()

    def load(self, pack: CompiledPack) -> None:
        """Translate every scope of ``pack`` into durable rulesets, on a Host of the pack's own.

        :raises EngineError: naming the rule, when durable cannot hold a condition.
        """
        host = _QuietHost()
        sink: dict[str, set[int]] = {}
        ready: set[str] = set()
        scopes = {name: _plan_scope(pack, number, name, scope.rules)
                  for number, (name, scope) in enumerate(pack.scopes.items())}
        handles: list[int] = []
        try:
            for plan in scopes.values():
                for ruleset in plan.rulesets:
                    try:
                        host.register_rulesets({ruleset.name: _definition(ruleset.pieces, sink, ready)})
                    except Exception as exc:
                        culprit = _culprit(ruleset.pieces)
                        which = f"rule {culprit}" if culprit else f"one of the rules {ruleset.rule_ids}"
                        raise EngineError(f"pack {pack.id}, scope {plan.name!r}: durable-rules cannot load "
                                          f"{which}: {_durable_message(exc)}") from exc
                    ruleset.ruleset = host.get_ruleset(ruleset.name)
                    handles.append(ruleset.ruleset._handle)
        except BaseException:
            _free_rulesets(handles)
            raise
        weakref.finalize(host, _free_rulesets, handles).atexit = False
        with self._lock:
            self._loaded[id(pack)] = (pack, _LoadedPack(host, scopes, sink, ready))

    def evaluate(self, pack: CompiledPack, prepared: Prepared) -> list[Match]:
        """Every ``(rule index, item index)`` whose condition holds on the prepared facts, in rule order per item.

        :raises EngineError: when durable fails, naming the scope, the rules and durable's message.
        """
        entry = self._loaded.get(id(pack))
        if entry is None or entry[0] is not pack:
            self.load(pack)
            entry = self._loaded[id(pack)]
        loaded = entry[1]
        matches: list[Match] = []
        for scope_name, items in prepared.items():
            plan = loaded.scopes.get(scope_name)
            if plan is None:
                raise EngineError(f"pack {pack.id} has no scope {scope_name!r}")
            for item_index, fact in items:
                fired: set[int] = set()
                for ruleset in plan.rulesets:
                    self._run(loaded, plan, ruleset, fact, fired)
                matches.extend((rule_index, item_index) for rule_index in sorted(fired))
        return matches

    def _run(self, loaded: _LoadedPack, plan: _ScopePlan, ruleset: _Ruleset, fact: dict[str, Any],
             fired: set[int]) -> None:
        """Evaluate one ruleset on one prepared fact, in a session of its own, adding the matches to ``fired``."""
        sid = str(next(self._sids))
        message = _message(plan, ruleset, fact)
        message.update(sid=sid, id="a", ok=1)
        copies = [message, {**message, "id": "b", _OK: 2}] if ruleset.join else [message]
        host = loaded.host
        failure: Exception | None = None
        with _DURABLE_LOCK:
            loaded.sink[sid] = fired
            try:
                for copy in copies:
                    try:
                        host.assert_fact(ruleset.name, copy)
                    except durable.MessageNotHandledException:
                        pass  # the copy for pattern b matched no rule's tests
            except Exception as exc:
                failure = exc
            finally:
                del loaded.sink[sid]
            try:
                if sid not in loaded.ready:  # durable failed before any action: run "ready" (see _definition)
                    try:
                        host.assert_fact(ruleset.name, {"sid": sid, "id": "z", _OK: 1})
                    except Exception:  # then the session is left, rather than deleted unsafely
                        pass
                if sid in loaded.ready:
                    try:
                        ruleset.ruleset.delete_state(sid)
                    except Exception as exc:
                        failure = failure or exc
            finally:
                loaded.ready.discard(sid)
        if failure is not None:
            raise EngineError(f"durable-rules failed on scope {plan.name!r} (rules {ruleset.rule_ids}): "
                              f"{_durable_message(failure)}") from failure
