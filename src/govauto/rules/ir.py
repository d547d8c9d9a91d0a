"""The compiled form of a rule condition, shared by every rule engine.

A ``when`` expression is parsed (:mod:`govauto.rules.expr`) into these nodes, then normalised by the
compiler (:mod:`govauto.rules.compiler`):

* negation is pushed down to the atoms (negation normal form), so engines only see ``All``/``Any`` of atoms;
* every function call, regex match and membership in a list-valued fact is *hoisted*: computed in Python
  during fact preparation and stored in the prepared fact under a key of its own (``Computed``);
* every operand that reads a fact carries the flat ``key`` under which the prepared fact holds it.

Semantics, identical in every engine (the differential tests hold them to it):

* a fact that is absent, ``None``, ``""`` or ``[]`` is *missing*; ``Exists`` tests for it;
* a comparison with a missing operand is false, however it is written (so ``not (x < 3)`` is false when ``x``
  is missing, because it is normalised to ``x >= 3``);
* ``<``, ``<=``, ``>``, ``>=`` compare two numbers or two strings; any other pair compares false;
* ``==``/``!=`` compare values of the same kind (bool, number, string); across kinds ``==`` is false and
  ``!=`` is true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Scalar: TypeAlias = str | int | float | bool
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]

NEGATED_OP: dict[str, CompareOp] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
MIRRORED_OP: dict[str, CompareOp] = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


# ---- operands -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    """A literal: string, number or boolean."""

    value: Scalar


@dataclass(frozen=True)
class Fact:
    """A fact read by its dotted path (``applicant.id_number``; ``item.kind`` inside a ``for_each`` rule)."""

    path: str
    key: str = ""


@dataclass(frozen=True)
class Call:
    """A call of a registered function, or of a built-in (``missing``, ``matches``, ``count``, ``contains``)."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class Computed:
    """A hoisted call: its value is computed during fact preparation and read from ``key``."""

    call: Call
    key: str


Operand: TypeAlias = Const | Fact | Call | Computed


# ---- conditions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``left op right``; after compilation ``left`` is never a ``Const``."""

    op: CompareOp
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Exists:
    """``missing(x)`` when ``negated``, otherwise ``not missing(x)``."""

    operand: Operand
    negated: bool = False


@dataclass(frozen=True)
class Truth:
    """A bare boolean operand used as a condition: true when the operand is ``True`` (``False`` if negated)."""

    operand: Operand
    negated: bool = False


@dataclass(frozen=True)
class Not:
    """Negation; removed by the compiler."""

    item: Cond


@dataclass(frozen=True)
class All:
    """Conjunction of conditions."""

    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_:
    """Disjunction of conditions."""

    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Literal_:
    """A constant truth value (the result of folding constants)."""

    value: bool


Cond: TypeAlias = Compare | Exists | Truth | Not | All | Any_ | Literal_


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for an engine: a condition over the keys of one prepared fact per scope."""

    id: str
    index: int
    scope: str
    """``"case"``, or the dotted path of the list a ``for_each`` rule iterates over."""
    condition: Cond
    inputs: tuple[tuple[str, str], ...] = field(default=())
    """``(display path, key)`` of every fact and computed value the condition reads, for findings and traces."""
