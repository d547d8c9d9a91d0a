"""Rule functions of the 个体工商户设立登记 rule pack: pure functions that derive facts for one-line rules.

Every function takes fact values (``str``, ``int``, ``bool``, ISO date strings or :class:`datetime.date`, lists
of ``str``, or ``None`` for a missing fact) and returns a JSON-like scalar, a tuple of strings, or ``None`` for
"unknown / not applicable". None of them raises, whatever it is given. Conventions shared by all of them:

* A missing argument (``None``, an empty or blank string, an empty list) gives ``None``.
* An argument of the wrong type gives ``False`` from the yes/no *validity* checks (``id_format_ok``,
  ``mobile_ok``, ``name_has_suffix``, ``name_division_ok``, ``name_trade_name_ok``) and ``None`` elsewhere.
* A region code is a 6-digit GB/T 2260 code, given as ``str`` (or as a 6-digit ``int``).

Data is loaded at first use and kept for the life of the process: the GB/T 2260 table shipped with
python-stdnum (``stdnum/cn/loc.dat``) and two files of this package, ``data/scope_catalogue.yaml`` (经营范围规范
表述) and ``data/name_words.yaml`` (word lists for business names). Results over strings are memoised.

:data:`FUNCTIONS` maps the names rules call to the functions.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

import yaml

__all__ = [
    "FUNCTIONS",
    "address_in_area",
    "age_on",
    "division_historic",
    "division_known",
    "division_name",
    "id_birthdate_ok",
    "id_checksum_ok",
    "id_expired",
    "id_format_ok",
    "mobile_ok",
    "name_bad_characters",
    "name_division_ok",
    "name_forbidden_form",
    "name_has_suffix",
    "name_prohibited_word",
    "name_trade_name",
    "name_trade_name_ok",
    "same_area",
    "scope_kind",
]

_PACKAGE: Final = "govauto.default_plugins.sole_proprietor"
_CACHE: Final = 4096

# ---- shared helpers -------------------------------------------------------------------------------------------


def _missing(value: object) -> bool:
    """The rule language's notion of missing: ``None``, a blank string or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple)) and not value


def _text(value: object) -> str | None:
    """A non-blank string with surrounding whitespace removed, else ``None``."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


_DATE_SEP: Final = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?(?:[T ].*)?", re.ASCII | re.DOTALL)
_DATE_COMPACT: Final = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)


@lru_cache(maxsize=_CACHE)
def _parse_date(text: str) -> dt.date | None:
    match = _DATE_SEP.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _as_date(value: object) -> dt.date | None:
    """A date from a :class:`~datetime.date`, a datetime, or text such as ``2026-11-20`` (also ``2026.11.20``,
    ``2026/11/20``, ``20261120``, ``2026年11月20日`` and ISO date-times); ``None`` when it is none of these."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if text is None or len(text) > 40:
        return None
    return _parse_date(text)


def _code(value: object) -> str | None:
    """A 6-digit region code from ``"440305"`` or ``440305``; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    text = _text(value)
    if text is not None and len(text) == 6 and text.isascii() and text.isdigit():
        return text
    return None


# ---- 公民身份号码 (GB 11643-1999) ------------------------------------------------------------------------------

_ID_RE: Final = re.compile(r"[0-9]{17}[0-9Xx]")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"  # index: sum of weighted digits mod 11


def _id_number(value: object) -> str | None:
    """The upper-cased 18-character number when ``value`` has the right format, else ``None``."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) != 18 or _ID_RE.fullmatch(value) is None:
        return None
    return value.upper()


def _birth_date(number: str) -> dt.date | None:
    """The birth date coded in a well-formed number when it is a real date in or after 1900."""
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None


def id_format_ok(id: object) -> bool | None:
    """Whether ``id`` has the format of an 18-character 公民身份号码: 17 ASCII digits then a digit or ``X``/``x``.

    Surrounding whitespace is ignored. 15-digit first-generation numbers fail.

    :returns: ``None`` when ``id`` is missing, ``False`` when it is not a string or has another format.
    """
    if _missing(id):
        return None
    return _id_number(id) is not None


def id_checksum_ok(id: object) -> bool | None:
    """Whether the check character of a well-formed 公民身份号码 is right (ISO 7064 MOD 11-2; ``x`` = ``X``).

    Check = (12 - Σ(digit × weight) mod 11) mod 11 with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and 10
    written ``X``.

    :returns: ``None`` when ``id`` is missing or not of the right format (see :func:`id_format_ok`).
    """
    number = _id_number(id)
    if number is None:
        return None
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == number[17]


def id_birthdate_ok(id: object, on: object) -> bool | None:
    """Whether the birth-date code (characters 7–14) of a well-formed 公民身份号码 is a real calendar date,
    in or after 1900 and not after the date ``on``.

    :param on: the date of the application (ISO text or a date).
    :returns: ``None`` when ``id`` is missing or not well formed; ``None`` also when the birth date is a real
        date but ``on`` is missing or unreadable (it cannot be compared); ``False`` for an impossible date
        (``20230230``) whatever ``on`` is.
    """
    number = _id_number(id)
    if number is None:
        return None
    born = _birth_date(number)
    if born is None:
        return False
    day = _as_date(on)
    if day is None:
        return None
    return born <= day


def age_on(id: object, on: object) -> int | None:
    """Full years of age on the date ``on`` of the holder of a 公民身份号码.

    A person turns a year older on the anniversary of the birth date; someone born on 29 February turns older
    on 1 March in common years (born 2008-02-29: 17 on 2026-02-28, 18 on 2026-03-01).

    :returns: ``None`` when the number is missing or malformed, its birth date is not real, before 1900 or
        after ``on``, or ``on`` is missing or unreadable.
    """
    number = _id_number(id)
    day = _as_date(on)
    if number is None or day is None:
        return None
    born = _birth_date(number)
    if born is None or born > day:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_LONG_TERM: Final = frozenset({"长期", "长期有效"})


def id_expired(valid_until: object, on: object) -> bool | None:
    """Whether an identity document valid until ``valid_until`` has expired on the date ``on``.

    :param valid_until: the last day of validity (ISO date or another form :func:`_as_date` reads), or
        ``长期`` / ``长期有效`` for a long-term document, which never expires.
    :returns: ``True`` when ``valid_until`` is before ``on`` (the document is still valid on its last day);
        ``None`` when either value is missing or unreadable.
    """
    text = _text(valid_until)
    if text is not None and text in _LONG_TERM:
        return False
    until = _as_date(valid_until)
    day = _as_date(on)
    if until is None or day is None:
        return None
    return until < day


_MOBILE_RE: Final = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_PHONE_JUNK: Final = str.maketrans("", "", " -\u00a0\u3000\t")


def days_between(start: object, end: object) -> int | None:
    """The number of days from ``start`` to ``end`` (negative when ``end`` is earlier); dates read as by
    ``id_expired``. Missing when either date is missing or unreadable."""
    first, last = _as_date(start), _as_date(end)
    if first is None or last is None:
        return None
    return (last - first).days


def mobile_ok(phone: object) -> bool | None:
    """Whether ``phone`` is a mainland China mobile number: 11 digits starting ``13``–``19``.

    Spaces and hyphens are ignored, and so is a leading ``+86``, ``0086`` or ``86``. An ``int`` is read as its
    digits. Full-width digits are not accepted.

    :returns: ``None`` when ``phone`` is missing, ``False`` for any other type or text.
    """
    if _missing(phone):
        return None
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    if not isinstance(phone, str) or len(phone) > 40:
        return False
    return _MOBILE_RE.fullmatch(phone.translate(_PHONE_JUNK)) is not None


def uscc_ok(code: object) -> bool | None:
    """Whether ``code`` is a valid 统一社会信用代码 (GB 32100-2015: 18 characters, check character included).

    Validated with python-stdnum (``stdnum.cn.uscc``); outer whitespace is ignored, lowercase accepted.

    :returns: ``None`` when ``code`` is missing, ``False`` for any other type or an invalid code.
    """
    if _missing(code):
        return None
    if not isinstance(code, str) or len(code) > 40:
        return False
    from stdnum.cn import uscc

    return bool(uscc.is_valid(code.strip().upper()))


_ADDRESS_JUNK = re.compile(r"[\s,，.。、:：;；()（）\-—#＃]")


def _address_key(address: str) -> str:
    text = unicodedata.normalize("NFKC", address)
    text = _ADDRESS_JUNK.sub("", text)
    text = re.sub(r"^.{2,8}?(省|自治区)", "", text)
    text = re.sub(r"^.{2,8}?市(?=.{2,10}?[区县市旗])", "", text)
    return text


def same_address(first: object, second: object) -> bool | None:
    """Whether two addresses name the same place, ignoring punctuation, spaces, full/half width and a leading
    province or city (a lease often omits them): equal, or one ends with the other and the shorter still
    names the street or building (at least 6 characters).

    :returns: ``None`` when either is missing or not text.
    """
    if _missing(first) or _missing(second) or not isinstance(first, str) or not isinstance(second, str):
        return None
    a, b = _address_key(first), _address_key(second)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 6 and long.endswith(short)


def same_address_as_any(address: object, premises: object) -> bool | None:
    """Whether ``address`` is the same place as the address of any premises in the list ``premises``
    (``business.premises``); ``None`` when the address is missing or no premises has an address."""
    if _missing(address) or not isinstance(premises, list):
        return None
    answers = [same_address(address, p.get("address")) for p in premises if isinstance(p, dict)]
    if any(answers):
        return True
    return False if any(a is False for a in answers) else None



def same_text(first: object, second: object) -> bool | None:
    """Whether two texts are the same once spaces are removed and both are in NFKC form (full- and half-width
    brackets, letters and digits alike): what was read from a material (normalised so) against what was typed
    (``深圳市南山区张三五金店(个体工商户)`` and ``深圳市南山区张三五金店（个体工商户）`` are the same).

    :returns: ``None`` when either is missing or not text.
    """
    if _missing(first) or _missing(second) or not isinstance(first, str) or not isinstance(second, str):
        return None
    return _text_key(first) == _text_key(second)


def _text_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))

# ---- GB/T 2260 行政区划 -----------------------------------------------------------------------------------------

_PLACEHOLDERS: Final = frozenset(
    {
        "市辖区",
        "县",
        "省直辖县级行政单位",
        "省直辖县级行政区划",
        "自治区直辖县级行政单位",
        "自治区直辖县级行政区划",
        "省直辖行政单位",
    }
)
# loc.dat (from Wikipedia) spells a few current names in traditional characters.
_TO_SIMPLIFIED: Final = str.maketrans({"區": "区", "達": "达", "嶺": "岭", "縣": "县", "門": "门"})
_NAME_ENDINGS: Final = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "新区",
    "矿区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
    "州",
)


@dataclass(frozen=True, slots=True)
class Division:
    """One GB/T 2260 division in force."""

    code: str
    name: str
    level: int
    """1 = province level, 2 = prefecture level, 3 = county level."""
    chain: tuple[str, ...]
    """Names from the province down to this division, leaving out statistical placeholders (市辖区, 县,
    省直辖县级行政单位): ``('广东省', '深圳市', '南山区')``, ``('北京市', '朝阳区')``, ``('湖北省', '仙桃市')``."""
    district: bool
    """A 市辖区: a county-level 区 directly under a city, whose name must be preceded by the city's."""


@dataclass(frozen=True, slots=True)
class _Divisions:
    current: Mapping[str, Division]
    historic: Mapping[str, tuple[str, ...]]
    """Code -> former names with their year range, e.g. ``'[1983-1989]南头区办事处'``."""
    by_name: Mapping[str, tuple[str, ...]]
    """Current name -> codes (several divisions share names such as 鼓楼区)."""
    endings: frozenset[str]
    max_len: int
    place_names: frozenset[str]
    """Names and short forms a 字号 may not be (see :func:`name_trade_name_ok`)."""
    generic: frozenset[str]


def _parse_loc(text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Current names (placeholders included) and historic entries by code from loc.dat text."""
    current: dict[str, str] = {}
    historic: dict[str, list[str]] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.strip().partition(" ")
        key, _, value = rest.partition("=")
        value = value.strip().strip('"')
        if key == "province" and len(head) == 2:
            province = head
            current.setdefault(province + "0000", value)
            continue
        if key != "county" or len(head) != 4 or not province:
            continue
        code = province + head
        for entry in value.split(","):
            entry = entry.strip()
            if entry.startswith("["):
                years, _, name = entry[1:].partition("]")
                if years.endswith("-"):
                    current[code] = name.translate(_TO_SIMPLIFIED)
                else:
                    historic.setdefault(code, []).append(entry)
            elif entry:
                current[code] = entry.translate(_TO_SIMPLIFIED)
    return current, historic


def _short_name(name: str, ethnic: Iterable[str]) -> str:
    """The customary short form of a division name: 昆山市 -> 昆山, 延边朝鲜族自治州 -> 延边, 西藏自治区 -> 西藏.

    In autonomous areas the name is cut before the first ethnic-group name, if at least two characters are left
    before it; a one-character group name counts only when 族 follows it.
    """
    autonomous = "自治" in name
    for ending in _NAME_ENDINGS:
        if name.endswith(ending) and len(name) > len(ending):
            name = name[: -len(ending)]
            break
    if autonomous:
        cuts = [
            i for group in ethnic if (i := name.find(group)) >= 2 and (len(group) > 1 or name[i + 1 : i + 2] == "族")
        ]
        if cuts:
            name = name[: min(cuts)]
    return name


@cache
def _divisions() -> _Divisions:
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    raw, historic = _parse_loc(text)
    words = _name_words()
    current: dict[str, Division] = {}
    for code, name in raw.items():
        if name in _PLACEHOLDERS:
            continue
        level = 1 if code.endswith("0000") else 2 if code.endswith("00") else 3
        if level == 1:
            chain: tuple[str, ...] = (name,)
        elif level == 2:
            province = raw.get(code[:2] + "0000")
            chain = (province, name) if province else (name,)
        else:
            parents = [raw.get(c) for c in (code[:2] + "0000", code[:4] + "00")]
            chain = (*(p for p in parents if p and p not in _PLACEHOLDERS), name)
        district = level == 3 and name.endswith("区") and len(chain) >= 2 and chain[-2].endswith("市")
        current[code] = Division(code, name, level, chain, district)
    by_name: dict[str, list[str]] = {}
    for division in current.values():
        by_name.setdefault(division.name, []).append(division.code)
    ethnic = sorted(words.ethnic_groups, key=len, reverse=True)
    places = set(by_name)
    for division in current.values():
        if not division.district:
            short = _short_name(division.name, ethnic)
            if len(short) >= 2:
                places.add(short)
    places -= words.other_meaning
    places -= {"中国"}  # a national word, reported by name_prohibited_word
    for extra in ("香港", "澳门", "台湾"):
        places.add(extra)
    return _Divisions(
        current=current,
        historic={code: tuple(entries) for code, entries in historic.items()},
        by_name={name: tuple(codes) for name, codes in by_name.items()},
        endings=frozenset(name[-1] for name in by_name),
        max_len=max(len(name) for name in by_name),
        place_names=frozenset(places),
        generic=words.generic_divisions,
    )


def division_historic(code: object) -> tuple[str, ...] | None:
    """Former names of a GB/T 2260 code with their year ranges (``'[1983-1989]南头区办事处'``), for reference.

    :returns: ``None`` when the code is malformed or has no former names.
    """
    key = _code(code)
    return None if key is None else _divisions().historic.get(key)


def division_name(code: object) -> tuple[str, ...] | None:
    """The names of a division in force and of its parents, province first.

    ``'440305'`` -> ``('广东省', '深圳市', '南山区')``; ``'110105'`` -> ``('北京市', '朝阳区')`` (the statistical
    placeholders 市辖区 / 县 / 省直辖县级行政单位 are left out); ``'440300'`` -> ``('广东省', '深圳市')``.

    :returns: ``None`` when the code is missing, malformed or not a division currently in force.
    """
    key = _code(code)
    if key is None:
        return None
    division = _divisions().current.get(key)
    return None if division is None else division.chain


def division_known(code: object) -> bool:
    """Whether ``code`` is a GB/T 2260 division currently in force (province, prefecture or county level).

    Placeholders (``440301`` 市辖区) and abolished codes are not known. Always a ``bool``: missing or malformed
    codes give ``False``.
    """
    key = _code(code)
    return key is not None and key in _divisions().current


def _scope_prefix(code: str) -> str:
    """The prefix of the codes inside the area of ``code``: ``'440300'`` -> ``'4403'``."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def same_area(premises_division: object, authority_division: object) -> bool | None:
    """Whether premises in ``premises_division`` lie in the area of an authority for ``authority_division``.

    True when the codes are equal, or when the authority is prefecture level (code ending ``00``) or province
    level (``0000``) and the premises code lies inside it. Codes are compared as codes; they need not be known.

    :returns: ``None`` when either code is missing or not 6 digits.
    """
    premises, authority = _code(premises_division), _code(authority_division)
    if premises is None or authority is None:
        return None
    return premises == authority or premises.startswith(_scope_prefix(authority))


def _find_divisions(text: str) -> list[str]:
    """Names of divisions in force found in ``text``, left to right, longest match, without overlaps.

    Scans for the last characters of names (市, 区, 县 ...) and looks back, so it is fast on short texts.
    Generic names (城区, 郊区, 新区 ...) are ignored.
    """
    data = _divisions()
    names, endings, generic = data.by_name, data.endings, data.generic
    matches: list[tuple[int, int, str]] = []
    for end, char in enumerate(text, start=1):
        if char not in endings:
            continue
        for length in range(min(data.max_len, end), 1, -1):
            candidate = text[end - length : end]
            if candidate in names and candidate not in generic:
                matches.append((end - length, end, candidate))
                break
    found: list[str] = []
    last_end = 0
    for start, end, name in sorted(matches):
        if start >= last_end:
            found.append(name)
            last_end = end
    return found


def address_in_area(address: object, authority_division: object) -> bool | None:
    """Whether an address names the area of the authority for ``authority_division``.

    Used for online-only sellers, whose 住所 decides jurisdiction. Only full official names count (深圳市南山区,
    not 深圳南山). For a county-level authority the address must name its county; a 市辖区 counts only when its
    city is named before it. For a prefecture- or province-level authority, naming it or any division inside it
    is enough.

    :returns: ``True`` as above; ``False`` when the address names another county, or a city or province that
        does not contain the authority; ``None`` when the address names no division in force, names only the
        authority's city or province (the county cannot be told), names a 市辖区 of the same name without any
        city, or when an argument is missing or the code unknown.
    """
    text = _text(address)
    code = _code(authority_division)
    if text is None or code is None or code not in _divisions().current or len(text) > 500:
        return None
    return _address_in_area(text, code)


@lru_cache(maxsize=_CACHE)
def _address_in_area(text: str, code: str) -> bool | None:
    data = _divisions()
    division = data.current[code]
    found = _find_divisions(text)
    if division.level < 3:
        if division.name in text:
            return True
        if not found:
            return None
        prefix = _scope_prefix(code)
        return any(c.startswith(prefix) for name in found for c in data.by_name[name])
    ancestors = set(division.chain[:-1])
    at = text.find(division.name)
    if at >= 0:
        if not division.district:
            return True
        city_at = text.find(division.chain[-2])
        if 0 <= city_at < at:
            return True
        others = [name for name in found if name not in ancestors and name != division.name]
        return False if others else None
    if not found:
        return None
    if any(name not in ancestors for name in found):
        return False
    return None


# ---- 经营范围 --------------------------------------------------------------------------------------------------

_SCOPE_SPACE: Final = re.compile(r"\s+")
_SCOPE_LEAD: Final = ("一般项目:", "许可项目:")
_SCOPE_ONLINE: Final = "（仅通过网络开展经营活动）"
_SCOPE_TRAIL: Final = ";。.,、 "


def _normalise_scope(item: str) -> str:
    """NFKC, no whitespace, full-width round brackets; no 一般项目：/许可项目： lead, trailing punctuation or
    trailing （仅通过网络开展经营活动）."""
    text = unicodedata.normalize("NFKC", item)
    text = _SCOPE_SPACE.sub("", text).replace("(", "（").replace(")", "）")
    for lead in _SCOPE_LEAD:
        if text.startswith(lead):
            text = text[len(lead) :]
    text = text.rstrip(_SCOPE_TRAIL)
    if text.endswith(_SCOPE_ONLINE) and len(text) > len(_SCOPE_ONLINE):
        text = text[: -len(_SCOPE_ONLINE)]
    return text


@dataclass(frozen=True, slots=True)
class ScopeTerm:
    """One standard term of the catalogue."""

    term: str
    kind: str
    licence: str | None = None
    basis: str | None = None
    reason: str | None = None
    note: str | None = None
    unsure: bool = False


_SCOPE_KINDS: Final = frozenset({"general", "licensed", "prohibited"})


@cache
def scope_catalogue() -> Mapping[str, ScopeTerm]:
    """The shipped catalogue (``data/scope_catalogue.yaml``) keyed by normalised term."""
    raw = yaml.safe_load(_data_text("scope_catalogue.yaml"))
    table: dict[str, ScopeTerm] = {}
    for entry in raw["terms"]:
        term = ScopeTerm(
            term=str(entry["term"]),
            kind=str(entry["kind"]),
            licence=entry.get("licence"),
            basis=entry.get("basis"),
            reason=entry.get("reason"),
            note=entry.get("note"),
            unsure=bool(entry.get("unsure", False)),
        )
        if term.kind not in _SCOPE_KINDS:
            raise ValueError(f"scope_catalogue.yaml: {term.term}: unknown kind {term.kind!r}")
        table[_normalise_scope(term.term)] = term
    return table


def scope_kind(item: object) -> str | None:
    """The kind of a business-scope item in the 经营范围登记规范表述目录.

    The item is normalised first: full-/half-width forms (NFKC), brackets written ``（）``, whitespace
    removed, a leading ``一般项目：``/``许可项目：``, trailing punctuation and a trailing
    ``（仅通过网络开展经营活动）`` dropped.

    :returns: ``'general'`` (一般项目), ``'licensed'`` (许可项目: obtain the permit after registration),
        ``'prohibited'`` (a 个体工商户 may not run it), or ``None`` when the item is missing, not a string or
        not a standard term of the shipped catalogue.
    """
    text = _text(item)
    if text is None or len(text) > 200:
        return None
    return _scope_kind(text)


@lru_cache(maxsize=_CACHE)
def _scope_kind(text: str) -> str | None:
    term = scope_catalogue().get(_normalise_scope(text))
    return None if term is None else term.kind


# ---- 名称 ------------------------------------------------------------------------------------------------------


def _data_text(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``words``, preferring the longest at a position."""
    ordered = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, ordered)))


@dataclass(frozen=True, slots=True)
class _NameWords:
    forbidden: re.Pattern[str]
    prohibited: re.Pattern[str]
    exempt: re.Pattern[str] | None
    org_single: frozenset[str]
    tail_words: Mapping[int, frozenset[str]]
    """Industry words and multi-character organisation words by length."""
    tail_max: int
    subarea: re.Pattern[str]
    ethnic_groups: tuple[str, ...]
    other_meaning: frozenset[str]
    generic_divisions: frozenset[str]


@cache
def _name_words() -> _NameWords:
    raw = yaml.safe_load(_data_text("name_words.yaml"))
    prohibited = [str(w) for group in raw["prohibited"] for w in group["words"]]
    exempt = [str(w) for group in raw["prohibited"] for w in group.get("exempt", [])]
    orgs = [str(w) for w in raw["organisation_forms"]]
    tail = [w for w in orgs if len(w) > 1] + [str(w) for w in raw["industry_words"]]
    by_length: dict[int, set[str]] = {}
    for word in tail:
        by_length.setdefault(len(word), set()).add(word)
    markers = "|".join(map(re.escape, sorted(raw["subdivision_markers"], key=len, reverse=True)))
    return _NameWords(
        forbidden=_alternation(str(w) for w in raw["forbidden_forms"]),
        prohibited=_alternation(prohibited),
        exempt=_alternation(exempt) if exempt else None,
        org_single=frozenset(w for w in orgs if len(w) == 1),
        tail_words={length: frozenset(words) for length, words in by_length.items()},
        tail_max=max(by_length),
        subarea=re.compile(rf"[\u4e00-\u9fff]{{2,6}}?(?:{markers})"),
        ethnic_groups=tuple(str(w) for w in raw["ethnic_groups"]),
        other_meaning=frozenset(str(w) for w in raw["place_names_with_other_meaning"]),
        generic_divisions=frozenset(str(w) for w in raw["generic_division_names"]),
    )


_SUFFIX: Final = "（个体工商户）"
_SUFFIX_VARIANTS: Final = (_SUFFIX, "(个体工商户)", "（个体工商户)", "(个体工商户）")
_HANZI: Final = "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_NOT_HANZI: Final = re.compile(f"[^{_HANZI}]")
_HANZI_RE: Final = re.compile(f"[{_HANZI}]")
_MAX_NAME: Final = 200


def _core(name: str) -> str:
    """The name without surrounding whitespace and without a final "（个体工商户）" in any bracket width."""
    for suffix in _SUFFIX_VARIANTS:
        if name.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name


def name_has_suffix(name: object) -> bool | None:
    """Whether the name ends with "（个体工商户）" in full-width brackets (实施办法 第五十三条).

    Half-width "(个体工商户)" (or mixed widths) does not count. Surrounding whitespace is ignored.

    :returns: ``None`` when the name is missing, ``False`` when it is not a string.
    """
    if _missing(name):
        return None
    text = _text(name)
    return text is not None and text.endswith(_SUFFIX)


def name_bad_characters(name: object) -> str | None:
    """The characters of a name that are not 汉字, each once, in order of appearance.

    A final "（个体工商户）" is left out, also when written with half-width or mixed brackets: a wrong suffix is
    reported once, by :func:`name_has_suffix`. Anything else that is not a CJK ideograph (or 〇) is reported:
    Latin letters, digits (half- or full-width), spaces inside the name, punctuation, brackets elsewhere, the
    middle dot "·". Traditional characters are not detected.

    :returns: the offending characters as one string, or ``None`` when the name is clean, missing or not a
        string.
    """
    text = _text(name)
    if text is None:
        return None
    text = _core(text)
    bad = _NOT_HANZI.findall(text[:_MAX_NAME] if len(text) > _MAX_NAME else text)
    return "".join(dict.fromkeys(bad)) or None


def name_forbidden_form(name: object) -> str | None:
    """The first word in a name suggesting another legal form or a branch (公司, 有限公司, 股份, 合伙, 个人独资,
    企业, 集团, 合作社, 分店, 分部 ...; list in ``data/name_words.yaml``), leftmost first and the longest word at
    that position ("王五贸易有限公司" -> "有限公司").

    :returns: the word, or ``None`` when there is none or the name is missing or not a string.
    """
    text = _text(name)
    if text is None:
        return None
    match = _name_words().forbidden.search(_core(text[: _MAX_NAME * 5]))
    return None if match is None else match.group()


def name_prohibited_word(name: object) -> str | None:
    """The first prohibited or approval-only word in a name, leftmost first (longest at that position).

    Covers 中国/中华/全国/国家/中央/国际 anywhere in the name (名称规定 第十二条), 国家级/最高级/最佳 and other
    misleading wording, and word lists for the categories of 名称规定 第十一条 (party, state and military
    bodies; foreign states and international organisations; obscene, gambling, superstitious, violent,
    discriminatory or vulgar wording; names implying a non-profit or public body). Customary phrases such as
    中央空调 are exempt. Lists are in ``data/name_words.yaml``.

    :returns: the word, or ``None`` when there is none or the name is missing or not a string.
    """
    text = _text(name)
    if text is None:
        return None
    return _prohibited_word(_core(text[: _MAX_NAME * 5]))


@lru_cache(maxsize=_CACHE)
def _prohibited_word(core: str) -> str | None:
    words = _name_words()
    if words.exempt is not None:
        core = words.exempt.sub(lambda m: "\x00" * len(m.group()), core)
    match = words.prohibited.search(core)
    return None if match is None else match.group()


@lru_cache(maxsize=_CACHE)
def _division_prefixes(code: str) -> tuple[str, ...]:
    """The accepted ways a name may begin with the division of ``code``, longest first."""
    division = _divisions().current.get(code)
    if division is None:
        return ()
    chain = division.chain
    forms = {"".join(chain)}
    if division.level == 3:
        if division.district:
            forms.add("".join(chain[-2:]))
        else:
            forms.add(division.name)
            forms.add(chain[0] + division.name)
            if len(chain) == 3:
                forms.add(chain[1] + division.name)
    elif division.level == 2:
        forms.add(division.name)
    return tuple(sorted(forms, key=len, reverse=True))


def name_division_ok(name: object, authority_division: object) -> bool | None:
    """Whether the name begins with the 行政区划 of the authority for ``authority_division``.

    Only full official names count (conservative: "深圳南山" does not). For a county-level code:

    * a 市辖区 must be preceded by its city, optionally by the province too: 深圳市南山区, 广东省深圳市南山区
      (北京市朝阳区 for a municipality); 南山区 alone is not enough;
    * a county or county-level city may stand alone or follow its prefecture and/or province: 昆山市,
      苏州市昆山市, 江苏省昆山市, 江苏省苏州市昆山市.

    For a prefecture-level code (an authority such as 东莞市), the city name, alone or after the province. A
    name without any division is not ok.

    :returns: ``None`` when the name is missing or the code is missing, malformed or unknown; ``False`` when
        the name is not a string.
    """
    if _missing(name):
        return None
    text = _text(name)
    code = _code(authority_division)
    if code is None or code not in _divisions().current:
        return None
    if text is None:
        return False
    core = _core(text)
    return any(core.startswith(form) for form in _division_prefixes(code))


def _strip_division(core: str, code: str | None) -> tuple[str, bool]:
    """``core`` without its leading division names, and whether any were removed.

    The authority's own forms are tried first; otherwise up to three leading full names of divisions in force
    (province, city, county) are removed. Generic names (城区, 郊区) count only after another name.
    """
    if code is not None:
        for form in _division_prefixes(code):
            if core.startswith(form) and len(core) > len(form):
                return core[len(form) :], True
    data = _divisions()
    rest, stripped = core, False
    for _ in range(3):
        for length in range(min(data.max_len, len(rest) - 1), 1, -1):
            head = rest[:length]
            if head in data.by_name and (stripped or head not in data.generic):
                rest, stripped = rest[length:], True
                break
        else:
            break
    return rest, stripped


def _strip_tail(rest: str) -> str:
    """``rest`` without its longest tail made only of organisation-form and industry words.

    The tail is segmented into words (a single-character organisation word only as the last one), so that
    overlapping words are handled: 延边冷面馆 -> 延边 + 冷面 + 馆, not 延边冷 + 面馆.
    """
    words = _name_words()
    size = len(rest)
    segmentable = [False] * (size + 1)
    segmentable[size] = True
    cut = size
    for start in range(size - 1, -1, -1):
        for length in range(1, min(words.tail_max, size - start) + 1):
            if not segmentable[start + length]:
                continue
            word = rest[start : start + length]
            if word in words.tail_words.get(length, ()) or (
                length == 1 and start + 1 == size and word in words.org_single
            ):
                segmentable[start] = True
                cut = start
                break
    return rest[:cut]


@lru_cache(maxsize=_CACHE)
def _trade_name(core: str, code: str | None) -> str | None:
    rest, had_division = _strip_division(core, code)
    if had_division:
        sub = _name_words().subarea.match(rest)
        if sub is not None and sub.end() < len(rest):
            trade = _strip_tail(rest[sub.end() :])
            if trade:
                return trade
    return _strip_tail(rest) or None


def name_trade_name(name: object, authority_division: object) -> str | None:
    """The 字号 of a business name, found by a heuristic.

    The name is read as [行政区划][乡镇/街道/村/社区/市场][字号][行业 …][组织形式]（个体工商户）:

    1. the suffix "（个体工商户）" (any bracket width) is dropped;
    2. the leading division is dropped: the accepted forms of the authority's division first (see
       :func:`name_division_ok`), else up to three leading full names of any divisions in force;
    3. after a division, a place "<2–6 汉字><街道|镇|乡|社区|村|市场>" is dropped, unless that leaves no 字号;
    4. the longest tail made only of industry and organisation-form words (便利店, 超市, 餐馆, 五金, 商行,
       工作室 ...; a one-character form word such as 店 or 馆 only at the very end) is dropped.

    What remains is the 字号: 深圳市南山区张三便利店（个体工商户） -> 张三. The word lists are in
    ``data/name_words.yaml``. A name made only of a division and industry words has no 字号.

    :returns: the 字号, or ``None`` when none is left or the name is missing or not a string. An unknown code
        is not an error: step 2 then uses the names of all divisions.
    """
    text = _text(name)
    if text is None or len(text) > _MAX_NAME:
        return None
    return _trade_name(_core(text), _code(authority_division))


def name_trade_name_ok(name: object, authority_division: object) -> bool | None:
    """Whether the name has an acceptable 字号 (名称规定 第八条): found by :func:`name_trade_name`, containing at
    least two 汉字, and not itself a place name of county level or above.

    Place names are the full names of divisions in force and the short forms (昆山, 长沙, 延边, 广东) of
    provinces, prefectures, counties and county-level cities; short forms of 市辖区 (南山, 朝阳) and short forms
    that are ordinary words (东方, 兴隆 ... listed in ``data/name_words.yaml``) are not.

    Characters other than 汉字 are :func:`name_bad_characters`' business and are not held against the 字号
    twice: a 字号 with two 汉字 and other characters passes ("中国A1"), and one with fewer than two 汉字
    *because* it has other characters ("A1", "张A") is not judged (``None``) until the name is corrected.

    :returns: ``None`` when the name is missing or the 字号 cannot be judged as just said; ``False`` when the
        name is not a string or has no acceptable 字号.
    """
    if _missing(name):
        return None
    trade = name_trade_name(name, authority_division)
    if trade is None:
        return False
    if len(_HANZI_RE.findall(trade)) < 2:
        return None if _NOT_HANZI.search(trade) else False
    return trade not in _divisions().place_names


# ---- registry --------------------------------------------------------------------------------------------------

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "id_format_ok": id_format_ok,
    "id_checksum_ok": id_checksum_ok,
    "id_birthdate_ok": id_birthdate_ok,
    "age_on": age_on,
    "id_expired": id_expired,
    "mobile_ok": mobile_ok,
    "days_between": days_between,
    "same_address": same_address,
    "same_address_as_any": same_address_as_any,
    "same_text": same_text,
    "uscc_ok": uscc_ok,
    "name_has_suffix": name_has_suffix,
    "name_forbidden_form": name_forbidden_form,
    "name_bad_characters": name_bad_characters,
    "name_prohibited_word": name_prohibited_word,
    "name_division_ok": name_division_ok,
    "name_trade_name": name_trade_name,
    "name_trade_name_ok": name_trade_name_ok,
    "division_name": division_name,
    "division_known": division_known,
    "same_area": same_area,
    "address_in_area": address_in_area,
    "scope_kind": scope_kind,
}
"""Rule-facing name -> function."""
