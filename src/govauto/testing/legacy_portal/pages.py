"""The portal's pages: HTML 4 of the kind a 2000s Java web application served, encoded in GBK."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any, Final

from govauto.testing.legacy_portal.catalogue import DIVISIONS, FORMS, ID_TYPES, scope_items, scope_labels
from govauto.testing.legacy_portal.forms import MESSAGES

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
<TR><TD class="menuhead">综合查询</TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a id="menuSearch" href="/gt/search.do" target="main">业务查询</a></TD></TR>
<TR><TD class="menuhead">系统管理</TD></TR>
<TR><TD>&nbsp;&middot;&nbsp;<a href="/logout.do" target="_top">安全退出</a></TD></TR>
</TABLE>"""
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

_CHECK_FORM: Final = r"""<script language="javascript" type="text/javascript">
<!--
function trim(s) { return s.replace(/^\s+|\s+$/g, ''); }
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
function checkForm() {
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
function doSubmit() {
    if (checkForm()) {
        document.gtForm.submit();
    }
}
//-->
</script>
"""


def _check_form_script() -> str:
    return re.sub(r"@(\w+)@", lambda m: js_string(MESSAGES[m.group(1)]), _CHECK_FORM)


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


def _scope_boxes() -> str:
    groups: list[str] = []
    for kind, title in (("general", "一般项目"), ("licensed", "许可项目（取得许可后方可经营）")):
        items = [i for i in scope_items() if i.kind == kind]
        cells = [f'<input type="checkbox" name="jyfw" id="jyfw_{i.code}" value="{i.code}">'
                 f'<label for="jyfw_{i.code}">{_e(i.label)}</label>' for i in items]
        rows = ["<TR>" + "".join(f'<TD width="33%" nowrap>{c}</TD>' for c in cells[n:n + 3]) + "</TR>"
                for n in range(0, len(cells), 3)]
        groups.append(f'<B>{title}</B><TABLE width="100%" cellpadding="1" cellspacing="0" border="0">'
                      + "\n".join(rows) + "</TABLE>")
    return ('<div class="scopebox" style="height:220px;overflow:auto;border:1px solid #99BBE8;padding:3px">'
            + "\n".join(groups) + '</div><font color="red">*</font>（至少选择一项）')


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
        _row("申请日期", _text("sqrq", 10, 8, hint="（格式：YYYYMMDD）")),
        _row("申请材料", '<input type="file" name="fj" id="fj" size="40">（pdf、jpg、png格式，不超过10MB）'),
    ]
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">个体工商户设立登记 &gt;&gt; 填写申请信息</TD></TR></TABLE>
<form id="gtForm" name="gtForm" method="post" action="/gt/establish_confirm.do" enctype="multipart/form-data" accept-charset="GBK">
<input type="hidden" name="token" id="token" value="{_e(token)}">
<TABLE width="98%" align="center" class="form" cellpadding="4" cellspacing="1">
{chr(10).join(rows)}
<TR><TD colspan="2" align="center" class="buttons">
<input type="button" id="btnSubmit" value="提 交" onclick="doSubmit()">&nbsp;&nbsp;
<input type="reset" id="btnReset" value="重 置">
</TD></TR>
</TABLE>
</form>
<P align="center"><FONT color="#666666">注：带<font color="red">*</font>为必填项。{SYSTEM}</FONT></P>"""  # noqa: E501
    return layout("个体工商户设立登记", body, head=_check_form_script())


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
        "jyfw": "<br>".join(f'<span class="jyfw">{_e(labels[c])}</span>' for c in values["jyfw"]),
        "zczb": _e(values["zczb"]),
        "cyrs": _e(values["cyrs"]),
        "sqrq": _e(values["sqrq"]),
        "fj": _e(values["upload_name"]) if values.get("upload_name") else "无",
    }
    titles = {"wbywh": "外部业务号", "jyzxm": "经营者姓名", "zjlx": "证件类型", "zjhm": "证件号码", "lxdh": "联系电话",
              "jyzzs": "经营者住所", "ztmc": "个体工商户名称", "zzxs": "组成形式", "xzqh": "行政区划",
              "jycs": "经营场所", "jyfw": "经营范围", "zczb": "资金数额（万元）", "cyrs": "从业人数",
              "sqrq": "申请日期", "fj": "申请材料"}
    rows = "\n".join(f'<TR><td class="label">{titles[k]}</td><td id="c_{k}">{v}</td></TR>' for k, v in shown.items())
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">个体工商户设立登记 &gt;&gt; 确认申请信息</TD></TR></TABLE>
<P align="center"><FONT color="#CC0000">请核对以下信息，确认无误后点击&ldquo;确认提交&rdquo;。</FONT></P>
<TABLE width="98%" align="center" class="form" cellpadding="4" cellspacing="1">
{rows}
</TABLE>
<form name="confirmForm" method="post" action="/gt/establish_submit.do">
<input type="hidden" name="cid" id="cid" value="{_e(cid)}">
<P align="center">
<input type="button" id="btnConfirm" value="确认提交" onclick="if(confirm('确认提交本申请吗？')){{document.confirmForm.submit();}}">&nbsp;&nbsp;
<input type="button" id="btnBack" value="返回修改" onclick="history.back()">
</P>
</form>
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""  # noqa: E501
    return layout("确认申请信息", body)


def success_page(record: Mapping[str, Any]) -> bytes:
    """``/gt/establish_submit.do``: 申请已受理, with the receipt number in ``#slh``."""
    body = f"""<TABLE width="98%" align="center" cellpadding="0" cellspacing="0" border="0">
<TR><TD class="formhead">个体工商户设立登记 &gt;&gt; 提交结果</TD></TR></TABLE>
<BR>
<TABLE width="60%" align="center" class="form" cellpadding="6" cellspacing="1">
<TR><TD colspan="2" align="center"><FONT size="4" color="#006600"><B>申请已受理</B></FONT></TD></TR>
<TR><td>受理号：</td><td id="slh">{_e(record["receipt"])}</td></TR>
<TR><td>外部业务号：</td><td id="s_wbywh">{_e(record["wbywh"])}</td></TR>
<TR><td>经营者姓名：</td><td id="s_jyzxm">{_e(record["jyzxm"])}</td></TR>
<TR><td>提交时间：</td><td id="s_tjsj">{_e(record["created_at"])}</td></TR>
</TABLE>
<P align="center">请妥善保存受理号，凭受理号查询办理进度。</P>
<P align="center"><a href="/gt/establish.do">继续办理</a>&nbsp;&nbsp;<a href="/gt/search.do">业务查询</a></P>
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""
    return layout("提交结果", body)


def search_page(zjhm: str = "", wbywh: str = "", results: Iterable[Mapping[str, Any]] | None = None,
                alert: str = "") -> bytes:
    """``/gt/search.do``: the search form, and the results when searched."""
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
<TR><td class="label">证件号码</td><td><input type="text" name="zjhm" id="zjhm" size="24" maxlength="18" value="{_e(zjhm)}"></td>
<td class="label">外部业务号</td><td><input type="text" name="wbywh" id="wbywh" size="24" maxlength="50" value="{_e(wbywh)}"></td>
<td><input type="submit" id="btnSearch" value="查 询"></td></TR>
</TABLE>
</form>
{table}
{script}
<P align="center"><FONT color="#666666">{SYSTEM}</FONT></P>"""  # noqa: E501
    return layout("业务查询", body)


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
"""
