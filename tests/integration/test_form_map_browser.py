"""Form-map robots in real headless Chromium against the legacy-portal simulator: the built-in map enters a case,
and each kind of failure ends as the status and error kind a person or ops acts on, with its evidence."""

from __future__ import annotations

import copy
import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser
from stdnum.cn import ric

import govauto
from govauto.jobs.model import ExecutionResult
from govauto.robots import Credentials, FormMapRobot, LocalRunContext, RetryPolicy, Robot, run_robot
from govauto.testing.legacy_portal import LegacyPortal, scope_items

from ..conftest import ROOT

APPROVE = ROOT / "examples" / "cases" / "approve.yaml"
BUILT_IN = ROOT / "src" / "govauto" / "default_plugins" / "robots" / "legacy_portal_establish.yaml"
RECEIPT = re.compile(r"^GT(\d{8})\d{5}$")
TYPED = ("form:\n  frame: main\n", "form:\n  frame: main\n  fill: typed\n")
"""The change that makes the built-in map fill its fields one Playwright call each."""
POLICY = RetryPolicy(attempts=2, initial=0.1, maximum=0.2, jitter=0.0, deadline=30.0)


@pytest.fixture(scope="module")
def runtime() -> govauto.Runtime:
    return govauto.Runtime(load_entrypoints=False)


@pytest.fixture(autouse=True)
def _portal_env(portal_url: str) -> None:
    """Every test's maps reach this module's simulator."""


def case_facts(runtime: govauto.Runtime, case_id: str, **changes: Any) -> dict[str, Any]:
    """The facts of examples/cases/approve.yaml with another case id and ``changes`` (dotted path → value)."""
    data = copy.deepcopy(yaml.safe_load(APPROVE.read_text(encoding="utf-8")))
    data["case_id"] = case_id
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = data
        for name in parents:
            target = target[name]
        target[last] = value
    return runtime.facts(runtime.load_case(data))


def variant(tmp_path: Path, runtime: govauto.Runtime, *changes: tuple[str, str]) -> FormMapRobot:
    """The built-in map with textual changes (old → new), read and its facts checked as the runtime would."""
    text = BUILT_IN.read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not once in the built-in map"
        text = text.replace(old, new)
    path = tmp_path / "variant.yaml"
    path.write_text(text, encoding="utf-8")
    robot = FormMapRobot.from_file(path)
    assert robot.check(runtime.schema_for(robot.matter)) == []
    return robot


def enter(robot: Robot, facts: dict[str, Any], browser: Browser, evidence: Path,
          trace: bool = False) -> ExecutionResult:
    """Run the robot for one case (a Playwright trace only where a test looks at it: it costs time)."""
    return run_robot(robot, facts, browser=browser, ctx=LocalRunContext(evidence), policy=POLICY,
                     credentials=Credentials("robot", "robot-pass"), trace=trace)


def records_of(portal: LegacyPortal, case_id: str) -> list[dict[str, Any]]:
    return [r for r in portal.records() if r["wbywh"] == case_id]


def assert_entered_like_approve(record: dict[str, Any], case_id: str) -> None:
    codes = {item.label: item.code for item in scope_items()}
    case = yaml.safe_load(APPROVE.read_text(encoding="utf-8"))
    assert record["wbywh"] == case_id
    assert record["jyzxm"] == case["applicant"]["name"] == "张三"
    assert record["zjlx"] == "10"
    assert record["zjhm"] == case["applicant"]["id_number"]
    assert record["lxdh"] == case["applicant"]["phone"]
    assert record["ztmc"] == case["business"]["name"]
    assert record["zzxs"] == "1"  # organisation: individual, through the map's lookup table
    assert record["xzqh"] == "440305"
    assert record["jycs"] == case["business"]["premises"][0]["address"]
    assert record["jyfw"] == [codes[term] for term in case["business"]["scope"]]
    assert record["zczb"] == "5"  # 50000 yuan in the case, 万元 in the system
    assert record["cyrs"] == 2
    assert record["sqrq"] == "20261120"
    assert record["upload_name"] is None  # the application form came by data sharing: nothing to upload


def assert_receipt(receipt: str | None) -> None:
    match = RECEIPT.match(receipt or "")
    assert match, receipt
    dt.datetime.strptime(match.group(1), "%Y%m%d")


# ---- success ---------------------------------------------------------------------------------------------------


def test_the_built_in_map_enters_the_approved_example(runtime: govauto.Runtime, browser: Browser,
                                                      portal: LegacyPortal, tmp_path: Path) -> None:
    robot = runtime.robot("legacy_portal.establish")
    assert runtime.robot_for("sole_proprietor.establish") is robot
    facts = runtime.facts(runtime.load_case(APPROVE))
    ctx = LocalRunContext(tmp_path / "evidence")
    result = run_robot(robot, facts, browser=browser, ctx=ctx, policy=POLICY,
                       credentials=Credentials("robot", "robot-pass"))
    assert (result.status, result.error_kind, result.message) == ("succeeded", None, None)
    assert result.reconciled is False and result.artifacts == ()  # evidence is kept on failure only
    assert_receipt(result.receipt)
    assert ("submitting", {}) in ctx.events
    [record] = records_of(portal, "NS-2026-000123")
    assert record["receipt"] == result.receipt
    assert_entered_like_approve(record, "NS-2026-000123")
    assert not list((tmp_path / "evidence").glob("trace-*.zip"))


def test_typed_fill_mode_enters_the_same_record(runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal,
                                                tmp_path: Path) -> None:
    robot = variant(tmp_path, runtime, TYPED)
    assert robot.map.form.fill == "typed"
    # a bullet typed for the middle dot of a minority name: gbk_safe makes it the GBK middle dot
    facts = case_facts(runtime, "NS-TYPED-1", **{"applicant.name": "买买提\u2022艾力"})
    result = enter(robot, facts, browser, tmp_path / "evidence")
    assert result.status == "succeeded", result.message
    assert_receipt(result.receipt)
    [record] = records_of(portal, "NS-TYPED-1")
    assert record["receipt"] == result.receipt
    assert record["jyzxm"] == "买买提\u00b7艾力"
    assert_entered_like_approve({**record, "jyzxm": "张三"}, "NS-TYPED-1")


# ---- failures: ops -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fill", ["dom", "typed"])
def test_a_wrong_selector_fails_for_ops_with_evidence(runtime: govauto.Runtime, browser: Browser,
                                                      portal: LegacyPortal, tmp_path: Path, fill: str) -> None:
    changes = [('selector: "#jyzzs"', 'selector: "#jyzzs_old"')]
    if fill == "typed":
        changes.append(TYPED)
    robot = variant(tmp_path, runtime, *changes)
    assert robot.map.form.fill == fill
    case_id = f"NS-SELECTOR-{fill}"
    result = enter(robot, case_facts(runtime, case_id), browser, tmp_path / "evidence", trace=True)

    assert (result.status, result.error_kind) == ("failed", "selector")
    line = next(f.line for f in robot.map.form.fields if f.label == "经营者住所")
    assert result.message is not None
    where = f"{Path(robot.source).name}:{line}"
    assert result.message.startswith(f"field '经营者住所' ({where}): no element matches '#jyzzs_old'")
    assert "fix the form map" in result.message
    assert records_of(portal, case_id) == []

    kinds = {kind for kind, _ in result.artifacts}
    assert {"screenshot", "html", "trace"} <= kinds
    for _, path in result.artifacts:
        assert path.is_file() and path.stat().st_size > 0, path
        assert path.parent == tmp_path / "evidence"
    screenshot = next(p for k, p in result.artifacts if k == "screenshot")
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    pages = {p.name: p.read_text(encoding="utf-8") for k, p in result.artifacts if k == "html"}
    assert 'id="gtForm"' in pages["frame-main.html"]  # the page the field was missing from
    traces = [p for k, p in result.artifacts if k == "trace"]
    contents = []
    for trace in traces:
        with zipfile.ZipFile(trace) as archive:
            contents.extend(archive.read(name) for name in archive.namelist())
    assert any(b"gtForm" in c for c in contents)  # the trace shows the form the robot was filling ...
    assert not any(b"robot-pass" in c for c in contents)  # ... but not the password: paused while logging in


# ---- failures: a person -----------------------------------------------------------------------------------------


def test_a_character_gbk_cannot_hold_goes_to_a_person(runtime: govauto.Runtime, browser: Browser,
                                                      portal: LegacyPortal, tmp_path: Path) -> None:
    facts = case_facts(runtime, "NS-GBK-1", **{"applicant.name": "\U00020bb7三"})  # 𠮷 is outside GBK
    result = enter(runtime.robot("legacy_portal.establish"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "data")
    assert result.message is not None
    assert result.message.startswith("field '经营者姓名': '\U00020bb7' (U+20BB7) cannot be stored by the system (gbk)")
    assert records_of(portal, "NS-GBK-1") == []


def test_a_scope_term_the_system_has_no_box_for_goes_to_a_person(runtime: govauto.Runtime, browser: Browser,
                                                                 portal: LegacyPortal, tmp_path: Path) -> None:
    assert "星际旅行服务" not in {item.label for item in scope_items()}
    facts = case_facts(runtime, "NS-SCOPE-1", **{"business.scope": ["日用百货销售", "星际旅行服务"]})
    result = enter(runtime.robot("legacy_portal.establish"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "data")
    assert result.message is not None
    assert "field '经营范围'" in result.message
    assert result.message.endswith("the system has no box for '星际旅行服务'"), result.message
    assert records_of(portal, "NS-SCOPE-1") == []


def test_the_portal_refusing_an_id_number_goes_to_a_person_with_its_message(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    good = "110101199003071233"
    wrong_check_digit = good[:17] + ("4" if good[17] != "4" else "5")
    assert not ric.is_valid(wrong_check_digit)  # 18 characters: the page's script accepts it, the server does not
    facts = case_facts(runtime, "NS-ID-1", **{"applicant.id_number": wrong_check_digit})
    result = enter(runtime.robot("legacy_portal.establish"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "business")
    assert result.message is not None and result.message.endswith("the system said: 证件号码校验位错误")
    assert wrong_check_digit not in result.message
    assert records_of(portal, "NS-ID-1") == []


# ---- the worked example ----------------------------------------------------------------------------------------


def test_the_example_script_prints_the_receipt() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "robots" / "run_robot.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(r"NS-2026-000123: entered by legacy_portal\.establish, receipt (GT\d{13})\n", done.stdout)
    assert match, done.stdout
    assert_receipt(match.group(1))
