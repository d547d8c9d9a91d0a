from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import govauto
from govauto.errors import CaseError


def _problems(runtime: govauto.Runtime, case: Any) -> list[str]:
    with pytest.raises(CaseError) as info:
        runtime.load_case(case)
    return [str(p) for p in info.value.problems]


def test_valid_case_loads(runtime: govauto.Runtime, valid_case: dict[str, Any]) -> None:
    case = runtime.load_case(valid_case)
    assert isinstance(case, govauto.SoleProprietorEstablishCase)
    assert case.submitted_on.isoformat() == "2026-11-20"


def test_every_wrong_field_is_named_by_path(runtime: govauto.Runtime, valid_case: dict[str, Any]) -> None:
    valid_case["business"]["premises"][0]["division"] = "44030"
    valid_case["business"]["premises"][0]["kind"] = "shop"
    valid_case["applicant"].pop("name")
    valid_case["business"]["capitl"] = 1
    valid_case["materials"][0] = {"kind": "id_card"}
    problems = _problems(runtime, valid_case)
    assert 'business.premises[0].division: must be 6 digits (a GB/T 2260 code like "440305"), got "44030"' in problems
    assert any(p.startswith("business.premises[0].kind: must be one of") and '"shop"' in p for p in problems)
    assert "applicant.name: is required" in problems
    assert any(p.startswith("business.capitl: is not a field") for p in problems)
    assert any(p.startswith("materials[0]: give exactly one of 'file'") for p in problems)


def test_unknown_matter_and_missing_matter(runtime: govauto.Runtime, valid_case: dict[str, Any]) -> None:
    valid_case["matter"] = "sole_proprietor.fly"
    assert "unknown matter" in _problems(runtime, valid_case)[0]
    assert _problems(runtime, {"case_id": "x"})[0].startswith("matter: is required")


def test_files_that_are_not_cases(runtime: govauto.Runtime, tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", "utf-8")
    (tmp_path / "broken.json").write_text("{", "utf-8")
    assert "a case is a mapping" in _problems(runtime, tmp_path / "list.yaml")[0]
    assert "not valid JSON" in _problems(runtime, tmp_path / "broken.json")[0]
    assert "file not found" in _problems(runtime, tmp_path / "nope.yaml")[0]


def test_yaml_numbers_for_codes_and_naive_timestamps(runtime: govauto.Runtime, valid_case: dict[str, Any]) -> None:
    valid_case["authority"]["division"] = 440305
    valid_case["applicant"]["phone"] = 13800138000
    valid_case["submitted_at"] = "2026-11-20T23:30:00"  # no offset: taken as China time
    case = runtime.load_case(valid_case)
    assert case.authority.division == "440305" and case.submitted_on.isoformat() == "2026-11-20"


def test_submitted_on_is_the_china_date(runtime: govauto.Runtime, valid_case: dict[str, Any]) -> None:
    valid_case["submitted_at"] = "2026-11-20T17:30:00Z"  # 01:30 on the 21st in China
    assert runtime.load_case(valid_case).submitted_on.isoformat() == "2026-11-21"


def test_schema_is_shipped_and_validates_the_examples(runtime: govauto.Runtime) -> None:
    import jsonschema
    import yaml

    from govauto.schema import case_schema

    schema = case_schema(runtime, "sole_proprietor.establish")
    root = Path(__file__).resolve().parents[2] / "examples" / "cases"
    for path in sorted(root.glob("*.yaml")):
        jsonschema.validate(json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str)), schema)
