"""Several versions of one rule pack installed at once: each case is judged by the version in force on its
submitted date; overlapping versions are refused; ``govauto pack diff`` compares two versions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import govauto
from govauto.errors import PackError, PackNotInForceError, PluginError
from govauto.plugins import hookimpl

from ..conftest import PACK_DIR, ROOT

PACK_ID = "sole_proprietor.establish"
OLD_PHONE_MESSAGE = "联系电话“{applicant.phone}”有误（旧版规则）。"


def _old_version(tmp_path: Path, effective_from: str = "2024-01-01", effective_until: str = "2025-07-14",
                 version: str = "0.9.0", name: str = "old") -> Path:
    """A copy of the shipped pack as an older version: another phone message, no public-servant rule."""
    directory = tmp_path / name
    shutil.copytree(PACK_DIR, directory, ignore=shutil.ignore_patterns(".govauto-cache"))
    manifest = directory / "pack.yaml"
    text = manifest.read_text("utf-8")
    text = text.replace('version: "1.0.0"', f'version: "{version}"')
    text = text.replace("effective_from: 2025-07-15", f"effective_from: {effective_from}")
    text = text.replace("effective_until: null", f"effective_until: {effective_until}")
    assert f'version: "{version}"' in text and f"effective_until: {effective_until}" in text
    manifest.write_text(text, "utf-8")
    rules = directory / "rules" / "10_applicant.yaml"
    text = rules.read_text("utf-8")
    start, end = text.index("  - id: applicant.public_servant"), text.index("  - id: applicant.phone")
    text = text[:start] + text[end:]
    new_message = "经营者联系电话“{applicant.phone}”不是有效的大陆手机号码，请填写11位手机号码。"
    assert new_message in text
    rules.write_text(text.replace(new_message, OLD_PHONE_MESSAGE), "utf-8")
    (directory / "examples" / "refer_public_servant.yaml").unlink()  # it expects the removed rule
    return directory


class _Packs:
    def __init__(self, *directories: Path) -> None:
        self.directories = directories

    @hookimpl
    def govauto_register_rule_packs(self, register: Any) -> None:
        for directory in self.directories:
            register(directory)


def _runtime(*directories: Path) -> govauto.Runtime:
    return govauto.Runtime(plugins=[_Packs(*directories)], load_entrypoints=False)


def test_each_case_is_judged_by_the_version_in_force_on_its_submitted_date(tmp_path: Path,
                                                                          valid_case: dict[str, Any]) -> None:
    old = _old_version(tmp_path)
    runtime = _runtime(old)
    assert [p.version for p in runtime.pack_versions(PACK_ID)] == ["0.9.0", "1.0.0"]
    assert runtime.packs()[PACK_ID].version == "1.0.0"  # the latest, for callers that know one version
    assert runtime.pack_versions("no.such.pack") == []

    valid_case["applicant"]["phone"] = "12345"
    valid_case["applicant"]["public_servant"] = True
    valid_case["submitted_at"] = "2025-07-14T15:30:00Z"  # 23:30 on 2025-07-14 in China: the old version
    decision = runtime.review(valid_case)
    assert (decision.pack_id, decision.pack_version) == (PACK_ID, "0.9.0")
    assert decision.to_dict()["pack"] == {"id": PACK_ID, "version": "0.9.0"}
    assert [(f.rule, f.message) for f in decision.findings] == [
        ("applicant.phone", "联系电话“12345”有误（旧版规则）。")]
    assert decision.outcome == "correct"

    valid_case["submitted_at"] = "2026-03-02T10:00:00+08:00"  # the shipped version
    decision = runtime.review(valid_case)
    assert decision.pack_version == "1.0.0"
    assert sorted(f.rule for f in decision.findings) == ["applicant.phone", "applicant.public_servant"]
    assert decision.outcome == "refer"
    assert "不是有效的大陆手机号码" in next(f.message for f in decision.findings if f.rule == "applicant.phone")


def test_pack_for_picks_the_version_in_force_and_compiles_each_once(tmp_path: Path) -> None:
    runtime = _runtime(_old_version(tmp_path))
    first = runtime.pack_for(PACK_ID, on=dt.date(2025, 6, 1))
    assert first.version == "0.9.0"
    assert runtime.pack_for(PACK_ID, on=dt.date(2025, 7, 14)) is first
    assert runtime.compile(runtime.pack_versions(PACK_ID)[0]) is first
    latest = runtime.pack_for(PACK_ID, on=dt.date(2025, 7, 15))
    assert latest.version == "1.0.0" and latest is not first
    assert runtime.pack_for(PACK_ID) is latest  # no date: the latest version


@pytest.mark.parametrize(("until", "days"), [("2025-07-15", "from 2025-07-15 to 2025-07-15"),
                                             ("null", "from 2025-07-15 to further notice")])
def test_overlapping_versions_are_refused_naming_both_files_and_the_days(tmp_path: Path, until: str,
                                                                         days: str) -> None:
    old = _old_version(tmp_path, effective_until=until)
    with pytest.raises(PackError) as info:
        _runtime(old).packs()
    text = str(info.value)
    assert str(old / "pack.yaml") in text and str(PACK_DIR / "pack.yaml") in text
    assert f"both in force {days}" in text
    assert "0.9.0" in text and "1.0.0" in text


def test_the_same_version_twice_is_refused(tmp_path: Path) -> None:
    copy = _old_version(tmp_path, effective_from="2024-01-01", effective_until="2024-12-31", version="1.0.0")
    with pytest.raises(PluginError, match=r"version 1\.0\.0 is registered twice"):
        _runtime(copy).packs()


def test_a_case_when_no_version_was_in_force_lists_the_installed_versions(tmp_path: Path,
                                                                          valid_case: dict[str, Any]) -> None:
    runtime = _runtime(_old_version(tmp_path, effective_from="2025-01-01", effective_until="2025-06-30"))
    valid_case["submitted_at"] = "2025-07-05T10:00:00+08:00"
    with pytest.raises(PackNotInForceError) as info:
        runtime.review(valid_case)
    text = str(info.value)
    assert "submitted on 2025-07-05" in text
    assert "0.9.0 in force from 2025-01-01 to 2025-06-30" in text
    assert "1.0.0 in force from 2025-07-15 to further notice" in text
    with pytest.raises(PackNotInForceError, match="in force on 2024-12-31"):
        runtime.pack_for(PACK_ID, on=dt.date(2024, 12, 31))
    valid_case["submitted_at"] = "2025-06-30T10:00:00+08:00"
    assert runtime.review(valid_case).pack_version == "0.9.0"


def test_an_explicit_pack_still_checks_dates_unless_told_not_to(tmp_path: Path, valid_case: dict[str, Any]) -> None:
    runtime = _runtime(_old_version(tmp_path))
    old = runtime.pack_for(PACK_ID, on=dt.date(2025, 1, 1))
    with pytest.raises(PackNotInForceError, match=r"0\.9\.0 is in force from 2024-01-01 to 2025-07-14"):
        runtime.review(valid_case, pack=old)
    assert runtime.review(valid_case, pack=old, check_dates=False).pack_version == "0.9.0"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govauto.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"GOVAUTO_DISABLE_PLUGINS": "*", "PATH": "/usr/bin:/bin"}, timeout=120)


def test_pack_diff_lists_rules_and_the_examples_whose_decision_changes(tmp_path: Path) -> None:
    old = _old_version(tmp_path)
    result = _cli("pack", "diff", str(old), str(PACK_DIR))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "0.9.0" in text and "1.0.0" in text
    assert "  + applicant.public_servant" in text
    assert "  ~ applicant.phone: message" in text
    assert "rules removed: 0" in text
    # the example only the new version has: its submitted date (2026) is outside the old version's period
    assert "example cases whose decision changes: 1 of 11" in text
    assert "refer_public_servant" in text and "approve [] → refer [applicant.public_servant]" in text

    result = _cli("pack", "diff", "--json", str(PACK_DIR), str(old))
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert (diff["old"]["version"], diff["new"]["version"]) == ("1.0.0", "0.9.0")
    assert diff["new"]["effective_until"] == "2025-07-14"
    assert diff["rules"] == {"added": [], "removed": ["applicant.public_servant"],
                             "changed": [{"rule": "applicant.phone", "fields": ["message"]}]}
    assert diff["examples_reviewed"] == 11
    [change] = diff["examples_changed"]
    assert change["name"] == "refer_public_servant"
    assert change["old"] == {"outcome": "refer", "findings": ["applicant.public_servant"]}
    assert change["new"] == {"outcome": "approve", "findings": []}


def test_pack_diff_of_a_pack_with_itself_shows_nothing(tmp_path: Path) -> None:
    result = _cli("pack", "diff", "--json", str(PACK_DIR), str(PACK_DIR))
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["rules"] == {"added": [], "removed": [], "changed": []} and diff["examples_changed"] == []
