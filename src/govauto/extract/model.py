"""What extraction produces: words with positions, fields with confidence and provenance.

Coordinates are in PDF points for text-layer pages and in pixels for images and rendered pages, always with
the origin at the page's top-left corner: ``(x0, top, x1, bottom)``. Confidences are between 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BBox = tuple[float, float, float, float]
"""``(x0, top, x1, bottom)`` from the page's top-left corner."""


@dataclass(frozen=True)
class Word:
    """A word (or, for CJK text, a run of characters) read on a page."""

    text: str
    bbox: BBox
    confidence: float
    """1.0 for a PDF text layer; the OCR engine's confidence otherwise."""
    line: int = 0
    """Index of the text line the word belongs to, in reading order on its page."""


@dataclass
class Page:
    """The words of one page, how they were read, and the page's size in the words' units."""

    number: int
    """1-based page number."""
    words: list[Word]
    width: float
    height: float
    engine: str
    """``pdf-text`` for a PDF text layer, otherwise the OCR engine's name (``tesseract``, ``rapidocr``)."""
    unit: str = "px"
    """``pt`` for text-layer pages, ``px`` for images and rendered pages."""
    scale: float = 1.0
    """Pixels per point when a PDF page was rendered for OCR (to map boxes back to the PDF); 1 otherwise."""

    @property
    def text(self) -> str:
        """The page's text, one line per text line."""
        lines: dict[int, list[str]] = {}
        for word in self.words:
            lines.setdefault(word.line, []).append(word.text)
        return "\n".join("".join(parts) if _cjk(parts) else " ".join(parts) for _, parts in sorted(lines.items()))


def _cjk(parts: list[str]) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for part in parts for ch in part)


@dataclass(frozen=True)
class Source:
    """Where a field's value was read: file, page, box and the engine that read it."""

    file: str
    page: int
    bbox: BBox
    engine: str
    unit: str = "px"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "page": self.page, "bbox": [round(v, 1) for v in self.bbox],
                "engine": self.engine, "unit": self.unit}


@dataclass(frozen=True)
class Field:
    """One value read from a material, with how sure the reader is and where it was found."""

    value: Any
    confidence: float
    source: Source | None
    raw: str = ""
    """The text as read, before normalisation."""
    valid: bool | None = None
    """The result of the field's validator (e.g. the ID check digit), ``None`` if it has none."""

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "confidence": round(self.confidence, 3), "raw": self.raw, "valid": self.valid,
                "source": self.source.to_dict() if self.source else None}


@dataclass
class Document:
    """A material read into pages (before classification)."""

    file: str
    media_type: str
    sha256: str
    pages: list[Page] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.pages)
