"""Event hooks (``[[hooks]]``): a notification delivery to a hook keeps the hook's URL
(``notification_delivery.hook_url``), so the outbox knows where it goes and the Notifications
page can name its host; null for an e-mail or a chat message.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: added in place on SQLite too, without copying the table.
    op.add_column("notification_delivery", sa.Column("hook_url", sa.String(length=2000)))


def downgrade() -> None:
    with op.batch_alter_table("notification_delivery") as batch:
        batch.drop_column("hook_url")
