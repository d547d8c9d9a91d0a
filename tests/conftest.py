from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import govauto

ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = ROOT / "rules" / "sole_proprietor" / "establish"


@pytest.fixture(scope="session")
def runtime() -> govauto.Runtime:
    """A runtime with the built-ins only (no installed plugins), shared by the session."""
    return govauto.Runtime(load_entrypoints=False)


@pytest.fixture
def valid_case() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    data["business"].pop("name")  # no name: no name-registry lookup needed
    return copy.deepcopy(data)


def rules_of(decision: govauto.Decision) -> list[str]:
    return [f.rule for f in decision.findings]
