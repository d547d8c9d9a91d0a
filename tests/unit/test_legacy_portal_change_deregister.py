"""The legacy-portal simulator's 变更登记 and 注销登记 forms over plain HTTP: the pages, the server-side checks,
records, search across forms, faults and the admin endpoints (no browser)."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc

from govauto.testing.legacy_portal import (
    CHANGE_ITEMS,
    COMMITMENTS,
    MESSAGES,
    SIMPLIFIED_PERIOD_DAYS,
    SUBMIT_PATHS,
    Fault,
    LegacyPortal,
    scope_items,
)
from govauto.testing.legacy_portal.forms import (
    FormData,
    Upload,
    check_uscc,
    validate_change,
    validate_deregistration,
)

from .test_legacy_portal import ID_A, ID_B, ID_BAD_CHECK, SYSTEM, Client, Resp, admin, alert_of, cid_of, login

TODAY = dt.date.today()
USCC = "92440305MA5F123457"
USCC_B = "92440304MA5H77777G"
USCC_BAD_CHECK = USCC[:17] + ("8" if USCC[17] != "8" else "9")
SCOPE = [item.code for item in scope_items()[:2]]


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).strftime("%Y%m%d")


def pairs_of(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs; a list is one pair per item (checkboxes), ``None`` leaves a field out."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


def change(**overrides: Any) -> list[tuple[str, str]]:
    """A valid 变更登记 form (a new name and a new scope) as (name, value) pairs."""
    values: dict[str, Any] = {
        "wbywh": "CHG-0001", "tyxydm": USCC, "ztmc": "深圳市南山区张三五金店（个体工商户）", "jyzxm": "张三",
        "zjlx": "10", "zjhm": ID_A, "lxdh": "", "bgsx": ["01", "05"],
        "xztmc": "深圳市南山区好运来便利店（个体工商户）", "xjyzxm": "", "xzjhm": "", "xjyzzs": "", "xjycs": "",
        "xxzqh": "", "xjyfw": SCOPE, "xzzxs": "", "xzczb": "", "xcyrs": "", "sqrq": TODAY.strftime("%Y%m%d"),
    }
    values.update(overrides)
    return pairs_of(values)


def deregistration(**overrides: Any) -> list[tuple[str, str]]:
    """A valid 简易注销 form (every 承诺, the period over, no objection) as (name, value) pairs."""
    values: dict[str, Any] = {
        "wbywh": "ZX-0001", "tyxydm": USCC, "ztmc": "", "jyzxm": "张三", "zjlx": "10", "zjhm": ID_A,
        "lxdh": "13800138000", "zxlx": "2", "zxyy": "01", "qsbj": None, "cnsx": list(COMMITMENTS),
        "gsqsrq": days_ago(SIMPLIFIED_PERIOD_DAYS + 2), "gsjzrq": "", "yysl": "0", "sqrq": TODAY.strftime("%Y%m%d"),
    }
    values.update(overrides)
    return pairs_of(values)


def ordinary(**overrides: Any) -> list[tuple[str, str]]:
    """A valid 普通注销 form: 清税 done, only the 承诺 about debts left out."""
    values: dict[str, Any] = {"zxlx": "1", "qsbj": "1", "cnsx": ["01", "03"], "gsqsrq": "", "yysl": ""}
    values.update(overrides)
    return deregistration(**values)


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db") as running:
        yield running


def token_of(client: Client, form: str) -> str:
    page = client.get(f"/gt/{form}.do")
    assert page.status == 200
    match = re.search(r'name="token" id="token" value="(\w+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def confirm(client: Client, form: str, pairs: list[tuple[str, str]], files: Sequence[tuple[str, str, bytes]] = (),
            token: str | None = None) -> Resp:
    token = token_of(client, form) if token is None else token
    return client.post_multipart(f"/gt/{form}_confirm.do", [("token", token), *pairs], files)


def receipt_of(page: Resp, prefix: str) -> str:
    match = re.search(rf'<td>受理号：</td><td id="slh">({prefix}\d{{13}})</td>', page.text)
    assert match, page.text[:800]
    return match.group(1)


def submit(client: Client, form: str, pairs: list[tuple[str, str]]) -> str:
    page = confirm(client, form, pairs)
    assert alert_of(page) is None, alert_of(page)
    return receipt_of(client.post(f"/gt/{form}_submit.do", {"cid": cid_of(page)}), {"change": "BG"}.get(form, "ZX"))


@pytest.fixture
def client(portal: LegacyPortal) -> Client:
    logged_in = Client(portal)
    login(logged_in)
    return logged_in


# ---- the pages ---------------------------------------------------------------------------------------------------


def test_the_menu_opens_each_form(client: Client) -> None:
    menu = client.get("/menu.do").text
    for snippet in ('<a id="menuEstablish" href="/gt/establish.do" target="main">个体工商户设立登记</a>',
                    '<a id="menuChange" href="/gt/change.do" target="main">个体工商户变更登记</a>',
                    '<a id="menuDeregister" href="/gt/deregister.do" target="main">个体工商户注销登记</a>'):
        assert snippet in menu


def test_the_change_form_is_gbk_with_coded_items_and_a_script_that_alerts(client: Client) -> None:
    page = client.get("/gt/change.do")
    assert page.headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    text = page.text
    assert SYSTEM in text and '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in text
    assert ('<form id="bgForm" name="bgForm" method="post" action="/gt/change_confirm.do" '
            'enctype="multipart/form-data" accept-charset="GBK">') in text
    for name in ("wbywh", "tyxydm", "ztmc", "jyzxm", "zjhm", "lxdh", "xztmc", "xjyzxm", "xzjhm", "xjyzzs", "xjycs",
                 "xzczb", "xcyrs", "sqrq"):
        assert f'name="{name}" id="{name}"' in text, name
    for label in ("统一社会信用代码", "变更事项", "变更后名称", "变更后经营场所", "变更后资金数额（万元）", "申请日期"):
        assert f'<td class="label">{label}</td>' in text, label
    for code, label in CHANGE_ITEMS.items():
        assert (f'<input type="checkbox" name="bgsx" id="bgsx_{code}" value="{code}">'
                f'<label for="bgsx_{code}">{label}</label>') in text
    assert '<select name="xxzqh" id="xxzqh"><option value="">请选择</option>' in text
    assert '<select name="xzzxs" id="xzzxs"><option value="">请选择</option><option value="1">个人经营</option>' in text
    assert len(re.findall(r'<input type="checkbox" name="xjyfw"', text)) == len(scope_items())
    assert ('<input type="checkbox" name="xjyfw" id="xjyfw_C0001" value="C0001">'
            '<label for="xjyfw_C0001">日用百货销售</label>') in text
    for key in ("tyxydm_format", "bgsx", "xztmc", "xzjhm_same", "bgsx_04_unticked", "xzczb_format", "sqrq_future"):
        assert f"'{MESSAGES[key]}'" in text, key
    assert "function checkForm()" in text and "document.bgForm.submit()" in text
    assert '<input type="button" id="btnSubmit" value="提 交" onclick="doSubmit()">' in text
    assert not re.search(r"@\w+@", text)  # every @key@ of the script was replaced


def test_the_deregister_form_has_its_codes_commitments_and_the_period_script(client: Client) -> None:
    text = client.get("/gt/deregister.do").text
    assert ('<form id="zxForm" name="zxForm" method="post" action="/gt/deregister_confirm.do" '
            'enctype="multipart/form-data" accept-charset="GBK">') in text
    assert ('<select name="zxlx" id="zxlx"><option value="">请选择</option><option value="1">普通注销</option>'
            '<option value="2">简易注销</option></select>') in text
    assert '<option value="01">经营者决定停止经营</option>' in text
    assert '<option value="02">依法被吊销营业执照、责令关闭或者被撤销</option>' in text
    assert '<input type="checkbox" name="qsbj" id="qsbj" value="1">' in text
    for code, label in COMMITMENTS.items():
        assert (f'<input type="checkbox" name="cnsx" id="cnsx_{code}" value="{code}">'
                f'<label for="cnsx_{code}">{label}</label>') in text
    assert 'name="gsqsrq" id="gsqsrq" size="10" maxlength="8" value="" onchange="fillEnd()"' in text
    assert 'name="gsjzrq" id="gsjzrq" size="10" maxlength="8" value="" readonly' in text
    assert f"addDays(s, {SIMPLIFIED_PERIOD_DAYS})" in text and f"count(f.cnsx) < {len(COMMITMENTS)}" in text
    for key in ("zxlx", "qsbj", "cnsx_all", "gsqsrq_future", "yysl_objection", "gs_unfinished"):
        assert f"'{MESSAGES[key]}'" in text, key
    assert "document.zxForm.submit()" in text


# ---- 变更登记 ----------------------------------------------------------------------------------------------------


def test_a_change_is_confirmed_then_stored_with_a_bg_receipt(portal: LegacyPortal, client: Client) -> None:
    pdf = b"%PDF-1.4\n% change\n%%EOF\n"
    page = confirm(client, "change", change(tyxydm=USCC.lower(), zjhm=ID_A.lower()),
                   files=[("fj", "变更申请书.pdf", pdf)])
    assert alert_of(page) is None, alert_of(page)
    text = page.text
    for cell in (f'<td id="c_tyxydm">{USCC}</td>', '<td id="c_xztmc">深圳市南山区好运来便利店（个体工商户）</td>',
                 '<td id="c_zjlx">居民身份证</td>', '<td id="c_fj">变更申请书.pdf</td>'):
        assert cell in text, cell
    assert '<span class="bgsx">名称</span><br><span class="bgsx">经营范围</span>' in text
    assert '<span class="xjyfw">日用百货销售</span>' in text
    assert 'id="c_xjycs"' not in text  # items that do not change are not shown
    assert '<form name="confirmForm" method="post" action="/gt/change_submit.do">' in text
    assert portal.records("change") == []

    done = client.post("/gt/change_submit.do", {"cid": cid_of(page)})
    assert "申请已受理" in done.text and "个体工商户变更登记 &gt;&gt; 提交结果" in done.text
    assert '<a href="/gt/change.do">继续办理</a>' in done.text
    receipt = receipt_of(done, "BG")
    [record] = portal.records("change")
    assert receipt == f"BG{record['created_at'][:10].replace('-', '')}00001"
    assert {k: record[k] for k in ("receipt", "wbywh", "tyxydm", "jyzxm", "zjhm", "lxdh", "bgsx", "xztmc", "xjyfw",
                                   "xjycs", "xxzqh", "xzczb", "xcyrs", "sqrq")} == {
        "receipt": receipt, "wbywh": "CHG-0001", "tyxydm": USCC, "jyzxm": "张三", "zjhm": ID_A, "lxdh": "",
        "bgsx": ["01", "05"], "xztmc": "深圳市南山区好运来便利店（个体工商户）", "xjyfw": SCOPE, "xjycs": "",
        "xxzqh": "", "xzczb": "", "xcyrs": None, "sqrq": TODAY.strftime("%Y%m%d")}
    assert record["upload_name"] == "变更申请书.pdf" and record["upload_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert record["username"] == "robot" and record["session_id"] == client.sid
    assert portal.records() == [] and portal.records("deregister") == []  # one table per form
    assert admin(portal, "GET", "records?form=change") == (200, [record])
    assert portal.stats()["submits"] == 1


def test_every_change_item_is_stored_with_its_new_value(portal: LegacyPortal, client: Client) -> None:
    submit(client, "change", change(
        bgsx=list(CHANGE_ITEMS), xjyzxm="李梅", xzjhm=ID_B, xjyzzs="广东省深圳市南山区学府路8号",
        xjycs="广东省深圳市南山区南海大道200号", xxzqh="440305", xzzxs="2", xzczb="20.5", xcyrs="5"))
    [record] = portal.records("change")
    assert record["bgsx"] == list(CHANGE_ITEMS)
    assert (record["xjyzxm"], record["xzjhm"], record["xjyzzs"], record["xjycs"], record["xxzqh"], record["xzzxs"],
            record["xzczb"], record["xcyrs"]) == ("李梅", ID_B, "广东省深圳市南山区学府路8号",
                                                  "广东省深圳市南山区南海大道200号", "440305", "2", "20.5", 5)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"wbywh": ""}, "请填写外部业务号"),
    ({"tyxydm": ""}, "请填写统一社会信用代码"),
    ({"tyxydm": USCC[:17]}, "统一社会信用代码格式不正确"),
    ({"tyxydm": USCC[:17] + "I"}, "统一社会信用代码格式不正确"),  # I is not in the code's alphabet
    ({"tyxydm": USCC_BAD_CHECK}, "统一社会信用代码校验位错误"),
    ({"jyzxm": " "}, "请填写经营者姓名"),
    ({"zjlx": "99"}, "请选择证件类型"),
    ({"zjhm": ""}, "请填写证件号码"),
    ({"zjhm": ID_BAD_CHECK}, "证件号码校验位错误"),
    ({"lxdh": "12345"}, "联系电话格式不正确"),
    ({"bgsx": []}, "变更事项至少选择一项"),
    ({"bgsx": ["01", "09"]}, "变更事项代码不正确"),
    ({"xztmc": ""}, "请填写变更后的名称"),
    ({"bgsx": ["02"], "xztmc": "", "xjyfw": [], "xjyzxm": "李梅"}, "请填写变更后的经营者证件号码"),
    ({"bgsx": ["02"], "xztmc": "", "xjyfw": [], "xjyzxm": "李梅", "xzjhm": "1234"},
     "变更后的经营者证件号码格式不正确"),
    ({"bgsx": ["02"], "xztmc": "", "xjyfw": [], "xjyzxm": "李梅", "xzjhm": ID_BAD_CHECK},
     "变更后的经营者证件号码校验位错误"),
    ({"bgsx": ["02"], "xztmc": "", "xjyfw": [], "xjyzxm": "李梅", "xzjhm": ID_A.lower()},
     "变更后的经营者与原经营者为同一人，请核对"),
    ({"bgsx": ["04"], "xztmc": "", "xjyfw": [], "xjycs": "南海大道200号"}, "请选择变更后经营场所的行政区划"),
    ({"bgsx": ["04"], "xztmc": "", "xjyfw": [], "xxzqh": "440305"}, "请填写变更后的经营场所"),
    ({"xjyfw": []}, "变更后的经营范围至少选择一项"),
    ({"xjyfw": ["C0001", "C9999"]}, "变更后的经营范围代码不正确"),
    ({"bgsx": ["06"], "xztmc": "", "xjyfw": [], "xzzxs": "3"}, "请选择变更后的组成形式"),
    ({"bgsx": ["07"], "xztmc": "", "xjyfw": [], "xzczb": "-1"},
     "变更后的资金数额格式不正确，应为不小于0的数字，最多4位小数"),
    ({"bgsx": ["08"], "xztmc": "", "xjyfw": []}, "请填写变更后的从业人数"),
    ({"bgsx": ["08"], "xztmc": "", "xjyfw": [], "xcyrs": "1.5"}, "变更后的从业人数格式不正确，应为不小于0的整数"),
    ({"bgsx": ["05"], "xztmc": "新名称（个体工商户）"}, "未勾选变更事项“名称”，请勿填写变更后的名称"),
    ({"bgsx": ["01"]}, "未勾选变更事项“经营范围”，请勿填写变更后的经营范围"),
    ({"xxzqh": "440305"}, "未勾选变更事项“经营场所”，请勿填写变更后的经营场所"),
    ({"xzczb": "20"}, "未勾选变更事项“资金数额”，请勿填写变更后的资金数额"),
    ({"sqrq": ""}, "请填写申请日期"),
    ({"sqrq": "2026-11-20"}, "申请日期格式应为YYYYMMDD"),
    ({"sqrq": (TODAY + dt.timedelta(days=2)).strftime("%Y%m%d")}, "申请日期不能晚于当前日期"),
    ({"tyxydm": "", "bgsx": []}, "请填写统一社会信用代码"),  # the first problem in field order
])
def test_the_server_checks_a_change_field_by_field(portal: LegacyPortal, client: Client,
                                                   overrides: dict[str, Any], message: str) -> None:
    page = confirm(client, "change", change(**overrides))
    assert page.status == 200 and alert_of(page) == message
    assert 'name="cid"' not in page.text
    assert portal.records("change") == []


def test_change_uploads_are_checked() -> None:
    form = FormData(change(), [Upload("fj", "materials.exe", "application/octet-stream", b"x")])
    assert validate_change(form, TODAY) == ({}, MESSAGES["fj_type"])
    form = FormData(deregistration(), [Upload("fj", "scan.png", "image/png", b"x" * (10 * 1024 * 1024 + 1))])
    assert validate_deregistration(form, TODAY) == ({}, MESSAGES["fj_size"])


# ---- 注销登记 ----------------------------------------------------------------------------------------------------


def test_a_simplified_deregistration_is_stored_with_the_end_of_its_period(portal: LegacyPortal,
                                                                          client: Client) -> None:
    start = days_ago(SIMPLIFIED_PERIOD_DAYS)  # the period ends today: 申请日期 today is allowed
    page = confirm(client, "deregister", deregistration(gsqsrq=start, gsjzrq="19000101"))
    assert alert_of(page) is None, alert_of(page)
    end = TODAY.strftime("%Y%m%d")
    for cell in ('<td id="c_zxlx">简易注销</td>', '<td id="c_zxyy">经营者决定停止经营</td>',
                 '<td id="c_qsbj">未办结</td>', f'<td id="c_gsqsrq">{start}</td>', f'<td id="c_gsjzrq">{end}</td>',
                 '<td id="c_yysl">0</td>', '<td id="c_fj">无</td>'):
        assert cell in page.text, cell
    assert page.text.count('<span class="cnsx">') == len(COMMITMENTS)
    done = client.post("/gt/deregister_submit.do", {"cid": cid_of(page)})
    receipt = receipt_of(done, "ZX")
    assert "个体工商户注销登记 &gt;&gt; 提交结果" in done.text
    [record] = portal.records("deregister")
    assert {k: record[k] for k in ("receipt", "tyxydm", "zxlx", "zxyy", "qsbj", "cnsx", "gsqsrq", "gsjzrq", "yysl",
                                   "lxdh", "ztmc")} == {
        "receipt": receipt, "tyxydm": USCC, "zxlx": "2", "zxyy": "01", "qsbj": False, "cnsx": list(COMMITMENTS),
        "gsqsrq": start, "gsjzrq": end, "yysl": 0, "lxdh": "13800138000", "ztmc": ""}  # the posted end is ignored


def test_an_ordinary_deregistration_needs_tax_clearance_and_ignores_the_period(portal: LegacyPortal,
                                                                               client: Client) -> None:
    assert alert_of(confirm(client, "deregister", ordinary(qsbj=None))) == MESSAGES["qsbj"]
    submit(client, "deregister", ordinary(gsqsrq=days_ago(3), yysl="2", zxyy="02"))  # 简易 fields: not checked
    [record] = portal.records("deregister")
    assert (record["zxlx"], record["zxyy"], record["qsbj"], record["cnsx"]) == ("1", "02", True, ["01", "03"])
    assert (record["gsqsrq"], record["gsjzrq"], record["yysl"]) == ("", "", None)


@pytest.mark.parametrize(("make", "overrides", "message"), [
    (deregistration, {"tyxydm": USCC_BAD_CHECK}, "统一社会信用代码校验位错误"),
    (deregistration, {"zjhm": ID_BAD_CHECK}, "证件号码校验位错误"),
    (deregistration, {"zxlx": ""}, "请选择注销类型"),
    (deregistration, {"zxlx": "3"}, "请选择注销类型"),
    (deregistration, {"zxyy": ""}, "请选择注销原因"),
    (deregistration, {"zxyy": "02"}, "被吊销营业执照、责令关闭或者被撤销的，不适用简易注销"),
    (deregistration, {"cnsx": ["01", "08"]}, "承诺事项代码不正确"),
    (deregistration, {"cnsx": list(COMMITMENTS)[:-1]}, "申请简易注销须勾选全部承诺事项"),
    (deregistration, {"gsqsrq": ""}, "请填写公示起始日期"),
    (deregistration, {"gsqsrq": "20260230"}, "公示起始日期格式应为YYYYMMDD"),
    (deregistration, {"gsqsrq": (TODAY + dt.timedelta(days=1)).strftime("%Y%m%d")}, "公示起始日期不能晚于当前日期"),
    (deregistration, {"yysl": ""}, "请填写异议数量"),
    (deregistration, {"yysl": "-1"}, "异议数量格式不正确，应为不小于0的整数"),
    (deregistration, {"yysl": "1"}, "公示期内有异议，不能办理简易注销"),
    (deregistration, {"sqrq": ""}, "请填写申请日期"),
    (deregistration, {"gsqsrq": days_ago(SIMPLIFIED_PERIOD_DAYS - 1)}, "公示期（10日）未满，不能办理简易注销"),
    (deregistration, {"gsqsrq": days_ago(30), "sqrq": days_ago(25)}, "公示期（10日）未满，不能办理简易注销"),
    (ordinary, {"qsbj": "0"}, "普通注销须先办结清税手续（取得清税证明或清税信息）"),
    (ordinary, {"sqrq": (TODAY + dt.timedelta(days=1)).strftime("%Y%m%d")}, "申请日期不能晚于当前日期"),
])
def test_the_server_checks_a_deregistration_field_by_field(portal: LegacyPortal, client: Client, make: Any,
                                                           overrides: dict[str, Any], message: str) -> None:
    page = confirm(client, "deregister", make(**overrides))
    assert page.status == 200 and alert_of(page) == message
    assert portal.records("deregister") == []


def test_validators_without_a_server() -> None:
    assert check_uscc(USCC) is None and check_uscc(USCC_B) is None and uscc.is_valid(USCC_B)
    assert check_uscc(USCC_BAD_CHECK) == "统一社会信用代码校验位错误"
    values, problem = validate_deregistration(FormData(deregistration()), TODAY)
    assert problem is None and values["yysl"] == 0 and values["qsbj"] is False
    assert values["gsjzrq"] == (TODAY - dt.timedelta(days=2)).strftime("%Y%m%d")
    values, problem = validate_change(FormData(change(bgsx=["05", "01"])), TODAY)
    assert problem is None and values["bgsx"] == ["01", "05"]  # in code order, whatever order they came in


# ---- tokens, cids, search, faults, admin -----------------------------------------------------------------------


def test_a_token_or_cid_of_another_form_is_refused(portal: LegacyPortal, client: Client) -> None:
    establish_token = token_of(client, "establish")
    assert alert_of(confirm(client, "change", change(), token=establish_token)) == "页面已失效，请重新打开申请页面"
    page = confirm(client, "change", change())
    for path in ("/gt/deregister_submit.do", "/gt/establish_submit.do"):
        assert alert_of(client.post(path, {"cid": cid_of(page)})) == "提交信息已失效，请重新填写"
    assert portal.records() == portal.records("change") == portal.records("deregister") == []


def test_the_search_finds_the_records_of_every_form(portal: LegacyPortal, client: Client) -> None:
    from .test_legacy_portal import application
    from .test_legacy_portal import confirm as confirm_establish

    gt = client.post("/gt/establish_submit.do", {"cid": cid_of(confirm_establish(client, application()))})
    assert "GT" in gt.text
    bg = submit(client, "change", change())
    zx = submit(client, "deregister", deregistration())
    submit(client, "deregister", deregistration(wbywh="ZX-0002", zjhm=ID_B, tyxydm=USCC_B))

    def found(**query: str) -> list[str]:
        text = client.get("/gt/search.do", q="1", **query).text
        return re.findall(r'<tr class="row"><td class="slh">(\w+)</td>', text)

    by_id = found(zjhm=ID_A)
    assert len(by_id) == 3 and by_id[1:] == [bg, zx] and by_id[0].startswith("GT")  # oldest first
    assert found(zjhm=ID_A, ywlx="02") == [bg]
    assert found(wbywh="ZX-0001", ywlx="03") == [zx] and found(wbywh="ZX-0001", ywlx="02") == []
    assert found(tyxydm=USCC.lower()) == [bg, zx]  # a 设立 record has no credit code yet
    assert found(tyxydm=USCC_B, zjhm=ID_A) == []
    row = client.get("/gt/search.do", q="1", wbywh="CHG-0001").text
    assert (f'<tr class="row"><td class="slh">{bg}</td><td class="wbywh">CHG-0001</td><td class="jyzxm">张三</td>'
            '<td class="ztmc">深圳市南山区张三五金店（个体工商户）</td>') in row
    form = client.get("/gt/search.do").text
    assert '<input type="text" name="tyxydm" id="tyxydm" size="24" maxlength="18" value="">' in form
    assert ('<select name="ywlx" id="ywlx"><option value="">全部</option><option value="01">设立登记</option>'
            '<option value="02">变更登记</option><option value="03">注销登记</option></select>') in form
    assert "alert('业务类型不正确')" in client.get("/gt/search.do", q="1", zjhm=ID_A, ywlx="09").text
    assert "alert('请输入查询条件')" in client.get("/gt/search.do", q="1", ywlx="02").text


@pytest.mark.parametrize("form", ["change", "deregister"])
def test_lose_success_commits_the_record_of_either_form_but_cuts_the_answer(portal: LegacyPortal, client: Client,
                                                                             form: str) -> None:
    assert f"/gt/{form}_submit.do" in SUBMIT_PATHS
    portal.add_fault(Fault("lose_success", times=1))
    page = confirm(client, form, change() if form == "change" else deregistration())
    assert alert_of(page) is None and portal.stats()["faults_applied"]["lose_success"] == 0
    with pytest.raises(http.client.IncompleteRead):
        client.post(f"/gt/{form}_submit.do", {"cid": cid_of(page)})
    assert len(portal.records(form)) == 1 and portal.stats()["submits"] == 1


def test_other_faults_apply_to_the_new_forms(portal: LegacyPortal, client: Client) -> None:
    portal.set_faults([Fault("down", path="/gt/change*", times=1), Fault("http500", path="/gt/deregister.do",
                                                                          times=1)])
    assert client.get("/gt/change.do").status == 503
    assert client.get("/gt/deregister.do").status == 500
    portal.set_faults([Fault("expire_session", path="/gt/deregister_confirm.do", times=1)])
    page = confirm(client, "deregister", deregistration())
    assert '<div id="sessionTimeout">会话已超时，请重新登录</div>' in page.text
    assert portal.stats()["faults_applied"] | {"down": 1, "http500": 1, "expire_session": 1} == \
        portal.stats()["faults_applied"]


def test_stats_admin_and_reset_cover_every_form(portal: LegacyPortal, client: Client) -> None:
    other = Client(portal)
    login(other)
    submit(client, "change", change())
    submit(other, "deregister", deregistration())
    stats = portal.stats()
    assert stats["submits"] == 2 and stats["logins"] == 2 and stats["max_active_sessions"] == 2
    status, body = admin(portal, "GET", "records?form=deregister")
    assert status == 200 and [r["wbywh"] for r in body] == ["ZX-0001"] and body[0]["qsbj"] is False
    assert admin(portal, "GET", "records") == (200, [])  # 设立 records, as before
    status, error = admin(portal, "GET", "records?form=dissolve")
    assert status == 400 and error["field"] == "form" and "establish, change, deregister" in error["error"]
    with pytest.raises(ValueError, match=r"unknown kind of application 'dissolve'"):
        portal.records("dissolve")
    portal.reset(records=True)
    assert portal.records("change") == portal.records("deregister") == []


def test_records_survive_a_restart_and_each_form_has_its_own_daily_sequence(tmp_path: Path) -> None:
    db = tmp_path / "portal.db"
    for expected in ("00001", "00002"):
        with LegacyPortal(db) as portal:
            client = Client(portal)
            login(client)
            assert submit(client, "change", change()).endswith(expected)
            assert submit(client, "deregister", deregistration()).endswith(expected)
    assert len(LegacyPortal(db).records("change")) == 2
