"""Bad input never crashes extraction: each problem is named, recorded on the material, and refers the case."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

import govauto
from govauto.extract.pipeline import Extraction, Extractor
from govauto.extract.sniff import Limits, sniff


def _pdf(path: Path, lines: list[str], pages: int = 1, encrypt: str | None = None) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), invariant=1, encrypt=encrypt)
    for _ in range(pages):
        pdf.setFont("STSong-Light", 12)
        for index, line in enumerate(lines):
            pdf.drawString(72, 760 - index * 24, line)
        pdf.showPage()
    pdf.save()
    return path


LEASE = ["房屋租赁合同", "出租方（甲方）：王大明", "承租方（乙方）：张三", "房屋坐落：广东省深圳市南山区南山大道100号",
         "租赁期限：自2025年1月1日起至2027年12月31日止", "月租金：人民币5000元"]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return govauto.Runtime(load_entrypoints=False).extractor()


def _extract(extractor: Extractor, path: Path, kind: str | None = "premises_proof") -> Extraction:
    return extractor.extract(path, kind)


def test_text_layer_lease_is_read_with_positions(tmp_path: Path, extractor: Extractor) -> None:
    result = _extract(extractor, _pdf(tmp_path / "lease.pdf", LEASE))
    assert result.ok and result.doc_type == "lease" and result.engines == ["pdf-text"]
    fields = {name: f.value for name, f in result.fields.items()}
    assert fields == {"lessor": "王大明", "lessee": "张三", "address": "广东省深圳市南山区南山大道100号",
                      "start": "2025-01-01", "end": "2027-12-31"}
    lessee = result.fields["lessee"]
    assert lessee.confidence == 1.0 and lessee.source is not None and lessee.source.page == 1
    x0, top, x1, bottom = lessee.source.bbox
    assert 72 < x0 < x1 < 400 and 0 < top < bottom < 842


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(_pdf(p.with_suffix(".full"), LEASE).read_bytes()[:400]), "corrupt"),
        (lambda p: p.write_bytes(b"<!DOCTYPE html><html><body>login</body></html>"), "unsupported"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("a.txt", "x"), "unsupported"),
        (lambda p: _pdf(p, LEASE, encrypt="secret"), "encrypted"),
        (lambda p: _pdf(p, ["x"], pages=2000), "too_large"),
    ],
    ids=["empty", "truncated", "html-named-pdf", "zip-named-pdf", "encrypted", "2000-pages"],
)
def test_bad_material_is_named_and_recorded(tmp_path: Path, extractor: Extractor, make: Any, reason: str) -> None:
    path = tmp_path / "material.pdf"
    make(path)
    started = time.perf_counter()
    result = _extract(extractor, path)
    assert result.error == reason, result.error_message
    assert str(path) in result.error_message
    if reason == "too_large":
        assert "2,000 pages" in result.error_message and time.perf_counter() - started < 5  # checked before work


def test_missing_file(tmp_path: Path, extractor: Extractor) -> None:
    result = _extract(extractor, tmp_path / "nope.pdf")
    assert result.error == "missing" and "does not exist" in result.error_message


def test_unrecognised_material_is_reported_with_scores(tmp_path: Path, extractor: Extractor) -> None:
    result = _extract(extractor, _pdf(tmp_path / "menu.pdf", ["菜单", "宫保鸡丁 38元", "鱼香肉丝 32元"]))
    assert result.error is None and result.doc_type is None
    assert result.reason == "no document type matches" and set(result.scores) == {"lease", "property_certificate"}


def test_sniff_never_trusts_the_extension() -> None:
    assert sniff(b"%PDF-1.7\n") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"PK\x03\x04") == "application/zip"
    assert sniff(b"  <html><head>") == "text/html"


def test_limits_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_MAX_PDF_PAGES", "3")
    assert Limits.from_environment().max_pages == 3
    monkeypatch.setenv("GOVAUTO_MAX_PDF_PAGES", "many")
    with pytest.raises(ValueError, match="GOVAUTO_MAX_PDF_PAGES='many' is not a whole number"):
        Limits.from_environment()


def test_cache_by_file_hash(tmp_path: Path) -> None:
    runtime = govauto.Runtime(load_entrypoints=False)
    path = _pdf(tmp_path / "lease.pdf", LEASE)
    extractor = runtime.extractor(cache_dir=tmp_path / "cache")
    first = extractor.extract(path, "premises_proof")
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    second = runtime.extractor(cache_dir=tmp_path / "cache").extract(path, "premises_proof")
    assert second.to_dict() == first.to_dict()
    (next((tmp_path / "cache").glob("*.json"))).write_text("{broken", "utf-8")
    assert runtime.extractor(cache_dir=tmp_path / "cache").extract(path, "premises_proof").doc_type == "lease"


def test_missing_ocr_engine_refers_scans_and_still_reads_text_pdfs(tmp_path: Path) -> None:
    from PIL import Image

    extractor = govauto.Runtime(load_entrypoints=False).extractor("nope")
    assert extractor.extract(_pdf(tmp_path / "lease.pdf", LEASE), "premises_proof").doc_type == "lease"
    Image.new("RGB", (200, 100), "white").save(tmp_path / "scan.png")
    result = extractor.extract(tmp_path / "scan.png", "id_card")
    assert result.error == "ocr_unavailable" and "'nope' is not installed" in result.error_message


def test_invalid_template_names_file_line_and_field(tmp_path: Path) -> None:
    from govauto.extract.templates import read_document_type

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad-Id\nrecognise: {any: [x], min_any: 3}\nfields:\n  a: {pattern: '['}\n", "utf-8")
    with pytest.raises(govauto.PackError) as info:
        read_document_type(bad)
    text = str(info.value)
    assert "bad.yaml:1" in text and "'id' is required" in text
    assert "min_any must be a whole number from 0 to 1" in text
    assert "field a: 'anchor' (the label text) is required" in text


def test_one_ocr_engine_instance_per_runtime(tmp_path: Path) -> None:
    from collections.abc import Callable

    from PIL import Image

    from govauto import hookimpl

    made: list[object] = []

    class Fake:
        name = "fake"

        def available(self) -> None:
            return None

        def recognize(self, image: object) -> list[Any]:
            return []

    class FakePlugin:
        @hookimpl
        def govauto_register_ocr_engines(self, register: Callable[[str, Callable[[], Any]], None]) -> None:
            register("fake", lambda: made.append(Fake()) or made[-1])

    runtime = govauto.Runtime(plugins=[FakePlugin()], load_entrypoints=False, ocr_engine="fake")
    for index in range(3):
        Image.new("RGB", (50 + index, 50), "white").save(tmp_path / f"{index}.png")
        assert runtime.extract_file(tmp_path / f"{index}.png", material_kind="id_card").doc_type is None
    assert len(made) == 1
