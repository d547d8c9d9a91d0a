"""The databases the store tests run on: a SQLite file, and a fresh schema of the test PostgreSQL database.

``tests/conftest.py`` turns these into the ``store_url`` fixture (parametrized ``sqlite`` / ``postgresql``). Each
PostgreSQL test gets its own schema, named in the URL (``options=-csearch_path=<schema>``), so every connection
made from that URL, in this process or in worker processes, sees only that schema's tables; the schema is dropped
after the test. ``GOVAUTO_TEST_POSTGRES_URL`` names the database (``scripts/services.sh test-env`` prints it);
without it the PostgreSQL tests are skipped, unless ``GOVAUTO_REQUIRE_SERVICES=1`` (``make pytest``), which
makes them fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_ENV = "GOVAUTO_TEST_POSTGRES_URL"
REQUIRE_SERVICES_ENV = "GOVAUTO_REQUIRE_SERVICES"
SCHEMA_PREFIX = "govauto_test_"
BACKENDS = ("sqlite", "postgresql")


def services_required() -> bool:
    return os.environ.get(REQUIRE_SERVICES_ENV, "") not in ("", "0")


@cache
def postgres_admin() -> tuple[Engine | None, str]:
    """An engine on the test database (``None`` and the reason when there is none to use)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        return None, (f"{POSTGRES_URL_ENV} is not set: start PostgreSQL with `make services` and export the test "
                      "URLs with `eval \"$(bash scripts/services.sh test-env)\"`")
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_size=2)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means "no database to test on"
        engine.dispose()
        return None, f"{POSTGRES_URL_ENV} ({parsed.render_as_string(hide_password=True)}) cannot be used: {error}"
    return engine, ""


def new_schema(admin: Engine) -> str:
    name = f"{SCHEMA_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return name


def schema_url(admin: Engine, schema: str) -> str:
    """The test database's URL with every connection's search path set to ``schema`` (and an application name
    that names it, so that connections a test left open can be ended)."""
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
    return url.render_as_string(hide_password=False)


def drop_schema(admin: Engine, schema: str) -> None:
    """End the connections tests left open on the schema (pools of stores nobody disposed, stuck processes), then
    drop it with everything in it."""
    with admin.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": schema})
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_schemas(admin: Engine) -> None:
    """Drop schemas that test runs killed before their teardown left behind: those named after a process of this
    machine that no longer runs (a run going on beside this one keeps its schemas)."""
    with admin.begin() as conn:
        names = conn.execute(text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)"),
                             {"prefix": SCHEMA_PREFIX}).scalars().all()
    for name in names:
        pid = name[len(SCHEMA_PREFIX):].partition("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            drop_schema(admin, name)


def run_script(url: str, script: str) -> None:
    """Run SQL statements (a dump) on the database at ``url``, as someone with the database would."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                raw.driver_connection.executescript(script)  # type: ignore[union-attr]
            finally:
                raw.close()
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql(script)
    finally:
        engine.dispose()


def raw_execute(url: str, statements: Iterable[str]) -> None:
    """Execute statements outside govauto, in one transaction (no guard of the store involved)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
