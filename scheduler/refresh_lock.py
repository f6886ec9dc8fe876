"""The refresh lock: which daemon is renewing a channel's token, and until when.

A rotating refresh token (X's, PLATFORMS.md §10.3) works once: two daemons that both send it get
one new token and one refusal. So a token is renewed only by the holder of the channel's
``refresh_lock`` row, taken by inserting the row or by replacing one whose ``until`` has passed
(its holder died or hung). Taking is one compare-and-set statement, an insert that on conflict
updates only ``WHERE until < now``: it returns the row when it won (on both databases; psycopg
reports no row count for it), on SQLite (which queues writers) and on PostgreSQL (which makes a
second taker wait for the first, then look again).

A lock is held for ``HOLD``, longer than a token request may take: the daemon gives up on a
request after ``[scheduler] request_timeout`` (30 s by default).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from drafts.models import RefreshLock

HOLD = timedelta(minutes=2)

lock_table = RefreshLock.__table__  # type: ignore[attr-defined]


def take(
    session: Session, *, channel: str, holder: str, now: datetime, hold: timedelta = HOLD
) -> bool:
    """Whether ``holder`` now holds ``channel``'s lock, until ``now + hold``: nobody held it,
    or its holder's time had run out. A holder does not take its own lock twice."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    row = {"channel": channel, "holder": holder, "until": now + hold}
    statement = (
        dialect.insert(lock_table)
        .values(row)
        .on_conflict_do_update(
            index_elements=[lock_table.c.channel],
            set_={"holder": holder, "until": now + hold},
            where=lock_table.c.until < now,
        )
        .returning(lock_table.c.holder)
    )
    return session.connection().execute(statement).first() is not None


def release(session: Session, *, channel: str, holder: str) -> None:
    """Let go of ``channel``'s lock, if ``holder`` still holds it (another daemon may have
    taken it over after ``HOLD``)."""
    c = lock_table.c
    session.connection().execute(delete(lock_table).where(c.channel == channel, c.holder == holder))
