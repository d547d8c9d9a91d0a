"""The portal's code tables: 证件类型, 组成形式, 行政区划, the 经营范围 terms offered as checkboxes, and the
变更事项, 注销类型, 注销原因 and 承诺事项 of the 变更 and 注销 forms.

The 经营范围 codes (``C0001`` ...) number the ``general`` and ``licensed`` terms of the shipped catalogue
(``default_plugins/sole_proprietor/data/scope_catalogue.yaml``) in file order, so a code keeps its meaning as long
as terms are only appended to the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

ID_TYPES: Final[dict[str, str]] = {
    "10": "居民身份证",
    "20": "港澳居民来往内地通行证",
    "30": "台湾居民来往大陆通行证",
}

FORMS: Final[dict[str, str]] = {"1": "个人经营", "2": "家庭经营"}

DIVISIONS: Final[dict[str, str]] = {
    "440303": "罗湖区",
    "440304": "福田区",
    "440305": "南山区",
    "440306": "宝安区",
    "440307": "龙岗区",
    "440308": "盐田区",
    "440309": "龙华区",
    "440310": "坪山区",
    "440311": "光明区",
    "110101": "东城区",
    "110105": "朝阳区",
    "310115": "浦东新区",
}

CHANGE_ITEMS: Final[dict[str, str]] = {
    "01": "名称",
    "02": "经营者",
    "03": "经营者住所",
    "04": "经营场所",
    "05": "经营范围",
    "06": "组成形式",
    "07": "资金数额",
    "08": "从业人数",
}
"""变更事项: the checkboxes ``bgsx`` of the 变更登记 form."""

DEREGISTER_KINDS: Final[dict[str, str]] = {"1": "普通注销", "2": "简易注销"}
"""注销类型 (``zxlx``)."""

DEREGISTER_REASONS: Final[dict[str, str]] = {
    "01": "经营者决定停止经营",
    "02": "依法被吊销营业执照、责令关闭或者被撤销",
    "09": "其他原因",
}
"""注销原因 (``zxyy``)."""

COMMITMENTS: Final[dict[str, str]] = {
    "01": "未发生或已结清税款（滞纳金、罚款）",
    "02": "未发生或已结清债权债务",
    "03": "无尚未执行完毕的行政处罚",
    "04": "未被立案调查、采取行政强制，未处于诉讼或仲裁程序",
    "05": "未被列入经营异常名录",
    "06": "未被列入严重违法失信名单",
    "07": "未被吊销营业执照、责令关闭或者撤销",
}
"""承诺事项: the checkboxes ``cnsx`` of the 注销登记 form; 简易注销 needs all of them."""

BUSINESS_TYPES: Final[dict[str, str]] = {"01": "设立登记", "02": "变更登记", "03": "注销登记"}
"""业务类型: the search page's filter (``ywlx``), one per form."""

SIMPLIFIED_PERIOD_DAYS: Final = 10
"""The 公示 (for a 个体工商户: the push to 税务等有关部门) of 简易注销 lasts this many days."""


@dataclass(frozen=True, slots=True)
class ScopeItem:
    """One checkbox of the 经营范围 list."""

    code: str
    label: str
    kind: str


@cache
def scope_items() -> tuple[ScopeItem, ...]:
    """The 经营范围 checkboxes: every ``general`` and ``licensed`` term, coded ``C0001`` ... in file order."""
    from govauto.default_plugins.sole_proprietor.functions import scope_catalogue

    terms = [t for t in scope_catalogue().values() if t.kind in ("general", "licensed")]
    return tuple(ScopeItem(f"C{i:04d}", t.term, t.kind) for i, t in enumerate(terms, start=1))


@cache
def scope_labels() -> dict[str, str]:
    """Code → label of every 经营范围 checkbox."""
    return {item.code: item.label for item in scope_items()}
