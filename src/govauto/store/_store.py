"""Opening the database: URL resolution, SQLite settings, transactions that take the write lock up front, and the
schema brought to the code's revision (:mod:`govauto.store.migrate`)."""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from govauto.errors import StoreError

__all__ = ["DATABASE_URL_ENV", "HOME_ENV", "SUPPORTED_BACKENDS", "Store", "create_store_engine", "default_url",
           "home_dir", "open_store"]

DATABASE_URL_ENV = "GOVAUTO_DATABASE_URL"
HOME_ENV = "GOVAUTO_HOME"
SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite connection waits for another one's write lock before it gives up."""

_BEGIN_OPTION = "govauto_sqlite_begin"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
"""The databases govauto runs on (and is tested on)."""


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
            waiting up to 30 s for another writer. On PostgreSQL (read committed) writers do not wait for each
            other at ``BEGIN``: the code that must see the latest committed state locks what it reads (``SELECT
            ... FOR UPDATE``, or an advisory lock held until commit: leases, audit appends, migrations). The
            marker is still set, so that :func:`govauto.audit.append` can refuse a read transaction everywhere.
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

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (default: the newest this govauto knows) with its migrations.

        Safe when several processes do it at once: on PostgreSQL they wait for each other on an advisory lock, on
        SQLite on the write lock; the second finds nothing left to do. A database made by govauto 0.3.0 (tables
        present, no schema version) is checked and adopted first. See :func:`govauto.store.migrate.upgrade`.

        :raises StoreError: the database cannot be used, is newer than this govauto, or holds tables that differ
            from govauto's.
        """
        from govauto.store.migrate import upgrade

        upgrade(self, revision)

    def create_all(self) -> None:
        """Create what is missing: the same as :meth:`upgrade` to the newest revision (the name of govauto 0.3.0,
        kept for its callers)."""
        self.upgrade()

    def dispose(self) -> None:
        """Close every pooled connection (call before a process ends or forks)."""
        self.engine.dispose()


TABLE_MODULES = ("govauto.store.audit_schema", "govauto.store.casework_schema")
"""Modules that add their tables to :data:`govauto.store.schema.metadata`: imported before the migrations compare
the database with it (a table added to one of them needs a revision too, see ``docs/cluster.md``)."""


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


def _postgres_driver(parsed: URL, shown: str) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy's own default is psycopg2)."""
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in ("postgres", "postgresql"):
        return parsed
    if driver in ("", "psycopg"):
        if importlib.util.find_spec("psycopg") is None:
            raise StoreError(shown, "PostgreSQL needs the psycopg 3 driver, which is not installed: pip install "
                                    "'govauto[cluster]' (or 'psycopg[binary]')")
        driver = "psycopg"
    return parsed.set(drivername=f"postgresql+{driver}")


def create_store_engine(url: str | URL) -> Engine:
    """An engine for ``url`` with govauto's settings (SQLite: write-ahead log, busy timeout, foreign keys, ``BEGIN
    IMMEDIATE`` for writers; PostgreSQL: psycopg 3, connections checked before use). Nothing is created or
    migrated: :func:`open_store` does that.

    :raises StoreError: the URL is malformed, names a database govauto does not support, or its driver is not
        installed.
    """
    shown = _hide_password(url)
    try:
        parsed = _postgres_driver(make_url(url), shown)
    except exc.ArgumentError as error:
        raise StoreError(shown, f"not a database URL ({error}); write it like sqlite:///path/to/govauto.db or "
                                "postgresql://user:password@host/dbname") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(shown, f"govauto runs on SQLite and PostgreSQL, not {backend}: use a sqlite:/// or "
                                "postgresql:// URL")
    options: dict[str, Any] = {}
    if backend == "sqlite":
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
                                "pip install 'govauto[cluster]' for postgresql:// (psycopg 3)") from None
    except exc.ArgumentError as error:
        raise StoreError(shown, f"cannot be used: {error}") from None
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def _open_hint(backend: str) -> str:
    if backend == "sqlite":
        return f"check the path and its permissions, or set {DATABASE_URL_ENV}"
    return ("check that the server is running and reachable, the user name, password and database name, and that "
            f"the user may create tables in the database; or set {DATABASE_URL_ENV}")


def open_store(url: str | URL | None = None, *, upgrade: bool = True) -> Store:
    """Open the database and bring its schema to the newest revision (creating the tables of a new one).

    :param url: a SQLAlchemy URL; default ``$GOVAUTO_DATABASE_URL``, else
        ``sqlite:///$GOVAUTO_HOME/govauto.db`` (``./.govauto/govauto.db``; the directory is created).
        ``postgresql://`` and ``postgres://`` use the psycopg 3 driver (``postgresql+psycopg://``).
    :param upgrade: run the migrations the database lacks (see :meth:`Store.upgrade`); ``False`` opens it as it
        is (``govauto db current`` does, to report without changing anything).
    :raises StoreError: the URL is malformed, its driver is not installed, or the database cannot be opened or
        migrated. The message names the URL with the password hidden.
    """
    raw = url if url is not None else default_url()
    shown = _hide_password(raw)
    engine = create_store_engine(raw)
    store = Store(engine)
    if not upgrade:
        return store
    try:
        store.upgrade()
    except StoreError as error:
        engine.dispose()
        cause = error.__cause__
        if not isinstance(cause, exc.DBAPIError):  # govauto's own message: it says what to do
            raise
        raise StoreError(shown, f"cannot be opened ({cause.orig}); {_open_hint(store.dialect)}") from None
    except exc.SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(shown, f"cannot be opened: {error}") from None
    return store
