"""The audit trail's table: ``audit_records``, append-only and hash-chained (see :mod:`govauto.audit`).

``seq`` is the chain order (1, 2, 3 ... with no gaps), ``prev_hash`` the previous record's ``hash`` (64 zeros for
the first record) and ``hash`` the SHA-256 of the record's canonical form, every column but ``hash`` included.
Only :mod:`govauto.audit` writes the table.

On SQLite two triggers refuse ``UPDATE`` and ``DELETE`` on the table, so no application code changes a record by
mistake. They are a guard against accidents, not against someone with write access to the file (who can drop
them): the hash chain is what detects that (``govauto audit verify``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Index, Integer, String, Table, event

from govauto.store.schema import JSONText, UTCDateTime, metadata

__all__ = ["APPEND_ONLY_MESSAGE", "audit_records"]

APPEND_ONLY_MESSAGE = "audit records are append-only: they are never updated or deleted"
"""The error SQLite raises when a statement tries to change or delete an audit record."""

audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False,
           comment="the chain order: 1, 2, 3 ... assigned under the write lock"),
    Column("id", String(32), nullable=False, unique=True, comment="A + time-ordered hex"),
    Column("case_id", String(100), comment="null for system events"),
    Column("case_version", Integer, comment="the case's version the step worked on, when it has one"),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False, comment="kind:name, e.g. user:zhang, robot:legacy_portal.establish"),
    Column("action", String(100), nullable=False, comment="dotted lower-case id, e.g. review, robot_receipt"),
    Column("detail", JSONText, nullable=False, comment="the facts the step used and produced (JSON object)"),
    Column("prev_hash", String(64), nullable=False, comment="hash of the record with seq - 1; 64 zeros for seq 1"),
    Column("hash", String(64), nullable=False, comment="SHA-256 (hex) of the canonical form of the other columns"),
    comment="append-only, hash-chained audit trail of every step of every case",
)
Index("ix_audit_records_case_id_seq", audit_records.c.case_id, audit_records.c.seq)


@event.listens_for(audit_records, "after_create")
def _append_only(_table: Table, conn: Connection, **_kw: Any) -> None:
    """On SQLite, triggers that refuse ``UPDATE`` and ``DELETE`` on the table (created with the table)."""
    if conn.dialect.name != "sqlite":  # pragma: no cover - PostgreSQL arrives with its own issue
        return
    for operation in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS audit_records_no_{operation.lower()} BEFORE {operation} "
                             f"ON audit_records BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END")
