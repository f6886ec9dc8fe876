"""Indexes on the columns that point at a draft or a variant, and on the image an author gave:
deleting a draft (``tidings prune``) or a variant (an edit) found the rows pointing at it by
reading their whole table, so pruning grew with the square of the database (24,000 posts:
137 s on SQLite, 1.4 s with these).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_post_variant_id", "post", ["variant_id"]),
    ("ix_review_draft_id", "review", ["draft_id"]),
    ("ix_news_feed_item_draft_id", "news_feed_item", ["draft_id"]),
    ("ix_post_media_original_sha256", "post_media", ["original_sha256"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
