"""Daemon heartbeats: each running daemon's latest sign of life, so that a dead daemon's posts
are taken over within seconds instead of a long lease.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import drafts.timestamps

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daemon_heartbeat",
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host_key", sa.String(length=64), nullable=False),
        sa.Column("started_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )


def downgrade() -> None:
    op.drop_table("daemon_heartbeat")
