"""The database schema: SQLAlchemy Core tables in one :data:`metadata`.

Only portable column types are used, so that the same schema runs on SQLite (the embedded default) and on
PostgreSQL: strings, text, integers, booleans, :class:`UTCDateTime` (an aware UTC ``datetime`` in Python; a naive
UTC timestamp on SQLite, ``timestamp with time zone`` elsewhere) and :class:`JSONText` (JSON kept as text).
Constraint names follow :data:`NAMING_CONVENTION` so that migrations can refer to them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ARTIFACT_KINDS",
    "NAMING_CONVENTION",
    "JSONText",
    "UTCDateTime",
    "job_artifacts",
    "job_events",
    "jobs",
    "metadata",
    "review_tasks",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ARTIFACT_KINDS = ("screenshot", "html", "trace", "log", "other")
"""The kinds of file a job attempt can leave behind."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware ``datetime``, stored as UTC.

    Naive datetimes are refused (their zone is unknown). SQLite has no timestamp type: values are stored as naive
    UTC text of fixed width, so ``<`` and ``>`` in SQL compare them correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a {type(value).__name__} cannot be stored as JSON: convert it to a string, number, list or "
                    "mapping first")


def dumps(value: Any) -> str:
    """JSON text as the store writes it (UTF-8 characters kept, dates as ISO 8601 strings)."""
    return json.dumps(value, ensure_ascii=False, default=_json_default, separators=(",", ":"))


class JSONText(TypeDecorator[Any]):
    """A JSON value kept as text (portable; a later migration may switch PostgreSQL to ``jsonb``).

    Dates and datetimes are written as ISO 8601 strings, paths as strings, tuples and sets as lists.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


metadata = MetaData(naming_convention=NAMING_CONVENTION)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True, comment="J + time-ordered hex: sorts by creation"),
    Column("key", String(255), nullable=False, unique=True, comment="idempotency key: one job per key, ever"),
    Column("robot", String(100), nullable=False),
    Column("target", String(100), nullable=False, comment="the target system: the concurrency group"),
    Column("case_id", String(100), nullable=False),
    Column("payload", JSONText, nullable=False),
    Column("status", String(20), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=3),
    Column("submit_uncertain", Boolean, nullable=False, default=False,
           comment="a submission may have reached the target: the next attempt reconciles first"),
    Column("receipt", String(255)),
    Column("reconciled", Boolean, nullable=False, default=False),
    Column("error_kind", String(100)),
    Column("error_message", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("not_before", UTCDateTime),
    Column("lease_owner", String(200)),
    Column("lease_expires_at", UTCDateTime),
    Column("cancel_requested", Boolean, nullable=False, default=False),
)
Index("ix_jobs_status_priority", jobs.c.status, jobs.c.priority, jobs.c.created_at)
Index("ix_jobs_target_status", jobs.c.target, jobs.c.status)
Index("ix_jobs_case_id", jobs.c.case_id)

job_events = Table(
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("ts", UTCDateTime, nullable=False),
    Column("event", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("detail", JSONText, nullable=False),
    comment="append-only history of every job",
)

job_artifacts = Table(
    "job_artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("kind", String(20), nullable=False, comment="screenshot | html | trace | log | other"),
    Column("path", Text, nullable=False),
    Column("bytes", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

review_tasks = Table(
    "review_tasks",
    metadata,
    Column("id", String(32), primary_key=True, comment="R + time-ordered hex"),
    Column("case_id", String(100), nullable=False, index=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), index=True),
    Column("source", String(50), nullable=False, comment='who asked for a person, e.g. "robot"'),
    Column("reason", String(100), nullable=False, comment='e.g. "robot.business_error"'),
    Column("message", Text, nullable=False),
    Column("detail", JSONText, nullable=False),
    Column("status", String(20), nullable=False, comment="open | closed"),
    Column("created_at", UTCDateTime, nullable=False),
)
