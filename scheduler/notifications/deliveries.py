"""The deliveries as operators read them, so that a notification that failed is never lost
silently: the latest ones, newest first, with who they were for (a user's name, ``chat``, or
an event hook as ``hook`` and its URL's host),
how often they were tried and why the last try failed; how many were given up; and putting a
given-up delivery back in the outbox.

A retried delivery keeps its count of tries, so it gets one more try, not a new round of
backoff: if that try fails too, it is given up again, and says so here at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from drafts import keyset
from drafts.errors import NotFoundError, TidingsError
from drafts.messages import N_, said
from drafts.models import NotificationDelivery, NotificationEvent, User
from scheduler.notifications.fan_out import CHAT, FAILED, PENDING, delivery_table
from scheduler.notifications.hooks import shown

UNKNOWN_DELIVERY = N_("no notification delivery has the id %(id)s")
NOT_FAILED = N_("notification %(id)s is %(status)s, not failed: only a failed one is retried")


@dataclass(frozen=True)
class DeliveryLine:
    """One delivery: ``recipient`` is the user's name (their ``user:<id>`` once removed),
    ``chat``, or ``hook`` and the hook's host."""

    id: int
    event: str
    recipient: str
    status: str
    tries: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


def recent_deliveries(
    session: Session, *, failed_only: bool, limit: int, after: str | None = None
) -> list[DeliveryLine]:
    """The latest ``limit`` deliveries (only the given-up ones if ``failed_only``), newest
    first, from the place token ``after`` names (``drafts.keyset``: a line's ``created_at``
    and ``id``; None: the newest); ``CursorError`` for a token this list did not make."""
    key = (col(NotificationDelivery.created_at), col(NotificationDelivery.id))
    query = _named().order_by(key[0].desc(), key[1].desc()).limit(limit)
    if after is not None:
        query = query.where(keyset.beyond(key, keyset.place(after, datetime, int), descending=True))
    if failed_only:
        query = query.where(NotificationDelivery.status == FAILED)
    return [_line(delivery, event, name) for delivery, event, name in session.exec(query)]


def failed_count(session: Session) -> int:
    """How many deliveries were given up."""
    query = select(func.count()).where(NotificationDelivery.status == FAILED)
    return int(session.exec(query).one())


def retry_delivery(session: Session, delivery_id: int, *, now: datetime) -> DeliveryLine:
    """Put given-up delivery ``delivery_id`` back in the outbox, due at ``now``; the delivery as
    it is now. A delivery that is not failed is refused (a pending one is on its way, a sent
    one arrived), in a sentence naming it."""
    found = session.exec(_named().where(NotificationDelivery.id == delivery_id)).first()
    if found is None:
        raise NotFoundError(said(UNKNOWN_DELIVERY, id=delivery_id))
    delivery, event, name = found
    d = delivery_table.c
    retried = session.connection().execute(
        update(delivery_table)
        .where(d.id == delivery_id, d.status == FAILED)
        .values(status=PENDING, next_try_at=now)
    )
    if retried.rowcount != 1:
        raise TidingsError(said(NOT_FAILED, id=delivery_id, status=delivery.status))
    session.expire(delivery)
    return _line(delivery, event, name)


def _named() -> Select[NotificationDelivery, str, str | None]:
    """Deliveries with their event and their user's name (None for the chat, or once the user
    is removed)."""
    return (
        select(NotificationDelivery, NotificationEvent.event, User.name)
        .join(NotificationEvent, col(NotificationEvent.id) == NotificationDelivery.event_id)
        .outerjoin(User, col(User.id) == NotificationDelivery.user_id)
    )


def _line(delivery: NotificationDelivery, event: str, name: str | None) -> DeliveryLine:
    assert delivery.id is not None
    recipient = CHAT if delivery.recipient == CHAT else name or delivery.recipient
    if delivery.hook_url is not None:
        recipient = shown(delivery.hook_url)
    return DeliveryLine(
        id=delivery.id,
        event=event,
        recipient=recipient,
        status=delivery.status,
        tries=delivery.tries,
        last_error=delivery.last_error,
        sent_at=delivery.sent_at,
        created_at=delivery.created_at,
    )
