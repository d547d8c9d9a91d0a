"""Text rendered to an image with Noto Sans CJK SC (Debian ``fonts-noto-cjk``), for the image and OCR tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="Noto CJK fonts missing: apt-get install fonts-noto-cjk")


def render_lines(lines: list[str], size: int = 28) -> Image.Image:
    """``lines`` in black on white, ``size`` pixels high, with a margin of one line height."""
    font = ImageFont.truetype(str(FONT), size, index=2)  # index 2: Simplified Chinese
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    width = max(int(probe.textlength(line, font=font)) for line in lines) + 2 * size
    image = Image.new("RGB", (width, int(len(lines) * size * 1.6) + 2 * size), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((size, size + i * size * 1.6), line, font=font, fill="black")
    return image
