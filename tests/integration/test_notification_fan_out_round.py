"""A notifier round on SQLite and PostgreSQL fans out however many new events in one
transaction: a backlog of events costs the daemon's database thread (which claims and records
posts) no more transactions than a single event, nor, when nobody is e-mailed, statements; and
every event is fanned out once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from drafts.models import NotificationEvent
from drafts.notification_events import Event, record_event
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.notifications.outbox import DeliveryPolicy
from scheduler.notifications.sending import Notifier
from tests.conftest import TEST_CONFIG, make_config
from tests.integration.test_renewal import in_transaction


def round_of(database: Database, events: int) -> tuple[int, int]:
    """Record ``events`` new review requests, run one notifier round; the transactions and the
    statements it ran."""
    with database.writing() as session:
        for number in range(events):
            record_event(session, Event.REVIEW_REQUESTED, f"draft:{number}:review:{events}")
    db = in_transaction(database)
    transactions = 0

    async def counted(work: Callable[[Session], Any]) -> Any:
        nonlocal transactions
        transactions += 1
        return await db(work)

    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    notifier = Notifier(make_config(TEST_CONFIG), counted, policy=DeliveryPolicy(), now=utcnow)
    event.listen(database.engine, "before_cursor_execute", count)
    try:
        asyncio.run(notifier.round())
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
        notifier.close()
    return transactions, statements


def test_a_backlog_of_events_is_fanned_out_in_as_many_transactions_as_one(
    database: Database,
) -> None:
    one = round_of(database, 1)
    backlog = round_of(database, 12)
    assert backlog == one
    with database.reading() as session:
        left = session.exec(
            select(NotificationEvent.id).where(col(NotificationEvent.fanned_out_at).is_(None))
        ).all()
    assert left == []
