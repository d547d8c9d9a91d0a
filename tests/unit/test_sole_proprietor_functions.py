"""Unit tests of the 个体工商户 rule functions (govauto.default_plugins.sole_proprietor.functions)."""

from __future__ import annotations

import datetime as dt
import inspect
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from govauto.default_plugins.sole_proprietor import functions as fn
from govauto.default_plugins.sole_proprietor.functions import (
    FUNCTIONS,
    address_in_area,
    age_on,
    division_known,
    division_name,
    id_birthdate_ok,
    id_checksum_ok,
    id_expired,
    id_format_ok,
    mobile_ok,
    name_bad_characters,
    name_division_ok,
    name_forbidden_form,
    name_has_suffix,
    name_prohibited_word,
    name_trade_name,
    name_trade_name_ok,
    same_area,
    scope_kind,
)

NANSHAN = "440305"  # 广东省深圳市南山区 (a 市辖区)
KUNSHAN = "320583"  # 江苏省苏州市昆山市 (a county-level city)
CHANGSHA_COUNTY = "430121"  # 湖南省长沙市长沙县
SUFFIX = "（个体工商户）"


def make_id(first17: str) -> str:
    """A number with a correct check character, computed by python-stdnum (independently of the code under test).

    ``calc_check_digit`` expects the number with a (placeholder) check character.
    """
    return first17 + ric.calc_check_digit(first17 + "0")


def wrong_check(number: str) -> str:
    """The same number with a wrong check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


VALID_X = "11010519491231002X"  # from the reference: check character X
BORN_2008_11_20 = make_id("44030520081120123")
BORN_2008_02_29 = make_id("44030520080229123")
BORN_1985 = make_id("44030519850612341")


# ---- identity numbers -----------------------------------------------------------------------------------------


class TestIdNumber:
    def test_reference_number_with_x(self) -> None:
        assert ric.is_valid(VALID_X)
        assert id_format_ok(VALID_X) is True
        assert id_checksum_ok(VALID_X) is True

    def test_lowercase_x_is_accepted(self) -> None:
        lower = VALID_X.lower()
        assert id_format_ok(lower) is True
        assert id_checksum_ok(lower) is True
        assert age_on(lower, "2026-01-01") == 76

    def test_examples_of_the_pack_are_valid(self) -> None:
        for number in ("44030519951230662X", "440305198506123419"):
            assert id_format_ok(number) and id_checksum_ok(number)
        assert id_checksum_ok("440305198506123410") is False

    @pytest.mark.parametrize("number", [BORN_2008_11_20, BORN_2008_02_29, BORN_1985, make_id("65010119900101001")])
    def test_computed_numbers_pass(self, number: str) -> None:
        assert id_format_ok(number) is True
        assert id_checksum_ok(number) is True

    @pytest.mark.parametrize("number", [VALID_X, BORN_1985, BORN_2008_11_20])
    def test_wrong_check_digit(self, number: str) -> None:
        bad = wrong_check(number)
        assert id_format_ok(bad) is True
        assert id_checksum_ok(bad) is False

    def test_x_where_a_digit_is_due(self) -> None:
        assert BORN_1985[17] != "X"
        assert id_checksum_ok(BORN_1985[:17] + "X") is False

    def test_checksum_agrees_with_stdnum(self) -> None:
        for seq in range(0, 1000, 37):
            first17 = f"32058319900101{seq:03d}"
            for check in "0123456789X":
                number = first17 + check
                assert id_checksum_ok(number) is (ric.calc_check_digit(first17 + "0") == check)

    @pytest.mark.parametrize(
        "number",
        [
            "110105491231002",  # 15-digit first-generation number
            "11010519491231002",  # 17 digits
            "11010519491231002XX",
            "1101051949123100X2",  # X not last
            "11010519491231002Y",
            "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
            "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits match \d but are not ASCII
            "110105 19491231002X",
            "abcdefghijklmnopqr",
        ],
    )
    def test_bad_formats(self, number: str) -> None:
        assert id_format_ok(number) is False
        assert id_checksum_ok(number) is None
        assert id_birthdate_ok(number, "2026-01-01") is None
        assert age_on(number, "2026-01-01") is None

    def test_surrounding_whitespace_is_ignored(self) -> None:
        assert id_format_ok(f"  {VALID_X}\n") is True
        assert id_checksum_ok(f" {VALID_X} ") is True

    @pytest.mark.parametrize("value", [None, "", "   ", []])
    def test_missing(self, value: object) -> None:
        assert id_format_ok(value) is None
        assert id_checksum_ok(value) is None
        assert id_birthdate_ok(value, "2026-01-01") is None
        assert age_on(value, "2026-01-01") is None

    @pytest.mark.parametrize("value", [123, 110105194912310021, 1.5, True, ["11010519491231002X"], {"a": 1}])
    def test_wrong_types(self, value: object) -> None:
        assert id_format_ok(value) is False
        assert id_checksum_ok(value) is None
        assert age_on(value, "2026-01-01") is None


class TestBirthDate:
    def test_february_30_is_not_a_date(self) -> None:
        number = make_id("44030520230230123")
        assert id_format_ok(number) and id_checksum_ok(number)
        assert id_birthdate_ok(number, "2026-01-01") is False
        assert age_on(number, "2026-01-01") is None

    @pytest.mark.parametrize("date", ["20231301", "20230000", "20230132", "20230431", "20230229", "18991231"])
    def test_impossible_or_too_old(self, date: str) -> None:
        number = make_id(f"440305{date}123")
        assert id_birthdate_ok(number, "2026-01-01") is False
        assert age_on(number, "2026-01-01") is None

    def test_leap_day_exists_in_leap_years(self) -> None:
        assert id_birthdate_ok(BORN_2008_02_29, "2026-01-01") is True
        assert id_birthdate_ok(make_id("44030519000101123"), "2026-01-01") is True

    def test_birth_after_application(self) -> None:
        assert id_birthdate_ok(BORN_2008_11_20, "2008-11-19") is False
        assert id_birthdate_ok(BORN_2008_11_20, "2008-11-20") is True
        assert age_on(BORN_2008_11_20, "2008-11-19") is None
        assert age_on(BORN_2008_11_20, "2008-11-20") == 0

    def test_unreadable_application_date(self) -> None:
        assert id_birthdate_ok(BORN_1985, "someday") is None
        assert id_birthdate_ok(BORN_1985, None) is None
        # an impossible birth date is wrong whatever the application date
        assert id_birthdate_ok(make_id("44030520230230123"), None) is False


class TestAge:
    def test_turning_18_on_the_application_date(self) -> None:
        assert age_on(BORN_2008_11_20, "2026-11-19") == 17
        assert age_on(BORN_2008_11_20, "2026-11-20") == 18
        assert age_on(BORN_2008_11_20, "2026-11-21") == 18

    def test_leap_day_birthday(self) -> None:
        assert age_on(BORN_2008_02_29, "2026-02-28") == 17
        assert age_on(BORN_2008_02_29, "2026-03-01") == 18
        assert age_on(BORN_2008_02_29, "2028-02-28") == 19
        assert age_on(BORN_2008_02_29, "2028-02-29") == 20

    def test_under_16_and_16(self) -> None:
        born_2011 = make_id("44030520110706123")
        assert age_on(born_2011, "2026-11-20") == 15
        assert age_on(born_2011, "2027-07-06") == 16

    @pytest.mark.parametrize(
        "on",
        [
            "2026-11-20",
            dt.date(2026, 11, 20),
            dt.datetime(2026, 11, 20, 9, 30),
            "2026-11-20T09:30:00+08:00",
            "2026-11-20 09:30",
            "20261120",
            "2026.11.20",
            "2026/11/20",
            "2026年11月20日",
            " 2026-11-20 ",
        ],
    )
    def test_date_forms(self, on: object) -> None:
        assert age_on(BORN_2008_11_20, on) == 18

    @pytest.mark.parametrize("on", [None, "", "2026-13-01", "2026-02-30", "tomorrow", 20261120, [], "2026-11"])
    def test_unreadable_dates(self, on: object) -> None:
        assert age_on(BORN_2008_11_20, on) is None


class TestExpiry:
    @pytest.mark.parametrize(
        ("until", "on", "expected"),
        [
            ("2025-01-01", "2026-11-20", True),
            ("2026-11-19", "2026-11-20", True),
            ("2026-11-20", "2026-11-20", False),  # valid on its last day
            ("2031-05-01", "2026-11-20", False),
            ("长期", "2026-11-20", False),
            ("长期有效", "2026-11-20", False),
            (" 长期 ", "2026-11-20", False),
            ("2031.05.01", "2026-11-20", False),
            ("20250101", "2026-11-20", True),
            (dt.date(2025, 1, 1), dt.date(2026, 11, 20), True),
        ],
    )
    def test_expiry(self, until: object, on: object, expected: bool) -> None:
        assert id_expired(until, on) is expected

    @pytest.mark.parametrize("until", [None, "", "永久", "2031-02-30", "long-term", 20310501, ["长期"]])
    def test_unreadable(self, until: object) -> None:
        assert id_expired(until, "2026-11-20") is None

    def test_missing_application_date(self) -> None:
        assert id_expired("2025-01-01", None) is None
        assert id_expired("长期", None) is False


class TestMobile:
    @pytest.mark.parametrize(
        "phone",
        [
            "13800138000",
            "139-2288-1234",
            "139 2288 1234",
            "+86 138 0013 8000",
            "+8613800138000",
            "8613800138000",
            "0086 13800138000",
            "19912345678",
            13800138000,
        ],
    )
    def test_valid(self, phone: object) -> None:
        assert mobile_ok(phone) is True

    @pytest.mark.parametrize(
        "phone",
        [
            "1234",
            "12800138000",  # 12x is not a mobile prefix
            "10086",
            "1380013800",
            "138001380000",
            "02088888888",  # a landline
            "+85291234567",  # Hong Kong
            "１３８００１３８０００",
            "13800138000abc",
            "tel:13800138000",
            True,
            1.38e10,
            ["13800138000"],
        ],
    )
    def test_invalid(self, phone: object) -> None:
        assert mobile_ok(phone) is False

    def test_missing(self) -> None:
        assert mobile_ok(None) is None
        assert mobile_ok("") is None


# ---- business names -------------------------------------------------------------------------------------------


class TestNameSuffix:
    def test_full_width_suffix(self) -> None:
        assert name_has_suffix("深圳市南山区张三便利店（个体工商户）") is True
        assert name_has_suffix(" 深圳市南山区张三便利店（个体工商户） ") is True

    @pytest.mark.parametrize(
        "name",
        [
            "深圳市南山区张三便利店",
            "深圳市南山区张三便利店(个体工商户)",
            "深圳市南山区张三便利店（个体工商户)",
            "深圳市南山区张三便利店(个体工商户）",
            "深圳市南山区张三便利店【个体工商户】",
            "深圳市南山区张三便利店个体工商户",
            "深圳市南山区张三便利店（个体工商户）店",
        ],
    )
    def test_missing_or_half_width_suffix(self, name: str) -> None:
        assert name_has_suffix(name) is False

    def test_missing_and_wrong_type(self) -> None:
        assert name_has_suffix(None) is None
        assert name_has_suffix("") is None
        assert name_has_suffix(123) is False


class TestForbiddenForm:
    @pytest.mark.parametrize(
        ("name", "word"),
        [
            ("深圳市南山区王五贸易有限公司", "有限公司"),
            ("深圳市南山区王五贸易公司（个体工商户）", "公司"),
            ("深圳市南山区王五有限商行（个体工商户）", "有限"),
            ("深圳市南山区王五集团便利店（个体工商户）", "集团"),
            ("深圳市南山区王五股份商店（个体工商户）", "股份"),
            ("深圳市南山区王五合伙餐馆（个体工商户）", "合伙"),
            ("深圳市南山区王五个人独资店（个体工商户）", "个人独资"),
            ("深圳市南山区王五企业服务部（个体工商户）", "企业"),
            ("深圳市南山区王五农民专业合作社（个体工商户）", "农民专业合作社"),
            ("深圳市南山区张三便利店南山分店（个体工商户）", "分店"),
            ("深圳市南山区张三维修分部（个体工商户）", "分部"),
        ],
    )
    def test_found(self, name: str, word: str) -> None:
        assert name_forbidden_form(name) == word

    @pytest.mark.parametrize(
        "name",
        [
            "深圳市南山区张三便利店（个体工商户）",
            "深圳市南山区张三五金商行（个体工商户）",
            "深圳市南山区张三美发工作室（个体工商户）",
            "深圳市南山区张三维修部（个体工商户）",
            "深圳市南山区张三服装厂（个体工商户）",
            "深圳市南山区张三健身中心（个体工商户）",
            "深圳市南山区张三茶馆（个体工商户）",
            "深圳市南山区张三糕点坊（个体工商户）",
        ],
    )
    def test_allowed_forms(self, name: str) -> None:
        assert name_forbidden_form(name) is None

    def test_missing_and_wrong_type(self) -> None:
        assert name_forbidden_form(None) is None
        assert name_forbidden_form(["公司"]) is None


class TestBadCharacters:
    def test_clean(self) -> None:
        assert name_bad_characters("深圳市南山区张三便利店（个体工商户）") is None
        assert name_bad_characters("深圳市南山区二〇二六便利店（个体工商户）") is None

    @pytest.mark.parametrize(
        ("name", "bad"),
        [
            ("南山区中国A1便利店（个体工商户）", "A1"),
            ("深圳市南山区ＡＢ便利店（个体工商户）", "ＡＢ"),
            ("深圳市南山区１２３便利店（个体工商户）", "１２３"),
            ("深圳市南山区zhangsan便利店（个体工商户）", "zhangs"),
            ("深圳市南山区张三·李四便利店（个体工商户）", "·"),
            ("深圳市南山区张三（南山）便利店（个体工商户）", "（）"),
            ("深圳市南山区张三 便利店（个体工商户）", " "),
            ("深圳市南山区张三&李四!便利店（个体工商户）", "&!"),
            ("深圳市南山区😀便利店（个体工商户）", "😀"),
        ],
    )
    def test_offending_characters(self, name: str, bad: str) -> None:
        assert name_bad_characters(name) == bad

    @pytest.mark.parametrize("suffix", ["(个体工商户)", "（个体工商户)", "(个体工商户）"])
    def test_a_wrong_suffix_is_reported_once(self, suffix: str) -> None:
        name = "深圳市南山区张三便利店" + suffix
        assert name_has_suffix(name) is False
        assert name_bad_characters(name) is None
        assert name_bad_characters("深圳市南山区张三(便利)店" + suffix) == "()"

    def test_missing_and_wrong_type(self) -> None:
        assert name_bad_characters(None) is None
        assert name_bad_characters("") is None
        assert name_bad_characters(42) is None


class TestProhibitedWords:
    @pytest.mark.parametrize(
        ("name", "word"),
        [
            ("中国张三超市（个体工商户）", "中国"),
            ("深圳市南山区中华老字号餐馆（个体工商户）", "中华"),
            ("深圳市南山区全国连锁便利店（个体工商户）", "全国"),
            ("深圳市南山区国家级美容院（个体工商户）", "国家级"),
            ("深圳市南山区张三国际贸易商行（个体工商户）", "国际"),
            ("深圳市南山区最佳理发店（个体工商户）", "最佳"),
            ("深圳市南山区最高级皮具店（个体工商户）", "最高级"),
            ("深圳市南山区美国服装店（个体工商户）", "美国"),
            ("深圳市南山区联合国餐厅（个体工商户）", "联合国"),
            ("深圳市南山区公安局小卖部（个体工商户）", "公安局"),
            ("深圳市南山区解放军服装店（个体工商户）", "解放军"),
            ("深圳市南山区张三算命馆（个体工商户）", "算命"),
            ("深圳市南山区张三赌场（个体工商户）", "赌场"),
            ("深圳市南山区张三美发协会（个体工商户）", "协会"),
        ],
    )
    def test_found(self, name: str, word: str) -> None:
        assert name_prohibited_word(name) == word

    @pytest.mark.parametrize(
        "name",
        [
            "深圳市南山区张三便利店（个体工商户）",
            "深圳市南山区张三中央空调维修部（个体工商户）",
            "延边朝鲜族自治州延吉市金氏朝鲜族冷面馆（个体工商户）",
            "深圳市南山区张三荷兰豆批发部（个体工商户）",
        ],
    )
    def test_clean_and_exempt(self, name: str) -> None:
        assert name_prohibited_word(name) is None

    def test_missing_and_wrong_type(self) -> None:
        assert name_prohibited_word(None) is None
        assert name_prohibited_word(3.14) is None


class TestNameDivision:
    @pytest.mark.parametrize(
        "name",
        [
            "深圳市南山区张三便利店（个体工商户）",
            "广东省深圳市南山区张三便利店（个体工商户）",
            "深圳市南山区粤海街道张三便利店（个体工商户）",
            "深圳市南山区张三便利店",  # the suffix is another rule's business
        ],
    )
    def test_district_with_its_city(self, name: str) -> None:
        assert name_division_ok(name, NANSHAN) is True

    @pytest.mark.parametrize(
        "name",
        [
            "南山区张三便利店（个体工商户）",  # a 市辖区 without its city
            "南山区中国A1便利店（个体工商户）",
            "广东省南山区张三便利店（个体工商户）",
            "深圳南山张三便利店（个体工商户）",  # short forms are not accepted
            "深圳市张三便利店（个体工商户）",  # the city alone is not the county-level division
            "深圳市福田区张三便利店（个体工商户）",  # another district
            "张三便利店（个体工商户）",  # no division at all
            "张三深圳市南山区便利店（个体工商户）",
        ],
    )
    def test_not_ok(self, name: str) -> None:
        assert name_division_ok(name, NANSHAN) is False

    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("昆山市张三便利店（个体工商户）", KUNSHAN),
            ("苏州市昆山市张三便利店（个体工商户）", KUNSHAN),
            ("江苏省昆山市张三便利店（个体工商户）", KUNSHAN),
            ("江苏省苏州市昆山市张三便利店（个体工商户）", KUNSHAN),
            ("长沙县张三便利店（个体工商户）", CHANGSHA_COUNTY),
            ("长沙市长沙县张三便利店（个体工商户）", CHANGSHA_COUNTY),
            ("北京市朝阳区张三便利店（个体工商户）", "110105"),
            ("重庆市城口县张三便利店（个体工商户）", "500229"),
            ("城口县张三便利店（个体工商户）", "500229"),
            ("仙桃市张三便利店（个体工商户）", "429004"),
            ("东莞市长安镇张三便利店（个体工商户）", "441900"),  # prefecture-level city without counties
            ("深圳市张三便利店（个体工商户）", "440300"),  # a prefecture-level authority
        ],
    )
    def test_counties_and_cities(self, name: str, code: str) -> None:
        assert name_division_ok(name, code) is True

    def test_other_failures(self) -> None:
        assert name_division_ok("朝阳区张三便利店（个体工商户）", "110105") is False
        assert name_division_ok("苏州市张三便利店（个体工商户）", KUNSHAN) is False
        assert name_division_ok("长沙市张三便利店（个体工商户）", CHANGSHA_COUNTY) is False

    def test_unknown_code_and_missing(self) -> None:
        assert name_division_ok("深圳市南山区张三便利店（个体工商户）", "440301") is None  # placeholder 市辖区
        assert name_division_ok("深圳市南山区张三便利店（个体工商户）", "999999") is None
        assert name_division_ok("深圳市南山区张三便利店（个体工商户）", None) is None
        assert name_division_ok(None, NANSHAN) is None
        assert name_division_ok(123, NANSHAN) is False
        assert name_division_ok("深圳市南山区张三便利店（个体工商户）", 440305) is True


class TestTradeName:
    @pytest.mark.parametrize(
        ("name", "code", "trade"),
        [
            ("深圳市南山区张三便利店（个体工商户）", NANSHAN, "张三"),
            ("深圳市南山区李梅餐馆（个体工商户）", NANSHAN, "李梅"),
            ("深圳市南山区李四五金店（个体工商户）", NANSHAN, "李四"),
            ("广东省深圳市南山区老王家常菜馆（个体工商户）", NANSHAN, "老王"),
            ("深圳市南山区粤海街道张三便利店（个体工商户）", NANSHAN, "张三"),
            ("深圳市南山区好运来超市（个体工商户）", NANSHAN, "好运来"),
            ("深圳市南山区一品香小吃店（个体工商户）", NANSHAN, "一品香"),
            ("深圳市南山区阿芳美发工作室（个体工商户）", NANSHAN, "阿芳"),
            ("深圳市南山区鑫鑫五金交电商行（个体工商户）", NANSHAN, "鑫鑫"),
            ("深圳市南山区张三家乡菜馆（个体工商户）", NANSHAN, "张三家乡"),
            ("深圳市南山区张三", NANSHAN, "张三"),
            ("昆山市巴城镇阿明水果店（个体工商户）", KUNSHAN, "阿明"),
            ("长沙县星沙快餐店（个体工商户）", CHANGSHA_COUNTY, "星沙"),
            # a wrong or unknown authority: any leading division names are removed
            ("广州市天河区张三便利店（个体工商户）", NANSHAN, "张三"),
            ("广州市天河区张三便利店（个体工商户）", None, "张三"),
            ("张三便利店（个体工商户）", NANSHAN, "张三"),
        ],
    )
    def test_trade_name(self, name: str, code: str | None, trade: str) -> None:
        assert name_trade_name(name, code) == trade

    @pytest.mark.parametrize(
        "name",
        [
            "深圳市南山区张三便利店（个体工商户）",
            "深圳市南山区李梅餐馆（个体工商户）",
            "深圳市南山区好运来超市（个体工商户）",
            "南山区中国A1便利店（个体工商户）",  # two 汉字; letters are name_bad_characters' business
            "深圳市南山区东方理发店（个体工商户）",  # 东方(市) has another meaning
            "深圳市南山区朝阳水果店（个体工商户）",  # 朝阳 has another meaning
        ],
    )
    def test_ok(self, name: str) -> None:
        assert name_trade_name_ok(name, NANSHAN) is True

    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("深圳市南山区张便利店（个体工商户）", NANSHAN),  # one-character 字号
            ("深圳市南山区粤海街道张便利店（个体工商户）", NANSHAN),
            ("深圳市南山区便利店（个体工商户）", NANSHAN),  # no 字号: only an industry word
            ("深圳市南山区（个体工商户）", NANSHAN),
            ("昆山市昆山便利店（个体工商户）", KUNSHAN),  # a county name as 字号
            ("深圳市南山区长沙便利店（个体工商户）", NANSHAN),
            ("深圳市南山区长沙县便利店（个体工商户）", NANSHAN),
            ("深圳市南山区广东水果店（个体工商户）", NANSHAN),  # a province
            ("深圳市南山区延边冷面馆（个体工商户）", NANSHAN),  # an autonomous prefecture's short form
            ("深圳市南山区福田区便利店（个体工商户）", NANSHAN),  # a district's full name
        ],
    )
    def test_not_ok(self, name: str, code: str) -> None:
        assert name_trade_name_ok(name, code) is False

    @pytest.mark.parametrize("trade", ["A1", "张A", "１２", "Ａ"])
    def test_letters_and_digits_are_left_to_the_charset_rule(self, trade: str) -> None:
        name = f"深圳市南山区{trade}便利店（个体工商户）"
        assert name_trade_name(name, NANSHAN) == trade
        assert name_trade_name_ok(name, NANSHAN) is None  # not judged until the name is corrected
        assert name_bad_characters(name)

    def test_missing_and_wrong_type(self) -> None:
        assert name_trade_name(None, NANSHAN) is None
        assert name_trade_name("", NANSHAN) is None
        assert name_trade_name(["张三"], NANSHAN) is None
        assert name_trade_name_ok(None, NANSHAN) is None
        assert name_trade_name_ok(123, NANSHAN) is False


# ---- divisions ------------------------------------------------------------------------------------------------


class TestDivisions:
    @pytest.mark.parametrize(
        ("code", "names"),
        [
            ("440305", ("广东省", "深圳市", "南山区")),
            ("440300", ("广东省", "深圳市")),
            ("440000", ("广东省",)),
            ("110105", ("北京市", "朝阳区")),
            ("500229", ("重庆市", "城口县")),
            ("429004", ("湖北省", "仙桃市")),
            ("320583", ("江苏省", "苏州市", "昆山市")),
            ("441900", ("广东省", "东莞市")),
            ("232761", ("黑龙江省", "大兴安岭地区", "加格达奇区")),  # traditional characters in loc.dat
            (440305, ("广东省", "深圳市", "南山区")),
        ],
    )
    def test_division_name(self, code: object, names: tuple[str, ...]) -> None:
        assert division_name(code) == names
        assert division_known(code) is True

    @pytest.mark.parametrize(
        "code",
        ["440301", "110100", "429000", "440302", "999999", "44030", "4403050", "44030a", None, "", True, [], 1.5],
    )
    def test_unknown(self, code: object) -> None:
        assert division_known(code) is False
        assert division_name(code) is None

    def test_historic_names_are_kept(self) -> None:
        assert fn.division_historic("440305") == ("[1983-1989]南头区办事处",)
        assert fn.division_historic("440302") == ("[1983-1990]沙头角区办事处",)
        assert fn.division_historic("440306") is None

    @pytest.mark.parametrize(
        ("premises", "authority", "expected"),
        [
            ("440305", "440305", True),
            ("440304", "440305", False),
            ("440305", "440300", True),  # a prefecture-level authority covers its districts
            ("440105", "440300", False),
            ("440305", "440000", True),
            ("441900", "441900", True),
            (440305, "440305", True),
        ],
    )
    def test_same_area(self, premises: object, authority: object, expected: bool) -> None:
        assert same_area(premises, authority) is expected

    @pytest.mark.parametrize(("premises", "authority"), [(None, "440305"), ("440305", None), ("abc", "440305")])
    def test_same_area_unknown(self, premises: object, authority: object) -> None:
        assert same_area(premises, authority) is None


class TestAddressInArea:
    @pytest.mark.parametrize(
        ("address", "code", "expected"),
        [
            ("广东省深圳市南山区桃园路1号", NANSHAN, True),
            ("深圳市南山区桃园路1号", NANSHAN, True),
            ("广东省深圳市南山区北京路3号", NANSHAN, True),
            ("广东省深圳市福田区福华路9号", NANSHAN, False),
            ("北京市朝阳区建国路1号", NANSHAN, False),
            ("湖南省长沙市岳麓区麓山路1号", NANSHAN, False),
            ("南山区桃园路1号", NANSHAN, None),  # a 市辖区 without its city: several 南山区 exist
            ("广东省深圳市深南大道1号", NANSHAN, None),  # only the city: the district cannot be told
            ("桃园路1号", NANSHAN, None),
            ("江苏省苏州市昆山市前进路1号", KUNSHAN, True),
            ("昆山市前进路1号", KUNSHAN, True),
            ("江苏省苏州市吴中区东吴路1号", KUNSHAN, False),
            ("广东省深圳市福田区福华路9号", "440300", True),  # a prefecture-level authority
            ("广东省广州市天河区体育路1号", "440300", False),
        ],
    )
    def test_address(self, address: str, code: str, expected: bool | None) -> None:
        assert address_in_area(address, code) is expected

    @pytest.mark.parametrize(("address", "code"), [(None, NANSHAN), ("", NANSHAN), ("深圳市南山区", "999999")])
    def test_missing(self, address: object, code: object) -> None:
        assert address_in_area(address, code) is None


# ---- business scope -------------------------------------------------------------------------------------------


def _catalogue() -> list[dict[str, Any]]:
    text = (
        resources.files("govauto.default_plugins.sole_proprietor")
        .joinpath("data")
        .joinpath("scope_catalogue.yaml")
        .read_text("utf-8")
    )
    terms: list[dict[str, Any]] = yaml.safe_load(text)["terms"]
    return terms


class TestScope:
    @pytest.mark.parametrize(
        ("item", "kind"),
        [
            ("日用百货销售", "general"),
            ("五金产品零售", "general"),
            ("服装服饰零售", "general"),
            ("家用电器销售", "general"),
            ("通讯设备修理", "general"),
            ("日用电器修理", "general"),
            ("理发服务", "general"),
            ("生活美容服务", "general"),
            ("洗染服务", "general"),
            ("家政服务", "general"),
            ("摄影扩印服务", "general"),
            ("互联网销售（除销售需要许可的商品）", "general"),
            ("食品销售（仅销售预包装食品）", "general"),  # 备案, not a licence
            ("食品销售", "licensed"),
            ("餐饮服务", "licensed"),
            ("烟草制品零售", "licensed"),
            ("药品零售", "licensed"),
            ("出版物零售", "licensed"),
            ("道路货物运输（不含危险货物）", "licensed"),
            ("第三类医疗器械经营", "licensed"),
            ("银行业务", "prohibited"),
            ("保险业务", "prohibited"),
            ("证券业务", "prohibited"),
            ("融资担保业务", "prohibited"),
            ("典当", "prohibited"),
            ("劳务派遣服务", "prohibited"),
        ],
    )
    def test_kinds(self, item: str, kind: str) -> None:
        assert scope_kind(item) == kind

    @pytest.mark.parametrize(
        "item",
        [
            "食品销售(仅销售预包装食品)",
            "食品销售（仅销售预包装食品)",
            " 食品销售 （仅销售预包装食品） ",
            "食品销售（仅销售预包装食品）；",
            "一般项目：食品销售（仅销售预包装食品）",
            "食品销售（仅销售预包装食品）（仅通过网络开展经营活动）",
            "食品销售\u3000(仅销售预包装食品)",
        ],
    )
    def test_normalisation(self, item: str) -> None:
        assert scope_kind(item) == "general"

    def test_half_width_brackets_of_licensed_item(self) -> None:
        assert scope_kind("道路货物运输(不含危险货物)") == "licensed"

    @pytest.mark.parametrize(
        "item", ["卖点东西", "日用百货", "百货销售", "餐饮", "（仅通过网络开展经营活动）", "一般项目：", "银行"]
    )
    def test_not_standard(self, item: str) -> None:
        assert scope_kind(item) is None

    @pytest.mark.parametrize("item", [None, "", "   ", 123, ["日用百货销售"], {"term": "日用百货销售"}, True])
    def test_missing_and_wrong_type(self, item: object) -> None:
        assert scope_kind(item) is None

    def test_catalogue_is_well_formed(self) -> None:
        terms = _catalogue()
        assert len(terms) >= 150
        seen = set()
        for entry in terms:
            assert set(entry) <= {"term", "kind", "licence", "basis", "reason", "note", "unsure"}, entry
            assert entry["kind"] in {"general", "licensed", "prohibited"}, entry
            assert entry["term"] not in seen, entry["term"]
            seen.add(entry["term"])
            if entry["kind"] == "licensed":
                assert entry.get("licence") and entry.get("basis"), entry
            if entry["kind"] == "prohibited":
                assert entry.get("reason") and entry.get("basis"), entry
            assert scope_kind(entry["term"]) == entry["kind"]

    def test_licensed_items_cite_the_expected_laws(self) -> None:
        by_term = {entry["term"]: entry for entry in _catalogue()}
        assert "食品安全法》第三十五条" in by_term["餐饮服务"]["basis"]
        assert "食品安全法》第三十五条" in by_term["食品销售"]["basis"]
        assert "烟草专卖法" in by_term["烟草制品零售"]["basis"]
        assert "药品管理法" in by_term["药品零售"]["basis"]
        assert "出版管理条例" in by_term["出版物零售"]["basis"]
        assert "道路运输条例" in by_term["道路货物运输（不含危险货物）"]["basis"]
        assert "劳动合同法》第五十七条" in by_term["劳务派遣服务"]["basis"]


# ---- registry, data and robustness ----------------------------------------------------------------------------

EXPECTED_NAMES = {
    "id_format_ok",
    "id_checksum_ok",
    "id_birthdate_ok",
    "age_on",
    "id_expired",
    "mobile_ok",
    "same_address",
    "same_address_as_any",
    "same_text",
    "uscc_ok",
    "name_has_suffix",
    "name_forbidden_form",
    "name_bad_characters",
    "name_prohibited_word",
    "name_division_ok",
    "name_trade_name",
    "name_trade_name_ok",
    "division_name",
    "division_known",
    "same_area",
    "address_in_area",
    "scope_kind",
    "days_between",
}


def test_same_text() -> None:
    from govauto.default_plugins.sole_proprietor.functions import same_text

    # what a document type reads is in NFKC form: half-width brackets against the typed full-width ones
    assert same_text("深圳市南山区张三五金店(个体工商户)", "深圳市南山区张三五金店（个体工商户）") is True
    assert same_text("张 三", "张三") is True
    assert same_text("深圳市南山区李四餐馆（个体工商户）", "深圳市南山区张三五金店（个体工商户）") is False
    assert same_text(None, "张三") is None and same_text("", "张三") is None and same_text(1, "1") is None


def test_days_between() -> None:
    from govauto.default_plugins.sole_proprietor.functions import days_between

    assert days_between("2026-10-21", "2026-11-20") == 30
    assert days_between("2026-11-21", "2026-11-20") == -1
    assert days_between(None, "2026-11-20") is None
    assert days_between("not a date", "2026-11-20") is None


def test_registry() -> None:
    assert set(FUNCTIONS) == EXPECTED_NAMES
    for name, function in FUNCTIONS.items():
        assert function.__name__ == name
        assert function.__doc__


def test_data_files_ship_in_the_package() -> None:
    data = resources.files("govauto.default_plugins.sole_proprietor").joinpath("data")
    for name in ("scope_catalogue.yaml", "name_words.yaml"):
        assert yaml.safe_load(data.joinpath(name).read_text("utf-8"))


GARBAGE: list[object] = [
    None,
    "",
    " ",
    "\x00",
    "（个体工商户）",
    "(",
    "长期",
    "2026-02-30",
    "9999-99-99",
    "000000",
    "999999",
    "440305",
    "x" * 100_000,
    "中" * 100_000,
    "深圳市南山区" * 10_000,
    "\ud800",  # a lone surrogate
    0,
    -1,
    123,
    10**30,
    1.5,
    float("nan"),
    True,
    False,
    [],
    ["日用百货销售"],
    [None],
    (),
    {},
    {"a": 1},
    set(),
    b"440305",
    object(),
    dt.date(2026, 11, 20),
    dt.datetime(2026, 11, 20, 9, 30),
]

JSONISH = (type(None), bool, int, str, tuple)


def _arity(function: Any) -> int:
    return len(inspect.signature(function).parameters)


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_garbage_never_raises(name: str) -> None:
    function = FUNCTIONS[name]
    arity = _arity(function)
    for value in GARBAGE:
        args = [value] * arity
        assert isinstance(function(*args), JSONISH)
        for other in GARBAGE[:12]:
            for position in range(arity):
                mixed = list(args)
                mixed[position] = other
                assert isinstance(function(*mixed), JSONISH)


_ANY = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789Xx-+ （）()市区县省", max_size=25),
    st.sampled_from(["440305", "320583", VALID_X, "长期", "2026-11-20", "深圳市南山区张三便利店（个体工商户）"]),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.lists(st.text(max_size=5), max_size=3),
)


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_never_raises(name: str, data: st.DataObject) -> None:
    function = FUNCTIONS[name]
    args = [data.draw(_ANY) for _ in range(_arity(function))]
    assert isinstance(function(*args), JSONISH)


def test_a_review_worth_of_calls_is_fast() -> None:
    """A generous bound (CI machines vary); the measured figures are well under 200 µs per review."""
    import time

    name = "深圳市南山区张三便利店（个体工商户）"

    def review() -> None:
        id_format_ok(VALID_X)
        id_checksum_ok(VALID_X)
        id_birthdate_ok(VALID_X, "2026-11-20")
        age_on(VALID_X, "2026-11-20")
        id_expired("2031-05-01", "2026-11-20")
        mobile_ok("139-2288-1234")
        name_has_suffix(name)
        name_forbidden_form(name)
        name_bad_characters(name)
        name_prohibited_word(name)
        name_division_ok(name, NANSHAN)
        name_trade_name_ok(name, NANSHAN)
        division_known(NANSHAN)
        same_area(NANSHAN, NANSHAN)
        address_in_area("广东省深圳市南山区桃园路1号", NANSHAN)
        scope_kind("日用百货销售")
        scope_kind("食品销售（仅销售预包装食品）")

    review()  # load the data
    start = time.perf_counter()
    for _ in range(200):
        review()
    per_review = (time.perf_counter() - start) / 200
    assert per_review < 1e-3


@pytest.mark.parametrize(
    ("code", "expected"),
    [("91350100M000100Y43", True), ("91350100m000100y43", True), (" 91350100M000100Y43 ", True),
     ("91350100M000100Y44", False), ("91350100O000100Y43", False), ("123", False), (12, False), ("", None),
     (None, None)],
)
def test_uscc_ok(code: object, expected: bool | None) -> None:
    from govauto.default_plugins.sole_proprietor.functions import uscc_ok

    assert uscc_ok(code) is expected
