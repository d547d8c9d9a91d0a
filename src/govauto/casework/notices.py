"""Notices to the applicant: the 一次性告知书 (every deficiency at once) and the 不予登记通知书.

Each notice is made as HTML (for the web page and e-mail) and as PDF (reportlab, with the built-in CID font
``STSong-Light``, so the text can be selected, searched and extracted)::

    items = notice_items(record, kept_rules=["applicant.id_number.checksum"], extra_items=["请补充租赁合同第2页"])
    notice = correction_notice(record, items, authority="深圳市南山区市场监督管理局", issued_on=date.today(),
                               reviewer="user:zhang")
    Path("notice.pdf").write_bytes(notice.pdf)

Every item carries its message, its legal basis and, when given, what to bring or do. All text from cases is
escaped (an applicant's name may contain ``<``) in both the HTML and the PDF (whose paragraphs are markup too).
The standard texts (the closing paragraph, the remedies against a rejection) are defaults an authority can
replace with ``closing=``.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

from govauto.casework.cases import CaseRecord
from govauto.errors import CaseworkError, GovautoError
from govauto.model import CHINA
from govauto.outcome import Finding

__all__ = [
    "CORRECTION_CLOSING",
    "PDF_FONT",
    "REJECTION_CLOSING",
    "Notice",
    "NoticeItem",
    "NoticeKind",
    "correction_notice",
    "items_from_findings",
    "notice_items",
    "rejection_notice",
]

NoticeKind = Literal["correction", "rejection"]

PDF_FONT = "STSong-Light"
"""reportlab's built-in Adobe CID font for simplified Chinese (no font file needed; PDF readers supply it)."""

CORRECTION_CLOSING = ("请按照上述要求一次性补正全部内容后重新提交申请，补正后提交的申请将重新审查。"
                      "如对本告知书内容有疑问，请向{authority}咨询。")
"""The default closing paragraph of a 一次性告知书 (``{authority}`` is replaced)."""

REJECTION_CLOSING = ("如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，"
                     "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。")
"""The default closing paragraph of a 不予登记通知书: the remedies (《行政复议法》第二十条, 《行政诉讼法》第四十六条;
check the periods against the texts in force before relying on them)."""

_TITLES: dict[NoticeKind, str] = {"correction": "一次性告知书", "rejection": "不予登记通知书"}


@dataclass(frozen=True)
class NoticeItem:
    """One numbered item of a notice.

    :ivar rule: the rule id it comes from (a finding), or ``None`` for a reviewer's free-text item.
    :ivar message: what is wrong (and, in a finding's message, usually what to bring).
    :ivar basis: the legal basis (law and article); empty for a free-text item without one.
    :ivar remedy: what to bring or do, when not already in the message.
    """

    rule: str | None
    message: str
    basis: str = ""
    remedy: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.message, str) or not self.message.strip():
            raise CaseworkError(f"a notice item needs a message (rule {self.rule or 'none'}): say what is wrong")

    @classmethod
    def from_finding(cls, finding: Finding | Mapping[str, Any], remedy: str = "") -> NoticeItem:
        """The item for a finding (or its JSON form): its rule, message and basis."""
        data = finding.to_dict() if isinstance(finding, Finding) else finding
        return cls(rule=str(data["rule"]) if data.get("rule") else None, message=str(data.get("message", "")),
                   basis=str(data.get("basis", "") or ""), remedy=str(data.get("remedy", "") or remedy))


def items_from_findings(findings: Iterable[Finding | Mapping[str, Any]],
                        rules: Collection[str] | None = None) -> list[NoticeItem]:
    """Items for the findings (in their order), only those whose rule is in ``rules`` when given."""
    out: list[NoticeItem] = []
    for finding in findings:
        item = NoticeItem.from_finding(finding)
        if rules is None or item.rule in rules:
            out.append(item)
    return out


def notice_items(record: CaseRecord, *, kept_rules: Collection[str] = (), extra_items: Sequence[str] = (),
                 reasons: Sequence[str] = ()) -> list[NoticeItem]:
    """The items of a reviewer's notice: the machine's findings whose rules were kept (in the machine's order),
    then the free-text items and reasons.

    :raises CaseworkError: a kept rule is not among the version's findings.
    """
    findings = record.machine_decision.get("findings", [])
    known = {f.get("rule") for f in findings}
    unknown = [r for r in kept_rules if r not in known]
    if unknown:
        raise CaseworkError(f"case {record.case_id} v{record.version}: {', '.join(unknown)} are not findings of its "
                            "review; write them as free-text items instead")
    items = items_from_findings(findings, set(kept_rules))
    items += [NoticeItem(rule=None, message=text) for text in [*extra_items, *reasons] if text.strip()]
    return items


@dataclass(frozen=True)
class Notice:
    """A notice made for a case version: its items, as HTML (a complete page) and as PDF bytes."""

    kind: NoticeKind
    title: str
    number: str
    case_id: str
    version: int
    authority: str
    issued_on: dt.date
    items: tuple[NoticeItem, ...]
    html: str
    pdf: bytes
    text: str
    """The same content as plain text (for audit records and e-mail)."""


@dataclass(frozen=True)
class _Content:
    kind: NoticeKind
    title: str
    number: str
    to: str
    intro: str
    items: tuple[NoticeItem, ...]
    closing: str
    authority: str
    issued_on: dt.date
    reviewer: str

    @property
    def date(self) -> str:
        return _cn_date(self.issued_on)


def correction_notice(record: CaseRecord, items: Sequence[NoticeItem], *, authority: str | None = None,
                      issued_on: dt.date | None = None, reviewer: str, matter_title: str | None = None,
                      respond_by: dt.date | None = None, closing: str | None = None) -> Notice:
    """The 一次性告知书 for a case version: every item to correct, each with its basis, in one document.

    :param items: every deficiency (:func:`notice_items`, :func:`items_from_findings`, free text).
    :param authority: the issuing authority (default: the case's registration authority).
    :param issued_on: the date of the notice (default: today in China).
    :param reviewer: who reviewed (``user:zhang``, ``machine:govauto 0.3.0`` or a plain name).
    :param matter_title: the matter's name (default: the registered matter's title, else its id).
    :param respond_by: a date to correct by, stated in the closing paragraph when given.
    :param closing: replaces :data:`CORRECTION_CLOSING` (``{authority}`` is filled in).
    :raises CaseworkError: no items, or no authority known.
    """
    content = _content("correction", record, items, authority, issued_on, reviewer, matter_title)
    text = (closing or CORRECTION_CLOSING).format(authority=content.authority)
    if respond_by is not None:
        text = f"请于{_cn_date(respond_by)}前补正。{text}"
    intro = (f"你（单位）于{_submitted(record)}提交的{_matter(record, matter_title)}申请（案件编号 {record.case_id}，"
             f"第{record.version}次提交），经审查，申请材料不齐全或者不符合法定形式。现将需要补正的全部内容一次性告知如下：")
    return _render(_replace(content, intro=intro, closing=text), record)


def rejection_notice(record: CaseRecord, items: Sequence[NoticeItem], *, authority: str | None = None,
                     issued_on: dt.date | None = None, reviewer: str, matter_title: str | None = None,
                     closing: str | None = None) -> Notice:
    """The 不予登记通知书 for a case version: the reasons, each with its legal basis, and the remedies.

    Parameters as :func:`correction_notice`; ``closing`` replaces :data:`REJECTION_CLOSING`.

    :raises CaseworkError: no reasons, or no authority known.
    """
    content = _content("rejection", record, items, authority, issued_on, reviewer, matter_title)
    intro = (f"你（单位）于{_submitted(record)}提交的{_matter(record, matter_title)}申请（案件编号 {record.case_id}，"
             f"第{record.version}次提交），经审查，有下列情形，决定不予登记：")
    text = (closing or REJECTION_CLOSING).format(authority=content.authority)
    return _render(_replace(content, intro=intro, closing=text), record)


# -- content ------------------------------------------------------------------------------------------------------

def _content(kind: NoticeKind, record: CaseRecord, items: Sequence[NoticeItem], authority: str | None,
             issued_on: dt.date | None, reviewer: str, matter_title: str | None) -> _Content:
    listed = tuple(items)
    if not listed:
        what = "deficiency" if kind == "correction" else "reason"
        raise CaseworkError(f"a {_TITLES[kind]} for case {record.case_id} v{record.version} must list at least one "
                            f"{what}")
    for item in listed:
        if not isinstance(item, NoticeItem):
            raise CaseworkError(f"notice items must be NoticeItem, got {type(item).__name__}")
    issuer = (authority or record.authority_name or "").strip()
    if not issuer:
        raise CaseworkError(f"case {record.case_id}: no authority to issue the notice; pass authority=")
    day = issued_on or dt.datetime.now(CHINA).date()
    return _Content(kind=kind, title=_TITLES[kind], number=f"{record.case_id}-v{record.version}",
                    to=f"{record.applicant_name or '申请人'}：", intro="", items=listed, closing="", authority=issuer,
                    issued_on=day, reviewer=_reviewer(reviewer))


def _replace(content: _Content, **changes: Any) -> _Content:
    return replace(content, **changes)


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _submitted(record: CaseRecord) -> str:
    at = record.submitted_at
    return _cn_date(at.astimezone(CHINA).date()) if at else _cn_date(record.created_at.astimezone(CHINA).date())


def _matter(record: CaseRecord, title: str | None) -> str:
    if title:
        return f"“{title}”"
    try:
        from govauto import default_runtime

        matter = default_runtime().matters.get(record.matter)
    except GovautoError:
        matter = None
    return f"“{matter.title}”" if matter else f"“{record.matter}”"


def _reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise CaseworkError("a notice needs the reviewer (a user name, or the machine's actor name)")
    name = reviewer.strip()
    if name.startswith("machine:"):
        return f"{name.removeprefix('machine:').strip()}（系统自动审查）"
    if name.startswith("user:"):
        return "、".join(part for part in name.removeprefix("user:").split("+") if part)
    return name


def _item_lines(item: NoticeItem) -> list[tuple[str, str]]:
    lines = [("message", item.message.strip())]
    if item.basis.strip():
        lines.append(("basis", f"依据：{item.basis.strip()}"))
    if item.remedy.strip():
        lines.append(("remedy", f"补正要求：{item.remedy.strip()}"))
    return lines


# -- rendering ----------------------------------------------------------------------------------------------------

def _render(content: _Content, record: CaseRecord) -> Notice:
    return Notice(kind=content.kind, title=content.title, number=content.number, case_id=record.case_id,
                  version=record.version, authority=content.authority, issued_on=content.issued_on,
                  items=content.items, html=_html(content), pdf=_pdf(content), text=_text(content))


def _text(c: _Content) -> str:
    lines = [c.title, f"编号：{c.number}", "", c.to, c.intro, ""]
    for n, item in enumerate(c.items, 1):
        parts = _item_lines(item)
        lines.append(f"{n}. {parts[0][1]}")
        lines += [f"   {text}" for _, text in parts[1:]]
    lines += ["", c.closing, "", c.authority, c.date, f"审查人：{c.reviewer}"]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: "Songti SC", "SimSun", "Noto Serif CJK SC", serif; margin: 2.5em auto; max-width: 42em;
       line-height: 1.8; color: #111; }
h1 { text-align: center; font-size: 1.6em; letter-spacing: 0.2em; margin-bottom: 0.2em; }
.number { text-align: center; margin-top: 0; color: #444; }
ol.items li { margin-bottom: 0.6em; }
ol.items p { margin: 0; }
.basis, .remedy { color: #333; }
.rule { color: #777; font-size: 0.85em; }
.sign { text-align: right; margin-top: 2.5em; }
.sign p { margin: 0; }
@media print { body { margin: 0 auto; } }
"""


def _html(c: _Content) -> str:
    e = html.escape
    items = []
    for item in c.items:
        paragraphs = "".join(f'<p class="{cls}">{e(text)}</p>' for cls, text in _item_lines(item))
        rule = f'<p class="rule">规则 {e(item.rule)}</p>' if item.rule else ""
        items.append(f"<li>{paragraphs}{rule}</li>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(c.title)} {e(c.number)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<article class="notice notice-{c.kind}">\n'
        f"<h1>{e(c.title)}</h1>\n"
        f'<p class="number">编号：{e(c.number)}</p>\n'
        f'<p class="to">{e(c.to)}</p>\n'
        f'<p class="intro">{e(c.intro)}</p>\n'
        f'<ol class="items">\n' + "\n".join(items) + "\n</ol>\n"
        f'<p class="closing">{e(c.closing)}</p>\n'
        f'<div class="sign"><p class="authority">{e(c.authority)}</p><p class="date">{e(c.date)}</p>'
        f'<p class="reviewer">审查人：{e(c.reviewer)}</p></div>\n'
        "</article>\n</body>\n</html>\n"
    )


_font_lock = threading.Lock()


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    with _font_lock:
        if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def _pdf(c: _Content) -> bytes:
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _register_font()
    base = ParagraphStyle("body", fontName=PDF_FONT, fontSize=12, leading=21, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=30, alignment=TA_CENTER, spaceAfter=4)
    centred = ParagraphStyle("number", parent=base, fontSize=11, alignment=TA_CENTER, spaceAfter=14)
    body = ParagraphStyle("intro", parent=base, spaceAfter=8, firstLineIndent=24)
    item = ParagraphStyle("item", parent=base, leftIndent=24, firstLineIndent=-24, spaceBefore=6)
    detail = ParagraphStyle("detail", parent=base, leftIndent=24, fontSize=11, leading=19)
    rule = ParagraphStyle("rule", parent=detail, fontSize=9, leading=14, textColor="#666666")
    sign = ParagraphStyle("sign", parent=base, alignment=TA_RIGHT)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(xml_escape(text), style)

    story: list[Any] = [para(c.title, title), para(f"编号：{c.number}", centred), para(c.to, base),
                        para(c.intro, body)]
    for n, entry in enumerate(c.items, 1):
        lines = _item_lines(entry)
        story.append(para(f"{n}．{lines[0][1]}", item))
        story += [para(text, detail) for _, text in lines[1:]]
        if entry.rule:
            story.append(para(f"规则 {entry.rule}", rule))
    story += [Spacer(1, 10), para(c.closing, body), Spacer(1, 28), para(c.authority, sign), para(c.date, sign),
              para(f"审查人：{c.reviewer}", sign)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=25 * mm, title=f"{c.title} {c.number}", author=c.authority,
                            subject=c.number, creator="govauto", invariant=1)
    doc.build(story)
    return buffer.getvalue()
