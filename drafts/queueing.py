"""Putting approved drafts' posts in the queue, at a time or in each channel's next free slot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts.audit import record
from drafts.authoring import draft_posts, get_draft
from drafts.config import Config
from drafts.errors import ScheduleError
from drafts.lifecycle import (
    FINAL_POST_STATUSES,
    UPCOMING_POST_STATUSES,
    DraftStatus,
    PostStatus,
    require_action,
)
from drafts.models import Draft, Post, User
from drafts.slots import occurrences
from drafts.storage import signal_queue_change
from drafts.times import show
from drafts.users import Capability, require

# How far ahead slots are searched before giving up: a year of weekly slots.
SLOT_SEARCH_LIMIT = 2_000
# A slot this close to now is skipped: nobody could still cancel it.
SLOT_LEAD = timedelta(minutes=1)


@dataclass(frozen=True)
class ScheduleRequest:
    """Either a time for every post, or each channel's next free slot."""

    at: datetime | None = None
    next_slot: bool = False


@dataclass(frozen=True)
class Scheduled:
    draft: Draft
    due: dict[int, datetime] = field(default_factory=dict)  # post id -> due time

    @property
    def earliest(self) -> datetime | None:
        return min(self.due.values(), default=None)


def schedule_draft(
    session: Session,
    *,
    draft_id: int,
    request: ScheduleRequest,
    actor: User,
    config: Config,
    now: datetime,
) -> Scheduled:
    """Queue an approved draft's posts (or move a scheduled draft's posts)."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "schedule")
    posts = [p for p in draft_posts(session, draft_id) if p.status not in FINAL_POST_STATUSES]
    if request.next_slot:
        due = _next_slots(session, draft, posts, config, now)
    elif request.at is not None:
        _check_time(draft, request.at, now)
        due = {_post_id(post): request.at for post in posts}
    else:
        raise ScheduleError("give --at TIME or --next-slot")
    for post in posts:
        post.due_at = post.attempt_at = due[_post_id(post)]
        post.status = PostStatus.SCHEDULED
        post.failures, post.reconcile, post.reason = 0, False, None
    draft.status = DraftStatus.SCHEDULED
    signal_queue_change(session)
    times = sorted({(p.channel, show(p.due_at, config.zone)) for p in posts if p.due_at})
    detail = "; ".join(f"{channel} at {when}" for channel, when in times)
    record(session, actor=actor.name, action="draft.schedule", draft_id=draft_id, detail=detail)
    return Scheduled(draft=draft, due=due)


def _check_time(draft: Draft, at: datetime, now: datetime) -> None:
    if at <= now:
        raise ScheduleError(f"at: {at.isoformat()} is in the past")
    if draft.expires_at is not None and at >= draft.expires_at:
        raise ScheduleError(
            f"at: {at.isoformat()} is after the draft expires ({draft.expires_at.isoformat()})"
        )


def _next_slots(
    session: Session, draft: Draft, posts: list[Post], config: Config, now: datetime
) -> dict[int, datetime]:
    due: dict[int, datetime] = {}
    for channel_id in dict.fromkeys(post.channel for post in posts):
        slot = next_free_slot(session, channel_id=channel_id, draft=draft, config=config, now=now)
        due.update({_post_id(p): slot for p in posts if p.channel == channel_id})
    return due


def next_free_slot(
    session: Session, *, channel_id: str, draft: Draft, config: Config, now: datetime
) -> datetime:
    """The channel's first slot after now that no other draft's post occupies."""
    channel = config.channel(channel_id)
    slots = channel.parsed_slots()
    if not slots:
        raise ScheduleError(f"channel {channel_id} has no slots in config.toml; use --at TIME")
    taken = _taken(session, channel_id, draft)
    candidates = islice(
        occurrences(slots, channel.zone(config.zone), now + SLOT_LEAD), SLOT_SEARCH_LIMIT
    )
    for instant in candidates:
        if draft.expires_at is not None and instant >= draft.expires_at:
            break
        if instant not in taken:
            return instant
    raise ScheduleError(f"channel {channel_id} has no free slot before the draft expires")


def _taken(session: Session, channel_id: str, draft: Draft) -> set[datetime]:
    rows = session.exec(
        select(Post.due_at).where(
            Post.channel == channel_id,
            Post.draft_id != draft.id,
            col(Post.status).in_(UPCOMING_POST_STATUSES),
        )
    )
    return {due for due in rows if due is not None}


def cancel_draft(session: Session, *, draft_id: int, actor: User) -> list[Post]:
    """Cancel a draft and its posts that are not yet out; returns the posts cancelled."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "cancel")
    cancelled = [
        post
        for post in draft_posts(session, draft_id)
        if post.status in {PostStatus.PENDING, PostStatus.SCHEDULED, PostStatus.RETRYING}
    ]
    for post in cancelled:
        post.status, post.attempt_at = PostStatus.CANCELLED, None
    draft.status = DraftStatus.CANCELLED
    record(
        session,
        actor=actor.name,
        action="draft.cancel",
        draft_id=draft_id,
        detail=f"{len(cancelled)} post(s) cancelled",
    )
    return cancelled


def upcoming_posts(session: Session, *, channel: str | None = None) -> list[Post]:
    """Posts the daemon still owes an attempt, in time order."""
    query = select(Post).where(col(Post.status).in_(UPCOMING_POST_STATUSES))
    if channel is not None:
        query = query.where(Post.channel == channel)
    return list(session.exec(query.order_by(col(Post.due_at), col(Post.id))))


@dataclass(frozen=True)
class PlannedPost:
    """A post where a calendar places it: its due time, channel and status, and its draft's title."""

    id: int
    draft_id: int
    title: str
    channel: str
    platform: str
    language: str
    status: str
    due_at: datetime


def posts_due_between(
    session: Session, *, start: datetime, end: datetime, statuses: Iterable[str]
) -> list[PlannedPost]:
    """The posts in ``statuses`` due in ``[start, end)``, by due time, then channel, language
    and id. One query, of the columns a ``PlannedPost`` holds (a published post keeps the due
    time it was planned for)."""
    query: Select[*tuple[Any, ...]] = (
        select_columns(
            col(Post.id),
            col(Post.draft_id),
            col(Draft.title),
            col(Post.channel),
            col(Post.platform),
            col(Post.language),
            col(Post.status),
            col(Post.due_at),
        )
        .join(Draft, col(Draft.id) == col(Post.draft_id))
        .where(
            col(Post.status).in_([str(status) for status in statuses]),
            col(Post.due_at) >= start,
            col(Post.due_at) < end,
        )
        .order_by(col(Post.due_at), col(Post.channel), col(Post.language), col(Post.id))
    )
    return [PlannedPost(*row) for row in session.connection().execute(query)]


def _post_id(post: Post) -> int:
    assert post.id is not None
    return post.id
