"""Recurring posts: a draft's ``repeat`` rule (an RFC 5545 RRULE) and each post's
``occurrence`` (1 for a draft that does not repeat). A post is then one per draft, channel,
language and occurrence: the table's unique constraint becomes a unique index
(``ux_post_key``), which later changes can drop and recreate without copying the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = ["draft_id", "channel", "language"]
# SQLite reflects the constraint unnamed; the convention names it so the copy can leave it out.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
CONVENTION_NAME = "uq_post_draft_id_channel_language"
POSTGRES_NAME = "post_draft_id_channel_language_key"


def upgrade() -> None:
    op.add_column("draft", sa.Column("repeat", sa.String(length=500), nullable=True))
    op.add_column("post", sa.Column("occurrence", sa.Integer(), nullable=False, server_default="1"))
    _drop_old_key()  # on SQLite a copy of the table: Database.migrate turns foreign keys off
    op.create_index("ux_post_key", "post", [*OLD_KEY, "occurrence"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_post_key", table_name="post")
    with op.batch_alter_table("post") as batch_op:
        batch_op.create_unique_constraint(POSTGRES_NAME, OLD_KEY)
        batch_op.drop_column("occurrence")
    op.drop_column("draft", "repeat")


def _drop_old_key() -> None:
    """Drop the (draft, channel, language) constraint: PostgreSQL named it, SQLite did not
    (the naming convention names it for the batch copy, which leaves it out)."""
    (name,) = [
        unique["name"] or CONVENTION_NAME
        for unique in sa.inspect(op.get_bind()).get_unique_constraints("post")
        if unique["column_names"] == OLD_KEY
    ]
    with op.batch_alter_table("post", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(name, type_="unique")
