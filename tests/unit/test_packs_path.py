"""The packs path (``GOVAUTO_PACKS``, ``govauto --packs``, ``Runtime(packs=...)``): packs and matters found as files,
one mechanism with the plugins' pack directories, and hot reload of what changes or appears there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import govauto
from govauto import hookimpl
from govauto.cli import app
from govauto.errors import MatterError, PackError, PluginError
from govauto.matterfile import MATTER_FILE

from ..conftest import PACK_DIR

MATTER = """\
id: shop.sign
title: 店招设置备案
time_limit_days: 3
fields:
  applicant: {type: person, required: true}
  sign:
    type: object
    required: true
    fields:
      width: {type: number, minimum: 0, required: true}
      lit: {type: boolean}
"""
PACK = 'id: shop.sign\nversion: "1.0.0"\nmatter: shop.sign\neffective_from: 2025-01-01\n'
RULE = """\
rules:
  - id: sign.too_wide
    title: 招牌过宽
    when: sign.width > 6
    outcome: refer
    message: 招牌宽{sign.width}米
    basis: 示例
"""
CASE: dict[str, Any] = {
    "matter": "shop.sign", "case_id": "SIGN-1", "submitted_at": "2026-03-02T09:30:00+08:00",
    "authority": {"name": "深圳市南山区市场监督管理局", "division": "440305"},
    "applicant": {"name": "张三", "id_number": "110101199003071233"}, "sign": {"width": 8},
}


def _matter_pack(directory: Path, matter: str = MATTER, rule: str = RULE, pack: str = PACK) -> Path:
    (directory / "rules").mkdir(parents=True)
    (directory / MATTER_FILE).write_text(matter, "utf-8")
    (directory / "pack.yaml").write_text(pack, "utf-8")
    (directory / "rules" / "10_sign.yaml").write_text(rule, "utf-8")
    return directory


class _Packs:
    def __init__(self, *directories: Path) -> None:
        self.directories = directories

    @hookimpl
    def govauto_register_rule_packs(self, register: Any) -> None:
        for directory in self.directories:
            register(directory)


class _MatterFiles:
    def __init__(self, *files: Path) -> None:
        self.files = files

    @hookimpl
    def govauto_register_matters(self, register: Any) -> None:
        for file in self.files:
            register(file)


def _runtime(root: Path, *plugins: object) -> govauto.Runtime:
    return govauto.Runtime(plugins=plugins, load_entrypoints=False, packs=[root])


def test_a_matter_and_its_pack_on_the_packs_path_review_cases(tmp_path: Path) -> None:
    _matter_pack(tmp_path / "shop" / "sign")
    runtime = _runtime(tmp_path)
    decision = runtime.review(CASE)
    assert (decision.outcome, decision.pack_id, decision.pack_version) == ("refer", "shop.sign", "1.0.0")
    assert [f.message for f in decision.findings] == ["招牌宽8米"]
    info = next(i for i in runtime.plugins() if i.name == f"packs:{tmp_path}")
    assert info.matters == ["shop.sign"] and info.rule_packs == [str(tmp_path / "shop" / "sign")]
    assert runtime.matters["shop.sign"].time_limit_days == 3


def test_the_environment_variable_and_the_cli_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _matter_pack(tmp_path / "packs" / "shop" / "sign")
    monkeypatch.setenv("GOVAUTO_PACKS", f"{tmp_path / 'nothing-here'}")
    with pytest.raises(PluginError, match="which is not a directory: check GOVAUTO_PACKS"):
        govauto.Runtime(load_entrypoints=False).matters  # noqa: B018
    monkeypatch.setenv("GOVAUTO_PACKS", f"{tmp_path / 'packs'}")
    assert "shop.sign" in govauto.Runtime(load_entrypoints=False).matters
    monkeypatch.setenv("GOVAUTO_PACKS", "")
    case = tmp_path / "case.yaml"
    import yaml

    case.write_text(yaml.safe_dump(CASE, allow_unicode=True), "utf-8")
    result = CliRunner().invoke(app, ["--packs", str(tmp_path / "packs"), "review", "--json", str(case)])
    assert result.exit_code == 0, result.output
    assert '"outcome": "refer"' in result.output and '"version": "1.0.0"' in result.output
    result = CliRunner().invoke(app, ["--packs", str(tmp_path / "missing"), "plugins"])
    assert result.exit_code == 2 and "not a directory" in result.output


def test_a_pack_on_the_packs_path_replaces_the_shipped_one(tmp_path: Path, valid_case: dict[str, Any]) -> None:
    copy = tmp_path / "establish"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns(".govauto-cache"))
    manifest = copy / "pack.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace('version: "1.0.0"', 'version: "1.0.1-local"'), "utf-8")
    runtime = _runtime(tmp_path)
    assert [p.version for p in runtime.pack_versions("sole_proprietor.establish")] == ["1.0.1-local"]
    assert runtime.review(valid_case, extract=False).pack_version == "1.0.1-local"
    # the other shipped packs are untouched
    assert [p.version for p in runtime.pack_versions("sole_proprietor.change")] == ["1.1.0"]


def test_a_plugins_pack_directory_brings_its_matter(tmp_path: Path) -> None:
    pack = _matter_pack(tmp_path / "sign")
    runtime = govauto.Runtime(plugins=[_Packs(pack)], load_entrypoints=False)
    assert runtime.review(CASE).outcome == "refer"
    info = next(i for i in runtime.plugins() if i.rule_packs == [str(pack)])
    assert info.matters == ["shop.sign"]


def test_a_plugin_registers_a_matter_file(tmp_path: Path) -> None:
    pack = _matter_pack(tmp_path / "sign")
    runtime = govauto.Runtime(plugins=[_MatterFiles(pack / MATTER_FILE)], load_entrypoints=False)
    assert runtime.matters["shop.sign"].source == (pack / MATTER_FILE).resolve()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / MATTER_FILE).write_text("id: x.y\ntitle: t\nfields: {a: {type: nope}}\n", "utf-8")
    with pytest.raises(MatterError, match=r"matter.yaml:3: field a: type must be one of"):
        govauto.Runtime(plugins=[_MatterFiles(broken)], load_entrypoints=False).matters  # noqa: B018


def test_a_matter_is_declared_once(tmp_path: Path) -> None:
    _matter_pack(tmp_path / "one")
    _matter_pack(tmp_path / "two", pack=PACK.replace('"1.0.0"', '"2.0.0"').replace("2025-01-01", "2030-01-01")
                 .replace("effective_from", "effective_until: null\neffective_from"))
    identical = _runtime(tmp_path)
    assert "shop.sign" in identical.matters  # copies beside two versions: one matter
    (tmp_path / "two" / MATTER_FILE).write_text(MATTER.replace("time_limit_days: 3", "time_limit_days: 4"), "utf-8")
    with pytest.raises(PluginError, match=r"declares matter 'shop.sign', which is already declared in .* differently"):
        _runtime(tmp_path).matters  # noqa: B018
    python = tmp_path / "python"
    python.mkdir()
    (python / MATTER_FILE).write_text("id: sole_proprietor.establish\ntitle: t\nfields: {}\n", "utf-8")
    with pytest.raises(PluginError, match="already declared in Python by a plugin: remove one of the two"):
        _runtime(python).matters  # noqa: B018


def test_a_pack_under_development_uses_the_matter_beside_it(tmp_path: Path) -> None:
    pack = _matter_pack(tmp_path / "sign")
    runtime = govauto.Runtime(load_entrypoints=False)
    assert "shop.sign" not in runtime.matters
    compiled = runtime.compile(pack)
    assert runtime.review(CASE, pack=compiled).outcome == "refer"
    assert runtime.compile(pack) is not None  # again: the same declaration, no conflict

    wrong = _matter_pack(tmp_path / "wrong", pack=PACK.replace("matter: shop.sign", "matter: shop.other"))
    with pytest.raises(PackError, match=r"declares matter 'shop.sign', but pack\.yaml says the pack reviews "
                                        r"'shop\.other'"):
        govauto.Runtime(load_entrypoints=False).compile(wrong)
    broken = _matter_pack(tmp_path / "broken", matter=MATTER.replace("type: boolean", "type: bool"))
    with pytest.raises(PackError) as caught:
        govauto.Runtime(load_entrypoints=False).compile(broken)
    assert "matter.yaml:11: field sign.lit: type must be one of" in str(caught.value)
    differs = _matter_pack(tmp_path / "differs", matter=MATTER.replace("time_limit_days: 3", "time_limit_days: 9"))
    with pytest.raises(PackError, match="differently: make the two files identical"):
        runtime.compile(differs)  # runtime has the first declaration
    without = tmp_path / "without"
    _matter_pack(without)
    (without / MATTER_FILE).unlink()
    with pytest.raises(PackError, match=r"matter 'shop.sign' is not registered by any plugin .*declare it in a "
                                        r"matter\.yaml beside pack\.yaml"):
        govauto.Runtime(load_entrypoints=False).compile(without)


# ---- hot reload -------------------------------------------------------------------------------------------------

def test_a_pack_and_a_matter_added_while_running_are_picked_up(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    assert runtime.packs() and "shop.sign" not in runtime.matters  # the shipped packs are read
    _matter_pack(tmp_path / "shop" / "sign")
    assert tmp_path / "shop" / "sign" in runtime.pack_signatures()
    report = runtime.reload_packs()
    assert report.ok and report.matters == ["shop.sign"]
    assert [(p.id, p.version) for p in report.reloaded] == [("shop.sign", "1.0.0")]
    assert runtime.review(CASE).pack_version == "1.0.0"
    assert not runtime.reload_packs().changed  # nothing changed since


def test_a_new_version_in_a_new_directory(tmp_path: Path) -> None:
    old = _matter_pack(tmp_path / "sign")
    runtime = _runtime(tmp_path)
    assert runtime.review(CASE).pack_version == "1.0.0"
    new = tmp_path / "sign_2027"
    (new / "rules").mkdir(parents=True)
    (new / "pack.yaml").write_text(PACK.replace('"1.0.0"', '"2.0.0"').replace("2025-01-01", "2027-01-01"), "utf-8")
    (new / "rules" / "10_sign.yaml").write_text(RULE.replace("> 6", "> 10"), "utf-8")
    refused = runtime.reload_packs()  # both in force from 2027 on: refused until the old one ends
    assert not refused.ok and "are both in force from 2027-01-01" in str(refused)
    (old / "pack.yaml").write_text(PACK + "effective_until: 2026-12-31\n", "utf-8")
    assert runtime.reload_packs().ok
    assert runtime.review(CASE).pack_version == "1.0.0"
    later = runtime.review({**CASE, "submitted_at": "2027-01-02T09:00:00+08:00"})
    assert (later.pack_version, later.outcome) == ("2.0.0", "approve")


def test_a_changed_matter_recompiles_its_packs(tmp_path: Path) -> None:
    pack = _matter_pack(tmp_path / "sign")
    runtime = _runtime(tmp_path)
    assert runtime.review(CASE).outcome == "refer"
    manifest = pack / MATTER_FILE
    manifest.write_text(MATTER.replace("width: {type: number, minimum: 0, required: true}",
                                       "height: {type: number, minimum: 0, required: true}"), "utf-8")
    refused = runtime.reload_packs()  # the rule reads sign.width, which is gone
    assert not refused.ok and "unknown fact 'sign.width'" in str(refused)
    assert runtime.review(CASE).outcome == "refer"  # the previous contract and pack stay in force
    manifest.write_text(MATTER.replace("time_limit_days: 3", "time_limit_days: 7"), "utf-8")
    report = runtime.reload_packs()
    assert report.ok and report.matters == ["shop.sign"] and [p.id for p in report.reloaded] == ["shop.sign"]
    assert runtime.matters["shop.sign"].time_limit_days == 7
    manifest.write_text("# only a comment\n" + MATTER.replace("time_limit_days: 3", "time_limit_days: 7"), "utf-8")
    report = runtime.reload_packs()
    assert report.ok and report.matters == [] and report.reloaded == []  # same declaration: nothing recompiled


def test_a_matter_cannot_change_its_id_or_break_while_running(tmp_path: Path) -> None:
    pack = _matter_pack(tmp_path / "sign")
    runtime = _runtime(tmp_path)
    runtime.packs()
    (pack / MATTER_FILE).write_text(MATTER.replace("id: shop.sign", "id: shop.signs"), "utf-8")
    refused = runtime.reload_packs()
    assert not refused.ok and "the matter's id changed from 'shop.sign' to 'shop.signs'" in str(refused)
    (pack / MATTER_FILE).write_text(MATTER.replace("type: person", "type: human"), "utf-8")
    refused = runtime.reload_packs()
    assert not refused.ok and "matter.yaml:5: field applicant: type must be one of" in str(refused)
    assert runtime.review(CASE).outcome == "refer"
