"""api tokens: the bearer tokens of the systems that send cases (their SHA-256, never a token)

The table `api_tokens` of `govauto.store.casework_schema`, for `POST /api/cases`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False,
                  comment="public id (tok_...): listed, named in the audit, revoked by"),
        sa.Column("name", sa.String(length=64), nullable=False,
                  comment="the client system the token is for, e.g. intake-portal"),
        sa.Column("token_hash", sa.String(length=64), nullable=False,
                  comment="SHA-256 (hex) of the token; never the token itself"),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True, comment="null: does not expire"),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True, comment="updated at most once a minute"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True, comment="null while the token is valid"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        comment="API tokens of integrators (govauto users token ...)",
    )
    op.create_index("ix_api_tokens_name", "api_tokens", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_api_tokens_name", table_name="api_tokens")
    op.drop_table("api_tokens")
