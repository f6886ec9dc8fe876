"""Fanning an event out: one delivery per person it concerns, plus one for the team's chat (for
the events people hear of), and one for each event hook (``[[hooks]]``) that takes its type.

A round's new events are fanned out in one transaction (one each would queue a backlog's
worth of transactions in front of the daemon's claims), each first marked done with a
conditional update: a second daemon doing the same finds nothing left to mark and adds
nothing, and a crash before the commit leaves the events as they were, to be fanned out again.
Who receives it is decided now, from ``RECIPIENTS`` and the users as they are: a user without
an e-mail address, or who turned the event off, gets nothing; a user in two audiences (an
admin who wrote the failed post) gets one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from drafts.config import HookSettings
from drafts.models import Draft, NotificationDelivery, NotificationEvent, Post, User
from drafts.notification_events import RECIPIENTS, Audience, Event
from drafts.users import Role
from scheduler.notifications.hooks import hook_rows

CHAT = "chat"  # the recipient of the team's chat webhook
PENDING, SENT, FAILED = "pending", "sent", "failed"

event_table = NotificationEvent.__table__  # type: ignore[attr-defined]
delivery_table = NotificationDelivery.__table__  # type: ignore[attr-defined]


def user_recipient(user_id: int) -> str:
    return f"user:{user_id}"


def events_to_fan_out(session: Session, limit: int = 100) -> list[int]:
    """The ids of events not fanned out yet, oldest first, locked in that order. On PostgreSQL
    the events another daemon's round holds are passed over: two rounds marking the same events
    in one statement each could lock them in different orders and deadlock."""
    query = (
        select(NotificationEvent.id)
        .where(col(NotificationEvent.fanned_out_at).is_(None))
        .order_by(col(NotificationEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)  # SQLite: BEGIN IMMEDIATE holds the database
    )
    return [event_id for event_id in session.exec(query) if event_id is not None]


def fan_out_new(
    session: Session,
    *,
    email: bool,
    chat: bool,
    now: datetime,
    hooks: Sequence[HookSettings] = (),
) -> int:
    """Fan out the events not fanned out yet, oldest first, a round's worth; how many
    deliveries were added."""
    ids = events_to_fan_out(session)
    return fan_out_events(session, ids, email=email, chat=chat, now=now, hooks=hooks)


def fan_out(
    session: Session,
    event_id: int,
    *,
    email: bool,
    chat: bool,
    now: datetime,
    hooks: Sequence[HookSettings] = (),
) -> int:
    """Fan out the one event ``event_id``, as ``fan_out_events`` does."""
    return fan_out_events(session, [event_id], email=email, chat=chat, now=now, hooks=hooks)


def fan_out_events(
    session: Session,
    event_ids: Sequence[int],
    *,
    email: bool,
    chat: bool,
    now: datetime,
    hooks: Sequence[HookSettings] = (),
) -> int:
    """Turn the events ``event_ids`` into their deliveries, due at ``now``, except those fanned
    out already; how many were added. ``email``: a mail server is configured, so the people an
    event concerns get one each; ``chat``: a chat webhook is, so it gets one too (for an event
    people hear of); ``hooks``: the event hooks, each taking the types it lists. An event
    fanned out while none is configured is done with: turning them on later sends no
    backlog. A few statements for the lot, whatever their number, when nobody is e-mailed."""
    if not event_ids:
        return 0
    connection = session.connection()
    marked = set(
        connection.execute(
            update(event_table)
            .where(event_table.c.id.in_(event_ids), event_table.c.fanned_out_at.is_(None))
            .values(fanned_out_at=now)
            .returning(event_table.c.id)
        ).scalars()
    )
    if not marked or not (email or chat or hooks):
        return 0
    events = session.exec(select(NotificationEvent).where(col(NotificationEvent.id).in_(marked)))
    rows = []
    for event in sorted(events, key=lambda event: event.id or 0):
        recipients = sorted(_recipients(session, event)) if email else []
        for_event = [{"recipient": user_recipient(user), "user_id": user} for user in recipients]
        if chat and RECIPIENTS[Event(event.event)]:  # the chat hears what people hear of
            for_event.append({"recipient": CHAT, "user_id": None})
        rows += [{"event_id": event.id, **row} for row in for_event + hook_rows(hooks, event)]
    if rows:
        defaults = {
            **{"status": PENDING, "tries": 0, "next_try_at": now, "created_at": now},
            "hook_url": None,  # an e-mail's or the chat's
        }
        connection.execute(insert(delivery_table), [{**defaults, **row} for row in rows])
    return len(rows)


def _recipients(session: Session, event: NotificationEvent) -> set[int]:
    """The ids of the users ``event`` goes to: its audiences, less those who cannot or do not
    want to hear of it."""
    author = _author_id(session, event)
    wanted: set[int] = set()
    for audience in RECIPIENTS.get(Event(event.event), frozenset()):
        if audience is Audience.AUTHOR:
            wanted |= {author} if author is not None else set()
            continue
        roles = {Role.ADMIN} if audience is Audience.ADMINS else {Role.ADMIN, Role.REVIEWER}
        ids = session.exec(select(User.id).where(col(User.role).in_(roles)))
        found = {user_id for user_id in ids if user_id is not None}
        wanted |= found - {author} if audience is Audience.REVIEWERS else found
    if not wanted:
        return set()
    return {
        user.id
        for user in session.exec(select(User).where(col(User.id).in_(wanted)))
        if user.id is not None and user.email and event.event not in user.muted_events
    }


def _author_id(session: Session, event: NotificationEvent) -> int | None:
    """The author of the draft the event is about (directly, or through its post)."""
    draft_id = event.draft_id
    if draft_id is None and event.post_id is not None:
        post = session.get(Post, event.post_id)
        draft_id = post.draft_id if post is not None else None
    draft = session.get(Draft, draft_id) if draft_id is not None else None
    return draft.author_id if draft is not None else None
