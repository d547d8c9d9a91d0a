"""The portal's code tables: 证件类型, 组成形式, 行政区划 and the 经营范围 terms offered as checkboxes.

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
