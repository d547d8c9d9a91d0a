"""Loading uploaded images safely (limits before decoding, EXIF, damaged files) and preparing them for OCR."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from govauto.errors import CorruptMaterialError, MaterialTooLargeError, UnsupportedMaterialError
from govauto.extract.images import (
    estimate_noise,
    estimate_skew,
    estimate_text_height,
    load_image,
    orientation,
    preprocess,
)
from tests.rendered_text import needs_font, render_lines

LINES = ["姓名 张三", "住址 广东省深圳市南山区科技园路18号", "公民身份号码 440305198506123419"]


def render(lines: list[str] = LINES, size: int = 28) -> Image.Image:
    return render_lines(lines, size)


def degrade(image: Image.Image, seed: int = 1, angle: float = 0.0, noise: float = 18) -> Image.Image:
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    values = np.asarray(image.convert("L"), dtype=np.float64) * 0.75 + 44
    values += np.random.default_rng(seed).normal(0, noise, values.shape)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8)).convert("RGB")


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (1-bit grey) but whose pixel data is junk: any attempt
    to decode it fails, so a size error proves that nothing was decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"not zlib data") + chunk(b"IEND", b"")


# --- load_image ---------------------------------------------------------------------------------------------


def upright_marker() -> Image.Image:
    """120 x 80, white, with a black square in the top-left corner."""
    image = Image.new("RGB", (120, 80), "white")
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill="black")
    return image


@pytest.mark.parametrize(("exif_orientation", "stored_as"), [
    (3, Image.Transpose.ROTATE_180),  # upside down
    (6, Image.Transpose.ROTATE_90),  # the camera was turned; viewers rotate 90 degrees clockwise
    (8, Image.Transpose.ROTATE_270),
])
def test_exif_rotated_photo_is_loaded_upright(tmp_path: Path, exif_orientation: int,
                                              stored_as: Image.Transpose) -> None:
    stored = upright_marker().transpose(stored_as)
    exif = Image.Exif()
    exif[0x0112] = exif_orientation
    path = tmp_path / "photo.jpg"
    stored.save(path, "JPEG", exif=exif.tobytes(), quality=95)

    [page] = load_image(path)

    assert page.mode == "RGB"
    assert page.size == (120, 80)
    assert page.getpixel((5, 5)) == pytest.approx((0, 0, 0), abs=40)  # the marker is back in the top-left
    assert page.getpixel((110, 70)) == pytest.approx((255, 255, 255), abs=40)


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (9_000, 9_000)])
def test_huge_image_is_refused_from_its_header_without_decoding(tmp_path: Path, width: int, height: int) -> None:
    # 30000 x 30000 is also over Pillow's own decompression-bomb limit; 9000 x 9000 only over ours (60 M)
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(width, height))

    with pytest.raises(MaterialTooLargeError) as caught:
        load_image(path)

    assert caught.value.reason == "too_large"
    assert caught.value.file == str(path)


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(png_bytes(Image.new("RGB", (200, 100), "white")))

    with pytest.raises(MaterialTooLargeError, match="20,000 pixels, over the limit of 19,999"):
        load_image(path, max_pixels=19_999)
    assert load_image(path, max_pixels=20_000)[0].size == (200, 100)


def test_truncated_jpeg_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    render().save(buffer, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    with pytest.raises(CorruptMaterialError) as caught:
        load_image(path)
    assert caught.value.reason == "corrupt"


def test_truncated_png_is_corrupt(tmp_path: Path) -> None:
    data = png_bytes(render())
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) * 2 // 3])

    with pytest.raises(CorruptMaterialError):
        load_image(path)


def test_bytes_that_are_not_an_image_are_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"GIF89a" + bytes(100))

    with pytest.raises(UnsupportedMaterialError, match="image/gif"):
        load_image(path)


def test_missing_file_is_not_a_material_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nothing.png")


def test_multi_page_tiff_gives_one_image_per_page(tmp_path: Path) -> None:
    pages = [Image.new("L", (100 + 10 * i, 50), 255) for i in range(3)]
    path = tmp_path / "scan.tif"
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:])

    loaded = load_image(path)

    assert [p.size for p in loaded] == [(100, 50), (110, 50), (120, 50)]
    assert all(p.mode == "RGB" for p in loaded)
    with pytest.raises(MaterialTooLargeError, match="3 pages, over the limit of 2"):
        load_image(path, max_pages=2)
    with pytest.raises(MaterialTooLargeError, match="together"):
        load_image(path, max_total_pixels=15_000)


def test_file_object_is_accepted() -> None:
    [page] = load_image(io.BytesIO(png_bytes(Image.new("RGB", (30, 20), "white"))))
    assert page.size == (30, 20)


def test_transparent_png_is_laid_on_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # transparent black: naive conversion makes it black
    ImageDraw.Draw(image).rectangle((0, 0, 9, 9), fill=(0, 0, 0, 255))
    path = tmp_path / "scan.png"
    image.save(path)

    [page] = load_image(path)

    assert page.getpixel((30, 15)) == (255, 255, 255)
    assert page.getpixel((5, 5)) == (0, 0, 0)


def test_16_bit_scan_is_stretched_to_8_bits(tmp_path: Path) -> None:
    values = np.full((20, 40), 40_000, dtype=np.uint16)
    values[:, :10] = 1_000
    path = tmp_path / "scan.png"
    Image.fromarray(values).save(path)

    [page] = load_image(path)

    assert page.getpixel((30, 10)) == (255, 255, 255)
    assert page.getpixel((5, 10)) == (0, 0, 0)


# --- preprocessing ------------------------------------------------------------------------------------------


@needs_font
@pytest.mark.parametrize("angle", [3.0, -3.0])
@pytest.mark.parametrize("noisy", [False, True])
def test_deskew_recovers_a_3_degree_rotation(angle: float, noisy: bool) -> None:
    page = render().rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    if noisy:
        page = degrade(page)

    assert estimate_skew(page) == pytest.approx(angle, abs=0.5)
    straightened = preprocess(page)
    assert straightened.info["govauto.skew"] == pytest.approx(angle, abs=0.5)
    assert abs(estimate_skew(straightened)) <= 0.5


@needs_font
def test_straight_text_is_not_rotated() -> None:
    page = render()
    assert abs(estimate_skew(page)) < 0.3
    assert preprocess(page).info["govauto.skew"] == 0.0


def test_blank_image_has_no_skew_and_no_text() -> None:
    blank = Image.new("L", (300, 200), 255)
    assert estimate_skew(blank) == 0.0
    assert estimate_text_height(blank) is None
    assert preprocess(blank).size == (300, 200)


@needs_font
@pytest.mark.parametrize("size", [12, 20, 28, 40])
def test_text_height_is_about_the_font_size(size: int) -> None:
    assert estimate_text_height(render(size=size)) == pytest.approx(0.92 * size, rel=0.15)
    assert estimate_text_height(degrade(render(size=size))) == pytest.approx(0.92 * size, rel=0.2)


@needs_font
def test_small_clean_text_is_enlarged_and_noisy_text_is_not() -> None:
    small = render(size=12)
    enlarged = preprocess(small)
    assert enlarged.mode == "L"
    assert enlarged.info["govauto.scale"] > 1.8
    assert enlarged.width == round(small.width * enlarged.info["govauto.scale"])

    assert preprocess(degrade(render(size=12))).info["govauto.scale"] == 1.0
    assert preprocess(render(size=28)).info["govauto.scale"] == 1.0


@needs_font
def test_noise_is_told_apart_from_clean_scans() -> None:
    assert estimate_noise(render(size=12)) < 1.0  # preprocess treats 1.5 and more as noisy
    assert estimate_noise(render(size=28)) < 1.0
    assert estimate_noise(degrade(render())) > 3.0

    assert preprocess(degrade(render())).info["govauto.denoised"] is True
    assert preprocess(render()).info["govauto.denoised"] is False


@needs_font
def test_orientation_of_a_sideways_page() -> None:
    pytesseract = pytest.importorskip("pytesseract")
    try:
        if "osd" not in pytesseract.get_languages(config=""):
            pytest.skip("tesseract's osd.traineddata is missing (Debian package tesseract-ocr)")
    except pytesseract.TesseractNotFoundError:
        pytest.skip("tesseract is not installed")
    rng = random.Random(3)
    lines = ["".join(rng.choice("甲乙双方在平等自愿协商一致的基础上就房屋租赁事宜达成如下协议") for _ in range(22))
             for _ in range(12)]
    page = render(lines, size=24)

    assert orientation(page) == 0
    for turned in (90, 180, 270):
        sideways = page.rotate(turned, expand=True)  # counter-clockwise
        assert orientation(sideways) == turned
        assert sideways.rotate(-orientation(sideways), expand=True).size == page.size
