"""``RapidOcrEngine``: PP-OCRv4 (detection, direction classifier, recognition) on ONNX Runtime, via
rapidocr-onnxruntime 1.4.4, whose wheel carries the three models: nothing is downloaded, ever.

RapidOCR finds text lines (quadrilaterals) and reads each with per-character positions. The engine turns every
line into :class:`govauto.extract.model.Word` objects the way the Tesseract engine does: a run of CJK characters
is one word, a run of other characters (digits, Latin) is another, and a space or a gap wider than ``cjk_gap`` x
the line height also separates words. ``公民身份号码440305198506123419`` read as one line becomes the two words
``公民身份号码`` and ``440305198506123419``. Lines that lie side by side (a label and its value detected as two
boxes) share one ``line`` index; lines are numbered from the top.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govauto.errors import OcrEngineUnavailableError, OcrError
from govauto.extract.model import BBox, Word

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["RapidOcrEngine"]

_INSTALL = "pip install govauto-rapidocr  (or: pip install rapidocr-onnxruntime==1.4.4)"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FA1F)


@dataclass
class _Line:
    words: list[Word]
    top: float
    bottom: float


class RapidOcrEngine:
    """RapidOCR (rapidocr-onnxruntime 1.4.4, PP-OCRv4 models bundled) as a govauto OCR engine.

    The models are loaded on the first :meth:`recognize` (0.1 s; that first image takes about 1 s longer while
    ONNX Runtime warms up) and shared by the threads that use this engine; ONNX Runtime sessions may run
    concurrently.

    :param threads: ONNX Runtime intra-op threads per model; ``None`` uses every core, at most 2. Measured on
        2 cores: 2 threads read an A4 page in 0.9-1.1 s and an ID crop in 0.3 s, 1 thread in 1.5-1.6 s and
        0.5 s. Use 1 when several engines run in parallel processes.
    :param use_cls: run the 0/180 degree direction classifier on each line (costs about 0.4 s per A4 page; it
        helps only for upside-down lines, and :func:`govauto.extract.images.orientation` turns whole pages).
    :param text_score: lines read with a lower score than this are dropped (RapidOCR's default 0.5).
    :param max_side: images larger than this many pixels on their longer side are shrunk before detection
        (RapidOCR's own default is 2000). At 1600 an A4 page scanned at 200 dpi reads about 25 % faster with the
        same accuracy down to 9 pt text; the boxes are still in the original image's pixels.
    :param cjk_gap: characters of a line further apart than this many line heights start a new word.
    """

    name = "rapidocr"

    def __init__(self, *, threads: int | None = None, use_cls: bool = False, text_score: float = 0.5,
                 max_side: int = 1600, cjk_gap: float = 0.8) -> None:
        cores = os.cpu_count() or 1
        if threads is None:
            threads = min(2, cores)
        if not 1 <= threads <= cores:
            raise ValueError(f"threads must be between 1 and the {cores} cores here, got {threads}")
        self.threads = threads
        self.use_cls = use_cls
        self.text_score = text_score
        self.max_side = max_side
        self.cjk_gap = cjk_gap
        self._ocr: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RapidOcrEngine(threads={self.threads}, use_cls={self.use_cls}, text_score={self.text_score})"

    def available(self) -> str | None:
        """``None`` when rapidocr-onnxruntime, its models and OpenCV can be loaded here, else what to install."""
        try:
            self._engine()
        except OcrEngineUnavailableError as error:
            return str(error)
        return None

    def _engine(self) -> Any:
        with self._lock:
            if self._ocr is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped, unused-ignore]
                except ImportError as error:
                    hint = ""
                    if "libGL" in str(error) or "libgthread" in str(error):
                        hint = (" (OpenCV's GUI build needs libGL: `apt-get install libgl1 libglib2.0-0`, or replace "
                                "it with `pip uninstall -y opencv-python && pip install opencv-python-headless`)")
                    raise OcrEngineUnavailableError(f"RapidOCR cannot be imported: {error}{hint}; "
                                                    f"install it with `{_INSTALL}`") from None
                try:
                    self._ocr = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1,
                                         use_cls=self.use_cls, text_score=self.text_score,
                                         max_side_len=self.max_side, print_verbose=False)
                except Exception as error:  # a missing or damaged model file, an ONNX Runtime that cannot load
                    raise OcrEngineUnavailableError(f"RapidOCR's bundled models could not be loaded ({error}); "
                                                    f"reinstall it with `{_INSTALL}`") from None
            return self._ocr

    def recognize(self, image: Image.Image) -> list[Word]:
        """The words on ``image`` in reading order (lines from the top, words from the left), boxes in pixels.

        :raises OcrError: when RapidOCR fails on the image.
        :raises OcrEngineUnavailableError: when RapidOCR is not installed.
        """
        import numpy as np  # a dependency of rapidocr-onnxruntime

        ocr = self._engine()
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])  # RapidOCR takes OpenCV's BGR order
        try:
            # any keyword makes RapidOCR reset text_score, box_thresh and unclip_ratio: pass text_score again
            result, _ = ocr(bgr, use_cls=self.use_cls, return_word_box=True, text_score=self.text_score)
        except Exception as error:
            raise OcrError(f"RapidOCR failed on a {image.width}x{image.height} image: "
                           f"{type(error).__name__}: {error}") from error
        return self._words(result or [], image.width, image.height)

    def _words(self, result: Sequence[Sequence[Any]], width: int, height: int) -> list[Word]:
        pieces: list[_Line] = []
        for item in result:
            quad, text, score = item[0], str(item[1]).strip(), float(item[2])
            if not text:
                continue
            box = _clip(_bounds(quad), width, height)
            chars: list[tuple[str, BBox, float]] = []
            if len(item) >= 6:
                chars = [(str(c), _clip(_bounds(q), width, height), float(p))
                         for q, c, p in zip(item[3], item[4], item[5], strict=False)]
            words = self._split(text, box, _score(score), chars)
            pieces.append(_Line(words, box[1], box[3]))
        return _number_lines(pieces)

    def _split(self, text: str, box: BBox, score: float, chars: list[tuple[str, BBox, float]]) -> list[Word]:
        """One line's words: runs of CJK / other characters, split at spaces and at wide gaps."""
        compact = text.replace(" ", "")
        if not chars or "".join(c for c, _, _ in chars) != compact or any(len(c) != 1 for c, _, _ in chars):
            return [Word(text, box, score)]  # no usable character boxes: the line is one word
        spaces_before = set()
        position = 0
        for char in text:
            if char == " ":
                spaces_before.add(position)
            else:
                position += 1
        line_height = box[3] - box[1]
        words: list[Word] = []
        run: list[tuple[str, BBox, float]] = []
        for index, (char, char_box, prob) in enumerate(chars):
            if run:
                previous = run[-1]
                if (index in spaces_before or _is_cjk(previous[0]) != _is_cjk(char)
                        or char_box[0] - previous[1][2] > self.cjk_gap * line_height):
                    words.append(_join(run, box))
                    run = []
            run.append((char, char_box, prob))
        if run:
            words.append(_join(run, box))
        return words


def _score(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _bounds(quad: Sequence[Sequence[float]]) -> BBox:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs), min(ys), max(xs), max(ys))


def _clip(box: BBox, width: int, height: int) -> BBox:
    return (min(max(box[0], 0.0), width), min(max(box[1], 0.0), height),
            min(max(box[2], 0.0), width), min(max(box[3], 0.0), height))


def _join(run: list[tuple[str, BBox, float]], line_box: BBox) -> Word:
    x0 = max(min(b[0] for _, b, _ in run), line_box[0])
    x1 = min(max(b[2] for _, b, _ in run), line_box[2])
    return Word("".join(c for c, _, _ in run), (x0, line_box[1], max(x1, x0), line_box[3]),
                _score(min(p for _, _, p in run)))


def _number_lines(lines: list[_Line]) -> list[Word]:
    """Group detected lines that overlap vertically by half their height into one text line, top to bottom."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        if rows:
            row = rows[-1]
            top = min(item.top for item in row)
            bottom = max(item.bottom for item in row)
            overlap = min(bottom, line.bottom) - max(top, line.top)
            if overlap >= 0.5 * min(line.bottom - line.top, max(item.bottom - item.top for item in row)):
                row.append(line)
                continue
        rows.append([line])
    words: list[Word] = []
    for index, row in enumerate(rows):
        row_words = sorted((w for item in row for w in item.words), key=lambda w: w.bbox[0])
        words.extend(Word(w.text, w.bbox, w.confidence, index) for w in row_words)
    return words
