"""Synthetic materials for 变更 and 注销 cases: the registered operator on every document, the application form's
变更 or 注销 part, a lease of the new premises, a household register for a change to 家庭经营, an authorisation for
the matter. The 设立 documents are left as they were."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
import yaml

from govauto.testing.documents import (
    APPLICATION_FORM_FIELDS,
    FIELDS,
    generate_document,
    generate_materials,
    printed,
)

from ..conftest import ROOT

PACKS = ROOT / "rules" / "sole_proprietor"


def example(pack: str, name: str) -> dict[str, Any]:
    path = PACKS / pack / "examples" / f"{name}.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8"))["case"])


def lines_of(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [line["text"].replace(" ", "") for page in pdf.pages for line in page.extract_text_lines()]


def test_a_change_form_shows_the_registered_business_and_each_change(tmp_path: Path) -> None:
    case = example("change", "approve_late_capital_with_note")
    [form, front, back] = generate_materials(case, tmp_path)
    assert (form.kind, front.kind, back.kind) == ("application_form", "id_card_front", "id_card_back")
    assert set(form.truth) == set(APPLICATION_FORM_FIELDS["sole_proprietor.change"])
    operator = case["operator"]
    assert form.truth["name"] == front.truth["name"] == operator["name"]  # the operator, not an invented person
    assert form.truth["id_number"] == front.truth["id_number"] == operator["id_number"]
    assert back.truth["valid_until"] == operator["id_valid_until"]
    assert form.truth["changes"] == "资金数额（元）：50000→200000；经营范围：五金产品零售→五金产品零售、餐饮服务"
    lines = lines_of(form.path)
    assert lines[:2] == ["个体工商户登记申请书", "（变更登记）"]  # the title the application_form type recognises
    for label, key in (("经营者姓名", "name"), ("公民身份号码", "id_number"), ("联系电话", "phone"),
                       ("个体工商户名称", "business_name"), ("统一社会信用代码", "uscc")):
        value = printed("application_form", key, form.truth[key]).replace(" ", "")
        assert f"{label}{value}" in lines, (label, lines)
    assert "事项原登记内容变更后内容" in lines
    assert "资金数额（元）50000200000" in lines and "经营范围五金产品零售五金产品零售、餐饮服务" in lines
    assert "申请日期：2026年11月20日" in lines


def test_a_change_of_premises_to_a_family_business_through_an_agent_gets_its_documents(tmp_path: Path) -> None:
    case = example("change", "refer_premises_transfer")
    case["changes"].append({"item": "organisation", "old": "individual", "new": "family", "changed_on": "2026-11-12"})
    case["family_members"] = [{"name": "李梅", "id_number": "44030519951230662X", "relation": "配偶"}]
    case["agent"] = {"name": "李四", "id_number": "440305198703154222"}
    documents = generate_materials(case, tmp_path)
    assert [d.kind for d in documents] == ["application_form", "id_card_front", "id_card_back", "lease",
                                           "household_register", "authorisation"]
    by_kind = {d.kind: d for d in documents}
    assert by_kind["lease"].truth["lessee"] == "张三" and by_kind["lease"].truth["lessee_id"] == "440305198506123419"
    assert by_kind["lease"].truth["address"] == "广东省深圳市南山区南海大道200号"  # the new premises
    assert (by_kind["household_register"].truth["name"], by_kind["household_register"].truth["relation"]) == \
        ("李梅", "配偶")
    assert "委托事项：办理个体工商户变更登记" in lines_of(by_kind["authorisation"].path)
    assert "组成形式：个人经营→家庭经营" in by_kind["application_form"].truth["changes"]

    owned = copy.deepcopy(case)
    owned["premises"][0]["proof"] = "ownership"
    certificate = next(d for d in generate_materials(owned, tmp_path / "owned") if d.kind == "property_certificate")
    assert certificate.truth["owner"] == "张三"


def test_a_simplified_deregistration_form_lists_the_commitments_and_the_push(tmp_path: Path) -> None:
    case = example("deregister", "approve_simplified_after_period")
    [form, front, _] = generate_materials(case, tmp_path)
    assert set(form.truth) == {*APPLICATION_FORM_FIELDS["sole_proprietor.deregister"], "pushed_on"}
    assert (form.truth["procedure"], form.truth["reason"], form.truth["commitments"], form.truth["pushed_on"]) == \
        ("简易注销", "经营者决定停止经营", "1、2、3、4、5、6、7", "2026-11-08")
    assert front.truth["name"] == "张三"
    lines = lines_of(form.path)
    assert lines[:2] == ["个体工商户登记申请书", "（注销登记）"]
    assert "注销类型简易注销" in lines and "推送（公示）日期2026年11月8日" in lines
    assert "5.未被列入经营异常名录：是" in lines


def test_an_ordinary_deregistration_shows_what_was_and_was_not_declared(tmp_path: Path) -> None:
    case = example("deregister", "approve_ordinary_with_debts_note")
    case["declarations"]["not_revoked"] = False
    form = generate_document("application_form", case, tmp_path, seed=3)
    assert (form.truth["procedure"], form.truth["reason"], form.truth["commitments"]) == \
        ("普通注销", "依法被吊销营业执照、责令关闭或者被撤销", "")
    assert "pushed_on" not in form.truth
    lines = lines_of(form.path)
    assert "2.未发生或已结清债权债务：否" in lines and "1.未发生或已结清税款（滞纳金、罚款）：未声明" in lines
    assert "7.未被吊销营业执照、责令关闭或者撤销：否" in lines


def test_overrides_plant_a_mismatch_on_a_change_form(tmp_path: Path) -> None:
    case = example("change", "approve_name_and_scope")
    form = generate_document("application_form", case, tmp_path, overrides={"id_number": "440305198703154222"})
    assert form.truth["id_number"] == "440305198703154222"
    assert "公民身份号码440305198703154222" in lines_of(form.path)
    with pytest.raises(ValueError, match=r"unknown field\(s\) for application_form: capital"):
        generate_document("application_form", case, tmp_path, overrides={"capital": "1"})


def test_the_establish_form_keeps_its_fields(tmp_path: Path) -> None:
    case = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    form = generate_document("application_form", case, tmp_path)
    assert set(form.truth) == set(FIELDS["application_form"]) == set(APPLICATION_FORM_FIELDS[case["matter"]])
    assert lines_of(form.path)[0] == "个体工商户登记申请书" and "（变更登记）" not in lines_of(form.path)
    assert "委托事项：办理个体工商户设立登记" in lines_of(
        generate_document("authorisation", {**case, "agent": {"name": "王强", "id_number": "440305198001011234"}},
                          tmp_path / "authorisation").path)


def test_an_ordinary_deregistration_with_tax_clearance_gets_the_tax_authoritys_certificate(tmp_path: Path) -> None:
    import govauto

    case = example("deregister", "approve_ordinary_with_debts_note")
    documents = generate_materials(case, tmp_path)
    assert [d.kind for d in documents] == ["application_form", "id_card_front", "id_card_back", "tax_clearance"]
    certificate = documents[-1]
    assert certificate.material_kind == "other"
    assert certificate.truth["taxpayer"] == case["business"]["name"]
    assert certificate.truth["taxpayer_id"] == case["business"]["uscc"]
    assert certificate.truth["authority"] == "国家税务总局深圳市南山区税务局"
    assert certificate.truth["date"] < "2026-11-20"
    read = govauto.Runtime(load_entrypoints=False).extract_file(certificate.path, material_kind="other")
    assert read.doc_type == "tax_clearance"
    assert {name: field.value for name, field in read.fields.items()} == {
        "taxpayer": "深圳市南山区张三五金店(个体工商户)", "taxpayer_id": case["business"]["uscc"],
        "authority": "国家税务总局深圳市南山区税务局", "date": certificate.truth["date"]}
    assert read.fields["taxpayer_id"].valid is True

    for change in ({"tax_clearance": None}, {"procedure": "simplified", "simplified": {"pushed_on": "2026-11-01"}}):
        assert "tax_clearance" not in [d.kind for d in generate_materials({**case, **change}, tmp_path / "other")]
