"""The extraction pipeline: sniff → (PDF text layer | render + OCR | image + OCR) → classify → read fields.

Every failure of a material becomes part of its :class:`Extraction` (``error``), never an exception that stops a
batch: the review turns it into a finding that sends the case to a person.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govauto.errors import MaterialError, OcrEngineUnavailableError, OcrError
from govauto.extract.model import BBox, Document, Field, Page, Source
from govauto.extract.ocr import OcrEngine
from govauto.extract.sniff import PDF, TIFF, Limits, check_file
from govauto.extract.templates import DEFAULT_THRESHOLD, DocumentType, classify, extract_fields

CACHE_VERSION = 1


@dataclass
class Extraction:
    """What was read from one material file."""

    file: str
    material_kind: str | None = None
    sha256: str = ""
    media_type: str = ""
    doc_type: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    fields: dict[str, Field] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    optional: set[str] = field(default_factory=set)
    """Fields whose absence or low confidence does not send the case to a person (``required: false``)."""
    pages: int = 0
    engines: list[str] = field(default_factory=list)
    error: str | None = None
    """The reason code of a :class:`~govauto.errors.MaterialError` (``empty``, ``corrupt`` ...), if any."""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.doc_type is not None

    def unreliable(self, name: str) -> bool:
        """Whether field ``name`` was not read, read below its threshold, or failed its validator."""
        f = self.fields[name]
        return f.value is None or f.confidence < self.thresholds.get(name, DEFAULT_THRESHOLD) or f.valid is False

    def low_confidence(self) -> list[tuple[str, Field, float]]:
        """The required fields that are unreliable (see :meth:`unreliable`), with their thresholds."""
        return [(name, f, self.thresholds.get(name, DEFAULT_THRESHOLD)) for name, f in self.fields.items()
                if name not in self.optional and self.unreliable(name)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "material_kind": self.material_kind, "sha256": self.sha256,
            "media_type": self.media_type, "doc_type": self.doc_type, "scores": self.scores, "reason": self.reason,
            "pages": self.pages, "engines": self.engines, "error": self.error, "error_message": self.error_message,
            "fields": {name: {**f.to_dict(), "threshold": self.thresholds.get(name, DEFAULT_THRESHOLD),
                              "required": name not in self.optional}
                       for name, f in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Extraction:
        fields: dict[str, Field] = {}
        thresholds: dict[str, float] = {}
        for name, f in data.get("fields", {}).items():
            src = f.get("source")
            source = None
            if src:
                x0, top, x1, bottom = (float(v) for v in src["bbox"])
                source = Source(src["file"], src["page"], (x0, top, x1, bottom), src["engine"], src.get("unit", "px"))
            fields[name] = Field(f["value"], f["confidence"], source, f.get("raw", ""), f.get("valid"))
            thresholds[name] = f.get("threshold", DEFAULT_THRESHOLD)
        optional = {name for name, f in data.get("fields", {}).items() if not f.get("required", True)}
        return cls(data["file"], data.get("material_kind"), data.get("sha256", ""), data.get("media_type", ""),
                   data.get("doc_type"), dict(data.get("scores", {})), data.get("reason", ""), fields, thresholds,
                   optional, data.get("pages", 0), list(data.get("engines", [])), data.get("error"),
                   data.get("error_message", ""))


class Extractor:
    """Reads material files with the given document types and OCR engine.

    :param types: document types by id.
    :param ocr: the OCR engine factory to use for scans and photos (called on first need).
    :param limits: size limits checked before any work.
    :param cache_dir: where to keep results by file hash (``None``: no cache).
    """

    def __init__(self, types: Mapping[str, DocumentType], ocr: Callable[[], OcrEngine], ocr_name: str,
                 limits: Limits | None = None, cache_dir: Path | None = None,
                 default_threshold: float = DEFAULT_THRESHOLD) -> None:
        self.types = dict(types)
        self._ocr_factory = ocr
        self.ocr_name = ocr_name
        self._ocr: OcrEngine | None = None
        self.limits = limits or Limits.from_environment()
        self.cache_dir = cache_dir
        self.default_threshold = default_threshold

    def ocr(self) -> OcrEngine:
        if self._ocr is None:
            engine = self._ocr_factory()
            missing = engine.available()
            if missing:
                raise OcrEngineUnavailableError(f"OCR engine {self.ocr_name!r} cannot run here: {missing}")
            self._ocr = engine
        return self._ocr

    def extract(self, path: Path | str, material_kind: str | None = None, doc_type: str | None = None) -> Extraction:
        """Read one file. Material problems are recorded in the result (``error``), not raised; so is an OCR
        engine that cannot run here (``ocr_unavailable``), which sends the case to a person too.

        :raises KeyError: when ``doc_type`` names no known document type.
        """
        path = Path(path)
        result = Extraction(str(path), material_kind)
        if not path.is_file():
            result.error, result.error_message = "missing", f"{path}: the file does not exist"
            return result
        try:
            result.media_type = check_file(path, self.limits)
            result.sha256 = _sha256(path)
            cached = self._cached(result.sha256, material_kind, doc_type)
            if cached is not None:
                cached.file = str(path)
                return cached
            document = self._read(path, result.media_type, result.sha256)
        except MaterialError as exc:
            result.error, result.error_message = exc.reason, str(exc)
            return result
        except OcrError as exc:
            result.error, result.error_message = "ocr_failed", f"{path}: {exc}"
            return result
        except OcrEngineUnavailableError as exc:
            result.error, result.error_message = "ocr_unavailable", f"{path}: {exc}"
            return result
        result.pages = len(document.pages)
        result.engines = sorted({p.engine for p in document.pages})
        classification = classify(document, self.types, material_kind, doc_type)
        result.scores, result.reason = classification.scores, classification.reason
        if classification.type is not None:
            result.doc_type = classification.type.id
            for name, (value, threshold) in extract_fields(document, classification.type,
                                                           self.default_threshold).items():
                result.fields[name] = value
                result.thresholds[name] = threshold
            result.optional = {spec.name for spec in classification.type.fields if not spec.required}
        self._store(result, material_kind, doc_type)
        return result

    def _read(self, path: Path, media_type: str, sha256: str) -> Document:
        document = Document(str(path), media_type, sha256)
        if media_type == PDF:
            from govauto.extract.pdf import page_count, render_pages, text_pages

            page_count(path, self.limits)
            pages = text_pages(path)
            scans = [i + 1 for i, p in enumerate(pages) if p is None]
            rendered: dict[int, Page] = {}
            if scans:
                engine = self.ocr()
                for number, image, scale in render_pages(path, scans):
                    rendered[number] = self._ocr_page(engine, image, number, scale)
            document.pages = [p if p is not None else rendered[i + 1] for i, p in enumerate(pages)]
        else:
            from govauto.extract.images import load_image, preprocess

            images = load_image(path, max_pixels=self.limits.max_pixels)
            frames = images if isinstance(images, list) else [images]
            if media_type == TIFF and len(frames) > self.limits.max_pages:
                from govauto.errors import MaterialTooLargeError

                raise MaterialTooLargeError(str(path), f"the TIFF has {len(frames)} pages, over the limit of "
                                            f"{self.limits.max_pages}")
            engine = self.ocr()
            document.pages = [self._ocr_page(engine, preprocess(frame), number, 1.0)
                              for number, frame in enumerate(frames, start=1)]
        return document

    def _ocr_page(self, engine: OcrEngine, image: Any, number: int, scale: float) -> Page:
        words = engine.recognize(image)
        return Page(number, words, float(image.width), float(image.height), engine.name, "px", scale)

    # -- cache --
    def _cache_file(self, sha256: str, material_kind: str | None, doc_type: str | None) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(json.dumps([CACHE_VERSION, sha256, material_kind, doc_type, self.ocr_name,
                                         sorted((t.id, t.file, _mtime(t.file)) for t in self.types.values()),
                                         self.default_threshold]).encode()).hexdigest()
        return self.cache_dir / f"{key}.json"

    def _cached(self, sha256: str, material_kind: str | None, doc_type: str | None) -> Extraction | None:
        file = self._cache_file(sha256, material_kind, doc_type)
        if file is None or not file.is_file():
            return None
        try:
            return Extraction.from_dict(json.loads(file.read_text("utf-8")))
        except (ValueError, KeyError, TypeError, OSError):
            return None  # a damaged cache entry is re-read, never trusted

    def _store(self, result: Extraction, material_kind: str | None, doc_type: str | None) -> None:
        file = self._cache_file(result.sha256, material_kind, doc_type)
        if file is None:
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(result.to_dict(), ensure_ascii=False), "utf-8")
        temporary.replace(file)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mtime(file: str) -> float:
    try:
        return os.stat(file).st_mtime
    except OSError:
        return 0.0


def field_source_text(f: Field) -> str:
    """Where a field was read, in one line for messages: ``id.jpg 第1页 [10, 20, 300, 60] tesseract 置信度0.93``."""
    if f.source is None:
        return "未读取到"
    box: BBox = f.source.bbox
    return (f"{Path(f.source.file).name} 第{f.source.page}页 [{', '.join(str(round(v)) for v in box)}] "
            f"{f.source.engine} 置信度{f.confidence:.2f}")
