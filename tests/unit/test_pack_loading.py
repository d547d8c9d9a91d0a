from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import govauto
from govauto.errors import PackError
from govauto.rules.pack import read_pack

from ..conftest import PACK_DIR


def _pack(tmp_path: Path, rules: str, meta: str | None = None) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "pack.yaml").write_text(meta or (
        "id: test.pack\nversion: '0.1'\nmatter: sole_proprietor.establish\neffective_from: 2025-07-15\n"), "utf-8")
    (tmp_path / "rules" / "r.yaml").write_text(rules, "utf-8")
    return tmp_path


RULE = """rules:
  - id: a.rule
    title: t
    when: {when}
    outcome: correct
    message: "{message}"
    basis: b
"""


def test_shipped_pack_loads_and_compiles(runtime: govauto.Runtime) -> None:
    pack = read_pack(PACK_DIR)
    assert pack.id == "sole_proprietor.establish"
    compiled = runtime.compile(pack)
    assert len(compiled.rules) >= 35
    assert all(rule.basis for rule in pack.rules)
    assert pack.examples, "the pack ships example cases"


def test_unknown_fact_is_reported_with_file_line_rule_and_suggestion(tmp_path: Path,
                                                                     runtime: govauto.Runtime) -> None:
    path = _pack(tmp_path, RULE.format(when="applicant.nmae == 'x'", message="m"))
    with pytest.raises(PackError) as info:
        runtime.compile(path)
    problem = info.value.problems[0]
    assert problem.file.endswith("r.yaml") and problem.line == 4 and problem.rule == "a.rule"
    assert "unknown fact 'applicant.nmae'" in problem.message and "applicant.name" in problem.message


def test_unknown_function_and_bad_placeholder_and_bad_syntax_all_reported_at_once(
        tmp_path: Path, runtime: govauto.Runtime) -> None:
    rules = RULE.format(when="agee(applicant.id_number) < 3", message="m") + """
  - id: b.rule
    title: t
    when: applicant.public_servant
    outcome: refer
    message: "{applicant.nope}"
    basis: b
  - id: c.rule
    title: t
    when: "applicant.name =="
    outcome: refer
    message: m
    basis: b
"""
    with pytest.raises(PackError) as info:
        runtime.compile(_pack(tmp_path, rules))
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 3
    assert "unknown function 'agee'" in messages[0] and "age_on" in messages[0]
    assert "b.rule" in messages[1] and "{applicant.nope}" in messages[1]
    assert "c.rule" in messages[2] and "syntax error" in messages[2]


def test_structural_errors_name_every_problem(tmp_path: Path) -> None:
    rules = """rules:
  - id: Bad Id
    title: t
    when: x
    outcome: maybe
    basis: b
    colour: red
  - id: dup.rule
    title: t
    when: x
    outcome: note
    message: m
    basis: b
  - id: dup.rule
    title: t
    when: x
    outcome: note
    message: m
    basis: b
"""
    with pytest.raises(PackError) as info:
        read_pack(_pack(tmp_path, rules))
    text = str(info.value)
    assert "unknown key 'colour'" in text
    assert "a rule id is lowercase words" in text
    assert "outcome must be one of" in text
    assert "'message' is required" in text
    assert "duplicate rule id" in text and "r.yaml:14" in text


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(PackError) as info:
        read_pack(_pack(tmp_path, "rules:\n  - id: a\n   when: [\n"))
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in str(info.value)


def test_missing_manifest_and_unknown_matter(tmp_path: Path, runtime: govauto.Runtime) -> None:
    with pytest.raises(PackError, match=r"no pack\.yaml"):
        read_pack(tmp_path)
    path = _pack(tmp_path, RULE.format(when="true", message="m"),
                 "id: p\nversion: '1'\nmatter: no.such.matter\n")
    with pytest.raises(PackError, match="not registered by any plugin"):
        runtime.compile(path)


def test_for_each_item_paths_are_checked(tmp_path: Path, runtime: govauto.Runtime) -> None:
    rules = """rules:
  - id: a.rule
    title: t
    for_each: business.premises
    when: item.kindd == 'online'
    outcome: note
    message: m
    basis: b
  - id: b.rule
    title: t
    for_each: business.premisses
    when: item == 'x'
    outcome: note
    message: m
    basis: b
"""
    with pytest.raises(PackError) as info:
        runtime.compile(_pack(tmp_path, rules))
    text = str(info.value)
    assert "unknown fact 'item.kindd'" in text and "did you mean 'kind'" in text
    assert "'business.premisses' is not a list" in text


def test_example_naming_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    shutil.copytree(PACK_DIR, tmp_path / "p")
    (tmp_path / "p" / "examples" / "bad.yaml").write_text(
        "case: {matter: x}\nexpect: {outcome: correct, findings: [no.such.rule]}\n", "utf-8")
    with pytest.raises(PackError, match=r"names rule 'no\.such\.rule'"):
        read_pack(tmp_path / "p")
