"""A post points at its variant by its draft and language, not by the variant's id (issue 16).

``post.variant_id`` said again what ``(draft_id, language)`` says: a post's variant is its
draft's in its language. Its index, ``ix_post_variant_id``, was there only so that deleting a
variant found its posts, yet PostgreSQL wrote it each time a post moved (a status change is
never a heap-only update): a claim of 100 posts among 10,000 took 13.0 ms with it and 10.6 ms
without, the same each time a batch of results moved its posts. The foreign key is now
``fk_post_variant``, ``(draft_id, language)`` to the variant's unique pair: deleting a variant
finds its posts along ``ux_post_key``, which leads with the draft, and it also holds what the
id could not: that a post's variant is one of its own draft's.

On SQLite dropping the column copies the post table (as 0027 did), and its statistics are taken
again where someone took them; on PostgreSQL the new key is checked against every post once.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY, COLUMNS = "fk_post_variant", ["draft_id", "language"]
OLD_KEY, OLD_INDEX = "post_variant_id_fkey", "ix_post_variant_id"
VARIANT_ID = (
    "UPDATE post SET variant_id = (SELECT v.id FROM variant v"
    " WHERE v.draft_id = post.draft_id AND v.language = post.language)"
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("post") as batch:
        batch.drop_index(OLD_INDEX)
        if not sqlite:  # SQLite's is unnamed: the copy leaves it out with its column
            batch.drop_constraint(OLD_KEY, type_="foreignkey")
        batch.drop_column("variant_id")
        batch.create_foreign_key(KEY, "variant", COLUMNS, COLUMNS, ondelete="CASCADE")
    _statistics_again()


def downgrade() -> None:
    op.add_column("post", sa.Column("variant_id", sa.Integer(), nullable=True))
    op.execute(VARIANT_ID)
    with op.batch_alter_table("post") as batch:
        batch.drop_constraint(KEY, type_="foreignkey")
        batch.alter_column("variant_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(OLD_KEY, "variant", ["variant_id"], ["id"], ondelete="CASCADE")
        batch.create_index(OLD_INDEX, ["variant_id"])
    _statistics_again()


def _statistics_again() -> None:
    """SQLite's statistics of the post table's indexes, where someone took them: the copy
    made them anew without (as 0027)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and sa.inspect(bind).has_table("sqlite_stat1"):
        op.execute("ANALYZE post")
