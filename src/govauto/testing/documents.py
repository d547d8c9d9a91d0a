"""Synthetic application materials for 个体工商户设立, 变更 and 注销登记: forms, ID cards, leases and the like, rendered
from a case.

Tests, examples and benchmarks of the extractors need materials that look like what applicants upload, without
any real personal data. :func:`generate_document` renders one document from a case mapping (the case contract
dict, see :mod:`govauto.model`); :func:`generate_materials` renders the documents a case needs. Every document
is marked 样本 (SAMPLE) and comes with its *truth*: the field values printed on it, by field name.

The person on the documents is the case's ``applicant`` (设立) or its registered ``operator`` (变更, 注销). The
application form of a 变更 or 注销 case is the same 个体工商户登记申请书 with its 变更 or 注销 part: the registered
business (统一社会信用代码), then the changes (原登记内容 → 变更后内容), or the kind of 注销, its reason and the
operator's 承诺; a change of premises gets a lease (or property certificate) of the new premises, a change to
家庭经营 a household register, and an agent an authorisation for the matter.

Output is reproducible: the same case, kind, variant and seed give byte-identical files. Values the case lacks
(a lessor, a premises address, ...) are invented from the seed, the same way for every kind and variant, so an
application form and a lease generated with one seed agree.

Variants:

``clean``
    Forms, leases, property certificates and authorisations are text-layer PDFs (reportlab, CID font
    ``STSong-Light``); ID cards and household register pages are PNG images (Pillow, Noto Sans CJK). A household
    register has one page per family member, then the operator's own page as 户主; as a PNG the pages are
    stacked top to bottom.
``scanned``
    The page images rotated by up to 3°, blurred, noisy, lower in contrast, with JPEG artefacts: a JPEG for
    ID cards and single household register pages, an image-only PDF (no text layer) for A4 documents.
``photographed``
    The page photographed on a desk: perspective, uneven lighting, blur, JPEG quality about 70, and sometimes
    an EXIF Orientation tag with the pixels rotated to match (upright when the tag is honoured). A JPEG for
    single-page documents, an image-only PDF of the photos for multi-page ones.

The printed labels are the ones extraction templates anchor on; see :data:`FIELDS` for the truth keys of each
kind and :func:`printed` for how a truth value appears on the page (dates in ``truth`` are ISO, on the page
they are ``2026年1月5日`` or, on the back of an ID card, ``2026.01.05``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import random
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from govauto.errors import GovautoError

VARIANTS = ("clean", "scanned", "photographed")
"""How a document was captured."""

KINDS = (
    "application_form", "id_card_front", "id_card_back", "lease", "property_certificate", "household_register",
    "authorisation", "tax_clearance",
)
"""The kinds of document this module renders."""

MATERIAL_KINDS: dict[str, str] = {
    "application_form": "application_form",
    "id_card_front": "id_card",
    "id_card_back": "id_card",
    "lease": "premises_proof",
    "property_certificate": "premises_proof",
    "household_register": "family_relation_proof",
    "authorisation": "authorisation",
    "tax_clearance": "other",
}
"""The case material kind (``materials[].kind``) each document kind serves."""

FIELDS: dict[str, tuple[str, ...]] = {
    "application_form": ("name", "id_number", "phone", "address", "business_name", "organisation", "scope",
                         "premises_address", "capital", "employees", "date"),
    "id_card_front": ("name", "sex", "ethnicity", "birth", "address", "id_number"),
    "id_card_back": ("authority", "valid_from", "valid_until"),
    "lease": ("lessor", "lessor_id", "lessee", "lessee_id", "address", "start", "end", "rent"),
    "property_certificate": ("owner", "address", "unit_number", "area"),
    "household_register": ("name", "relation", "id_number"),
    "authorisation": ("principal", "principal_id", "agent", "agent_id", "start", "end"),
    "tax_clearance": ("taxpayer", "taxpayer_id", "authority", "date"),
}
"""The truth keys of each kind. A family-run application form also has ``family_members`` (names joined by 、); the
application forms of 变更 and 注销 cases have the keys of :data:`APPLICATION_FORM_FIELDS` instead."""

APPLICATION_FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "sole_proprietor.establish": FIELDS["application_form"],
    "sole_proprietor.change": ("name", "id_number", "phone", "business_name", "uscc", "changes", "date"),
    "sole_proprietor.deregister": ("name", "id_number", "phone", "business_name", "uscc", "procedure", "reason",
                                   "commitments", "date"),
}
"""The truth keys of the application form of each matter. ``changes`` is every change as ``事项：原→新`` joined
by ；, ``commitments`` the 承诺 made (their numbers, joined by 、); a 简易注销 form also has ``pushed_on``."""

DATE_FIELDS = frozenset({"birth", "date", "start", "end", "valid_from", "valid_until", "pushed_on"})
"""Truth keys whose values are ISO dates (``valid_until`` may also be 长期)."""

WATERMARK = "样本"
"""The mark every generated document carries."""

FORMATS = ("pdf", "png", "jpeg")

_PDF_KINDS = frozenset({"application_form", "lease", "property_certificate", "authorisation", "tax_clearance"})
_SUFFIX = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg"}
_SUFFIX_FORMAT = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
_RASTER_DPI = 200
_PDF_FONT = "STSong-Light"

RGB = tuple[int, int, int]
FloatArray = npt.NDArray[np.float32]


class FontUnavailableError(GovautoError):
    """A font the generator draws images with is not installed."""


@dataclass
class GeneratedDocument:
    """One generated material and what is printed on it."""

    kind: str
    """One of :data:`KINDS`."""
    material_kind: str
    """The case material kind it serves: ``application_form``, ``id_card``, ``premises_proof``,
    ``family_relation_proof`` or ``authorisation``."""
    path: Path
    variant: str
    """One of :data:`VARIANTS`."""
    truth: dict[str, str] = field(default_factory=dict)
    """The field values printed on it, by field name (:data:`FIELDS`); dates ISO, see :func:`printed`."""


# ---- public API ---------------------------------------------------------------------------------------------


def generate_document(
    kind: str,
    case: Mapping[str, Any],
    out: Path,
    *,
    variant: str = "clean",
    seed: int = 0,
    overrides: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> GeneratedDocument:
    """Render one document of ``kind`` for ``case`` and write it to ``out``.

    ``out`` is the file to write; its suffix is set to the format's (``.pdf``, ``.png``, ``.jpg``). When ``out``
    is an existing directory the file is ``out/<kind>.<suffix>``. The format is ``fmt`` if given, else the
    suffix of ``out`` if it names one, else the kind's and variant's default (see the module docstring). A PDF
    kind asked for as an image is rendered at 200 dpi, its pages stacked top to bottom; an image kind asked for
    as a PDF becomes an image-only PDF.

    ``overrides`` prints other values than the case's, by truth key (e.g. ``{"id_number": "..."}``), to plant
    mismatches; the returned truth has them.

    :raises ValueError: for an unknown kind, variant, format or override key.
    :raises FontUnavailableError: when an image is needed and no Noto CJK font is installed.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    out = Path(out)
    if out.is_dir():
        out = out / kind
    if fmt is None and out.suffix.lower() in _SUFFIX_FORMAT:
        fmt = _SUFFIX_FORMAT[out.suffix.lower()]
    if fmt is not None:
        fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")

    facts = _facts(case, seed)
    rng = random.Random(f"govauto.documents:{seed}:{kind}")
    truth, extra = _TRUTH[kind](facts, rng)
    if overrides:
        unknown = sorted(set(overrides) - set(truth))
        if unknown:
            raise ValueError(f"unknown field(s) for {kind}: {', '.join(unknown)}; expected {', '.join(truth)}")
        truth.update({key: str(value) for key, value in overrides.items()})

    pdf: bytes | None = None
    if kind in _PDF_KINDS:
        pdf = _PDF_RENDER[kind](truth, extra, random.Random(f"govauto.documents:{seed}:{kind}:layout"))
        pages: list[Image.Image] | None = None
    else:
        pages = _IMAGE_RENDER[kind](truth, extra, random.Random(f"govauto.documents:{seed}:{kind}:layout"))

    if fmt is None:
        fmt = _default_format(kind, variant, pages, pdf)
    out = out.with_suffix(_SUFFIX[fmt])
    out.parent.mkdir(parents=True, exist_ok=True)

    if variant == "clean" and fmt == "pdf" and pdf is not None:
        out.write_bytes(pdf)
    else:
        images = pages if pages is not None else _rasterize(pdf or b"")
        vrng = random.Random(f"govauto.documents:{seed}:{kind}:{variant}")
        _write_images(images, out, fmt, variant, vrng, card=kind.startswith("id_card"), title=kind)
    return GeneratedDocument(kind, MATERIAL_KINDS[kind], out, variant, truth)


def generate_materials(
    case: Mapping[str, Any],
    out_dir: Path,
    *,
    variant: str = "clean",
    seed: int = 0,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> list[GeneratedDocument]:
    """Render the documents ``case`` needs into ``out_dir`` (created if missing), one file per kind.

    Always the application form and both sides of the operator's ID card; a lease for physical (not online)
    premises, or a property certificate when the premises proof is ``ownership`` (for a 变更 case: its new
    premises); a household register page for a family business (``organisation: family``, or a change to it);
    an authorisation letter when there is an agent; the tax authority's 清税证明 for a 普通注销 with
    ``tax_clearance: true`` (material kind ``other``). ``overrides`` is by kind: ``{"lease": {"lessee": "李四"}}``.

    :raises ValueError: for an unknown variant, or an override of a kind the case does not need.
    """
    kinds = ["application_form", "id_card_front", "id_card_back"]
    physical = [p for p in _premises(case) if _text(p.get("kind")) != "online"]
    if physical:
        kinds.append("property_certificate" if _text(physical[0].get("proof")) == "ownership" else "lease")
    if _organisation(case) == "family":
        kinds.append("household_register")
    if isinstance(case.get("agent"), Mapping):
        kinds.append("authorisation")
    if (_matter(case) == "sole_proprietor.deregister" and _text(case.get("procedure")) == "ordinary"
            and case.get("tax_clearance") is True):
        kinds.append("tax_clearance")
    overrides = overrides or {}
    unused = sorted(set(overrides) - set(kinds))
    if unused:
        raise ValueError(f"overrides for kinds this case does not need: {', '.join(unused)} (needs {', '.join(kinds)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        generate_document(kind, case, out_dir / kind, variant=variant, seed=seed, overrides=overrides.get(kind))
        for kind in kinds
    ]


def printed(kind: str, key: str, value: str) -> str:
    """How the truth value ``value`` of field ``key`` appears on a ``kind`` document.

    Dates are ISO in ``truth``; on the page they read ``2026年1月5日``, except the validity dates on the back of
    an ID card, ``2026.01.05`` (or 长期). Other values are printed as they are.
    """
    if key not in DATE_FIELDS:
        return value
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        return value
    if kind == "id_card_back":
        return f"{date:%Y.%m.%d}"
    return cn_date(date)


def cn_date(date: dt.date) -> str:
    """``2026年1月5日``."""
    return f"{date.year}年{date.month}月{date.day}日"


# ---- facts: the case's values, and invented ones ----------------------------------------------------------

_DIVISIONS: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    # division: (area, ID-issuing police bureau, province abbreviation, city, streets)
    "440305": ("广东省深圳市南山区", "深圳市公安局南山分局", "粤", "深圳市", ("南头街道", "粤海街道", "桃源街道")),
    "440304": ("广东省深圳市福田区", "深圳市公安局福田分局", "粤", "深圳市", ("福田街道", "华强北街道", "莲花街道")),
    "440306": ("广东省深圳市宝安区", "深圳市公安局宝安分局", "粤", "深圳市", ("新安街道", "西乡街道")),
    "110101": ("北京市东城区", "北京市公安局东城分局", "京", "北京市", ("东华门街道", "景山街道", "和平里街道")),
    "110105": ("北京市朝阳区", "北京市公安局朝阳分局", "京", "北京市", ("建外街道", "三里屯街道")),
    "320583": ("江苏省苏州市昆山市", "昆山市公安局", "苏", "昆山市", ("玉山镇", "周市镇", "陆家镇")),
    "310115": ("上海市浦东新区", "上海市公安局浦东分局", "沪", "上海市", ("潍坊新村街道", "陆家嘴街道")),
    "330106": ("浙江省杭州市西湖区", "杭州市公安局西湖区分局", "浙", "杭州市", ("北山街道", "西溪街道")),
}
_SURNAMES = "张王李赵陈刘杨黄周吴徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海云波斌宇浩凯鹏辉晓婷雪琳"
_ROADS = ("桃园路", "南山大道", "创业路", "学府路", "前进路", "建设路", "人民路", "中山路", "解放路", "文化路",
          "新华路", "光明街", "兴华路", "永安街")


@dataclass(frozen=True)
class _Person:
    name: str
    id_number: str


_CHANGE_LABELS = {"name": "名称", "operator": "经营者", "operator_address": "经营者住所", "premises": "经营场所",
                  "scope": "经营范围", "organisation": "组成形式", "capital": "资金数额（元）", "employees": "从业人数"}
_ORGANISATIONS = {"individual": "个人经营", "family": "家庭经营"}
_COMMITMENTS = (
    ("taxes_settled", "未发生或已结清税款（滞纳金、罚款）"),
    ("debts_settled", "未发生或已结清债权债务"),
    ("no_pending_penalty", "无尚未执行完毕的行政处罚"),
    ("not_under_investigation", "未被立案调查、采取行政强制，未处于诉讼或仲裁程序"),
    ("not_on_abnormal_list", "未被列入经营异常名录"),
    ("not_on_dishonest_list", "未被列入严重违法失信名单"),
    ("not_revoked", "未被吊销营业执照、责令关闭或者撤销"),
)
"""The 承诺 of a 注销 application, as the case's ``declarations`` name them, in the order the form prints them."""
_MATTER_TITLES = {"sole_proprietor.establish": "设立登记", "sole_proprietor.change": "变更登记",
                  "sole_proprietor.deregister": "注销登记"}


def _matter(case: Mapping[str, Any]) -> str:
    matter = _text(case.get("matter"))
    if matter in _MATTER_TITLES:
        return matter
    return "sole_proprietor.change" if "changes" in case else (
        "sole_proprietor.deregister" if "procedure" in case else "sole_proprietor.establish")


def _premises(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The premises the documents show: a 设立 case's, or the new premises of a 变更 case."""
    return _list(_map(case.get("business")).get("premises")) or _list(case.get("premises"))


def _organisation(case: Mapping[str, Any]) -> str:
    """``family`` or ``individual``: a 设立 case's 组成形式, or a 变更 case's new (or registered) one."""
    if _text(case.get("organisation")):
        return _text(case.get("organisation"))
    for change in _list(case.get("changes")):
        if _text(change.get("item")) == "organisation":
            new = _text(change.get("new"))
            return {"家庭经营": "family", "个人经营": "individual"}.get(new, new) or "individual"
    return _text(_map(case.get("business")).get("organisation")) or "individual"


def _change_rows(case: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """A 变更 case's changes as (事项, 原登记内容, 变更后内容); the new premises, scope and operator come from the
    case's own lists, as the contract says."""
    premises = _premises(case)
    new_operator = _map(case.get("new_operator"))
    rows = []
    for change in _list(case.get("changes")):
        item = _text(change.get("item"))
        new = _text(change.get("new"))
        if item == "scope" and case.get("scope"):
            new = "、".join(_text(term) for term in case.get("scope") or [] if _text(term))
        elif item == "premises" and premises:
            new = _text(premises[0].get("address")) or _text(premises[0].get("url")) or new
        elif item == "operator" and new_operator:
            new = f"{_text(new_operator.get('name'))}（{_text(new_operator.get('id_number'))}）"
        old = _text(change.get("old"))
        if item == "organisation":
            old, new = _ORGANISATIONS.get(old, old), _ORGANISATIONS.get(new, new)
        rows.append((_CHANGE_LABELS.get(item, item), old, new))
    return tuple(rows)


@dataclass(frozen=True)
class _Facts:
    """The values documents print, from the case or invented from the seed."""

    name: str
    id_number: str
    sex: str
    birth: dt.date
    phone: str
    address: str
    id_valid_from: dt.date
    id_valid_until: str  # ISO or 长期
    id_authority: str
    business_name: str
    organisation: str  # individual | family
    scope: str
    premises_address: str  # as the form prints it (an address, or an online shop's URL)
    physical_address: str  # the physical premises' address, invented when the case has none
    capital: str
    employees: str
    submitted: dt.date
    family: tuple[tuple[str, str, str], ...]  # (name, id_number, relation)
    agent: _Person
    division: str
    lessor: _Person
    rent: int
    area: float
    seed: int
    matter: str = "sole_proprietor.establish"
    uscc: str = ""
    changes: tuple[tuple[str, str, str], ...] = ()
    """变更: (事项, 原登记内容, 变更后内容) per change."""
    procedure: str = ""
    """注销: 普通注销 or 简易注销."""
    reason: str = ""
    commitments: tuple[tuple[str, bool | None], ...] = ()
    """注销: each 承诺's text and whether it was made (``None``: not declared)."""
    pushed_on: str = ""
    """简易注销: the ISO day the application was pushed to 税务等有关部门 (the start of the 公示)."""


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list | tuple) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random, birth: dt.date, region: str) -> str:
    from stdnum.cn import ric

    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + str(ric.calc_check_digit(body + "0"))


def _birth_of(id_number: str) -> dt.date | None:
    digits = {18: (6, 14, ""), 15: (6, 12, "19")}.get(len(id_number))
    if digits is None:
        return None
    start, end, century = digits
    try:
        return dt.datetime.strptime(century + id_number[start:end], "%Y%m%d").date()
    except ValueError:
        return None


def _sex_of(id_number: str) -> str | None:
    index = {18: 16, 15: 14}.get(len(id_number))
    if index is None or not id_number[index].isdigit():
        return None
    return "男" if int(id_number[index]) % 2 else "女"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value)[:10])
    except ValueError:
        return None


def _submitted(value: Any) -> dt.date:
    china = dt.timezone(dt.timedelta(hours=8))
    moment: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        return _date(value) or dt.date(2026, 1, 15)
    return (moment if moment.tzinfo is None else moment.astimezone(china)).date()


def _years_before(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year - years)
    except ValueError:  # 29 February
        return date.replace(year=date.year - years, day=28)


def _id_authority(id_number: str, division: str) -> str:
    if id_number[:6] in _DIVISIONS:
        return _DIVISIONS[id_number[:6]][1]
    if re.fullmatch(r"\d{6}", id_number[:6]):
        try:
            from stdnum.cn import ric

            county = str(ric.get_birth_place(id_number[:6] + "19900101001X").get("county", ""))
        except Exception:  # unknown division code
            county = ""
        if county.endswith(("市", "县")):
            return f"{county}公安局"
    return _DIVISIONS[division][1]


def _facts(case: Mapping[str, Any], seed: int) -> _Facts:
    # Every invented value is drawn whether or not the case has it, so one gap does not shift the others.
    rng = random.Random(f"govauto.documents:{seed}:facts")
    matter = _matter(case)
    applicant = _map(case.get("applicant")) or _map(case.get("operator"))  # 变更 and 注销: the registered operator
    business = _map(case.get("business"))
    division = _text(_map(case.get("authority")).get("division"))
    division = division if division in _DIVISIONS else "440305"
    area, _, _, _, streets = _DIVISIONS[division]
    submitted = _submitted(case.get("submitted_at"))

    def address() -> str:
        return f"{area}{rng.choice(streets)}{rng.choice(_ROADS)}{rng.randrange(1, 300)}号"

    invented_birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))
    invented = _Person(_person_name(rng), _id_number(rng, invented_birth, division))
    invented_phone = f"13{rng.randrange(10)}{rng.randrange(10**8):08d}"
    invented_home, invented_premises = address(), address() + f"{rng.randrange(1, 30)}号铺"
    invented_valid = submitted + dt.timedelta(days=rng.randrange(365, 3650))
    long_term_from = submitted - dt.timedelta(days=rng.randrange(200, 4000))
    agent_birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(365 * 30))
    invented_agent = _Person(_person_name(rng), _id_number(rng, agent_birth, division))
    lessor_birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))
    lessor = _Person(_person_name(rng), _id_number(rng, lessor_birth, division))
    rent = rng.randrange(15, 200) * 100
    floor_area = round(rng.uniform(18, 160), 2)
    invented_sex = rng.choice(("男", "女"))

    name = _text(applicant.get("name")) or invented.name
    id_number = _text(applicant.get("id_number")) or invented.id_number
    birth = _birth_of(id_number) or invented_birth
    valid_until: dt.date | str | None = _text(applicant.get("id_valid_until"))
    if valid_until in ("长期", "长期有效"):
        valid_until, valid_from = "长期", long_term_from
    else:
        valid_until = _date(applicant.get("id_valid_until")) or invented_valid
        young = (_years_before(valid_until, 10) - birth).days < 26 * 365.25
        valid_from = _years_before(valid_until, 10 if young else 20)

    premises = _premises(case)
    shown = [_text(p.get("address")) or _text(p.get("url")) for p in premises]
    physical = [p for p in premises if _text(p.get("kind")) != "online"]
    physical_address = (_text(physical[0].get("address")) if physical else "") or invented_premises
    scope = "、".join(s for s in (_text(item) for item in business.get("scope") or case.get("scope") or []) if s)
    declarations = _map(case.get("declarations"))
    revoked = declarations.get("not_revoked") is False
    family = tuple(
        (_text(m.get("name")), _text(m.get("id_number")), _text(m.get("relation")))
        for m in _list(case.get("family_members"))
    )
    agent_data = _map(case.get("agent"))
    agent = _Person(_text(agent_data.get("name")) or invented_agent.name,
                    _text(agent_data.get("id_number")) or invented_agent.id_number)
    return _Facts(
        name=name,
        id_number=id_number,
        sex=_sex_of(id_number) or invented_sex,
        birth=birth,
        phone=_text(applicant.get("phone")) or invented_phone,
        address=_text(applicant.get("address")) or invented_home,
        id_valid_from=valid_from,
        id_valid_until=valid_until if isinstance(valid_until, str) else valid_until.isoformat(),
        id_authority=_id_authority(id_number, division),
        business_name=_text(business.get("name")),
        organisation=_organisation(case),
        scope=scope,
        premises_address=next((s for s in shown if s), ""),
        physical_address=physical_address,
        capital=_text(business.get("capital")),
        employees=_text(business.get("employees")),
        submitted=submitted,
        family=family,
        agent=agent,
        division=division,
        lessor=lessor,
        rent=rent,
        area=floor_area,
        seed=seed,
        matter=matter,
        uscc=_text(business.get("uscc")),
        changes=_change_rows(case),
        procedure={"ordinary": "普通注销", "simplified": "简易注销"}.get(_text(case.get("procedure")), ""),
        reason="依法被吊销营业执照、责令关闭或者被撤销" if revoked else "经营者决定停止经营",
        commitments=tuple((text, declarations.get(key) if isinstance(declarations.get(key), bool) else None)
                          for key, text in _COMMITMENTS),
        pushed_on=_text(_map(case.get("simplified")).get("pushed_on"))[:10],
    )


# ---- truth: what each kind prints -----------------------------------------------------------------------------

Extra = dict[str, Any]


def _truth_application_form(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    if f.matter == "sole_proprietor.change":
        return _truth_change_form(f, rng)
    if f.matter == "sole_proprietor.deregister":
        return _truth_deregister_form(f, rng)
    truth = {
        "name": f.name, "id_number": f.id_number, "phone": f.phone, "address": f.address,
        "business_name": f.business_name, "organisation": "家庭经营" if f.organisation == "family" else "个人经营",
        "scope": f.scope, "premises_address": f.premises_address, "capital": f.capital, "employees": f.employees,
        "date": f.submitted.isoformat(),
    }
    if f.organisation == "family":
        truth["family_members"] = "、".join(name for name, _, _ in f.family if name)
    return truth, {"number": f"{f.division}-{f.submitted:%Y%m%d}-{rng.randrange(10**4):04d}"}


def _truth_change_form(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    truth = {"name": f.name, "id_number": f.id_number, "phone": f.phone, "business_name": f.business_name,
             "uscc": f.uscc, "changes": "；".join(f"{item}：{old or '无'}→{new}" for item, old, new in f.changes),
             "date": f.submitted.isoformat()}
    return truth, {"number": f"{f.division}-{f.submitted:%Y%m%d}-{rng.randrange(10**4):04d}", "form": "change",
                   "rows": f.changes}


def _truth_deregister_form(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    made = [str(n) for n, (_, value) in enumerate(f.commitments, start=1) if value is True]
    truth = {"name": f.name, "id_number": f.id_number, "phone": f.phone, "business_name": f.business_name,
             "uscc": f.uscc, "procedure": f.procedure or "普通注销", "reason": f.reason,
             "commitments": "、".join(made), "date": f.submitted.isoformat()}
    if f.pushed_on and f.procedure == "简易注销":
        truth["pushed_on"] = f.pushed_on
    return truth, {"number": f"{f.division}-{f.submitted:%Y%m%d}-{rng.randrange(10**4):04d}", "form": "deregister",
                   "commitments": f.commitments}


def _truth_id_card_front(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    return {"name": f.name, "sex": f.sex, "ethnicity": "汉", "birth": f.birth.isoformat(), "address": f.address,
            "id_number": f.id_number}, {}


def _truth_id_card_back(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    return {"authority": f.id_authority, "valid_from": f.id_valid_from.isoformat(),
            "valid_until": f.id_valid_until}, {}


def _truth_lease(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    start = f.submitted - dt.timedelta(days=rng.randrange(20, 300))
    years = rng.choice((1, 2, 3, 3, 5))
    end = start.replace(year=start.year + years) - dt.timedelta(days=1) if (start.month, start.day) != (2, 29) \
        else dt.date(start.year + years, 2, 28)
    signed = start - dt.timedelta(days=rng.randrange(1, 15))
    truth = {"lessor": f.lessor.name, "lessor_id": f.lessor.id_number, "lessee": f.name, "lessee_id": f.id_number,
             "address": f.physical_address, "start": start.isoformat(), "end": end.isoformat(), "rent": str(f.rent)}
    return truth, {"signed": signed, "area": f.area, "deposit": f.rent * rng.choice((1, 2, 3)),
                   "pay_day": rng.choice((1, 5, 10, 15))}


def _truth_property_certificate(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    unit = f"{f.division}{rng.randrange(1, 20):03d}{rng.randrange(1, 30):03d}GB{rng.randrange(10**5):05d}" \
           f"F{rng.randrange(1, 10):04d}{rng.randrange(1, 40):02d}{rng.randrange(1, 20):02d}"
    registered = f.submitted - dt.timedelta(days=rng.randrange(400, 5000))
    truth = {"owner": f.name, "address": f.physical_address, "unit_number": unit, "area": f"{f.area:.2f}"}
    return truth, {"registered": registered, "serial": f"{rng.randrange(10**7):07d}", "division": f.division,
                   "number": f"D{f.division}{rng.randrange(10**6):06d}",
                   "land_until": dt.date(registered.year + rng.choice((30, 35, 40)), registered.month, 1)}


def _truth_household_register(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    # One page per family member, then the operator's own page as 户主.
    members = [(name or _person_name(rng), id_number or _id_number(rng, f.birth, f.division), relation or "其他")
               for name, id_number, relation in f.family]
    members.append((f.name, f.id_number, "户主"))
    first = members[0]
    since = f.submitted - dt.timedelta(days=rng.randrange(300, 6000))
    return {"name": first[0], "relation": first[2], "id_number": first[1]}, {
        "members": members[1:], "registered": since, "address": f.address,
        "heights": [rng.randrange(150, 188) for _ in members],
    }


def _truth_authorisation(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    start = f.submitted - dt.timedelta(days=rng.randrange(0, 10))
    end = start + dt.timedelta(days=rng.choice((30, 60, 90, 180)))
    return {"principal": f.name, "principal_id": f.id_number, "agent": f.agent.name, "agent_id": f.agent.id_number,
            "start": start.isoformat(), "end": end.isoformat()}, {"phone": f.phone,
                                                                  "matter": _MATTER_TITLES[f.matter]}


def _tax_authority(division: str) -> str:
    area, _, _, city, _ = _DIVISIONS[division]
    district = area.split(city, 1)[1] if city in area else ""
    return f"国家税务总局{city}{district}税务局"


def _uscc(rng: random.Random, division: str) -> str:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = f"92{division}" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _truth_tax_clearance(f: _Facts, rng: random.Random) -> tuple[dict[str, str], Extra]:
    invented = _uscc(rng, f.division)
    issued = f.submitted - dt.timedelta(days=rng.randrange(3, 40))
    return {"taxpayer": f.business_name or f.name, "taxpayer_id": f.uscc or invented,
            "authority": _tax_authority(f.division), "date": issued.isoformat()}, {
        "number": f"税企清〔{issued.year}〕{rng.randrange(10**5):05d}号", "operator": f.name}


_TRUTH: dict[str, Callable[[_Facts, random.Random], tuple[dict[str, str], Extra]]] = {
    "application_form": _truth_application_form,
    "id_card_front": _truth_id_card_front,
    "id_card_back": _truth_id_card_back,
    "lease": _truth_lease,
    "property_certificate": _truth_property_certificate,
    "household_register": _truth_household_register,
    "authorisation": _truth_authorisation,
    "tax_clearance": _truth_tax_clearance,
}


def _iso_or(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _cn(value: str) -> str:
    """An ISO truth date as printed (a planted non-date value is printed as it is)."""
    date = _iso_or(value)
    return cn_date(date) if date else value


_UPPER = "零壹贰叁肆伍陆柒捌玖"


def _upper_section(n: int) -> str:
    text, zero = "", False
    for place, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            zero = bool(text)
        else:
            text += ("零" if zero else "") + _UPPER[digit] + unit
            zero = False
    return text


def _upper_amount(n: int) -> str:
    """An amount of yuan in capital numerals (大写), as contracts print it: 叁仟伍佰元整."""
    if n <= 0 or n >= 10**8:
        return f"{n}元"
    high, low = divmod(n, 10000)
    text = _upper_section(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _upper_section(low)
    return text + "元整"


# ---- fonts --------------------------------------------------------------------------------------------------

_NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk",
              "/usr/share/fonts/truetype/noto")


@functools.cache
def _font_file(style: str) -> tuple[str, int]:
    """The file and face index of Noto ``style`` (``Sans-Regular``, ``Serif-Bold``, ...) for Simplified Chinese."""
    family, weight = style.split("-")
    name = f"Noto{family}CJK-{weight}.ttc"
    candidates = [str(Path(d) / name) for d in _NOTO_DIRS if (Path(d) / name).is_file()]
    if not candidates:
        try:
            listing = subprocess.run(["fc-list", ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=20,
                                     check=False).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        candidates = [line.split(":")[0] for line in listing.splitlines() if line.split(":")[0].endswith(name)]
    for path in candidates:
        for index in range(10):
            try:
                face = ImageFont.truetype(path, 12, index=index)
            except OSError:
                break
            if face.getname()[0] == f"Noto {family} CJK SC":
                return path, index
    raise FontUnavailableError(
        f"no Noto {family} CJK font ({name}) found to draw synthetic ID cards and scans; "
        "install the Debian/Ubuntu package fonts-noto-cjk (apt-get install fonts-noto-cjk)")


@functools.lru_cache(maxsize=256)
def _font(size: int, style: str = "Sans-Regular") -> ImageFont.FreeTypeFont:
    path, index = _font_file(style)
    return ImageFont.truetype(path, size, index=index)


@functools.lru_cache(maxsize=1)
def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    return _PDF_FONT


# ---- drawing helpers shared by PDFs and images --------------------------------------------------------------


def _signature(name: str, rng: random.Random, height: int = 110, ink: RGB = (25, 45, 130)) -> Image.Image:
    """A handwritten-looking signature of ``name``: an RGBA image, ink on transparent."""
    size = int(height * 0.72)
    layer = Image.new("L", (int(height * 0.9 * max(len(name), 1)) + height, height * 2), 0)
    x = height // 3
    for ch in name:
        glyph_size = int(size * rng.uniform(0.85, 1.12))
        glyph = Image.new("L", (glyph_size * 2, glyph_size * 2), 0)
        ImageDraw.Draw(glyph).text((glyph_size // 2, glyph_size // 3), ch, font=_font(glyph_size, "Serif-Bold"),
                                   fill=255)
        glyph = glyph.rotate(rng.uniform(-10, 8), resample=Image.Resampling.BICUBIC)
        y = height // 2 + rng.randrange(-height // 10, height // 10 + 1)
        layer.paste(255, (x, y), glyph)
        x += int(glyph_size * rng.uniform(0.68, 0.85))
    # slant, then make the baseline wander a little
    shear = rng.uniform(0.25, 0.4)
    layer = layer.transform(layer.size, Image.Transform.AFFINE, (1, shear, -shear * layer.height / 2, 0, 1, 0),
                            resample=Image.Resampling.BICUBIC)
    arr = np.asarray(layer, dtype=np.float32)
    phase, period, amp = rng.uniform(0, 6.3), rng.uniform(160, 300), height * 0.025
    wavy = np.empty_like(arr)
    for col in range(arr.shape[1]):
        wavy[:, col] = np.roll(arr[:, col], int(amp * math.sin(phase + col / period * 6.3)))
    alpha = Image.fromarray(np.clip(wavy * 1.15, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
    box = alpha.getbbox() or (0, 0, 1, 1)
    alpha = alpha.crop(box)
    sig = Image.new("RGBA", alpha.size, (*ink, 0))
    sig.putalpha(alpha)
    return sig


def _seal(top: str, bottom: str, size: int, rng: random.Random, ink: RGB = (205, 30, 35)) -> Image.Image:
    """A round red seal (公章) with ``top`` along its rim, a star and ``bottom`` across; RGBA with uneven ink."""
    scale = 3
    big = size * scale
    alpha = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(alpha)
    rim = big // 28
    draw.ellipse((rim, rim, big - rim, big - rim), outline=255, width=rim)
    cx = cy = big / 2
    radius = big * 0.28
    star = [(cx + (radius if i % 2 == 0 else radius * 0.4) * math.sin(i * math.pi / 5),
             cy - (radius if i % 2 == 0 else radius * 0.4) * math.cos(i * math.pi / 5) - big * 0.02)
            for i in range(10)]
    draw.polygon(star, fill=255)
    glyph_size = int(big * 0.12)
    font = _font(glyph_size, "Sans-Bold")
    sweep = min(250.0, 22.0 * len(top))
    for i, ch in enumerate(top):
        angle = -sweep / 2 + sweep * (i + 0.5) / len(top)
        glyph = Image.new("L", (glyph_size * 2, glyph_size * 2), 0)
        ImageDraw.Draw(glyph).text((glyph_size, glyph_size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        r = big / 2 - rim * 2.2 - glyph_size * 0.55
        gx = cx + r * math.sin(math.radians(angle)) - glyph_size
        gy = cy - r * math.cos(math.radians(angle)) - glyph_size
        alpha.paste(255, (int(gx), int(gy)), glyph)
    if bottom:
        bfont = _font(int(big * 0.09), "Sans-Bold")
        draw.text((cx, cy + big * 0.3), bottom, font=bfont, fill=255, anchor="mm")
    alpha = alpha.resize((size, size), Image.Resampling.LANCZOS)
    ink_level = np.asarray(alpha, dtype=np.float32) / 255
    nrng = np.random.default_rng(rng.getrandbits(32))
    blotch = np.asarray(Image.fromarray(nrng.uniform(0.55, 1.0, (12, 12)).astype(np.float32)).resize(
        (size, size), Image.Resampling.BICUBIC), dtype=np.float32)
    a = np.clip(ink_level * blotch * 235, 0, 255).astype(np.uint8)
    seal = Image.new("RGBA", (size, size), (*ink, 0))
    seal.putalpha(Image.fromarray(a))
    return seal.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BICUBIC)


def _sample_stamp(width: int, ink: RGB = (200, 30, 30)) -> Image.Image:
    """A boxed 样本 mark, as printed on specimen documents: RGBA."""
    height = int(width * 0.5)
    stamp = Image.new("RGBA", (width, height), (*ink, 0))
    draw = ImageDraw.Draw(stamp)
    border = max(2, width // 40)
    draw.rounded_rectangle((border, border, width - border, height - border), radius=width // 14,
                           outline=(*ink, 210), width=border)
    draw.text((width / 2, height / 2), WATERMARK, font=_font(int(height * 0.62), "Sans-Bold"), fill=(*ink, 210),
              anchor="mm")
    return stamp


def _watermark(image: Image.Image, box: tuple[int, int, int, int], angle: float = 18.0,
               ink: tuple[int, int, int, int] = (215, 35, 35, 120)) -> None:
    """Print a large translucent 样本 centred in ``box`` of ``image`` (RGB, in place), within the box."""
    x0, y0, x1, y1 = box
    size = int(min((x1 - x0) / 2.4, (y1 - y0) / 1.3))
    layer = Image.new("RGBA", (size * 3, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((size * 1.5, size), WATERMARK, font=_font(size, "Sans-Bold"), fill=ink, anchor="mm",
                               stroke_width=max(1, size // 30), stroke_fill=ink)
    layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    layer = layer.crop(layer.getbbox() or (0, 0, 1, 1))
    scale = min((x1 - x0) / layer.width, (y1 - y0) / layer.height, 1.0)
    if scale < 1:
        layer = layer.resize((int(layer.width * scale), int(layer.height * scale)), Image.Resampling.LANCZOS)
    pos = (x0 + (x1 - x0 - layer.width) // 2, y0 + (y1 - y0 - layer.height) // 2)
    base = image.convert("RGBA")
    base.alpha_composite(layer, pos)
    image.paste(base.convert("RGB"))


def _pil_to_reader(image: Image.Image) -> Any:
    from reportlab.lib.utils import ImageReader

    return ImageReader(image)


# ---- PDF documents (reportlab) --------------------------------------------------------------------------------


class _Page:
    """A reportlab canvas with the helpers the PDF documents share; y is measured from the top, in points."""

    def __init__(self, title: str, landscape: bool = False) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        self.buffer = io.BytesIO()
        self.width, self.height = (A4[1], A4[0]) if landscape else A4
        self.canvas = canvas.Canvas(self.buffer, pagesize=(self.width, self.height), invariant=1, pageCompression=1)
        self.canvas.setTitle(f"{title}（{WATERMARK}）")
        self.canvas.setAuthor("govauto synthetic test material")
        self.canvas.setSubject("SAMPLE - synthetic document, no real personal data")
        self.canvas.setCreator("govauto.testing.documents")
        self.font = _pdf_font()
        self.pages = 1

    def width_of(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return float(stringWidth(text, self.font, size))

    def text(self, x: float, y: float, text: str, size: float = 12, *, align: str = "left", bold: bool = False,
             colour: tuple[float, float, float] = (0, 0, 0)) -> None:
        """Draw ``text`` with its baseline at ``y`` points from the top."""
        c = self.canvas
        c.saveState()
        c.setFillColorRGB(*colour)
        text_object = c.beginText()
        text_object.setFont(self.font, size)
        if bold:  # the CID font has no bold face: stroke the glyphs as well as filling them
            c.setStrokeColorRGB(*colour)
            c.setLineWidth(size / 28)
            text_object.setTextRenderMode(2)
        if align == "center":
            x -= self.width_of(text, size) / 2
        elif align == "right":
            x -= self.width_of(text, size)
        text_object.setTextOrigin(x, self.height - y)
        text_object.textOut(text)
        c.drawText(text_object)
        c.restoreState()

    def fit(self, text: str, size: float, width: float, minimum: float = 8.0) -> tuple[list[str], float]:
        """``text`` on one line, shrunk down to ``minimum`` points if need be; wrapped only if still too wide."""
        s = size
        while s > minimum and self.width_of(text, s) > width:
            s -= 0.5
        if self.width_of(text, s) <= width:
            return [text], s
        return self.wrap(text, minimum, width), minimum

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width`` (between characters, as Chinese text breaks)."""
        lines, line = [], ""
        for ch in text:
            if line and self.width_of(line + ch, size) > width and ch not in "，。、；：）》":
                lines.append(line)
                line = ""
            line += ch
        return [*lines, line] if line else lines

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        self.canvas.setStrokeColorRGB(0, 0, 0)
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, self.height - y0, x1, self.height - y1)

    def rect(self, x: float, y: float, w: float, h: float, width: float = 1.0) -> None:
        self.canvas.setStrokeColorRGB(0, 0, 0)
        self.canvas.setLineWidth(width)
        self.canvas.rect(x, self.height - y - h, w, h, stroke=1, fill=0)

    def image(self, image: Image.Image, x: float, y: float, w: float) -> None:
        """Place an RGBA image with its top-left corner at (x, y), ``w`` points wide."""
        h = w * image.height / image.width
        self.canvas.drawImage(_pil_to_reader(image), x, self.height - y - h, w, h, mask="auto")

    def signature(self, name: str, x: float, baseline: float, rng: random.Random) -> None:
        """A handwritten-looking signature of ``name`` after a label whose baseline is at ``baseline`` (an image,
        so it stays out of the text layer), at most 34 points high and 30 points per character wide."""
        sig = _signature(name, rng)
        scale = min(34 / sig.height, 30 * max(len(name), 1) / sig.width)
        w, h = sig.width * scale, sig.height * scale
        self.image(sig, x, baseline - 4 - h * 0.6, w)

    def stamp(self) -> None:
        """The boxed 样本 mark in the top-right corner (an image, so it stays out of the text layer)."""
        self.image(_sample_stamp(240), self.width - 108, 26, 72)

    def footer(self, total: int) -> None:
        self.text(self.width / 2, self.height - 30, f"第{self.pages}页 共{total}页", 9, align="center")

    def new_page(self) -> None:
        self.canvas.showPage()
        self.pages += 1

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _pdf_paragraph(page: _Page, x: float, y: float, text: str, width: float, size: float = 11,
                   leading: float = 1.8) -> float:
    """A first-line-indented paragraph; returns the y of the next line."""
    lines = page.wrap(text, size, width - 2 * size)
    first = True
    rest = ""
    out: list[tuple[float, str]] = []
    for line in lines:
        if first:
            out.append((x + 2 * size, line))
            first = False
        else:
            rest += line
    out.extend((x, line) for line in page.wrap(rest, size, width))
    for lx, line in out:
        page.text(lx, y, line, size)
        y += size * leading
    return y


def _render_application_form(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    if extra.get("form") == "change":
        return _render_change_form(truth, extra, rng)
    if extra.get("form") == "deregister":
        return _render_deregister_form(truth, extra, rng)
    page = _Page("个体工商户登记申请书")
    page.stamp()
    page.text(page.width / 2, 78, "个体工商户登记申请书", 20, align="center", bold=True)
    page.text(page.width - 56, 104, f"编号：{extra['number']}", 9, align="right")
    left, label_w, right = 56.0, 128.0, page.width - 56
    value_w = right - left - label_w - 16
    rows = [
        ("经营者姓名", truth["name"]), ("公民身份号码", truth["id_number"]), ("联系电话", truth["phone"]),
        ("住所", truth["address"]), ("个体工商户名称", truth["business_name"]), ("组成形式", truth["organisation"]),
    ]
    if "family_members" in truth:
        rows.append(("参加经营的家庭成员", truth["family_members"]))
    rows += [("经营范围", truth["scope"]), ("经营场所", truth["premises_address"]),
             ("资金数额（元）", truth["capital"]), ("从业人数", truth["employees"])]
    y = 114.0
    top = y
    size = 11.5
    for label, value in rows:
        lines, vsize = page.fit(value, size, value_w)
        height = max(30.0, 12 + len(lines) * vsize * 1.5)
        base = y + height / 2 + size * 0.35
        page.text(left + 8, base, label, size)
        first = y + (height - (len(lines) - 1) * vsize * 1.5) / 2 + vsize * 0.35
        for i, line in enumerate(lines):
            page.text(left + label_w + 8, first + i * vsize * 1.5, line, vsize)
        y += height
        page.line(left, y, right, y, 0.5)
    page.rect(left, top, right - left, y - top, 0.9)
    page.line(left + label_w, top, left + label_w, y, 0.5)
    y += 30
    page.text(left, y, "申请人声明", 12, bold=True)
    y = _pdf_paragraph(page, left, y + 22, "本人承诺：所提交的申请材料和填写的信息真实、合法、有效，复印件与原件一致，"
                       "不存在法律法规禁止从事个体工商户经营的情形；本人对申请材料的真实性、合法性负责，"
                       "并承担由此产生的法律责任。", right - left)
    y += 26
    page.text(left + 250, y, "经营者签字：", 12)
    page.signature(truth["name"], left + 330, y, rng)
    y += 40
    page.text(left + 250, y, f"申请日期：{_cn(truth['date'])}", 12)
    page.line(left, page.height - 70, right, page.height - 70, 0.5)
    page.text(left, page.height - 56, "注：本申请书用蓝黑或黑色墨水填写，字迹清楚；经营范围按规范表述填写。", 8.5)
    return page.finish()


def _form_rows(page: _Page, rows: Sequence[tuple[str, str]], y: float, left: float, label_w: float,
               size: float = 11.5) -> float:
    """A two-column table of label and value, framed; returns the y below it."""
    right = page.width - 56
    value_w = right - left - label_w - 16
    top = y
    for label, value in rows:
        lines, vsize = page.fit(value, size, value_w)
        height = max(30.0, 12 + len(lines) * vsize * 1.5)
        page.text(left + 8, y + height / 2 + size * 0.35, label, size)
        first = y + (height - (len(lines) - 1) * vsize * 1.5) / 2 + vsize * 0.35
        for i, line in enumerate(lines):
            page.text(left + label_w + 8, first + i * vsize * 1.5, line, vsize)
        y += height
        page.line(left, y, right, y, 0.5)
    page.rect(left, top, right - left, y - top, 0.9)
    page.line(left + label_w, top, left + label_w, y, 0.5)
    return y


def _form_head(page: _Page, kind: str, number: str) -> None:
    page.stamp()
    page.text(page.width / 2, 78, "个体工商户登记申请书", 20, align="center", bold=True)
    page.text(page.width / 2, 100, f"（{kind}）", 12, align="center")
    page.text(page.width - 56, 114, f"编号：{number}", 9, align="right")


def _form_foot(page: _Page, truth: dict[str, str], y: float, rng: random.Random, declaration: str) -> None:
    left, right = 56.0, page.width - 56
    page.text(left, y, "申请人声明", 12, bold=True)
    y = _pdf_paragraph(page, left, y + 22, declaration, right - left)
    y += 20
    page.text(left + 250, y, "经营者签字：", 12)
    page.signature(truth["name"], left + 330, y, rng)
    y += 36
    page.text(left + 250, y, f"申请日期：{_cn(truth['date'])}", 12)
    page.line(left, page.height - 70, right, page.height - 70, 0.5)
    page.text(left, page.height - 56, "注：本申请书用蓝黑或黑色墨水填写，字迹清楚；统一社会信用代码按营业执照填写。",
              8.5)


def _registered_rows(truth: dict[str, str]) -> list[tuple[str, str]]:
    return [("经营者姓名", truth["name"]), ("公民身份号码", truth["id_number"]), ("联系电话", truth["phone"]),
            ("个体工商户名称", truth["business_name"]), ("统一社会信用代码", truth["uscc"])]


def _render_change_form(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("个体工商户登记申请书（变更登记）")
    _form_head(page, "变更登记", extra["number"])
    left, right = 56.0, page.width - 56
    y = _form_rows(page, _registered_rows(truth), 124.0, left, 128.0)
    y += 24
    page.text(left, y, "变更事项", 12, bold=True)
    y += 12
    item_w, old_w = 92.0, (right - left - 92.0) / 2
    top = y
    page.text(left + 8, y + 20, "事项", 11)
    page.text(left + item_w + 8, y + 20, "原登记内容", 11)
    page.text(left + item_w + old_w + 8, y + 20, "变更后内容", 11)
    y += 30
    page.line(left, y, right, y, 0.5)
    for item, old, new in extra["rows"]:
        old_lines, old_size = page.fit(old or "无", 10.5, old_w - 16)
        new_lines, new_size = page.fit(new, 10.5, old_w - 16)
        height = max(28.0, 12 + max(len(old_lines), len(new_lines)) * max(old_size, new_size) * 1.5)
        page.text(left + 8, y + 18, item, 10.5)
        for i, line in enumerate(old_lines):
            page.text(left + item_w + 8, y + 18 + i * old_size * 1.5, line, old_size)
        for i, line in enumerate(new_lines):
            page.text(left + item_w + old_w + 8, y + 18 + i * new_size * 1.5, line, new_size)
        y += height
        page.line(left, y, right, y, 0.5)
    page.rect(left, top, right - left, y - top, 0.9)
    page.line(left + item_w, top, left + item_w, y, 0.5)
    page.line(left + item_w + old_w, top, left + item_w + old_w, y, 0.5)
    _form_foot(page, truth, y + 30, rng, "本人申请办理上述变更登记，承诺所提交的申请材料和填写的信息真实、合法、有效，"
               "复印件与原件一致；本人对申请材料的真实性、合法性负责，并承担由此产生的法律责任。")
    return page.finish()


def _render_deregister_form(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("个体工商户登记申请书（注销登记）")
    _form_head(page, "注销登记", extra["number"])
    left = 56.0
    rows = [*_registered_rows(truth), ("注销类型", truth["procedure"]), ("注销原因", truth["reason"])]
    if "pushed_on" in truth:
        rows.append(("推送（公示）日期", _cn(truth["pushed_on"])))
    y = _form_rows(page, rows, 124.0, left, 128.0)
    y += 24
    page.text(left, y, "承诺事项（简易注销须全部承诺）", 12, bold=True)
    y += 22
    for n, (text, made) in enumerate(extra["commitments"], start=1):
        mark = "是" if made is True else ("否" if made is False else "未声明")
        page.text(left + 12, y, f"{n}. {text}：{mark}", 10.5)
        y += 19
    _form_foot(page, truth, y + 18, rng, "本人申请办理注销登记，对上述承诺事项的真实性负责；承诺所提交的申请材料和"
               "填写的信息真实、合法、有效。个体工商户注销后，未清偿的债务仍由经营者承担。")
    return page.finish()


_LEASE_CLAUSES = (
    ("第四条 房屋用途", "乙方租赁该房屋用于经营，并应依法办理有关证照。未经甲方书面同意，乙方不得改变房屋用途，"
     "不得将房屋转租、转借他人。"),
    ("第五条 房屋的交付与维修", "甲方应于租赁期限开始之日将房屋交付乙方使用，并保证房屋及其附属设施能够正常使用。"
     "租赁期间，房屋主体结构的维修由甲方负责；因乙方使用不当造成的损坏，由乙方负责修复或赔偿。"),
    ("第六条 费用承担", "租赁期间，房屋的水费、电费、燃气费、物业管理费及乙方经营产生的其他费用由乙方承担，"
     "乙方应按时缴纳。"),
    ("第七条 合同的解除", "乙方逾期支付租金超过三十日，或者擅自转租、改变房屋用途的，甲方有权解除本合同。"
     "甲方未按约定交付房屋，或者房屋存在严重影响使用的安全隐患的，乙方有权解除本合同。"),
    ("第八条 违约责任", "任何一方违反本合同约定的，应当赔偿对方因此遭受的损失。租赁期满或合同解除后，"
     "乙方应当在七日内腾空房屋并交还甲方。"),
    ("第九条 争议解决", "本合同履行中发生争议的，双方应协商解决；协商不成的，任何一方均可向房屋所在地人民法院起诉。"),
    ("第十条 其他", "本合同自双方签字之日起生效，一式两份，甲、乙双方各执一份，具有同等法律效力。"),
)


def _render_lease(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("房屋租赁合同")
    left, right = 62.0, page.width - 62
    width = right - left
    page.stamp()
    page.text(page.width / 2, 86, "房屋租赁合同", 22, align="center", bold=True)
    y = 140.0
    page.text(left, y, f"出租方（甲方）：{truth['lessor']}", 12)
    page.text(left + 250, y, f"身份证号码：{truth['lessor_id']}", 12)
    y += 28
    page.text(left, y, f"承租方（乙方）：{truth['lessee']}", 12)
    page.text(left + 250, y, f"身份证号码：{truth['lessee_id']}", 12)
    y = _pdf_paragraph(page, left, y + 38, "根据《中华人民共和国民法典》及有关法律法规的规定，甲、乙双方在平等、自愿、"
                       "协商一致的基础上，就乙方承租甲方房屋事宜订立本合同，共同遵守。", width)
    y += 8
    page.text(left, y, "第一条 房屋基本情况", 12, bold=True)
    y += 26
    lines, size = page.fit(f"房屋坐落：{truth['address']}", 12, width)
    for line in lines:
        page.text(left, y, line, size)
        y += 22
    page.text(left, y, f"建筑面积：{extra['area']:.2f}平方米，房屋用途：商业。", 12)
    y += 34
    page.text(left, y, "第二条 租赁期限", 12, bold=True)
    y += 26
    page.text(left, y, f"租赁期限：自{_cn(truth['start'])}起至{_cn(truth['end'])}止", 12)
    y += 22
    y = _pdf_paragraph(page, left, y, "租赁期满，甲方有权收回房屋。乙方需要继续承租的，应于租赁期满前一个月"
                       "向甲方提出，经甲方同意后重新签订租赁合同。", width)
    y += 8
    page.text(left, y, "第三条 租金及支付方式", 12, bold=True)
    y += 26
    rent = truth["rent"]
    upper = _upper_amount(int(rent)) if rent.isdigit() else rent
    page.text(left, y, f"月租金：人民币{rent}元", 12)
    page.text(left + 250, y, f"（大写：{upper}）", 12)
    y += 22
    y = _pdf_paragraph(page, left, y, f"租金按月支付，乙方应于每月{extra['pay_day']}日前将当月租金支付给甲方。"
                       f"签订本合同时，乙方向甲方支付押金人民币{extra['deposit']}元，租赁期满乙方交还房屋且结清"
                       "各项费用后，甲方将押金无息退还乙方。", width)
    clauses = list(_LEASE_CLAUSES)
    while clauses and y < page.height - 150:
        title, body = clauses.pop(0)
        y += 8
        page.text(left, y, title, 12, bold=True)
        y = _pdf_paragraph(page, left, y + 26, body, width)
    page.footer(2)
    page.new_page()
    y = 80.0
    for title, body in clauses:
        page.text(left, y, title, 12, bold=True)
        y = _pdf_paragraph(page, left, y + 26, body, width) + 8
    y += 20
    page.text(left, y, "（以下无正文）", 11)
    y += 60
    page.text(left, y, "甲方（签字）：", 12)
    page.signature(truth["lessor"], left + 86, y, rng)
    page.text(left + 250, y, "乙方（签字）：", 12)
    page.signature(truth["lessee"], left + 336, y, rng)
    y += 40
    signed = cn_date(extra["signed"])
    page.text(left, y, f"日期：{signed}", 12)
    page.text(left + 250, y, f"日期：{signed}", 12)
    page.stamp()
    page.footer(2)
    return page.finish()


def _render_property_certificate(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("不动产权证书", landscape=True)
    mid = page.width / 2
    page.stamp()
    page.text(mid / 2, 70, "不动产权证书", 24, align="center", bold=True)
    y = _pdf_paragraph(page, 60, 130, "根据《中华人民共和国民法典》等法律法规，为保护不动产权利人合法权益，"
                       "对不动产权利人申请登记的本证所列不动产权利，经审查核实，准予登记，颁发此证。",
                       mid - 120, 11.5, 1.9)
    page.text(mid - 70, y + 70, "登记机构（章）", 12, align="right")
    registered = extra["registered"]
    page.text(mid - 70, y + 116, cn_date(registered), 12, align="right")
    abbreviation, city = _DIVISIONS[extra["division"]][2:4]
    page.image(_seal(f"{city}不动产登记中心", "", 330, rng), mid - 200, y + 2, 98)
    page.text(60, page.height - 60, f"编号 No. {extra['number']}", 10)
    page.line(mid, 40, mid, page.height - 40, 0.4)

    left, right = mid + 36, page.width - 40
    page.text(left, 76, f"{abbreviation}（{registered.year}）{city}不动产权第{extra['serial']}号", 12)
    label_w = 92.0
    value_w = right - left - label_w - 14
    rows = [
        ("权利人", truth["owner"]), ("共有情况", "单独所有"), ("坐落", truth["address"]),
        ("不动产单元号", truth["unit_number"]), ("权利类型", "国有建设用地使用权/房屋所有权"),
        ("权利性质", "出让/市场化商品房"), ("用途", "商业"), ("面积", f"{truth['area']}㎡"),
        ("使用期限", f"国有建设用地使用权{cn_date(registered)}起{cn_date(extra['land_until'])}止"),
        ("权利其他状况", ""),
    ]
    y = 92.0
    top = y
    for label, value in rows:
        lines, vsize = page.fit(value, 11, value_w)
        height = max(32.0, 14 + len(lines) * vsize * 1.5) if label != "权利其他状况" else 80.0
        page.text(left + 8, y + 20, label, 11)
        for i, line in enumerate(lines):
            page.text(left + label_w + 7, y + 20 + i * vsize * 1.5, line, vsize)
        y += height
        page.line(left, y, right, y, 0.6)
    page.rect(left, top, right - left, y - top, 1.0)
    page.line(left + label_w, top, left + label_w, y, 0.6)
    return page.finish()


def _render_authorisation(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("授权委托书")
    left, right = 66.0, page.width - 66
    page.stamp()
    page.text(page.width / 2, 96, "授权委托书", 22, align="center", bold=True)
    y = 160.0
    for label, name, id_number in (("委托人", truth["principal"], truth["principal_id"]),
                                   ("受托人", truth["agent"], truth["agent_id"])):
        lines, size = page.fit(f"{label}：{name}（公民身份号码：{id_number}）", 12.5, right - left)
        for line in lines:
            page.text(left, y, line, size)
            y += 24
        y += 8
    matter = extra.get("matter", "设立登记")
    page.text(left, y, f"委托事项：办理个体工商户{matter}", 12.5)
    y += 32
    page.text(left, y, f"委托期限：自{_cn(truth['start'])}至{_cn(truth['end'])}", 12.5)
    y += 40
    y = _pdf_paragraph(page, left, y, f"现委托上述受托人代表本人向登记机关办理个体工商户{matter}，包括提交、"
                       "补正申请材料，领取营业执照和有关文书。受托人在委托权限内签署的有关文件和作出的行为，"
                       "本人均予以承认，并承担相应的法律责任。", right - left, 12)
    y = _pdf_paragraph(page, left, y + 6, "受托人无转委托权。", right - left, 12)
    y += 60
    page.text(left + 230, y, "委托人签字：", 12.5)
    page.signature(truth["principal"], left + 310, y, rng)
    y += 40
    page.text(left + 230, y, f"日期：{_cn(truth['start'])}", 12.5)
    y += 60
    page.text(left, y, f"委托人联系电话：{extra['phone']}", 10.5)
    return page.finish()


def _render_tax_clearance(truth: dict[str, str], extra: Extra, rng: random.Random) -> bytes:
    page = _Page("清税证明")
    left, right = 72.0, page.width - 72
    page.stamp()
    page.text(page.width / 2, 110, "清税证明", 24, align="center", bold=True)
    page.text(right, 140, extra["number"], 10.5, align="right")
    y = 190.0
    for label, value in (("纳税人名称：", truth["taxpayer"]),
                         ("统一社会信用代码（纳税人识别号）：", truth["taxpayer_id"])):
        lines, size = page.fit(label + value, 12.5, right - left)
        for line in lines:
            page.text(left, y, line, size)
            y += 26
    y += 14
    y = _pdf_paragraph(page, left, y, "经审核，该纳税人所有税务事项均已结清，特此证明。", right - left, 12.5)
    y = _pdf_paragraph(page, left, y + 4, f"经营者：{extra['operator']}。本证明用于办理个体工商户注销登记。",
                       right - left, 12.5)
    y += 80
    page.text(right - 250, y, f"税务机关：{truth['authority']}", 12)
    page.image(_seal(truth["authority"], "", 330, rng), right - 150, y - 92, 104)
    y += 34
    page.text(right - 250, y, f"开具日期：{_cn(truth['date'])}", 12)
    page.line(left, page.height - 80, right, page.height - 80, 0.5)
    page.text(left, page.height - 64, "注：纳税人可通过电子税务局查验本证明的真伪。", 9)
    return page.finish()


_PDF_RENDER: dict[str, Callable[[dict[str, str], Extra, random.Random], bytes]] = {
    "application_form": _render_application_form,
    "lease": _render_lease,
    "property_certificate": _render_property_certificate,
    "authorisation": _render_authorisation,
    "tax_clearance": _render_tax_clearance,
}


# ---- image documents (Pillow) ---------------------------------------------------------------------------------

CARD_SIZE = (1000, 630)
"""Pixel size of a clean ID card image (ID-1 proportions, 85.6 x 54 mm at about 300 dpi)."""

HOUSEHOLD_PAGE_SIZE = (1000, 850)
"""Pixel size of one clean household register page."""

_LABEL_INK: RGB = (30, 30, 34)
_TEXT_INK: RGB = (18, 18, 22)


def _guilloche(size: tuple[int, int], rng: random.Random, base: RGB, line: RGB, *,
               rounded: bool = True) -> Image.Image:
    """A light security-print background: a soft gradient crossed by fine wavy lines; rounded corners."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 - 0.035 * (xx / w) - 0.025 * (yy / h) + 0.02 * np.sin(xx / w * 3.1 + yy / h * 2.0)
    arr = np.clip(np.array(base, dtype=np.float32)[None, None, :] * shade[..., None], 0, 255).astype(np.uint8)
    card = Image.fromarray(arr, "RGB")
    draw = ImageDraw.Draw(card)
    phase = rng.uniform(0, 6.3)
    for k in range(-6, h // 14 + 6):
        pts = [(x, k * 14 + 9 * math.sin(x / 55.0 + phase + k * 0.35) + 5 * math.sin(x / 17.0 + k))
               for x in range(0, w + 8, 8)]
        draw.line(pts, fill=line, width=1)
    cx, cy = w * rng.uniform(0.45, 0.6), h * rng.uniform(0.45, 0.6)
    for r in range(40, int(max(w, h) * 0.7), 22):
        draw.ellipse((cx - r * 1.4, cy - r, cx + r * 1.4, cy + r), outline=(line[0], line[1] - 6, line[2] - 14))
    if rounded:
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=int(w * 0.04), fill=255)
        framed = Image.new("RGB", size, (255, 255, 255))
        framed.paste(card, (0, 0), mask)
        ImageDraw.Draw(framed).rounded_rectangle((0, 0, w - 1, h - 1), radius=int(w * 0.04), outline=(178, 182, 188),
                                                 width=2)
        card = framed
    return card


def _spaced(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
            fill: RGB, spacing: float) -> float:
    """Draw ``text`` with extra ``spacing`` between characters; return the x after it."""
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=font, fill=fill)
        x += font.getlength(ch) + spacing
    return x


def _portrait(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A neutral head-and-shoulders silhouette standing in for the holder's photo."""
    w, h = size
    photo = Image.new("RGB", size, (236, 240, 244))
    draw = ImageDraw.Draw(photo)
    tone = rng.randrange(150, 185)
    hair = rng.randrange(40, 80)
    draw.ellipse((w * 0.08, h * 0.70, w * 0.92, h * 1.35), fill=(tone - 60, tone - 55, tone - 45))
    draw.rectangle((w * 0.4, h * 0.55, w * 0.6, h * 0.78), fill=(tone + 40, tone + 22, tone + 5))
    draw.ellipse((w * 0.27, h * 0.16, w * 0.73, h * 0.66), fill=(tone + 45, tone + 27, tone + 10))
    draw.chord((w * 0.25, h * 0.1, w * 0.75, h * 0.5), 180, 360, fill=(hair, hair - 5, hair - 8))
    return photo


def _render_id_card_front(truth: dict[str, str], extra: Extra, rng: random.Random,
                          watermark: bool = True) -> list[Image.Image]:
    card = _guilloche(CARD_SIZE, rng, (247, 246, 240), (229, 234, 240))
    draw = ImageDraw.Draw(card)
    label, value = _font(30, "Sans-Bold"), _font(40)
    lx, vx = 70, 160

    def row(baseline: int, text: str, x: int = lx) -> None:
        draw.text((x, baseline), text, font=label, fill=_LABEL_INK, anchor="ls")

    row(114, "姓名")
    draw.text((vx, 114), truth["name"], font=value, fill=_TEXT_INK, anchor="ls")
    row(190, "性别")
    draw.text((vx, 190), truth["sex"], font=value, fill=_TEXT_INK, anchor="ls")
    row(190, "民族", vx + 110)
    draw.text((vx + 200, 190), truth["ethnicity"], font=value, fill=_TEXT_INK, anchor="ls")
    row(266, "出生")
    draw.text((vx, 266), _cn(truth["birth"]), font=value, fill=_TEXT_INK, anchor="ls")
    row(342, "住址")
    address = truth["address"]
    lines = [address[i:i + 11] for i in range(0, len(address), 11)][:3] or [""]
    for i, line in enumerate(lines):
        draw.text((vx, 342 + i * 54), line, font=value, fill=_TEXT_INK, anchor="ls")

    photo_box = (655, 70, 925, 420)
    card.paste(_portrait((photo_box[2] - photo_box[0], photo_box[3] - photo_box[1]), rng), photo_box[:2])
    row(568, "公民身份号码")
    number = _font(44)
    x = 290.0
    for ch in truth["id_number"]:
        draw.text((x, 568), ch, font=number, fill=_TEXT_INK, anchor="ls")
        x += number.getlength(ch) + 2
    if watermark:
        _watermark(card, (640, 150, 940, 400), 20)
    return [card]


def _emblem(size: int, rng: random.Random) -> Image.Image:
    """A round red-and-gold badge in the emblem's place (deliberately not the national emblem)."""
    scale = 3
    big = size * scale
    badge = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(badge)
    gold, red = (214, 168, 60, 255), (200, 32, 38, 255)
    draw.ellipse((0, 0, big - 1, big - 1), fill=gold)
    draw.ellipse((big * 0.07, big * 0.07, big * 0.93, big * 0.93), fill=red)
    cx = cy = big / 2
    for ring in (0.34, 0.28):
        r = big * ring
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=gold, width=scale * 2)
    radius = big * 0.2
    star = [(cx + (radius if i % 2 == 0 else radius * 0.4) * math.sin(i * math.pi / 5),
             cy - (radius if i % 2 == 0 else radius * 0.4) * math.cos(i * math.pi / 5)) for i in range(10)]
    draw.polygon(star, fill=gold)
    for i in range(24):
        a = i * math.pi / 12
        draw.ellipse((cx + big * 0.41 * math.cos(a) - scale * 3, cy + big * 0.41 * math.sin(a) - scale * 3,
                      cx + big * 0.41 * math.cos(a) + scale * 3, cy + big * 0.41 * math.sin(a) + scale * 3), fill=gold)
    return badge.resize((size, size), Image.Resampling.LANCZOS)


def _render_id_card_back(truth: dict[str, str], extra: Extra, rng: random.Random,
                         watermark: bool = True) -> list[Image.Image]:
    card = _guilloche(CARD_SIZE, rng, (246, 244, 236), (236, 226, 222))
    card.paste(_emblem(170, rng), (62, 52), _emblem(170, rng))
    draw = ImageDraw.Draw(card)
    _spaced(draw, (300, 66), "中华人民共和国", _font(52, "Serif-Bold"), _TEXT_INK, 14)
    _spaced(draw, (300, 150), "居民身份证", _font(78, "Serif-Bold"), _TEXT_INK, 26)
    label, value = _font(29), _font(33)
    draw.text((175, 452), "签发机关", font=label, fill=_TEXT_INK)
    draw.text((335, 446), truth["authority"], font=value, fill=_TEXT_INK)
    until = truth["valid_until"]
    period = f"{printed('id_card_back', 'valid_from', truth['valid_from'])}-" \
             f"{printed('id_card_back', 'valid_until', until)}"
    draw.text((175, 524), "有效期限", font=label, fill=_TEXT_INK)
    draw.text((335, 518), period, font=value, fill=_TEXT_INK)
    if watermark:
        _watermark(card, (560, 262, 900, 430), 12)
    return [card]


def _household_page(member: tuple[str, str, str], extra: Extra, index: int, rng: random.Random,
                    watermark: bool) -> Image.Image:
    name, id_number, relation = member
    w = HOUSEHOLD_PAGE_SIZE[0]
    page = _guilloche(HOUSEHOLD_PAGE_SIZE, rng, (250, 247, 238), (238, 233, 222), rounded=False)
    draw = ImageDraw.Draw(page)
    draw.text((w / 2, 52), "常住人口登记卡", font=_font(44, "Serif-Bold"), fill=_TEXT_INK, anchor="mm")
    birth = _birth_of(id_number)
    sex = _sex_of(id_number) or "男"
    area = _DIVISIONS.get(id_number[:6], _DIVISIONS["440305"])[0]
    birthplace = area[: area.find("市") + 1] if "市" in area else area
    heights: list[int] = extra["heights"]
    educations = ("大学本科", "大学专科", "高中", "硕士研究生")
    left, top, right = 36, 108, w - 36
    label_font, value_font, small = _font(24), _font(28), _font(21)
    c1, c2, c3 = left + 150, left + 470, left + 680  # column boundaries: label | value | label | value
    row_h = 54
    rows: list[tuple[str, str, str, str]] = [
        ("姓名", name, "户主或与户主关系", relation),
        ("曾用名", "", "性别", sex),
        ("出生地", birthplace, "民族", "汉"),
        ("籍贯", birthplace, "出生日期", cn_date(birth) if birth else ""),
        ("本市（县）其他住址", "", "宗教信仰", ""),
        ("公民身份号码", id_number, "", ""),
        ("身高", f"{heights[index % len(heights)]}厘米", "血型", ""),
        ("文化程度", rng.choice(educations), "婚姻状况", "已婚" if relation in ("户主", "配偶") else "未婚"),
        ("兵役状况", "", "服务处所", ""),
        ("职业", "个体经营者" if relation == "户主" else "", "", ""),
        ("何时由何地迁来本址", f"{cn_date(extra['registered'])}由{birthplace}迁来", "", ""),
    ]
    grid, outer, label_ink = (224, 198, 172), (220, 192, 164), (70, 52, 40)
    y = top
    for l1, v1, l2, v2 in rows:
        middle = y + row_h / 2
        lf = label_font if label_font.getlength(l1) < c1 - left - 14 else small
        split = max(c1, int(left + lf.getlength(l1) + 22))
        draw.text((left + 8, middle), l1, font=lf, fill=label_ink, anchor="lm")
        draw.text((split + 12, middle), v1, font=value_font, fill=_TEXT_INK, anchor="lm")
        draw.line((split, y, split, y + row_h), fill=grid, width=2)
        if l2:
            draw.text((c2 + 8, middle), l2, font=label_font if len(l2) < 6 else small, fill=label_ink, anchor="lm")
            draw.text((c3 + 12, middle), v2, font=value_font, fill=_TEXT_INK, anchor="lm")
            draw.line((c2, y, c2, y + row_h), fill=grid, width=2)
            draw.line((c3, y, c3, y + row_h), fill=grid, width=2)
        y += row_h
        draw.line((left, y, right, y), fill=grid, width=2)
    draw.rectangle((left, top, right, y), outline=outer, width=3)
    draw.text((left + 8, y + 40), f"承办人签章：{_person_name(rng)}", font=small, fill=label_ink, anchor="lm")
    draw.text((c2 + 8, y + 40), f"登记日期：{cn_date(extra['registered'])}", font=small, fill=label_ink, anchor="lm")
    seal = _seal("公安局户口专用章", "", 130, rng)
    page.paste(seal, (right - 140, y + 4), seal)
    if watermark:
        stamp = _sample_stamp(150)
        page.paste(stamp, (right - 160, 20), stamp)
    return page


def _render_household_register(truth: dict[str, str], extra: Extra, rng: random.Random,
                               watermark: bool = True) -> list[Image.Image]:
    members = [(truth["name"], truth["id_number"], truth["relation"]), *extra["members"]]
    return [_household_page(member, extra, i, rng, watermark) for i, member in enumerate(members)]


_IMAGE_RENDER: dict[str, Callable[..., list[Image.Image]]] = {
    "id_card_front": _render_id_card_front,
    "id_card_back": _render_id_card_back,
    "household_register": _render_household_register,
}


# ---- capture: scanning, photographing, writing ----------------------------------------------------------------


def _default_format(kind: str, variant: str, pages: list[Image.Image] | None, pdf: bytes | None) -> str:
    multi = (pages is not None and len(pages) > 1) or (pdf is not None and _page_count(pdf) > 1)
    if variant == "clean":
        return "pdf" if kind in _PDF_KINDS else "png"
    if variant == "scanned":
        return "pdf" if kind in _PDF_KINDS or multi else "jpeg"
    return "pdf" if multi else "jpeg"


def _page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def _rasterize(pdf: bytes, dpi: int = _RASTER_DPI) -> list[Image.Image]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def _stack(images: Sequence[Image.Image], gap: int = 24) -> Image.Image:
    if len(images) == 1:
        return images[0]
    width = max(im.width for im in images)
    sheet = Image.new("RGB", (width, sum(im.height for im in images) + gap * (len(images) - 1)), (128, 128, 128))
    y = 0
    for im in images:
        sheet.paste(im, ((width - im.width) // 2, y))
        y += im.height + gap
    return sheet


def _noise(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    nrng = np.random.default_rng(rng.getrandbits(64))
    arr = np.asarray(image, dtype=np.float32)
    arr = arr + (nrng.standard_normal(arr.shape[:2], dtype=np.float32) * np.float32(sigma))[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _scan(image: Image.Image, rng: random.Random, card: bool) -> Image.Image:
    """A flatbed scan: a little rotated, soft, noisy, greyer, with JPEG artefacts."""
    if card:  # a card lies on the scanner glass, with a margin of glass around it
        margin = int(image.width * 0.07)
        bed = Image.new("RGB", (image.width + 2 * margin, image.height + 2 * margin), (250, 250, 248))
        ImageDraw.Draw(bed).rounded_rectangle((margin + 3, margin + 4, margin + image.width + 3,
                                               margin + image.height + 4), radius=int(image.width * 0.04),
                                              fill=(214, 214, 212))
        bed.paste(image, (margin, margin))
        image = bed
    paper = (rng.randrange(240, 252), rng.randrange(238, 250), rng.randrange(228, 244))
    angle = rng.uniform(0.6, 3.0) * rng.choice((-1, 1))
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)  # the page stays its size
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.72, 0.86))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.98, 1.06))
    tint = Image.new("RGB", image.size, paper)
    image = Image.blend(image, tint, 0.06)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
    image = _noise(image, rng, rng.uniform(3.0, 6.0))
    return _jpeg_roundtrip(image, rng.randrange(55, 75))


def _perspective_coefficients(target: Sequence[tuple[float, float]],
                              source: Sequence[tuple[float, float]]) -> tuple[float, ...]:
    """Coefficients for :meth:`PIL.Image.Image.transform` mapping points of ``target`` (output) to ``source``."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array([c for p in source for c in p], float))
    return tuple(float(c) for c in solution)


def _desk(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A desk surface: a base colour with a low-frequency mottle and a fine grain."""
    nrng = np.random.default_rng(rng.getrandbits(64))
    base = np.array(rng.choice([(148, 112, 78), (118, 120, 126), (70, 72, 78), (186, 176, 160)]), dtype=np.float32)
    mottle = Image.fromarray(nrng.uniform(0.82, 1.12, (9, 12)).astype(np.float32)).resize(size,
                                                                                          Image.Resampling.BICUBIC)
    grain = nrng.normal(1.0, 0.035, (size[1], size[0])).astype(np.float32)
    arr = base[None, None, :] * (np.asarray(mottle, dtype=np.float32) * grain)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _photograph(image: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of ``image`` lying on a desk: perspective, uneven light, blur, noise."""
    w, h = image.size
    margin_x, margin_y = int(w * 0.09), int(h * 0.09)
    size = (w + 2 * margin_x, h + 2 * margin_y)
    corners = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    jitter_x, jitter_y = w * 0.055, h * 0.055
    target = [(margin_x + x + rng.uniform(-jitter_x, jitter_x), margin_y + y + rng.uniform(-jitter_y, jitter_y))
              for x, y in corners]
    shrink = rng.uniform(0.0, 0.05)  # one edge further from the camera than the other
    if rng.random() < 0.5:
        target[0] = (target[0][0] + w * shrink, target[0][1])
        target[1] = (target[1][0] - w * shrink, target[1][1])
    else:
        target[1] = (target[1][0], target[1][1] + h * shrink)
        target[2] = (target[2][0], target[2][1] - h * shrink)
    coefficients = _perspective_coefficients(target, corners)
    rgba = image.convert("RGBA")
    warped = rgba.transform(size, Image.Transform.PERSPECTIVE, coefficients, resample=Image.Resampling.BICUBIC,
                            fillcolor=(0, 0, 0, 0))
    photo = _desk(size, rng)
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).polygon([(x + 6, y + 9) for x, y in target], fill=110)
    photo.paste((20, 20, 20), (0, 0), shadow.filter(ImageFilter.GaussianBlur(12)))
    photo.paste(warped, (0, 0), warped)

    # light falls off across the frame from a bright spot, with a vignette
    yy, xx = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
    lx, ly = rng.uniform(0.1, 0.9) * size[0], rng.uniform(0.0, 0.5) * size[1]
    distance = np.sqrt(((xx - lx) / size[0]) ** 2 + ((yy - ly) / size[1]) ** 2)
    light = (rng.uniform(1.02, 1.1) - rng.uniform(0.28, 0.42) * distance).astype(np.float32)
    warm = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.9, 0.97)], dtype=np.float32)
    arr = np.asarray(photo, dtype=np.float32) * light[..., None] * warm[None, None, :]
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.3)))
    return _noise(photo, rng, rng.uniform(4.0, 7.0))


_ORIENTATION_STORED = {  # EXIF Orientation -> how the upright picture is turned to store it
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,  # stored turned 90° anticlockwise; the viewer turns it clockwise
    8: Image.Transpose.ROTATE_270,
}


def _write_images(images: list[Image.Image], out: Path, fmt: str, variant: str, rng: random.Random, *, card: bool,
                  title: str) -> None:
    if variant == "scanned":
        images = [_scan(im, rng, card) for im in images]
    elif variant == "photographed":
        images = [_photograph(im, rng) for im in images]
    quality = 70 if variant == "photographed" else rng.randrange(68, 82) if variant == "scanned" else 92
    if fmt == "pdf":
        first, *rest = images
        first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(_RASTER_DPI), quality=quality,
                   title=f"{title}（{WATERMARK}）", creationDate=None, modDate=None)
        return
    sheet = _stack(images)
    if fmt == "png":
        sheet.save(out, "PNG", optimize=False)
        return
    exif = Image.Exif()
    exif[0x0131] = "govauto synthetic test material (SAMPLE)"  # Software
    if variant == "photographed":
        orientation = rng.choice((1, 1, 1, 6, 8, 3))
        if orientation != 1:
            sheet = sheet.transpose(_ORIENTATION_STORED[orientation])
            exif[0x0112] = orientation
    sheet.save(out, "JPEG", quality=quality, exif=exif.tobytes())
