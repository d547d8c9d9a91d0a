"""Where rule packs live: the ones shipped with govauto, and the packs path a deployment adds (``GOVAUTO_PACKS``)."""

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


PACKS_ENV = "GOVAUTO_PACKS"
"""The packs path: directories searched for rule packs and matters (``matter.yaml``), separated by ``:``."""


def packs_path(value: str | None = None) -> tuple[Path, ...]:
    """The directories of the packs path: ``value``, else ``$GOVAUTO_PACKS`` (entries separated by ``os.pathsep``,
    ``:`` on Linux; empty entries are ignored). Empty when unset."""
    import os

    raw = value if value is not None else os.environ.get(PACKS_ENV, "")
    return tuple(Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip())
