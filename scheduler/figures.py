"""The figures operators watch, read from the database when asked: posts by status, attempts by
platform and outcome, how late posts went out, how many are late now, when each connected
credential expires, how many notifications wait, and which daemon reported in last.

They are read at the moment they are asked for (a Prometheus scrape, ``/readyz``, the Channels
page), never counted in a process: the database is the one record every process shares, so
the figures survive restarts and every process (each daemon, each web server) reports the same.
What attempts came to, and how late, is read from the tallies kept as each attempt ended
(``scheduler.tallies``), not from the attempts, which grow without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, union_all
from sqlmodel import Session, col, select

from drafts.lifecycle import UPCOMING_POST_STATUSES, PostStatus
from drafts.models import (
    CLAIMABLE,
    LISTED_BY_CHANGE,
    AttemptTally,
    Connection,
    DaemonHeartbeat,
    NotificationDelivery,
    Post,
    claimable,
    listed_by_change,
    written_out,
)
from scheduler.tallies import LAG_BUCKETS, NO_LAG

NOTIFICATION_PENDING = "pending"  # a notification_delivery waiting to be sent (or sent again)


def posts_by_status(session: Session) -> dict[str, int]:
    """How many posts are in each status; every status is named, with 0 when none is in it.

    The published, most posts by far once a network has run a while, are never counted one by
    one: they are all posts but the rest. ``count(*)`` of the whole table is the cheapest count
    there is (PostgreSQL reads its narrowest index; SQLite counts a b-tree's entries page by
    page without reading them), and the rest are few: each group is counted along the index
    that holds it, its condition written out (``drafts.models.written_out``): failed and
    needing attention along ``ix_post_status_changed``, the waiting along the claim index, the
    others along ``ix_post_queue``, all counts of one moment. At a million posts, counting the
    published along their index took 78 ms on PostgreSQL; the gauge went from 97 to 56 ms on
    PostgreSQL and from 86 to 16 ms on SQLite."""
    status = col(Post.status)
    changed = tuple(s for s in LISTED_BY_CHANGE if s != PostStatus.PUBLISHED)
    rest = tuple(s for s in PostStatus if s not in (*LISTED_BY_CHANGE, *CLAIMABLE))
    groups = [
        and_(listed_by_change(status), written_out(status, changed)),
        claimable(status),
        written_out(status, rest),
    ]
    every = select(func.count()).select_from(Post)
    counted = [select(status, func.count()).where(g).group_by(status) for g in groups]
    connection = session.connection()
    if connection.dialect.name == "sqlite":  # its fast count is of a statement that is only
        # that; the transaction (drafts.storage begins one) reads both at one moment
        total = connection.execute(every).scalar_one()
        rows = connection.execute(union_all(*counted)).all()
    else:  # one statement: one moment
        named = select(literal(_EVERY_POST), func.count()).select_from(Post)
        rows = connection.execute(union_all(named, *counted)).all()
        total = next(n for status, n in rows if status == _EVERY_POST)
    counts = dict.fromkeys(map(str, PostStatus), 0)
    counts.update((status, n) for status, n in rows if status != _EVERY_POST)
    counts[PostStatus.PUBLISHED] = total - sum(counts.values())
    return counts


_EVERY_POST = ""  # posts_by_status' row of every post on PostgreSQL: no status is empty


def attempts_by_outcome(session: Session) -> dict[tuple[str, str], int]:
    """How many attempts have ended, by (platform, outcome), as tallied when each ended
    (``scheduler.tallies``); attempts in flight are not counted yet."""
    by = (col(AttemptTally.platform), col(AttemptTally.outcome))
    rows = session.connection().execute(
        select(*by, func.sum(col(AttemptTally.attempts))).group_by(*by)
    )
    return {(platform, outcome): int(attempts) for platform, outcome, attempts in rows}


@dataclass(frozen=True)
class LagCounts:
    """Published posts counted by how late they went out (due → the platform's answer):
    ``below[i]`` posts were at most ``bounds[i]`` seconds late, ``count`` in all, ``total``
    seconds of lateness between them. A post sent before its due time counts as 0 s late."""

    bounds: tuple[float, ...]
    below: tuple[int, ...]
    count: int
    total: float


def publish_lags(session: Session) -> LagCounts:
    """Every published post's lateness, as tallied in ``LAG_BUCKETS`` when each was published."""
    bucket = col(AttemptTally.lag_bucket)
    rows = session.connection().execute(
        select(
            bucket, func.sum(col(AttemptTally.attempts)), func.sum(col(AttemptTally.late_seconds))
        )
        .where(bucket != NO_LAG)
        .group_by(bucket)
    )
    tallied = [(float(bucket), int(posts), float(seconds)) for bucket, posts, seconds in rows]
    below = tuple(sum(posts for le, posts, _ in tallied if le <= bound) for bound in LAG_BUCKETS)
    count = sum(posts for _, posts, _ in tallied)
    return LagCounts(LAG_BUCKETS, below, count, sum(seconds for *_, seconds in tallied))


def queue_depth(session: Session, now: datetime) -> int:
    """Posts whose due time has come and that are not out yet (scheduled, retrying, or being
    sent): zero on a daemon that keeps up."""
    return int(
        session.connection()
        .execute(
            select(func.count()).where(
                col(Post.status).in_(UPCOMING_POST_STATUSES), col(Post.due_at) <= now
            )
        )
        .scalar_one()
    )


def credential_expiry(session: Session, now: datetime) -> dict[str, float]:
    """Seconds until each connected channel's token expires (negative once it has), for the
    channels whose token expires at all."""
    rows = session.connection().execute(
        select(Connection.channel, Connection.expires_at).where(
            col(Connection.expires_at).is_not(None)
        )
    )
    return {channel: (expires_at - now).total_seconds() for channel, expires_at in rows}


def notifications_pending(session: Session) -> int:
    """Notification deliveries not sent yet and not given up on."""
    return int(
        session.connection()
        .execute(
            select(func.count()).where(col(NotificationDelivery.status) == NOTIFICATION_PENDING)
        )
        .scalar_one()
    )


@dataclass(frozen=True)
class LastSeen:
    """The daemon that reported in most recently: its worker name (host:pid) and when."""

    worker: str
    beat_at: datetime


def daemon_last_seen(session: Session) -> LastSeen | None:
    """The latest heartbeat of any daemon, or None when none has reported in (or every daemon
    stopped cleanly, which removes its row)."""
    row = (
        session.connection()
        .execute(
            select(DaemonHeartbeat.worker, DaemonHeartbeat.beat_at)
            .order_by(col(DaemonHeartbeat.beat_at).desc())
            .limit(1)
        )
        .first()
    )
    return LastSeen(row[0], row[1]) if row is not None else None
