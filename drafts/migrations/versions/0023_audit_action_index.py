"""The audit log read by action (issue 16): the daemon's last clean stop (``daemon.stop``,
the latest first: ``scheduler.heartbeat.last_stop``, read when no daemon is heard from) is
found among the stops in ``ix_audit_log_action`` (action, draft, id) instead of by reading the
log back from its end, past every entry of a million posts; and the inbox's submissions
(``draft.submit`` of the drafts in review) by action and draft. The draft is in the index
because SQLite, planning without statistics, takes an index of (action, id) for the inbox
too and reads every submission ever made. An index only: no table is copied.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action", "audit_log", ["action", "draft_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action", table_name="audit_log")
