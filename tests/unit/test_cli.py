from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from govauto.schema import decision_schema

from ..conftest import PACK_DIR, ROOT

CASES = ROOT / "examples" / "cases"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govauto.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"GOVAUTO_DISABLE_PLUGINS": "*", "PATH": "/usr/bin:/bin"}, timeout=120)


def test_review_json_one_object_per_line_exit_0() -> None:
    result = _run("review", "--json", str(CASES / "correct.yaml"), str(CASES / "reject.yaml"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        decision = json.loads(line)
        jsonschema.validate(decision, decision_schema())
        assert list(decision) == ["case_id", "matter", "pack", "outcome", "findings"]
    assert json.loads(lines[1])["outcome"] == "reject"


def test_review_contract_error_exit_2_names_fields_and_keeps_other_results() -> None:
    result = _run("review", "--json", str(CASES / "invalid.json"), str(CASES / "reject.yaml"))
    assert result.returncode == 2
    assert 'business.premises[0].division: must be 6 digits (a GB/T 2260 code like "440305"), got "44030"' \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["case_id"] == "NS-2026-000126"


def test_review_table_and_explain() -> None:
    result = _run("review", "--explain", "--engine", "durable", str(CASES / "refer.yaml"),
                  str(CASES / "approve.yaml"))
    assert result.returncode == 0, result.stderr
    assert "applicant.age.minor_own_income" in result.stdout and "explain (durable engine)" in result.stdout
    assert "Decisions" in result.stdout


def test_unknown_engine_is_a_clear_error() -> None:
    result = _run("review", "--engine", "drools", str(CASES / "approve.yaml"))
    assert result.returncode == 2 and "unknown rule engine 'drools'" in result.stderr


def test_pack_check_and_test() -> None:
    check = _run("pack", "check", str(PACK_DIR))
    assert check.returncode == 0 and "ok: pack sole_proprietor.establish" in check.stdout
    test = _run("pack", "test", str(PACK_DIR))
    assert test.returncode == 0, test.stdout
    assert " 0 failed" in test.stdout


def test_pack_test_reports_a_wrong_expectation(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(PACK_DIR, tmp_path / "pack")
    example = tmp_path / "pack" / "examples" / "refer_public_servant.yaml"
    example.write_text(example.read_text("utf-8").replace("outcome: refer", "outcome: approve"), "utf-8")
    result = _run("pack", "test", str(tmp_path / "pack"), "--engine", "python")
    assert result.returncode == 1
    assert "outcome: expected approve, got refer" in result.stdout


def test_pack_check_invalid_pack_exit_1(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("id: x\n", "utf-8")
    result = _run("pack", "check", str(tmp_path))
    assert result.returncode == 1 and "'version' is required" in result.stderr


def test_schema_case_is_json_schema() -> None:
    result = _run("schema", "case")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "applicant" in schema["properties"]


def test_extract_wrong_options_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    engine = _run("extract", "--engine", "nope", str(tmp_path / "a.png"))
    assert engine.returncode == 2 and "unknown OCR engine 'nope'" in engine.stderr
    kind = _run("extract", "--type", "passport", str(tmp_path / "a.png"))
    assert kind.returncode == 2 and "unknown document type 'passport'" in kind.stderr
