"""The SQLite file format: one table of names, keyed by area and normalised name.

A registry database is recognised by its ``application_id`` and ``user_version`` header fields. Bump
:data:`SCHEMA_VERSION` whenever the table or :func:`~govauto_name_registry.names.normalise_name` changes, so
that an old file is refused with a clear message instead of silently missing names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Final

from govauto_name_registry.names import Entry, normalise_name

APPLICATION_ID: Final = 0x474E5231  # "GNR1": govauto name registry
SCHEMA_VERSION: Final = 1
DEFAULT_TIMEOUT: Final = 2.0
"""Seconds to wait for a lock held by a writer (an import in progress) before giving up."""

# Statements are separated by ";" (and hold none inside them).
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS names (
    division TEXT NOT NULL,                -- GB/T 2260 code of the county-level area
    name_key TEXT NOT NULL,                -- normalise_name(name)
    name     TEXT NOT NULL,                -- the name as registered
    status   TEXT NOT NULL CHECK (status IN ('registered', 'reserved', 'cancelled')),
    date     TEXT NOT NULL                 -- ISO date the status began
);
CREATE UNIQUE INDEX IF NOT EXISTS names_by_division_key ON names (division, name_key);
"""

LOOKUP_SQL: Final = "SELECT name, division, status, date FROM names WHERE division = ? AND name_key = ?"

# The latest status of a name wins: a row only replaces a stored one that is not newer than it.
_UPSERT_SQL: Final = """
INSERT INTO names (division, name_key, name, status, date) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (division, name_key) DO UPDATE
    SET name = excluded.name, status = excluded.status, date = excluded.date
    WHERE excluded.date >= names.date
"""


class SchemaMismatch(Exception):
    """A SQLite file that is not a name registry of this version (the message says what it is instead)."""


def header(conn: sqlite3.Connection) -> tuple[int, int]:
    """The ``(application_id, user_version)`` of an open database."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return int(app_id), int(version)


def is_blank(conn: sqlite3.Connection) -> bool:
    """Whether the database is new: no header fields set and no tables (an empty or just-created file)."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return header(conn) == (0, 0) and tables == 0


def check(conn: sqlite3.Connection) -> None:
    """Refuse a database that is not a name registry of :data:`SCHEMA_VERSION`.

    :raises SchemaMismatch: saying what the file is instead.
    """
    app_id, version = header(conn)
    if app_id != APPLICATION_ID:
        raise SchemaMismatch("is a SQLite database but not a business-name registry")
    if version != SCHEMA_VERSION:
        raise SchemaMismatch(f"is a business-name registry of format version {version}, but this "
                             f"govauto-name-registry reads version {SCHEMA_VERSION}")


def initialise(conn: sqlite3.Connection) -> None:
    """Create the table and index (if missing) and stamp the header; run inside the caller's transaction."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def upsert(conn: sqlite3.Connection, entries: Iterable[Entry]) -> None:
    """Store each entry's status, unless the stored status of that name in that area is more recent."""
    conn.executemany(_UPSERT_SQL, ((e.division, normalise_name(e.name), e.name, e.status, e.date.isoformat())
                                   for e in entries))


def count(conn: sqlite3.Connection) -> int:
    """How many names the database holds."""
    return int(conn.execute("SELECT count(*) FROM names").fetchone()[0])
