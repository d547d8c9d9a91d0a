"""RapidOcrEngine: what it reads on rendered ID crops and a lease page, the words it returns, its hook."""

from __future__ import annotations

import importlib.metadata
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from govauto.errors import OcrEngineUnavailableError
from govauto.extract.model import Word
from govauto.extract.ocr import OcrEngine
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from govauto_rapidocr import RapidOcrEngine
from govauto_rapidocr import plugin as rapidocr_plugin

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ID_NUMBER = "440305198506123419"
LINES = ["姓名 张三", "住址 广东省深圳市南山区科技园路18号", f"公民身份号码 {ID_NUMBER}"]
needs_font = pytest.mark.skipif(not FONT.exists(), reason="Noto CJK fonts missing: apt-get install fonts-noto-cjk")


def render(lines: list[str] = LINES, size: int = 28, spacing: float = 1.6) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size, index=2)
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    width = max(int(probe.textlength(line, font=font)) for line in lines) + 2 * size
    image = Image.new("RGB", (width, int(len(lines) * size * spacing) + 2 * size), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size, size + i * size * spacing), line, font=font, fill="black")
    return image


def degrade(image: Image.Image, seed: int, angle: float = 0.0, blur: float = 0.8) -> Image.Image:
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    image = image.filter(ImageFilter.GaussianBlur(blur))
    values = np.asarray(image.convert("L"), dtype=np.float64) * 0.75 + 44
    values += np.random.default_rng(seed).normal(0, 18, values.shape)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8)).convert("RGB")


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return RapidOcrEngine()


def test_engine_implements_the_protocol(engine: RapidOcrEngine) -> None:
    assert isinstance(engine, OcrEngine)
    assert engine.name == "rapidocr"
    assert engine.available() is None


def test_models_are_inside_the_installed_package() -> None:
    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    for name in ("ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"):
        assert (models / name).stat().st_size > 100_000


@needs_font
def test_reads_without_any_network_access(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("RapidOCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    words = RapidOcrEngine(threads=1).recognize(render())  # a new engine: loads its models now
    assert ID_NUMBER in [w.text for w in words]


@needs_font
def test_reads_the_id_number_and_name_on_a_clean_crop(engine: RapidOcrEngine) -> None:
    image = render()
    words = engine.recognize(image)

    texts = [w.text for w in words]
    assert ID_NUMBER in texts
    assert "公民身份号码" in texts  # label and number are separate words, as with Tesseract
    assert "姓名张三" in texts or {"姓名", "张三"} <= set(texts)
    for word in words:
        x0, top, x1, bottom = word.bbox
        assert 0 <= x0 < x1 <= image.width
        assert 0 <= top < bottom <= image.height
        assert 0.0 <= word.confidence <= 1.0
    assert [w.line for w in words] == sorted(w.line for w in words)
    number = next(w for w in words if w.text == ID_NUMBER)
    assert number.line == 2
    assert next(w for w in words if w.text == "公民身份号码").line == 2


@needs_font
@pytest.mark.parametrize(("seed", "angle", "blur"), [(1, 0.0, 0.8), (2, 3.0, 0.8), (3, -3.0, 1.2), (4, 0.0, 1.5)])
def test_reads_noisy_rotated_and_blurred_scans_exactly(engine: RapidOcrEngine, seed: int, angle: float,
                                                       blur: float) -> None:
    words = engine.recognize(degrade(render(), seed, angle, blur))

    text = "".join(w.text for w in words)
    assert ID_NUMBER in text
    assert "张三" in text


@needs_font
def test_grey_images_are_accepted(engine: RapidOcrEngine) -> None:
    assert ID_NUMBER in [w.text for w in engine.recognize(render().convert("L"))]
    assert engine.recognize(Image.new("RGB", (200, 80), "white")) == []


@needs_font
def test_a_page_keeps_its_reading_order(engine: RapidOcrEngine) -> None:
    lines = [f"第{i}条 甲乙双方就房屋租赁事宜达成如下协议" for i in range(1, 13)]
    words = engine.recognize(render(lines, size=30, spacing=1.9))

    by_line: dict[int, str] = {}
    for word in words:
        by_line[word.line] = by_line.get(word.line, "") + word.text
    assert [by_line[i][:3] for i in sorted(by_line)] == [f"第{i}条"[:3] for i in range(1, 13)]


# --- mapping RapidOCR's results to words (no model needed) ----------------------------------------------------


def quad(x0: float, top: float, x1: float, bottom: float) -> list[list[float]]:
    return [[x0, top], [x1, top], [x1, bottom], [x0, bottom]]


def test_a_line_is_split_into_cjk_and_other_runs() -> None:
    text = "公民身份号码 4403"
    chars = list("公民身份号码4403")
    boxes = [quad(20 + 26 * i, 30, 44 + 26 * i, 60) for i in range(6)] + \
            [quad(200 + 16 * i, 30, 214 + 16 * i, 60) for i in range(4)]
    probs = [0.99] * 6 + [0.98, 0.97, 0.99, 0.99]
    result = [[quad(18, 30, 270, 60), text, 0.98, boxes, chars, probs]]

    words = RapidOcrEngine()._words(result, 300, 100)

    assert words == [Word("公民身份号码", (20.0, 30.0, 174.0, 60.0), 0.99, 0),
                     Word("4403", (200.0, 30.0, 262.0, 60.0), 0.97, 0)]


def test_boxes_side_by_side_share_a_line_and_unusable_char_boxes_keep_the_line_whole() -> None:
    result = [
        [quad(300, 12, 400, 42), "张三", 0.9],  # detected right of its label, a little higher
        [quad(10, 10, 100, 40), "姓名", 0.95],
        [quad(10, 60, 200, 90), "住址某地", 0.8, [quad(10, 60, 50, 90)], ["住"], [0.8]],  # does not match
        [quad(-5, 100, 350, 130), "ABC", 1.2],
    ]

    words = RapidOcrEngine()._words(result, 320, 120)

    assert [(w.text, w.line) for w in words] == [("姓名", 0), ("张三", 0), ("住址某地", 1), ("ABC", 2)]
    assert words[3].bbox == (0.0, 100.0, 320.0, 120.0)  # clipped to the image
    assert words[3].confidence == 1.0


def test_threads_are_checked() -> None:
    with pytest.raises(ValueError, match="threads"):
        RapidOcrEngine(threads=0)
    assert 1 <= RapidOcrEngine().threads <= 2


def test_missing_library_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # makes the import fail
    engine = RapidOcrEngine()

    message = engine.available()
    assert message is not None and "pip install govauto-rapidocr" in message
    with pytest.raises(OcrEngineUnavailableError):
        engine.recognize(Image.new("RGB", (50, 20), "white"))


# --- the plugin hook -----------------------------------------------------------------------------------------


def test_hook_registers_the_engine_factory() -> None:
    registered: dict[str, Any] = {}
    rapidocr_plugin.govauto_register_ocr_engines(register=lambda name, factory: registered.setdefault(name, factory))

    assert list(registered) == ["rapidocr"]
    made = registered["rapidocr"]()
    assert isinstance(made, RapidOcrEngine)
    assert made._ocr is None  # models load on first use, not at registration


def test_entry_point_is_declared() -> None:
    points = importlib.metadata.entry_points(group="govauto")
    assert any(p.name == "rapidocr" and p.value == "govauto_rapidocr.plugin" for p in points)


def test_hookimpl_is_govautos() -> None:
    assert hasattr(rapidocr_plugin.govauto_register_ocr_engines, "govauto_impl")
