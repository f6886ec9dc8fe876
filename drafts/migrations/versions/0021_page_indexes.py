"""Pages that cost the same however many posts are stored (issue 16): the desk's "published
this week" reads the week's published posts (``ix_post_status_changed``: status, then when a
post last changed), not every published post; the desk's status groups read the author's own
drafts (``ix_draft_author_status``), not every author's; the Channels page finds each
channel's latest published post at the head of ``ix_post_channel_changed`` and its last error
among the attempts that did not publish (``ix_attempt_unpublished``, a partial index of the
few), instead of grouping the whole attempt table. Indexes only: no table is copied.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns)
INDEXES = (
    ("ix_post_status_changed", "post", ["status", "updated_at", "id"]),
    ("ix_post_channel_changed", "post", ["channel", "status", "updated_at", "id"]),
    ("ix_draft_author_status", "draft", ["author_id", "status", "id"]),
)
# Only the attempts that ended without publishing: an index of the few, so that a query of the
# published ones never takes it for theirs.
UNPUBLISHED = "ix_attempt_unpublished"
UNPUBLISHED_WHERE = "outcome != 'published'"


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index(
        UNPUBLISHED,
        "attempt",
        ["id"],
        sqlite_where=sa.text(UNPUBLISHED_WHERE),
        postgresql_where=sa.text(UNPUBLISHED_WHERE),
    )


def downgrade() -> None:
    op.drop_index(UNPUBLISHED, table_name="attempt")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
