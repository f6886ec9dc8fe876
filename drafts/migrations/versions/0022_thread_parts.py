"""Threads and first comments (issue 11): a post becomes one part of a chain. ``part`` numbers
it within its chain (1 for a plain post), ``parts`` says how many parts the thread has (a
first comment is the part after the last, ``parts + 1``). The part joins the post's key
(``ux_post_key``), recreated as an index: no table is copied.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["draft_id", "channel", "language", "occurrence"]


def upgrade() -> None:
    op.add_column("post", sa.Column("part", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("post", sa.Column("parts", sa.Integer(), nullable=False, server_default="1"))
    op.drop_index("ux_post_key", table_name="post")
    op.create_index("ux_post_key", "post", [*KEY, "part"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_post_key", table_name="post")
    op.execute("DELETE FROM post WHERE part != 1")
    op.create_index("ux_post_key", "post", KEY, unique=True)
    with op.batch_alter_table("post") as batch:
        batch.drop_column("parts")
        batch.drop_column("part")
