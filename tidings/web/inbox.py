"""The review inbox: drafts waiting for review, the longest-waiting first, a page at a time.

Three queries whatever the number of drafts: how many wait, one page of them (with their
authors and when their review began, sorted in the database), and the page's post counts.
Only the columns the page shows are read (never a draft's source file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.lifecycle import DraftStatus
from drafts.models import AuditEntry, Draft, Post, User
from drafts.storage import Database
from tidings.web.context import WebContext, off_loop

PAGE_SIZE = 50
SUBMIT_ACTION = "draft.submit"  # what drafts.review.submit records in the audit log


@dataclass(frozen=True)
class InboxEntry:
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
    number: int
    pages: int


def load_inbox(database: Database, page: int = 1) -> InboxPage:
    """Page ``page`` (from 1; clamped to the last) of the drafts in review, oldest first."""
    with database.reading() as session:
        in_review = Draft.status == DraftStatus.IN_REVIEW
        waiting = session.exec(select(func.count()).select_from(Draft).where(in_review)).one()
        pages = max(1, -(-waiting // PAGE_SIZE))
        number = min(max(1, page), pages)
        rows = session.connection().execute(_page_query(number)).all()
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
    return InboxPage(entries=entries, waiting=waiting, number=number, pages=pages)


def _page_query(number: int) -> Select[Any]:
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
    ).label("waiting_since")
    return (
        select_columns(
            col(Draft.id),
            col(Draft.title),
            col(Draft.kind),
            col(Draft.languages),
            col(Draft.channels),
            col(User.name).label("author"),
            waiting_since,
        )
        .outerjoin(User, col(User.id) == Draft.author_id)
        .outerjoin(submitted, submitted.c.draft_id == Draft.id)
        .where(in_review)
        .order_by(waiting_since, col(Draft.id))
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )


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


def routes(web: WebContext) -> list[Route]:
    async def inbox(request: Request) -> Response:
        try:
            asked = int(request.query_params.get("page", "1"))
        except ValueError:
            asked = 1
        page = await off_loop(load_inbox, web.database, asked)
        return web.pages.render(request, "inbox.html", inbox=page)

    return [Route("/", inbox, methods=["GET"])]
