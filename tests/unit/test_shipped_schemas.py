"""The JSON Schemas shipped in the package are exactly what `govauto schema` generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import govauto
from govauto.schema import case_schema, decision_schema

SCHEMAS = Path(govauto.__file__).parent / "schemas"
REGENERATE = ("regenerate with: govauto schema case --matter M > src/govauto/schemas/M.case.schema.json (for each "
              "matter M); govauto schema decision > src/govauto/schemas/decision.schema.json")
MATTERS = ("sole_proprietor.establish", "sole_proprietor.change", "sole_proprietor.deregister")


@pytest.mark.parametrize("matter", MATTERS)
def test_case_schema_file_is_current(runtime: govauto.Runtime, matter: str) -> None:
    shipped = json.loads((SCHEMAS / f"{matter}.case.schema.json").read_text("utf-8"))
    assert shipped == case_schema(runtime, matter), REGENERATE


def test_decision_schema_file_is_current() -> None:
    shipped = json.loads((SCHEMAS / "decision.schema.json").read_text("utf-8"))
    assert shipped == decision_schema(), REGENERATE
