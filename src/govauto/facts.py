"""Turning a validated case into flat facts: dotted paths to values, lists kept whole.

Besides the contract's fields every case gets:

``submitted_on``
    the China date of ``submitted_at`` (ISO text), the date rules are judged on;
``materials.kinds``
    the kinds of the materials provided (a list).

Matters and plugins add more through ``govauto_enrich_facts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govauto.model import CaseEnvelope

DERIVED_LISTS = frozenset({"materials.kinds"})
"""Derived facts that are lists of scalars (``for_each`` and ``in`` can use them)."""

COMMON_DERIVED_FACTS = {
    "submitted_on": "the China (Asia/Shanghai) date of submitted_at, as YYYY-MM-DD",
    "materials.kinds": "the kinds of the materials provided, as a list",
}


def case_facts(case: CaseEnvelope) -> dict[str, Any]:
    """The flat facts of ``case`` (before enrichment)."""
    facts: dict[str, Any] = {}
    _flatten(case.model_dump(mode="json"), "", facts)
    facts["submitted_on"] = case.submitted_on.isoformat()
    facts["materials.kinds"] = [m.kind for m in case.materials]
    return facts


def _flatten(obj: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in obj.items():
        path = prefix + key
        if isinstance(value, Mapping):
            out[path] = dict(value)
            _flatten(value, path + ".", out)
        else:
            out[path] = value
