"""Lists a page at a time (issue 16): an index for each list's order, so that a page is read
from its place in an index (``drafts.keyset``) instead of sorting the whole table: the queue
(``ix_post_queue``; ``ix_post_channel_queue`` for one channel), the attempt log
(``ix_attempt_log``), the drafts (``ix_draft_changed``, ``ix_draft_status_changed``) and the
notification deliveries (``ix_notification_delivery_latest``,
``ix_notification_delivery_status_latest``). The indexes they extend (status alone, status and
due time) go: each new one begins with the same columns. Indexes only: no table is copied.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns)
ADDED = (
    ("ix_post_queue", "post", ["status", "due_at", "id"]),
    ("ix_post_channel_queue", "post", ["channel", "status", "due_at", "id"]),
    ("ix_attempt_log", "attempt", ["started_at", "id"]),
    ("ix_draft_changed", "draft", ["updated_at", "id"]),
    ("ix_draft_status_changed", "draft", ["status", "updated_at", "id"]),
    ("ix_notification_delivery_latest", "notification_delivery", ["created_at", "id"]),
    (
        "ix_notification_delivery_status_latest",
        "notification_delivery",
        ["status", "created_at", "id"],
    ),
)
# What the new ones replace: (name, table, columns), to put back on downgrade.
REPLACED = (
    ("ix_post_status_due_at", "post", ["status", "due_at"]),
    ("ix_draft_status", "draft", ["status"]),
    ("ix_notification_delivery_status", "notification_delivery", ["status"]),
)


def upgrade() -> None:
    for name, table, columns in ADDED:
        op.create_index(name, table, columns)
    for name, table, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    for name, table, _ in ADDED:
        op.drop_index(name, table_name=table)
