"""Differential tests: durable-rules and the reference evaluator give identical findings."""

from __future__ import annotations

import os
from pathlib import Path

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


PACK_DIRS = sorted(p.parent for p in (PACK_DIR.parent.parent).glob("*/*/pack.yaml"))


@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=lambda p: f"{p.parent.name}.{p.name}")
def test_engines_agree_on_every_pack_example(pack_dir: Path) -> None:
    runtime, registry = example_runtime()
    for example in read_pack(pack_dir).examples:
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
    # the extracted.* rules need materials: test_extracted_rules_agree below
    all_rules = {r.id for r in read_pack(PACK_DIR).rules if not r.id.startswith("extracted.")}
    assert len(fired) >= len(all_rules) - 2, sorted(all_rules - fired)


def test_extracted_rules_agree_on_generated_extraction_facts() -> None:
    """Both engines on the extracted.* rules, with extraction facts drawn at random (no OCR needed)."""
    import random

    from govauto.rules.compiler import prepare
    from govauto.rules.durable_engine import DurableEngine
    from govauto.rules.engines import PythonEngine

    runtime, _ = example_runtime()
    pack = runtime.pack_for("sole_proprietor.establish")
    python, durable = PythonEngine(), DurableEngine()
    python.load(pack)
    durable.load(pack)
    rng = random.Random(4)
    names = ["张三", "李四", None]
    ids = ["110101199003071233", "440305198703154222", None]
    dates = ["2025-01-01", "2026-11-20", "2030-12-31", "长期", None]
    fired: set[str] = set()
    for case in generate_cases(1500, seed=99):
        facts = runtime.facts(runtime.load_case(case))
        facts.update({
            "extracted.id_card_front.name": rng.choice(names),
            "extracted.id_card_front.id_number": rng.choice(ids),
            "extracted.id_card_back.valid_until": rng.choice(dates),
            "extracted.application_form.id_number": rng.choice(ids),
            "extracted.lease.lessee": rng.choice(names),
            "extracted.lease.start": rng.choice([*dates[:3], None]),
            "extracted.lease.end": rng.choice([*dates[:3], None]),
            "extracted.lease.address": rng.choice(["广东省深圳市南山区某路1号", None]),
            "extracted.property_certificate.owner": rng.choice(names),
            "extracted.property_certificate.address": rng.choice(["深圳市福田区某路2号", None]),
            "extraction.unreadable": rng.choice([[], [{"file": "a.pdf", "kind": "id_card", "reason": "corrupt",
                                                        "message": "damaged"}]]),
            "extraction.unrecognised": rng.choice([[], [{"file": "b.png", "kind": "other", "scores": "lease 0.00",
                                                          "reason": "no document type matches"}]]),
            "extraction.low_confidence": rng.choice([[], [{"document": "lease", "field": "lessee", "value": "张二",
                                                           "declared": "张三", "confidence": 0.5, "threshold": 0.85,
                                                           "valid": None, "file": "l.pdf", "page": 1}]]),
        })
        prepared = prepare(pack, facts)
        a, b = sorted(python.evaluate(pack, prepared), key=str), sorted(durable.evaluate(pack, prepared), key=str)
        assert a == b, case["case_id"]
        fired.update(pack.rules[i].id for i, _ in a)
    extracted = {r.id for r in pack.rules if r.id.startswith("extracted.")}
    assert extracted <= fired, sorted(extracted - fired)
