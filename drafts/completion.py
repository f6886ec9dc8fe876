"""When a draft is done: a scheduled draft whose posts are all final (published, failed,
needing attention, expired or cancelled) becomes ``done``, with an audit entry.

The daemon calls this on its hot path, after each batch of results, so it costs one Core
statement on PostgreSQL and two on SQLite whatever the number of drafts: the drafts marked
done, and their audit entries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Integer, bindparam, select, update
from sqlalchemy.sql.dml import ReturningUpdate
from sqlmodel import Session

from drafts.audit import Entry, appended_for_drafts, record_batch
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
    with a post still to publish, or no longer scheduled, are left as they are. Each marked
    done has its audit entry: on PostgreSQL in the same statement (the update a
    data-modifying CTE the entries are inserted from), so the daemon's batch of results
    waits one round trip for it, not two; on SQLite, which has no such CTE, after it."""
    if not draft_ids:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    values = {"draft_ids": list(draft_ids), "now": now}
    if postgres:
        connection.execute(_finished_with_entries(), {**values, "at": now, "actor": actor})
        return
    finished = connection.execute(_finishing(postgres), values).scalars().all()
    record_batch(
        session, [Entry(draft_id, None, DONE) for draft_id in finished], actor=actor, at=now
    )


DONE = "draft.done"  # the audit action


@cache
def _finishing(postgres: bool) -> ReturningUpdate[Any]:
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


@cache
def _finished_with_entries() -> Insert:
    """PostgreSQL's: the drafts marked done (``_finishing``), and their audit entries inserted
    from what the update returns, in one statement."""
    done = _finishing(True).cte("done")
    return appended_for_drafts(done.c.id, DONE).add_cte(done)
