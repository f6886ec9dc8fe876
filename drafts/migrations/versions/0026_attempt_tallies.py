"""What attempts came to is tallied as each ends (issue 16): ``attempt_tally`` counts them by
platform, outcome and, for a published post whose due time was known, the bucket of
``scheduler.tallies.LAG_BUCKETS`` its lateness fell in. The metrics read these few rows, where
each scrape read every attempt ever made (1.9 s at a million posts on SQLite, 3.2 s on
PostgreSQL), and pruning attempts no longer lowers a counter.

It starts from the attempts already stored, counted as the metrics counted them.

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

# scheduler.tallies.LAG_BUCKETS as this revision made them, each as attempt_tally keys it
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
        sa.Column("lag_bucket", sa.String(16), primary_key=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("late_seconds", sa.Float(), nullable=False),
    )
    late = LATE[op.get_bind().dialect.name]
    counted = "a.outcome = 'published' AND p.due_at IS NOT NULL AND a.finished_at IS NOT NULL"
    buckets = " ".join(f"WHEN late <= {bound!r} THEN '{bound!r}'" for bound in BUCKETS)
    op.execute(
        f"INSERT INTO attempt_tally (platform, outcome, lag_bucket, attempts, late_seconds)"
        f" SELECT platform, outcome, lag_bucket, count(*), coalesce(sum(late), 0.0) FROM ("
        f"  SELECT platform, outcome, late,"
        f"   CASE WHEN late IS NULL THEN '' {buckets} ELSE '{INFINITY}' END AS lag_bucket"
        f"  FROM ("
        f"   SELECT p.platform, a.outcome, CASE WHEN {counted} THEN {late} END AS late"
        f"   FROM attempt a JOIN post p ON p.id = a.post_id WHERE a.outcome IS NOT NULL"
        f"  ) AS ended"
        f" ) AS bucketed GROUP BY platform, outcome, lag_bucket"
    )


def downgrade() -> None:
    op.drop_table("attempt_tally")
