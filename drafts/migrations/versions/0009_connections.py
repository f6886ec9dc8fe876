"""Connected accounts: who connected each channel and what it posts as (``connection``),
connect flows in progress (``oauth_state``), and the lock that lets one daemon at a time spend
a rotating refresh token (``refresh_lock``). X's renewed tokens move to the vault kinds every
platform now shares (``token`` and ``refresh``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import drafts.timestamps

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (("x_access", "token"), ("x_refresh", "refresh"))


def _when(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, drafts.timestamps.AwareDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("account_name", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("connected_by", sa.String(length=64), nullable=False),
        _when("connected_at", nullable=False),
        _when("expires_at", nullable=True),
        _when("refresh_expires_at", nullable=True),
        _when("refreshed_at", nullable=True),
        _when("refresh_failed_at", nullable=True),
        sa.Column("refresh_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "oauth_state",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("verifier", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    op.create_index("ix_oauth_state_expires_at", "oauth_state", ["expires_at"])
    op.create_table(
        "refresh_lock",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        _when("until", nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    for old, new in _KINDS:
        op.execute(sa.text(f"UPDATE credential SET kind = '{new}' WHERE kind = '{old}'"))


def downgrade() -> None:
    for old, new in _KINDS:
        op.execute(sa.text(f"UPDATE credential SET kind = '{old}' WHERE kind = '{new}'"))
    op.drop_table("refresh_lock")
    op.drop_index("ix_oauth_state_expires_at", table_name="oauth_state")
    op.drop_table("oauth_state")
    op.drop_table("connection")
