"""baseline: the tables of govauto 0.3.0

The jobs (jobs, job_events, job_artifacts, review_tasks), the audit trail (audit_records, with guards that refuse
UPDATE and DELETE, and on PostgreSQL TRUNCATE) and casework (case_versions, case_events, review_task_details,
task_events, users, user_groups).

The tables are written out here as they were in 0.3.0, not imported from govauto's schema modules, so that this
revision never changes when those do: ``baseline_metadata()`` is also what a database made by govauto 0.3.0
(``metadata.create_all``, no revision table) is checked against before it is stamped with this revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Column, ForeignKey, Index, Table

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "audit records are append-only: they are never updated or deleted"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def baseline_metadata() -> sa.MetaData:
    """The tables of govauto 0.3.0, with its naming convention (a fresh MetaData on each call)."""
    m = sa.MetaData(naming_convention=NAMING_CONVENTION)
    when = sa.DateTime(timezone=True)  # govauto's UTCDateTime
    json = sa.Text()  # govauto's JSONText

    jobs = Table(
        "jobs", m,
        Column("id", sa.String(32), primary_key=True, comment="J + time-ordered hex: sorts by creation"),
        Column("key", sa.String(255), nullable=False, unique=True, comment="idempotency key: one job per key, ever"),
        Column("robot", sa.String(100), nullable=False),
        Column("target", sa.String(100), nullable=False, comment="the target system: the concurrency group"),
        Column("case_id", sa.String(100), nullable=False),
        Column("payload", json, nullable=False),
        Column("status", sa.String(20), nullable=False),
        Column("priority", sa.Integer, nullable=False),
        Column("attempts", sa.Integer, nullable=False),
        Column("max_attempts", sa.Integer, nullable=False),
        Column("submit_uncertain", sa.Boolean, nullable=False,
               comment="a submission may have reached the target: the next attempt reconciles first"),
        Column("receipt", sa.String(255)),
        Column("reconciled", sa.Boolean, nullable=False),
        Column("error_kind", sa.String(100)),
        Column("error_message", sa.Text),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
        Column("started_at", when),
        Column("finished_at", when),
        Column("not_before", when),
        Column("lease_owner", sa.String(200)),
        Column("lease_expires_at", when),
        Column("cancel_requested", sa.Boolean, nullable=False),
    )
    Index("ix_jobs_status_priority", jobs.c.status, jobs.c.priority, jobs.c.created_at)
    Index("ix_jobs_target_status", jobs.c.target, jobs.c.status)
    Index("ix_jobs_case_id", jobs.c.case_id)

    Table(
        "job_events", m,
        Column("id", sa.Integer, primary_key=True, autoincrement=True),
        Column("job_id", sa.String(32), ForeignKey("jobs.id"), nullable=False, index=True),
        Column("ts", when, nullable=False),
        Column("event", sa.String(64), nullable=False),
        Column("attempt", sa.Integer, nullable=False),
        Column("detail", json, nullable=False),
        comment="append-only history of every job",
    )
    Table(
        "job_artifacts", m,
        Column("id", sa.Integer, primary_key=True, autoincrement=True),
        Column("job_id", sa.String(32), ForeignKey("jobs.id"), nullable=False, index=True),
        Column("attempt", sa.Integer, nullable=False),
        Column("kind", sa.String(20), nullable=False, comment="screenshot | html | trace | log | other"),
        Column("path", sa.Text, nullable=False),
        Column("bytes", sa.Integer),
        Column("created_at", when, nullable=False),
    )
    Table(
        "review_tasks", m,
        Column("id", sa.String(32), primary_key=True, comment="R + time-ordered hex"),
        Column("case_id", sa.String(100), nullable=False, index=True),
        Column("job_id", sa.String(32), ForeignKey("jobs.id"), index=True),
        Column("source", sa.String(50), nullable=False, comment='who asked for a person, e.g. "robot"'),
        Column("reason", sa.String(100), nullable=False, comment='e.g. "robot.business_error"'),
        Column("message", sa.Text, nullable=False),
        Column("detail", json, nullable=False),
        Column("status", sa.String(20), nullable=False, comment="open | closed"),
        Column("created_at", when, nullable=False),
    )

    audit_records = Table(
        "audit_records", m,
        Column("seq", sa.Integer, primary_key=True, autoincrement=False,
               comment="the chain order: 1, 2, 3 ... assigned under the write lock"),
        Column("id", sa.String(32), nullable=False, unique=True, comment="A + time-ordered hex"),
        Column("case_id", sa.String(100), comment="null for system events"),
        Column("case_version", sa.Integer, comment="the case's version the step worked on, when it has one"),
        Column("at", when, nullable=False),
        Column("actor", sa.String(200), nullable=False,
               comment="kind:name, e.g. user:zhang, robot:legacy_portal.establish"),
        Column("action", sa.String(100), nullable=False, comment="dotted lower-case id, e.g. review, robot_receipt"),
        Column("detail", json, nullable=False, comment="the facts the step used and produced (JSON object)"),
        Column("prev_hash", sa.String(64), nullable=False,
               comment="hash of the record with seq - 1; 64 zeros for seq 1"),
        Column("hash", sa.String(64), nullable=False,
               comment="SHA-256 (hex) of the canonical form of the other columns"),
        comment="append-only, hash-chained audit trail of every step of every case",
    )
    Index("ix_audit_records_case_id_seq", audit_records.c.case_id, audit_records.c.seq)

    case_versions = Table(
        "case_versions", m,
        Column("case_id", sa.String(100), primary_key=True),
        Column("version", sa.Integer, primary_key=True, autoincrement=False, comment="1, 2, 3 ... per case"),
        Column("matter", sa.String(100), nullable=False),
        Column("status", sa.String(20), nullable=False,
               comment="approved | referred | correcting | rejected | closed | superseded"),
        Column("case_data", json, nullable=False, comment="the validated case (its JSON form)"),
        Column("base_dir", sa.Text, nullable=False, comment="where the case's relative material paths start"),
        Column("extractions", json, nullable=False, comment="per material: document type, fields, provenance"),
        Column("machine_decision", json, nullable=False, comment="Decision.to_dict() of the machine review"),
        Column("machine_outcome", sa.String(20), nullable=False),
        Column("final_decision", json, comment="outcome, who decided and when; null until decided"),
        Column("created_by", sa.String(200), nullable=False),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
        comment="every version of every case; never deleted",
    )
    Index("ix_case_versions_status", case_versions.c.status)
    Index("ix_case_versions_matter", case_versions.c.matter)

    Table(
        "case_events", m,
        Column("id", sa.Integer, primary_key=True, autoincrement=True),
        Column("case_id", sa.String(100), nullable=False, index=True),
        Column("version", sa.Integer, nullable=False),
        Column("ts", when, nullable=False),
        Column("actor", sa.String(200), nullable=False),
        Column("event", sa.String(64), nullable=False, comment="intake | outcome | superseded"),
        Column("detail", json, nullable=False),
        comment="append-only history of case versions' status changes",
    )

    details = Table(
        "review_task_details", m,
        Column("task_id", sa.String(32), ForeignKey("review_tasks.id"), primary_key=True),
        Column("case_version", sa.Integer, comment="null for a robot's task (it concerns the case, not one version)"),
        Column("matter", sa.String(100)),
        Column("group_name", sa.String(100), nullable=False, comment="the reviewers' group that handles the task"),
        Column("state", sa.String(30), nullable=False,
               comment="open | claimed | assigned | awaiting_confirmation | decided (review_tasks.status: closed)"),
        Column("priority", sa.Integer, nullable=False, comment="higher first"),
        Column("assignee", sa.String(64)),
        Column("due_at", when, comment="end of the last working day of the time limit"),
        Column("sensitive", sa.Boolean, nullable=False, comment="every decision needs four-eyes"),
        Column("escalated", sa.Boolean, nullable=False),
        Column("reasons", json, nullable=False, comment="rule ids, extraction.low_confidence, robot.<kind>"),
        Column("findings", json, nullable=False, comment="the machine's findings, JSON contract"),
        Column("machine_outcome", sa.String(20)),
        Column("decision", json, comment="the reviewer's decision (HumanDecision), once made"),
        Column("decided_by", sa.String(64)),
        Column("decided_at", when),
        Column("confirmed_by", sa.String(64)),
        Column("confirmed_at", when),
        Column("updated_at", when, nullable=False),
        comment="the review queue's part of a review task (1:1 with review_tasks)",
    )
    Index("ix_review_task_details_state", details.c.state, details.c.group_name)
    Index("ix_review_task_details_assignee", details.c.assignee)
    Index("ix_review_task_details_due_at", details.c.due_at)

    Table(
        "task_events", m,
        Column("id", sa.Integer, primary_key=True, autoincrement=True),
        Column("task_id", sa.String(32), ForeignKey("review_tasks.id"), nullable=False, index=True),
        Column("ts", when, nullable=False),
        Column("actor", sa.String(200), nullable=False, comment="a user name, or system"),
        Column("event", sa.String(64), nullable=False),
        Column("detail", json, nullable=False),
        comment="append-only history of every review-task transition",
    )
    Table(
        "users", m,
        Column("username", sa.String(64), primary_key=True, comment="lower case"),
        Column("display_name", sa.String(200), nullable=False),
        Column("role", sa.String(20), nullable=False, comment="reviewer | supervisor | admin"),
        Column("password_hash", sa.Text, nullable=False, comment="argon2id (PHC string); never a password"),
        Column("active", sa.Boolean, nullable=False),
        Column("created_at", when, nullable=False),
        Column("updated_at", when, nullable=False),
        Column("password_changed_at", when, nullable=False),
    )
    user_groups = Table(
        "user_groups", m,
        Column("username", sa.String(64), ForeignKey("users.username"), primary_key=True),
        Column("group_name", sa.String(100), primary_key=True),
    )
    Index("ix_user_groups_group_name", user_groups.c.group_name)
    return m


_PG_GUARD_FUNCTION = "govauto_audit_records_append_only"
_GUARDS = (("audit_records_no_update", "UPDATE"), ("audit_records_no_delete", "DELETE"))


def create_guards(bind: sa.Connection) -> None:
    """Triggers that refuse changing or deleting audit records (idempotent: a 0.3.0 SQLite database has them).

    SQLite: ``RAISE(ABORT, ...)``; PostgreSQL: a function raising SQLSTATE 23000 (integrity constraint
    violation), fired before UPDATE and DELETE of any row and before TRUNCATE. Both reach Python as
    ``sqlalchemy.exc.IntegrityError`` with :data:`APPEND_ONLY_MESSAGE`.
    """
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for name, operation in _GUARDS:
            bind.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON audit_records "
                                 f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END")
    elif dialect == "postgresql":
        bind.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {_PG_GUARD_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END $$")
        for name, operation, scope in (*((n, o, "ROW") for n, o in _GUARDS),
                                       ("audit_records_no_truncate", "TRUNCATE", "STATEMENT")):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_records")
            bind.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE {operation} ON audit_records FOR EACH {scope} "
                                 f"EXECUTE FUNCTION {_PG_GUARD_FUNCTION}()")
    else:  # pragma: no cover - open_store refuses other databases
        raise NotImplementedError(f"no append-only guards for {dialect}")


def drop_guards(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        for name in (*(n for n, _ in _GUARDS), "audit_records_no_truncate"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_records")
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {_PG_GUARD_FUNCTION}()")
    else:
        for name, _ in _GUARDS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    bind = op.get_bind()
    baseline_metadata().create_all(bind, checkfirst=False)
    create_guards(bind)


def downgrade() -> None:
    bind = op.get_bind()
    drop_guards(bind)
    baseline_metadata().drop_all(bind, checkfirst=False)
