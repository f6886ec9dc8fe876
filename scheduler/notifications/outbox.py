"""The outbox: deliveries claimed before they are sent, and each try recorded after.

A daemon claims a due delivery by pushing its ``next_try_at`` a lease ahead in a conditional
update (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), as
``scheduler.claiming`` claims posts: a second daemon finds it not due and leaves it, and if the
first dies while sending, the lease runs out and the delivery is tried again. Each try is then
recorded in one short transaction: sent, or failed with the reason (scrubbed of secrets) and the
next try put off twice as long as the last (``DeliveryPolicy``), until it is given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from drafts.config import Config
from drafts.models import Connection, Draft, NotificationDelivery, NotificationEvent, Post, User
from drafts.notification_events import Event
from scheduler.credentials import scrub
from scheduler.notifications.fan_out import CHAT, FAILED, PENDING, SENT, delivery_table
from scheduler.notifications.hooks import HOOK, HookCall, hook_call
from scheduler.notifications.messages import Message, Notice, Reader, render

LONGEST_ERROR = 500  # characters of a failure kept on the delivery


@dataclass(frozen=True)
class DeliveryPolicy:
    """When deliveries are tried: a round every ``every``; a failed try again after
    ``first_retry``, doubling up to ``longest_wait``; given up after ``max_tries``. A claim
    holds a delivery for ``lease``, longer than a send's ``timeout``."""

    every: timedelta = timedelta(seconds=5)
    first_retry: timedelta = timedelta(seconds=30)
    longest_wait: timedelta = timedelta(hours=1)
    max_tries: int = 10
    lease: timedelta = timedelta(minutes=2)
    timeout: float = 20.0  # seconds, for each network operation of a send
    batch: int = 20  # deliveries claimed at once
    expiry_check_every: timedelta = timedelta(minutes=10)

    def retry_delay(self, tries: int) -> timedelta:
        """How long to wait after the ``tries``-th failed try."""
        doubled: timedelta = self.first_retry * 2 ** max(tries - 1, 0)
        return min(doubled, self.longest_wait)


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, rendered: ``to`` is the e-mail address, or None for the chat."""

    delivery_id: int
    recipient: str
    event: str
    to: str | None
    message: Message


def claim_deliveries(session: Session, *, now: datetime, policy: DeliveryPolicy) -> list[int]:
    """Claim up to ``policy.batch`` due deliveries for ``policy.lease``; their ids."""
    due = (
        select(NotificationDelivery.id)
        .where(NotificationDelivery.status == PENDING, NotificationDelivery.next_try_at <= now)
        .order_by(col(NotificationDelivery.next_try_at))
        .limit(policy.batch)
        .with_for_update(skip_locked=True)
    )
    ids = [delivery_id for delivery_id in session.exec(due) if delivery_id is not None]
    if not ids:
        return []
    d = delivery_table.c
    claimed = session.connection().execute(
        update(delivery_table)
        .where(d.id.in_(ids), d.status == PENDING, d.next_try_at <= now)
        .values(next_try_at=now + policy.lease)
        .returning(d.id)
    )
    return sorted(delivery_id for (delivery_id,) in claimed)


def outgoing(session: Session, delivery_id: int, *, config: Config) -> Outgoing | HookCall | str:
    """The claimed delivery rendered for its recipient (signed for a hook), or why it is no
    longer to be sent (its recipient was removed, has no e-mail address now, or turned the event
    off; its hook is no longer configured)."""
    delivery = session.get(NotificationDelivery, delivery_id)
    event = session.get(NotificationEvent, delivery.event_id) if delivery else None
    if delivery is None or event is None:
        return "the notification is gone"
    if delivery.recipient.startswith(HOOK):
        return hook_call(session, delivery, event, config)
    notice = _notice(session, event)
    public_url = config.web.public_url
    if delivery.recipient == CHAT:
        chat_reader = Reader("en", config.zone)
        return Outgoing(
            delivery_id, CHAT, event.event, None, render(notice, chat_reader, public_url)
        )
    user = session.get(User, delivery.user_id) if delivery.user_id is not None else None
    if user is None:
        return "the user was removed"
    if not user.email:
        return "the user has no e-mail address now"
    if event.event in user.muted_events:
        return "the user turned this event off"
    message = render(notice, Reader.of(user, config.zone), public_url)
    return Outgoing(delivery_id, delivery.recipient, event.event, user.email, message)


def record_sent(session: Session, delivery_id: int, *, now: datetime) -> None:
    session.connection().execute(
        update(delivery_table)
        .where(delivery_table.c.id == delivery_id)
        .values(status=SENT, sent_at=now, last_error=None, tries=delivery_table.c.tries + 1)
    )


def record_failure(
    session: Session,
    delivery_id: int,
    *,
    error: str,
    now: datetime,
    policy: DeliveryPolicy,
    final: bool = False,
) -> str:
    """Record a failed try: retried later, or given up (after ``policy.max_tries``, or at
    once if ``final``). The delivery's status now."""
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        return FAILED
    tries = delivery.tries + 1
    status = FAILED if final or tries >= policy.max_tries else PENDING
    session.connection().execute(
        update(delivery_table)
        .where(delivery_table.c.id == delivery_id)
        .values(
            status=status,
            tries=tries,
            last_error=scrub(error)[:LONGEST_ERROR],
            next_try_at=now + policy.retry_delay(tries),
        )
    )
    return status


def _notice(session: Session, event: NotificationEvent) -> Notice:
    """The facts ``event``'s message says, from its row and the rows it names as they are now."""
    kind = Event(event.event)
    post = session.get(Post, event.post_id) if event.post_id is not None else None
    draft_id = event.draft_id if event.draft_id is not None else (post.draft_id if post else None)
    draft = session.get(Draft, draft_id) if draft_id is not None else None
    author = session.get(User, draft.author_id) if draft is not None else None
    channel = event.channel_id or (post.channel if post else "")
    reason = str(event.facts.get("reason") or (post.reason if post else "") or "")
    if kind is Event.CREDENTIAL_REFRESH_FAILED and not reason and channel:
        connection = session.get(Connection, channel)
        reason = scrub(connection.refresh_error or "") if connection else ""
    expires = event.facts.get("expires_at")
    at = datetime.fromisoformat(expires) if isinstance(expires, str) else event.created_at
    return Notice(
        event=kind,
        at=at,
        title=draft.title if draft else "",
        author=author.name if author else "",
        channel=channel,
        reason=reason,
        draft_id=draft_id,
        post_id=event.post_id,
    )
