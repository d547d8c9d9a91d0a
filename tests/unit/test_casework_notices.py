"""Notices: the 一次性告知书 lists every item with its basis, in HTML and in a PDF whose text can be extracted;
the 不予登记通知书 states reasons and remedies; text from cases is escaped in both."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

import govauto
from govauto.casework import (
    CaseRecord,
    CaseStore,
    NoticeItem,
    correction_notice,
    items_from_findings,
    notice_items,
    rejection_notice,
)
from govauto.errors import CaseworkError
from govauto.outcome import Decision, Finding
from govauto.store import open_store

FINDINGS = (
    Finding("applicant.id_number.checksum", "correct",
            "经营者公民身份号码“110101199003071234”校验码不正确，请对照身份证件核对后重新填写。",
            "GB 11643-1999《公民身份号码》（校验码按ISO 7064:1983 MOD 11-2计算）"),
    Finding("name.suffix", "correct", "名称“南山<b>张记</b>”未含“（个体工商户）”字样，请在名称末尾加注。",
            "《企业名称登记管理规定实施办法》第五十三条；《个体工商户登记管理规定》第十四条"),
    Finding("premises.residential", "correct", "经营场所为住宅，请提交有利害关系的业主一致同意的证明。",
            "《中华人民共和国民法典》第二百七十九条"),
    Finding("scope.post_licence_notice", "note", "经营范围含后置许可项目，取得许可证后方可经营。", "条例 第十四条"),
)


@pytest.fixture
def record(tmp_path: Path, runtime: govauto.Runtime, valid_case: dict[str, Any]) -> CaseRecord:
    data = {**valid_case, "applicant": {**valid_case["applicant"], "name": "张<script>alert(1)</script>&三"}}
    case = runtime.load_case(data)
    decision = Decision(case.case_id, case.matter, "sole_proprietor.establish", "1.0.0", "correct", FINDINGS)
    store = open_store(f"sqlite:///{tmp_path / 'govauto.db'}")
    return CaseStore(store).intake(case, decision=decision, base_dir=tmp_path, actor="portal")


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert all(page.chars and {c["fontname"] for c in page.chars} == {"STSongStd-Light"} for page in pdf.pages)
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    return re.sub(r"\s+", "", text)  # lines wrap anywhere in Chinese text


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_correction_notice_lists_every_item_with_its_basis_in_html_and_pdf(record: CaseRecord) -> None:
    items = notice_items(record, kept_rules=["name.suffix", "applicant.id_number.checksum"],
                         extra_items=["请补充租赁合同第2页（出租人签字页）"])
    items.append(NoticeItem(None, "请提交经营场所的房产证明复印件", basis="《个体工商户登记管理规定》第十一条",
                            remedy="携带房产证原件到窗口核验"))
    assert [i.rule for i in items] == ["applicant.id_number.checksum", "name.suffix", None, None]  # machine order
    notice = correction_notice(record, items, authority="深圳市南山区市场监督管理局", issued_on=dt.date(2026, 11, 26),
                               reviewer="user:zhang+li", matter_title="个体工商户设立登记",
                               respond_by=dt.date(2026, 12, 10))
    assert (notice.kind, notice.title, notice.number) == ("correction", "一次性告知书", f"{record.case_id}-v1")
    text = pdf_text(notice.pdf)
    for item in items:
        assert flat(item.message) in text, item.message
        if item.basis:
            assert flat(f"依据：{item.basis}") in text, item.basis
    for expected in ("一次性告知书", f"编号：{record.case_id}-v1", "张<script>alert(1)</script>&三：",
                     "“个体工商户设立登记”", f"案件编号{record.case_id}，第1次提交", "深圳市南山区市场监督管理局",
                     "2026年11月26日", "请于2026年12月10日前补正", "一次性补正全部内容", "审查人：zhang、li",
                     "补正要求：携带房产证原件到窗口核验", "2026年11月20日提交"):
        assert flat(expected) in text, expected
    assert [int(n) for n in re.findall(r"(\d)．", text)] == [1, 2, 3, 4]
    assert text.index(flat(items[0].message)) < text.index(flat(items[1].message)) < text.index("请补充租赁合同")
    for item in items:
        assert item.message.split("“")[0] in notice.html
    assert "依据：GB 11643-1999《公民身份号码》" in notice.html and "scope.post_licence_notice" not in notice.html
    assert notice.text.count("依据：") == 3 and "4. 请提交经营场所的房产证明复印件" in notice.text


def test_text_from_cases_is_escaped(record: CaseRecord) -> None:
    items = notice_items(record, kept_rules=["name.suffix"], extra_items=["<img src=x onerror=alert(1)> & more"])
    notice = correction_notice(record, items, issued_on=dt.date(2026, 11, 26), reviewer="zhang")
    assert "<script>" not in notice.html and "<b>" not in notice.html and "<img" not in notice.html
    assert "张&lt;script&gt;alert(1)&lt;/script&gt;&amp;三：" in notice.html
    assert "南山&lt;b&gt;张记&lt;/b&gt;" in notice.html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in notice.html
    text = pdf_text(notice.pdf)  # reportlab paragraphs are markup too: the PDF shows the characters themselves
    assert "南山<b>张记</b>" in text and "<imgsrc=xonerror=alert(1)>&more" in text
    assert notice.authority == "深圳市南山区市场监督管理局"  # the case's own authority by default


def test_rejection_notice_states_reasons_basis_and_remedies(record: CaseRecord) -> None:
    reasons = [NoticeItem("applicant.age.under_16", "经营者申请之日未满十六周岁（15周岁），不能申请登记为个体工商户。",
                          basis="《中华人民共和国民法典》第十七条、第十八条"),
               NoticeItem(None, "申请人提交的身份证明与公安部门信息不一致。")]
    notice = rejection_notice(record, reasons, authority="深圳市南山区市场监督管理局", issued_on=dt.date(2026, 11, 27),
                              reviewer="machine:govauto 0.3.0", matter_title="个体工商户设立登记")
    text = pdf_text(notice.pdf)
    for expected in ("不予登记通知书", "决定不予登记", flat(reasons[0].message),
                     "依据：《中华人民共和国民法典》第十七条、第十八条", flat(reasons[1].message),
                     "六十日内依法申请行政复议", "六个月内依法向人民法院提起行政诉讼",
                     "审查人：govauto0.3.0（系统自动审查）", "2026年11月27日"):
        assert flat(expected) in text, expected
    assert notice.kind == "rejection" and "<h1>不予登记通知书</h1>" in notice.html


def test_notice_rules(record: CaseRecord) -> None:
    with pytest.raises(CaseworkError, match="must list at least one deficiency"):
        correction_notice(record, [], issued_on=dt.date(2026, 11, 26), reviewer="zhang")
    with pytest.raises(CaseworkError, match="must list at least one reason"):
        rejection_notice(record, [], issued_on=dt.date(2026, 11, 26), reviewer="zhang")
    with pytest.raises(CaseworkError, match="needs a message"):
        NoticeItem("x", " ")
    with pytest.raises(CaseworkError, match=r"operator\.residence are not findings"):
        notice_items(record, kept_rules=["operator.residence"])
    items = items_from_findings(FINDINGS, {"premises.residential"})
    assert items == [NoticeItem("premises.residential", FINDINGS[2].message, FINDINGS[2].basis)]
    assert items_from_findings([FINDINGS[0].to_dict()]) == [NoticeItem.from_finding(FINDINGS[0])]
    same = correction_notice(record, items, issued_on=dt.date(2026, 11, 26), reviewer="zhang", matter_title="x")
    again = correction_notice(record, items, issued_on=dt.date(2026, 11, 26), reviewer="zhang", matter_title="x")
    assert same.pdf == again.pdf  # reproducible: the same notice gives the same bytes (audit hashes stay valid)
    assert "“个体工商户设立登记”" in correction_notice(record, items, issued_on=dt.date(2026, 11, 26),
                                                   reviewer="zhang").html  # the registered matter's title
