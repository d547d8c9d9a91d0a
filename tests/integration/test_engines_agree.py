"""Differential tests: durable-rules and the reference evaluator give identical findings."""

from __future__ import annotations

import os

import pytest

from govauto.rules.pack import read_pack
from govauto.testing.generate import generate_cases
from govauto.testing.packs import example_runtime

from ..conftest import PACK_DIR

GENERATED = int(os.environ.get("GOVAUTO_DIFF_CASES", "10000"))


def _key(decision: object) -> object:
    from govauto.outcome import Decision

    assert isinstance(decision, Decision)
    return decision.outcome, [f.to_dict() for f in decision.findings]


def test_engines_agree_on_every_pack_example() -> None:
    runtime, registry = example_runtime()
    for example in read_pack(PACK_DIR).examples:
        registry.taken = {(n["name"], n["division"]) for n in example.lookups.get("business_names", [])}
        assert _key(runtime.review(example.case, engine="python")) == \
            _key(runtime.review(example.case, engine="durable")), example.name


@pytest.mark.slow
def test_engines_agree_on_generated_cases() -> None:
    runtime, registry = example_runtime()
    registry.taken = {("深圳市南山区好运便利店（个体工商户）", "440305")}
    outcomes: dict[str, int] = {}
    fired: set[str] = set()
    for case in generate_cases(GENERATED, seed=20261125):
        python = runtime.review(case, engine="python")
        durable = runtime.review(case, engine="durable")
        assert _key(python) == _key(durable), case["case_id"]
        outcomes[python.outcome] = outcomes.get(python.outcome, 0) + 1
        fired.update(f.rule for f in python.findings)
    # the generator must exercise every outcome and nearly every rule, or agreement proves little
    assert set(outcomes) == {"approve", "correct", "refer", "reject"}, outcomes
    all_rules = {r.id for r in read_pack(PACK_DIR).rules}
    assert len(fired) >= len(all_rules) - 2, sorted(all_rules - fired)
