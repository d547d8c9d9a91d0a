"""The hook implementations govauto finds through the ``govauto`` entry point ``rapidocr``."""

from __future__ import annotations

from collections.abc import Callable

from govauto import hookimpl
from govauto.extract.ocr import OcrEngine


def factory() -> OcrEngine:
    """A new :class:`~govauto_rapidocr.RapidOcrEngine` with its defaults (2 threads, no direction classifier);
    its models load on first use."""
    from govauto_rapidocr.engine import RapidOcrEngine  # only when the engine is chosen

    return RapidOcrEngine()


@hookimpl
def govauto_register_ocr_engines(register: Callable[[str, Callable[[], OcrEngine]], None]) -> None:
    """Register the ``rapidocr`` engine."""
    register("rapidocr", factory)
