"""The system packages `make` installs are present: tests elsewhere skip without them, so this one must fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def test_tesseract_with_chinese_and_osd() -> None:
    assert shutil.which("tesseract"), "tesseract is missing: apt-get install tesseract-ocr (make does)"
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=60).stdout
    assert "chi_sim" in langs.split(), "chi_sim is missing: apt-get install tesseract-ocr-chi-sim (make does)"
    assert "osd" in langs.split(), "osd is missing: apt-get install tesseract-ocr (make does)"


def test_noto_cjk_font() -> None:
    fonts = list(Path("/usr/share/fonts").rglob("NotoSansCJK*")) + list(Path("/usr/share/fonts").rglob("NotoSerifCJK*"))
    assert fonts, "Noto CJK fonts are missing: apt-get install fonts-noto-cjk (make does)"
