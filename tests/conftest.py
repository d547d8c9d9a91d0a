from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

import govauto
from tests import store_backends

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


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put the root logger back as it was after each test: CLI tests that start a worker configure logging onto
    the CliRunner's stream, which is closed afterwards, and later log lines would land in other tests' output."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


# -- the store on each database -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """The test PostgreSQL database (``GOVAUTO_TEST_POSTGRES_URL``), or a skip saying how to get one (a failure
    when ``GOVAUTO_REQUIRE_SERVICES=1``)."""
    engine, reason = store_backends.postgres_admin()
    if engine is None:
        if store_backends.services_required():
            pytest.fail(f"{reason} ({store_backends.REQUIRE_SERVICES_ENV}=1: the PostgreSQL tests must run)")
        pytest.skip(reason)
    store_backends.drop_stale_schemas(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=store_backends.BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, once for SQLite (a file in ``tmp_path``) and once for PostgreSQL (a schema of
    its own, dropped after the test; see ``tests/store_backends.py``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govauto.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = store_backends.new_schema(admin)
    try:
        yield store_backends.schema_url(admin, schema)
    finally:
        store_backends.drop_schema(admin, schema)
