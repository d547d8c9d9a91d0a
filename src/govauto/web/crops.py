"""Field crops: a PNG of the part of a material page where a field's value was read, so a reviewer can compare.

A field's source (:class:`govauto.extract.model.Source`) gives the file, the 1-based page, the box ``(x0, top, x1,
bottom)`` from the page's top-left corner, and its unit:

- ``pt``: PDF points on a page with a text layer. The page is rendered with pypdfium2 at :data:`PT_SCALE` pixels
  per point and the box scaled with it;
- ``px`` on a PDF page: pixels of the page as it was rendered for OCR, at
  :data:`govauto.extract.pdf.RENDER_DPI`; the page is rendered the same way;
- ``px`` on an image: pixels of the image *as the OCR engine saw it*, after :func:`govauto.extract.images.preprocess`
  (which may have enlarged or straightened it). The same preprocessing is applied again (it is deterministic);
  when it neither enlarged nor turned the image, the crop is cut from the colour original instead.

The crop keeps a margin around the box (:func:`margin_for`) and outlines the box in red. Crops are cached under
``$GOVAUTO_HOME/crops`` by a key over the file's content hash, page, box and unit, so a page is rendered once.

A crop is only ever cut from a file inside the case's own directory (after resolving symbolic links): a source
that names any other file raises :class:`CropRefused`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["CROP_VERSION", "PT_SCALE", "CropError", "CropRefused", "CropSource", "crop_png", "margin_for"]

CROP_VERSION = 1
"""Part of the cache key: raise it when crops are made differently."""

PT_SCALE = 2.0
"""Pixels per PDF point when a text-layer page is rendered for a crop (144 dpi)."""

MAX_CROP_WIDTH = 900
"""Crops wider than this (in pixels) are scaled down."""

MIN_TEXT_HEIGHT = 28
"""Crops whose box is lower than this (in pixels) are scaled up, so small print stays legible."""

_OUTLINE = (220, 38, 38)

_RENDER_LOCK = threading.Lock()
"""pdfium is not thread-safe (not even across documents): pages are rendered one at a time in a process."""

_PAGES: OrderedDict[tuple[str, int, str], tuple[Image.Image, float]] = OrderedDict()
_PAGES_KEPT = 4
"""Pages kept rendered in memory: a case page asks for every field's crop at once, mostly from the same pages."""


class CropError(Exception):
    """A crop cannot be made: the source is incomplete, its file cannot be read, or its box is off the page."""


class CropRefused(CropError):
    """The source names a file outside the case's directory: it is never opened."""


@dataclass(frozen=True)
class CropSource:
    """Where a field was read: a file inside the case's directory, a page, a box and its unit."""

    file: Path
    page: int
    bbox: tuple[float, float, float, float]
    unit: str

    @classmethod
    def from_source(cls, source: Mapping[str, Any], case_dir: Path) -> CropSource:
        """Validate a field's ``source`` (its JSON form) against the case's directory.

        :raises CropRefused: the file is not inside ``case_dir`` (symbolic links resolved).
        :raises CropError: a part is missing or malformed, or the file does not exist.
        """
        try:
            name = str(source["file"])
            page = int(source["page"])
            x0, top, x1, bottom = (float(v) for v in source["bbox"])
            unit = str(source.get("unit", "px"))
        except (KeyError, TypeError, ValueError) as error:
            raise CropError(f"the field's source is incomplete ({error})") from None
        if not name or "\x00" in name:
            raise CropError("the field's source names no file")
        root = case_dir.resolve()
        path = Path(name)
        resolved = (path if path.is_absolute() else root / path).resolve()
        if not resolved.is_relative_to(root):
            raise CropRefused(f"{path.name}: not a file of this case")
        if not resolved.is_file():
            raise CropError(f"{path.name}: the file is no longer there")
        if page < 1 or unit not in ("pt", "px") or not (x1 > x0 and bottom > top):
            raise CropError(f"{path.name}: page {page}, box {[x0, top, x1, bottom]} or unit {unit!r} is not valid")
        return cls(resolved, page, (x0, top, x1, bottom), unit)


def margin_for(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    """The margin kept around a box, in the box's units: 3 line heights on the left and right (so the label
    before a value shows), 0.8 above and below."""
    height = bbox[3] - bbox[1]
    return 3.0 * height, 0.8 * height


def crop_png(source: CropSource, cache_dir: Path | None = None) -> bytes:
    """The PNG crop of ``source`` (cached in ``cache_dir`` when given).

    :raises CropError: the file cannot be read as a PDF or an image, or the page does not exist.
    """
    digest = _file_hash(source.file)
    key = _cache_key(source, digest)
    cached = cache_dir / f"{key}.png" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return cached.read_bytes()
        except OSError:
            pass
    data = _make(source, digest)
    if cached is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            temporary = cached.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(data)
            temporary.replace(cached)
        except OSError:
            pass  # a cache that cannot be written costs time, not correctness
    return data


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_key(source: CropSource, digest: str) -> str:
    parts = [CROP_VERSION, digest, source.page, [round(v, 2) for v in source.bbox], source.unit]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _make(source: CropSource, digest: str) -> bytes:
    from govauto.extract.sniff import PDF, sniff

    with source.file.open("rb") as handle:
        media_type = sniff(handle.read(2048))
    key = (digest, source.page, source.unit if media_type == PDF else "image")
    with _RENDER_LOCK:
        page = _PAGES.get(key)
        if page is None:
            page = _pdf_page(source) if media_type == PDF else _image_page(source)
            _PAGES[key] = page
            while len(_PAGES) > _PAGES_KEPT:
                _PAGES.popitem(last=False)
        else:
            _PAGES.move_to_end(key)
        image, scale = page
        return _cut(image, source.bbox, scale)


def _pdf_page(source: CropSource) -> tuple[Image.Image, float]:
    import pypdfium2

    from govauto.extract.pdf import RENDER_DPI

    # px boxes on a PDF are in the pixels of the page as it was rendered for OCR; pt boxes are scaled up.
    render_scale, box_scale = (RENDER_DPI / 72, 1.0) if source.unit == "px" else (PT_SCALE, PT_SCALE)
    try:
        document = pypdfium2.PdfDocument(str(source.file))
    except pypdfium2.PdfiumError as error:
        raise CropError(f"{source.file.name}: the PDF cannot be opened ({error})") from None
    try:
        if source.page > len(document):
            raise CropError(f"{source.file.name} has no page {source.page}")
        page = document[source.page - 1]
        try:
            image = page.render(scale=render_scale).to_pil().convert("RGB")
        finally:
            page.close()
    finally:
        document.close()
    return image, box_scale


def _image_page(source: CropSource) -> tuple[Image.Image, float]:
    from govauto.errors import MaterialError
    from govauto.extract.images import load_image, preprocess

    try:
        frames = load_image(source.file)
    except (MaterialError, OSError) as error:
        raise CropError(f"{source.file.name}: the image cannot be read ({error})") from None
    if source.page > len(frames):
        raise CropError(f"{source.file.name} has no page {source.page}")
    original = frames[source.page - 1]
    try:
        seen = preprocess(original)  # what the OCR engine read: its boxes are in these pixels
    except Exception:  # an image preprocessing cannot handle was not preprocessed for OCR either
        return original.convert("RGB"), 1.0
    if seen.info.get("govauto.scale", 1.0) == 1.0 and not seen.info.get("govauto.skew"):
        return original.convert("RGB"), 1.0
    return seen.convert("RGB"), 1.0


def _cut(image: Image.Image, bbox: tuple[float, float, float, float], scale: float) -> bytes:
    from PIL import Image, ImageDraw

    x0, top, x1, bottom = (v * scale for v in bbox)
    mx, my = (m * scale for m in margin_for(bbox))
    left, upper = max(0, int(x0 - mx)), max(0, int(top - my))
    right, lower = min(image.width, int(x1 + mx + 1)), min(image.height, int(bottom + my + 1))
    if right <= left or lower <= upper:
        raise CropError(f"the box {list(bbox)} is outside the page ({image.width}x{image.height} pixels)")
    crop = image.crop((left, upper, right, lower))
    draw = ImageDraw.Draw(crop)
    width = max(2, round((bottom - top) / 12))
    draw.rectangle((x0 - left - width, top - upper - width, x1 - left + width, bottom - upper + width),
                   outline=_OUTLINE, width=width)
    box_height = bottom - top
    factor = 1.0
    if box_height < MIN_TEXT_HEIGHT:
        factor = MIN_TEXT_HEIGHT / box_height
    if crop.width * factor > MAX_CROP_WIDTH:
        factor = MAX_CROP_WIDTH / crop.width
    if factor != 1.0:
        crop = crop.resize((max(1, round(crop.width * factor)), max(1, round(crop.height * factor))),
                           Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, format="PNG", optimize=True)
    return out.getvalue()
