"""Each public rule of the 个体工商户设立 pack fires on the deficiency it names, and only then."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import govauto

from ..conftest import rules_of

Case = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        target: Any = case
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return mutate


def _materials_without(kind: str) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        case["materials"] = [m for m in case["materials"] if m["kind"] != kind]
    return mutate


def _all(*mutations: Callable[[Case], None]) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        for m in mutations:
            m(case)
    return mutate


AGENT = {"name": "赵六", "id_number": "440305198001015818", "phone": "13700137000"}
NAMED = _set("business.name", "深圳市南山区张三便利店（个体工商户）")

CASES: list[tuple[str, Callable[[Case], None], str]] = [
    ("applicant.id_number.format", _set("applicant.id_number", "11010119900307123"), "correct"),
    ("applicant.id_number.format", _set("applicant.id_number", "110101900307123"), "correct"),  # 15 digits
    ("applicant.id_number.checksum", _set("applicant.id_number", "110101199003071234"), "correct"),
    ("applicant.id_number.birthdate", _set("applicant.id_number", "440305202302301235"), "correct"),
    ("applicant.id_expired", _set("applicant.id_valid_until", "2026-11-19"), "correct"),
    ("applicant.age.under_16", _set("applicant.id_number", "440305201107061235"), "reject"),
    ("applicant.age.minor_no_income", _set("applicant.id_number", "440305201005123319"), "reject"),
    ("applicant.age.minor_own_income", _all(_set("applicant.id_number", "440305200903012018"),
                                            _set("applicant.own_income", True)), "refer"),
    ("applicant.public_servant", _set("applicant.public_servant", True), "refer"),
    ("applicant.phone", _set("applicant.phone", "0755-8888888"), "correct"),
    ("applicant.phone", _set("applicant.phone", None), "correct"),
    ("family.members.missing", _all(_set("organisation", "family"),
                                    lambda c: c["materials"].append({"kind": "family_relation_proof",
                                                                     "source": "shared"})), "correct"),
    ("family.member.id_number", _all(_set("organisation", "family"), _set("family_members", [
        {"name": "李四", "id_number": "440305198506123410", "relation": "配偶"}]),
        lambda c: c["materials"].append({"kind": "family_relation_proof", "source": "shared"})), "correct"),
    ("family.relation_proof.missing", _all(_set("organisation", "family"), _set("family_members", [
        {"name": "李四", "id_number": "440305198703154222", "relation": "配偶"}])), "correct"),
    ("agent.id_number", _all(_set("agent", {**AGENT, "id_number": "12345"}),
                             lambda c: c["materials"].append({"kind": "authorisation", "source": "shared"})),
     "correct"),
    ("materials.application_form.missing", _materials_without("application_form"), "correct"),
    ("materials.id_card.missing", _materials_without("id_card"), "correct"),
    ("materials.authorisation.missing", _set("agent", AGENT), "correct"),
    ("name.suffix", _set("business.name", "深圳市南山区张三便利店"), "correct"),
    ("name.suffix", _set("business.name", "深圳市南山区张三便利店(个体工商户)"), "correct"),
    ("name.forbidden_form", _set("business.name", "深圳市南山区张三贸易有限公司（个体工商户）"), "correct"),
    ("name.trade_name", _set("business.name", "深圳市南山区张便利店（个体工商户）"), "correct"),
    ("name.characters", _set("business.name", "深圳市南山区A1便利店（个体工商户）"), "correct"),
    ("name.division", _set("business.name", "南山区张三便利店（个体工商户）"), "correct"),
    ("name.prohibited_words", _set("business.name", "深圳市南山区最佳便利店（个体工商户）"), "correct"),
    ("scope.empty", _set("business.scope", []), "correct"),
    ("scope.nonstandard", _set("business.scope", ["日用百货销售", "卖点小东西"]), "correct"),
    ("scope.not_permitted", _set("business.scope", ["保险业务"]), "reject"),
    ("scope.licence_required", _set("business.scope", ["烟草制品零售"]), "approve"),
    ("premises.missing", _set("business.premises", []), "correct"),
    ("premises.address.missing", _set("business.premises.0.address", None), "correct"),
    ("premises.jurisdiction", _set("business.premises.0.division", "440304"), "reject"),
    ("premises.jurisdiction.online", _all(_set("business.premises", [
        {"division": "440305", "kind": "online", "url": "https://shop.example.cn/1"}]),
        _set("applicant.address", "广东省深圳市福田区福华路1号")), "reject"),
    ("premises.residential_consent", _set("business.premises.0.kind", "residential"), "correct"),
    ("premises.proof.missing", _materials_without("premises_proof"), "correct"),
    ("premises.online_url", _set("business.premises", [
        {"division": "440305", "kind": "online"}]), "correct"),
    ("business.capital", _set("business.capital", 0), "correct"),
    ("business.capital", _set("business.capital", None), "correct"),
    ("business.employees", _set("business.employees", -1), "correct"),
]


@pytest.fixture(scope="module")
def named_runtime() -> govauto.Runtime:
    from govauto.testing.packs import example_runtime

    return example_runtime()[0]


def test_the_valid_case_is_approved(runtime: govauto.Runtime, valid_case: Case) -> None:
    decision = runtime.review(valid_case)
    assert decision.outcome == "approve", [f.message for f in decision.findings]
    assert decision.findings == ()


@pytest.mark.parametrize("engine", ["python", "durable"])
@pytest.mark.parametrize(("rule", "mutate", "outcome"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_on_its_deficiency(named_runtime: govauto.Runtime, valid_case: Case, rule: str,
                                      mutate: Callable[[Case], None], outcome: str, engine: str) -> None:
    if rule.startswith("name."):
        NAMED(valid_case)
    mutate(valid_case)
    decision = named_runtime.review(valid_case, engine=engine)
    assert rules_of(decision) == [rule], [f"{f.rule}: {f.message}" for f in decision.findings]
    assert decision.outcome == outcome
    finding = decision.findings[0]
    assert finding.basis and finding.message and "{" not in finding.message


def test_every_public_rule_id_is_tested() -> None:
    from govauto.rules.pack import read_pack

    from ..conftest import PACK_DIR

    tested = {c[0] for c in CASES}
    # the extracted.* rules compare uploaded materials: tests/integration/test_materials_review.py
    ids = {r.id for r in read_pack(PACK_DIR).rules if not r.id.startswith("extracted.")}
    assert ids - tested <= {"name.conflict", "name.conflict_unchecked", "authority.division.unknown",
                            "premises.jurisdiction.online_undetermined"}


def test_all_deficiencies_are_listed_at_once(runtime: govauto.Runtime, valid_case: Case) -> None:
    _all(_set("applicant.id_number", "110101199003071234"), _set("applicant.phone", "1"),
         _materials_without("id_card"), _set("business.capital", -1), _set("business.scope", ["卖东西", "银行业务"]))(
        valid_case)
    decision = runtime.review(valid_case)
    assert decision.outcome == "reject"
    assert set(rules_of(decision)) == {"applicant.id_number.checksum", "applicant.phone", "materials.id_card.missing",
                                       "business.capital", "scope.nonstandard", "scope.not_permitted"}


def test_finding_facts_name_list_items_by_index(runtime: govauto.Runtime, valid_case: Case) -> None:
    valid_case["business"]["premises"].append({"address": "广东省深圳市福田区1号", "division": "440304",
                                               "kind": "commercial", "proof": "lease"})
    decision = runtime.review(valid_case)
    (finding,) = decision.findings
    assert finding.rule == "premises.jurisdiction"
    assert finding.facts["business.premises[1].division"] == "440304"
    assert finding.facts["authority.division"] == "440305"
    assert "广东省深圳市福田区1号" in finding.message


def test_turning_18_on_the_day_of_submission(runtime: govauto.Runtime, valid_case: Case) -> None:
    valid_case["applicant"]["id_number"] = "44030520081126121X"
    valid_case["submitted_at"] = "2026-11-26T08:00:00+08:00"
    assert runtime.review(valid_case).outcome == "approve"
    valid_case["submitted_at"] = "2026-11-25T23:59:00+08:00"
    assert rules_of(runtime.review(valid_case)) == ["applicant.age.minor_no_income"]


def test_name_without_registry_is_referred(runtime: govauto.Runtime, valid_case: Case) -> None:
    NAMED(valid_case)
    decision = runtime.review(valid_case)
    assert rules_of(decision) == ["name.conflict_unchecked"] and decision.outcome == "refer"


def test_unknown_authority_division_is_referred(runtime: govauto.Runtime, valid_case: Case) -> None:
    valid_case["authority"]["division"] = "449999"
    valid_case["business"]["premises"][0]["division"] = "449999"
    assert "authority.division.unknown" in rules_of(runtime.review(valid_case))


def test_explain_lists_every_rule_with_inputs(runtime: govauto.Runtime, valid_case: Case) -> None:
    decision = runtime.review(valid_case, explain=True)
    assert decision.trace is not None
    traced = {t.rule for t in decision.trace}
    assert len(traced) >= 35
    phone = next(t for t in decision.trace if t.rule == "applicant.phone")
    assert phone.inputs == {"applicant.phone": "13800138000", "mobile_ok(applicant.phone)": True}
    assert phone.fired is False


def test_a_case_from_before_the_pack_was_in_force_is_refused(runtime: govauto.Runtime, valid_case: Case) -> None:
    valid_case["submitted_at"] = "2025-07-14T16:30:00Z"  # 00:30 on 2025-07-15 in China: in force
    assert runtime.review(valid_case).outcome == "approve"
    valid_case["submitted_at"] = "2025-07-14T15:30:00Z"  # 23:30 on 2025-07-14 in China
    with pytest.raises(govauto.PackNotInForceError, match="submitted on 2025-07-14"):
        runtime.review(valid_case)
