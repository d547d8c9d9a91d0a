"""Every hook is documented in docs/hooks.md with its exact signature (after datasette's test_docs.py)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from govauto import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
HOOKS = [name for name, obj in vars(hookspecs).items() if name.startswith("govauto_") and callable(obj)]


def test_there_are_hooks() -> None:
    assert len(HOOKS) >= 7


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_in_the_reference_with_its_signature(name: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    assert f"def {name}({params}):" in DOCS.read_text("utf-8"), f"docs/hooks.md lacks `def {name}({params}):`"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_docstring_with_its_params(name: str) -> None:
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc
