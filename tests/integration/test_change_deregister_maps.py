"""The built-in 变更 and 注销 form maps in real headless Chromium against the legacy-portal simulator: each enters
every example case its matter's pack approves, the portal's refusals go to a person with the portal's message,
and a success page lost after the portal committed the record is reconciled by searching, never by a second
submit."""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page
from stdnum.cn import ric, uscc

import govauto
from govauto.jobs.model import JobStatus
from govauto.runtime import Runtime
from govauto.testing.legacy_portal import (
    CHANGE_ITEMS,
    COMMITMENTS,
    RECEIPT_PREFIXES,
    SIMPLIFIED_PERIOD_DAYS,
    Fault,
    LegacyPortal,
    scope_items,
)
from govauto.testing.packs import example_runtime

from ..conftest import ROOT
from .test_form_map_browser import enter
from .test_robot_jobs import enqueue, run

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("GOVAUTO_CHROMIUM"),
                                reason="needs Debian's chromium (make system-deps installs it)")

PACKS = ROOT / "rules" / "sole_proprietor"
FORM_OF = {"sole_proprietor.change": "change", "sole_proprietor.deregister": "deregister"}
ITEM_CODES = {"name": "01", "operator": "02", "operator_address": "03", "premises": "04", "scope": "05",
              "organisation": "06", "capital": "07", "employees": "08"}
"""The case contract's change items → the portal's 变更事项 codes (checked against its labels below)."""
USCC_OK = "92440305MA5F123457"
DECLARATIONS = ("taxes_settled", "debts_settled", "no_pending_penalty", "not_under_investigation",
                "not_on_abnormal_list", "not_on_dishonest_list", "not_revoked")
"""The case contract's declarations in the order of the portal's 承诺事项 01 … 07."""


def approved_examples() -> list[Any]:
    """Every example of the 变更 and 注销 packs that expects approval."""
    params = []
    for pack in ("change", "deregister"):
        for path in sorted((PACKS / pack / "examples").glob("*.yaml")):
            example = yaml.safe_load(path.read_text(encoding="utf-8"))
            if example["expect"]["outcome"] == "approve":
                params.append(pytest.param(example["case"], id=f"{pack}/{path.stem}"))
    return params


APPROVED = approved_examples()


def example(pack: str, name: str) -> dict[str, Any]:
    path = PACKS / pack / "examples" / f"{name}.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8"))["case"])


@pytest.fixture(scope="module")
def runtime() -> govauto.Runtime:
    return govauto.Runtime(load_entrypoints=False)


@pytest.fixture(scope="module")
def reviewer() -> govauto.Runtime:
    """The runtime pack examples are judged in (the examples' own name registry: no name is taken)."""
    return example_runtime()[0]


@pytest.fixture(autouse=True)
def _portal_env(portal_url: str) -> None:
    """Every test's maps reach this module's simulator."""


def records_of(portal: LegacyPortal, form: str, case_id: str) -> list[dict[str, Any]]:
    return [r for r in portal.records(form) if r["wbywh"] == case_id]


def day(value: Any) -> str:
    return dt.date.fromisoformat(str(value)[:10]).strftime("%Y%m%d")


def submitted_day(case: dict[str, Any]) -> str:
    moment = dt.datetime.fromisoformat(case["submitted_at"])
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d")


def registered(case: dict[str, Any]) -> dict[str, Any]:
    """What the 登记信息 part of a record must hold, worked out from the case (not from the map)."""
    operator = case["operator"]
    return {"wbywh": case["case_id"], "tyxydm": case["business"]["uscc"], "ztmc": case["business"].get("name") or "",
            "jyzxm": operator["name"], "zjlx": "10", "zjhm": operator["id_number"].upper(),
            "lxdh": operator.get("phone") or "", "sqrq": submitted_day(case), "upload_name": None}


def expected_change(case: dict[str, Any]) -> dict[str, Any]:
    codes = {item.label: item.code for item in scope_items()}
    changes = {c["item"]: c for c in case["changes"]}
    new = {item: (change.get("new") or "") for item, change in changes.items()}
    premises = (case.get("premises") or [{}])[0] if "premises" in changes else {}
    capital = new.get("capital")
    return {
        **registered(case),
        "bgsx": sorted(ITEM_CODES[item] for item in changes),
        "xztmc": new.get("name", ""),
        "xjyzxm": (case.get("new_operator") or {}).get("name", "") if "operator" in changes else "",
        "xzjhm": (case.get("new_operator") or {}).get("id_number", "") if "operator" in changes else "",
        "xjyzzs": new.get("operator_address", ""),
        "xjycs": premises.get("address") or premises.get("url") or "",
        "xxzqh": premises.get("division", ""),
        # the browser posts the boxes in page order
        "xjyfw": sorted(codes[term] for term in case.get("scope", [])) if "scope" in changes else [],
        "xzzxs": {"individual": "1", "family": "2"}.get(new.get("organisation", ""), ""),
        "xzczb": format((Decimal(capital) / 10000).normalize(), "f") if capital else "",
        "xcyrs": int(new["employees"]) if new.get("employees") else None,
    }


def expected_deregistration(case: dict[str, Any]) -> dict[str, Any]:
    declared = case.get("declarations") or {}
    simplified = case["procedure"] == "simplified"
    pushed = dt.date.fromisoformat(case["simplified"]["pushed_on"]) if simplified else None
    return {
        **registered(case),
        "zxlx": "2" if simplified else "1",
        "zxyy": "02" if declared.get("not_revoked") is False else "01",
        "qsbj": case.get("tax_clearance") is True,
        "cnsx": [f"{n:02d}" for n, name in enumerate(DECLARATIONS, start=1) if declared.get(name) is True],
        "gsqsrq": f"{pushed:%Y%m%d}" if pushed else "",
        "gsjzrq": f"{pushed + dt.timedelta(days=SIMPLIFIED_PERIOD_DAYS):%Y%m%d}" if pushed else "",
        "yysl": case["simplified"].get("objections", 0) if simplified else None,
    }


def test_the_code_tables_the_expectations_use_are_the_portals() -> None:
    labels = {"name": "名称", "operator": "经营者", "operator_address": "经营者住所", "premises": "经营场所",
              "scope": "经营范围", "organisation": "组成形式", "capital": "资金数额", "employees": "从业人数"}
    assert {code: labels[item] for item, code in ITEM_CODES.items()} == CHANGE_ITEMS
    assert len(DECLARATIONS) == len(COMMITMENTS) and COMMITMENTS["05"] == "未被列入经营异常名录"
    assert len(APPROVED) >= 4, "the 变更 and 注销 packs ship at least two approved examples each"


# ---- success -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", APPROVED)
def test_the_map_enters_every_approved_example(runtime: govauto.Runtime, reviewer: govauto.Runtime,
                                               browser: Browser, portal: LegacyPortal, tmp_path: Path,
                                               case: dict[str, Any]) -> None:
    valid = runtime.load_case(case)
    assert reviewer.review(valid, extract=False).outcome == "approve"  # the pack approves it as it stands
    form = FORM_OF[valid.matter]
    robot = runtime.robot_for(valid.matter)
    assert robot is not None and robot.id == f"legacy_portal.{form}"
    result = enter(robot, runtime.facts(valid), browser, tmp_path / "evidence")
    assert (result.status, result.error_kind, result.message) == ("succeeded", None, None)
    assert re.fullmatch(rf"{RECEIPT_PREFIXES[form]}{dt.date.today():%Y%m%d}\d{{5}}", result.receipt or "")
    [record] = records_of(portal, form, valid.case_id)
    assert record["receipt"] == result.receipt
    expected = expected_change(case) if form == "change" else expected_deregistration(case)
    assert {key: sorted(record[key]) if key == "xjyfw" else record[key] for key in expected} == expected


def test_a_change_of_premises_and_organisation_enters_the_new_values(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    """The items no approved example changes: the new premises (with its district), 组成形式, 从业人数, 住所."""
    case = example("change", "approve_name_and_scope")
    case["case_id"] = "CHG-BROWSER-PREMISES"
    case["operator"]["phone"] = "+86 138 0013 8000"
    case["changes"] = [
        {"item": "premises", "old": "广东省深圳市南山区南山大道100号", "changed_on": "2026-11-12"},
        {"item": "organisation", "old": "individual", "new": "family", "changed_on": "2026-11-12"},
        {"item": "employees", "old": "2", "new": "5", "changed_on": "2026-11-12"},
        {"item": "operator_address", "old": "广东省深圳市南山区桃园路1号", "new": "广东省深圳市南山区学府路8号",
         "changed_on": "2026-11-12"},
    ]
    case["premises"] = [{"address": "广东省深圳市南山区南海大道200号", "division": "440305", "kind": "commercial",
                         "proof": "lease"}]
    case.pop("scope")
    valid = runtime.load_case(case)
    result = enter(runtime.robot("legacy_portal.change"), runtime.facts(valid), browser, tmp_path / "evidence")
    assert result.status == "succeeded", result.message
    [record] = records_of(portal, "change", "CHG-BROWSER-PREMISES")
    assert {key: record[key] for key in ("bgsx", "xjycs", "xxzqh", "xzzxs", "xcyrs", "xjyzzs", "lxdh", "xjyfw")} == {
        "bgsx": ["03", "04", "06", "08"], "xjycs": "广东省深圳市南山区南海大道200号", "xxzqh": "440305",
        "xzzxs": "2", "xcyrs": 5, "xjyzzs": "广东省深圳市南山区学府路8号", "lxdh": "13800138000", "xjyfw": []}
    expected = {**expected_change(case), "lxdh": "13800138000"}  # cn_phone: +86 and spaces dropped
    assert {key: record[key] for key in expected} == expected


# ---- the pages' scripts ------------------------------------------------------------------------------------------


def wait_for(page: Page, alerts: list[str], count: int) -> None:
    """Wait until ``count`` alerts were shown (Playwright delivers dialogs only while one of its calls runs)."""
    deadline = time.monotonic() + 10
    while len(alerts) < count:
        assert time.monotonic() < deadline, f"expected {count} alert(s), saw {alerts}"
        page.wait_for_timeout(50)


def test_the_pages_scripts_check_like_the_server_and_compute_the_end_of_the_period(
        browser: Browser, portal: LegacyPortal) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        alerts: list[str] = []
        page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.accept()))
        page.goto(f"{portal.url}/login.do")
        page.fill("#username", "robot")
        page.fill("#password", "robot-pass")
        page.click("#loginBtn")
        page.wait_for_url("**/main.do")
        main = page.frame_locator("frame[name=main]")
        menu = page.frame_locator("frame[name=menu]")

        menu.locator("#menuDeregister").click()
        main.locator("#zxForm").wait_for()
        main.locator("#gsqsrq").fill("20260225")
        main.locator("#gsqsrq").dispatch_event("change")
        assert main.locator("#gsjzrq").input_value() == "20260307"  # 10 days, across the end of February
        main.locator("#wbywh").fill("JS-1")
        main.locator("#tyxydm").fill(USCC_OK.lower())
        main.locator("#jyzxm").fill("张三")
        main.locator("#zjhm").fill("440305198506123419")
        main.locator("#btnSubmit").click()
        wait_for(page, alerts, 1)
        assert alerts == ["请选择注销类型"]

        menu.locator("#menuChange").click()
        main.locator("#bgForm").wait_for()
        for selector, value in (("#wbywh", "JS-2"), ("#tyxydm", USCC_OK), ("#jyzxm", "张三"),
                                ("#zjhm", "440305198506123419"), ("#sqrq", f"{dt.date.today():%Y%m%d}")):
            main.locator(selector).fill(value)
        main.locator("#btnSubmit").click()
        wait_for(page, alerts, 2)
        main.locator("#bgsx_05").check()
        main.locator("#xzczb").fill("20")
        main.locator("#btnSubmit").click()
        wait_for(page, alerts, 3)
        assert alerts[1:] == ["变更事项至少选择一项", "变更后的经营范围至少选择一项"]
        main.get_by_label("日用百货销售", exact=True).check()
        main.locator("#btnSubmit").click()
        wait_for(page, alerts, 4)
        assert alerts[3:] == ["未勾选变更事项“资金数额”，请勿填写变更后的资金数额"]
        assert records_of(portal, "deregister", "JS-1") == records_of(portal, "change", "JS-2") == []
    finally:
        context.close()


# ---- refusals: a person reads the portal's message ---------------------------------------------------------------


def wrong_check_character(code: str) -> str:
    right = uscc.calc_check_digit(code[:17])
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != right)
    assert not uscc.is_valid(code[:17] + wrong)
    return code[:17] + wrong


def test_the_portal_refusing_a_credit_code_ends_the_change_for_a_person(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    case = example("change", "approve_name_and_scope")
    case["case_id"] = "CHG-BROWSER-USCC"
    case["business"]["uscc"] = wrong_check_character(case["business"]["uscc"])  # the page's script accepts it
    facts = runtime.facts(runtime.load_case(case))
    result = enter(runtime.robot("legacy_portal.change"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "business")
    assert result.message is not None and result.message.endswith("the system said: 统一社会信用代码校验位错误")
    assert records_of(portal, "change", "CHG-BROWSER-USCC") == []


def test_the_portal_refusing_an_id_number_ends_the_deregistration_for_a_person(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    case = example("deregister", "approve_simplified_after_period")
    case["case_id"] = "DEREG-BROWSER-ID"
    number = case["operator"]["id_number"]
    right = ric.calc_check_digit(number[:17] + "0")
    case["operator"]["id_number"] = number[:17] + ("1" if right != "1" else "2")  # 18 characters: the script passes
    facts = runtime.facts(runtime.load_case(case))
    result = enter(runtime.robot("legacy_portal.deregister"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "business")
    assert result.message is not None and result.message.endswith("the system said: 证件号码校验位错误")
    assert case["operator"]["id_number"] not in result.message  # ID numbers are never shown in full
    assert records_of(portal, "deregister", "DEREG-BROWSER-ID") == []


def test_the_pages_script_refusing_a_change_without_its_new_value_goes_to_a_person(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    case = example("change", "approve_name_and_scope")
    case["case_id"] = "CHG-BROWSER-NONAME"
    case["changes"] = [{"item": "name", "old": case["business"]["name"], "changed_on": "2026-11-10"}]  # no new name
    facts = runtime.facts(runtime.load_case(case))
    result = enter(runtime.robot("legacy_portal.change"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "business")
    assert result.message is not None and result.message.endswith("the system said: 请填写变更后的名称")
    assert records_of(portal, "change", "CHG-BROWSER-NONAME") == []


def test_a_simplified_deregistration_before_the_period_ends_goes_to_a_person(
        runtime: govauto.Runtime, browser: Browser, portal: LegacyPortal, tmp_path: Path) -> None:
    case = example("deregister", "refer_simplified_period_running")  # pushed 4 days before it was submitted
    facts = runtime.facts(runtime.load_case(case))
    result = enter(runtime.robot("legacy_portal.deregister"), facts, browser, tmp_path / "evidence")
    assert (result.status, result.error_kind) == ("needs_review", "business")
    assert result.message is not None
    assert result.message.endswith("the system said: 公示期（10日）未满，不能办理简易注销")  # the page's script
    assert records_of(portal, "deregister", case["case_id"]) == []


# ---- a lost success page: reconciled through the job queue ---------------------------------------------------------


@pytest.fixture
def job_portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LegacyPortal]:
    """A portal of its own, and the environment a worker process reads (as in test_robot_jobs)."""
    with LegacyPortal(tmp_path / "jobs-portal.db", seed=7) as running:
        monkeypatch.setenv("GOVAUTO_PORTAL_URL", running.url)
        monkeypatch.setenv("GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME", "robot")
        monkeypatch.setenv("GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD", "robot-pass")
        monkeypatch.setenv("GOVAUTO_ROBOT_BACKOFF", "0.2")
        monkeypatch.setenv("GOVAUTO_ROBOT_BACKOFF_MAX", "1")
        monkeypatch.setenv("GOVAUTO_JOB_BACKOFF", "0.5")
        yield running


@pytest.mark.parametrize(("form", "name"), [("change", "approve_late_capital_with_note"),
                                             ("deregister", "approve_ordinary_with_debts_note")])
def test_a_lost_success_page_is_reconciled_by_searching_not_by_submitting_again(
        job_portal: LegacyPortal, tmp_path: Path, form: str, name: str) -> None:
    job_portal.set_faults([Fault("lose_success", path=f"/gt/{form}_submit.do", times=1)])
    store_url = f"sqlite:///{tmp_path / 'govauto.db'}"
    case = example(form, name)
    queue = enqueue(store_url, Runtime(), [case])  # the matter's robot: legacy_portal.<form>
    [job] = queue.list()
    assert job.robot == f"legacy_portal.{form}"
    run(store_url, tmp_path, concurrency=1)
    done = queue.get(job.id)
    assert done.status == JobStatus.SUCCEEDED and done.reconciled, done.error_message
    assert "reconcile" in [e.event for e in queue.events(job.id)]
    [record] = job_portal.records(form)  # committed once: the retry searched and found it
    assert record["receipt"] == done.receipt and record["wbywh"] == case["case_id"]
    stats = job_portal.stats()
    assert stats["faults_applied"]["lose_success"] == 1 and stats["submits"] == 1
    assert stats["active_sessions"] == 0, "the robot logs out"
