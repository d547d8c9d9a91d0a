"""The govauto-name-registry plugin as installed (``pip install -e plugins/govauto-name-registry``, done by
``make install``): found through the ``govauto`` entry points and consulted by the rule ``name.conflict``."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import govauto

ENV_VAR = "GOVAUTO_NAME_REGISTRY"
TAKEN = "深圳市南山区李四五金店（个体工商户）"     # registered in 440305 in the plugin's shipped sample
FRESH = "深圳市南山区张三便利店（个体工商户）"

CASE = """
matter: sole_proprietor.establish
case_id: "NS-2026-000123"
submitted_at: "2026-11-20T09:30:00+08:00"
authority: {name: 深圳市南山区市场监督管理局, division: "440305"}
applicant: {name: 张三, id_number: "110101199003071233", id_valid_until: "2031-05-01", phone: "13800138000", address: 广东省深圳市南山区桃园路1号}
organisation: individual
business:
  name: 深圳市南山区张三便利店（个体工商户）
  scope: [日用百货销售]
  premises: [{address: 广东省深圳市南山区南头街道南山大道100号, division: "440305", kind: commercial, proof: lease}]
  capital: 50000
  employees: 2
materials: [{kind: application_form, source: shared}, {kind: id_card, source: shared}, {kind: premises_proof, source: shared}]
"""  # noqa: E501


@pytest.fixture(autouse=True)
def _plugin_installed_and_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        importlib.metadata.distribution("govauto-name-registry")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("govauto-name-registry is not installed: run `make install` or "
                    "`pip install -e plugins/govauto-name-registry`")
    monkeypatch.delenv("GOVAUTO_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)   # the shipped sample, unless a test says otherwise


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(CASE)
    case["business"]["name"] = name
    return case


def _rules(decision: govauto.Decision) -> list[str]:
    return [f.rule for f in decision.findings]


def test_runtime_lists_the_plugin_with_its_lookup() -> None:
    plugins = {info.name: info for info in govauto.Runtime().plugins()}
    assert "name_registry" in plugins, sorted(plugins)
    assert plugins["name_registry"].lookups == ["business_names"]
    assert plugins["name_registry"].hooks == ["govauto_register_lookups"]


def test_a_taken_name_is_a_conflict() -> None:
    decision = govauto.Runtime().review(_case(TAKEN))
    rules = _rules(decision)
    assert "name.conflict" in rules and "name.conflict_unchecked" not in rules
    assert decision.outcome == "correct"
    [conflict] = [f for f in decision.findings if f.rule == "name.conflict"]
    assert conflict.outcome == "correct" and TAKEN in conflict.message


def test_a_fresh_name_is_neither_a_conflict_nor_unchecked() -> None:
    rules = _rules(govauto.Runtime().review(_case(FRESH)))
    assert "name.conflict" not in rules and "name.conflict_unchecked" not in rules


def test_a_missing_registry_file_refers_the_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.sqlite"))
    decision = govauto.Runtime().review(_case(TAKEN))
    rules = _rules(decision)
    assert "name.conflict_unchecked" in rules and "name.conflict" not in rules
    assert decision.outcome == "refer"


def test_the_registry_file_named_by_the_environment_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from govauto_name_registry import import_csv

    csv_path = tmp_path / "names.csv"
    csv_path.write_text(f"name,division,status,date\n{FRESH},440305,reserved,2026-11-01\n", encoding="utf-8")
    import_csv(csv_path, tmp_path / "names.sqlite")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "names.sqlite"))
    runtime = govauto.Runtime()
    assert "name.conflict" in _rules(runtime.review(_case(FRESH)))          # reserved in this file
    assert "name.conflict" not in _rules(runtime.review(_case(TAKEN)))      # only in the sample


def test_govauto_plugins_cli_lists_it() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVAUTO_DISABLE_PLUGINS", ENV_VAR)}
    result = subprocess.run([str(Path(sys.executable).with_name("govauto")), "plugins", "--json"],
                            capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert listed["name_registry"]["lookups"] == ["business_names"]
