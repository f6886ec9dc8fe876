"""When a draft is done: a scheduled draft whose posts are all final (published, failed,
needing attention, expired or cancelled) becomes ``done``, with an audit entry.

The daemon calls this on its hot path, after each batch of results, so it costs three Core
statements whatever the number of drafts.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from drafts.audit import Entry, record_batch
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus
from drafts.models import Draft, Post

_draft_table = Draft.__table__  # type: ignore[attr-defined]


def finish_drafts(
    session: Session, draft_ids: Collection[int], *, actor: str, now: datetime
) -> None:
    """Mark done each scheduled draft among ``draft_ids`` whose posts are all final; drafts
    with a post still to publish, or no longer scheduled, are left as they are."""
    if not draft_ids:
        return
    connection = session.connection()
    unfinished = func.sum(case((col(Post.status).notin_(FINAL_POST_STATUSES), 1), else_=0))
    rows = connection.execute(
        select(Post.draft_id)
        .where(col(Post.draft_id).in_(draft_ids))
        .group_by(col(Post.draft_id))
        .having(func.coalesce(unfinished, 0) == 0)
    )
    done = [draft_id for (draft_id,) in rows]
    if not done:
        return
    finished = (
        connection.execute(
            update(_draft_table)
            .where(_draft_table.c.id.in_(done), _draft_table.c.status == DraftStatus.SCHEDULED)
            .values(status=DraftStatus.DONE, updated_at=now)
            .returning(_draft_table.c.id)
        )
        .scalars()
        .all()
    )
    record_batch(
        session, [Entry(draft_id, None, "draft.done") for draft_id in finished], actor=actor, at=now
    )
