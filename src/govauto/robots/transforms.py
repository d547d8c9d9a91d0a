"""Transforms: how a fact's value becomes what a legacy form accepts.

A form map field lists transforms applied in order, each written ``name`` or ``{name: parameter}``::

    value: submitted_on
    transform: [{date: "%Y%m%d"}]            # 2026-11-20 → 20261120
    transform: [{lookup: organisation}]      # individual → 1 (a table declared under ``tables:``)
    transform: [{divide: 10000}, {number: 4}]  # 50000 yuan → "5" (万元, up to 4 decimals)

A transform applied to a list applies to each item, except ``join`` and ``first``. A value that a transform
cannot handle raises :class:`~govauto.errors.RobotDataError` naming the value, so a person can enter it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from govauto.errors import RobotDataError

Apply = Callable[[Any], Any]
"""A prepared transform: value in, value out."""


@dataclass(frozen=True)
class TransformSpec:
    """A transform as written in a map: its name, its parameter (or ``None``) and the line it is on."""

    name: str
    parameter: Any
    line: int | None = None


# Characters people type that a GBK page cannot hold, with the GBK character that means the same.
GBK_EQUIVALENTS = {
    "\u2022": "\u00b7",  # • bullet, typed for the middle dot in minority names (买买提•艾力)
    "\u30fb": "\u00b7",  # ・ katakana middle dot
    "\u2027": "\u00b7",  # ‧ hyphenation point
    "\u22c5": "\u00b7",  # ⋅ dot operator
    "\uff65": "\u00b7",  # ･ half-width katakana middle dot
    "\u00a0": " ",       # no-break space
    "\u2009": " ",       # thin space
    "\u200a": " ",       # hair space
    "\u200b": "",        # zero-width space
    "\ufeff": "",        # byte-order mark pasted from a file
}


def gbk_safe(value: Any) -> Any:
    """Replace characters a GBK page cannot hold by their GBK equivalents (middle-dot variants, odd spaces).

    It never drops a meaningful character: one with no equivalent stays, and the map's ``charset`` check then
    sends the case to a person naming the character.
    """
    if not isinstance(value, str):
        return value
    return "".join(GBK_EQUIVALENTS.get(ch, ch) for ch in unicodedata.normalize("NFC", value))


def _date(fmt: Any) -> Apply:
    def apply(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        else:
            text = str(value)
            try:
                day = dt.date.fromisoformat(text[:10])
            except ValueError:
                raise RobotDataError(f"'{text}' is not a date (YYYY-MM-DD) and cannot be written as {fmt}") from None
        return day.strftime(str(fmt))

    return apply


def table_key(value: Any) -> str:
    """The form in which a ``lookup`` table's keys and the values looked up in it are compared.

    A yes/no is ``true`` or ``false``; anything else is its text (a whole number its decimal digits), compared
    exactly. So ``true``, ``"true"`` and a fact ``True`` are one key, as are ``1``, ``"1"`` and a fact ``1``; but
    ``True`` is not ``1``, ``"01"`` is not ``1`` and ``"True"`` (text) is not ``true``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lookup_factory(tables: Mapping[str, Mapping[str, str]]) -> Callable[[Any], Apply]:
    def make(table_name: Any) -> Apply:
        table = tables[str(table_name)]

        def apply(value: Any) -> Any:
            if value is None:
                return None
            key = table_key(value)
            if key not in table:
                known = ", ".join(list(table)[:8])
                raise RobotDataError(f"no code for '{value}' in table '{table_name}' (it has: {known}…)")
            return table[key]

        return apply

    return make


def _number(places: Any) -> Apply:
    quantum = Decimal(1).scaleb(-int(places))

    def apply(value: Any) -> Any:
        if value is None:
            return None
        try:
            number = Decimal(str(value)).quantize(quantum)
        except InvalidOperation:
            raise RobotDataError(f"'{value}' is not a number") from None
        text = format(number.normalize(), "f")
        return text

    return apply


def _arith(op: Callable[[Decimal, Decimal], Decimal]) -> Callable[[Any], Apply]:
    def make(operand: Any) -> Apply:
        other = Decimal(str(operand))

        def apply(value: Any) -> Any:
            if value is None:
                return None
            try:
                return op(Decimal(str(value)), other)
            except InvalidOperation:
                raise RobotDataError(f"'{value}' is not a number") from None

        return apply

    return make


def _simple(function: Callable[[str], str]) -> Callable[[Any], Apply]:
    def make(_: Any) -> Apply:
        return lambda value: None if value is None else function(str(value))

    return make


def cn_phone(value: Any) -> Any:
    """A Chinese phone number as old systems take it: ``13800138000`` for a mobile (``+86``, spaces and dashes
    dropped), ``0755-12345678`` for a landline; anything else is returned unchanged for the target to judge."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            digits = digits[len(prefix):]
    if re.fullmatch(r"1\d{10}", digits):
        return digits
    landline = re.fullmatch(r"(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})", digits)
    if landline:
        return f"{landline[1]}-{landline[2]}"
    return str(value)


def _default(fallback: Any) -> Apply:
    return lambda value: fallback if value in (None, "", []) else value


def _join(separator: Any) -> Apply:
    sep = "、" if separator is None else str(separator)
    return lambda value: sep.join(str(v) for v in value) if isinstance(value, list) else value


def _first(_: Any) -> Apply:
    return lambda value: (value[0] if value else None) if isinstance(value, list) else value


def _bool_text(parameter: Any) -> Apply:
    yes, no = (parameter or ["是", "否"])

    def apply(value: Any) -> Any:
        return None if value is None else (yes if value else no)

    return apply


# name → (parameter kind, factory); the parameter kind drives validation at load.
BUILTIN_TRANSFORMS: dict[str, tuple[str, Callable[[Any], Apply]]] = {
    "date": ("strftime format, e.g. \"%Y%m%d\"", _date),
    "number": ("decimal places, e.g. 4", _number),
    "divide": ("a number", _arith(lambda a, b: a / b)),
    "multiply": ("a number", _arith(lambda a, b: a * b)),
    "upper": ("none", _simple(str.upper)),
    "lower": ("none", _simple(str.lower)),
    "strip": ("none", _simple(str.strip)),
    "digits": ("none", _simple(lambda s: re.sub(r"\D", "", s))),
    "gbk_safe": ("none", lambda _: gbk_safe),
    "cn_phone": ("none", lambda _: cn_phone),
    "default": ("the value to use when the fact is empty", _default),
    "join": ("separator, default 、", _join),
    "first": ("none", _first),
    "yes_no": ("[text for true, text for false], default [是, 否]", _bool_text),
}
_STRFTIME = re.compile(r"%-?[aAwdbBmyYHIpMSfzZjUWcxXGuV%]")
"""The strftime directives Python documents (``%-m``: no zero padding, as glibc allows)."""
TRANSFORMS_ON_WHOLE_LISTS = {"join", "first", "default"}
PARAMETER_REQUIRED = {"date", "number", "divide", "multiply", "default", "lookup"}


def transform_problem(spec: TransformSpec, tables: Mapping[str, Any]) -> str | None:
    """What is wrong with a transform as written (``None`` when it is usable)."""
    if spec.name == "lookup":
        if spec.parameter not in tables:
            declared = ", ".join(tables) or "none declared"
            return f"lookup: no table '{spec.parameter}' under tables: ({declared})"
        return None
    if spec.name not in BUILTIN_TRANSFORMS:
        return f"unknown transform '{spec.name}' (available: {', '.join(sorted([*BUILTIN_TRANSFORMS, 'lookup']))})"
    if spec.name in PARAMETER_REQUIRED and spec.parameter is None:
        return f"{spec.name}: needs a parameter ({BUILTIN_TRANSFORMS[spec.name][0]})"
    if spec.name == "date":
        # strftime itself refuses nothing on Linux ('%Q' and 'YYYYMMDD' come out literally): check the directives.
        fmt = str(spec.parameter)
        directives = _STRFTIME.findall(fmt)
        if "%" in _STRFTIME.sub("", fmt) or not [d for d in directives if d != "%%"]:
            return (f"date: '{spec.parameter}' is not a strftime format (e.g. \"%Y%m%d\" for 20261120, "
                    "\"%Y-%m-%d\" for 2026-11-20)")
    if spec.name in {"divide", "multiply"}:
        try:
            if Decimal(str(spec.parameter)) == 0:
                return f"{spec.name}: cannot be 0"
        except InvalidOperation:
            return f"{spec.name}: '{spec.parameter}' is not a number"
    if spec.name == "number" and not (isinstance(spec.parameter, int) and 0 <= spec.parameter <= 12):
        return f"number: '{spec.parameter}' must be a whole number of decimal places (0-12)"
    return None


def prepare(specs: tuple[TransformSpec, ...], tables: Mapping[str, Mapping[str, str]]) -> Apply:
    """Compose a field's transforms into one function (the map was validated, so every name is known)."""
    lookup = _lookup_factory(tables)
    steps: list[tuple[str, Apply]] = []
    for spec in specs:
        factory = lookup if spec.name == "lookup" else BUILTIN_TRANSFORMS[spec.name][1]
        steps.append((spec.name, factory(spec.parameter)))

    def apply(value: Any) -> Any:
        for name, step in steps:
            if isinstance(value, list) and name not in TRANSFORMS_ON_WHOLE_LISTS:
                value = [step(v) for v in value]
            else:
                value = step(value)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        return value

    return apply
