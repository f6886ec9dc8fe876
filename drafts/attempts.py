"""What was tried: one post with its attempts and its audit entries, and the attempt log.

The daemon writes attempts (``scheduler``); these read them back for people: the web's post
page and ``tidings log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from drafts import keyset
from drafts.errors import NotFoundError
from drafts.messages import NO_POST, said
from drafts.models import Attempt, AuditEntry, Draft, Post, could_be_id


@dataclass(frozen=True)
class PostRecord:
    """A post, its draft's title and status, every attempt (first first) and its audit entries
    (oldest first)."""

    post: Post
    draft_title: str
    draft_status: str
    attempts: tuple[Attempt, ...]
    history: tuple[AuditEntry, ...]


def post_record(session: Session, *, post_id: int) -> PostRecord:
    """Post ``post_id`` and what happened to it; ``NotFoundError`` if there is none."""
    if not could_be_id(post_id):
        raise NotFoundError(said(NO_POST, id=post_id))
    found = session.exec(
        select(Post, Draft.title, Draft.status)
        .join(Draft, col(Draft.id) == col(Post.draft_id))
        .where(Post.id == post_id)
    ).first()
    if found is None:
        raise NotFoundError(said(NO_POST, id=post_id))
    post, title, draft_status = found
    attempts = session.exec(
        select(Attempt).where(Attempt.post_id == post_id).order_by(col(Attempt.number))
    )
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.post_id == post_id).order_by(col(AuditEntry.id))
    )
    return PostRecord(
        post=post,
        draft_title=title,
        draft_status=draft_status,
        attempts=tuple(attempts),
        history=tuple(entries),
    )


def attempt_log(
    session: Session, *, post_id: int | None = None, limit: int, after: str | None = None
) -> list[tuple[Attempt, Post]]:
    """The latest ``limit`` attempts (of post ``post_id``, or of every post), newest first,
    each with its post, from the place token ``after`` names (``drafts.keyset``: an attempt's
    ``started_at`` and ``id``; None: the newest). Read backwards along ``ix_attempt_log``
    (or a post's few attempts), never the whole log. ``NotFoundError`` for a post that does not
    exist, ``CursorError`` for a token this log did not make."""
    if post_id is not None and (not could_be_id(post_id) or session.get(Post, post_id) is None):
        raise NotFoundError(said(NO_POST, id=post_id))
    key = (col(Attempt.started_at), col(Attempt.id))
    query = select(Attempt, Post).join(Post, col(Post.id) == col(Attempt.post_id))
    if post_id is not None:
        query = query.where(Attempt.post_id == post_id)
    if after is not None:
        place = keyset.place(after, datetime, int)
        query = query.where(keyset.beyond(key, place, descending=True))
    newest_first = query.order_by(key[0].desc(), key[1].desc())
    return [(attempt, post) for attempt, post in session.exec(newest_first.limit(limit))]


def attempt_place(row: tuple[Attempt, Post]) -> tuple[datetime, int]:
    """Where an attempt of the log is: the sort key its page's token holds."""
    attempt, _ = row
    assert attempt.id is not None
    return attempt.started_at, attempt.id
