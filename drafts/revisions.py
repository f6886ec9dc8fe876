"""Every content a draft has had, kept by its content hash.

A review page carries the hash of the posts it showed. When the draft changed before the
reviewer decided, the approval is refused (guarantee 1), and the kept revision lets the page
show exactly what changed since that reviewer opened it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from sqlmodel import Session, col, select

from drafts.composing import ImageRows, PostText, post_key
from drafts.models import DraftRevision
from drafts.times import utcnow

_revision_table = DraftRevision.__table__  # type: ignore[attr-defined]


def keep_revision(
    session: Session,
    draft_id: int,
    digest: str,
    posts: Sequence[PostText],
    images: ImageRows = MappingProxyType({}),
) -> None:
    """Remember ``posts`` and their ``images`` under ``digest``, their content hash (once: a
    hash always names the same posts)."""
    row = {
        "draft_id": draft_id,
        "content_hash": digest,
        "posts": seen_texts(posts, images),
        "created_at": utcnow(),
    }
    # The dialect's own insert (for "on conflict do nothing"), imported when first needed: the
    # command line loads this module for every command, most of which never write a revision.
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_revision_table).values(**row).on_conflict_do_nothing()
    session.connection().execute(statement)  # Core: no ORM bookkeeping for a row never read back


def revision_texts(session: Session, draft_id: int, digest: str) -> list[dict[str, Any]] | None:
    """The posts the draft had under the hash ``digest`` starts, or None if it never had one
    (or had several: too short a prefix names no single revision)."""
    revisions = session.exec(
        select(DraftRevision)
        .where(
            DraftRevision.draft_id == draft_id,
            col(DraftRevision.content_hash).startswith(digest, autoescape=True),
        )
        .limit(2)
    ).all()
    return revisions[0].posts if len(revisions) == 1 else None


def seen_texts(
    posts: Sequence[PostText], images: ImageRows = MappingProxyType({})
) -> list[dict[str, Any]]:
    """The posts as a reviewer reads them: channel, language and text each, and ``media`` (the
    JSON of each image it sends) for a post with images."""
    seen: list[dict[str, Any]] = []
    for post in posts:
        entry: dict[str, Any] = {
            "channel": post.channel,
            "language": post.language,
            "text": post.text,
        }
        if post.occurrence != 1:
            entry["occurrence"] = post.occurrence
        if post.part != 1 or post.parts != 1:
            entry["part"], entry["parts"] = post.part, post.parts
        sent = images.get(post_key(post))
        if sent:
            entry["media"] = [image.to_json() for image in sent]
        seen.append(entry)
    return seen
