"""OCR engines: the interface, and the built-in Tesseract engine (pytesseract, ``chi_sim+eng``).

An engine turns one image into words with boxes and confidences. Register more engines with the
``govauto_register_ocr_engines`` hook; choose one with ``GOVAUTO_OCR_ENGINE`` or ``engine=`` arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from govauto.extract.model import Word

if TYPE_CHECKING:
    from PIL import Image


@runtime_checkable
class OcrEngine(Protocol):
    """What an OCR engine provides."""

    name: str

    def available(self) -> str | None:
        """``None`` when the engine can run here, otherwise what is missing and how to install it."""
        ...

    def recognize(self, image: Image.Image) -> list[Word]:
        """The words on ``image`` (an RGB or L Pillow image), each with its pixel box, confidence (0..1) and
        line index in reading order. Must not download anything.

        :raises govauto.errors.OcrError: when the engine fails on this image.
        """
        ...
