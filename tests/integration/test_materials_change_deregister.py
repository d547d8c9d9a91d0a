"""Every 变更 and 注销 example its pack approves, with generated materials instead of shared ones, is read (real OCR
for the ID card) and still approved: the generator prints the registered operator, and the application form's
变更 and 注销 parts are recognised as the 个体工商户登记申请书."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import govauto
from govauto.testing.documents import generate_materials

from ..conftest import ROOT

PACKS = ROOT / "rules" / "sole_proprietor"


def approved() -> list[Any]:
    params = []
    for pack in ("change", "deregister"):
        for path in sorted((PACKS / pack / "examples").glob("*.yaml")):
            example = yaml.safe_load(path.read_text(encoding="utf-8"))
            if example["expect"]["outcome"] == "approve":
                params.append(pytest.param(example["case"], id=f"{pack}/{path.stem}"))
    return params


@pytest.fixture(scope="module")
def runtime() -> govauto.Runtime:
    from govauto.testing.packs import example_runtime

    return example_runtime()[0]


@pytest.mark.parametrize("case", approved())
def test_generated_materials_of_an_approved_example_are_read_and_it_is_still_approved(
        runtime: govauto.Runtime, tmp_path: Path, case: dict[str, Any]) -> None:
    case = copy.deepcopy(case)
    documents = generate_materials(case, tmp_path / "materials", seed=2)
    case["materials"] = [{"kind": d.material_kind, "file": str(d.path.relative_to(tmp_path))} for d in documents]
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), "utf-8")
    decision = runtime.review(tmp_path / "case.yaml")
    assert decision.outcome == "approve", [f.message for f in decision.findings]
    valid = runtime.load_case(tmp_path / "case.yaml")
    facts = runtime.facts(valid, runtime.extract_case(valid, base_dir=tmp_path))
    operator = case["operator"]
    for document in ("application_form", "id_card_front"):
        assert facts[f"extracted.{document}.name"] == operator["name"], document
        assert facts[f"extracted.{document}.id_number"] == operator["id_number"], document
    assert facts["extraction.unrecognised"] == facts["extraction.unreadable"] == []
    if case.get("procedure") == "ordinary" and case.get("tax_clearance"):
        assert "tax_clearance" in facts["extraction.types"]  # the 清税证明, uploaded as material kind other
        assert facts["extracted.tax_clearance.taxpayer_id"] == case["business"]["uscc"]


# ---- planted mismatches: the change and deregister packs compare what was read with the registered operator -----

OTHER_NAME = "李四"
OTHER_ID = "440305198703154222"
OTHER_USCC = "92440305MA5G67890N"  # a valid code of another business


def _sandbox_case(tmp_path: Path, pack: str, example: str, *overrides: str) -> Path:
    """``govauto sandbox documents EXAMPLE OUT --write-case [--override KIND.FIELD=VALUE ...]``: the case file."""
    from typer.testing import CliRunner

    from govauto.cli import app

    args = ["sandbox", "documents", str(PACKS / pack / "examples" / f"{example}.yaml"), str(tmp_path), "--seed", "2",
            "--write-case"]
    for override in overrides:
        args += ["--override", override]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return tmp_path / "case.yaml"


@pytest.mark.parametrize(("pack", "example"), [("change", "approve_name_and_scope"),
                                               ("deregister", "approve_ordinary_with_debts_note")])
def test_without_a_planted_mismatch_the_sandbox_case_is_still_approved(
        runtime: govauto.Runtime, tmp_path: Path, pack: str, example: str) -> None:
    decision = runtime.review(_sandbox_case(tmp_path, pack, example))
    assert decision.outcome == "approve", [f.message for f in decision.findings]


PLANTED = [  # pack, example, --override, the rule that must fire, a text its message must show
    ("change", "approve_name_and_scope", f"application_form.name={OTHER_NAME}",
     "change.extracted.application_form.name", OTHER_NAME),
    ("change", "approve_name_and_scope", f"id_card_front.id_number={OTHER_ID}",
     "change.extracted.id_card.id_number", OTHER_ID),
    ("deregister", "approve_ordinary_with_debts_note", f"application_form.name={OTHER_NAME}",
     "deregister.extracted.application_form.name", OTHER_NAME),
    ("deregister", "approve_ordinary_with_debts_note", f"application_form.id_number={OTHER_ID}",
     "deregister.extracted.application_form.id_number", OTHER_ID),
    ("deregister", "approve_ordinary_with_debts_note", f"tax_clearance.taxpayer_id={OTHER_USCC}",
     "deregister.extracted.tax_clearance.taxpayer_id", OTHER_USCC),
    ("deregister", "approve_ordinary_with_debts_note", "tax_clearance.taxpayer=深圳市南山区李四餐馆（个体工商户）",
     "deregister.extracted.tax_clearance.taxpayer", "李四餐馆"),
]


@pytest.mark.parametrize(("pack", "example", "override", "rule", "shown"), PLANTED,
                         ids=[planted[3] for planted in PLANTED])
def test_another_person_or_business_on_a_read_material_is_to_be_corrected(
        runtime: govauto.Runtime, tmp_path: Path, pack: str, example: str, override: str, rule: str,
        shown: str) -> None:
    """A text layer (the form, the 清税证明) or a checked ID number is trusted: the mismatch is the applicant's to
    correct, naming both values and where the other one was read."""
    decision = runtime.review(_sandbox_case(tmp_path, pack, example, override))
    assert decision.outcome == "correct", [f.message for f in decision.findings]
    findings = {f.rule: f for f in decision.findings}
    assert rule in findings, [f.rule for f in decision.findings]
    assert shown in findings[rule].message and "第1页" in findings[rule].message


@pytest.mark.parametrize(("pack", "example"), [("change", "approve_name_and_scope"),
                                               ("deregister", "approve_ordinary_with_debts_note")])
def test_another_persons_name_on_the_id_card_is_never_approved(
        runtime: govauto.Runtime, tmp_path: Path, pack: str, example: str) -> None:
    """An OCR'd name has no check digit: read confidently it is to be corrected, and a reading that merely
    disagrees with the declaration (an OCR error looks the same) goes to a person."""
    decision = runtime.review(_sandbox_case(tmp_path, pack, example, f"id_card_front.name={OTHER_NAME}"))
    assert decision.outcome in ("correct", "refer"), [f.message for f in decision.findings]
    finding = next(f for f in decision.findings
                   if f.rule in (f"{pack}.extracted.id_card.name", f"{pack}.extracted.low_confidence"))
    assert OTHER_NAME in finding.message and "张三" in finding.message and "id_card_front" in finding.message
