from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from typing import Any

import pluggy
import pytest

import govauto
from govauto import hookimpl
from govauto.errors import PluginError


class FlagHolidays:
    """A test plugin: a function, an enricher and a decision listener."""

    def __init__(self) -> None:
        self.decisions: list[str] = []

    @hookimpl
    def govauto_register_functions(self, register: Callable[..., None]) -> None:
        register("shout", lambda s: None if s is None else str(s).upper())

    @hookimpl
    def govauto_enrich_facts(self, case: govauto.Case, facts: MutableMapping[str, Any]) -> None:
        facts["test.enriched"] = True

    @hookimpl
    def govauto_decision_made(self, case: govauto.Case, decision: govauto.Decision) -> None:
        self.decisions.append(decision.outcome)


def test_builtins_register_through_the_hooks(runtime: govauto.Runtime) -> None:
    infos = {i.name: i for i in runtime.plugins()}
    sole = infos["govauto.default_plugins.sole_proprietor"]
    assert sole.matters == ["sole_proprietor.establish", "sole_proprietor.change", "sole_proprietor.deregister"]
    assert "age_on" in sole.functions and len(sole.rule_packs) == 3
    assert infos["govauto.default_plugins.engines"].rule_engines == ["python", "durable"]


def test_extra_plugin_functions_and_listeners(valid_case: dict[str, Any]) -> None:
    plugin = FlagHolidays()
    rt = govauto.Runtime(plugins=[plugin], load_entrypoints=False)
    assert rt.functions["shout"]("a") == "A"
    decision = rt.review(valid_case)
    assert plugin.decisions == [decision.outcome]
    assert rt.facts(rt.load_case(valid_case))["test.enriched"] is True


def test_unknown_hook_is_an_error() -> None:
    class Typo:
        @hookimpl
        def govauto_register_matter(self, register: Any) -> None: ...

    with pytest.raises(pluggy.PluginValidationError):
        govauto.Runtime(plugins=[Typo()], load_entrypoints=False).plugins()


def test_duplicate_registration_is_an_error() -> None:
    class Dup:
        @hookimpl
        def govauto_register_functions(self, register: Callable[..., None]) -> None:
            register("age_on", lambda *a: 1)

    with pytest.raises(PluginError, match="'age_on' is already registered"):
        govauto.Runtime(plugins=[Dup()], load_entrypoints=False).plugins()


def test_disable_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_DISABLE_PLUGINS", "*")
    names = [i.name for i in govauto.Runtime().plugins()]
    assert all(n.startswith("govauto.") for n in names)


def test_plugins_load_lazily_and_once() -> None:
    rt = govauto.Runtime(load_entrypoints=False)
    assert rt._pm is None
    assert rt.plugin_manager is rt.plugin_manager


def test_plugins_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    from govauto.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["plugins", "--json"])
    assert exit_info.value.code == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(p["name"] == "govauto.default_plugins.sole_proprietor" for p in listed)


def test_lookup_registration_is_checked() -> None:
    class BadKind:
        @hookimpl
        def govauto_register_lookups(self, register: Callable[[str, object], None]) -> None:
            register("business_name", object())

    with pytest.raises(PluginError, match="unknown lookup kind 'business_name'"):
        govauto.Runtime(plugins=[BadKind()], load_entrypoints=False).plugins()
    with pytest.raises(PluginError, match="must implement BusinessNameRegistry"):
        govauto.Runtime(lookups={"business_names": [object()]}, load_entrypoints=False).plugins()


def test_lookups_given_in_code_replace_registered_ones(valid_case: dict[str, Any]) -> None:
    class Taken:
        def name_taken(self, name: str, division: str) -> bool:
            return True

    valid_case["business"]["name"] = "深圳市南山区张三便利店（个体工商户）"
    rt = govauto.Runtime(lookups={"business_names": [Taken()]})
    assert [f.rule for f in rt.review(valid_case).findings] == ["name.conflict"]
