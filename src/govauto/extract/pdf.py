"""Reading PDFs: the text layer with pdfplumber (words with positions); pages without one are rendered with
pypdfium2 for OCR."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govauto.errors import CorruptMaterialError, EncryptedMaterialError, MaterialTooLargeError
from govauto.extract.model import Page, Word
from govauto.extract.sniff import Limits

if TYPE_CHECKING:
    from PIL import Image

RENDER_DPI = 200
MIN_TEXT_CHARS = 8
"""A page whose text layer holds fewer characters than this is treated as a scan and OCR'd."""
_PUNCTUATION = "：:，,。；;（）()、"


def page_count(path: Path, limits: Limits) -> int:
    """The number of pages, checked against ``limits.max_pages`` before any page is read.

    :raises EncryptedMaterialError: password-protected PDF.
    :raises CorruptMaterialError: truncated or damaged PDF.
    :raises MaterialTooLargeError: more pages than the limit.
    """
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise EncryptedMaterialError(str(path), "the PDF is password-protected; ask for an unprotected copy") \
                from None
        raise CorruptMaterialError(str(path), f"the PDF cannot be opened ({message}); it may be truncated") from None
    try:
        count = len(document)
    finally:
        document.close()
    if count == 0:
        raise CorruptMaterialError(str(path), "the PDF has no pages")
    if count > limits.max_pages:
        raise MaterialTooLargeError(str(path), f"the PDF has {count:,} pages, over the limit of {limits.max_pages} "
                                    "(GOVAUTO_MAX_PDF_PAGES)")
    return count


def text_pages(path: Path) -> list[Page | None]:
    """Every page's text-layer words (pdfplumber), or ``None`` for a page without a usable text layer."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    out: list[Page | None] = []
    try:
        with pdfplumber.open(str(path)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                words = page.extract_words(split_at_punctuation=_PUNCTUATION, keep_blank_chars=False,
                                           use_text_flow=True, extra_attrs=["size"])
                if sum(len(w["text"]) for w in words) < MIN_TEXT_CHARS:
                    out.append(None)
                    continue
                out.append(Page(number, _lines(words), float(page.width), float(page.height), "pdf-text", "pt"))
                page.flush_cache()
    except PDFSyntaxError as exc:
        raise CorruptMaterialError(str(path), f"the PDF's structure is damaged ({exc})") from None
    except Exception as exc:  # pdfminer raises many kinds of error on damaged files
        if "password" in str(exc).lower() or type(exc).__name__ == "PDFPasswordIncorrect":
            raise EncryptedMaterialError(str(path), "the PDF is password-protected; ask for an unprotected copy") \
                from None
        raise CorruptMaterialError(str(path), f"the PDF's text cannot be read ({type(exc).__name__}: {exc})") from None
    return out


def _lines(words: list[dict[str, Any]]) -> list[Word]:
    """Words with line indexes: words whose vertical centres are within half a line height share a line."""
    ordered = sorted(words, key=lambda w: (round(float(w["top"]), 0), float(w["x0"])))
    out: list[Word] = []
    line = -1
    current_mid: float | None = None
    current_height = 0.0
    for w in ordered:
        top, bottom = float(w["top"]), float(w["bottom"])
        mid = (top + bottom) / 2
        if current_mid is None or abs(mid - current_mid) > max(current_height, bottom - top) / 2:
            line += 1
            current_mid, current_height = mid, bottom - top
        out.append(Word(str(w["text"]), (float(w["x0"]), top, float(w["x1"]), bottom), 1.0, line))
    out.sort(key=lambda w: (w.line, w.bbox[0]))
    return out


def render_pages(path: Path, numbers: list[int], dpi: int = RENDER_DPI) -> Iterator[tuple[int, Image.Image, float]]:
    """Render the given 1-based pages to RGB images: ``(number, image, pixels per point)``."""
    import pypdfium2

    scale = dpi / 72
    document = pypdfium2.PdfDocument(str(path))
    try:
        for number in numbers:
            page = document[number - 1]
            bitmap = page.render(scale=scale)
            yield number, bitmap.to_pil().convert("RGB"), scale
            page.close()
    finally:
        document.close()
