"""JSON Schemas of the public contracts: the case of each matter, and the decision ``review --json`` prints."""

from __future__ import annotations

from typing import Any

from govauto.runtime import Runtime

DECISION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "govauto decision",
    "type": "object",
    "required": ["case_id", "matter", "pack", "outcome", "findings"],
    "properties": {
        "case_id": {"type": "string"},
        "matter": {"type": "string"},
        "pack": {"type": "object", "required": ["id", "version"],
                 "properties": {"id": {"type": "string"}, "version": {"type": "string"}}},
        "outcome": {"enum": ["approve", "correct", "refer", "reject"]},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "outcome", "message", "basis", "facts"],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string"},
                    "outcome": {"enum": ["reject", "refer", "correct", "note"]},
                    "message": {"type": "string"},
                    "basis": {"type": "string"},
                    "facts": {"type": "object"},
                },
            },
        },
        "explain": {"type": "object", "description": "only with --explain"},
    },
}


def case_schema(runtime: Runtime, matter: str) -> dict[str, Any]:
    """The JSON Schema of ``matter``'s case contract.

    :raises govauto.errors.UnknownMatterError: when no plugin registered ``matter``.
    """
    from govauto.errors import UnknownMatterError

    matters = runtime.matters
    if matter not in matters:
        raise UnknownMatterError(f"no installed plugin handles matter {matter!r} (installed: {', '.join(matters)})")
    schema = matters[matter].case_model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://govauto.example/schemas/case/{matter}.json"
    return schema


def decision_schema() -> dict[str, Any]:
    """The JSON Schema of a decision's JSON form."""
    return DECISION_SCHEMA
