"""Resolving ``package.module:callable`` paths (executors, notify hooks)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from govauto.errors import ExecutorLoadError

__all__ = ["load_callable"]


def load_callable(path: str, what: str = "executor") -> Callable[..., Any]:
    """Import ``package.module:attribute`` (the attribute may be dotted) and return it.

    :raises ExecutorLoadError: the path is malformed, the module cannot be imported, the attribute is missing or
        is not callable.
    """
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise ExecutorLoadError(f"{what} {path!r} is not an import path: write it as package.module:callable, "
                                "e.g. govauto.robots.executor:RobotExecutor")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ExecutorLoadError(f"{what} {path!r}: cannot import {module_name} ({error}); check the path and that "
                                "its package is installed in this environment") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ExecutorLoadError(f"{what} {path!r}: {module_name} has no attribute {attribute!r}") from None
    if not callable(target):
        raise ExecutorLoadError(f"{what} {path!r} is a {type(target).__name__}, not a callable")
    return target  # type: ignore[no-any-return]
