"""Images: the media store, each platform's version of an image, the images each post sends,
and the image limits a platform reported.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import drafts.timestamps

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", drafts.timestamps.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "media_variant",
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source_sha256", "profile"),
    )
    op.create_table(
        "post_media",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "position"),
    )
    op.create_index("ix_post_media_sha256", "post_media", ["sha256"])
    with op.batch_alter_table("channel_state") as batch_op:
        batch_op.add_column(sa.Column("media_limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_state") as batch_op:
        batch_op.drop_column("media_limits")
    op.drop_index("ix_post_media_sha256", table_name="post_media")
    op.drop_table("post_media")
    op.drop_table("media_variant")
    op.drop_table("media_blob")
