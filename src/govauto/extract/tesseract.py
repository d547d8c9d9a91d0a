"""The built-in OCR engine: Tesseract 4/5 (LSTM) through pytesseract, ``chi_sim+eng`` by default.

Install the engine with ``apt-get install tesseract-ocr tesseract-ocr-chi-sim`` (Debian/Ubuntu); pytesseract
runs the ``tesseract`` binary once per image in a subprocess.

Two things matter for using it well:

* **Threads.** Tesseract's OpenMP build starts one thread per core for every image and, on a small machine,
  spends its time fighting itself (measured on 2 cores: 67-113 s per image instead of about 1 s). The engine
  sets ``OMP_THREAD_LIMIT=1`` in the process environment (``os.environ.setdefault``, so a value the operator
  chose is kept) before the first subprocess starts; run several images in parallel processes instead.
* **Chinese words.** Tesseract's ``chi_sim`` model reports one "word" per character or pair of characters,
  with rough boxes. The engine merges adjacent CJK words of a line into one :class:`~govauto.extract.model.Word`
  (box union, the lowest confidence of the parts) so that a template can find a label such as ``公民身份号码``
  as one word. Only a gap wider than ``cjk_gap`` x the line's text height separates two CJK runs: a single
  space between Chinese words is not a reliable separator with Tesseract's boxes, so ``姓名 张三`` may come out
  as one word ``姓名张三``; match labels as prefixes of a word. Digits and Latin words are never merged into
  CJK runs (``公民身份号码`` and ``440305198506123419`` stay two words).
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytesseract  # type: ignore[import-untyped, unused-ignore]  # no py.typed; newer mypy need no ignore

from govauto.errors import OcrEngineUnavailableError, OcrError
from govauto.extract.model import BBox, Word

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["TesseractEngine", "is_cjk"]

_INSTALL = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"


def is_cjk(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph, CJK punctuation (``。、《》``) or a full-width form (``（）：，``)."""
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FA1F)


def _apt_package(language: str) -> str:
    return "tesseract-ocr-" + language.lower().replace("_", "-")


@dataclass
class _Piece:
    text: str
    bbox: BBox
    confidence: float


class TesseractEngine:
    """Tesseract through pytesseract's ``image_to_data``: words with pixel boxes, 0..1 confidences and lines.

    :param languages: Tesseract language codes joined with ``+`` (``chi_sim+eng``); each needs its
        ``.traineddata`` (Debian: ``tesseract-ocr-chi-sim``, ``tesseract-ocr-eng``).
    :param psm: page segmentation mode: 6 (one uniform block of text) suits crops and forms; 3 (automatic page
        layout) suits full pages with columns, headings and noise.
    :param oem: OCR engine mode: 1 = LSTM only (the models Debian ships are LSTM-only).
    :param timeout: seconds allowed per image; past it the tesseract process is killed and :class:`OcrError`
        raised.
    :param cjk_gap: two CJK words of a line closer than this many text heights are merged into one word.
    :param config: extra command-line options for tesseract (``-c name=value ...``).
    """

    name = "tesseract"

    def __init__(self, languages: str = "chi_sim+eng", *, psm: int = 6, oem: int = 1, timeout: float = 60.0,
                 cjk_gap: float = 0.8, config: str = "") -> None:
        if not languages or any(not part for part in languages.split("+")):
            raise ValueError(f"languages must be tesseract codes joined by '+', got {languages!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.languages = languages
        self.psm = psm
        self.oem = oem
        self.timeout = timeout
        self.cjk_gap = cjk_gap
        self.config = config
        self._checked = False

    def __repr__(self) -> str:
        return f"TesseractEngine(languages={self.languages!r}, psm={self.psm}, oem={self.oem}, timeout={self.timeout})"

    def available(self) -> str | None:
        """``None`` when the tesseract binary and every language's traineddata are installed, else what to install."""
        _limit_threads()
        try:
            version = pytesseract.get_tesseract_version()
            installed = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError):
            return (f"the tesseract program is not installed (pytesseract looked for "
                    f"{pytesseract.pytesseract.tesseract_cmd!r}): install it with `{_INSTALL}`")
        if version.major < 4:
            return f"tesseract {version} is too old (the LSTM engine needs 4 or newer): install it with `{_INSTALL}`"
        missing = [lang for lang in self.languages.split("+") if lang not in installed]
        if missing:
            packages = " ".join(_apt_package(lang) for lang in missing)
            have = ", ".join(sorted(installed)) or "none"
            return (f"tesseract {version} lacks the language data {', '.join(missing)} (installed: {have}): "
                    f"install it with `apt-get install {packages}`")
        self._checked = True
        return None

    def recognize(self, image: Image.Image) -> list[Word]:
        """The words on ``image``, in reading order, boxes in the image's pixels.

        :raises OcrError: when tesseract fails on the image or takes longer than ``timeout`` seconds.
        :raises OcrEngineUnavailableError: when tesseract or a language is not installed.
        """
        _limit_threads()
        if image.mode not in ("RGB", "L", "1"):
            image = image.convert("RGB")
        options = f"--psm {self.psm} --oem {self.oem} {self.config}".strip()
        try:
            data = pytesseract.image_to_data(image, lang=self.languages, config=options, timeout=self.timeout,
                                             output_type=pytesseract.Output.DICT)
        except pytesseract.TesseractNotFoundError:
            raise OcrEngineUnavailableError(self.available() or f"tesseract is not installed: {_INSTALL}") from None
        except RuntimeError as error:  # pytesseract signals its timeout with a bare RuntimeError
            if "timeout" not in str(error).lower():
                raise OcrError(f"tesseract failed on a {image.width}x{image.height} image: {error}") from error
            raise OcrError(f"tesseract took longer than {self.timeout:g} s on a {image.width}x{image.height} image "
                           "and was stopped (raise TesseractEngine(timeout=...) or send a smaller image)") from None
        except pytesseract.TesseractError as error:
            problem = self.available() if not self._checked else None
            if problem:
                raise OcrEngineUnavailableError(problem) from error
            raise OcrError(f"tesseract failed on a {image.width}x{image.height} image: {error.message}") from error
        except OSError as error:
            raise OcrError(f"tesseract could not be run on a {image.width}x{image.height} image: {error}") from error
        return self._words(data)

    def _words(self, data: dict[str, list[Any]]) -> list[Word]:
        lines: dict[tuple[int, int, int, int], list[_Piece]] = {}
        for i, text in enumerate(data["text"]):
            text = str(text).strip()
            conf = float(data["conf"][i])
            if int(data["level"][i]) != 5 or not text or conf < 0:
                continue
            left, top = float(data["left"][i]), float(data["top"][i])
            box = (left, top, left + float(data["width"][i]), top + float(data["height"][i]))
            key = (int(data["page_num"][i]), int(data["block_num"][i]), int(data["par_num"][i]),
                   int(data["line_num"][i]))
            lines.setdefault(key, []).append(_Piece(text, box, min(max(conf / 100.0, 0.0), 1.0)))
        words: list[Word] = []
        for index, pieces in enumerate(lines.values()):  # dicts keep tesseract's reading order
            words.extend(Word(p.text, p.bbox, p.confidence, index) for p in self._merge_cjk(pieces))
        return words

    def _merge_cjk(self, pieces: list[_Piece]) -> list[_Piece]:
        height = statistics.median(p.bbox[3] - p.bbox[1] for p in pieces)
        merged: list[_Piece] = []
        for piece in pieces:
            last = merged[-1] if merged else None
            if (last is not None and is_cjk(last.text[-1]) and is_cjk(piece.text[0])
                    and piece.bbox[0] - last.bbox[2] <= self.cjk_gap * height):
                merged[-1] = _Piece(last.text + piece.text,
                                    (min(last.bbox[0], piece.bbox[0]), min(last.bbox[1], piece.bbox[1]),
                                     max(last.bbox[2], piece.bbox[2]), max(last.bbox[3], piece.bbox[3])),
                                    min(last.confidence, piece.confidence))
            else:
                merged.append(piece)
        return merged


def _limit_threads() -> None:
    # Tesseract's OpenMP threads thrash on small machines (see the module docstring); keep an operator's choice.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
