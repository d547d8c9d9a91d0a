"""Reading posted forms (GBK, urlencoded or multipart) and the server-side checks of the 设立登记, 变更登记 and
注销登记 forms."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from stdnum.cn import ric, uscc

from govauto.testing.legacy_portal.catalogue import (
    CHANGE_ITEMS,
    COMMITMENTS,
    DEREGISTER_KINDS,
    DEREGISTER_REASONS,
    DIVISIONS,
    FORMS,
    ID_TYPES,
    SIMPLIFIED_PERIOD_DAYS,
    scope_labels,
)

FORM_CHARSET: Final = "gb18030"
"""How posted bytes are decoded: browsers post a GBK page's forms in GBK, which GB 18030 extends."""

MAX_UPLOAD: Final = 10 * 1024 * 1024
UPLOAD_EXTENSIONS: Final = ("pdf", "jpg", "jpeg", "png")

ID_PATTERN: Final = re.compile(r"^\d{17}[\dXx]$")
PHONE_PATTERN: Final = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
AMOUNT_PATTERN: Final = re.compile(r"^\d+(\.\d{1,4})?$")
COUNT_PATTERN: Final = re.compile(r"^\d+$")
DATE_PATTERN: Final = re.compile(r"^\d{8}$")
USCC_PATTERN: Final = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
"""统一社会信用代码 (GB 32100): 18 characters of the code's alphabet (no I, O, S, V, Z), upper case."""

FIELDS: Final = ("wbywh", "jyzxm", "zjlx", "zjhm", "lxdh", "jyzzs", "ztmc", "zzxs", "xzqh", "jycs", "jyfw", "zczb",
                 "cyrs", "sqrq", "fj")
"""The form's fields, in the order the page shows and checks them."""

LABELS: Final = {
    "wbywh": "外部业务号", "jyzxm": "经营者姓名", "zjlx": "证件类型", "zjhm": "证件号码", "lxdh": "联系电话",
    "jyzzs": "经营者住所", "ztmc": "个体工商户名称", "zzxs": "组成形式", "xzqh": "行政区划", "jycs": "经营场所",
    "jyfw": "经营范围", "zczb": "资金数额（万元）", "cyrs": "从业人数", "sqrq": "申请日期", "fj": "申请材料",
}

MESSAGES: Final = {
    "token": "页面已失效，请重新打开申请页面",
    "wbywh": "请填写外部业务号",
    "jyzxm": "请填写经营者姓名",
    "zjlx": "请选择证件类型",
    "zjhm": "请填写证件号码",
    "zjhm_format": "证件号码格式不正确",
    "zjhm_check": "证件号码校验位错误",
    "zjhm_invalid": "证件号码不正确（出生日期无效）",
    "lxdh": "请填写联系电话",
    "lxdh_format": "联系电话格式不正确",
    "jyzzs": "请填写经营者住所",
    "zzxs": "请选择组成形式",
    "xzqh": "请选择行政区划",
    "jycs": "请填写经营场所",
    "jyfw": "经营范围至少选择一项",
    "jyfw_code": "经营范围代码不正确",
    "zczb": "请填写资金数额",
    "zczb_format": "资金数额格式不正确，应为不小于0的数字，最多4位小数",
    "cyrs": "请填写从业人数",
    "cyrs_format": "从业人数格式不正确，应为不小于0的整数",
    "sqrq": "请填写申请日期",
    "sqrq_format": "申请日期格式应为YYYYMMDD",
    "sqrq_future": "申请日期不能晚于当前日期",
    "fj_type": "申请材料格式不正确，仅支持pdf、jpg、jpeg、png文件",
    "fj_size": "申请材料不能超过10MB",
    # 变更登记 and 注销登记: the registered business
    "tyxydm": "请填写统一社会信用代码",
    "tyxydm_format": "统一社会信用代码格式不正确",
    "tyxydm_check": "统一社会信用代码校验位错误",
    # 变更登记
    "bgsx": "变更事项至少选择一项",
    "bgsx_code": "变更事项代码不正确",
    "xztmc": "请填写变更后的名称",
    "xjyzxm": "请填写变更后的经营者姓名",
    "xzjhm": "请填写变更后的经营者证件号码",
    "xzjhm_format": "变更后的经营者证件号码格式不正确",
    "xzjhm_check": "变更后的经营者证件号码校验位错误",
    "xzjhm_invalid": "变更后的经营者证件号码不正确（出生日期无效）",
    "xzjhm_same": "变更后的经营者与原经营者为同一人，请核对",
    "xjyzzs": "请填写变更后的经营者住所",
    "xjycs": "请填写变更后的经营场所",
    "xxzqh": "请选择变更后经营场所的行政区划",
    "xjyfw": "变更后的经营范围至少选择一项",
    "xjyfw_code": "变更后的经营范围代码不正确",
    "xzzxs": "请选择变更后的组成形式",
    "xzczb": "请填写变更后的资金数额",
    "xzczb_format": "变更后的资金数额格式不正确，应为不小于0的数字，最多4位小数",
    "xcyrs": "请填写变更后的从业人数",
    "xcyrs_format": "变更后的从业人数格式不正确，应为不小于0的整数",
    **{f"bgsx_{code}_unticked": f"未勾选变更事项“{label}”，请勿填写变更后的{label}"
       for code, label in CHANGE_ITEMS.items()},
    # 注销登记
    "zxlx": "请选择注销类型",
    "zxyy": "请选择注销原因",
    "zxyy_simplified": "被吊销营业执照、责令关闭或者被撤销的，不适用简易注销",
    "qsbj": "普通注销须先办结清税手续（取得清税证明或清税信息）",
    "cnsx_code": "承诺事项代码不正确",
    "cnsx_all": "申请简易注销须勾选全部承诺事项",
    "gsqsrq": "请填写公示起始日期",
    "gsqsrq_format": "公示起始日期格式应为YYYYMMDD",
    "gsqsrq_future": "公示起始日期不能晚于当前日期",
    "yysl": "请填写异议数量",
    "yysl_format": "异议数量格式不正确，应为不小于0的整数",
    "yysl_objection": "公示期内有异议，不能办理简易注销",
    "gs_unfinished": f"公示期（{SIMPLIFIED_PERIOD_DAYS}日）未满，不能办理简易注销",
}
"""Every problem the client scripts or the server report, by key."""

CHANGE_FIELDS: Final = ("wbywh", "tyxydm", "ztmc", "jyzxm", "zjlx", "zjhm", "lxdh", "bgsx", "xztmc", "xjyzxm",
                        "xzjhm", "xjyzzs", "xjycs", "xxzqh", "xjyfw", "xzzxs", "xzczb", "xcyrs", "sqrq", "fj")
"""The 变更登记 form's fields, in the order the page shows and checks them."""

CHANGE_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "01": ("xztmc",), "02": ("xjyzxm", "xzjhm"), "03": ("xjyzzs",), "04": ("xjycs", "xxzqh"), "05": ("xjyfw",),
    "06": ("xzzxs",), "07": ("xzczb",), "08": ("xcyrs",),
}
"""变更事项 code → the fields of its new value (变更后), filled only when the item is ticked."""

CHANGE_LABELS: Final = {
    "wbywh": "外部业务号", "tyxydm": "统一社会信用代码", "ztmc": "个体工商户名称", "jyzxm": "经营者姓名",
    "zjlx": "证件类型", "zjhm": "证件号码", "lxdh": "联系电话", "bgsx": "变更事项", "xztmc": "变更后名称",
    "xjyzxm": "变更后经营者姓名", "xzjhm": "变更后经营者证件号码", "xjyzzs": "变更后经营者住所",
    "xjycs": "变更后经营场所", "xxzqh": "变更后行政区划", "xjyfw": "变更后经营范围", "xzzxs": "变更后组成形式",
    "xzczb": "变更后资金数额（万元）", "xcyrs": "变更后从业人数", "sqrq": "申请日期", "fj": "申请材料",
}

DEREGISTER_FIELDS: Final = ("wbywh", "tyxydm", "ztmc", "jyzxm", "zjlx", "zjhm", "lxdh", "zxlx", "zxyy", "qsbj",
                            "cnsx", "gsqsrq", "gsjzrq", "yysl", "sqrq", "fj")
"""The 注销登记 form's fields, in the order the page shows and checks them."""

DEREGISTER_LABELS: Final = {
    "wbywh": "外部业务号", "tyxydm": "统一社会信用代码", "ztmc": "个体工商户名称", "jyzxm": "经营者姓名",
    "zjlx": "证件类型", "zjhm": "证件号码", "lxdh": "联系电话", "zxlx": "注销类型", "zxyy": "注销原因",
    "qsbj": "清税情况", "cnsx": "承诺事项", "gsqsrq": "公示起始日期", "gsjzrq": "公示截止日期",
    "yysl": "异议数量", "sqrq": "申请日期", "fj": "申请材料",
}


@dataclass(frozen=True, slots=True)
class Upload:
    """A file posted in a multipart form."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class FormData:
    """The fields of a posted form or a query string: every value of a name, in order."""

    def __init__(self, pairs: list[tuple[str, str]] | None = None, uploads: list[Upload] | None = None) -> None:
        self.pairs = pairs or []
        self.uploads = uploads or []

    def get(self, name: str, default: str = "") -> str:
        """The first value of ``name``."""
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def getall(self, name: str) -> list[str]:
        """Every value of ``name`` (checkboxes)."""
        return [value for key, value in self.pairs if key == name]

    def upload(self, name: str) -> Upload | None:
        """The file posted as ``name``; ``None`` when no file was chosen."""
        for upload in self.uploads:
            if upload.field == name and (upload.filename or upload.data):
                return upload
        return None

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.pairs)


def decode(raw: bytes) -> str:
    """Posted bytes as text (GB 18030, a superset of GBK; bad bytes become U+FFFD)."""
    return raw.decode(FORM_CHARSET, errors="replace")


def parse_urlencoded(text: str) -> FormData:
    """``a=1&b=%D5%C5`` with GBK percent-escapes."""
    pairs = parse_qsl(text, keep_blank_values=True, encoding="latin-1")
    return FormData([(decode(k.encode("latin-1")), decode(v.encode("latin-1"))) for k, v in pairs])


_PARAM: Final = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _params(header: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _PARAM.finditer(header)}


def parse_multipart(body: bytes, content_type: str) -> FormData:
    """A ``multipart/form-data`` body: text fields decoded as GBK, files kept as bytes.

    :raises ValueError: no boundary in the content type.
    """
    boundary = _params(content_type).get("boundary")
    if not boundary:
        raise ValueError("multipart/form-data without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    form = FormData()
    chunks = body.split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in decode(head).split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = _params(";" + headers.get("content-disposition", "").partition(";")[2])
        field = params.get("name")
        if field is None:
            continue
        if "filename" in params:
            filename = re.split(r"[\\/]", params["filename"])[-1]
            form.uploads.append(Upload(field, filename, headers.get("content-type", ""), data))
        else:
            form.pairs.append((field, decode(data)))
    return form


def check_id_number(number: str, key: str = "zjhm") -> str | None:
    """The problem with an 18-character 证件号码, or ``None``; ``key`` names the field's messages."""
    if not ID_PATTERN.match(number):
        return MESSAGES[f"{key}_format"]
    if ric.calc_check_digit(number) != number[17].upper():
        return MESSAGES[f"{key}_check"]
    try:  # the birth date must exist; the 地址码 is not checked against the date of birth (stdnum's is_valid
        # does, but numbers issued after a district was created carry its code whatever the holder's age)
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return MESSAGES[f"{key}_invalid"]
    if born.year < 1900:
        return MESSAGES[f"{key}_invalid"]
    return None


def check_uscc(code: str) -> str | None:
    """The problem with a 统一社会信用代码 (upper case), or ``None``: its alphabet, then its GB 32100 check
    character (which the page's script does not check)."""
    if not USCC_PATTERN.match(code):
        return MESSAGES["tyxydm_format"]
    if uscc.calc_check_digit(code[:17]) != code[17]:
        return MESSAGES["tyxydm_check"]
    return None


def parse_date(text: str) -> dt.date | None:
    """A YYYYMMDD date, or ``None`` when ``text`` is not one."""
    if not DATE_PATTERN.match(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def check_date(text: str, today: dt.date, key: str = "sqrq") -> str | None:
    """The problem with a YYYYMMDD date (申请日期, or the field ``key``), or ``None``."""
    day = parse_date(text)
    if day is None:
        return MESSAGES[f"{key}_format"]
    if day > today:
        return MESSAGES[f"{key}_future"]
    return None


def _check_upload(form: FormData) -> tuple[Upload | None, str | None]:
    upload = form.upload("fj")
    if upload is not None:
        extension = upload.filename.rpartition(".")[2].lower() if "." in upload.filename else ""
        if extension not in UPLOAD_EXTENSIONS:
            return upload, MESSAGES["fj_type"]
        if len(upload.data) > MAX_UPLOAD:
            return upload, MESSAGES["fj_size"]
    return upload, None


def _upload_values(upload: Upload | None) -> dict[str, Any]:
    return {"upload_name": upload.filename if upload else None,
            "upload_size": len(upload.data) if upload else None,
            "upload_sha256": upload.sha256 if upload else None}


def _accept(form: FormData, text: dict[str, str], **values: Any) -> tuple[dict[str, Any], str | None]:
    """Every form's last check, of the upload; then the cleaned values: ``text``, ``values`` and the upload's."""
    upload, problem = _check_upload(form)
    if problem:
        return {}, problem
    return {**text, **values, **_upload_values(upload)}, None


def _check_required_date(text: dict[str, str], today: dt.date, key: str = "sqrq") -> str | None:
    """The problem with a required YYYYMMDD date (申请日期, or the field ``key``), or ``None``."""
    if not text[key]:
        return MESSAGES[key]
    return check_date(text[key], today, key)


def _check_operator(text: dict[str, str]) -> str | None:
    """The operator: 经营者姓名, 证件类型 and 证件号码 (upper-cased in ``text``)."""
    if not text["jyzxm"]:
        return MESSAGES["jyzxm"]
    if text["zjlx"] not in ID_TYPES:
        return MESSAGES["zjlx"]
    if not text["zjhm"]:
        return MESSAGES["zjhm"]
    problem = check_id_number(text["zjhm"])
    if problem:
        return problem
    text["zjhm"] = text["zjhm"].upper()
    return None


def validate_application(form: FormData, today: dt.date) -> tuple[dict[str, Any], str | None]:
    """Check a posted 设立登记 form field by field, as the page's ``checkForm()`` does, plus the 证件号码 check digit.

    :returns: the cleaned values (with the upload's name, size and sha256) and the first problem, or ``None``.
    """
    values: dict[str, Any] = {}
    text = {name: form.get(name).strip() for name in FIELDS if name not in ("jyfw", "fj")}
    if not text["wbywh"]:
        return values, MESSAGES["wbywh"]
    problem = _check_operator(text)
    if problem:
        return values, problem
    if not text["lxdh"]:
        return values, MESSAGES["lxdh"]
    if not PHONE_PATTERN.match(text["lxdh"]):
        return values, MESSAGES["lxdh_format"]
    if not text["jyzzs"]:
        return values, MESSAGES["jyzzs"]
    if text["zzxs"] not in FORMS:
        return values, MESSAGES["zzxs"]
    if text["xzqh"] not in DIVISIONS:
        return values, MESSAGES["xzqh"]
    if not text["jycs"]:
        return values, MESSAGES["jycs"]
    scope = form.getall("jyfw")
    if not scope:
        return values, MESSAGES["jyfw"]
    labels = scope_labels()
    if any(code not in labels for code in scope):
        return values, MESSAGES["jyfw_code"]
    if not text["zczb"]:
        return values, MESSAGES["zczb"]
    if not AMOUNT_PATTERN.match(text["zczb"]):
        return values, MESSAGES["zczb_format"]
    if not text["cyrs"]:
        return values, MESSAGES["cyrs"]
    if not COUNT_PATTERN.match(text["cyrs"]):
        return values, MESSAGES["cyrs_format"]
    problem = _check_required_date(text, today)
    if problem:
        return values, problem
    return _accept(form, text, jyfw=list(dict.fromkeys(scope)), cyrs=int(text["cyrs"]))


def _check_registered(text: dict[str, str]) -> str | None:
    """变更 and 注销: the reference and the registered business and operator (the 联系电话 is optional there:
    the registered operator's number is on file). Upper-cases the 统一社会信用代码 and 证件号码 in ``text``."""
    if not text["wbywh"]:
        return MESSAGES["wbywh"]
    text["tyxydm"] = text["tyxydm"].upper()
    if not text["tyxydm"]:
        return MESSAGES["tyxydm"]
    problem = check_uscc(text["tyxydm"])
    if problem:
        return problem
    problem = _check_operator(text)
    if problem:
        return problem
    if text["lxdh"] and not PHONE_PATTERN.match(text["lxdh"]):
        return MESSAGES["lxdh_format"]
    return None


def _check_change_item(code: str, text: dict[str, str], scope: list[str]) -> str | None:
    """The problem with the new value (变更后) of a ticked 变更事项, or ``None``."""
    if code == "01" and not text["xztmc"]:
        return MESSAGES["xztmc"]
    if code == "02":
        if not text["xjyzxm"]:
            return MESSAGES["xjyzxm"]
        if not text["xzjhm"]:
            return MESSAGES["xzjhm"]
        problem = check_id_number(text["xzjhm"], "xzjhm")
        if problem:
            return problem
        text["xzjhm"] = text["xzjhm"].upper()
        if text["xzjhm"] == text["zjhm"]:
            return MESSAGES["xzjhm_same"]
    if code == "03" and not text["xjyzzs"]:
        return MESSAGES["xjyzzs"]
    if code == "04":
        if not text["xjycs"]:
            return MESSAGES["xjycs"]
        if text["xxzqh"] not in DIVISIONS:
            return MESSAGES["xxzqh"]
    if code == "05":
        if not scope:
            return MESSAGES["xjyfw"]
        labels = scope_labels()
        if any(item not in labels for item in scope):
            return MESSAGES["xjyfw_code"]
    if code == "06" and text["xzzxs"] not in FORMS:
        return MESSAGES["xzzxs"]
    if code == "07":
        if not text["xzczb"]:
            return MESSAGES["xzczb"]
        if not AMOUNT_PATTERN.match(text["xzczb"]):
            return MESSAGES["xzczb_format"]
    if code == "08":
        if not text["xcyrs"]:
            return MESSAGES["xcyrs"]
        if not COUNT_PATTERN.match(text["xcyrs"]):
            return MESSAGES["xcyrs_format"]
    return None


def validate_change(form: FormData, today: dt.date) -> tuple[dict[str, Any], str | None]:
    """Check a posted 变更登记 form field by field, as the page's ``checkForm()`` does, plus the check characters of
    the 统一社会信用代码 and the 证件号码s.

    The new value (变更后) of each ticked 变更事项 is required; a new value of an item that is not ticked is refused.

    :returns: the cleaned values (``bgsx`` and ``xjyfw`` as lists of codes, ``xcyrs`` an int or ``None``, the
        upload's name, size and sha256) and the first problem, or ``None``.
    """
    values: dict[str, Any] = {}
    text = {name: form.get(name).strip() for name in CHANGE_FIELDS if name not in ("bgsx", "xjyfw", "fj")}
    problem = _check_registered(text)
    if problem:
        return values, problem
    items = form.getall("bgsx")
    if not items:
        return values, MESSAGES["bgsx"]
    if any(code not in CHANGE_ITEMS for code in items):
        return values, MESSAGES["bgsx_code"]
    scope = form.getall("xjyfw")
    for code, names in CHANGE_VALUES.items():
        if code in items:
            problem = _check_change_item(code, text, scope)
            if problem:
                return values, problem
        elif any(scope if name == "xjyfw" else text[name] for name in names):
            return values, MESSAGES[f"bgsx_{code}_unticked"]
    problem = _check_required_date(text, today)
    if problem:
        return values, problem
    return _accept(form, text, bgsx=[code for code in CHANGE_ITEMS if code in items],
                   xjyfw=list(dict.fromkeys(scope)), xcyrs=int(text["xcyrs"]) if text["xcyrs"] else None)


def validate_deregistration(form: FormData, today: dt.date) -> tuple[dict[str, Any], str | None]:
    """Check a posted 注销登记 form field by field, as the page's ``checkForm()`` does, plus the check characters of
    the 统一社会信用代码 and the 证件号码.

    普通注销 needs 清税 done. 简易注销 needs every 承诺事项 ticked, a 注销原因 other than revocation, the 公示起始日期
    (for a 个体工商户 the day the application was pushed to 税务等有关部门), no objection, and a 申请日期 on or after
    the end of the 10-day period; its 公示 fields are ignored (stored empty) for 普通注销.

    :returns: the cleaned values (``qsbj`` a bool, ``cnsx`` a list of codes, ``gsjzrq`` computed, ``yysl`` an int
        or ``None``, the upload's name, size and sha256) and the first problem, or ``None``.
    """
    values: dict[str, Any] = {}
    text = {name: form.get(name).strip() for name in DEREGISTER_FIELDS if name not in ("qsbj", "cnsx", "fj")}
    problem = _check_registered(text)
    if problem:
        return values, problem
    if text["zxlx"] not in DEREGISTER_KINDS:
        return values, MESSAGES["zxlx"]
    simplified = text["zxlx"] == "2"
    if text["zxyy"] not in DEREGISTER_REASONS:
        return values, MESSAGES["zxyy"]
    if simplified and text["zxyy"] == "02":
        return values, MESSAGES["zxyy_simplified"]
    cleared = form.get("qsbj") == "1"
    if not simplified and not cleared:
        return values, MESSAGES["qsbj"]
    commitments = form.getall("cnsx")
    if any(code not in COMMITMENTS for code in commitments):
        return values, MESSAGES["cnsx_code"]
    end: dt.date | None = None
    if simplified:
        if set(commitments) != set(COMMITMENTS):
            return values, MESSAGES["cnsx_all"]
        problem = _check_required_date(text, today, "gsqsrq")
        if problem:
            return values, problem
        start = parse_date(text["gsqsrq"])
        assert start is not None  # check_date accepted it
        end = start + dt.timedelta(days=SIMPLIFIED_PERIOD_DAYS)
        if not text["yysl"]:
            return values, MESSAGES["yysl"]
        if not COUNT_PATTERN.match(text["yysl"]):
            return values, MESSAGES["yysl_format"]
        if int(text["yysl"]) > 0:
            return values, MESSAGES["yysl_objection"]
    problem = _check_required_date(text, today)
    if problem:
        return values, problem
    if end is not None and text["sqrq"] < f"{end:%Y%m%d}":
        return values, MESSAGES["gs_unfinished"]
    return _accept(form, text, qsbj=cleared, cnsx=[code for code in COMMITMENTS if code in commitments],
                   gsqsrq=text["gsqsrq"] if simplified else "", gsjzrq=f"{end:%Y%m%d}" if end is not None else "",
                   yysl=int(text["yysl"]) if simplified else None)
