"""A case directory with typed data and generated materials reviews end to end, real OCR included.

Planted mismatches between the materials and the typed application are named in the findings, with both
values and where the extracted one was read.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import govauto
from govauto.testing.documents import generate_materials

from ..conftest import ROOT

OTHER_VALID_ID = "440305198703154222"


def _case_dir(tmp_path: Path, variant: str, overrides: dict[str, dict[str, str]] | None = None,
              seed: int = 1, valid_until: str | None = None) -> Path:
    case: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    case["business"]["name"] = None
    if valid_until:
        case["applicant"]["id_valid_until"] = valid_until
    materials = tmp_path / "materials"
    documents = generate_materials(case, materials, variant=variant, seed=seed, overrides=overrides)
    case["materials"] = [{"kind": d.material_kind, "file": str(d.path.relative_to(tmp_path))} for d in documents]
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), "utf-8")
    return tmp_path / "case.yaml"


def _rules(decision: govauto.Decision) -> list[str]:
    return [f.rule for f in decision.findings]


@pytest.fixture(scope="module")
def runtime() -> govauto.Runtime:
    from govauto.testing.packs import example_runtime

    return example_runtime()[0]


def test_clean_materials_agree_with_the_application(tmp_path: Path, runtime: govauto.Runtime) -> None:
    decision = runtime.review(_case_dir(tmp_path, "clean"))
    assert decision.outcome == "approve", [f.message for f in decision.findings]


def test_scanned_materials_are_read_or_referred_never_wrongly_approved(tmp_path: Path,
                                                                        runtime: govauto.Runtime) -> None:
    decision = runtime.review(_case_dir(tmp_path, "scanned"))
    assert decision.outcome in ("approve", "refer"), [f.message for f in decision.findings]
    assert all(f.rule in ("extracted.low_confidence", "extracted.unrecognised") for f in decision.findings)


def test_planted_mismatches_are_named_with_both_values_and_their_page(tmp_path: Path,
                                                                       runtime: govauto.Runtime) -> None:
    path = _case_dir(tmp_path, "clean", {"id_card_front": {"id_number": OTHER_VALID_ID},
                                         "lease": {"lessee": "李四"}})
    decision = runtime.review(path)
    assert decision.outcome in ("correct", "refer")
    findings = {f.rule: f for f in decision.findings}
    assert "extracted.lease.lessee" in findings
    assert "李四" in findings["extracted.lease.lessee"].message and "lease.pdf 第1页" in \
        findings["extracted.lease.lessee"].message
    # the ID number on the card is either read confidently (a mismatch to correct) or not (a person checks)
    id_finding = findings.get("extracted.id_card.id_number") or next(
        f for f in decision.findings if f.rule == "extracted.low_confidence" and "id_number" in f.message)
    assert OTHER_VALID_ID in id_finding.message and "110101199003071233" in id_finding.message
    assert "第1页" in id_finding.message


def test_expired_id_card(tmp_path: Path, runtime: govauto.Runtime) -> None:
    path = _case_dir(tmp_path, "clean", valid_until="2026-11-01")  # the card says the same: expired
    decision = runtime.review(path)
    assert {"applicant.id_expired", "extracted.id_card.expired"} <= set(_rules(decision))


def test_unreadable_and_missing_materials_refer(tmp_path: Path, runtime: govauto.Runtime) -> None:
    path = _case_dir(tmp_path, "clean")
    case = yaml.safe_load(path.read_text("utf-8"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    case["materials"].append({"kind": "other", "file": "broken.pdf"})
    case["materials"].append({"kind": "other", "file": "gone.jpg"})
    path.write_text(yaml.safe_dump(case, allow_unicode=True), "utf-8")
    decision = runtime.review(path)
    assert decision.outcome == "refer"
    messages = [f.message for f in decision.findings if f.rule == "extracted.unreadable"]
    assert len(messages) == 2 and any("broken.pdf" in m for m in messages) and any("gone.jpg" in m for m in messages)


def test_cli_review_extracts_once_then_uses_the_cache(tmp_path: Path) -> None:
    path = _case_dir(tmp_path, "scanned", seed=3)
    command = [sys.executable, "-m", "govauto.cli", "review", "--json", str(path)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    cached = list((tmp_path / ".govauto-cache").glob("*.json"))
    assert cached
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert sorted((tmp_path / ".govauto-cache").glob("*.json")) == sorted(cached)


def test_extract_cli_json(tmp_path: Path) -> None:
    case: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    documents = generate_materials(copy.deepcopy(case), tmp_path, variant="clean", seed=2)
    lease = next(d for d in documents if d.kind == "lease")
    result = subprocess.run([sys.executable, "-m", "govauto.cli", "extract", "--json", str(lease.path)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["doc_type"] == "lease"
    assert data["fields"]["lessee"]["value"] == lease.truth["lessee"]
    assert data["fields"]["lessee"]["source"]["page"] == 1
