"""The plugin hook, registered directly in a govauto Runtime (no installation needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import govauto
import pytest
import yaml
from govauto.lookups import BUSINESS_NAMES

from govauto_name_registry import ENV_VAR, NameRegistry, plugin

CASE = yaml.safe_load("""
matter: sole_proprietor.establish
case_id: "NS-2026-000123"
submitted_at: "2026-11-20T09:30:00+08:00"
authority: {name: 深圳市南山区市场监督管理局, division: "440305"}
applicant: {name: 张三, id_number: "110101199003071233", id_valid_until: "2031-05-01", phone: "13800138000",
            address: 广东省深圳市南山区桃园路1号}
organisation: individual
business:
  name: 深圳市南山区张三便利店（个体工商户）
  scope: [日用百货销售]
  premises: [{address: 广东省深圳市南山区南头街道南山大道100号, division: "440305", kind: commercial, proof: lease}]
  capital: 50000
  employees: 2
materials: [{kind: application_form, source: shared}, {kind: id_card, source: shared},
            {kind: premises_proof, source: shared}]
""")


def _case(name: str) -> dict[str, Any]:
    return {**CASE, "business": {**CASE["business"], "name": name}}


def _rules(decision: govauto.Decision) -> set[str]:
    return {f.rule for f in decision.findings}


def test_registers_a_lazy_registry_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.sqlite"))
    registered: list[tuple[str, object]] = []
    register: Callable[[str, Any], None] = lambda kind, lookup: registered.append((kind, lookup))  # noqa: E731
    plugin.govauto_register_lookups(register=register)               # the missing file is not opened yet
    [(kind, registry)] = registered
    assert kind == BUSINESS_NAMES == "business_names"
    assert isinstance(registry, NameRegistry) and registry.path == tmp_path / "missing.sqlite"


def test_in_a_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runtime = govauto.Runtime(plugins=[plugin], load_entrypoints=False)
    [info] = [i for i in runtime.plugins() if i.lookups]
    assert info.name == "govauto_name_registry.plugin" and info.lookups == ["business_names"]

    taken = runtime.review(_case("深圳市南山区李四五金店（个体工商户）"))
    assert "name.conflict" in _rules(taken) and "name.conflict_unchecked" not in _rules(taken)
    assert taken.outcome == "correct"
    fresh = runtime.review(_case("深圳市南山区张三便利店（个体工商户）"))
    assert not _rules(fresh) & {"name.conflict", "name.conflict_unchecked"}

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.sqlite"))
    runtime = govauto.Runtime(plugins=[plugin], load_entrypoints=False)
    unreadable = runtime.review(_case("深圳市南山区李四五金店（个体工商户）"))
    assert "name.conflict_unchecked" in _rules(unreadable) and "name.conflict" not in _rules(unreadable)
    assert unreadable.outcome == "refer"
