"""What attempts came to is tallied as each ends (issue 16): ``attempt_tally`` counts them by
platform and outcome, ``lag_tally`` counts published posts by how late they went out, in the
buckets of ``scheduler.tallies.LAG_BUCKETS``. The metrics read these few rows, where each scrape
read every attempt ever made (1.9 s at a million posts on SQLite), and pruning attempts no
longer lowers a counter.

Both start from the attempts already stored, counted as the metrics counted them.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# scheduler.tallies.LAG_BUCKETS as this revision made them, each as lag_tally keys it
BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 21600.0)
INFINITY = "+Inf"
# Seconds from a published post's due time to the end of its attempt, 0 if it was earlier. On
# SQLite (times stored as 'YYYY-MM-DD HH:MM:SS.ffffff') the whole seconds and their fractions
# are subtracted apart, each read from its own part of the text: julianday's days in a double
# are off by some 20 µs, seconds since 1970 plus a fraction by some 0.2 µs, and strftime keeps
# milliseconds, so 09:00:05.999999 is 6 s past 09:00 to it. Any of these would move a post
# late by exactly a bucket's bound, or by a microsecond less, into the bucket above.
_WHOLE, _FRACTION = (
    "CAST(strftime('%s', substr({}, 1, 19)) AS INTEGER)",
    "CAST(substr({}, 20) AS REAL)",
)
_SQLITE_LATE = " + ".join(
    f"({part.format('a.finished_at')} - {part.format('p.due_at')})" for part in (_WHOLE, _FRACTION)
)
LATE = {
    "sqlite": f"max({_SQLITE_LATE}, 0.0)",
    "postgresql": "greatest(extract(epoch from a.finished_at - p.due_at), 0.0)",
}


def upgrade() -> None:
    op.create_table(
        "attempt_tally",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("outcome", sa.String(16), primary_key=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "lag_tally",
        sa.Column("le", sa.String(16), primary_key=True),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
    )
    op.execute(
        "INSERT INTO attempt_tally (platform, outcome, attempts)"
        " SELECT p.platform, a.outcome, count(*) FROM attempt a JOIN post p ON p.id = a.post_id"
        " WHERE a.outcome IS NOT NULL GROUP BY p.platform, a.outcome"
    )
    bucket = " ".join(f"WHEN late <= {bound!r} THEN '{bound!r}'" for bound in BUCKETS)
    op.execute(
        f"INSERT INTO lag_tally (le, posts, seconds)"
        f" SELECT bucket, count(*), sum(late) FROM ("
        f"  SELECT CASE {bucket} ELSE '{INFINITY}' END AS bucket, late FROM ("
        f"   SELECT {LATE[op.get_bind().dialect.name]} AS late"
        f"   FROM attempt a JOIN post p ON p.id = a.post_id"
        f"   WHERE a.outcome = 'published' AND p.due_at IS NOT NULL"
        f"   AND a.finished_at IS NOT NULL) AS lates) AS buckets"
        f" GROUP BY bucket"
    )


def downgrade() -> None:
    op.drop_table("lag_tally")
    op.drop_table("attempt_tally")
