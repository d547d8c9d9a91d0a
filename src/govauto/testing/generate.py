"""Generated 个体工商户设立 cases: plausible applications with deficiencies planted at random.

Used by the differential tests (both engines must agree on every case) and by ``make bench``. Deterministic
for a given seed. Every generated case fits the case contract; what varies is what the rules judge.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from stdnum.cn import ric

AUTHORITIES = [
    ("深圳市南山区市场监督管理局", "440305", "广东省深圳市南山区", "深圳市南山区"),
    ("深圳市福田区市场监督管理局", "440304", "广东省深圳市福田区", "深圳市福田区"),
    ("北京市东城区市场监督管理局", "110101", "北京市东城区", "北京市东城区"),
    ("昆山市市场监督管理局", "320583", "江苏省苏州市昆山市", "昆山市"),
]
SURNAMES = "张王李赵陈刘杨黄周吴徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
SCOPE_OK = ["日用百货销售", "食品销售（仅销售预包装食品）", "五金产品零售", "服装服饰零售", "家用电器销售",
            "日用电器修理", "理发服务", "洗染服务", "家政服务", "文具用品零售"]
SCOPE_LICENSED = ["餐饮服务", "烟草制品零售", "药品零售", "出版物零售"]
SCOPE_BAD = ["银行业务", "保险业务", "卖点东西", "日用百货销售(网络)", ""]
TRADE = ["好运", "张记", "美家", "兴旺", "小", "A1", "中国", "最佳", "福田"]
INDUSTRY = ["便利店", "五金店", "餐馆", "理发店", "服装店", "商行", "贸易有限公司", "集团", "维修部"]


def _id_number(rng: random.Random, birth: dt.date, region: str = "440305") -> str:
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _maybe(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def generate_case(rng: random.Random, index: int = 0, defect_rate: float = 0.15) -> dict[str, Any]:
    """One case; each kind of deficiency is planted with probability about ``defect_rate``."""
    authority = rng.choice(AUTHORITIES)
    submitted = dt.datetime(2026, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(
        days=rng.randrange(330), minutes=rng.randrange(600))
    age = rng.choice([14, 15, 16, 17, 18, 25, 40, 60]) if _maybe(rng, defect_rate) else rng.randrange(18, 70)
    birth = submitted.date() - dt.timedelta(days=int(age * 365.25) + rng.randrange(0, 300))
    id_number = _id_number(rng, birth)
    if _maybe(rng, defect_rate):
        id_number = rng.choice([id_number[:-1] + ("0" if id_number[-1] != "0" else "1"), id_number[:15],
                                id_number[:-1].lower() + "x", "44030520230230123X", id_number.replace("19", "1O", 1)])
    applicant: dict[str, Any] = {
        "name": _person(rng),
        "id_number": id_number,
        "id_valid_until": rng.choice(
            ["长期", (submitted.date() + dt.timedelta(days=rng.randrange(-400, 4000))).isoformat()]),
        "phone": rng.choice(["13800138000", "139-2288-1234", "+86 137 0013 7000"]) if not _maybe(rng, defect_rate)
        else rng.choice(["1234", "0755-12345678", "23800138000", ""]),
        "address": authority[2] + f"桃园路{rng.randrange(1, 300)}号" if not _maybe(rng, defect_rate)
        else rng.choice(["广东省深圳市宝安区新安街道1号", "某地某路", "江苏省苏州市昆山市前进路1号"]),
        "own_income": _maybe(rng, 0.3),
        "public_servant": _maybe(rng, defect_rate / 3),
    }
    family = _maybe(rng, 0.2)
    members = []
    if family and not _maybe(rng, defect_rate):
        for _ in range(rng.randrange(1, 3)):
            mid = _id_number(rng, birth + dt.timedelta(days=rng.randrange(-3000, 3000)))
            members.append({"name": _person(rng), "id_number": mid if not _maybe(rng, defect_rate) else mid[:-1] + "5",
                            "relation": rng.choice(["配偶", "子女", "父母"])})
    agent = None
    if _maybe(rng, 0.2):
        aid = _id_number(rng, dt.date(1980, 1, 1) + dt.timedelta(days=rng.randrange(8000)))
        agent = {"name": _person(rng), "id_number": aid if not _maybe(rng, defect_rate) else "12345",
                 "phone": "13700137000"}
    name = None
    if _maybe(rng, 0.7):
        trade = rng.choice(TRADE[:4]) if not _maybe(rng, defect_rate) else rng.choice(TRADE)
        industry = rng.choice(INDUSTRY[:6]) if not _maybe(rng, defect_rate) else rng.choice(INDUSTRY)
        prefix = authority[3] if not _maybe(rng, defect_rate) else rng.choice(["", "南山区", "广东省"])
        suffix = "（个体工商户）" if not _maybe(rng, defect_rate) else rng.choice(["", "(个体工商户)"])
        name = prefix + trade + industry + suffix
    scope = rng.sample(SCOPE_OK, rng.randrange(1, 4))
    if _maybe(rng, defect_rate):
        scope.append(rng.choice(SCOPE_LICENSED))
    if _maybe(rng, defect_rate):
        scope.append(rng.choice(SCOPE_BAD))
    if _maybe(rng, defect_rate / 2):
        scope = []
    premises = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        kind = rng.choice(["commercial", "commercial", "residential", "online"])
        division = authority[1] if not _maybe(rng, defect_rate) else rng.choice(["440306", "440304", "110105"])
        item: dict[str, Any] = {"division": division, "kind": kind,
                                "proof": rng.choice(["lease", "ownership", "commitment", "none"])}
        if kind != "online" and not _maybe(rng, defect_rate):
            item["address"] = authority[2] + f"某路{rng.randrange(1, 999)}号"
        if kind == "residential":
            item["neighbour_consent"] = rng.choice([True, False, None])
        if kind == "online" and not _maybe(rng, defect_rate):
            item["url"] = f"https://shop.example-platform.cn/{rng.randrange(10**6)}"
        premises.append(item)
    if _maybe(rng, defect_rate / 3):
        premises = []
    kinds = ["application_form", "id_card", "premises_proof"]
    if family:
        kinds.append("family_relation_proof")
    if agent:
        kinds.append("authorisation")
    materials = [{"kind": k, "source": "shared"} for k in kinds if not _maybe(rng, defect_rate / 2)]
    return {
        "matter": "sole_proprietor.establish",
        "case_id": f"GEN-{index:06d}",
        "submitted_at": submitted.isoformat(),
        "authority": {"name": authority[0], "division": authority[1]},
        "applicant": applicant,
        "organisation": "family" if family else "individual",
        "family_members": members,
        "agent": agent,
        "business": {
            "name": name,
            "scope": scope,
            "premises": premises,
            "capital": rng.choice([50000, 1000, 300000]) if not _maybe(rng, defect_rate) else rng.choice([0, -5, None]),
            "employees": rng.randrange(0, 10) if not _maybe(rng, defect_rate / 2) else -1,
        },
        "licences": [],
        "materials": materials,
    }


def generate_cases(count: int, seed: int = 0, defect_rate: float = 0.15) -> Iterator[dict[str, Any]]:
    """``count`` cases, deterministic for ``seed``."""
    rng = random.Random(seed)
    for index in range(count):
        yield generate_case(rng, index, defect_rate)


def generate_approved_cases(count: int, seed: int = 0, divisions: tuple[str, ...] = ("440304", "440305", "110101"),
                            ) -> Iterator[dict[str, Any]]:
    """``count`` complete applications the establish pack approves, in ``divisions`` (by default ones the
    legacy-portal simulator knows): what robot tests, the demo and ``bench/bench_robots.py`` enter. Each has a
    distinct ``case_id``; deterministic for ``seed``."""
    from govauto.runtime import Runtime

    runtime = Runtime(load_entrypoints=False)
    rng = random.Random(seed)
    made = 0
    index = 0
    while made < count:
        case = generate_case(rng, index, defect_rate=0.0)
        index += 1
        if any(p["division"] not in divisions for p in case["business"]["premises"]):
            continue
        if runtime.review(case, extract=False).outcome != "approve":
            continue
        made += 1
        yield case
