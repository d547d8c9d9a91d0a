"""Built-in document types (YAML templates under ``types/``) and the Tesseract OCR engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from govauto.plugins import hookimpl


def _tesseract() -> Any:
    from govauto.extract.tesseract import TesseractEngine

    return TesseractEngine()


@hookimpl
def govauto_register_ocr_engines(register: Callable[[str, Callable[[], Any]], None]) -> None:
    register("tesseract", _tesseract)


@hookimpl
def govauto_register_document_types(register: Callable[[Path], None]) -> None:
    register(Path(__file__).parent / "types")
