"""The JSON Schemas shipped in the package are exactly what `govauto schema` generates."""

from __future__ import annotations

import json
from pathlib import Path

import govauto
from govauto.schema import case_schema, decision_schema

SCHEMAS = Path(govauto.__file__).parent / "schemas"
REGENERATE = ("regenerate with: govauto schema case > src/govauto/schemas/sole_proprietor.establish.case.schema.json; "
              "govauto schema decision > src/govauto/schemas/decision.schema.json")


def test_case_schema_file_is_current(runtime: govauto.Runtime) -> None:
    shipped = json.loads((SCHEMAS / "sole_proprietor.establish.case.schema.json").read_text("utf-8"))
    assert shipped == case_schema(runtime, "sole_proprietor.establish"), REGENERATE


def test_decision_schema_file_is_current() -> None:
    shipped = json.loads((SCHEMAS / "decision.schema.json").read_text("utf-8"))
    assert shipped == decision_schema(), REGENERATE
