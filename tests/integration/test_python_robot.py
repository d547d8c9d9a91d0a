"""A robot written in Python (for a flow a form map cannot describe), registered by a plugin and run by the same
runner as form maps: retries, search-before-resubmit and evidence come with it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from govauto import hookimpl
from govauto.errors import RobotConfigError
from govauto.robots import BrowserHost, Credentials, EntryContext, LocalRunContext, Robot, RobotSession, run_robot
from govauto.robots.formmap import Locate
from govauto.runtime import Runtime
from govauto.testing.legacy_portal import Fault, LegacyPortal

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("GOVAUTO_CHROMIUM"),
                                reason="needs Debian's chromium (make system-deps installs it)")


class DirectFormRobot(Robot):
    """Opens the portal's pages directly instead of through its frames, as a Python robot may."""

    id = "tests.direct_form"
    title = "直接打开表单"
    matter = "sole_proprietor.establish"
    target = "legacy_portal"
    credentials = "legacy_portal"
    max_sessions = 1

    def __init__(self, url: str) -> None:
        self.url = url

    def open_session(self, page: Page) -> RobotSession:
        return RobotSession(page, base_url=self.url, accept_dialogs=["确认提交"], charset="gbk",
                            session_expired=Locate("#sessionTimeout"))

    def login(self, session: RobotSession, credentials: Credentials) -> None:
        session.goto("/login.do", "opening the login page")
        session.fill("#username", None, credentials.username, "logging in")
        session.fill("#password", None, credentials.password, "logging in", verify=False)
        session.click("#loginBtn", None, "logging in")
        if session.wait_any({"ok": Locate("frame[name=menu]"), "no": Locate(".errmsg")}, 10, "logging in") == "no":
            raise RobotConfigError("refused", kind="login")

    def logged_in(self, session: RobotSession) -> bool:
        return False

    def find(self, session: RobotSession, facts: Mapping[str, Any]) -> str | None:
        session.goto(f"/gt/search.do?q=1&wbywh={facts['case_id']}", "searching")
        if session.wait_any({"row": Locate("td.slh"), "none": Locate(".norecord")}, 10, "searching") == "none":
            return None
        return session.text(Locate("td.slh"), "reading the receipt")

    def enter(self, session: RobotSession, entry: EntryContext) -> str:
        facts = entry.facts
        session.goto("/gt/establish.do", "opening the form")
        results = session.fill_form(Locate("form#gtForm"), [
            {"selector": "#wbywh", "kind": "text", "value": facts["case_id"], "match": "value"},
            {"selector": "#jyzxm", "kind": "text", "value": facts["applicant.name"], "match": "value"},
            {"selector": "#zjhm", "kind": "text", "value": facts["applicant.id_number"], "match": "value"},
            {"selector": "#lxdh", "kind": "text", "value": facts["applicant.phone"], "match": "value"},
            {"selector": "#jyzzs", "kind": "text", "value": facts["applicant.address"], "match": "value"},
            {"selector": "#zzxs", "kind": "select", "value": "个人经营", "match": "label"},
            {"selector": "#xzqh", "kind": "select", "value": "440305", "match": "value"},
            {"selector": "#jycs", "kind": "text", "value": "广东省深圳市南山区南山大道100号", "match": "value"},
            {"selector": "input[name=jyfw]", "kind": "checkboxes", "value": facts["business.scope"], "match": "label"},
            {"selector": "#zczb", "kind": "text", "value": "5", "match": "value"},
            {"selector": "#cyrs", "kind": "text", "value": "2", "match": "value"},
            {"selector": "#sqrq", "kind": "text", "value": facts["submitted_on"].replace("-", ""), "match": "value"},
        ], "filling the form")
        assert all(r["ok"] for r in results), results
        session.click("#btnSubmit", None, "submitting")
        session.click("#btnConfirm", None, "submitting", before=entry.mark_submitting)
        session.wait_any({"ok": Locate("#slh")}, 20, "waiting for the receipt")
        return session.text(Locate("#slh"), "reading the receipt")

    def logout(self, session: RobotSession) -> None:
        session.goto("/logout.do", "logging out")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db") as running:
        yield running


def test_a_python_robot_registered_by_a_plugin_runs_with_retries_and_idempotency(
        portal: LegacyPortal, tmp_path: Path) -> None:
    robot = DirectFormRobot(portal.url)

    class Plugin:
        @hookimpl
        def govauto_register_robots(self, register: Any) -> None:
            register(robot)

    runtime = Runtime(plugins=[Plugin()])
    assert runtime.robot("tests.direct_form") is robot
    facts = runtime.facts(runtime.load_case("examples/cases/approve.yaml"))
    portal.set_faults([Fault("lose_success", path="/gt/establish_submit.do", times=1)])
    ctx = LocalRunContext(tmp_path / "evidence")
    with BrowserHost() as host:
        result = run_robot(robot, facts, browser=host.browser(), ctx=ctx,
                           credentials=Credentials("robot", "robot-pass"))
    assert result.status == "succeeded" and result.reconciled, result
    [record] = portal.records()
    assert result.receipt == record["receipt"] and record["jyzxm"] == "张三"
    assert [name for name, _ in ctx.events][:2] == ["submitting", "retry"]
    assert portal.stats()["active_sessions"] == 0
