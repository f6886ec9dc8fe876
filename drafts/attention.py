"""What a person does about a post the daemon could not settle: mark it published (with its
URL) after checking the channel, or send it again.

Retrying a post whose outcome was unknown can post it twice; that is the person's call to make,
after looking, and the audit log records who made it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from drafts.audit import record
from drafts.errors import NotFoundError, ReviewError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post, User, could_be_id
from drafts.storage import signal_queue_change
from drafts.users import Capability, require

SETTLEABLE = frozenset({PostStatus.NEEDS_ATTENTION, PostStatus.FAILED})


def mark_published(session: Session, *, post_id: int, url: str, actor: User, now: datetime) -> Post:
    """Record that a person found the post live at ``url``."""
    require(actor, Capability.QUEUE)
    post = _settleable(session, post_id)
    if not url.startswith(("https://", "http://")):
        raise ReviewError("url: give the post's address, starting with https://")
    post.status, post.reason = PostStatus.PUBLISHED, f"marked published by {actor.name}"
    post.remote_url, post.remote_id = url, post.remote_id or url
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
    return post


def retry_post(session: Session, *, post_id: int, actor: User, now: datetime) -> Post:
    """Queue the post again now; the daemon sends it as a fresh attempt."""
    require(actor, Capability.QUEUE)
    post = _settleable(session, post_id)
    draft = session.get(Draft, post.draft_id)
    assert draft is not None
    if draft.expires_at is not None and now >= draft.expires_at:
        raise ReviewError(f"post {post_id}: its draft expired, so it is not sent again")
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
        raise NotFoundError(f"no post {post_id}")
    if post.status not in SETTLEABLE:
        raise ReviewError(
            f"post {post_id} is {post.status}; only a post that needs attention or failed can be settled"
        )
    return post
