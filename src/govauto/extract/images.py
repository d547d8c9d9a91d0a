"""Loading uploaded images safely, and preparing them for OCR.

:func:`load_image` reads a PNG, JPEG or TIFF into upright RGB pages, checking the pixel count from the file's
header before anything is decoded. :func:`preprocess` turns a page into what OCR engines read best: grey,
large enough, straight. :func:`orientation` finds pages scanned sideways or upside down when there is no EXIF
orientation to tell.

Boxes that an engine returns for a preprocessed image are in that image's pixels; ``image.info`` records how it
was made (``govauto.scale``: the upscaling factor, ``govauto.skew``: the angle in degrees, counter-clockwise,
that was corrected) so a caller can map boxes back to the original.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from typing import IO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from govauto.errors import CorruptMaterialError, MaterialTooLargeError, UnsupportedMaterialError
from govauto.extract.sniff import JPEG, PNG, TIFF, Limits, sniff

__all__ = ["estimate_noise", "estimate_skew", "estimate_text_height", "load_image", "orientation", "preprocess"]

_FORMATS = {PNG: "PNG", JPEG: "JPEG", TIFF: "TIFF"}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error,
                  zlib.error)


def load_image(path: str | os.PathLike[str] | IO[bytes], *, max_pixels: int = Limits.max_pixels,
               max_pages: int = Limits.max_pages, max_total_pixels: int | None = None) -> list[Image.Image]:
    """Read a PNG, JPEG or TIFF file into a list of upright RGB pages (one per TIFF frame, else one).

    The size of every page is read from the file's header and checked before any pixel is decoded, so a
    "decompression bomb" costs nothing. EXIF orientation (phone photos) is applied; transparency is laid on
    white; 16-bit and float images are stretched to 8 bits.

    :param max_pixels: the largest page, in pixels (``GOVAUTO_MAX_IMAGE_PIXELS``).
    :param max_pages: the most frames a TIFF may have (``GOVAUTO_MAX_PDF_PAGES``).
    :param max_total_pixels: the most pixels all pages together may have; ``4 * max_pixels`` by default
        (about 720 MB of decoded RGB at the default limit).
    :raises UnsupportedMaterialError: when the bytes are not PNG, JPEG or TIFF.
    :raises MaterialTooLargeError: when a page, the page count or the total is over its limit.
    :raises CorruptMaterialError: when the file is truncated or damaged.
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    if isinstance(path, (str, os.PathLike)):
        name = os.fspath(path)
        with open(path, "rb") as handle:
            return _load(handle, name, max_pixels, max_pages, max_total_pixels)
    return _load(path, str(getattr(path, "name", "<image>")), max_pixels, max_pages, max_total_pixels)


def _load(handle: IO[bytes], name: str, max_pixels: int, max_pages: int,
          max_total_pixels: int | None) -> list[Image.Image]:
    start = handle.tell()
    media_type = sniff(handle.read(2048))
    handle.seek(start)
    if media_type not in _FORMATS:
        raise UnsupportedMaterialError(name, f"the file is really {media_type}, not a PNG, JPEG or TIFF image")
    total_limit = max_total_pixels if max_total_pixels is not None else 4 * max_pixels
    try:
        with Image.open(handle, formats=[_FORMATS[media_type]]) as image:  # reads the header only
            # only TIFF frames are pages: a phone's MPO JPEG carries previews, an APNG animation frames
            count = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
            if count > max_pages:
                raise MaterialTooLargeError(name, f"the image has {count} pages, over the limit of {max_pages} "
                                            "(GOVAUTO_MAX_PDF_PAGES)")
            total = 0
            for index in range(count):  # every header first, then decode
                image.seek(index)
                total += _check_size(name, image, index, count, max_pixels)
            if total > total_limit:
                raise MaterialTooLargeError(name, f"its {count} pages have {total:,} pixels together, over the "
                                            f"limit of {total_limit:,}")
            pages = []
            for index in range(count):
                image.seek(index)
                image.load()
                pages.append(_to_rgb(ImageOps.exif_transpose(image)))
            return pages
    except Image.DecompressionBombError as error:
        raise MaterialTooLargeError(name, f"the image is too large to decode safely ({error})") from None
    except UnidentifiedImageError:
        raise CorruptMaterialError(name, f"the file starts like a {_FORMATS[media_type]} image but cannot be "
                                   "parsed") from None
    except _DECODE_ERRORS as error:
        raise CorruptMaterialError(name, f"the {_FORMATS[media_type]} image is truncated or damaged ({error}); "
                                   "ask for the file again") from None


def _check_size(name: str, image: Image.Image, index: int, count: int, max_pixels: int) -> int:
    width, height = image.size
    pixels = width * height
    if pixels > max_pixels:
        page = f"page {index + 1} of the image" if count > 1 else "the image"
        raise MaterialTooLargeError(name, f"{page} is {width:,} x {height:,} = {pixels:,} pixels, over the limit "
                                    f"of {max_pixels:,} (GOVAUTO_MAX_IMAGE_PIXELS)")
    if pixels == 0:
        raise CorruptMaterialError(name, f"the image header says it is {width} x {height} pixels")
    return pixels


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image.copy()
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
        return Image.fromarray(scaled.round().astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


# --- preprocessing -------------------------------------------------------------------------------------------


def preprocess(image: Image.Image, *, deskew: bool = True, max_skew: float = 5.0, denoise: bool = True,
               min_text_height: int = 20, target_text_height: int = 24, max_upscale: float = 4.0) -> Image.Image:
    """A grey copy of ``image`` prepared for OCR: denoised when noisy, straightened, small clean text enlarged.

    Each step is applied only where it raised accuracy in our measurements (rendered ID crops and lease pages,
    clean and degraded, with Tesseract and RapidOCR; see the plugin ``govauto-rapidocr``'s ``bench/``):

    1. greyscale;
    2. ``denoise``: a 3x3 median filter when the paper is noisy (:func:`estimate_noise` at least 1.5) and the
       text lines are at least 20 pixels high (on smaller text it erases strokes). Tesseract: noisy ID crops
       0.96 -> 0.98, blurred JPEG crops 0.79 -> 0.96 character accuracy; RapidOCR: names on blurred crops
       10/12 -> 12/12;
    3. ``deskew``: straighten a rotation of up to ``max_skew`` degrees (:func:`estimate_skew`) when it is 0.3
       degrees or more, after denoising (rotating a noisy image first made things worse). It matters from about
       3 degrees on: Tesseract on noisy A4 pages turned 4 degrees, 0.23 -> 0.94 character accuracy (with step 2);
       RapidOCR 0.96 -> 1.00;
    4. enlarge clean text lower than ``min_text_height`` pixels to ``target_text_height`` (at most
       ``max_upscale`` times): Tesseract on 10-pixel text, 0.72 -> 0.92. Noisy text is never enlarged (it lost
       accuracy with both engines).

    Measured and left out: contrast stretching (``ImageOps.autocontrast``: +0.05 on some noisy crop sets, -0.06
    on others), enlarging noisy text (it lost accuracy with both engines), enlarging to 30 or 40 pixels (24 was
    better for Tesseract). RapidOCR reads raw images about as well as preprocessed ones except for strongly
    rotated or blurred scans; preprocessing costs about 0.45 s on an A4 page at 200 dpi (0.25 s of it the
    median filter), 10-40 ms on an ID crop.

    ``info["govauto.scale"]`` is the enlargement factor, ``info["govauto.skew"]`` the corrected angle (degrees,
    counter-clockwise) and ``info["govauto.denoised"]`` whether the median filter ran.
    """
    grey = image.convert("L")
    skew = estimate_skew(grey, max_angle=max_skew) if deskew else 0.0
    if abs(skew) < 0.3:
        skew = 0.0
    height = estimate_text_height(grey, skew=skew)
    noisy = estimate_noise(grey) >= 1.5
    denoised = denoise and noisy and height is not None and height >= 20
    if denoised:
        grey = grey.filter(ImageFilter.MedianFilter(3))
    if skew:
        grey = _rotate(grey, -skew)
    scale = 1.0
    if not noisy and height is not None and height < min_text_height:
        scale = min(target_text_height / height, max_upscale)
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    grey.info["govauto.scale"] = scale
    grey.info["govauto.skew"] = skew
    grey.info["govauto.denoised"] = denoised
    return grey


def estimate_noise(image: Image.Image) -> float:
    """How grainy the paper of ``image`` is: the mean difference between the paper's pixels (those at least
    2 pixels away from anything darker than it) and their 3x3 median. About 0-0.25 on clean renderings, 0.4
    after JPEG compression, 2.6-3.5 with light scanner noise or heavy JPEG artefacts, 8.5 with strong noise.
    Measured on the middle of the image, at most 800 pixels square."""
    grey = image.convert("L")
    width, height = grey.size
    side = 800
    if width > side or height > side:
        left, top = max((width - side) // 2, 0), max((height - side) // 2, 0)
        grey = grey.crop((left, top, min(left + side, width), min(top + side, height)))
    values = np.asarray(grey, dtype=np.int16)
    smooth = grey.filter(ImageFilter.MedianFilter(3))
    median = np.asarray(smooth, dtype=np.int16)
    if int(values.max()) - int(values.min()) < 32:
        paper = np.ones(values.shape, dtype=bool)
    else:  # away from strokes and their anti-aliased edges, which are not noise
        threshold = _otsu(values.astype(np.uint8))
        level = float(np.median(median[median > threshold]))  # the paper's grey
        near = np.asarray(smooth.filter(ImageFilter.MinFilter(5)), dtype=np.int16)
        paper = near > max(threshold, level - 0.25 * (level - threshold))
    if not paper.any():
        return 0.0
    return float(np.mean(np.abs(values - median)[paper]))


def _rotate(grey: Image.Image, angle: float) -> Image.Image:
    """``grey`` rotated counter-clockwise by ``angle`` degrees, the corners filled with the paper's grey (its
    median): a white wedge on grey paper draws edges that Tesseract reads as text."""
    paper = int(np.median(np.asarray(grey.reduce(4) if min(grey.size) >= 64 else grey)))
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=paper)


def _otsu(values: NDArray[np.uint8]) -> int:
    histogram = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    if total == 0:
        return 128
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    background = total - weights
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (means[-1] * weights - means * total) ** 2 / (weights * background)
    between[~np.isfinite(between)] = 0
    return int(np.argmax(between))


def _ink(grey: Image.Image) -> NDArray[np.bool_]:
    """Dark pixels (text) of a greyscale image by Otsu's threshold; all False on a blank image."""
    values = np.asarray(grey, dtype=np.uint8)
    if int(values.max()) - int(values.min()) < 32:
        return np.zeros(values.shape, dtype=bool)
    return values <= _otsu(values)


def estimate_skew(image: Image.Image, *, max_angle: float = 5.0, work_size: int = 1200) -> float:
    """The angle, in degrees counter-clockwise, by which the text lines of ``image`` are rotated.

    ``image.rotate(-estimate_skew(image))`` straightens it. Works on a copy at most ``work_size`` pixels wide or
    high, binarised with Otsu's threshold: for each candidate angle the dark pixels are projected on the axis
    perpendicular to the text lines, and the angle with the sharpest profile (the largest sum of squared bin
    counts) wins; candidates every 0.25 degree, then every 0.05 degree around the best. 0 for a blank image.
    """
    grey = image.convert("L")
    factor = max(grey.size) / work_size
    if factor > 1:
        grey = grey.reduce(int(np.ceil(factor)))
    ink = _ink(grey)
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 300_000:  # a sample is enough for the profile
        pick = np.random.default_rng(0).choice(len(ys), 300_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    y = ys.astype(np.float64)
    x = xs.astype(np.float64) - float(xs.mean())

    def sharpness(angle: float) -> float:
        theta = np.deg2rad(angle)
        projected = y * np.cos(theta) + x * np.sin(theta)
        counts = np.bincount((projected - projected.min()).astype(np.int64))
        return float(np.dot(counts, counts))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.25)
    best = float(coarse[int(np.argmax([sharpness(a) for a in coarse]))])
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    best = float(fine[int(np.argmax([sharpness(a) for a in fine]))])
    return round(best, 2) + 0.0  # no -0.0


def estimate_text_height(image: Image.Image, *, skew: float = 0.0) -> float | None:
    """The median height in pixels of the text lines of ``image``; ``None`` when it finds no text.

    A text line is a run of rows holding dark pixels above the noise level (the 10th percentile of the row
    counts); runs with less than a fifth of the largest run's ink (specks, underlines) are not counted. Rows
    follow the text lines when ``skew`` (as from :func:`estimate_skew`) is given. Chinese lines come out at
    about 0.92 of the font size in pixels.
    """
    ink = _ink(image.convert("L"))
    if not ink.any():
        return None
    if skew:
        ys, xs = np.nonzero(ink)
        theta = np.deg2rad(skew)
        projected = ys * np.cos(theta) + (xs - ink.shape[1] / 2) * np.sin(theta)
        rows = np.bincount((projected - projected.min()).astype(np.int64)).astype(np.float64)
    else:
        rows = ink.sum(axis=1).astype(np.float64)
    floor = max(0.05 * float(rows.max()), 1.5 * float(np.percentile(rows, 10)) + 1.0)
    text_rows = np.concatenate(([False], rows >= floor, [False]))
    edges = np.flatnonzero(np.diff(text_rows.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    heights = ends - starts
    mass = np.array([rows[a:b].sum() for a, b in zip(starts, ends, strict=True)])
    if mass.size == 0:  # no run of rows above the noise level (a page with one box or rule and no text)
        return None
    keep = (heights >= 3) & (mass >= 0.2 * mass.max())
    if not keep.any():
        return None
    return float(np.median(heights[keep]))


_OSD_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_OSD_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def orientation(image: Image.Image, *, min_confidence: float = 2.0, timeout: float = 30.0) -> int:
    """The clockwise rotation in degrees (0, 90, 180 or 270) that turns a page scanned sideways or upside down
    upright: ``image.rotate(-orientation(image), expand=True)``.

    Uses Tesseract's orientation and script detection (``osd.traineddata``, in Debian's ``tesseract-ocr``
    package) on a grey copy at most 2,000 pixels high or wide: 0.1-0.2 s for an ID crop, 0.6 s for a page.
    Returns 0 when OSD is not installed, finds too little text, or is less sure than ``min_confidence``.
    Measured on Chinese text: every rotation of 24 noisy half pages was found with confidence 3.3-9.7; clean
    ID crops were right with 0.7-2.2; blurred crops were often wrong, with up to 1.3 -- hence the default of 2,
    which leaves most crops as they are rather than turning an upright one. Call it only for images without an
    EXIF orientation: :func:`load_image` already applied that.
    """
    import pytesseract  # type: ignore[import-untyped, unused-ignore]  # optional: only this function needs it

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # see govauto.extract.tesseract
    grey = image.convert("L")
    factor = max(grey.size) / 2000
    if factor > 1:
        grey = grey.reduce(int(np.ceil(factor)))
    try:
        report = pytesseract.image_to_osd(grey, config="--psm 0", timeout=timeout)
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, RuntimeError, OSError):
        return 0
    rotate, confidence = _OSD_ROTATE.search(report), _OSD_CONFIDENCE.search(report)
    if rotate is None or confidence is None or float(confidence.group(1)) < min_confidence:
        return 0
    return int(rotate.group(1)) % 360

