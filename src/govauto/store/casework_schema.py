"""Casework tables (see :mod:`govauto.casework`): case versions, review-task details and events, accounts.

- ``case_versions``: one row per version of a case (a resubmission after 补正 is the next version; earlier
  versions are kept): the validated case, what was read from its materials, the machine's decision, the status
  and the final decision. ``case_events`` is the append-only history of their status changes.
- ``review_task_details``: what the review queue adds to a row of ``review_tasks`` (one row each, same id):
  group, assignee, due time, priority, four-eyes state, the decision. ``review_tasks`` itself is unchanged, so
  robot jobs keep writing it as before and a database created by an earlier version needs no migration. The
  queue adds the missing details row of a robot's task the first time it reads it.
- ``task_events``: the append-only history of every task transition (who, when, what).
- ``users`` and ``user_groups``: reviewer accounts (argon2id password hashes only, never a password) and the
  groups each one reviews for.
- ``api_tokens``: the bearer tokens of the systems that send cases to ``POST /api/cases`` (SHA-256 of each token
  only, never a token).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from govauto.store.schema import JSONText, UTCDateTime, metadata

__all__ = ["api_tokens", "case_events", "case_versions", "review_task_details", "task_events", "user_groups",
           "users"]

case_versions = Table(
    "case_versions",
    metadata,
    Column("case_id", String(100), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False, comment="1, 2, 3 ... per case"),
    Column("matter", String(100), nullable=False),
    Column("status", String(20), nullable=False,
           comment="approved | referred | correcting | rejected | closed | superseded"),
    Column("case_data", JSONText, nullable=False, comment="the validated case (its JSON form)"),
    Column("base_dir", Text, nullable=False, comment="where the case's relative material paths start"),
    Column("extractions", JSONText, nullable=False, comment="per material: document type, fields, provenance"),
    Column("machine_decision", JSONText, nullable=False, comment="Decision.to_dict() of the machine review"),
    Column("machine_outcome", String(20), nullable=False),
    Column("final_decision", JSONText, comment="outcome, who decided and when; null until decided"),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    comment="every version of every case; never deleted",
)
Index("ix_case_versions_status", case_versions.c.status)
Index("ix_case_versions_matter", case_versions.c.matter)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(100), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("ts", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("event", String(64), nullable=False, comment="intake | outcome | superseded"),
    Column("detail", JSONText, nullable=False),
    comment="append-only history of case versions' status changes",
)

review_task_details = Table(
    "review_task_details",
    metadata,
    Column("task_id", String(32), ForeignKey("review_tasks.id"), primary_key=True),
    Column("case_version", Integer, comment="null for a robot's task (it concerns the case, not one version)"),
    Column("matter", String(100)),
    Column("group_name", String(100), nullable=False, comment="the reviewers' group that handles the task"),
    Column("state", String(30), nullable=False,
           comment="open | claimed | assigned | awaiting_confirmation | decided (review_tasks.status: closed)"),
    Column("priority", Integer, nullable=False, default=0, comment="higher first"),
    Column("assignee", String(64)),
    Column("due_at", UTCDateTime, comment="end of the last working day of the time limit"),
    Column("sensitive", Boolean, nullable=False, default=False, comment="every decision needs four-eyes"),
    Column("escalated", Boolean, nullable=False, default=False),
    Column("reasons", JSONText, nullable=False, comment="rule ids, extraction.low_confidence, robot.<kind>"),
    Column("findings", JSONText, nullable=False, comment="the machine's findings, JSON contract"),
    Column("machine_outcome", String(20)),
    Column("decision", JSONText, comment="the reviewer's decision (HumanDecision), once made"),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("confirmed_by", String(64)),
    Column("confirmed_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    comment="the review queue's part of a review task (1:1 with review_tasks)",
)
Index("ix_review_task_details_state", review_task_details.c.state, review_task_details.c.group_name)
Index("ix_review_task_details_assignee", review_task_details.c.assignee)
Index("ix_review_task_details_due_at", review_task_details.c.due_at)

task_events = Table(
    "task_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(32), ForeignKey("review_tasks.id"), nullable=False, index=True),
    Column("ts", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False, comment="a user name, or system"),
    Column("event", String(64), nullable=False),
    Column("detail", JSONText, nullable=False),
    comment="append-only history of every review-task transition",
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True, comment="lower case"),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False, comment="reviewer | supervisor | admin"),
    Column("password_hash", Text, nullable=False, comment="argon2id (PHC string); never a password"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
)

user_groups = Table(
    "user_groups",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), primary_key=True),
    Column("group_name", String(100), primary_key=True),
)
Index("ix_user_groups_group_name", user_groups.c.group_name)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True, comment="public id (tok_...): listed, named in the audit, revoked by"),
    Column("name", String(64), nullable=False, comment="the client system the token is for, e.g. intake-portal"),
    Column("token_hash", String(64), nullable=False, unique=True,
           comment="SHA-256 (hex) of the token; never the token itself"),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, comment="null: does not expire"),
    Column("last_used_at", UTCDateTime, comment="updated at most once a minute"),
    Column("revoked_at", UTCDateTime, comment="null while the token is valid"),
    comment="API tokens of integrators (govauto users token ...)",
)
Index("ix_api_tokens_name", api_tokens.c.name)
