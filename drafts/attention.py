"""What a person does about a post the daemon could not settle: mark it published (with its
URL) after checking the channel, or send it again; and the list of such posts.

Retrying a post whose outcome was unknown can post it twice; that is the person's call to make,
after looking, and the audit log records who made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts import keyset
from drafts.audit import record
from drafts.errors import DraftError, NotFoundError, ReviewError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.messages import N_, NO_POST, problem, said
from drafts.models import Draft, Post, User, could_be_id, listed_by_change
from drafts.notification_events import Event, record_event
from drafts.storage import signal_queue_change
from drafts.users import Capability, require

SETTLEABLE = frozenset({PostStatus.NEEDS_ATTENTION, PostStatus.FAILED})
NEED_URL = N_("give the post's address, starting with https://")
MAX_URL_LENGTH = 1000  # the width of Post.remote_url
URL_TOO_LONG = N_("an address of at most %(limit)s characters")
URL_WITH_SPACE = N_("an address has no spaces or control characters")
MAX_REMOTE_ID_LENGTH = 255  # the width of Post.remote_id
REMOTE_ID_TOO_LONG = N_("an id of at most %(limit)s characters")
REMOTE_ID_NOT_ONE_WORD = N_("an id has no spaces or control characters")
EXPIRED = N_("post %(id)s: its draft expired, so it is not sent again")
NOT_SETTLEABLE = N_(
    "post %(id)s is %(status)s; only a post that needs attention or failed can be settled"
)


def mark_published(
    session: Session,
    *,
    post_id: int,
    url: str,
    actor: User,
    now: datetime,
    remote_id: str | None = None,
) -> Post:
    """Record that a person found the post live at ``url``; ``remote_id``, the platform's id
    for it where the person knows it (what the next part of its thread replies to; without it,
    the link stands for the id, which X, Mastodon, Bluesky and Telegram can read)."""
    require(actor, Capability.QUEUE)
    post = _settleable(session, post_id)
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) <= len("https://"):
        raise DraftError(problem("url", NEED_URL))
    if len(url) > MAX_URL_LENGTH:
        raise DraftError(problem("url", URL_TOO_LONG, limit=MAX_URL_LENGTH))
    if any(character.isspace() or not character.isprintable() for character in url):
        raise DraftError(problem("url", URL_WITH_SPACE))
    remote_id = (remote_id or "").strip()
    if len(remote_id) > MAX_REMOTE_ID_LENGTH:
        raise DraftError(problem("remote_id", REMOTE_ID_TOO_LONG, limit=MAX_REMOTE_ID_LENGTH))
    if any(character.isspace() or not character.isprintable() for character in remote_id):
        raise DraftError(problem("remote_id", REMOTE_ID_NOT_ONE_WORD))
    post.status, post.reason = PostStatus.PUBLISHED, f"marked published by {actor.name}"
    post.remote_url = url
    post.remote_id = remote_id or post.remote_id or url
    post.attempt_at = None
    post.updated_at = now
    record(
        session,
        actor=actor.name,
        action="post.mark-published",
        draft_id=post.draft_id,
        post_id=post_id,
        detail=url,
    )
    # Hooks hear of it as of a post the daemon published (the same key: published once).
    record_event(
        session,
        Event.POST_PUBLISHED,
        f"post:{post_id}:published",
        draft_id=post.draft_id,
        post_id=post_id,
        channel_id=post.channel,
        facts={"channel": post.channel, "url": url, "remote_id": post.remote_id, "by": actor.name},
    )
    return post


def retry_post(session: Session, *, post_id: int, actor: User, now: datetime) -> Post:
    """Queue the post again now; the daemon sends it as a fresh attempt."""
    require(actor, Capability.QUEUE)
    post = _settleable(session, post_id)
    draft = session.get(Draft, post.draft_id)
    assert draft is not None
    if draft.expires_at is not None and now >= draft.expires_at:
        raise ReviewError(said(EXPIRED, id=post_id))
    post.status, post.reason = PostStatus.SCHEDULED, f"retry requested by {actor.name}"
    post.attempt_at, post.reconcile, post.failures = now, False, 0
    post.updated_at = now
    if draft.status == DraftStatus.DONE:
        draft.status = DraftStatus.SCHEDULED
    record(session, actor=actor.name, action="post.retry", draft_id=post.draft_id, post_id=post_id)
    signal_queue_change(session)
    return post


def _settleable(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id) if could_be_id(post_id) else None
    if post is None:
        raise NotFoundError(said(NO_POST, id=post_id))
    if post.status not in SETTLEABLE:
        # Every status but the two settleable ones is its own word (the web's status words).
        raise ReviewError(said(NOT_SETTLEABLE, id=post_id, status=said(str(post.status))))
    return post


@dataclass(frozen=True)
class AttentionEntry:
    """A post to settle, with its draft's title, why it stopped, and since when."""

    post_id: int
    draft_id: int
    title: str
    channel: str
    language: str
    status: str
    reason: str | None
    since: datetime
    due_at: datetime | None
    part: int = 1  # of its chain (``Post.part``); ``parts + 1``: the first comment
    parts: int = 1


@dataclass(frozen=True)
class AttentionList:
    entries: tuple[AttentionEntry, ...]
    total: int  # every post to settle, though ``entries`` stops at the limit
    after: str | None = None  # the next page's token (``drafts.keyset``); None on the last


def attention_list(session: Session, *, limit: int, after: str | None = None) -> AttentionList:
    """The posts that need attention or failed, the most recently changed first, ``limit`` of
    them from the place token ``after`` names (None: the first page), and how many there are;
    ``CursorError`` for a token this list did not make."""
    place = keyset.place(after, datetime, int) if after is not None else None
    settleable = [str(status) for status in SETTLEABLE]
    total = session.exec(
        select(func.count()).select_from(Post).where(col(Post.status).in_(settleable))
    ).one()
    page = keyset.paged(
        session.connection().execute(_attention_query(settleable, place, limit + 1)).all(),
        limit,
        lambda row: (row.updated_at, row.id),
    )
    rows = page.rows
    entries = tuple(
        AttentionEntry(
            post_id=row.id,
            draft_id=row.draft_id,
            title=row.title,
            channel=row.channel,
            language=row.language,
            status=row.status,
            reason=row.reason,
            since=row.updated_at,
            due_at=row.due_at,
            part=row.part,
            parts=row.parts,
        )
        for row in rows
    )
    return AttentionList(entries=entries, total=total, after=page.after)


def _attention_query(
    statuses: list[str], place: tuple[keyset.Value, ...] | None, limit: int
) -> Select[*tuple[Any, ...]]:
    """The page's posts: each status's newest ``limit`` read apart, in the order of
    ``ix_post_status_changed`` (status, updated_at, id), then merged, each with its draft's
    title read by the draft's key. One range over two statuses has no order an index gives,
    so the database would read and sort every failed post, and those grow with the posts
    stored; joined rather than looked up, a small table may be read whole."""
    shown = (
        col(Post.id),
        col(Post.draft_id),
        col(Post.channel),
        col(Post.language),
        col(Post.status),
        col(Post.reason),
        col(Post.updated_at),
        col(Post.due_at),
        col(Post.part),
        col(Post.parts),
    )
    heads = []
    for status in statuses:
        head = (
            select_columns(*shown)
            .where(col(Post.status) == status, listed_by_change(col(Post.status)))
            .order_by(col(Post.updated_at).desc(), col(Post.id).desc())
            .limit(limit)
        )
        if place is not None:
            changed = (col(Post.updated_at), col(Post.id))
            head = head.where(keyset.beyond(changed, place, descending=True))
        # Its own subquery: SQLite takes no LIMIT on a member of a UNION.
        heads.append(select_columns(head.subquery()))
    newest = union_all(*heads).subquery()
    title = select_columns(col(Draft.title)).where(col(Draft.id) == newest.c.draft_id)
    return (
        select_columns(newest, title.scalar_subquery().label("title"))
        .order_by(newest.c.updated_at.desc(), newest.c.id.desc())
        .limit(limit)
    )
