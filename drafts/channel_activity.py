"""What each channel last did: its latest published attempt and its latest attempt that ended
in an error, for the Channels page and ``tidings channels check`` (a channel whose token died
shows it here before anyone looks at a post).

Neither reads the attempts whole. A channel's latest published attempt is that of its latest
published post: a post is published once and never changes after, so the head of
``ix_post_channel_changed`` (the channel's published posts, the latest changed first) is it,
one row per channel however many were published. The errors are read apart from the
successes (``ix_attempt_unpublished``, which holds only them): they are the few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post

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
    failed = _latest_errors(session)
    found = {}
    for channel in channels:
        activity = ChannelActivity(_latest_published(session, channel), failed.get(channel))
        if activity.published is not None or activity.failed is not None:
            found[channel] = activity
    return found


def _published(attempt: type[Attempt]) -> tuple[ColumnElement[bool], ...]:
    return (col(attempt.outcome) == PUBLISHED, col(attempt.finished_at).is_not(None))


def _latest_published(session: Session, channel: str) -> LastAttempt | None:
    """The published attempt with the highest id of the channel's latest published post that
    has one (a post marked published by a person has none)."""
    sent = select(Attempt.id).where(col(Attempt.post_id) == col(Post.id), *_published(Attempt))
    latest_post = (
        select(Post.id)
        .where(
            col(Post.channel) == channel, col(Post.status) == PostStatus.PUBLISHED, sent.exists()
        )
        .order_by(col(Post.updated_at).desc(), col(Post.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    attempt = session.exec(
        select(Attempt)
        .where(col(Attempt.post_id) == latest_post, *_published(Attempt))
        .order_by(col(Attempt.id).desc())
        .limit(1)
    ).first()
    return _last(attempt) if attempt is not None else None


def _latest_errors(session: Session) -> dict[str, LastAttempt]:
    """Per channel, the finished attempt with the highest id among those that ended in an
    error."""
    newest = (
        select(func.max(Attempt.id))
        .join(Post, col(Post.id) == col(Attempt.post_id))
        .where(
            col(Attempt.outcome) != PUBLISHED,  # as ix_attempt_unpublished holds them
            col(Attempt.finished_at).is_not(None),
            col(Attempt.error).is_not(None),
        )
        .group_by(col(Post.channel))
    )
    rows: Iterable[tuple[Attempt, str]] = session.exec(
        select(Attempt, Post.channel)
        .join(Post, col(Post.id) == col(Attempt.post_id))
        .where(col(Attempt.id).in_(newest))
    )
    return {channel: _last(attempt) for attempt, channel in rows}


def _last(attempt: Attempt) -> LastAttempt:
    return LastAttempt(
        post_id=attempt.post_id,
        at=attempt.finished_at or attempt.started_at,
        remote_url=attempt.remote_url,
        error=attempt.error,
    )
