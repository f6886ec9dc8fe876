"""The daemon's claim index holds only the posts waiting for their time (issue 16):
``ix_post_status_attempt_at`` keeps the scheduled and retrying posts
(``drafts.models.CLAIMABLE``), as 0025 did for the indexes of posts listed by when they
changed. It held every post: a claim moved each post it took to another place in it, and
each result moved it again (published, failed), so at a million posts the daemon wrote an
index of a million entries twice for each post it sent, almost all of them published posts
nobody reads from it. Now a claim takes its posts out and nothing writes them back but a
retry. A post in flight (publishing) whose lease ran out is found along ``ix_post_queue``,
which leads with the status: few posts are ever in flight. The queries read along it repeat
its condition as it is written here.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME, COLUMNS = "ix_post_status_attempt_at", ["status", "attempt_at"]
CLAIMABLE = "status IN ('scheduled', 'retrying')"


def upgrade() -> None:
    _index(sa.text(CLAIMABLE))


def downgrade() -> None:
    _index(None)


def _index(where: sa.TextClause | None) -> None:
    op.drop_index(NAME, table_name="post")
    op.create_index(NAME, "post", COLUMNS, sqlite_where=where, postgresql_where=where)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and sa.inspect(bind).has_table("sqlite_stat1"):
        op.execute("ANALYZE post")
