"""Reading posted forms (GBK, urlencoded or multipart) and the server-side checks of the 设立登记 form."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from stdnum.cn import ric

from govauto.testing.legacy_portal.catalogue import DIVISIONS, FORMS, ID_TYPES, scope_labels

FORM_CHARSET: Final = "gb18030"
"""How posted bytes are decoded: browsers post a GBK page's forms in GBK, which GB 18030 extends."""

MAX_UPLOAD: Final = 10 * 1024 * 1024
UPLOAD_EXTENSIONS: Final = ("pdf", "jpg", "jpeg", "png")

ID_PATTERN: Final = re.compile(r"^\d{17}[\dXx]$")
PHONE_PATTERN: Final = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
AMOUNT_PATTERN: Final = re.compile(r"^\d+(\.\d{1,4})?$")
COUNT_PATTERN: Final = re.compile(r"^\d+$")
DATE_PATTERN: Final = re.compile(r"^\d{8}$")

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
}
"""Every problem the client script or the server reports, by key."""


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


def check_id_number(number: str) -> str | None:
    """The problem with an 18-character 证件号码, or ``None``."""
    if not ID_PATTERN.match(number):
        return MESSAGES["zjhm_format"]
    if ric.calc_check_digit(number) != number[17].upper():
        return MESSAGES["zjhm_check"]
    try:  # the birth date must exist; the 地址码 is not checked against the date of birth (stdnum's is_valid
        # does, but numbers issued after a district was created carry its code whatever the holder's age)
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return MESSAGES["zjhm_invalid"]
    if born.year < 1900:
        return MESSAGES["zjhm_invalid"]
    return None


def check_date(text: str, today: dt.date) -> str | None:
    """The problem with a YYYYMMDD 申请日期, or ``None``."""
    if not DATE_PATTERN.match(text):
        return MESSAGES["sqrq_format"]
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return MESSAGES["sqrq_format"]
    if day > today:
        return MESSAGES["sqrq_future"]
    return None


def validate_application(form: FormData, today: dt.date) -> tuple[dict[str, Any], str | None]:
    """Check a posted 设立登记 form field by field, as the page's ``checkForm()`` does, plus the 证件号码 check digit.

    :returns: the cleaned values (with the upload's name, size and sha256) and the first problem, or ``None``.
    """
    values: dict[str, Any] = {}
    text = {name: form.get(name).strip() for name in FIELDS if name not in ("jyfw", "fj")}
    for name in ("wbywh", "jyzxm"):
        if not text[name]:
            return values, MESSAGES[name]
    if text["zjlx"] not in ID_TYPES:
        return values, MESSAGES["zjlx"]
    if not text["zjhm"]:
        return values, MESSAGES["zjhm"]
    problem = check_id_number(text["zjhm"])
    if problem:
        return values, problem
    text["zjhm"] = text["zjhm"].upper()
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
    if not text["sqrq"]:
        return values, MESSAGES["sqrq"]
    problem = check_date(text["sqrq"], today)
    if problem:
        return values, problem
    upload = form.upload("fj")
    if upload is not None:
        extension = upload.filename.rpartition(".")[2].lower() if "." in upload.filename else ""
        if extension not in UPLOAD_EXTENSIONS:
            return values, MESSAGES["fj_type"]
        if len(upload.data) > MAX_UPLOAD:
            return values, MESSAGES["fj_size"]
    values.update(text)
    values["jyfw"] = list(dict.fromkeys(scope))
    values["cyrs"] = int(text["cyrs"])
    values["upload_name"] = upload.filename if upload else None
    values["upload_size"] = len(upload.data) if upload else None
    values["upload_sha256"] = upload.sha256 if upload else None
    return values, None
