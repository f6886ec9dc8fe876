"""A connection says whether the vault holds a refresh token for it (``has_refresh_token``):
LinkedIn grants one only to some apps, and without one a token that expires before a post is
due cannot be renewed. Connections made before this revision get it from the vault's rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("has_refresh_token", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        sa.text(
            "UPDATE connection SET has_refresh_token = true WHERE channel IN "
            "(SELECT channel FROM credential WHERE kind = 'refresh')"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_column("has_refresh_token")
