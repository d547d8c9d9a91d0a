"""Synthetic materials (govauto.testing.documents): reproducible, truthful, marked 样本, readable by the extractors."""

from __future__ import annotations

import copy
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
import yaml
from PIL import Image, ImageOps

from govauto.testing import documents as docs
from govauto.testing.documents import (
    CARD_SIZE,
    FIELDS,
    HOUSEHOLD_PAGE_SIZE,
    KINDS,
    VARIANTS,
    FontUnavailableError,
    GeneratedDocument,
    generate_document,
    generate_materials,
    printed,
)
from govauto.testing.generate import generate_cases

from ..conftest import ROOT

PDF_KINDS = ("application_form", "lease", "property_certificate", "authorisation", "tax_clearance")
IMAGE_KINDS = ("id_card_front", "id_card_back", "household_register")

# Where each truth value is printed: the text its line starts the field with (the label).
LABELS: dict[str, dict[str, str]] = {
    "application_form": {
        "name": "经营者姓名", "id_number": "公民身份号码", "phone": "联系电话", "address": "住所",
        "business_name": "个体工商户名称", "organisation": "组成形式", "scope": "经营范围",
        "premises_address": "经营场所", "capital": "资金数额（元）", "employees": "从业人数", "date": "申请日期：",
        "family_members": "参加经营的家庭成员",
    },
    "lease": {
        "lessor": "出租方（甲方）：", "lessor_id": "出租方（甲方）：", "lessee": "承租方（乙方）：",
        "lessee_id": "承租方（乙方）：", "address": "房屋坐落：", "start": "租赁期限：自", "end": "租赁期限：自",
        "rent": "月租金：人民币",
    },
    "property_certificate": {"owner": "权利人", "address": "坐落", "unit_number": "不动产单元号", "area": "面积"},
    "authorisation": {
        "principal": "委托人：", "principal_id": "委托人：", "agent": "受托人：", "agent_id": "受托人：",
        "start": "委托期限：自", "end": "委托期限：自",
    },
    "tax_clearance": {"taxpayer": "纳税人名称：", "taxpayer_id": "统一社会信用代码（纳税人识别号）：",
                      "authority": "税务机关：", "date": "开具日期："},
}


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    """The approve example, run by a family with an agent, so every kind has its data."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    data["organisation"] = "family"
    data["family_members"] = [{"name": "李芳", "id_number": "440305199205061221", "relation": "配偶"}]
    data["agent"] = {"name": "王强", "id_number": "440305198001011234", "phone": "13700137000"}
    return data


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("documents")


def _pdf_lines(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [line["text"].replace(" ", "") for page in pdf.pages for line in page.extract_text_lines()]


def _pdf_words(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [w["text"] for page in pdf.pages for w in page.extract_words(split_at_punctuation="：（）")]


def _open_pages(path: Path) -> list[Image.Image]:
    if path.suffix == ".pdf":
        pdf = pdfium.PdfDocument(path)
        return [page.render(scale=200 / 72).to_pil().convert("RGB") for page in pdf]
    with Image.open(path) as image:
        return [ImageOps.exif_transpose(image).convert("RGB")]


# ---- every kind, every variant ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_variant(kind: str, variant: str, case: dict[str, Any], out: Path) -> None:
    doc = generate_document(kind, case, out / variant / kind, variant=variant, seed=3)
    assert isinstance(doc, GeneratedDocument)
    assert (doc.kind, doc.variant, doc.material_kind) == (kind, variant, docs.MATERIAL_KINDS[kind])
    assert doc.path.is_file() and doc.path.stat().st_size > 10_000
    expected_keys = set(FIELDS[kind]) | ({"family_members"} if kind == "application_form" else set())
    assert set(doc.truth) == expected_keys
    multi_page = kind in ("lease", "household_register")  # the test family has a member besides the operator
    expected = {
        "clean": ".pdf" if kind in PDF_KINDS else ".png",
        "scanned": ".pdf" if kind in PDF_KINDS or multi_page else ".jpg",
        "photographed": ".pdf" if multi_page else ".jpg",
    }[variant]
    assert doc.path.suffix == expected
    pages = _open_pages(doc.path)
    assert len(pages) == (2 if multi_page and (doc.path.suffix == ".pdf" or kind == "lease") else 1)
    assert all(min(page.size) >= 600 for page in pages)


# ---- reproducible -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "variant"), [
    ("application_form", "clean"), ("lease", "clean"), ("id_card_front", "clean"), ("household_register", "clean"),
    ("lease", "scanned"), ("id_card_back", "scanned"), ("authorisation", "photographed"),
    ("id_card_front", "photographed"),
])
def test_same_seed_same_bytes(kind: str, variant: str, case: dict[str, Any], tmp_path: Path) -> None:
    first = generate_document(kind, case, tmp_path / "a" / kind, variant=variant, seed=11)
    again = generate_document(kind, copy.deepcopy(case), tmp_path / "b" / kind, variant=variant, seed=11)
    other = generate_document(kind, case, tmp_path / "c" / kind, variant=variant, seed=12)
    assert first.path.read_bytes() == again.path.read_bytes()
    assert first.truth == again.truth
    assert other.path.read_bytes() != first.path.read_bytes()


def test_invented_values_agree_across_kinds_and_variants(tmp_path: Path) -> None:
    bare: dict[str, Any] = {"matter": "sole_proprietor.establish", "submitted_at": "2026-03-02T10:00:00+08:00",
                            "authority": {"name": "昆山市市场监督管理局", "division": "320583"},
                            "applicant": {"name": "周敏"}, "business": {"premises": [{"kind": "commercial",
                                                                                       "division": "320583"}]}}
    form = generate_document("application_form", bare, tmp_path / "form", seed=5)
    lease = generate_document("lease", bare, tmp_path / "lease", seed=5)
    scanned = generate_document("lease", bare, tmp_path / "scan", seed=5, variant="scanned")
    front = generate_document("id_card_front", bare, tmp_path / "front", seed=5)
    assert lease.truth == scanned.truth
    assert lease.truth["lessee_id"] == form.truth["id_number"] == front.truth["id_number"]
    assert lease.truth["address"].startswith("江苏省苏州市昆山市")
    assert form.truth["premises_address"] == ""  # the case gives no address: the form leaves it blank
    assert lease.truth["start"] <= "2026-03-02" <= lease.truth["end"]


# ---- clean PDFs: a perfect text layer ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PDF_KINDS)
def test_pdfplumber_reads_every_truth_value_after_its_label(kind: str, case: dict[str, Any], out: Path) -> None:
    doc = generate_document(kind, case, out / "text" / kind, seed=4)
    lines = _pdf_lines(doc.path)
    words = _pdf_words(doc.path)
    for key, value in doc.truth.items():
        label, shown = LABELS[kind][key], printed(kind, key, value).replace(" ", "")
        assert shown, key
        on_its_line = [line for line in lines if label in line and shown in line.split(label, 1)[1]]
        assert on_its_line, f"{kind}.{key}: {shown!r} not after {label!r} on one line in {lines}"
        if key.endswith("id") or key in ("id_number", "unit_number", "lessor", "lessee", "principal", "agent"):
            assert shown in words, f"{kind}.{key}: {shown!r} is not a word of its own"


def test_long_values_shrink_rather_than_wrap(case: dict[str, Any], tmp_path: Path) -> None:
    long_case = copy.deepcopy(case)
    long_case["business"]["scope"] = ["日用百货销售", "食品销售（仅销售预包装食品）", "五金产品零售", "服装服饰零售",
                                      "家用电器销售"]
    doc = generate_document("application_form", long_case, tmp_path / "form", seed=1)
    assert any(line.startswith("经营范围" + doc.truth["scope"]) for line in _pdf_lines(doc.path))


def test_clean_pdf_metadata_is_fixed(case: dict[str, Any], tmp_path: Path) -> None:
    doc = generate_document("authorisation", case, tmp_path / "auth", seed=2)
    with pdfplumber.open(doc.path) as pdf:
        assert "样本" in pdf.metadata["Title"]
        assert pdf.metadata["CreationDate"].startswith("D:2000")  # reportlab's invariant date


# ---- images: size, the 样本 mark ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_clean_images_have_the_expected_size_and_a_visible_sample_mark(kind: str, case: dict[str, Any],
                                                                     out: Path) -> None:
    doc = generate_document(kind, case, out / "images" / kind, seed=6)
    with Image.open(doc.path) as image:
        size = image.size
        marked = np.asarray(image.convert("RGB"), dtype=np.int16)
    if kind == "household_register":  # two pages, stacked
        assert size == (HOUSEHOLD_PAGE_SIZE[0], 2 * HOUSEHOLD_PAGE_SIZE[1] + 24)
        assert 0.5 < HOUSEHOLD_PAGE_SIZE[1] / HOUSEHOLD_PAGE_SIZE[0] < 1.2
    else:
        assert size == CARD_SIZE
        assert abs(size[0] / size[1] - 85.6 / 54) < 0.02

    facts = docs._facts(case, 6)
    truth, extra = docs._TRUTH[kind](facts, random.Random(f"govauto.documents:6:{kind}"))
    plain_pages = docs._IMAGE_RENDER[kind](truth, extra, random.Random(f"govauto.documents:6:{kind}:layout"),
                                           watermark=False)
    plain = np.asarray(plain_pages[0], dtype=np.int16)
    first = marked[: plain.shape[0]]
    changed = np.abs(first - plain).sum(axis=2) > 40
    assert changed.sum() > 3000, "the 样本 mark is missing or faint"
    red = first[changed]
    assert red[:, 0].mean() > red[:, 1].mean() + 40, "the 样本 mark is not red"
    ys, xs = np.nonzero(changed)
    box = (xs.min(), ys.min(), xs.max(), ys.max())
    # the mark keeps clear of the fields: beside them on the ID front, between title and fields on the back,
    # in the top margin of a household register page
    limits = {"id_card_front": lambda b: b[0] >= 620 and b[3] < 500,
              "id_card_back": lambda b: b[1] > 240 and b[3] < 440,
              "household_register": lambda b: b[1] < 30 and b[3] < 105 and b[0] > 800}
    assert limits[kind](box), box


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs, "_NOTO_DIRS", ())

    def no_fonts(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(subprocess, "run", no_fonts)
    docs._font_file.cache_clear()
    docs._font.cache_clear()
    try:
        with pytest.raises(FontUnavailableError, match="fonts-noto-cjk"):
            docs._font(20)
    finally:
        docs._font_file.cache_clear()
        docs._font.cache_clear()


# ---- scans and photos -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application_form", "lease"])
def test_scanned_pdf_has_no_text_layer(kind: str, case: dict[str, Any], out: Path) -> None:
    doc = generate_document(kind, case, out / "scan" / kind, variant="scanned", seed=3)
    with pdfplumber.open(doc.path) as pdf:
        assert len(pdf.pages) == (2 if kind == "lease" else 1)
        for page in pdf.pages:
            assert page.chars == [] and page.extract_text() == ""
            assert len(page.images) == 1
            assert 590 < page.width < 600  # A4 at the scan resolution


def test_photographed_jpegs_sometimes_carry_an_exif_orientation(case: dict[str, Any], tmp_path: Path) -> None:
    oriented = 0
    for seed in range(8):
        doc = generate_document("id_card_front", case, tmp_path / str(seed), variant="photographed", seed=seed)
        with Image.open(doc.path) as image:
            orientation = image.getexif().get(0x0112, 1)
            upright = ImageOps.exif_transpose(image)
            assert upright.width > upright.height  # upright when the tag is honoured
            if orientation != 1:
                oriented += 1
                assert orientation in (3, 6, 8)
                assert (image.width > image.height) == (orientation == 3)
    assert 0 < oriented < 8


def test_formats_can_be_forced(case: dict[str, Any], tmp_path: Path) -> None:
    lease = generate_document("lease", case, tmp_path / "lease", fmt="png", seed=1)
    with Image.open(lease.path) as image:
        assert lease.path.suffix == ".png" and image.height > 2 * image.width  # both pages, stacked
    card = generate_document("id_card_front", case, tmp_path / "card.pdf", seed=1)
    assert card.path == tmp_path / "card.pdf"
    with pdfplumber.open(card.path) as pdf:
        assert len(pdf.pages) == 1 and pdf.pages[0].chars == []
    scan = generate_document("application_form", case, tmp_path, variant="scanned", fmt="jpg", seed=1)
    assert scan.path == tmp_path / "application_form.jpg"
    with pytest.raises(ValueError, match="unknown format"):
        generate_document("lease", case, tmp_path / "x", fmt="tiff")
    with pytest.raises(ValueError, match="unknown variant"):
        generate_document("lease", case, tmp_path / "x", variant="faxed")
    with pytest.raises(ValueError, match="unknown document kind"):
        generate_document("passport", case, tmp_path / "x")


# ---- overrides --------------------------------------------------------------------------------------------------


def test_overrides_are_printed(case: dict[str, Any], tmp_path: Path) -> None:
    planted = generate_materials(case, tmp_path, seed=2, overrides={
        "id_card_front": {"id_number": "110101199003071234"}, "lease": {"lessee": "李四", "end": "2026-01-31"}})
    by_kind = {doc.kind: doc for doc in planted}
    lease = by_kind["lease"]
    assert lease.truth["lessee"] == "李四" and lease.truth["lessee_id"] == case["applicant"]["id_number"]
    text = "".join(_pdf_lines(lease.path))
    assert "承租方（乙方）：李四" in text and "起至2026年1月31日止" in text and "张三" not in text
    assert by_kind["id_card_front"].truth["id_number"] == "110101199003071234"
    assert by_kind["application_form"].truth["id_number"] == case["applicant"]["id_number"]

    with pytest.raises(ValueError, match="unknown field"):
        generate_document("lease", case, tmp_path / "x", overrides={"tenant": "李四"})
    with pytest.raises(ValueError, match="does not need"):
        generate_materials(case, tmp_path / "y", overrides={"property_certificate": {"owner": "李四"}})


# ---- which documents a case needs -------------------------------------------------------------------------------


def test_generate_materials_produces_what_the_case_needs(case: dict[str, Any], tmp_path: Path) -> None:
    individual = copy.deepcopy(case)
    individual.update(organisation="individual", family_members=[], agent=None)
    kinds = [doc.kind for doc in generate_materials(individual, tmp_path / "a")]
    assert kinds == ["application_form", "id_card_front", "id_card_back", "lease"]

    owned = copy.deepcopy(case)
    owned["business"]["premises"][0]["proof"] = "ownership"
    documents = generate_materials(owned, tmp_path / "b")
    assert [doc.kind for doc in documents] == ["application_form", "id_card_front", "id_card_back",
                                               "property_certificate", "household_register", "authorisation"]
    assert [doc.material_kind for doc in documents] == ["application_form", "id_card", "id_card", "premises_proof",
                                                        "family_relation_proof", "authorisation"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(doc.path.name for doc in documents)

    online = copy.deepcopy(individual)
    online["business"]["premises"] = [{"kind": "online", "division": "440305", "url": "https://shop.example.cn/1"}]
    documents = generate_materials(online, tmp_path / "c")
    assert [doc.kind for doc in documents] == ["application_form", "id_card_front", "id_card_back"]
    assert documents[0].truth["premises_address"] == "https://shop.example.cn/1"


def test_generated_cases_with_defects_render(tmp_path: Path) -> None:
    for index, generated in enumerate(generate_cases(12, seed=5, defect_rate=0.5)):
        for doc in generate_materials(generated, tmp_path / str(index), seed=index):
            assert doc.path.is_file()
            assert all(isinstance(value, str) for value in doc.truth.values())


def test_printed_forms() -> None:
    assert printed("lease", "start", "2026-01-05") == "2026年1月5日"
    assert printed("id_card_back", "valid_from", "2016-01-05") == "2016.01.05"
    assert printed("id_card_back", "valid_until", "长期") == "长期"
    assert printed("lease", "end", "not a date") == "not a date"
    assert printed("lease", "lessee", "张三") == "张三"
    assert docs._upper_amount(3500) == "叁仟伍佰元整"
    assert docs._upper_amount(10500) == "壹万零伍佰元整"
    assert docs._upper_amount(1050) == "壹仟零伍拾元整"


# ---- OCR --------------------------------------------------------------------------------------------------------


def test_tesseract_reads_the_id_number_on_a_clean_card(case: dict[str, Any], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    if shutil.which("tesseract") is None or "chi_sim" not in pytesseract.get_languages(config=""):
        pytest.skip("tesseract with chi_sim is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    for seed, number in ((0, case["applicant"]["id_number"]), (1, "44030519850612401X")):
        doc = generate_document("id_card_front", case, tmp_path / f"card{seed}", seed=seed,
                                overrides={"id_number": number})
        with Image.open(doc.path) as image:
            text = pytesseract.image_to_string(image, lang="chi_sim+eng", config="--psm 6")
        assert number in text.replace(" ", ""), text
        assert "公民身份号码" in text.replace(" ", ""), text
