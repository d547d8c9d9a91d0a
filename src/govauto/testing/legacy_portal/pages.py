"""The portal's pages: HTML 4 of the kind a 2000s Java web application served, encoded in GBK."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any, Final

from govauto.testing.legacy_portal.catalogue import (
    BUSINESS_TYPES,
    CHANGE_ITEMS,
    COMMITMENTS,
    DEREGISTER_KINDS,
    DEREGISTER_REASONS,
    DIVISIONS,
    FORMS,
    ID_TYPES,
    SIMPLIFIED_PERIOD_DAYS,
    scope_items,
    scope_labels,
)
from govauto.testing.legacy_portal.forms import CHANGE_LABELS, CHANGE_VALUES, DEREGISTER_LABELS, LABELS, MESSAGES

SYSTEM: Final = "个体工商户登记管理系统"
CHARSET: Final = "GBK"
CONTENT_TYPE: Final = "text/html; charset=GBK"

_DOCTYPE: Final = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">'
_META: Final = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'


def encode(html: str) -> bytes:
    """A page as GBK bytes; characters GBK lacks become numeric character references, as browsers do."""
    return html.encode("gbk", errors="xmlcharrefreplace")


def js_string(text: str) -> str:
    """``text`` inside a single-quoted JavaScript string in a ``<script>`` element."""
    out = text.replace("\\", "\\\\").replace("'", "\\'").replace("\r", "\\r").replace("\n", "\\n")
    return out.replace("</", "<\\/")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str, *, head: str = "", body_attrs: str = "") -> bytes:
    """A complete page: doctype, GBK meta, the shared style sheet, the system's name in the title."""
    return encode(
        f"{_DOCTYPE}\n<HTML>\n<HEAD>\n{_META}\n<meta http-equiv=\"Pragma\" content=\"no-cache\">\n"
        f"<TITLE>{_e(title)} - {SYSTEM}</TITLE>\n"
        f'<link rel="stylesheet" type="text/css" href="/static/css/style.css">\n{head}</HEAD>\n'
        f"<BODY{(' ' + body_attrs) if body_attrs else ''}>\n{body}\n</BODY>\n</HTML>\n")


def login_page(error: str = "", username: str = "") -> bytes:
    """``/login.do``: the login form, with an error message when there is one."""
    errmsg = f'<font color="red" class="errmsg">{_e(error)}</font>' if error else "&nbsp;"
    body = f"""<BR><BR><BR>
<TABLE width="420" align="center" cellpadding="0" cellspacing="0" border="0" class="loginbox">
<TR><TD class="loginhead" align="center"><B>{SYSTEM}</B><BR><FONT size="1">Individual Business Registration</FONT></TD></TR>
<TR><TD align="center">
<form name="loginForm" method="post" action="/login.do">
<TABLE cellpadding="4" cellspacing="0" border="0">
<TR><TD align="right">用户名：</TD><TD><input type="text" name="j_username" id="username"></TD></TR>
<TR><TD align="right">密&nbsp;&nbsp;码：</TD><TD><input type="password" name="j_password" id="password"></TD></TR>
<TR><TD colspan="2" align="center">{errmsg}</TD></TR>
<TR><TD colspan="2" align="center"><input type="submit" id="loginBtn" value="登 录">&nbsp;&nbsp;<input type="reset" value="重 置"></TD></TR>
</TABLE>
</form>
<script language="javascript">document.loginForm.j_username.value='{js_string(username)}';document.loginForm.j_username.focus();</script>
</TD></TR>
<TR><TD class="copyright" align="center">建议使用IE6.0以上浏览器，1024×768分辨率浏览本系统<BR>
版权所有&copy;市场监督管理局&nbsp;&nbsp;技术支持：信息中心</TD></TR>
</TABLE>"""  # noqa: E501
    return layout("用户登录", body, body_attrs='bgcolor="#E3EEF9"')


def timeout_page() -> bytes:
    """The page every protected URL answers once the session is gone (status 200, as old systems do)."""
    body = f"""<TABLE width="100%" height="80%"><TR><TD align="center" valign="middle">
<TABLE class="msgbox" cellpadding="8"><TR><TD class="msghead">{SYSTEM}</TD></TR>
<TR><TD align="center">
<div id="sessionTimeout">会话已超时，请重新登录</div><BR>
<a href="/login.do" target="_top">重新登录</a>
</TD></TR></TABLE>
</TD></TR></TABLE>"""
    return layout("会话超时", body)


def frameset_page() -> bytes:
    """``/main.do``: the top, menu and main frames."""
    return encode(
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Frameset//EN">\n<HTML>\n<HEAD>\n'
        f"{_META}\n<TITLE>{SYSTEM}</TITLE>\n</HEAD>\n"
        '<frameset rows="60,*"><frame name="top" src="/top.do"><frameset cols="180,*">'
        '<frame name="menu" src="/menu.do"><frame name="main" src="/welcome.do"></frameset></frameset>\n'
        f"<noframes><BODY>您的浏览器不支持框架，无法使用{SYSTEM}。</BODY></noframes>\n</HTML>\n")


def top_page(username: str) -> bytes:
    """``/top.do``: the banner with the user's name and 退出."""
    body = f"""<TABLE width="100%" height="56" cellpadding="0" cellspacing="0" border="0" class="banner">
<TR><TD class="title">&nbsp;&nbsp;<FONT size="5" face="黑体">{SYSTEM}</FONT></TD>
<TD align="right" class="userinfo">当前用户：<span id="currentUser">{_e(username)}</span>&nbsp;|&nbsp;
<a id="logout" href="/logout.do" target="_top">退出</a>&nbsp;&nbsp;</TD></TR>
</TABLE>"""
    return layout("顶部", body, body_attrs='leftmargin="0" topmargin="0" marginwidth="0" marginheight="0"')


def menu_page() -> bytes:
    """``/menu.do``: the menu."""
    body = """<TABLE width="100%" cellpadding="4" cellspacing="0" border="0" class="menu">
<TR><TD class="menuhead">业务办理</TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a id="menuEstablish" href="/gt/establish.do" target="main">个体工商户设立登记</a></TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a id="menuChange" href="/gt/change.do" target="main">个体工商户变更登记</a></TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a id="menuDeregister" href="/gt/deregister.do" target="main">个体工商户注销登记</a></TD></TR>
<TR><TD class="menuhead">综合查询</TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a id="menuSearch" href="/gt/search.do" target="main">业务查询</a></TD></TR>
<TR><TD class="menuhead">系统管理</TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a href="/logout.do" target="_top">安全退出</a></TD></TR>
</TABLE>"""  # noqa: E501
    return layout("菜单", body, body_attrs='bgcolor="#DFE8F6"')


def welcome_page(username: str, last_login: str) -> bytes:
    """``/welcome.do``: the welcome text."""
    body = f"""<TABLE width="98%" align="center" class="form" cellpadding="6" cellspacing="1">
<TR><TD class="formhead">欢迎使用{SYSTEM}</TD></TR>
<TR><TD>
<P>{_e(username)}，您好！欢迎使用{SYSTEM}。本次登录时间：{_e(last_login)}</P>
<P><B>系统公告</B></P>
<UL>
<LI>个体工商户设立登记请通过左侧菜单&ldquo;个体工商户设立登记&rdquo;办理，提交后请记录受理号。</LI>
<LI>变更登记、注销登记请填写营业执照上的统一社会信用代码；简易注销须在公示期满且无异议后提交。</LI>
<LI>会话空闲超过规定时间将自动退出，请及时保存。</LI>
<LI>请勿重复提交同一申请。</LI>
</UL>
</TD></TR></TABLE>"""
    return layout("首页", body)


def alert_page(message: str, *, back: bool = True) -> bytes:
    """An old system's error answer: ``<script>alert('...');history.back();</script>``."""
    action = "history.back();" if back else ""
    return layout("提示信息", f"<script>alert('{js_string(message)}');{action}</script>")


def error_500_page() -> bytes:
    """The application server's 500 page."""
    return encode(f"""<html><head>{_META}
<title>500 Internal Server Error</title>
<style><!--H1 {{font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;font-size:22px;}}
BODY {{font-family:Tahoma,Arial,sans-serif;color:black;background-color:white;}}--></style></head>
<body><h1>HTTP Status 500 - 系统内部错误，请稍后再试</h1><HR size="1" noshade="noshade">
<p><b>type</b> Exception report</p><p><b>message</b> <u>系统内部错误，请稍后再试</u></p>
<p><b>description</b> <u>The server encountered an internal error () that prevented it from fulfilling this request.</u></p>
<p><b>exception</b> <pre>javax.servlet.ServletException: java.lang.NullPointerException
	org.apache.struts.action.RequestProcessor.processException(RequestProcessor.java:545)
	org.apache.struts.action.RequestProcessor.processActionPerform(RequestProcessor.java:486)
	org.apache.struts.action.RequestProcessor.process(RequestProcessor.java:274)
	org.apache.struts.action.ActionServlet.process(ActionServlet.java:1482)
	javax.servlet.http.HttpServlet.service(HttpServlet.java:717)
	cn.gov.samr.gtgsh.filter.EncodingFilter.doFilter(EncodingFilter.java:38)
</pre></p>
<p><b>note</b> <u>The full stack trace of the root cause is available in the Apache Tomcat/6.0.29 logs.</u></p>
<HR size="1" noshade="noshade"><h3>{SYSTEM} / Apache Tomcat/6.0.29</h3></body></html>
""")  # noqa: E501


def down_page() -> bytes:
    """The 503 page shown while the system is down for maintenance."""
    return encode(f"""<html><head>{_META}
<title>503 Service Unavailable</title></head>
<body bgcolor="#FFFFFF"><center><BR><BR>
<table width="500" border="1" cellpadding="10" cellspacing="0" bordercolor="#999999"><tr><td align="center">
<font size="4" color="#CC0000"><b>系统维护中</b></font><br><br>
{SYSTEM}正在进行系统维护，暂停服务，请稍后再试。<br>给您带来的不便，敬请谅解。
</td></tr></table></center></body></html>
""")


def not_found_page(path: str) -> bytes:
    """The application server's 404 page."""
    return encode(f"""<html><head>{_META}
<title>404 Not Found</title></head>
<body><h1>HTTP Status 404 - {_e(path)}</h1><HR size="1" noshade="noshade">
<p><b>type</b> Status report</p><p><b>message</b> <u>{_e(path)}</u></p>
<p><b>description</b> <u>The requested resource ({_e(path)}) is not available.</u></p>
<HR size="1" noshade="noshade"><h3>{SYSTEM} / Apache Tomcat/6.0.29</h3></body></html>
""")


def status_page(code: int, reason: str) -> bytes:
    """A bare status page (405, 413 ...)."""
    return encode(f"<html><head>{_META}<title>{code} {_e(reason)}</title></head><body><h1>HTTP Status {code} - "
                  f"{_e(reason)}</h1><HR size=\"1\" noshade=\"noshade\"><h3>{SYSTEM}</h3></body></html>\n")


# ---- 个体工商户设立登记 -------------------------------------------------------------------------------------------

_BASE_JS: Final = r"""function trim(s) { return s.replace(/^\s+|\s+$/g, ''); }
function today() {
    var n = new Date(); var m = n.getMonth() + 1; var d = n.getDate();
    return '' + n.getFullYear() + (m < 10 ? '0' : '') + m + (d < 10 ? '0' : '') + d;
}
function isRealDate(s) {
    var y = parseInt(s.substring(0, 4), 10), m = parseInt(s.substring(4, 6), 10), d = parseInt(s.substring(6, 8), 10);
    var t = new Date(y, m - 1, d);
    return t.getFullYear() == y && t.getMonth() == m - 1 && t.getDate() == d;
}
function fail(field, msg) { alert(msg); try { field.focus(); } catch (e) {} return false; }
"""
"""The helpers every form's script uses."""

_ESTABLISH_JS: Final = r"""function checkForm() {
    var f = document.gtForm;
    if (trim(f.wbywh.value) == '') return fail(f.wbywh, '@wbywh@');
    if (trim(f.jyzxm.value) == '') return fail(f.jyzxm, '@jyzxm@');
    if (f.zjlx.value == '') return fail(f.zjlx, '@zjlx@');
    var zjhm = trim(f.zjhm.value);
    if (zjhm == '') return fail(f.zjhm, '@zjhm@');
    if (!/^\d{17}[\dXx]$/.test(zjhm)) return fail(f.zjhm, '@zjhm_format@');
    var lxdh = trim(f.lxdh.value);
    if (lxdh == '') return fail(f.lxdh, '@lxdh@');
    if (!/^1\d{10}$|^0\d{2,3}-?\d{7,8}$/.test(lxdh)) return fail(f.lxdh, '@lxdh_format@');
    if (trim(f.jyzzs.value) == '') return fail(f.jyzzs, '@jyzzs@');
    if (f.zzxs.value == '') return fail(f.zzxs, '@zzxs@');
    if (f.xzqh.value == '') return fail(f.xzqh, '@xzqh@');
    if (trim(f.jycs.value) == '') return fail(f.jycs, '@jycs@');
    var boxes = f.jyfw, n = 0;
    if (boxes.length == undefined) boxes = [boxes];
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) n++; }
    if (n == 0) { alert('@jyfw@'); return false; }
    var zczb = trim(f.zczb.value);
    if (zczb == '') return fail(f.zczb, '@zczb@');
    if (!/^\d+(\.\d{1,4})?$/.test(zczb)) return fail(f.zczb, '@zczb_format@');
    var cyrs = trim(f.cyrs.value);
    if (cyrs == '') return fail(f.cyrs, '@cyrs@');
    if (!/^\d+$/.test(cyrs)) return fail(f.cyrs, '@cyrs_format@');
    var sqrq = trim(f.sqrq.value);
    if (sqrq == '') return fail(f.sqrq, '@sqrq@');
    if (!/^\d{8}$/.test(sqrq) || !isRealDate(sqrq)) return fail(f.sqrq, '@sqrq_format@');
    if (sqrq > today()) return fail(f.sqrq, '@sqrq_future@');
    var fj = f.fj.value;
    if (fj != '') {
        var ext = fj.lastIndexOf('.') < 0 ? '' : fj.substring(fj.lastIndexOf('.') + 1).toLowerCase();
        if (ext != 'pdf' && ext != 'jpg' && ext != 'jpeg' && ext != 'png') return fail(f.fj, '@fj_type@');
    }
    return true;
}
"""


def _options(options: Mapping[str, str], selected: str, *, placeholder: bool) -> str:
    rows = ['<option value="">请选择</option>'] if placeholder else []
    for value, label in options.items():
        mark = " selected" if value == selected else ""
        rows.append(f'<option value="{_e(value)}"{mark}>{_e(label)}</option>')
    return "".join(rows)


def _text(name: str, size: int = 30, maxlength: int = 100, *, required: bool = True, hint: str = "") -> str:
    star = '<font color="red">*</font>' if required else ""
    return (f'<input type="text" name="{name}" id="{name}" size="{size}" maxlength="{maxlength}" value="">'
            f"{star}{hint}")


def _row(label: str, cell: str) -> str:
    return f'<TR><td class="label">{label}</td><td>{cell}</td></TR>'


def _scope_boxes(name: str = "jyfw", height: int = 220,
                 note: str = '<font color="red">*</font>（至少选择一项）') -> str:
    """The 经营范围 checkboxes ``name``, general and licensed items apart, in a scrolling box."""
    groups: list[str] = []
    for kind, title in (("general", "一般项目"), ("licensed", "许可项目（取得许可后方可经营）")):
        items = [i for i in scope_items() if i.kind == kind]
        cells = [f'<input type="checkbox" name="{name}" id="{name}_{i.code}" value="{i.code}">'
                 f'<label for="{name}_{i.code}">{_e(i.label)}</label>' for i in items]
        rows = ["<TR>" + "".join(f'<TD width="33%" nowrap>{c}</TD>' for c in cells[n:n + 3]) + "</TR>"
                for n in range(0, len(cells), 3)]
        groups.append(f'<B>{title}</B><TABLE width="100%" cellpadding="1" cellspacing="0" border="0">'
                      + "\n".join(rows) + "</TABLE>")
    return (f'<div class="scopebox" style="height:{height}px;overflow:auto;border:1px solid #99BBE8;padding:3px">'
            + "\n".join(groups) + f"</div>{note}")


def establish_page(token: str) -> bytes:
    """``/gt/establish.do``: the 设立登记 form."""
    red = '<font color="red">*</font>'
    rows = [
        _row("外部业务号", _text("wbywh", 30, 50)),
        _row("经营者姓名", _text("jyzxm", 20, 50)),
        _row("证件类型", f'<select name="zjlx" id="zjlx">{_options(ID_TYPES, "10", placeholder=False)}</select>'
                       f"{red}"),
        _row("证件号码", _text("zjhm", 24, 18)),
        _row("联系电话", _text("lxdh", 20, 20, hint="（手机或固定电话）")),
        _row("经营者住所", _text("jyzzs", 60, 200)),
        _row("个体工商户名称", _text("ztmc", 40, 100, required=False, hint="（可不填）")),
        _row("组成形式", f'<select name="zzxs" id="zzxs">{_options(FORMS, "", placeholder=True)}</select>{red}'),
        _row("行政区划", f'<select name="xzqh" id="xzqh">{_options(DIVISIONS, "", placeholder=True)}</select>{red}'),
        _row("经营场所", _text("jycs", 60, 200)),
        _row("经营范围", _scope_boxes()),
        _row("资金数额（万元）", _text("zczb", 12, 20)),
        _row("从业人数", _text("cyrs", 8, 6)),
        *_application_rows(),
    ]
    return _form_page("个体工商户设立登记", "gtForm", "/gt/establish_confirm.do", token, rows,
                      _script("gtForm", _ESTABLISH_JS, _BASE_JS))


def confirm_page(values: Mapping[str, Any], cid: str) -> bytes:
    """``/gt/establish_confirm.do``: every value read-only, and 确认提交 / 返回修改."""
    labels = scope_labels()
    shown = {
        "wbywh": _e(values["wbywh"]),
        "jyzxm": _e(values["jyzxm"]),
        "zjlx": _e(ID_TYPES[values["zjlx"]]),
        "zjhm": _e(values["zjhm"]),
        "lxdh": _e(values["lxdh"]),
        "jyzzs": _e(values["jyzzs"]),
        "ztmc": _e(values["ztmc"]),
        "zzxs": _e(FORMS[values["zzxs"]]),
        "xzqh": _e(DIVISIONS[values["xzqh"]]),
        "jycs": _e(values["jycs"]),
        "jyfw": _spans("jyfw", (labels[c] for c in values["jyfw"])),
        "zczb": _e(values["zczb"]),
        "cyrs": _e(values["cyrs"]),
        "sqrq": _e(values["sqrq"]),
        "fj": _upload_shown(values),
    }
    return _confirm_page("个体工商户设立登记", "/gt/establish_submit.do", cid, shown, LABELS)


def success_page(record: Mapping[str, Any], title: str = "个体工商户设立登记",
                 again: str = "/gt/establish.do") -> bytes:
    """``/gt/…_submit.do``: 申请已受理, with the receipt number in ``#slh`` (``title``: the form's name, ``again``:
    its URL, for 继续办理)."""
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">{title} &gt;&gt; 提交结果</TD></TR></TABLE>
<BR>
<TABLE width="60%" align="center" class="form" cellpadding="6" cellspacing="1">
<TR><TD colspan="2" align="center"><FONT size="4" color="#006600"><B>申请已受理</B></FONT></TD></TR>
<TR><td>受理号：</td><td id="slh">{_e(record["receipt"])}</td></TR>
<TR><td>外部业务号：</td><td id="s_wbywh">{_e(record["wbywh"])}</td></TR>
<TR><td>经营者姓名：</td><td id="s_jyzxm">{_e(record["jyzxm"])}</td></TR>
<TR><td>提交时间：</td><td id="s_tjsj">{_e(record["created_at"])}</td></TR>
</TABLE>
<P align="center">请妥善保存受理号，凭受理号查询办理进度。</P>
<P align="center"><a href="{again}">继续办理</a>&nbsp;&nbsp;<a href="/gt/search.do">业务查询</a></P>
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""
    return layout("提交结果", body)


def search_page(zjhm: str = "", wbywh: str = "", results: Iterable[Mapping[str, Any]] | None = None,
                alert: str = "", tyxydm: str = "", ywlx: str = "") -> bytes:
    """``/gt/search.do``: the search form (证件号码, 外部业务号, 统一社会信用代码, 业务类型), and the results when
    searched: one row per record of any form, its kind told by the receipt's prefix."""
    table = ""
    if results is not None:
        rows = [f'<tr class="row"><td class="slh">{_e(r["receipt"])}</td><td class="wbywh">{_e(r["wbywh"])}</td>'
                f'<td class="jyzxm">{_e(r["jyzxm"])}</td><td class="ztmc">{_e(r["ztmc"])}</td>'
                f'<td class="tjsj">{_e(r["created_at"])}</td><td class="zt">已受理</td></tr>' for r in results]
        if not rows:
            rows = ['<tr><td class="norecord">未查询到记录</td></tr>']
        table = ('<table id="resultTable" width="98%" align="center" class="list" cellpadding="4" cellspacing="1">\n'
                 '<tr class="head"><th>受理号</th><th>外部业务号</th><th>经营者姓名</th><th>个体工商户名称</th>'
                 "<th>提交时间</th><th>状态</th></tr>\n" + "\n".join(rows) + "\n</table>")
    script = f"<script>alert('{js_string(alert)}');</script>" if alert else ""
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">综合查询 &gt;&gt; 业务查询</TD></TR></TABLE>
<form name="searchForm" method="get" action="/gt/search.do">
<input type="hidden" name="q" value="1">
<TABLE width="98%" align="center" class="form" cellpadding="4" cellspacing="1">
<TR><td class="label">统一社会信用代码</td><td><input type="text" name="tyxydm" id="tyxydm" size="24" maxlength="18" value="{_e(tyxydm)}"></td>
<td class="label">业务类型</td><td><select name="ywlx" id="ywlx"><option value="">全部</option>{_options(BUSINESS_TYPES, ywlx, placeholder=False)}</select></td>
<td>&nbsp;</td></TR>
<TR><td class="label">证件号码</td><td><input type="text" name="zjhm" id="zjhm" size="24" maxlength="18" value="{_e(zjhm)}"></td>
<td class="label">外部业务号</td><td><input type="text" name="wbywh" id="wbywh" size="24" maxlength="50" value="{_e(wbywh)}"></td>
<td><input type="submit" id="btnSearch" value="查 询"></td></TR>
</TABLE>
</form>
{table}
{script}
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""  # noqa: E501
    return layout("业务查询", body)


# ---- 变更登记 and 注销登记: shared parts ----------------------------------------------------------------------

_COMMON_JS: Final = r"""function count(boxes) {
    if (!boxes) return 0;
    if (boxes.length == undefined) boxes = [boxes];
    var n = 0;
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) n++; }
    return n;
}
function checkRegistered(f) {
    if (trim(f.wbywh.value) == '') return fail(f.wbywh, '@wbywh@');
    var tyxydm = trim(f.tyxydm.value).toUpperCase();
    if (tyxydm == '') return fail(f.tyxydm, '@tyxydm@');
    if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(tyxydm)) return fail(f.tyxydm, '@tyxydm_format@');
    if (trim(f.jyzxm.value) == '') return fail(f.jyzxm, '@jyzxm@');
    if (f.zjlx.value == '') return fail(f.zjlx, '@zjlx@');
    var zjhm = trim(f.zjhm.value);
    if (zjhm == '') return fail(f.zjhm, '@zjhm@');
    if (!/^\d{17}[\dXx]$/.test(zjhm)) return fail(f.zjhm, '@zjhm_format@');
    var lxdh = trim(f.lxdh.value);
    if (lxdh != '' && !/^1\d{10}$|^0\d{2,3}-?\d{7,8}$/.test(lxdh)) return fail(f.lxdh, '@lxdh_format@');
    return true;
}
function checkDate(f) {
    var sqrq = trim(f.sqrq.value);
    if (sqrq == '') return fail(f.sqrq, '@sqrq@');
    if (!/^\d{8}$/.test(sqrq) || !isRealDate(sqrq)) return fail(f.sqrq, '@sqrq_format@');
    if (sqrq > today()) return fail(f.sqrq, '@sqrq_future@');
    return true;
}
function checkUpload(f) {
    var fj = f.fj.value;
    if (fj != '') {
        var ext = fj.lastIndexOf('.') < 0 ? '' : fj.substring(fj.lastIndexOf('.') + 1).toLowerCase();
        if (ext != 'pdf' && ext != 'jpg' && ext != 'jpeg' && ext != 'png') return fail(f.fj, '@fj_type@');
    }
    return true;
}
"""


def _script(form: str, code: str, common: str = _BASE_JS + _COMMON_JS) -> str:
    """A ``<script>`` with the shared checks (``common``), ``code`` (which defines ``checkForm()``) and
    ``doSubmit()``; every ``@key@`` becomes the message ``MESSAGES[key]`` (or ``@days@``, ``@commitments@``: the
    公示 period and how many 承诺事项 there are)."""
    numbers = {"days": str(SIMPLIFIED_PERIOD_DAYS), "commitments": str(len(COMMITMENTS))}
    text = re.sub(r"@(\w+)@", lambda m: numbers.get(m.group(1)) or js_string(MESSAGES[m.group(1)]),
                  common + code)
    return (f'<script language="javascript" type="text/javascript">\n<!--\n{text}'
            f"function doSubmit() {{\n    if (checkForm()) {{\n        document.{form}.submit();\n    }}\n}}\n"
            "//-->\n</script>\n")


def _registered_rows(title: str) -> list[str]:
    """The rows of the registered business and its operator, under a section ``title``."""
    red = '<font color="red">*</font>'
    return [
        _section(title),
        _row("外部业务号", _text("wbywh", 30, 50)),
        _row("统一社会信用代码", _text("tyxydm", 24, 18, hint="（营业执照上的18位代码）")),
        _row("个体工商户名称", _text("ztmc", 40, 100, required=False, hint="（无名称的可不填）")),
        _row("经营者姓名", _text("jyzxm", 20, 50)),
        _row("证件类型", f'<select name="zjlx" id="zjlx">{_options(ID_TYPES, "10", placeholder=False)}</select>'
                       f"{red}"),
        _row("证件号码", _text("zjhm", 24, 18)),
        _row("联系电话", _text("lxdh", 20, 20, required=False, hint="（可不填，默认使用登记的联系电话）")),
    ]


def _application_rows() -> list[str]:
    """The last rows of every form: 申请日期 and 申请材料."""
    return [_row("申请日期", _text("sqrq", 10, 8, hint="（格式：YYYYMMDD）")),
            _row("申请材料", '<input type="file" name="fj" id="fj" size="40">（pdf、jpg、png格式，不超过10MB）')]


def _section(title: str) -> str:
    return f'<TR><TD colspan="2" class="section">{title}</TD></TR>'


def _boxes(name: str, options: Mapping[str, str], per_row: int) -> str:
    cells = [f'<input type="checkbox" name="{name}" id="{name}_{code}" value="{code}">'
             f'<label for="{name}_{code}">{_e(label)}</label>' for code, label in options.items()]
    rows = ["<TR>" + "".join(f"<TD nowrap>{c}</TD>" for c in cells[n:n + per_row]) + "</TR>"
            for n in range(0, len(cells), per_row)]
    return '<TABLE cellpadding="1" cellspacing="0" border="0">' + "\n".join(rows) + "</TABLE>"


def _form_page(title: str, form: str, action: str, token: str, rows: list[str], script: str) -> bytes:
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">{title} &gt;&gt; 填写申请信息</TD></TR></TABLE>
<form id="{form}" name="{form}" method="post" action="{action}" enctype="multipart/form-data" accept-charset="GBK">
<input type="hidden" name="token" id="token" value="{_e(token)}">
<TABLE width="98%" align="center" class="form" cellpadding="4" cellspacing="1">
{chr(10).join(rows)}
<TR><TD colspan="2" align="center" class="buttons">
<input type="button" id="btnSubmit" value="提 交" onclick="doSubmit()">&nbsp;&nbsp;
<input type="reset" id="btnReset" value="重 置">
</TD></TR>
</TABLE>
</form>
<P align="center"><FONT color="#666666">注：带<font color="red">*</font>为必填项。{SYSTEM}</FONT></P>"""
    return layout(title, body, head=script)


def _confirm_page(title: str, action: str, cid: str, shown: Mapping[str, str], labels: Mapping[str, str]) -> bytes:
    rows = "\n".join(f'<TR><td class="label">{labels[k]}</td><td id="c_{k}">{v}</td></TR>' for k, v in shown.items())
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">{title} &gt;&gt; 确认申请信息</TD></TR></TABLE>
<P align="center"><FONT color="#CC0000">请核对以下信息，确认无误后点击&ldquo;确认提交&rdquo;。</FONT></P>
<TABLE width="98%" align="center" class="form" cellpadding="4" cellspacing="1">
{rows}
</TABLE>
<form name="confirmForm" method="post" action="{action}">
<input type="hidden" name="cid" id="cid" value="{_e(cid)}">
<P align="center">
<input type="button" id="btnConfirm" value="确认提交" onclick="if(confirm('确认提交本申请吗？')){{document.confirmForm.submit();}}">&nbsp;&nbsp;
<input type="button" id="btnBack" value="返回修改" onclick="history.back()">
</P>
</form>
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""  # noqa: E501
    return layout("确认申请信息", body)


def _registered_shown(values: Mapping[str, Any]) -> dict[str, str]:
    return {
        "wbywh": _e(values["wbywh"]),
        "tyxydm": _e(values["tyxydm"]),
        "ztmc": _e(values["ztmc"]),
        "jyzxm": _e(values["jyzxm"]),
        "zjlx": _e(ID_TYPES[values["zjlx"]]),
        "zjhm": _e(values["zjhm"]),
        "lxdh": _e(values["lxdh"]),
    }


def _upload_shown(values: Mapping[str, Any]) -> str:
    return _e(values["upload_name"]) if values.get("upload_name") else "无"


def _spans(css: str, labels: Iterable[str]) -> str:
    return "<br>".join(f'<span class="{css}">{_e(label)}</span>' for label in labels)


# ---- 个体工商户变更登记 -------------------------------------------------------------------------------------------

_CHANGE_JS: Final = r"""function ticked(code) {
    var b = document.getElementById('bgsx_' + code);
    return b != null && b.checked;
}
function checkForm() {
    var f = document.bgForm;
    if (!checkRegistered(f)) return false;
    if (count(f.bgsx) == 0) { alert('@bgsx@'); return false; }
    if (ticked('01')) {
        if (trim(f.xztmc.value) == '') return fail(f.xztmc, '@xztmc@');
    } else if (trim(f.xztmc.value) != '') return fail(f.xztmc, '@bgsx_01_unticked@');
    if (ticked('02')) {
        if (trim(f.xjyzxm.value) == '') return fail(f.xjyzxm, '@xjyzxm@');
        var xzjhm = trim(f.xzjhm.value);
        if (xzjhm == '') return fail(f.xzjhm, '@xzjhm@');
        if (!/^\d{17}[\dXx]$/.test(xzjhm)) return fail(f.xzjhm, '@xzjhm_format@');
        if (xzjhm.toUpperCase() == trim(f.zjhm.value).toUpperCase()) return fail(f.xzjhm, '@xzjhm_same@');
    } else if (trim(f.xjyzxm.value) != '' || trim(f.xzjhm.value) != '') return fail(f.xjyzxm, '@bgsx_02_unticked@');
    if (ticked('03')) {
        if (trim(f.xjyzzs.value) == '') return fail(f.xjyzzs, '@xjyzzs@');
    } else if (trim(f.xjyzzs.value) != '') return fail(f.xjyzzs, '@bgsx_03_unticked@');
    if (ticked('04')) {
        if (trim(f.xjycs.value) == '') return fail(f.xjycs, '@xjycs@');
        if (f.xxzqh.value == '') return fail(f.xxzqh, '@xxzqh@');
    } else if (trim(f.xjycs.value) != '' || f.xxzqh.value != '') return fail(f.xjycs, '@bgsx_04_unticked@');
    if (ticked('05')) {
        if (count(f.xjyfw) == 0) { alert('@xjyfw@'); return false; }
    } else if (count(f.xjyfw) > 0) { alert('@bgsx_05_unticked@'); return false; }
    if (ticked('06')) {
        if (f.xzzxs.value == '') return fail(f.xzzxs, '@xzzxs@');
    } else if (f.xzzxs.value != '') return fail(f.xzzxs, '@bgsx_06_unticked@');
    var xzczb = trim(f.xzczb.value);
    if (ticked('07')) {
        if (xzczb == '') return fail(f.xzczb, '@xzczb@');
        if (!/^\d+(\.\d{1,4})?$/.test(xzczb)) return fail(f.xzczb, '@xzczb_format@');
    } else if (xzczb != '') return fail(f.xzczb, '@bgsx_07_unticked@');
    var xcyrs = trim(f.xcyrs.value);
    if (ticked('08')) {
        if (xcyrs == '') return fail(f.xcyrs, '@xcyrs@');
        if (!/^\d+$/.test(xcyrs)) return fail(f.xcyrs, '@xcyrs_format@');
    } else if (xcyrs != '') return fail(f.xcyrs, '@bgsx_08_unticked@');
    if (!checkDate(f)) return false;
    return checkUpload(f);
}
"""


def change_page(token: str) -> bytes:
    """``/gt/change.do``: the 变更登记 form."""
    rows = [
        *_registered_rows("一、登记信息（按营业执照填写）"),
        _section("二、变更事项"),
        _row("变更事项", _boxes("bgsx", CHANGE_ITEMS, 4) + '<font color="red">*</font>（至少选择一项）'),
        _section("三、变更后内容（仅填写所勾选的变更事项）"),
        _row("变更后名称", _text("xztmc", 40, 100, required=False)),
        _row("变更后经营者姓名", _text("xjyzxm", 20, 50, required=False)),
        _row("变更后经营者证件号码", _text("xzjhm", 24, 18, required=False, hint="（居民身份证号码）")),
        _row("变更后经营者住所", _text("xjyzzs", 60, 200, required=False)),
        _row("变更后经营场所", _text("xjycs", 60, 200, required=False)),
        _row("变更后行政区划",
             f'<select name="xxzqh" id="xxzqh">{_options(DIVISIONS, "", placeholder=True)}</select>'),
        _row("变更后经营范围", _scope_boxes("xjyfw", 180, "（变更后的全部经营范围）")),
        _row("变更后组成形式", f'<select name="xzzxs" id="xzzxs">{_options(FORMS, "", placeholder=True)}</select>'),
        _row("变更后资金数额（万元）", _text("xzczb", 12, 20, required=False)),
        _row("变更后从业人数", _text("xcyrs", 8, 6, required=False)),
        _section("四、申请信息"),
        *_application_rows(),
    ]
    return _form_page("个体工商户变更登记", "bgForm", "/gt/change_confirm.do", token, rows,
                      _script("bgForm", _CHANGE_JS))


def change_confirm_page(values: Mapping[str, Any], cid: str) -> bytes:
    """``/gt/change_confirm.do``: every value read-only (the new values of the ticked items), and 确认提交 /
    返回修改."""
    labels = scope_labels()
    items = values["bgsx"]
    shown = _registered_shown(values)
    shown["bgsx"] = _spans("bgsx", (CHANGE_ITEMS[code] for code in items))
    for code, names in CHANGE_VALUES.items():
        if code not in items:
            continue
        for name in names:
            if name == "xjyfw":
                shown[name] = _spans("xjyfw", (labels[c] for c in values["xjyfw"]))
            elif name == "xxzqh":
                shown[name] = _e(DIVISIONS[values[name]])
            elif name == "xzzxs":
                shown[name] = _e(FORMS[values[name]])
            else:
                shown[name] = _e(values[name])
    shown["sqrq"] = _e(values["sqrq"])
    shown["fj"] = _upload_shown(values)
    return _confirm_page("个体工商户变更登记", "/gt/change_submit.do", cid, shown, CHANGE_LABELS)


# ---- 个体工商户注销登记 -------------------------------------------------------------------------------------------

_DEREGISTER_JS: Final = r"""function addDays(s, n) {
    var t = new Date(parseInt(s.substring(0, 4), 10), parseInt(s.substring(4, 6), 10) - 1,
                     parseInt(s.substring(6, 8), 10) + n);
    var m = t.getMonth() + 1, d = t.getDate();
    return '' + t.getFullYear() + (m < 10 ? '0' : '') + m + (d < 10 ? '0' : '') + d;
}
function fillEnd() {
    var f = document.zxForm, s = trim(f.gsqsrq.value);
    f.gsjzrq.value = (/^\d{8}$/.test(s) && isRealDate(s)) ? addDays(s, @days@) : '';
}
function checkForm() {
    var f = document.zxForm;
    if (!checkRegistered(f)) return false;
    if (f.zxlx.value == '') return fail(f.zxlx, '@zxlx@');
    var jy = f.zxlx.value == '2';
    if (f.zxyy.value == '') return fail(f.zxyy, '@zxyy@');
    if (jy && f.zxyy.value == '02') return fail(f.zxyy, '@zxyy_simplified@');
    if (!jy && !f.qsbj.checked) return fail(f.qsbj, '@qsbj@');
    if (jy) {
        if (count(f.cnsx) < @commitments@) { alert('@cnsx_all@'); return false; }
        var gsqsrq = trim(f.gsqsrq.value);
        if (gsqsrq == '') return fail(f.gsqsrq, '@gsqsrq@');
        if (!/^\d{8}$/.test(gsqsrq) || !isRealDate(gsqsrq)) return fail(f.gsqsrq, '@gsqsrq_format@');
        if (gsqsrq > today()) return fail(f.gsqsrq, '@gsqsrq_future@');
        var yysl = trim(f.yysl.value);
        if (yysl == '') return fail(f.yysl, '@yysl@');
        if (!/^\d+$/.test(yysl)) return fail(f.yysl, '@yysl_format@');
        if (parseInt(yysl, 10) > 0) return fail(f.yysl, '@yysl_objection@');
    }
    if (!checkDate(f)) return false;
    if (jy && trim(f.sqrq.value) < addDays(trim(f.gsqsrq.value), @days@)) return fail(f.sqrq, '@gs_unfinished@');
    return checkUpload(f);
}
"""


def deregister_page(token: str) -> bytes:
    """``/gt/deregister.do``: the 注销登记 form."""
    red = '<font color="red">*</font>'
    rows = [
        *_registered_rows("一、登记信息（按营业执照填写）"),
        _section("二、注销信息"),
        _row("注销类型", f'<select name="zxlx" id="zxlx">{_options(DEREGISTER_KINDS, "", placeholder=True)}</select>'
                       f"{red}"),
        _row("注销原因", f'<select name="zxyy" id="zxyy">{_options(DEREGISTER_REASONS, "", placeholder=True)}'
                       f"</select>{red}"),
        _row("清税情况", '<input type="checkbox" name="qsbj" id="qsbj" value="1">'
                       '<label for="qsbj">已办结清税手续（已取得清税证明或清税信息）</label>（普通注销必选）'),
        _row("承诺事项", _boxes("cnsx", COMMITMENTS, 2) + "（简易注销须全部勾选）"),
        _section(f"三、简易注销公示（个体工商户为推送税务等有关部门，期限{SIMPLIFIED_PERIOD_DAYS}日；普通注销不填）"),
        _row("公示起始日期", '<input type="text" name="gsqsrq" id="gsqsrq" size="10" maxlength="8" value="" '
                          'onchange="fillEnd()">（格式：YYYYMMDD）'),
        _row("公示截止日期", '<input type="text" name="gsjzrq" id="gsjzrq" size="10" maxlength="8" value="" '
                          'readonly class="readonly">（自动计算）'),
        _row("异议数量", _text("yysl", 6, 4, required=False, hint="（公示期内收到的异议，无异议填0）")),
        _section("四、申请信息"),
        *_application_rows(),
    ]
    return _form_page("个体工商户注销登记", "zxForm", "/gt/deregister_confirm.do", token, rows,
                      _script("zxForm", _DEREGISTER_JS))


def deregister_confirm_page(values: Mapping[str, Any], cid: str) -> bytes:
    """``/gt/deregister_confirm.do``: every value read-only, and 确认提交 / 返回修改."""
    shown = _registered_shown(values)
    shown["zxlx"] = _e(DEREGISTER_KINDS[values["zxlx"]])
    shown["zxyy"] = _e(DEREGISTER_REASONS[values["zxyy"]])
    shown["qsbj"] = "已办结" if values["qsbj"] else "未办结"
    shown["cnsx"] = _spans("cnsx", (COMMITMENTS[code] for code in values["cnsx"])) or "无"
    if values["zxlx"] == "2":
        shown["gsqsrq"] = _e(values["gsqsrq"])
        shown["gsjzrq"] = _e(values["gsjzrq"])
        shown["yysl"] = _e(values["yysl"])
    shown["sqrq"] = _e(values["sqrq"])
    shown["fj"] = _upload_shown(values)
    return _confirm_page("个体工商户注销登记", "/gt/deregister_submit.do", cid, shown, DEREGISTER_LABELS)


STYLE_SHEET: Final = """/* 个体工商户登记管理系统 */
body { font-family: "宋体", SimSun, Tahoma, sans-serif; font-size: 12px; margin: 4px; background: #FFFFFF; }
td, th, input, select { font-size: 12px; }
a { color: #15428B; text-decoration: none; } a:hover { color: #CC0000; text-decoration: underline; }
.loginbox { border: 1px solid #6593CF; background: #FFFFFF; margin-top: 60px; }
.loginhead { background: #1C5DA5; color: #FFFFFF; font-size: 18px; height: 60px; }
.copyright { color: #666666; padding: 8px; border-top: 1px solid #C3DAF9; }
.banner { background: #1C5DA5; color: #FFFFFF; } .banner a { color: #FFFF99; }
.menu .menuhead { background: #C3DAF9; font-weight: bold; color: #15428B; }
.form { background: #99BBE8; } .form td { background: #FFFFFF; }
.form td.label { background: #DFE8F6; text-align: right; width: 140px; white-space: nowrap; }
.formhead { background: #D0DEF0; color: #15428B; font-weight: bold; padding: 5px; border: 1px solid #99BBE8; }
.buttons { background: #DFE8F6; }
.list { background: #99BBE8; } .list td { background: #FFFFFF; } .list th { background: #DFE8F6; }
.msgbox { border: 1px solid #99BBE8; width: 360px; } .msghead { background: #D0DEF0; font-weight: bold; }
#sessionTimeout { color: #CC0000; font-size: 14px; font-weight: bold; }
.form td.section { background: #EEF3FA; color: #15428B; font-weight: bold; }
input.readonly { background: #F0F0F0; }
"""
