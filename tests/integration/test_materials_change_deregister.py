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
