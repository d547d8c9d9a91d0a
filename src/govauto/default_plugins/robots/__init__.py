"""Built-in robots: form maps for the project's legacy-portal simulator (``govauto sandbox portal``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from govauto.plugins import hookimpl

MAPS = Path(__file__).parent


@hookimpl
def govauto_register_robots(register: Callable[[Path], None]) -> None:
    for path in sorted(MAPS.glob("*.yaml")):
        register(path)
