"""Finding a material's real type from its bytes (never from its extension), and the limits checked first."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from govauto.errors import EmptyMaterialError, MaterialTooLargeError, UnsupportedMaterialError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
READABLE = (PDF, PNG, JPEG, TIFF)

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage (old Office document)"),
    (b"Rar!", "application/x-rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x1f\x8b", "application/gzip"),
]


@dataclass(frozen=True)
class Limits:
    """Limits checked before any work starts; each can be set by an environment variable.

    :ivar max_bytes: ``GOVAUTO_MAX_FILE_BYTES`` (default 50 MiB).
    :ivar max_pages: ``GOVAUTO_MAX_PDF_PAGES`` (default 200).
    :ivar max_pixels: ``GOVAUTO_MAX_IMAGE_PIXELS`` (default 60 million, e.g. 7,746 × 7,746).
    """

    max_bytes: int = 50 * 2**20
    max_pages: int = 200
    max_pixels: int = 60_000_000

    @classmethod
    def from_environment(cls) -> Limits:
        def read(name: str, default: int) -> int:
            raw = os.environ.get(name)
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a whole number") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
            return value

        return cls(read("GOVAUTO_MAX_FILE_BYTES", cls.max_bytes), read("GOVAUTO_MAX_PDF_PAGES", cls.max_pages),
                   read("GOVAUTO_MAX_IMAGE_PIXELS", cls.max_pixels))


def sniff(head: bytes) -> str:
    """The media type the first bytes of a file announce (``application/octet-stream`` when unknown)."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    # a PDF may have a few bytes of junk before its header (allowed within the first 1,024 bytes)
    if b"%PDF-" in head[:1024]:
        return PDF
    lowered = stripped[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in lowered:
        return "text/html"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "application/xml"
    try:
        stripped[:512].decode("utf-8")
        if stripped:
            return "text/plain"
    except UnicodeDecodeError:
        pass
    return "application/octet-stream"


def check_file(path: Path, limits: Limits) -> str:
    """Check size and type before reading; returns the readable media type.

    :raises EmptyMaterialError: for an empty file.
    :raises MaterialTooLargeError: over ``limits.max_bytes``.
    :raises UnsupportedMaterialError: when the bytes are not PDF, PNG, JPEG or TIFF (whatever the extension).
    """
    size = path.stat().st_size
    if size == 0:
        raise EmptyMaterialError(str(path), "the file is empty (0 bytes)")
    if size > limits.max_bytes:
        raise MaterialTooLargeError(str(path), f"the file has {size:,} bytes, over the limit of {limits.max_bytes:,} "
                                    "(GOVAUTO_MAX_FILE_BYTES)")
    with path.open("rb") as handle:
        head = handle.read(2048)
    media_type = sniff(head)
    if media_type not in READABLE:
        suffix = path.suffix.lower() or "(none)"
        raise UnsupportedMaterialError(
            str(path), f"the file is really {media_type} (extension {suffix}); govauto reads PDF, PNG, JPEG and TIFF")
    return media_type
