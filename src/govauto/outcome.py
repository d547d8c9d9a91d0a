"""Findings and decisions: what a review returns.

The JSON form (:meth:`Decision.to_dict`) is a public contract::

    {"case_id": "...", "matter": "...", "pack": {"id": "...", "version": "..."}, "outcome": "correct",
     "findings": [{"rule": "...", "outcome": "correct", "message": "...", "basis": "...", "facts": {...}}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["approve", "correct", "refer", "reject"]
FindingOutcome = Literal["reject", "refer", "correct", "note"]

STRENGTH: dict[str, int] = {"note": 0, "approve": 0, "correct": 1, "refer": 2, "reject": 3}
_BY_STRENGTH: dict[int, Outcome] = {0: "approve", 1: "correct", 2: "refer", 3: "reject"}


@dataclass(frozen=True)
class Finding:
    """One deficiency (or note) found by one rule.

    :ivar rule: the rule id, e.g. ``applicant.id_number.checksum`` (public: reports key on it).
    :ivar outcome: ``reject``, ``refer``, ``correct`` or ``note`` (notes never block approval).
    :ivar message: what is wrong and what to bring, for the applicant.
    :ivar basis: the legal basis (law and article).
    :ivar facts: the facts the rule read, by path (``business.premises[0].division``), with their values.
    """

    rule: str
    outcome: FindingOutcome
    message: str
    basis: str
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome, "message": self.message, "basis": self.basis,
                "facts": dict(self.facts)}


@dataclass(frozen=True)
class RuleTrace:
    """For ``--explain``: one rule evaluated on one scope item, its inputs and whether it fired."""

    rule: str
    fired: bool
    inputs: dict[str, Any]
    item: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "fired": self.fired, "inputs": dict(self.inputs)}
        if self.item is not None:
            out["item"] = self.item
        return out


@dataclass(frozen=True)
class Decision:
    """The result of reviewing one case: the strongest outcome among all findings, and every finding.

    ``outcome`` is ``reject`` > ``refer`` > ``correct`` > ``approve``; ``note`` findings never block.
    """

    case_id: str
    matter: str
    pack_id: str
    pack_version: str
    outcome: Outcome
    findings: tuple[Finding, ...]
    engine: str = "python"
    trace: tuple[RuleTrace, ...] | None = None

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings that are not notes."""
        return tuple(f for f in self.findings if f.outcome != "note")

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form; ``explain`` is added only when the review was asked to explain."""
        out: dict[str, Any] = {
            "case_id": self.case_id,
            "matter": self.matter,
            "pack": {"id": self.pack_id, "version": self.pack_version},
            "outcome": self.outcome,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.trace is not None:
            out["explain"] = {"engine": self.engine, "rules": [t.to_dict() for t in self.trace]}
        return out


def decide(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    """The strongest outcome among ``findings`` (``approve`` when there are none or only notes)."""
    return _BY_STRENGTH[max((STRENGTH[f.outcome] for f in findings), default=0)]
