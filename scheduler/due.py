"""The daemon's questions about time: when something next becomes claimable (after its
channel's rate-limit window), and whether a drain must go on.

A part of a chain after the first (a thread's next part, the first comment) becomes claimable
only once the part before it is published (``chain_ready``): until then it waits, whatever its
time, and no cycle wakes for it.

Read-only Core statements, asked in every cycle of the daemon's loop (``Daemon._cycle``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlmodel import Session, col, select

from drafts.lifecycle import PostStatus
from drafts.models import ChannelState, Post

# Posts a claim may take once their time has come.
CLAIMABLE = (PostStatus.SCHEDULED, PostStatus.RETRYING)

_post = Post.__table__  # type: ignore[attr-defined]
_before = _post.alias("part_before")


def chain_ready() -> ColumnElement[bool]:
    """A post whose turn in its chain has come: the first part, or a part whose part before
    is published (one look-up along ``ux_post_key``)."""
    p, b = _post.c, _before.c
    return or_(
        p.part == 1,
        exists().where(
            b.draft_id == p.draft_id,
            b.channel == p.channel,
            b.language == p.language,
            b.occurrence == p.occurrence,
            b.part == p.part - 1,
            b.status == PostStatus.PUBLISHED,
        ),
    )


def next_wake(session: Session, *, now: datetime, holding: Collection[int] = ()) -> datetime | None:
    """When something next becomes claimable: a due or retry time (after its channel's
    rate-limit window), or a lease running out on a post this worker is not sending
    (``holding``)."""
    connection = session.connection()
    rows = connection.execute(
        select(Post.channel, func.min(Post.attempt_at))
        .where(col(Post.status).in_(CLAIMABLE), chain_ready())
        .group_by(col(Post.channel))
    ).all()
    windows: dict[str, datetime] = dict(
        connection.execute(
            select(ChannelState.channel, ChannelState.blocked_until).where(
                col(ChannelState.blocked_until) > now
            )
        ).all()
    )
    times = [max(at, windows.get(channel) or at) for channel, at in rows if at is not None]
    held_elsewhere = col(Post.status) == PostStatus.PUBLISHING
    if holding:
        held_elsewhere = and_(held_elsewhere, col(Post.id).not_in(holding))
    lease = connection.execute(select(func.min(Post.lease_until)).where(held_elsewhere)).scalar()
    if lease is not None:
        times.append(lease)
    return min(times, default=None)


def pending_work(session: Session, *, now: datetime) -> bool:
    """Whether a drain must go on: anything due now, any retry, any post in flight."""
    busy = (
        session.connection()
        .execute(
            select(Post.id)
            .where(
                or_(
                    and_(
                        col(Post.status) == PostStatus.SCHEDULED,
                        col(Post.attempt_at) <= now,
                        chain_ready(),
                    ),
                    col(Post.status).in_([PostStatus.RETRYING, PostStatus.PUBLISHING]),
                )
            )
            .limit(1)
        )
        .first()
    )
    return busy is not None
