"""Recording what attempts came to: each attempt completed, its post moved on, a channel's
rate-limit window opened, a post that failed for good or needs a person told and one published
recorded for event hooks (``scheduler.failure_events``), and drafts whose posts are all final
marked done.

A result is recorded only while its worker still holds the post: one whose lease ran out and
that another worker recovered meanwhile keeps whatever that worker decided (its attempt is
completed all the same, so the log shows what it came to). An attempt dropped before sending
because another worker holds the post now keeps what the takeover said, with a note added.

This is the daemon's hot path, so it works in batches with Core statements: one batch of
results costs a handful of statements, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal, update
from sqlalchemy import select as core_select
from sqlmodel import Session

from drafts.audit import DAEMON, Entry, record_batch
from drafts.completion import finish_drafts
from drafts.lifecycle import FINAL_POST_STATUSES, PostStatus
from drafts.models import Attempt, ChannelState, Post
from scheduler.attempt_data import Claim, Result
from scheduler.failure_events import record_post_end, record_published
from scheduler.retry import AttemptOutcome

post_table = Post.__table__  # type: ignore[attr-defined]
attempt_table = Attempt.__table__  # type: ignore[attr-defined]


def record_results(session: Session, results: Iterable[Result], worker: str, now: datetime) -> None:
    """Complete attempts and move their posts on; a post another worker recovered meanwhile
    (our lease ran out) keeps whatever that worker decided."""
    results = list(results)
    if not results:
        return
    connection = session.connection()
    connection.execute(_COMPLETE_ATTEMPT, [_attempt_row(result) for result in results])
    owned = _still_ours(session, results, worker)
    if owned:
        connection.execute(_MOVE_POST, [_post_row(result, now) for result in owned])
    for result in owned:
        if result.decision.window_until is not None:
            _block_channel(
                session, result.claim.channel, result.decision.window_until, result.decision.reason
            )
    entries = [
        Entry(
            r.claim.draft_id,
            r.claim.post_id,
            f"post.{r.decision.status}",
            f"attempt {r.claim.number}: {r.decision.reason}",
        )
        for r in owned
    ]
    record_batch(session, entries, actor=worker, at=now)
    for r in owned:
        record_post_end(
            session,
            post_id=r.claim.post_id,
            draft_id=r.claim.draft_id,
            channel=r.claim.channel,
            status=r.decision.status,
            reason=r.decision.reason,
            attempt=r.claim.number,
        )
    record_published(session, owned)
    finals = {r.claim.draft_id for r in owned if r.decision.status in FINAL_POST_STATUSES}
    finish_drafts(session, finals, actor=DAEMON, now=now)


def record_dropped(session: Session, *, claim: Claim, note: str, now: datetime) -> None:
    """Add ``note`` to the error of ``claim``'s attempt, which sent nothing more because another
    worker took the post over; an attempt nobody closed yet is closed as unknown."""
    a = attempt_table.c
    session.connection().execute(
        update(attempt_table)
        .where(a.post_id == claim.post_id, a.number == claim.number)
        .values(
            error=func.coalesce(a.error + literal("; "), literal("")) + literal(note),
            outcome=func.coalesce(a.outcome, literal(str(AttemptOutcome.UNKNOWN))),
            finished_at=func.coalesce(a.finished_at, literal(now, type_=a.finished_at.type)),
        )
    )


_COMPLETE_ATTEMPT = (
    update(attempt_table)
    .where(
        attempt_table.c.post_id == bindparam("done_post"),
        attempt_table.c.number == bindparam("done_number"),
    )
    .values(
        finished_at=bindparam("finished"),
        outcome=bindparam("attempt_outcome"),
        http_status=bindparam("status_code"),
        remote_id=bindparam("rid"),
        remote_url=bindparam("rurl"),
        error=bindparam("err"),
        duration_ms=bindparam("ms"),
    )
)


def _attempt_row(result: Result) -> dict[str, Any]:
    published = result.decision.attempt_outcome == AttemptOutcome.PUBLISHED
    return {
        "done_post": result.claim.post_id,
        "done_number": result.claim.number,
        "finished": result.finished_at,
        "attempt_outcome": str(result.decision.attempt_outcome),
        "status_code": result.http_status,
        "rid": result.remote_id,
        "rurl": result.remote_url,
        "err": None if published else result.decision.reason,
        "ms": result.duration_ms,
    }


def _still_ours(session: Session, results: list[Result], worker: str) -> list[Result]:
    """The results whose posts this worker still holds (no one recovered them meanwhile)."""
    held = {
        post_id
        for (post_id,) in session.connection().execute(
            core_select(post_table.c.id).where(
                post_table.c.id.in_([r.claim.post_id for r in results]),
                post_table.c.lease_owner == worker,
                post_table.c.status == PostStatus.PUBLISHING,
            )
        )
    }
    return [result for result in results if result.claim.post_id in held]


_MOVE_POST = (
    update(post_table)
    .where(post_table.c.id == bindparam("moved_id"))
    .values(
        status=bindparam("new_status"),
        reason=bindparam("why"),
        lease_owner=None,
        lease_until=None,
        attempt_at=bindparam("retry_at"),
        reconcile=bindparam("check_first"),
        failures=bindparam("failed"),
        publish_state=bindparam("state"),
        remote_id=func.coalesce(
            bindparam("rid", type_=post_table.c.remote_id.type), post_table.c.remote_id
        ),
        remote_url=func.coalesce(
            bindparam("rurl", type_=post_table.c.remote_url.type), post_table.c.remote_url
        ),
        updated_at=bindparam("changed_at", type_=post_table.c.updated_at.type),
    )
)


def _post_row(result: Result, now: datetime) -> dict[str, Any]:
    claim, decision = result.claim, result.decision
    counts_as_failure = (
        decision.attempt_outcome != AttemptOutcome.PUBLISHED and decision.window_until is None
    )
    published = decision.status == PostStatus.PUBLISHED
    return {
        "moved_id": claim.post_id,
        "new_status": str(decision.status),
        "why": decision.reason,
        "retry_at": decision.retry_at,
        "check_first": decision.reconcile,
        "failed": claim.failures + (1 if counts_as_failure else 0),
        "state": {**claim.state, **result.state},
        "rid": result.remote_id if published else None,
        "rurl": result.remote_url if published else None,
        "changed_at": now,
    }


def _block_channel(session: Session, channel: str, until: datetime, reason: str) -> None:
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    if state.blocked_until is None or state.blocked_until < until:
        state.blocked_until, state.reason = until, reason
    session.add(state)
    session.flush()
