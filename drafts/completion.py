"""When a draft is done: a scheduled draft whose posts are all final (published, failed,
needing attention, expired or cancelled) becomes ``done``, with an audit entry.

The daemon calls this on its hot path, after each batch of results, so it costs two Core
statements whatever the number of drafts: the drafts marked done, and their audit entries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from drafts.audit import Entry, record_batch
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus
from drafts.models import Draft, Post

_draft_table = Draft.__table__  # type: ignore[attr-defined]
_post_table = Post.__table__  # type: ignore[attr-defined]


def finish_drafts(
    session: Session, draft_ids: Collection[int], *, actor: str, now: datetime
) -> None:
    """Mark done each scheduled draft among ``draft_ids`` whose posts are all final; drafts
    with a post still to publish, or no longer scheduled, are left as they are."""
    if not draft_ids:
        return
    post = _post_table.c
    unfinished = (
        select(post.id)
        .where(post.draft_id == _draft_table.c.id, post.status.not_in(FINAL_POST_STATUSES))
        .exists()
    )
    finished = (
        session.connection()
        .execute(
            update(_draft_table)
            .where(
                _draft_table.c.id.in_(draft_ids),
                _draft_table.c.status == DraftStatus.SCHEDULED,
                ~unfinished,
            )
            .values(status=DraftStatus.DONE, updated_at=now)
            .returning(_draft_table.c.id)
        )
        .scalars()
        .all()
    )
    record_batch(
        session, [Entry(draft_id, None, "draft.done") for draft_id in finished], actor=actor, at=now
    )
