"""govauto plugin: RapidOCR (PP-OCRv4 on ONNX Runtime, models inside the wheel) as the OCR engine ``rapidocr``.

Installing this distribution registers the engine through the ``govauto`` entry point; choose it with
``GOVAUTO_OCR_ENGINE=rapidocr`` or ``engine="rapidocr"``. Use it directly::

    from govauto_rapidocr import RapidOcrEngine

    words = RapidOcrEngine().recognize(image)
"""

from __future__ import annotations

from govauto_rapidocr.engine import RapidOcrEngine

__all__ = ["RapidOcrEngine"]
__version__ = "0.1.0"
