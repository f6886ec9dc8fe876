"""Notification events: what people should hear about, recorded where it happens.

A producer (review, publishing, credential renewal) calls ``record_event`` inside the transaction
that makes the change, so the event exists exactly when the change does: a crash loses neither,
and a retried or repeated change records nothing new, because the ``key`` names the event, not
the attempt (``post:12:failed:3``: post 12 failed on its third attempt). Who hears about it, in
which language and how is decided later, when the daemon fans the event out into deliveries
(``scheduler.notifications``); nothing here sends anything, so a dead mail server never holds
back a review or a post.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, true
from sqlalchemy import select as select_columns
from sqlmodel import Session

from drafts.models import NotificationEvent
from drafts.row_batches import RowBatch
from drafts.times import utcnow
from drafts.timestamps import AwareDateTime

event_table = NotificationEvent.__table__  # type: ignore[attr-defined]


class Event(StrEnum):
    """The events of PRODUCT.md's "Notifications", and who receives each (``RECIPIENTS``),
    and those only event hooks (``[[hooks]]``) hear of, which no person receives."""

    REVIEW_REQUESTED = "review_requested"  # a draft waits for review
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    POST_FAILED = "post_failed"  # failed for good, or needs a person (attention)
    CREDENTIAL_EXPIRING = "credential_expiring"  # within 7 days
    CREDENTIAL_REFRESH_FAILED = "credential_refresh_failed"
    POST_PUBLISHED = "post_published"  # for event hooks only: no person is told


class Audience(StrEnum):
    REVIEWERS = "reviewers"  # every reviewer and admin but the draft's author
    AUTHOR = "author"
    ADMINS = "admins"


RECIPIENTS: dict[Event, frozenset[Audience]] = {
    Event.REVIEW_REQUESTED: frozenset({Audience.REVIEWERS}),
    Event.CHANGES_REQUESTED: frozenset({Audience.AUTHOR}),
    Event.APPROVED: frozenset({Audience.AUTHOR}),
    Event.POST_FAILED: frozenset({Audience.AUTHOR, Audience.ADMINS}),
    Event.CREDENTIAL_EXPIRING: frozenset({Audience.ADMINS}),
    Event.CREDENTIAL_REFRESH_FAILED: frozenset({Audience.ADMINS}),
    Event.POST_PUBLISHED: frozenset(),
}


def record_event(
    session: Session,
    event: Event,
    key: str,
    *,
    draft_id: int | None = None,
    post_id: int | None = None,
    channel_id: str | None = None,
    facts: dict[str, Any] | None = None,
) -> None:
    """Record ``event`` under ``key`` in the caller's transaction, unless it is already recorded.

    ``facts`` are what the message says beyond the rows it names (a reason, an expiry time as
    ISO 8601): JSON values, never a secret.
    """
    row = {
        "key": key,
        "event": event.value,
        "draft_id": draft_id,
        "post_id": post_id,
        "channel_id": channel_id,
        "facts": facts or {},
    }
    record_events(session, [row])


def record_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Record each of ``rows`` (``record_event``'s arguments as columns: ``key``, ``event``'s
    value, ``draft_id``, ``post_id``, ``channel_id``, ``facts``) not already recorded, in one
    statement, in the caller's transaction."""
    if not rows:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    connection.execute(_record(postgres), _events(postgres).params(rows, created_at=utcnow()))


@cache
def _events(postgres: bool) -> RowBatch:
    event = event_table.c
    return RowBatch.of(
        postgres,
        event.key,
        event.event,
        event.draft_id,
        event.post_id,
        event.channel_id,
        event.facts,
    )


@cache
def _record(postgres: bool) -> Insert:
    """The events of a batch not already recorded, in one statement (``drafts.row_batches``)."""
    # The dialect's own insert (for "on conflict do nothing"), imported when first needed: the
    # PostgreSQL dialect loads psycopg, and the command line loads this module for every command.
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if postgres else sqlite
    event = _events(postgres).c
    rows = select_columns(*event.values(), bindparam("created_at", type_=AwareDateTime))
    # SQLite reads an upsert after INSERT ... SELECT only with a WHERE in the SELECT
    statement: Insert = (
        dialect.insert(event_table)
        .from_select([*event, "created_at"], rows.where(true()))
        .on_conflict_do_nothing()
    )
    return statement
