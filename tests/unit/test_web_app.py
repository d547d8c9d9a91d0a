"""The reviewer web page with Starlette's TestClient: logging in, permissions, CSRF, masking, decisions."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 instead of httpx; httpx is what the project installs
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import govauto
from govauto.audit import AuditTrail
from govauto.casework import Accounts, CaseStore, ReviewQueue, Task, WorkCalendar
from govauto.store import Store, open_store
from govauto.web import create_app
from tests.unit.test_web_seeding import (
    GROUP,
    PASSWORD,
    add_users,
    refer_example,
    referred_case_file,
    seed,
    sensitive_task,
)

CASE = "NS-2026-000321"
FULL_ID = "110101199003071233"
MASKED_ID = "110101********1233"


@dataclass
class Site:
    store: Store
    home: Path
    url: str
    runtime: govauto.Runtime
    task: Task

    def client(self) -> TestClient:
        return TestClient(create_app(self.url, runtime=self.runtime, home=self.home), base_url="http://testserver",
                          follow_redirects=False)

    @property
    def queue(self) -> ReviewQueue:
        return ReviewQueue(self.store, WorkCalendar.default())


@pytest.fixture(scope="module")
def web_runtime() -> govauto.Runtime:
    return govauto.Runtime(load_entrypoints=False)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_runtime: govauto.Runtime) -> Iterator[Site]:
    home = tmp_path / "home"
    monkeypatch.setenv("GOVAUTO_HOME", str(home))
    monkeypatch.setenv("GOVAUTO_ESCALATE_SECONDS", "0")
    monkeypatch.delenv("GOVAUTO_SECRET_KEY", raising=False)
    monkeypatch.delenv("GOVAUTO_DATABASE_URL", raising=False)
    url = f"sqlite:///{home / 'govauto.db'}"
    store = open_store(url)
    add_users(store)
    processed = seed(web_runtime, store, referred_case_file(tmp_path / "case"))
    (task_id,) = processed.task_ids
    yield Site(store, home, url, web_runtime, ReviewQueue(store, WorkCalendar.default()).get(task_id))
    store.dispose()


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in; return the session's CSRF token (from the next page)."""
    page = client.get("/login")
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": token(page.text),
                                           "next": "/"})
    assert response.status_code == 303, response.text
    return token(client.get("/").text)


def case_path(task: Task) -> str:
    return f"/cases/{task.case_id}/v/{task.case_version}"


# -- logging in ---------------------------------------------------------------------------------------------------

def test_pages_need_a_login(site: Site) -> None:
    with site.client() as client:
        response = client.get(case_path(site.task))
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next=/cases/{CASE}/v/1"
        assert client.get("/").headers["location"] == "/login?next=/"


def test_a_wrong_password_is_refused_and_logs_nobody_in(site: Site) -> None:
    with site.client() as client:
        page = client.get("/login")
        response = client.post("/login", data={"username": "zhang", "password": "not the password",
                                               "csrf_token": token(page.text), "next": "/"})
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert client.get("/").status_code == 303  # still nobody
        unknown = client.post("/login", data={"username": "nobody", "password": PASSWORD,
                                              "csrf_token": token(page.text)})
        assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text  # the same answer


def test_repeated_failures_are_throttled(site: Site) -> None:
    with site.client() as client:
        csrf = token(client.get("/login").text)
        for _ in range(5):
            assert client.post("/login", data={"username": "li", "password": "wrong password!",
                                               "csrf_token": csrf}).status_code == 401
        blocked = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf})
        assert blocked.status_code == 429
        assert client.get("/").status_code == 303


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(site: Site) -> None:
    with site.client() as client:
        csrf = token(client.get("/login").text)
        response = client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": csrf,
                                               "next": f"/cases/{CASE}"})
        assert response.headers["location"] == f"/cases/{CASE}"
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        with site.client() as client:
            csrf = token(client.get("/login").text)
            response = client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": csrf,
                                                   "next": target})
            assert response.headers["location"] == "/", target


def test_the_session_cookie_is_httponly_and_samesite_and_changes_at_login(site: Site) -> None:
    with site.client() as client:
        before = token(client.get("/login").text)
        response = client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": before})
        cookie = response.headers["set-cookie"]
        assert "govauto_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http here; GOVAUTO_WEB_HTTPS=1 adds it
        after = token(client.get("/").text)
        assert after != before  # a new CSRF token with the new session
    secure = TestClient(create_app(site.url, runtime=site.runtime, home=site.home, https=True),
                        base_url="https://testserver", follow_redirects=False)
    with secure as client:
        response = client.post("/login", data={"username": "zhang", "password": PASSWORD,
                                               "csrf_token": token(client.get("/login").text)})
        assert "secure" in response.headers["set-cookie"].lower()
        assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_logging_out_ends_the_session(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "zhang")
        assert client.get("/").status_code == 200
        assert client.post("/logout", data={"csrf_token": csrf}).headers["location"] == "/login"
        assert client.get("/").status_code == 303


def test_a_password_change_or_deactivation_ends_open_sessions(site: Site) -> None:
    accounts = Accounts(site.store)
    with site.client() as client:
        log_in(client, "zhang")
        accounts.set_password("zhang", "another long passphrase")
        assert client.get("/").status_code == 303
    with site.client() as client:
        log_in(client, "li")
        accounts.set_active("li", False)
        assert client.get("/").status_code == 303


def test_the_secret_key_file_is_made_private(site: Site) -> None:
    with site.client() as client:
        client.get("/login")
    key_file = site.home / "secret_key"
    assert key_file.is_file()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) >= 64


# -- queues and masking -------------------------------------------------------------------------------------------

def test_my_queue_lists_claimable_tasks_with_the_id_number_masked(site: Site) -> None:
    # a second task whose message quotes the ID number, as a robot's error from the old system would
    site.queue.open(CASE, 1, reasons=["robot.business"], findings=[], group=GROUP,
                    message=f"原系统提示：身份证号码 {FULL_ID} 已登记")
    with site.client() as client:
        log_in(client, "zhang")
        page = client.get("/").text
        assert CASE in page and "applicant.public_servant" in page
        assert f"身份证号码 {MASKED_ID} 已登记" in page
        assert MASKED_ID in page and FULL_ID not in page
        group = client.get(f"/queue/{GROUP}")
        assert group.status_code == 200 and CASE in group.text and FULL_ID not in group.text
        case_page = client.get(case_path(site.task)).text
        assert FULL_ID in case_page  # in full on the case page only


def test_an_overdue_task_is_marked(site: Site) -> None:
    # the example case was submitted on 2026-11-20 with a time limit of 3 working days
    with site.client() as client:
        log_in(client, "zhang")
        page = client.get("/").text
    row = re.search(r'<tr class="([^"]*)">\s*<td class="num">0', page)
    assert row is not None
    due = site.task.due_at
    assert due is not None
    import datetime as dt

    overdue = dt.datetime.now(dt.UTC) > due
    assert ("overdue" in row.group(1)) is overdue
    assert ("已超期" in page) is overdue


def test_queues_show_only_the_viewers_groups(site: Site) -> None:
    with site.client() as client:
        log_in(client, "wang")
        assert CASE not in client.get("/").text
        assert client.get(f"/queue/{GROUP}").status_code == 403
    with site.client() as client:
        log_in(client, "chen")  # a supervisor of the group
        assert CASE in client.get(f"/queue/{GROUP}").text
    with site.client() as client:
        log_in(client, "root")  # admin: every group
        page = client.get(f"/queue/{GROUP}")
        assert page.status_code == 200 and CASE in page.text


# -- the case page ------------------------------------------------------------------------------------------------

def test_the_case_page_shows_declared_and_extracted_data_findings_crops_and_history(site: Site) -> None:
    with site.client() as client:
        log_in(client, "zhang")
        response = client.get(f"/cases/{CASE}")
        page = response.text
    assert response.status_code == 200
    for rule in ("applicant.public_servant", "applicant.phone", "name.suffix", "extracted.lease.lessee"):
        assert rule in page
    assert "《个体工商户登记管理规定》第十一条" in page  # the lessee finding's basis
    assert "0755-1234" in page  # declared
    assert "李四" in page and "不一致 differs" in page  # read from the lease, against the declared operator
    crops = re.findall(r'<img class="crop" src="([^"]+)"', page)
    assert f"/cases/{CASE}/v/1/crops/1/lessee.png" in crops
    assert "intake" in page and "review" in page and "referral" in page  # the audit history
    assert 'name="kept" value="name.suffix"' in page
    with site.client() as client:
        log_in(client, "zhang")
        image = client.get(f"/cases/{CASE}/v/1/crops/1/lessee.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "private, no-store"


def test_opening_the_case_page_is_audited(site: Site) -> None:
    with site.client() as client:
        log_in(client, "zhang")
        client.get(case_path(site.task))
    views = [r for r in AuditTrail(site.store).for_case(CASE) if r.action == "view"]
    assert len(views) == 1
    assert views[0].actor == "user:zhang" and views[0].case_version == 1
    assert views[0].detail["tasks"] == [site.task.id]


def test_case_pages_carry_security_headers(site: Site) -> None:
    with site.client() as client:
        log_in(client, "zhang")
        response = client.get(case_path(site.task))
    headers = response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "<script" not in response.text
    assert "style=" not in response.text  # no inline styles either (the CSP would block them)


def test_unknown_things_are_404_without_a_traceback(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "root")
        assert client.get("/cases/NO-SUCH-CASE").status_code == 404
        assert client.get(f"/cases/{CASE}/v/9").status_code == 404
        assert client.get(f"/cases/{CASE}/v/1/crops/7/name.png").status_code == 404
        assert client.get(f"/cases/{CASE}/v/1/notice.pdf").status_code == 404
        missing = client.post("/tasks/RNOSUCHTASK/claim", data={"csrf_token": csrf})
        assert missing.status_code == 404 and "Traceback" not in missing.text


# -- permissions --------------------------------------------------------------------------------------------------

def test_a_reviewer_of_another_group_gets_403_everywhere_and_changes_nothing(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "wang")
        assert client.get(f"/cases/{CASE}").status_code == 403
        assert client.get(case_path(site.task)).status_code == 403
        assert client.get(f"/cases/{CASE}/v/1/crops/1/lessee.png").status_code == 403
        assert client.get(f"/cases/{CASE}/v/1/notice.html").status_code == 403
        for action in ("claim", "decide", "confirm", "refuse", "release"):
            response = client.post(f"/tasks/{site.task.id}/{action}",
                                   data={"csrf_token": csrf, "outcome": "approve", "note": "x"})
            assert response.status_code == 403, action
            assert FULL_ID not in response.text
    task = site.queue.get(site.task.id)
    assert task.status == "open" and task.assignee is None
    assert not [r for r in AuditTrail(site.store).for_case(CASE) if r.actor == "user:wang"]


# -- CSRF ---------------------------------------------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "zhang")
        no_token = client.post(f"/tasks/{site.task.id}/claim", data={})
        assert no_token.status_code == 403 and "CSRF" in no_token.text
        wrong = client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": csrf[:-2] + "xx"})
        assert wrong.status_code == 403
        as_json = client.post(f"/tasks/{site.task.id}/claim", json={"csrf_token": csrf})
        assert as_json.status_code == 403
        decide = client.post(f"/tasks/{site.task.id}/decide", data={"outcome": "correct", "kept": "name.suffix"})
        assert decide.status_code == 403
        other_site = client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": csrf},
                                 headers={"Origin": "https://evil.example"})
        assert other_site.status_code == 403
    task = site.queue.get(site.task.id)
    assert task.status == "open" and task.assignee is None and task.decision is None
    with site.client() as client:  # logging in needs the token too
        client.get("/login")
        assert client.post("/login", data={"username": "zhang", "password": PASSWORD}).status_code == 403


def test_a_token_from_another_session_is_refused(site: Site) -> None:
    with site.client() as first:
        stolen = log_in(first, "li")
    with site.client() as client:
        log_in(client, "zhang")
        assert client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": stolen}).status_code == 403
    assert site.queue.get(site.task.id).status == "open"


# -- acting on tasks ----------------------------------------------------------------------------------------------

def test_claim_then_decide_correct_writes_the_notice_with_exactly_the_kept_items(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "zhang")
        claimed = client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": csrf})
        assert claimed.status_code == 303 and claimed.headers["location"] == case_path(site.task)
        assert "已认领" in client.get(claimed.headers["location"]).text
        assert site.queue.get(site.task.id).assignee == "zhang"
        decided = client.post(f"/tasks/{site.task.id}/decide", data={
            "csrf_token": csrf, "outcome": "correct", "kept": ["applicant.phone", "name.suffix"],
            "extra_items": "请补充提交经营场所的照片\n", "note": "内部：名称另行核实"})
        assert decided.status_code == 303
        page = client.get(decided.headers["location"]).text
        assert "已决定" in page and "告知书已生成" in page
        notice = client.get(f"/cases/{CASE}/v/1/notice.html")
        pdf = client.get(f"/cases/{CASE}/v/1/notice.pdf")
    assert notice.status_code == 200 and "sandbox" in notice.headers["content-security-policy"]
    text = notice.text
    assert "0755-1234" in text and "《中华人民共和国市场主体登记管理条例实施细则》第十五条" in text
    assert "（个体工商户）" in text and "《企业名称登记管理规定实施办法》第五十三条" in text
    assert "请补充提交经营场所的照片" in text
    assert "有限公司”字样，可能使公众误以为" not in text  # name.forbidden_form was not kept
    assert "李四" not in text and "内部：名称另行核实" not in text
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert CaseStore(site.store).get(CASE).status == "correcting"
    assert site.queue.get(site.task.id).status == "decided"
    decision = [r for r in AuditTrail(site.store).for_case(CASE) if r.action == "decision"]
    assert decision and decision[-1].actor == "user:zhang"


def test_refusals_of_the_queue_are_messages_not_errors(site: Site) -> None:
    with site.client() as client:
        csrf = log_in(client, "zhang")
        client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": csrf})
    with site.client() as client:
        csrf = log_in(client, "li")
        taken = client.post(f"/tasks/{site.task.id}/claim", data={"csrf_token": csrf})
        assert taken.status_code == 303
        page = client.get(taken.headers["location"]).text
        assert "未能完成" in page and "zhang holds it" in page and "Traceback" not in page
        empty = client.post(f"/tasks/{site.task.id}/decide", data={"csrf_token": csrf, "outcome": "bogus"})
        assert "请选择决定" in client.get(empty.headers["location"]).text
    with site.client() as client:
        csrf = log_in(client, "zhang")
        nothing = client.post(f"/tasks/{site.task.id}/decide", data={"csrf_token": csrf, "outcome": "correct"})
        assert "must list what to correct" in client.get(nothing.headers["location"]).text
    assert site.queue.get(site.task.id).status == "claimed"


def test_a_four_eyes_decision_waits_for_a_second_reviewer(site: Site, tmp_path: Path) -> None:
    task = sensitive_task(site.runtime, site.store, tmp_path / "objection", "NS-2026-000900")
    with site.client() as client:
        csrf = log_in(client, "zhang")
        decided = client.post(f"/tasks/{task.id}/decide", data={
            "csrf_token": csrf, "outcome": "approve", "reasons": "异议成立：证件已核实"})
        assert "需另一名审核人复核确认" in client.get(decided.headers["location"]).text
        own = client.post(f"/tasks/{task.id}/confirm", data={"csrf_token": csrf})
        assert "无权操作" in client.get(own.headers["location"]).text
    assert site.queue.get(task.id).status == "awaiting_confirmation"
    with site.client() as client:
        csrf = log_in(client, "li")
        assert "Awaiting my confirmation" in client.get("/").text and "NS-2026-000900" in client.get("/").text
        page = client.get(case_path(task)).text
        assert 'id="confirm"' in page and "异议成立" in page
        confirmed = client.post(f"/tasks/{task.id}/confirm", data={"csrf_token": csrf})
        assert "已复核确认" in client.get(confirmed.headers["location"]).text
    assert site.queue.get(task.id).status == "decided"
    assert CaseStore(site.store).get("NS-2026-000900").status == "approved"


def test_refusing_a_four_eyes_decision_sends_it_back(site: Site, tmp_path: Path) -> None:
    task = sensitive_task(site.runtime, site.store, tmp_path / "objection", "NS-2026-000901")
    with site.client() as client:
        csrf = log_in(client, "zhang")
        client.post(f"/tasks/{task.id}/decide", data={"csrf_token": csrf, "outcome": "approve",
                                                      "reasons": "异议成立"})
    with site.client() as client:
        csrf = log_in(client, "li")
        refused = client.post(f"/tasks/{task.id}/refuse", data={"csrf_token": csrf, "note": "证件未核实"})
        assert "已退回原审核人" in client.get(refused.headers["location"]).text
    back = site.queue.get(task.id)
    assert back.status == "assigned" and back.assignee == "zhang"
    with site.client() as client:
        log_in(client, "zhang")  # the decider sees why, and may decide again
        page = client.get(case_path(task)).text
        assert "confirmation_refused" in page and "证件未核实" in page and 'id="form-approve"' in page


def test_refer_goes_to_a_supervisor_and_supervisors_can_route_to_another_group(site: Site, tmp_path: Path) -> None:
    with site.client() as client:
        csrf = log_in(client, "zhang")
        referred = client.post(f"/tasks/{site.task.id}/decide", data={
            "csrf_token": csrf, "outcome": "refer", "refer_to": "supervisor", "reasons": "公职人员身份需核实"})
        assert "已转交 chen" in client.get(referred.headers["location"]).text
        routed = client.post(f"/tasks/{site.task.id}/decide", data={
            "csrf_token": csrf, "outcome": "refer", "refer_to": "group:110101"})
        assert routed.status_code == 303  # zhang no longer holds it: the queue refuses, as a message
    assert site.queue.get(site.task.id).assignee == "chen"
    other = seed(site.runtime, site.store, refer_example(tmp_path / "cases", "NS-2026-000777"))
    (other_task,) = other.task_ids
    with site.client() as client:
        csrf = log_in(client, "zhang")
        client.post(f"/tasks/{other_task}/decide", data={"csrf_token": csrf, "outcome": "refer",
                                                         "refer_to": "group:110101"})
        assert site.queue.get(other_task).group == GROUP  # reviewers cannot route to another group
    with site.client() as client:
        csrf = log_in(client, "chen")
        moved = client.post(f"/tasks/{other_task}/decide", data={"csrf_token": csrf, "outcome": "refer",
                                                                 "refer_to": "group:110101", "note": "属北京辖区"})
        assert moved.status_code == 303
    assert site.queue.get(other_task).group == "110101"
    with site.client() as client:
        log_in(client, "wang")  # now wang's group sees it
        assert client.get("/cases/NS-2026-000777").status_code == 200
