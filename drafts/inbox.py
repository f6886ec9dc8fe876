"""The review inbox: drafts waiting for review, the longest-waiting first, a page at a time.

Three queries whatever the number of drafts: how many wait, one page of them (with their
authors and when their review began, sorted in the database and started after the last page's
last draft: ``drafts.keyset``), and the page's post counts. Only the columns the inbox shows
are read (never a draft's source file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts import keyset
from drafts.lifecycle import DraftStatus
from drafts.models import AuditEntry, Draft, Post, User
from drafts.review import SUBMIT_ACTION


@dataclass(frozen=True)
class InboxEntry:
    """A draft in review, with what a reviewer picks by: its author, wait and post counts."""

    id: int
    title: str
    kind: str
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    author: str
    waiting_since: datetime
    posts: int
    over_limit: int


@dataclass(frozen=True)
class InboxPage:
    entries: tuple[InboxEntry, ...]
    waiting: int  # drafts in review, on every page
    after: str | None  # the next page's token (``drafts.keyset``); None on the last page


def review_inbox(session: Session, *, after: str | None, size: int) -> InboxPage:
    """``size`` drafts in review, the longest-waiting first, from the place token ``after``
    names (None: the first page); ``CursorError`` for a token the inbox did not make."""
    place = keyset.place(after, datetime, int) if after is not None else None
    in_review = Draft.status == DraftStatus.IN_REVIEW
    waiting = session.exec(select(func.count()).select_from(Draft).where(in_review)).one()
    page = keyset.paged(
        session.connection().execute(_page_query(place, size)).all(),
        size,
        lambda row: (row.waiting_since, row.id),
    )
    rows = page.rows
    tallies = _post_tallies(session, [row.id for row in rows])
    entries = tuple(
        InboxEntry(
            id=row.id,
            title=row.title,
            kind=row.kind,
            languages=tuple(row.languages),
            channels=tuple(row.channels),
            author=row.author or "?",
            waiting_since=row.waiting_since,
            posts=tallies.get(row.id, (0, 0))[0],
            over_limit=tallies.get(row.id, (0, 0))[1],
        )
        for row in rows
    )
    return InboxPage(entries=entries, waiting=waiting, after=page.after)


def _page_query(place: tuple[keyset.Value, ...] | None, size: int) -> Select[Any]:
    in_review = col(Draft.status) == DraftStatus.IN_REVIEW
    submitted = (
        select(AuditEntry.draft_id, func.max(AuditEntry.at).label("at"))
        .where(
            AuditEntry.action == SUBMIT_ACTION,
            col(AuditEntry.draft_id).in_(select(Draft.id).where(in_review)),
        )
        .group_by(col(AuditEntry.draft_id))
        .subquery()
    )
    # A review begins at the last submission, or at the edit that sent the draft back to it
    # (an edit is the draft's last update).
    waiting_since = case(
        (submitted.c.at > Draft.updated_at, submitted.c.at), else_=Draft.updated_at
    )
    query = (
        select_columns(
            col(Draft.id),
            col(Draft.title),
            col(Draft.kind),
            col(Draft.languages),
            col(Draft.channels),
            col(User.name).label("author"),
            waiting_since.label("waiting_since"),
        )
        .outerjoin(User, col(User.id) == Draft.author_id)
        .outerjoin(submitted, submitted.c.draft_id == Draft.id)
        .where(in_review)
        .order_by(waiting_since, col(Draft.id))
        .limit(size + 1)
    )
    if place is None:
        return query
    return query.where(keyset.beyond((waiting_since, col(Draft.id)), place, descending=False))


def _post_tallies(session: Session, draft_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per draft: how many posts, and how many are over their stored limit."""
    if not draft_ids:
        return {}
    over = case(
        (and_(col(Post.length_limit).is_not(None), Post.length > col(Post.length_limit)), 1),
        else_=0,
    )
    rows = session.exec(
        select(Post.draft_id, func.count(), func.sum(over))
        .where(col(Post.draft_id).in_(draft_ids))
        .group_by(col(Post.draft_id))
    ).all()
    return {draft_id: (int(total), int(over_limit or 0)) for draft_id, total, over_limit in rows}
