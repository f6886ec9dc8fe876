"""The calendar feed: the planned and published posts as an RFC 5545 calendar
(``/calendar.ics?token=…`` and ``tidings queue --ics``), written by the ``icalendar`` package
(line folding, escaping, and the VTIMEZONE of each zone used).

One event per post. Its ``UID`` is the post's id on this Tidings (``post-<id>@<host of [web]
public_url>``), so a calendar program updates an event instead of adding another; ``DTSTART``
is the due time in the channel's zone; ``SEQUENCE`` counts the times the post's draft was
scheduled again, unscheduled, cancelled or skipped after its first scheduling (the audit log), so
a program takes a moved event as newer. A cancelled post (or skipped occurrence) stays, as ``STATUS:CANCELLED``, so the
event goes from calendars that had it; a published one carries its ``URL``.

The feed covers a window around now: posts due from 90 days before (``PAST``: the quarter
that went out) to 365 days after (``AHEAD``: the year planned). A post due outside it is not in
the feed, and a calendar program that had it drops it at its next fetch. Two queries read the
window, both along the post table's index of status and due time (``ix_post_queue``), and the
moves of the drafts in it along the audit log's index of drafts: the cost follows the window,
never the whole post table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import Select, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from drafts.config import Config
from drafts.lifecycle import UPCOMING_POST_STATUSES, PostStatus
from drafts.models import AuditEntry, Draft, Post
from drafts.queueing import due_between

PAST = timedelta(days=90)
AHEAD = timedelta(days=365)
# A skipped occurrence of a repeating draft is called off as a cancelled post is.
CALLED_OFF = frozenset({PostStatus.CANCELLED, PostStatus.SKIPPED})
FED_STATUSES = frozenset({*UPCOMING_POST_STATUSES, PostStatus.PUBLISHED, *CALLED_OFF})
# The draft's entries that move (or end) its posts: each after the first raises SEQUENCE.
MOVES = ("draft.schedule", "draft.publish-now", "draft.unschedule", "draft.cancel", "draft.skip")
PRODUCT_ID = "-//Tidings//calendar feed//EN"


@dataclass(frozen=True)
class FedPost:
    """What an event shows of a post."""

    id: int
    draft_id: int
    title: str
    channel: str
    status: str
    due_at: datetime
    text: str
    remote_url: str | None
    updated_at: datetime


def calendar_ics(session: Session, *, config: Config, now: datetime) -> bytes:
    """The feed as of ``now``: the posts due from ``PAST`` before it to ``AHEAD`` after it."""
    start, end = now - PAST, now + AHEAD
    posts = fed_posts(session, start=start, end=end)
    moves = draft_moves(session, start=start, end=end)
    return bytes(_calendar(posts, moves, config, now).to_ical())


def fed_posts(session: Session, *, start: datetime, end: datetime) -> list[FedPost]:
    """The posts the feed shows due in ``[start, end)``, in time order: one query. A thread
    and its first comment are one event: their first part's."""
    columns = (
        Post.id,
        Post.draft_id,
        Draft.title,
        Post.channel,
        Post.status,
        Post.due_at,
        Post.text,
        Post.remote_url,
        Post.updated_at,
    )
    query = due_between((*columns, Post.part), start=start, end=end, statuses=FED_STATUSES)
    query = query.order_by(col(Post.due_at), col(Post.id))
    # Kept out here rather than in the query, which then reads the window along its index.
    rows = session.connection().execute(query)
    return [FedPost(*row[:-1]) for row in rows if row[-1] == 1]


def draft_moves(session: Session, *, start: datetime, end: datetime) -> dict[int, int]:
    """How many times the drafts of the posts fed for ``[start, end)`` were scheduled, moved
    or cancelled: their audit entries, found by the window's own query rather than a list of
    the drafts' ids (a busy year's window names more drafts than a statement takes values)."""
    fed_drafts = due_between((Post.draft_id,), start=start, end=end, statuses=FED_STATUSES)
    query: Select[*tuple[Any, ...]] = (
        select_columns(col(AuditEntry.draft_id), func.count())
        .where(col(AuditEntry.draft_id).in_(fed_drafts), col(AuditEntry.action).in_(MOVES))
        .group_by(col(AuditEntry.draft_id))
    )
    return {int(draft_id): int(count) for draft_id, count in session.connection().execute(query)}


def _calendar(
    posts: Iterable[FedPost], moves: Mapping[int, int], config: Config, now: datetime
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Tidings")
    host = _host(config)
    zones = {channel.id: channel.zone(config.zone) for channel in config.channels}
    for post in posts:
        zone = zones.get(post.channel, config.zone)  # a channel since removed: the team's zone
        calendar.add_component(_event(post, moves.get(post.draft_id, 1), host, zone, now))
    calendar.add_missing_timezones()
    return calendar


def _event(post: FedPost, moves: int, host: str, zone: ZoneInfo, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"post-{post.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", post.due_at.astimezone(zone))
    event.add("last-modified", post.updated_at)
    event.add("sequence", max(moves - 1, 0))
    event.add("summary", f"{post.channel}: {post.title}")
    event.add("description", post.text)
    cancelled = post.status in CALLED_OFF
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if post.status == PostStatus.PUBLISHED and post.remote_url:
        event.add("url", post.remote_url)
    return event


def _host(config: Config) -> str:
    public = config.web.public_url
    return (urlsplit(public).hostname if public else None) or "tidings"
