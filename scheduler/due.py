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
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    true,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from drafts.lifecycle import PostStatus
from drafts.models import CLAIMABLE, ChannelState, Post, claimable, publishing
from drafts.row_batches import one_of
from drafts.timestamps import AwareDateTime

_post = Post.__table__  # type: ignore[attr-defined]
_before = _post.alias("part_before")
_channel_state = ChannelState.__table__  # type: ignore[attr-defined]


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
    (``holding``).

    Two statements, each reading a few rows however many posts are stored: the channels in a
    rate-limit window (a few), each with its first ready post; then the first ready post of
    every other channel for each claimable status (``ix_post_status_attempt_at`` read in
    order from the earliest, stopping at the first ready row: a part waiting for the part
    before it is passed over, so it never wakes the daemon) and the first lease running out.
    Both are built once (``_windows``, ``_firsts``): only their values change per cycle.
    """
    connection = session.connection()
    windows = connection.execute(_WINDOWS, {"now": now}).all()
    times: list[datetime] = [
        max(window, first)  # nothing is claimed for the channel before its window ends
        for _, window, first in windows
        if first is not None
    ]
    values: dict[str, Any] = {
        "blocked": [channel for channel, _, _ in windows],
        "holding": list(holding),
    }
    postgres = connection.dialect.name == "postgresql"
    found = connection.execute(_firsts(postgres, bool(windows), bool(holding)), values).one()
    times += [at for at in found if at is not None]
    return min(times, default=None)


def _windows() -> Select[Any]:
    """The channels in a rate-limit window at ``:now``, each with its first ready post's time."""
    p, state = _post.c, _channel_state.c
    # Not ``claimable``: with the claim index's condition written out, SQLite read the
    # channel's first post along that index, which holds every channel's waiting posts; as
    # parameters, along ix_post_channel_queue, the channel's own.
    first_of_channel = (
        core_select(func.min(p.attempt_at))
        .where(p.channel == state.channel, p.status.in_(CLAIMABLE), chain_ready())
        .scalar_subquery()
    )
    return core_select(state.channel, state.blocked_until, first_of_channel).where(
        state.blocked_until > bindparam("now", type_=AwareDateTime)
    )


_WINDOWS = _windows()


@cache
def _firsts(postgres: bool, blocked: bool, holding: bool) -> Select[Any]:
    """The first ready post's time of each claimable status outside the channels ``:blocked``,
    and the first lease running out of a post outside ``:holding`` (each list one array on
    PostgreSQL: ``drafts.row_batches.one_of``)."""
    p = _post.c
    others = not_(one_of(p.channel, "blocked", String(), postgres)) if blocked else true()
    firsts = [
        core_select(p.attempt_at)
        .where(
            p.status == status,
            claimable(p.status),  # read along ix_post_status_attempt_at, which holds only these
            p.attempt_at.is_not(None),
            others,
            chain_ready(),
        )
        .order_by(p.attempt_at)
        .limit(1)
        .scalar_subquery()
        for status in CLAIMABLE
    ]
    held_elsewhere = publishing(p.status)
    if holding:
        held_elsewhere = and_(held_elsewhere, not_(one_of(p.id, "holding", Integer(), postgres)))
    lease = core_select(func.min(p.lease_until)).where(held_elsewhere).scalar_subquery()
    return core_select(*firsts, lease)


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
                        claimable(col(Post.status)),
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
