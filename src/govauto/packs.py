"""Where the rule packs shipped with govauto live."""

from __future__ import annotations

from pathlib import Path


def packs_dir() -> Path:
    """The directory of the shipped rule packs.

    In an installed wheel they are inside the package (``govauto/packs``, copied from the repository's
    ``rules/``); in a source checkout (editable install) they are the repository's ``rules/`` directory.
    """
    inside = Path(__file__).parent / "packs"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / "rules"
