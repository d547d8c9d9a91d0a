"""Alembic's environment for govauto's migrations (see :mod:`govauto.store.migrate`).

govauto runs it with the connection to migrate in ``config.attributes["connection"]``, inside a transaction that
holds the migration lock (a PostgreSQL advisory lock, SQLite's write lock); Alembic then runs every revision in
that transaction. Run by the ``alembic`` command instead, it opens ``sqlalchemy.url`` (else
``$GOVAUTO_DATABASE_URL``, else govauto's default SQLite file) and takes the same lock.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, text
from sqlalchemy.types import TypeDecorator

from govauto.store._store import _BEGIN_OPTION, create_store_engine, default_url
from govauto.store.migrate import _PG_LOCK_KEY, VERSION_TABLE, include_name, target_metadata


def render_item(kind: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """Revisions are frozen: govauto's column types are written as the types they store (``UTCDateTime`` as
    ``sa.DateTime(timezone=True)``, ``JSONText`` as ``sa.Text()``), so a later change to them changes no revision."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl_instance!r}"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        version_table=VERSION_TABLE,
        include_name=include_name,
        compare_type=True,
        render_item=render_item,
        # SQLite alters a table by copying it: autogenerate writes column changes in batch mode there.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("govauto's migrations run on a database connection only (no --sql): use govauto db upgrade")

given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    engine = create_store_engine(context.config.get_main_option("sqlalchemy.url") or default_url())
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                run(conn)
    finally:
        engine.dispose()
