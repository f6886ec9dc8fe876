"""Notifications: users get an e-mail address, a timezone and the events they turned off; events
are recorded in the transaction that caused them (``notification_event``) and the daemon turns
each into one delivery per recipient (``notification_delivery``), retried until sent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import drafts.timestamps

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("muted_events", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "notification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.Column("fanned_out_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_notification_event_draft_id", "notification_event", ["draft_id"])
    op.create_index("ix_notification_event_fanned_out_at", "notification_event", ["fanned_out_at"])
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=True),
        sa.Column("created_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["notification_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "recipient"),
    )
    op.create_index("ix_notification_delivery_status", "notification_delivery", ["status"])
    op.create_index(
        "ix_notification_delivery_next_try_at", "notification_delivery", ["next_try_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_delivery_next_try_at", table_name="notification_delivery")
    op.drop_index("ix_notification_delivery_status", table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_index("ix_notification_event_fanned_out_at", table_name="notification_event")
    op.drop_index("ix_notification_event_draft_id", table_name="notification_event")
    op.drop_table("notification_event")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("muted_events")
        batch.drop_column("timezone")
        batch.drop_column("email")
