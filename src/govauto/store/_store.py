"""Opening the database: URL resolution, SQLite settings, transactions that take the write lock up front."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url

from govauto.errors import StoreError
from govauto.store.schema import metadata

__all__ = ["DATABASE_URL_ENV", "HOME_ENV", "Store", "default_url", "home_dir", "open_store"]

DATABASE_URL_ENV = "GOVAUTO_DATABASE_URL"
HOME_ENV = "GOVAUTO_HOME"
SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite connection waits for another one's write lock before it gives up."""

_BEGIN_OPTION = "govauto_sqlite_begin"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def home_dir() -> Path:
    """govauto's working directory: ``$GOVAUTO_HOME``, else ``./.govauto`` (not created here)."""
    return Path(os.environ.get(HOME_ENV) or ".govauto")


def default_url() -> str:
    """``$GOVAUTO_DATABASE_URL``, else a SQLite file ``govauto.db`` in :func:`home_dir`."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        return configured
    return f"sqlite:///{home_dir() / 'govauto.db'}"


def _hide_password(url: str | URL) -> str:
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _PASSWORD_IN_URL.sub(r"\1***@", url)


class Store:
    """One database: the engine, its URL (password hidden in ``str``/``repr``) and transactions.

    Use :func:`open_store` to get one. Reads run in :meth:`begin`; every transaction that writes must be opened
    with ``begin(write=True)``, which on SQLite takes the database's write lock at ``BEGIN`` (``BEGIN
    IMMEDIATE``): a transaction that first reads and later writes could otherwise fail at once with "database is
    locked" when another process wrote in between, instead of waiting its turn.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url: URL = engine.url

    @property
    def dialect(self) -> str:
        """The database kind: ``sqlite``, ``postgresql`` ..."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with its password replaced by ``***``, for messages."""
        return _hide_password(self.url)

    @property
    def connect_url(self) -> str:
        """The full URL, password included: what another process needs to open the same database."""
        return self.url.render_as_string(hide_password=False)

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    @contextmanager
    def begin(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends and rolled back if it raises.

        :param write: the transaction will write. On SQLite it then takes the write lock when it begins,
            waiting up to 30 s for another writer. On PostgreSQL transactions are always the same; queries
            lock the rows they change.
        :raises StoreError: the database cannot be reached, is locked for longer than the busy timeout, or
            lacks the tables.
        """
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    yield conn
        except exc.IntegrityError:
            raise
        except exc.DBAPIError as error:
            raise StoreError(self.display_url, f"{error.orig}; check that the database is reachable, is a govauto "
                                               "database and is not held by a stuck process") from error

    def create_all(self) -> None:
        """Create the tables and indexes that do not exist yet (idempotent, safe in parallel processes)."""
        with self.begin(write=True) as conn:
            if self.dialect == "postgresql":  # pragma: no cover - PostgreSQL arrives with its own issue
                conn.execute(text("SELECT pg_advisory_xact_lock(7261746)"))
            _import_table_modules()
            metadata.create_all(conn)

    def dispose(self) -> None:
        """Close every pooled connection (call before a process ends or forks)."""
        self.engine.dispose()


TABLE_MODULES = ("govauto.store.audit_schema", "govauto.store.casework_schema")
"""Modules that add their tables to :data:`govauto.store.schema.metadata` (imported before tables are created)."""


def _import_table_modules() -> None:
    import importlib

    for name in TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def _configure_sqlite(engine: Engine) -> None:
    # The documented SQLAlchemy recipe: pysqlite's own BEGIN handling is switched off and SQLAlchemy emits BEGIN,
    # so every transaction (reads too) really is one, and writers can ask for the lock up front.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def open_store(url: str | URL | None = None) -> Store:
    """Open (and create, when needed) the database.

    :param url: a SQLAlchemy URL; default ``$GOVAUTO_DATABASE_URL``, else
        ``sqlite:///$GOVAUTO_HOME/govauto.db`` (``./.govauto/govauto.db``; the directory is created).
    :raises StoreError: the URL is malformed, its driver is not installed, or the database cannot be opened or
        its tables created. The message names the URL with the password hidden.
    """
    raw = url if url is not None else default_url()
    shown = _hide_password(raw)
    try:
        parsed = make_url(raw)
    except exc.ArgumentError as error:
        raise StoreError(shown, f"not a database URL ({error}); write it like sqlite:///path/to/govauto.db or "
                                "postgresql+psycopg://user:password@host/dbname") from None
    is_sqlite = parsed.get_backend_name() == "sqlite"
    options: dict[str, Any] = {}
    if is_sqlite:
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(shown, f"cannot create the directory for the database file: {error}") from None
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        options["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **options)
    except (exc.NoSuchModuleError, ModuleNotFoundError) as error:
        raise StoreError(shown, f"its database driver is not installed ({error}); install it, e.g. "
                                "pip install 'psycopg[binary]' for postgresql+psycopg") from None
    except exc.ArgumentError as error:
        raise StoreError(shown, f"cannot be used: {error}") from None
    if is_sqlite:
        _configure_sqlite(engine)
    store = Store(engine)
    try:
        store.create_all()
    except StoreError as error:
        engine.dispose()
        reason = getattr(error.__cause__, "orig", None) or error.__cause__ or error
        raise StoreError(shown, f"cannot be opened ({reason}); check the path and its permissions, or set "
                                f"{DATABASE_URL_ENV}") from None
    except exc.SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(shown, f"cannot be opened: {error}") from None
    return store
