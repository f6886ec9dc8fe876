"""A variant keeps the texts some channels send instead of the draft's in its language
(``channel_texts``, by channel id: a draft file's ``[channel_text.<channel id>]``). Variants
stored before this revision have none.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel_texts", sa.JSON(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_column("channel_texts")
