"""Channel state remembers the text limits a platform reported (a Mastodon instance's own).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_state", schema=None) as batch_op:
        batch_op.drop_column("text_limits")
