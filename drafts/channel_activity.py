"""What each channel last did: its latest published attempt and its latest attempt that ended
in an error, for the Channels page and ``tidings channels check`` (a channel whose token died
shows it here before anyone looks at a post).

Neither reads the attempts whole. A channel's latest published attempt is that of its latest
published post: a post is published once and never changes after, so the head of
``ix_post_channel_changed`` (the channel's published posts, the latest changed first) is it,
one row per channel however many were published (the heads of all channels in one statement,
their attempts in another). The
errors are read apart from the successes (``ix_attempt_unpublished``, which holds only them),
newest first, until each channel has its latest: no index leads from a channel to its
attempts, which do not name it, but the errors of channels that err are among the latest few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post, listed_by_change
from drafts.row_batches import RowBatch

# Attempt.outcome as the daemon records it (scheduler.retry.AttemptOutcome).
PUBLISHED = "published"


@dataclass(frozen=True)
class LastAttempt:
    """One attempt on a channel: when it ended, its post, and its link or its error."""

    post_id: int
    at: datetime
    remote_url: str | None
    error: str | None


@dataclass(frozen=True)
class ChannelActivity:
    published: LastAttempt | None
    failed: LastAttempt | None

    @property
    def failing(self) -> bool:
        """Whether the latest error came after the latest success (it is still the news)."""
        if self.failed is None:
            return False
        return self.published is None or self.failed.at > self.published.at


def channel_activity(session: Session, channels: Iterable[str]) -> dict[str, ChannelActivity]:
    """Each of ``channels`` that ever had an attempt: its latest success and its latest error."""
    wanted = tuple(dict.fromkeys(channels))
    published = _latest_published(session, wanted)
    failed = _latest_errors(session, wanted)
    return {
        channel: ChannelActivity(published.get(channel), failed.get(channel))
        for channel in wanted
        if channel in published or channel in failed
    }


def _latest_published(session: Session, channels: tuple[str, ...]) -> dict[str, LastAttempt]:
    """Per channel, the published attempt with the highest id of its latest published post
    that has one (a post marked published by a person has none). Two statements whatever the
    number of channels: each channel's latest such post, then their published attempts (one
    statement a channel was 50 round trips for 50 channels, most of the page's time on
    PostgreSQL)."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    batch = _channel_batch(postgres).params([{"channel": channel} for channel in channels])
    latest = {
        post_id: channel
        for channel, post_id in connection.execute(_latest_posts(postgres), batch)
        if post_id is not None
    }
    if not latest:
        return {}
    found: dict[str, LastAttempt] = {}
    attempts = connection.execute(_PUBLISHED_ATTEMPTS, {"posts": list(latest)})
    for attempt in attempts:  # by id: each post's last one stays
        found[latest[attempt.post_id]] = _last(attempt)
    return found


# What an attempt's line shows, read as columns (no ORM object for a row or two).
_SHOWN = (
    col(Attempt.post_id),
    col(Attempt.finished_at),
    col(Attempt.started_at),
    col(Attempt.remote_url),
    col(Attempt.error),
)


def _published(attempt: Any) -> tuple[ColumnElement[bool], ...]:
    return (attempt.outcome == PUBLISHED, attempt.finished_at.is_not(None))


@cache
def _channel_batch(postgres: bool) -> RowBatch:
    return RowBatch.of(postgres, Post.__table__.c.channel)  # type: ignore[attr-defined]


@cache
def _latest_posts(postgres: bool) -> Select[*tuple[Any, ...]]:
    """Each channel of the batch with its latest published post that has a published attempt:
    the head of ``ix_post_channel_changed``, past the posts without one."""
    channel = _channel_batch(postgres).c["channel"]
    sent = aliased(Attempt)
    latest_post = (
        select(Post.id)
        .where(
            col(Post.channel) == channel,
            col(Post.status) == PostStatus.PUBLISHED,
            listed_by_change(col(Post.status)),  # as ix_post_channel_changed holds them
            select(sent.id).where(sent.post_id == col(Post.id), *_published(sent)).exists(),
        )
        .order_by(col(Post.updated_at).desc(), col(Post.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return select_columns(channel, latest_post)


# The published attempts of the posts bound as ``posts``, by id.
_PUBLISHED_ATTEMPTS = (
    select_columns(*_SHOWN)
    .where(col(Attempt.post_id).in_(bindparam("posts", expanding=True)), *_published(Attempt))
    .order_by(col(Attempt.id))
)


def _latest_errors(session: Session, channels: tuple[str, ...]) -> dict[str, LastAttempt]:
    """Per channel of ``channels``, the finished attempt with the highest id among those that
    ended in an error: the errors read newest first from ``ix_attempt_unpublished``,
    ``ERROR_BATCH`` at a time, until every channel has its own. Channels that err find theirs
    among the latest few; only a channel that never erred reads every error back (as grouping
    them all by channel did for every page)."""
    connection = session.connection()
    wanted, found = set(channels), dict[str, LastAttempt]()
    before: int | None = None
    while len(found) < len(wanted):
        query = _ERRORS if before is None else _ERRORS.where(col(Attempt.id) < before)
        rows = connection.execute(query).all()
        for row in rows:
            if row.channel in wanted and row.channel not in found:
                found[row.channel] = _last(row)
        if len(rows) < ERROR_BATCH:
            break
        before = rows[-1].id
    return found


ERROR_BATCH = 200
_ERRORS = (
    select_columns(*_SHOWN, col(Attempt.id), col(Post.channel))
    .join(Post, col(Post.id) == col(Attempt.post_id))
    .where(
        col(Attempt.outcome) != PUBLISHED,  # as ix_attempt_unpublished holds them
        col(Attempt.finished_at).is_not(None),
        col(Attempt.error).is_not(None),
    )
    .order_by(col(Attempt.id).desc())
    .limit(ERROR_BATCH)
)


def _last(attempt: Any) -> LastAttempt:
    return LastAttempt(
        post_id=attempt.post_id,
        at=attempt.finished_at or attempt.started_at,
        remote_url=attempt.remote_url,
        error=attempt.error,
    )
