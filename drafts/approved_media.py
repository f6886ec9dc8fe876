"""Which stored images may be served to a platform: those an approved post sends.

A signed media link (``scheduler.media_links``) proves the daemon asked for an image; this
decides, at each fetch, that the image still goes out in an approved form. An image counts when
a post sends it (a ``post_media`` row: the version its platform gets) and either the post's
draft is approved or scheduled, or the post itself is on its way or out (publishing, retrying,
published: the draft may be ``done`` by then). An edit that sends the draft back to review, or
replaces the image, ends every link to it at once.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media import StoredImage
from drafts.media_store import stored_image
from drafts.models import Draft, Post, PostMedia

APPROVED_DRAFTS = (DraftStatus.APPROVED, DraftStatus.SCHEDULED)
SENDING_POSTS = (PostStatus.PUBLISHING, PostStatus.RETRYING, PostStatus.PUBLISHED)


def approved_image(session: Session, sha256: str) -> StoredImage | None:
    """The stored image with this SHA-256 if an approved post sends it, else None."""
    sent = session.exec(
        select(PostMedia.post_id)
        .join(Post, col(Post.id) == col(PostMedia.post_id))
        .join(Draft, col(Draft.id) == col(Post.draft_id))
        .where(
            col(PostMedia.sha256) == sha256,
            or_(col(Draft.status).in_(APPROVED_DRAFTS), col(Post.status).in_(SENDING_POSTS)),
        )
        .limit(1)
    ).first()
    return None if sent is None else stored_image(session, sha256)
