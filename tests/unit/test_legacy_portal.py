"""The legacy-portal simulator over plain HTTP: pages, sessions, records, faults, admin endpoints and the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from stdnum.cn import ric

from govauto.testing.legacy_portal import Fault, LegacyPortal, scope_items

from ..conftest import ROOT

SYSTEM = "个体工商户登记管理系统"


def valid_id(first17: str) -> str:
    number = first17 + ric.calc_check_digit(first17 + "0")  # stdnum expects a placeholder check digit
    assert ric.is_valid(number)
    return number


ID_A = valid_id("11010519800101123")
ID_B = valid_id("44030519900215201")
ID_BAD_CHECK = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
TODAY = dt.date.today()


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("gbk")


class Client:
    """A browser-like HTTP client: one JSESSIONID cookie, no automatic redirects, GBK forms."""

    def __init__(self, portal: LegacyPortal) -> None:
        self.port = portal.port
        self.sid: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> Resp:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            if self.sid:
                all_headers["Cookie"] = f"JSESSIONID={self.sid}"
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            cookies = response.msg.get_all("Set-Cookie") or []
            for cookie in cookies:
                match = re.match(r"JSESSIONID=(\w+)", cookie)
                if match:
                    self.sid = match.group(1)
            return Resp(response.status, {k.lower(): v for k, v in response.getheaders()}, data, cookies)
        finally:
            conn.close()

    def get(self, path: str, **query: str) -> Resp:
        if query:
            path += "?" + urlencode(query, encoding="gbk")
        return self.request("GET", path)

    def post(self, path: str, fields: Sequence[tuple[str, str]] | Mapping[str, str]) -> Resp:
        body = urlencode(list(fields.items()) if isinstance(fields, Mapping) else list(fields), encoding="gbk")
        return self.request("POST", path, body.encode("ascii"),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path: str, fields: Sequence[tuple[str, str]],
                       files: Sequence[tuple[str, str, bytes]] = ()) -> Resp:
        boundary = "----WebKitFormBoundaryGovautoTest7MA4YWxk"
        out = bytearray()
        for name, value in fields:
            out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("gbk")
            out += value.encode("gbk") + b"\r\n"
        for name, filename, data in files:
            out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n").encode("gbk")
            out += data + b"\r\n"
        out += f"--{boundary}--\r\n".encode("ascii")
        return self.request("POST", path, bytes(out), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def application(**overrides: Any) -> list[tuple[str, str]]:
    """A valid 设立登记 form as (name, value) pairs; ``jyfw`` may be a list; ``None`` leaves a field out."""
    values: dict[str, Any] = {
        "wbywh": "EXT-0001", "jyzxm": "张三", "zjlx": "10", "zjhm": ID_A, "lxdh": "13800138000",
        "jyzzs": "北京市东城区东华门街道1号", "ztmc": "东城区张三便利店", "zzxs": "1", "xzqh": "110101",
        "jycs": "北京市东城区东华门街道2号一层", "jyfw": ["C0001", "C0002"], "zczb": "10.5", "cyrs": "2",
        "sqrq": TODAY.strftime("%Y%m%d"),
    }
    values.update(overrides)
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db") as running:
        yield running


def login(client: Client, user: str = "robot", password: str = "robot-pass") -> Resp:
    return client.post("/login.do", {"j_username": user, "j_password": password})


def open_form(client: Client) -> str:
    page = client.get("/gt/establish.do")
    assert page.status == 200
    match = re.search(r'name="token" id="token" value="(\w+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def confirm(client: Client, pairs: list[tuple[str, str]] | None = None,
            files: Sequence[tuple[str, str, bytes]] = (), token: str | None = None) -> Resp:
    token = open_form(client) if token is None else token
    return client.post_multipart("/gt/establish_confirm.do", [("token", token), *(pairs or application())], files)


def cid_of(page: Resp) -> str:
    match = re.search(r'<input type="hidden" name="cid" id="cid" value="(\w+)">', page.text)
    assert match, page.text[:800]
    return match.group(1)


def receipt_of(page: Resp) -> str:
    match = re.search(r'<td>受理号：</td><td id="slh">(GT\d{13})</td>', page.text)
    assert match, page.text[:800]
    return match.group(1)


def alert_of(page: Resp) -> str | None:
    match = re.search(r"<script>alert\('([^']*)'\);history\.back\(\);</script>", page.text)
    return match.group(1) if match else None


def admin(portal: LegacyPortal, method: str, name: str, data: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    try:
        body = None if data is None else json.dumps(data).encode()
        conn.request(method, f"/__admin/{name}", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.getheader("Content-Type") == "application/json; charset=UTF-8"
        return response.status, json.loads(response.read().decode("utf-8"))
    finally:
        conn.close()


def is_timeout_page(page: Resp) -> bool:
    return (page.status == 200 and '<div id="sessionTimeout">会话已超时，请重新登录</div>' in page.text
            and '<a href="/login.do" target="_top">重新登录</a>' in page.text)


# ---- login, sessions, frames ---------------------------------------------------------------------------------


def test_root_redirects_to_the_login_page_which_follows_the_contract(portal: LegacyPortal) -> None:
    client = Client(portal)
    root = client.get("/")
    assert root.status == 302 and root.headers["location"] == "/login.do"
    page = client.get("/login.do")
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=GBK"
    text = page.text
    for snippet in ('<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
                    '<form name="loginForm" method="post" action="/login.do">',
                    '<input type="text" name="j_username" id="username">',
                    '<input type="password" name="j_password" id="password">',
                    '<input type="submit" id="loginBtn" value="登 录">', SYSTEM):
        assert snippet in text
    assert 'class="errmsg"' not in text


def test_login_sets_an_httponly_session_cookie_and_opens_the_frameset(portal: LegacyPortal) -> None:
    client = Client(portal)
    response = login(client)
    assert response.status == 302 and response.headers["location"] == "/main.do"
    assert len(response.set_cookies) == 1
    assert re.fullmatch(r"JSESSIONID=[0-9A-Fa-f]{16,}; Path=/; HttpOnly", response.set_cookies[0])
    main = client.get("/main.do")
    assert ('<frameset rows="60,*"><frame name="top" src="/top.do"><frameset cols="180,*"><frame name="menu" '
            'src="/menu.do"><frame name="main" src="/welcome.do"></frameset></frameset>') in main.text
    top = client.get("/top.do").text
    assert "robot" in top and '<a id="logout" href="/logout.do" target="_top">退出</a>' in top
    menu = client.get("/menu.do").text
    assert '<a id="menuEstablish" href="/gt/establish.do" target="main">个体工商户设立登记</a>' in menu
    assert '<a id="menuSearch" href="/gt/search.do" target="main">业务查询</a>' in menu
    welcome = client.get("/welcome.do")
    assert welcome.status == 200 and "欢迎" in welcome.text and SYSTEM in welcome.text
    assert portal.stats()["logins"] == 1 and portal.stats()["active_sessions"] == 1


@pytest.mark.parametrize(("user", "password"), [("robot", "wrong"), ("nobody", "robot-pass"), ("", "")])
def test_wrong_credentials_show_the_error_and_give_no_session(portal: LegacyPortal, user: str,
                                                               password: str) -> None:
    client = Client(portal)
    response = login(client, user, password)
    assert response.status == 200 and not response.set_cookies
    assert '<font color="red" class="errmsg">用户名或密码错误</font>' in response.text
    assert is_timeout_page(client.get("/main.do"))
    assert portal.stats()["logins"] == 0


def test_a_missing_or_unknown_cookie_gets_the_timeout_page(portal: LegacyPortal) -> None:
    client = Client(portal)
    for path in ("/main.do", "/welcome.do", "/gt/establish.do", "/gt/search.do"):
        assert is_timeout_page(client.get(path)), path
    client.sid = "0123456789ABCDEF0123456789ABCDEF"
    assert is_timeout_page(client.get("/gt/establish.do"))
    assert is_timeout_page(client.post("/gt/establish_submit.do", {"cid": "x"}))
    assert portal.records() == []


def test_a_session_expires_after_the_idle_timeout_and_requests_keep_it_alive(tmp_path: Path) -> None:
    with LegacyPortal(tmp_path / "p.db", idle_timeout=1.5) as portal:
        client = Client(portal)
        login(client)
        for _ in range(8):  # 2 s in all, more than the timeout, each gap well below it
            time.sleep(0.25)
            assert not is_timeout_page(client.get("/welcome.do"))
        assert portal.stats()["active_sessions"] == 1
        time.sleep(1.8)
        assert portal.stats()["active_sessions"] == 0  # expiry is counted without a request
        assert is_timeout_page(client.get("/welcome.do"))
        login(client)
        assert not is_timeout_page(client.get("/welcome.do"))


def test_logout_ends_the_session(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    response = client.get("/logout.do")
    assert response.status == 302 and response.headers["location"] == "/login.do"
    assert is_timeout_page(client.get("/welcome.do"))
    assert portal.stats()["active_sessions"] == 0


def test_max_sessions_refuses_logins_while_full(tmp_path: Path) -> None:
    with LegacyPortal(tmp_path / "p.db", max_sessions=1, users={"a": "pa", "b": "pb"}) as portal:
        first, second = Client(portal), Client(portal)
        assert login(first, "a", "pa").status == 302
        refused = login(second, "b", "pb")
        assert refused.status == 200 and not refused.set_cookies
        assert '<font color="red" class="errmsg">系统繁忙，在线用户已达上限，请稍后再试</font>' in refused.text
        assert login(first, "a", "pa").status == 302  # logging in again replaces the old session
        assert portal.stats()["active_sessions"] == 1
        first.get("/logout.do")
        assert login(second, "b", "pb").status == 302
        assert "b" in second.get("/top.do").text
        assert portal.stats()["max_active_sessions"] == 1


# ---- the form, confirmation and submission -------------------------------------------------------------------


def test_the_form_page_is_gbk_and_has_every_field(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    page = client.get("/gt/establish.do")
    assert page.headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    text = page.text
    assert ('<form id="gtForm" name="gtForm" method="post" action="/gt/establish_confirm.do" '
            'enctype="multipart/form-data" accept-charset="GBK">') in text
    assert '<input type="button" id="btnSubmit" value="提 交" onclick="doSubmit()">' in text
    labels = {"wbywh": "外部业务号", "jyzxm": "经营者姓名", "zjlx": "证件类型", "zjhm": "证件号码",
              "lxdh": "联系电话", "jyzzs": "经营者住所", "ztmc": "个体工商户名称", "zzxs": "组成形式",
              "xzqh": "行政区划", "jycs": "经营场所", "zczb": "资金数额（万元）", "cyrs": "从业人数",
              "sqrq": "申请日期", "fj": "申请材料"}
    for name, label in labels.items():
        assert f'<td class="label">{label}</td><td>' in text, label
        assert f'name="{name}" id="{name}"' in text, name
    assert '<input type="file" name="fj" id="fj"' in text
    assert '<option value="10" selected>居民身份证</option>' in text
    assert ('<option value="20">港澳居民来往内地通行证</option>'
            '<option value="30">台湾居民来往大陆通行证</option>') in text
    assert '<select name="zzxs" id="zzxs"><option value="">请选择</option><option value="1">个人经营</option>' in text
    for code, name in (("440303", "罗湖区"), ("440305", "南山区"), ("110105", "朝阳区"), ("310115", "浦东新区")):
        assert f'<option value="{code}">{name}</option>' in text
    assert ('<input type="checkbox" name="jyfw" id="jyfw_C0001" value="C0001">'
            '<label for="jyfw_C0001">日用百货销售</label>') in text
    items = scope_items()
    assert len(re.findall(r'<input type="checkbox" name="jyfw"', text)) == len(items) > 200
    assert {i.kind for i in items} == {"general", "licensed"}
    assert "（格式：YYYYMMDD）" in text
    for message in ("请填写经营者姓名", "证件号码格式不正确", "请选择行政区划", "经营范围至少选择一项",
                    "申请日期格式应为YYYYMMDD"):
        assert f"'{message}'" in text
    assert "document.gtForm.submit()" in text and "function checkForm()" in text
    tokens = {open_form(client), open_form(client)}
    assert len(tokens) == 2  # a new token per render


def test_confirm_then_submit_stores_the_record_with_a_receipt(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    pdf = b"%PDF-1.4\n% tiny test file\n%%EOF\n"
    page = confirm(client, application(), files=[("fj", "申请书.pdf", pdf)])
    assert page.status == 200 and alert_of(page) is None, page.text[:500]
    text = page.text
    for cell in ('<td id="c_jyzxm">张三</td>', f'<td id="c_zjhm">{ID_A}</td>', '<td id="c_zjlx">居民身份证</td>',
                 '<td id="c_xzqh">东城区</td>', '<td id="c_zzxs">个人经营</td>', '<td id="c_fj">申请书.pdf</td>',
                 '<td id="c_zczb">10.5</td>', f'<td id="c_sqrq">{TODAY:%Y%m%d}</td>'):
        assert cell in text, cell
    assert '<span class="jyfw">日用百货销售</span>' in text
    assert '<form name="confirmForm" method="post" action="/gt/establish_submit.do">' in text
    assert ('<input type="button" id="btnConfirm" value="确认提交" onclick="if(confirm(\'确认提交本申请吗？\'))'
            '{document.confirmForm.submit();}">') in text
    assert '<input type="button" id="btnBack" value="返回修改" onclick="history.back()">' in text
    assert portal.records() == []  # nothing stored before the final submit

    done = client.post("/gt/establish_submit.do", {"cid": cid_of(page)})
    assert "申请已受理" in done.text
    receipt = receipt_of(done)
    [record] = portal.records()
    assert receipt == f"GT{record['created_at'][:10].replace('-', '')}00001"
    assert record["receipt"] == receipt and record["jyzxm"] == "张三" and record["zjhm"] == ID_A
    assert record["jyfw"] == ["C0001", "C0002"] and record["zczb"] == "10.5" and record["cyrs"] == 2
    assert record["xzqh"] == "110101" and record["ztmc"] == "东城区张三便利店" and record["wbywh"] == "EXT-0001"
    assert record["upload_name"] == "申请书.pdf" and record["upload_size"] == len(pdf)
    assert record["upload_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert record["username"] == "robot" and record["session_id"] == client.sid
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record["created_at"])
    assert admin(portal, "GET", "records") == (200, [record])
    assert portal.stats()["submits"] == 1


def test_an_application_without_name_or_upload_is_accepted(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    page = confirm(client, application(ztmc="", zjhm=ID_A[:17] + ID_A[17].lower(), lxdh="0755-86001234"),
                   files=[("fj", "", b"")])
    assert '<td id="c_fj">无</td>' in page.text
    receipt_of(client.post("/gt/establish_submit.do", {"cid": cid_of(page)}))
    [record] = portal.records()
    assert record["ztmc"] == "" and record["upload_name"] is None and record["zjhm"] == ID_A


def test_posting_the_same_cid_twice_creates_two_records(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    cid = cid_of(confirm(client))
    first = receipt_of(client.post("/gt/establish_submit.do", {"cid": cid}))
    second = receipt_of(client.post("/gt/establish_submit.do", {"cid": cid}))
    assert first.endswith("00001") and second.endswith("00002")
    assert [r["wbywh"] for r in portal.records()] == ["EXT-0001", "EXT-0001"]


def test_records_survive_a_restart_and_the_daily_sequence_continues(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "portal.db"
    for expected in ("00001", "00002"):
        with LegacyPortal(db) as portal:
            client = Client(portal)
            login(client)
            receipt = receipt_of(client.post("/gt/establish_submit.do", {"cid": cid_of(confirm(client))}))
            assert receipt.endswith(expected)
    assert len(LegacyPortal(db).records()) == 2


def test_submit_needs_a_cid_of_this_session(portal: LegacyPortal) -> None:
    owner, other = Client(portal), Client(portal)
    login(owner)
    login(other)
    cid = cid_of(confirm(owner))
    for client, value in ((owner, "unknown"), (other, cid)):
        page = client.post("/gt/establish_submit.do", {"cid": value})
        assert alert_of(page) == "提交信息已失效，请重新填写"
    assert portal.records() == []


def test_search_finds_records_by_id_number_and_by_reference(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    for pairs in (application(), application(wbywh="外部-0002", jyzxm="李四", zjhm=ID_B, ztmc="")):
        receipt_of(client.post("/gt/establish_submit.do", {"cid": cid_of(confirm(client, pairs))}))
    [first, second] = portal.records()
    form = client.get("/gt/search.do").text
    assert '<form name="searchForm" method="get" action="/gt/search.do">' in form
    assert '<input type="submit" id="btnSearch" value="查 询">' in form and 'name="q" value="1"' in form
    assert 'id="resultTable"' not in form

    by_id = client.get("/gt/search.do", q="1", zjhm=ID_A, wbywh="").text
    assert (f'<tr class="row"><td class="slh">{first["receipt"]}</td><td class="wbywh">EXT-0001</td>'
            f'<td class="jyzxm">张三</td><td class="ztmc">东城区张三便利店</td>'
            f'<td class="tjsj">{first["created_at"]}</td><td class="zt">已受理</td></tr>') in by_id
    assert by_id.count('<tr class="row">') == 1 and '<table id="resultTable"' in by_id
    by_ref = client.get("/gt/search.do", q="1", zjhm="", wbywh="外部-0002").text  # a GBK query string
    assert by_ref.count('<tr class="row">') == 1 and f'<td class="slh">{second["receipt"]}</td>' in by_ref
    both = client.get("/gt/search.do", q="1", zjhm=ID_A, wbywh="外部-0002").text
    assert '<td class="norecord">未查询到记录</td>' in both and '<tr class="row">' not in both
    empty = client.get("/gt/search.do", q="1", zjhm="", wbywh="").text
    assert "alert('请输入查询条件')" in empty and 'id="resultTable"' not in empty


@pytest.mark.parametrize(("overrides", "message"), [
    ({"wbywh": " "}, "请填写外部业务号"),
    ({"jyzxm": ""}, "请填写经营者姓名"),
    ({"zjlx": "99"}, "请选择证件类型"),
    ({"zjhm": "12345"}, "证件号码格式不正确"),
    ({"zjhm": ID_BAD_CHECK}, "证件号码校验位错误"),
    ({"lxdh": "12345"}, "联系电话格式不正确"),
    ({"jyzzs": None}, "请填写经营者住所"),
    ({"zzxs": ""}, "请选择组成形式"),
    ({"xzqh": ""}, "请选择行政区划"),
    ({"xzqh": "440300"}, "请选择行政区划"),
    ({"jycs": ""}, "请填写经营场所"),
    ({"jyfw": []}, "经营范围至少选择一项"),
    ({"jyfw": ["C0001", "C9999"]}, "经营范围代码不正确"),
    ({"zczb": "-1"}, "资金数额格式不正确，应为不小于0的数字，最多4位小数"),
    ({"zczb": "1.23456"}, "资金数额格式不正确，应为不小于0的数字，最多4位小数"),
    ({"cyrs": "1.5"}, "从业人数格式不正确，应为不小于0的整数"),
    ({"sqrq": TODAY.strftime("%Y-%m-%d")}, "申请日期格式应为YYYYMMDD"),
    ({"sqrq": "20250230"}, "申请日期格式应为YYYYMMDD"),
    ({"sqrq": (TODAY + dt.timedelta(days=2)).strftime("%Y%m%d")}, "申请日期不能晚于当前日期"),
    ({"jyzxm": "", "zjhm": "1"}, "请填写经营者姓名"),  # the first problem in field order
])
def test_server_side_checks_answer_with_an_alert_and_history_back(portal: LegacyPortal, overrides: dict[str, Any],
                                                                  message: str) -> None:
    client = Client(portal)
    login(client)
    page = confirm(client, application(**overrides))
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=GBK"
    assert alert_of(page) == message
    assert 'name="cid"' not in page.text


@pytest.mark.parametrize(("filename", "size", "message"), [
    ("materials.exe", 10, "申请材料格式不正确，仅支持pdf、jpg、jpeg、png文件"),
    ("scan.PNG", 10 * 1024 * 1024 + 1, "申请材料不能超过10MB"),
])
def test_uploads_are_checked(portal: LegacyPortal, filename: str, size: int, message: str) -> None:
    client = Client(portal)
    login(client)
    assert alert_of(confirm(client, files=[("fj", filename, b"x" * size)])) == message


def test_the_confirm_step_needs_a_token_given_to_this_session(portal: LegacyPortal) -> None:
    mine, theirs = Client(portal), Client(portal)
    login(mine)
    login(theirs)
    for token in ("", "forged", open_form(theirs)):
        assert alert_of(confirm(mine, token=token)) == "页面已失效，请重新打开申请页面"
    assert alert_of(confirm(mine)) is None


# ---- faults --------------------------------------------------------------------------------------------------


def test_fault_validation_names_the_field_and_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"Fault\.kind: unknown kind 'explode'; allowed: slow, http500, down"):
        Fault("explode")
    with pytest.raises(ValueError, match=r"Fault\.rate: must be a number from 0 to 1"):
        Fault("http500", rate=1.5)
    with pytest.raises(ValueError, match=r"Fault\.rate"):
        Fault("http500", rate=-0.1)
    with pytest.raises(ValueError, match=r"Fault\.times"):
        Fault("drop", times=-1)
    with pytest.raises(ValueError, match=r"Fault\.colour: unknown field"):
        Fault.from_dict({"kind": "drop", "colour": "red"})
    assert Fault.from_dict({"kind": "slow", "delay": 0.5}) == Fault("slow", delay=0.5)


def test_slow_delays_then_answers(portal: LegacyPortal) -> None:
    client = Client(portal)
    portal.add_fault(Fault("slow", path="/login.do", delay=0.4))
    started = time.monotonic()
    assert client.get("/login.do").status == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert client.get("/gt/search.do").status == 200  # another path: no delay
    assert client.get("/static/css/style.css", __fault="slow", __delay="0.3").status == 200
    assert time.monotonic() - started >= 0.3
    assert portal.stats()["faults_applied"]["slow"] == 2


def test_http500_and_down_answer_without_processing(portal: LegacyPortal) -> None:
    client = Client(portal)
    portal.set_faults([Fault("http500", path="/login.do", method="POST", times=1), {"kind": "down", "path": "/gt/*"}])
    failed = login(client)
    assert failed.status == 500 and failed.headers["content-type"] == "text/html; charset=GBK"
    assert "<title>500 Internal Server Error</title>" in failed.text and "系统内部错误，请稍后再试" in failed.text
    assert SYSTEM in failed.text and not failed.set_cookies and portal.stats()["logins"] == 0
    assert login(client).status == 302  # times=1: the second attempt goes through
    down = client.get("/gt/establish.do")
    assert down.status == 503 and "系统维护中" in down.text and SYSTEM in down.text
    assert client.get("/welcome.do").status == 200
    assert portal.stats()["faults_applied"] | {"http500": 1, "down": 1} == portal.stats()["faults_applied"]


def test_drop_closes_the_connection_without_a_byte(portal: LegacyPortal) -> None:
    portal.add_fault(Fault("drop", path="/login.do"))
    with socket.create_connection(("127.0.0.1", portal.port), timeout=5) as sock:
        body = b"j_username=robot&j_password=robot-pass"
        sock.sendall(b"POST /login.do HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        try:
            received = sock.recv(1024)
        except ConnectionResetError:
            received = b""
    assert received == b""
    with pytest.raises(ConnectionError):
        login(Client(portal))
    assert portal.stats()["logins"] == 0 and portal.stats()["faults_applied"]["drop"] == 2
    portal.clear_faults()
    assert login(Client(portal)).status == 302


def test_expire_session_expires_then_answers_the_timeout_page(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    portal.add_fault(Fault("expire_session", path="/gt/establish.do", times=1))
    assert client.get("/welcome.do").status == 200 and not is_timeout_page(client.get("/welcome.do"))
    assert is_timeout_page(client.get("/gt/establish.do"))
    assert is_timeout_page(client.get("/welcome.do"))  # the session is gone, not just this answer
    assert portal.stats()["active_sessions"] == 0


def test_lose_success_commits_the_record_but_cuts_the_answer(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    portal.add_fault(Fault("lose_success", times=1))
    assert client.get("/welcome.do").status == 200  # other requests are not touched
    cid = cid_of(confirm(client))
    assert portal.stats()["faults_applied"]["lose_success"] == 0
    with pytest.raises(http.client.IncompleteRead) as cut:
        client.post("/gt/establish_submit.do", {"cid": cid})
    assert 0 < len(cut.value.partial) <= 100
    assert len(portal.records()) == 1  # committed although the robot saw no receipt
    # a robot that just posts again makes the duplicate the portal does not prevent
    receipt_of(client.post("/gt/establish_submit.do", {"cid": cid}))
    assert len(portal.records()) == 2


def test_lose_success_sends_the_status_line_and_a_too_long_content_length(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    cid = cid_of(confirm(client))
    with socket.create_connection(("127.0.0.1", portal.port), timeout=5) as sock:
        body = f"cid={cid}".encode()
        sock.sendall(b"POST /gt/establish_submit.do?__fault=lose_success HTTP/1.1\r\nHost: x\r\n"
                     b"Cookie: JSESSIONID=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (client.sid.encode() if client.sid else b"", len(body), body))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    assert 0 < len(rest) <= 100 < length
    assert len(portal.records()) == 1


def _post_in_thread(client: Client, path: str, fields: Mapping[str, str]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(client.post(path, fields))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_hang_on_the_final_submit_commits_and_is_released_by_stop(tmp_path: Path) -> None:
    portal = LegacyPortal(tmp_path / "p.db").start()
    try:
        client = Client(portal)
        login(client)
        cid = cid_of(confirm(client))
        portal.add_fault(Fault("hang", path="/gt/establish_submit.do"))
        thread, outcome = _post_in_thread(client, "/gt/establish_submit.do", {"cid": cid})
        deadline = time.monotonic() + 5
        while not portal.records() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(portal.records()) == 1
        time.sleep(0.1)
        assert thread.is_alive() and not outcome  # no answer
    finally:
        started = time.monotonic()
        portal.stop()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionError)


def test_hang_elsewhere_does_not_process_the_request(tmp_path: Path) -> None:
    portal = LegacyPortal(tmp_path / "p.db").start()
    try:
        portal.add_fault(Fault("hang", path="/login.do", method="POST"))
        thread, outcome = _post_in_thread(Client(portal), "/login.do",
                                          {"j_username": "robot", "j_password": "robot-pass"})
        deadline = time.monotonic() + 5
        while portal.stats()["concurrent_requests"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        assert thread.is_alive() and portal.stats()["logins"] == 0 and portal.stats()["concurrent_requests"] == 1
    finally:
        portal.stop()
    thread.join(timeout=5)
    assert not thread.is_alive() and isinstance(outcome[0], ConnectionError)


def _statuses(tmp_path: Path, seed: int, faults: list[Fault], n: int = 40) -> list[int]:
    with LegacyPortal(tmp_path / f"{seed}.db", seed=seed) as portal:
        portal.set_faults(faults)
        client = Client(portal)
        return [client.get("/login.do").status for _ in range(n)]


def test_rate_and_times_are_reproducible_with_a_seed(tmp_path: Path) -> None:
    half = [Fault("http500", rate=0.5)]
    first = _statuses(tmp_path, 7, half)
    assert first == _statuses(tmp_path, 7, half)
    assert 5 < first.count(500) < 35 and set(first) == {200, 500}
    assert first != _statuses(tmp_path, 8, half)
    limited = _statuses(tmp_path, 7, [Fault("http500", rate=0.5, times=3)])
    assert limited.count(500) == 3 and limited[:len(limited) - limited[::-1].index(500)].count(200) >= 1
    assert _statuses(tmp_path, 1, [Fault("down", times=2)], n=5) == [503, 503, 200, 200, 200]
    assert _statuses(tmp_path, 1, [Fault("down", rate=0.0)], n=5) == [200] * 5
    # the first fault that applies wins; one that has run out lets the next apply
    assert _statuses(tmp_path, 1, [Fault("down", times=1), Fault("http500", times=1)], n=3) == [503, 500, 200]


def test_a_query_flag_applies_a_fault_to_one_request(portal: LegacyPortal) -> None:
    client = Client(portal)
    page = client.get("/login.do", __fault="http500")
    assert page.status == 500 and "<title>500 Internal Server Error</title>" in page.text
    assert client.get("/login.do").status == 200
    assert client.get("/login.do", __fault="nonsense").status == 400


def test_concurrent_requests_are_counted(portal: LegacyPortal) -> None:
    portal.add_fault(Fault("slow", path="/login.do", delay=1.5))  # long enough to overlap on a loaded machine
    threads = [threading.Thread(target=Client(portal).get, args=("/login.do",)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the server counts a request as finished just after the client has read its answer: wait for that
    deadline = time.monotonic() + 5
    while portal.stats()["concurrent_requests"] and time.monotonic() < deadline:
        time.sleep(0.01)
    stats = portal.stats()
    assert stats["max_concurrent_requests"] == 3 and stats["concurrent_requests"] == 0 and stats["requests"] == 3


# ---- admin, logging, CLI -------------------------------------------------------------------------------------


def test_admin_endpoints(portal: LegacyPortal) -> None:
    client = Client(portal)
    login(client)
    status, stats = admin(portal, "GET", "stats")
    assert status == 200 and set(stats) == {"requests", "active_sessions", "max_active_sessions",
                                            "concurrent_requests", "max_concurrent_requests", "submits", "logins",
                                            "faults_applied"}
    assert stats["logins"] == 1 and stats["active_sessions"] == 1 and stats["requests"] == 1

    status, body = admin(portal, "POST", "faults", {"faults": [{"kind": "down", "path": "/gt/*", "times": 1}]})
    assert status == 200 and body["faults"][0]["kind"] == "down"
    assert admin(portal, "GET", "faults") == (200, {"faults": [Fault("down", path="/gt/*", times=1).to_dict()]})
    assert portal.faults() == [Fault("down", path="/gt/*", times=1)]
    assert client.get("/gt/search.do").status == 503

    status, error = admin(portal, "POST", "faults", {"faults": [{"kind": "slow"}, {"kind": "explode"}]})
    assert status == 400 and error["field"] == "faults[1].kind" and "allowed: slow, http500" in error["error"]
    status, error = admin(portal, "POST", "faults", {"faults": [{"kind": "slow", "rate": 2}]})
    assert status == 400 and error["error"].startswith("faults[0].rate: must be a number from 0 to 1")
    assert admin(portal, "POST", "faults", {"fault": []})[0] == 400
    assert len(portal.faults()) == 1  # a bad request changes nothing

    receipt_of(client.post("/gt/establish_submit.do", {"cid": cid_of(confirm(client))}))
    portal.add_fault(Fault("down"))
    assert admin(portal, "GET", "stats")[0] == 200  # admin endpoints are never faulted
    assert admin(portal, "POST", "expire-sessions") == (200, {"expired": 1})
    assert is_timeout_page(client.get("/welcome.do")) is False  # the "down" fault still answers first
    portal.clear_faults()
    assert is_timeout_page(client.get("/welcome.do"))

    assert admin(portal, "POST", "reset")[0] == 200
    assert portal.faults() == [] and portal.stats()["requests"] == 0 and len(portal.records()) == 1
    assert admin(portal, "POST", "reset", {"records": True})[0] == 200
    assert portal.records() == [] and admin(portal, "GET", "records") == (200, [])
    assert admin(portal, "GET", "nothing")[0] == 404
    assert admin(portal, "GET", "reset")[0] == 405


def test_verbose_logging_masks_id_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with LegacyPortal(tmp_path / "p.db", verbose=True) as portal:
        client = Client(portal)
        login(client)
        client.get("/gt/search.do", q="1", zjhm=ID_A)
    err = capsys.readouterr().err
    assert f"{ID_A[:6]}********{ID_A[14:]}" in err and ID_A not in err
    assert "/gt/search.do" in err and " 200" in err


def test_quiet_by_default(portal: LegacyPortal, capsys: pytest.CaptureFixture[str]) -> None:
    client = Client(portal)
    login(client)
    client.get("/nothing-here")
    portal.add_fault(Fault("drop"))
    with pytest.raises(ConnectionError):
        client.get("/welcome.do")
    assert capsys.readouterr() == ("", "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_sandbox_portal_serves_until_terminated(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "cli" / "portal.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "govauto.cli", "sandbox", "portal", "--port", str(port), "--db", str(db),
         "--user", "clerk:secret", "--user", "robot:robot-pass", "--idle-timeout", "30", "--max-sessions", "5",
         "--seed", "3"],
        cwd=ROOT, env={"GOVAUTO_DISABLE_PLUGINS": "*", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("POST", "/login.do", body="j_username=clerk&j_password=secret",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                conn.close()
                break
            except OSError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the portal did not start"
                time.sleep(0.1)
        assert response.status == 302 and response.getheader("Location") == "/main.do"
        assert db.exists()
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}" in stdout and "Traceback" not in stderr


def test_cli_sandbox_portal_rejects_a_bad_user_option(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "govauto.cli", "sandbox", "portal", "--user", "nopassword",
                             "--db", str(tmp_path / "p.db")], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"GOVAUTO_DISABLE_PLUGINS": "*", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "NAME:PASSWORD" in result.stderr


def test_unknown_paths_and_wrong_methods(portal: LegacyPortal) -> None:
    client = Client(portal)
    missing = client.get("/nothing.do")
    assert missing.status == 404 and SYSTEM in missing.text
    login(client)
    assert client.get("/gt/establish_submit.do").status == 405
    css = client.get("/static/css/style.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    assert '<td class="norecord">' in client.get("/gt/search.do?q=1&wbywh=%B8%F6").text  # GBK-escaped 个
