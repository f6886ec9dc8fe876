"""What each channel last did: its latest published attempt and its latest attempt that ended
in an error, for the Channels page (a channel whose token died shows it here before anyone
looks at a post).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

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


def channel_activity(session: Session) -> dict[str, ChannelActivity]:
    """Each channel that ever had an attempt: its latest success and its latest error."""
    published = _latest(session, col(Attempt.outcome) == PUBLISHED)
    failed = _latest(session, col(Attempt.outcome) != PUBLISHED, col(Attempt.error).is_not(None))
    return {
        channel: ChannelActivity(published.get(channel), failed.get(channel))
        for channel in published.keys() | failed.keys()
    }


def _latest(session: Session, *conditions: Any) -> dict[str, LastAttempt]:
    """Per channel, the finished attempt with the highest id among those matching."""
    newest = (
        select(func.max(Attempt.id))
        .join(Post, col(Post.id) == col(Attempt.post_id))
        .where(col(Attempt.finished_at).is_not(None), *conditions)
        .group_by(col(Post.channel))
    )
    rows: Iterable[tuple[Attempt, str]] = session.exec(
        select(Attempt, Post.channel)
        .join(Post, col(Post.id) == col(Attempt.post_id))
        .where(col(Attempt.id).in_(newest))
    )
    return {
        channel: LastAttempt(
            post_id=attempt.post_id,
            at=attempt.finished_at or attempt.started_at,
            remote_url=attempt.remote_url,
            error=attempt.error,
        )
        for attempt, channel in rows
    }
