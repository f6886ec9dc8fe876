"""When a draft is done: a scheduled draft whose posts are all final (published, failed,
needing attention, expired or cancelled) becomes ``done``, with an audit entry.

The daemon calls this on its hot path, after each batch of results, so it costs two Core
statements whatever the number of drafts: the drafts marked done, and their audit entries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Update, bindparam, select, update
from sqlmodel import Session

from drafts.audit import Entry, record_batch
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus
from drafts.models import Draft, Post
from drafts.row_batches import one_of
from drafts.timestamps import AwareDateTime

_draft_table = Draft.__table__  # type: ignore[attr-defined]
_post_table = Post.__table__  # type: ignore[attr-defined]


def finish_drafts(
    session: Session, draft_ids: Collection[int], *, actor: str, now: datetime
) -> None:
    """Mark done each scheduled draft among ``draft_ids`` whose posts are all final; drafts
    with a post still to publish, or no longer scheduled, are left as they are."""
    if not draft_ids:
        return
    connection = session.connection()
    finished = (
        connection.execute(
            _finishing(connection.dialect.name == "postgresql"),
            {"draft_ids": list(draft_ids), "now": now},
        )
        .scalars()
        .all()
    )
    record_batch(
        session, [Entry(draft_id, None, "draft.done") for draft_id in finished], actor=actor, at=now
    )


@cache
def _finishing(postgres: bool) -> Update:
    """The drafts among ``:draft_ids`` that are done, marked so: built once for each backend,
    its ids one array on PostgreSQL (``drafts.row_batches.one_of``), so that the daemon's
    finishing of each batch is one statement text, prepared once, whatever the number."""
    post, draft = _post_table.c, _draft_table.c
    unfinished = (
        select(post.id)
        .where(post.draft_id == draft.id, post.status.not_in(FINAL_POST_STATUSES))
        .exists()
    )
    return (
        update(_draft_table)
        .where(
            one_of(draft.id, "draft_ids", Integer(), postgres),
            draft.status == DraftStatus.SCHEDULED,
            ~unfinished,
        )
        .values(status=DraftStatus.DONE, updated_at=bindparam("now", type_=AwareDateTime))
        .returning(draft.id)
    )
