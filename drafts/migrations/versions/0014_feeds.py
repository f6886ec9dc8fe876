"""Planning at volume: each user's calendar feed token (``user.feed_token_hash``, a SHA-256),
and the news feeds the daemon reads (``news_feed``: validators and the last problem) with the
items already turned into drafts (``news_feed_item``, one per GUID).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import drafts.timestamps

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A column and a unique index: no constraint, which SQLite could only add by copying the
    # table that every draft, review and session refers to.
    op.add_column("user", sa.Column("feed_token_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_user_feed_token_hash", "user", ["feed_token_hash"], unique=True)
    op.create_table(
        "news_feed",
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("checked_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("url_hash"),
    )
    op.create_table(
        "news_feed_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("guid_hash", sa.String(length=64), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("created_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url_hash", "guid_hash"),
    )


def downgrade() -> None:
    op.drop_table("news_feed_item")
    op.drop_table("news_feed")
    op.drop_index("ix_user_feed_token_hash", table_name="user")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("feed_token_hash")
