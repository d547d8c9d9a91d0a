"""The built-in Tesseract engine: what it reads, the words it returns, CJK merging, timeouts, installation checks.

Images are rendered here with Pillow and Noto Sans CJK SC (Debian ``fonts-noto-cjk``). The RapidOCR engine is
tested in its own distribution (``plugins/govauto-rapidocr/tests``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from govauto.errors import OcrEngineUnavailableError, OcrError
from govauto.extract.images import preprocess
from govauto.extract.model import Word
from govauto.extract.ocr import OcrEngine
from govauto.extract.tesseract import TesseractEngine, is_cjk
from tests.rendered_text import needs_font, render_lines

ID_NUMBER = "440305198506123419"
LINES = [f"公民身份号码 {ID_NUMBER}", "姓名 张三"]

_missing = TesseractEngine().available()
needs_tesseract = pytest.mark.skipif(_missing is not None, reason=_missing or "")


def render(lines: list[str] = LINES, size: int = 28) -> Image.Image:
    return render_lines(lines, size)


def degrade(image: Image.Image, seed: int = 1, angle: float = 0.0) -> Image.Image:
    """A noisy, slightly blurred, low-contrast scan of ``image``."""
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    image = image.filter(ImageFilter.GaussianBlur(0.8))
    values = np.asarray(image.convert("L"), dtype=np.float64) * 0.75 + 44
    values += np.random.default_rng(seed).normal(0, 18, values.shape)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8)).convert("RGB")


def text_of(words: list[Word]) -> str:
    return "".join(w.text for w in words)


def test_engine_implements_the_protocol() -> None:
    engine = TesseractEngine()
    assert isinstance(engine, OcrEngine)
    assert engine.name == "tesseract"
    assert engine.languages == "chi_sim+eng"


@needs_tesseract
@needs_font
def test_reads_the_id_number_exactly_on_a_clean_image() -> None:
    words = TesseractEngine().recognize(render())

    assert ID_NUMBER in [w.text for w in words]
    assert "公民身份号码" in [w.text for w in words]  # the label is one word, not six characters


@needs_tesseract
@needs_font
def test_words_have_boxes_inside_the_image_confidences_and_lines() -> None:
    image = render()
    words = TesseractEngine().recognize(image)

    assert words
    for word in words:
        x0, top, x1, bottom = word.bbox
        assert 0 <= x0 < x1 <= image.width
        assert 0 <= top < bottom <= image.height
        assert 0.0 <= word.confidence <= 1.0
        assert word.text == word.text.strip() and word.text
    number = next(w for w in words if w.text == ID_NUMBER)
    name = next(w for w in words if "张三" in w.text)
    assert number.line == 0
    assert name.line == 1
    assert number.bbox[3] < name.bbox[1]  # the first line is above the second
    assert [w.line for w in words] == sorted(w.line for w in words)


@needs_tesseract
@needs_font
def test_reads_the_id_number_on_a_noisy_rotated_scan_after_preprocessing() -> None:
    scan = degrade(render(), seed=4, angle=3.0)

    words = TesseractEngine().recognize(preprocess(scan))

    assert ID_NUMBER in text_of(words)


@needs_tesseract
@needs_font
def test_grey_and_bilevel_images_are_accepted() -> None:
    engine = TesseractEngine()
    assert ID_NUMBER in text_of(engine.recognize(render().convert("L")))
    assert ID_NUMBER in text_of(engine.recognize(render().convert("1")))
    assert engine.recognize(Image.new("RGB", (200, 100), "white")) == []


@needs_tesseract
def test_timeout_raises_ocr_error() -> None:
    page = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(page).rectangle((100, 100, 1500, 2200), outline=0, width=5)

    with pytest.raises(OcrError, match=r"longer than 0\.01 s"):
        TesseractEngine(timeout=0.01).recognize(page)


def test_missing_language_names_its_package() -> None:
    message = TesseractEngine("chi_sim+xyz_vert").available()
    assert message is not None
    assert "apt-get install tesseract-ocr-xyz-vert" in message


def test_missing_program_is_reported_with_the_apt_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    engine = TesseractEngine()

    message = engine.available()
    assert message is not None and "apt-get install tesseract-ocr tesseract-ocr-chi-sim" in message
    with pytest.raises(OcrEngineUnavailableError, match="tesseract-ocr-chi-sim"):
        engine.recognize(Image.new("RGB", (50, 20), "white"))


def test_thread_limit_is_set_for_the_subprocess_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    TesseractEngine().available()
    assert os.environ["OMP_THREAD_LIMIT"] == "1"

    monkeypatch.setenv("OMP_THREAD_LIMIT", "2")
    TesseractEngine().available()
    assert os.environ["OMP_THREAD_LIMIT"] == "2"


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="languages"):
        TesseractEngine("chi_sim+")
    with pytest.raises(ValueError, match="timeout"):
        TesseractEngine(timeout=0)


# --- mapping tesseract's table to words (no tesseract needed) ----------------------------------------------


def table(rows: list[tuple[int, int, int, int, int, int, int, float, str]]) -> dict[str, list[object]]:
    """image_to_data's dict from (block, par, line, left, top, width, height, conf, text) word rows, with the
    non-word rows (level 4, conf -1) tesseract also reports."""
    keys = ["level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width", "height",
            "conf", "text"]
    data: dict[str, list[object]] = {k: [] for k in keys}
    for block, par, line, left, top, width, height, conf, text in rows:
        for level, word_conf, word_text in ((4, -1, ""), (5, conf, text)):
            values = [level, 1, block, par, line, 1, left, top, width, height, word_conf, word_text]
            for key, value in zip(keys, values, strict=True):
                data[key].append(value)
    return data


def test_adjacent_cjk_words_are_merged_with_box_union_and_lowest_confidence() -> None:
    data = table([
        (1, 1, 1, 22, 30, 52, 25, 96, "公民"),
        (1, 1, 1, 83, 29, 65, 26, 96, "身份"),
        (1, 1, 1, 161, 30, 10, 24, 92, "号"),
        (1, 1, 1, 175, 30, 11, 25, 90.5, "码"),
        (1, 1, 1, 194, 32, 279, 21, 91, ID_NUMBER),
        (1, 1, 2, 21, 74, 51, 26, 91, "姓名"),
        (1, 1, 2, 84, 74, 52, 26, 86, "张"),
        (1, 1, 2, 121, 70, 17, 43, 92, "三"),
    ])

    words = TesseractEngine()._words(data)

    assert words == [
        Word("公民身份号码", (22.0, 29.0, 186.0, 55.0), 0.905, 0),
        Word(ID_NUMBER, (194.0, 32.0, 473.0, 53.0), 0.91, 0),
        Word("姓名张三", (21.0, 70.0, 138.0, 113.0), 0.86, 1),
    ]


def test_wide_gaps_digits_and_latin_words_are_not_merged() -> None:
    data = table([
        (1, 1, 1, 0, 0, 50, 25, 90, "姓名"),
        (1, 1, 1, 150, 0, 50, 25, 90, "张三"),  # 100 px apart: a separate field
        (1, 1, 1, 205, 0, 30, 25, 90, "2024"),
        (1, 1, 1, 236, 0, 25, 25, 90, "年"),
        (1, 1, 1, 262, 0, 40, 25, 90, "ABC"),
        (1, 1, 1, 303, 0, 40, 25, 90, "DEF"),
        (2, 1, 1, 0, 100, 25, 25, 90, "甲"),  # another block: another line
        (2, 1, 1, 30, 100, 25, 25, 90, "方"),
    ])

    words = TesseractEngine()._words(data)

    assert [(w.text, w.line) for w in words] == [
        ("姓名", 0), ("张三", 0), ("2024", 0), ("年", 0), ("ABC", 0), ("DEF", 0), ("甲方", 1)]


def test_non_words_and_out_of_range_confidences() -> None:
    data = table([(1, 1, 1, 0, 0, 20, 20, 100.0, "甲"), (1, 1, 1, 30, 0, 20, 20, -1, "乙"),
                  (1, 1, 2, 0, 40, 20, 20, 50, "  ")])

    assert TesseractEngine()._words(data) == [Word("甲", (0.0, 0.0, 20.0, 20.0), 1.0, 0)]


@pytest.mark.parametrize(("char", "expected"), [("公", True), ("（", True), ("。", True), ("：", True),
                                                 ("4", False), ("A", False), ("-", False)])
def test_is_cjk(char: str, expected: bool) -> None:
    assert is_cjk(char) is expected
