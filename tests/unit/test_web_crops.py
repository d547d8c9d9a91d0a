"""Field crops: where a value was read, cut from the page in the right units, only from the case's own files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from govauto.extract.pdf import RENDER_DPI
from govauto.web.crops import PT_SCALE, CropError, CropRefused, CropSource, crop_png, margin_for


def png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def black_box_image(path: Path, box: tuple[int, int, int, int], size: tuple[int, int] = (800, 500)) -> Path:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle(box, fill="black")
    image.save(path)
    return path


def pdf_with_box(path: Path, box_pt: tuple[float, float, float, float], *, scanned: bool = False) -> Path:
    """A one-page A4 PDF with a black rectangle at ``box_pt`` (top-left origin, points); ``scanned``: the page is
    an image (as a scan is), drawn at :data:`RENDER_DPI`."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    width, height = A4
    x0, top, x1, bottom = box_pt
    pdf = canvas.Canvas(str(path), pagesize=A4)
    if scanned:
        scale = RENDER_DPI / 72
        image = Image.new("RGB", (round(width * scale), round(height * scale)), "white")
        ImageDraw.Draw(image).rectangle([round(v * scale) for v in box_pt], fill="black")
        from reportlab.lib.utils import ImageReader

        pdf.drawImage(ImageReader(image), 0, 0, width, height)
    else:
        pdf.rect(x0, height - bottom, x1 - x0, bottom - top, fill=1, stroke=0)
    pdf.showPage()
    pdf.save()
    return path


def dark_fraction(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = np.asarray(image.crop(box).convert("L"))
    return float((region < 60).mean())


def source(file: str, bbox: list[float], unit: str, page: int = 1) -> dict[str, object]:
    return {"file": file, "page": page, "bbox": bbox, "engine": "test", "unit": unit}


def test_an_image_crop_keeps_the_box_and_its_margin_and_outlines_it(tmp_path: Path) -> None:
    black_box_image(tmp_path / "id.png", (300, 200, 500, 240))
    crop = png(crop_png(CropSource.from_source(source("id.png", [300, 200, 500, 240], "px"), tmp_path)))
    mx, my = margin_for((300, 200, 500, 240))
    assert crop.size == (round(200 + 2 * mx) + 1, round(40 + 2 * my) + 1)
    inner = (round(mx) + 4, round(my) + 4, round(mx + 200) - 4, round(my + 40) - 4)
    assert dark_fraction(crop, inner) > 0.95  # the box itself
    assert crop.getpixel((round(mx) - 3, round(my) + 20))[0] > 180  # the red outline just outside it
    assert crop.getpixel((2, 2)) == (255, 255, 255)  # the margin is the page


def test_a_text_layer_pdf_box_is_in_points(tmp_path: Path) -> None:
    box = (100.0, 200.0, 200.0, 212.0)
    pdf_with_box(tmp_path / "lease.pdf", box)
    crop = png(crop_png(CropSource.from_source(source("lease.pdf", list(box), "pt"), tmp_path)))
    mx, my = margin_for(box)
    expected_width = (100 + 2 * mx) * PT_SCALE
    # 12 pt high boxes are enlarged to be legible: compare proportions, and where the box is
    assert crop.width / crop.height == pytest.approx(expected_width / ((12 + 2 * my) * PT_SCALE), rel=0.05)
    fx, fy = crop.width / expected_width, crop.height / ((12 + 2 * my) * PT_SCALE)
    inner = (round((mx + 5) * PT_SCALE * fx), round((my + 3) * PT_SCALE * fy),
             round((mx + 95) * PT_SCALE * fx), round((my + 9) * PT_SCALE * fy))
    assert dark_fraction(crop, inner) > 0.95


def test_a_scanned_pdf_box_is_in_the_pixels_of_the_page_rendered_for_ocr(tmp_path: Path) -> None:
    box_pt = (100.0, 300.0, 300.0, 330.0)
    pdf_with_box(tmp_path / "scan.pdf", box_pt, scanned=True)
    scale = RENDER_DPI / 72
    box_px = [v * scale for v in box_pt]
    crop = png(crop_png(CropSource.from_source(source("scan.pdf", box_px, "px"), tmp_path)))
    mx, my = margin_for(tuple(box_px))  # type: ignore[arg-type]
    width = box_px[2] - box_px[0] + 2 * mx
    factor = crop.width / width
    inner = (round((mx + 10) * factor), round((my + 10) * factor), round((mx + box_px[2] - box_px[0] - 10) * factor),
             round((my + box_px[3] - box_px[1] - 10) * factor))
    assert dark_fraction(crop, inner) > 0.9
    assert crop.getpixel((2, 2)) == (255, 255, 255)


def test_crops_are_cached_by_content(tmp_path: Path) -> None:
    black_box_image(tmp_path / "id.png", (300, 200, 500, 240))
    cache = tmp_path / "crops"
    crop_source = CropSource.from_source(source("id.png", [300, 200, 500, 240], "px"), tmp_path)
    first = crop_png(crop_source, cache)
    (cached,) = cache.glob("*.png")
    assert cached.read_bytes() == first
    cached.write_bytes(b"from the cache")
    assert crop_png(crop_source, cache) == b"from the cache"
    black_box_image(tmp_path / "id.png", (100, 100, 200, 140))  # new content: a new key
    assert crop_png(crop_source, cache) != b"from the cache"


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.png", "materials/../../outside.png"])
def test_files_outside_the_case_directory_are_never_opened(tmp_path: Path, name: str) -> None:
    case_dir = tmp_path / "case"
    (case_dir / "materials").mkdir(parents=True)
    black_box_image(tmp_path / "outside.png", (10, 10, 50, 50))
    with pytest.raises(CropRefused):
        CropSource.from_source(source(name, [10, 10, 50, 50], "px"), case_dir)


def test_a_symbolic_link_out_of_the_case_directory_is_refused(tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    black_box_image(tmp_path / "secret.png", (10, 10, 50, 50))
    os.symlink(tmp_path / "secret.png", case_dir / "id.png")
    with pytest.raises(CropRefused):
        CropSource.from_source(source("id.png", [10, 10, 50, 50], "px"), case_dir)
    with pytest.raises(CropRefused):
        CropSource.from_source(source(str(case_dir / "id.png"), [10, 10, 50, 50], "px"), case_dir)


@pytest.mark.parametrize("bad", [
    {"file": "id.png", "page": 1, "bbox": [10, 10, 5, 50], "unit": "px"},    # x1 < x0
    {"file": "id.png", "page": 0, "bbox": [10, 10, 50, 50], "unit": "px"},   # no page 0
    {"file": "id.png", "page": 1, "bbox": [10, 10, 50, 50], "unit": "mm"},   # unknown unit
    {"file": "id.png", "page": 1, "bbox": [10, 10, 50], "unit": "px"},       # not a box
    {"file": "gone.png", "page": 1, "bbox": [10, 10, 50, 50], "unit": "px"},  # no such file
    {"page": 1, "bbox": [10, 10, 50, 50]},                                   # no file
])
def test_malformed_sources_are_errors(tmp_path: Path, bad: dict[str, object]) -> None:
    black_box_image(tmp_path / "id.png", (10, 10, 50, 50))
    with pytest.raises(CropError):
        CropSource.from_source(bad, tmp_path)


def test_a_box_off_the_page_or_a_missing_page_is_an_error(tmp_path: Path) -> None:
    black_box_image(tmp_path / "id.png", (10, 10, 50, 50), size=(100, 100))
    with pytest.raises(CropError, match="outside the page"):
        crop_png(CropSource.from_source(source("id.png", [5000, 5000, 5100, 5040], "px"), tmp_path))
    with pytest.raises(CropError, match="no page 2"):
        crop_png(CropSource.from_source(source("id.png", [10, 10, 50, 50], "px", page=2), tmp_path))
    (tmp_path / "fake.png").write_bytes(b"not an image at all")
    with pytest.raises(CropError):
        crop_png(CropSource.from_source(source("fake.png", [10, 10, 50, 50], "px"), tmp_path))
