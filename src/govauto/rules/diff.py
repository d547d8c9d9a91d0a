"""What changes between two versions of a rule pack: ``govauto pack diff OLD NEW``.

Rules are compared by id (added, removed, and changed with the fields whose text differs); the example cases of
both packs are reviewed with both compiled packs, whatever their submitted dates, and those whose outcome or
finding ids differ are listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govauto.errors import GovautoError
from govauto.lookups import BUSINESS_NAMES
from govauto.rules.pack import Example, Pack, Rule

if TYPE_CHECKING:
    from govauto.rules.compiler import CompiledPack
    from govauto.runtime import Runtime
    from govauto.testing.packs import ExampleNameRegistry

RULE_FIELDS = ("title", "when", "outcome", "message", "basis", "let", "for_each")
"""The fields of a rule compared by :func:`diff_rules`, in the order they are reported."""


@dataclass(frozen=True)
class RuleChange:
    """A rule both versions have, and the fields whose text differs."""

    rule: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ExampleReview:
    """One example case's decision with one pack version: its outcome and finding rule ids (or why it failed)."""

    outcome: str
    findings: tuple[str, ...]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "findings": list(self.findings)}
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class ExampleChange:
    """An example case whose decision differs between the two versions."""

    name: str
    file: str
    old: ExampleReview
    new: ExampleReview

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "old": self.old.to_dict(), "new": self.new.to_dict()}


@dataclass
class PackDiff:
    """The differences between pack ``old`` and pack ``new``."""

    old: Pack
    new: Pack
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    examples: list[ExampleChange] = field(default_factory=list)
    examples_reviewed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": _pack_dict(self.old),
            "new": _pack_dict(self.new),
            "rules": {"added": list(self.added), "removed": list(self.removed),
                      "changed": [{"rule": c.rule, "fields": list(c.fields)} for c in self.changed]},
            "examples_reviewed": self.examples_reviewed,
            "examples_changed": [e.to_dict() for e in self.examples],
        }


def _pack_dict(pack: Pack) -> dict[str, Any]:
    return {"id": pack.id, "version": pack.version, "path": str(pack.path),
            "effective_from": pack.effective_from.isoformat() if pack.effective_from else None,
            "effective_until": pack.effective_until.isoformat() if pack.effective_until else None}


def _text(rule: Rule, name: str) -> Any:
    value = getattr(rule, name)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: v.strip() for k, v in value.items()}
    return value


def diff_rules(old: Pack, new: Pack) -> tuple[list[str], list[str], list[RuleChange]]:
    """Rule ids added and removed (in the order of the pack that has them), and the rules changed with which
    fields (leading and trailing whitespace ignored)."""
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    added = [r.id for r in new.rules if r.id not in before]
    removed = [r.id for r in old.rules if r.id not in after]
    changed: list[RuleChange] = []
    for rule in new.rules:
        if rule.id in before:
            fields = tuple(f for f in RULE_FIELDS if _text(before[rule.id], f) != _text(rule, f))
            if fields:
                changed.append(RuleChange(rule.id, fields))
    return added, removed, changed


def _examples(packs: Iterable[Pack]) -> list[Example]:
    """The examples of every pack, an example with the same name and case as one already listed only once."""
    out: list[Example] = []
    for pack in packs:
        for example in pack.examples:
            if not any(e.name == example.name and e.case == example.case for e in out):
                out.append(example)
    return out


def _review(runtime: Runtime, pack: CompiledPack, example: Example, engine: str | None,
            registry: ExampleNameRegistry | None) -> ExampleReview:
    if registry is not None:
        registry.taken = {(str(n.get("name")), str(n.get("division"))) for n in example.lookups.get(BUSINESS_NAMES, [])}
    try:
        decision = runtime.review(example.case, engine=engine, pack=pack, check_dates=False)
    except GovautoError as exc:
        return ExampleReview("error", (), str(exc))
    return ExampleReview(decision.outcome, tuple(sorted(f.rule for f in decision.findings)))


def diff_packs(runtime: Runtime, old: CompiledPack, new: CompiledPack, engine: str | None = None,
               registry: ExampleNameRegistry | None = None) -> PackDiff:
    """Compare two compiled packs: their rules, and the decisions on the example cases of both.

    Each example is reviewed with each pack regardless of the pack's effective dates (``check_dates=False``).

    :param registry: the runtime's :class:`~govauto.testing.packs.ExampleNameRegistry`, loaded with each
        example's taken names (as ``govauto pack test`` does).
    """
    added, removed, changed = diff_rules(old.pack, new.pack)
    result = PackDiff(old.pack, new.pack, added, removed, changed)
    examples = _examples([old.pack, new.pack])
    result.examples_reviewed = len(examples)
    for example in examples:
        before = _review(runtime, old, example, engine, registry)
        after = _review(runtime, new, example, engine, registry)
        if (before.outcome, before.findings, before.error is None) != (after.outcome, after.findings,
                                                                       after.error is None):
            result.examples.append(ExampleChange(example.name, example.file, before, after))
    return result
