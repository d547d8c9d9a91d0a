"""The audit trail's table: ``audit_records``, append-only and hash-chained (see :mod:`govauto.audit`).

``seq`` is the chain order (1, 2, 3 ... with no gaps), ``prev_hash`` the previous record's ``hash`` (64 zeros for
the first record) and ``hash`` the SHA-256 of the record's canonical form, every column but ``hash`` included.
Only :mod:`govauto.audit` writes the table.

Triggers refuse ``UPDATE`` and ``DELETE`` on the table (on PostgreSQL ``TRUNCATE`` too), so no application code
changes a record by mistake: the statement fails with an ``IntegrityError`` carrying :data:`APPEND_ONLY_MESSAGE`.
The migrations create them (revision ``0001``, :mod:`govauto.store.migrate`). They are a guard against accidents,
not against someone with write access to the database (who can drop them): the hash chain is what detects that
(``govauto audit verify``).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from govauto.store.schema import JSONText, UTCDateTime, metadata

__all__ = ["APPEND_ONLY_MESSAGE", "audit_records"]

APPEND_ONLY_MESSAGE = "audit records are append-only: they are never updated or deleted"
"""The error the database raises when a statement tries to change or delete an audit record."""

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

