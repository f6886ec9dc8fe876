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
from functools import cache
from typing import Any

from sqlalchemy import (
    String,
    Update,
    bindparam,
    func,
    literal,
    update,
)
from sqlalchemy.sql.dml import ReturningUpdate
from sqlmodel import Session

from drafts.audit import DAEMON, Entry, record_batch
from drafts.completion import finish_drafts
from drafts.lifecycle import FINAL_POST_STATUSES, PostStatus
from drafts.models import Attempt, ChannelState, Post
from drafts.row_batches import RowBatch
from drafts.timestamps import AwareDateTime
from scheduler.attempt_data import Claim, Result
from scheduler.failure_events import record_post_end, record_published
from scheduler.retry import AttemptOutcome
from scheduler.tallies import Ended, lateness, tally

post_table = Post.__table__  # type: ignore[attr-defined]
attempt_table = Attempt.__table__  # type: ignore[attr-defined]


def record_results(session: Session, results: Iterable[Result], worker: str, now: datetime) -> None:
    """Complete attempts and move their posts on; a post another worker recovered meanwhile
    (our lease ran out) keeps whatever that worker decided."""
    results = list(results)
    if not results:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    attempts = _completed_attempts(postgres).params([_attempt_row(r) for r in results])
    # Moved only where this worker still holds the post (no one recovered it meanwhile):
    # checked by the statement that moves it, which says which it moved.
    moves = _moved_posts(postgres).params([_post_row(r) for r in results], now=now, holder=worker)
    if postgres:  # one statement: the attempts completed in its CTE
        moved = connection.execute(_move_posts(postgres), attempts | moves)
    else:
        connection.execute(_complete_attempts(postgres), attempts)
        moved = connection.execute(_move_posts(postgres), moves)
    held = {post_id for (post_id,) in moved}
    owned = [result for result in results if result.claim.post_id in held]
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
    tally(session, map(_ended, results))  # last: its rows are every worker's (scheduler.tallies)


def _ended(result: Result) -> Ended:
    outcome = result.decision.attempt_outcome
    late = (
        lateness(result.claim.due_at, result.finished_at)
        if outcome == AttemptOutcome.PUBLISHED
        else None
    )
    return Ended(result.claim.platform, str(outcome), late)


def record_dropped(session: Session, *, claim: Claim, note: str, now: datetime) -> None:
    """Add ``note`` to the error of ``claim``'s attempt, which sent nothing more because another
    worker took the post over; an attempt nobody closed yet is closed as unknown."""
    a = attempt_table.c
    connection = session.connection()
    this_attempt = (a.post_id == claim.post_id, a.number == claim.number)
    closed = connection.execute(
        update(attempt_table)
        .where(*this_attempt, a.outcome.is_(None))
        .values(outcome=AttemptOutcome.UNKNOWN, finished_at=now)
        .returning(a.number)
    ).all()
    connection.execute(
        update(attempt_table)
        .where(*this_attempt)
        .values(error=func.coalesce(a.error + literal("; "), literal("")) + literal(note))
    )
    if closed:
        tally(session, [Ended(claim.platform, str(AttemptOutcome.UNKNOWN))])


@cache
def _completed_attempts(postgres: bool) -> RowBatch:
    """An attempt's key (``post_id``, ``number``) and what it came to."""
    a = attempt_table.c
    return RowBatch.of(
        postgres,
        a.post_id,
        a.number,
        a.finished_at,
        a.outcome,
        a.http_status,
        a.remote_id,
        a.remote_url,
        a.error,
        a.duration_ms,
        name="attempts",
    )


@cache
def _complete_attempts(postgres: bool) -> Update:
    """Each attempt of the batch, completed: one statement (``drafts.row_batches``)."""
    done, a = _completed_attempts(postgres).c, attempt_table.c
    return (
        update(attempt_table)
        .where(a.post_id == done["post_id"], a.number == done["number"])
        .values({name: value for name, value in done.items() if name not in _ATTEMPT_KEY})
    )


_ATTEMPT_KEY = ("post_id", "number")


def _attempt_row(result: Result) -> dict[str, Any]:
    published = result.decision.attempt_outcome == AttemptOutcome.PUBLISHED
    return {
        "post_id": result.claim.post_id,
        "number": result.claim.number,
        "finished_at": result.finished_at,
        "outcome": str(result.decision.attempt_outcome),
        "http_status": result.http_status,
        "remote_id": result.remote_id,
        "remote_url": result.remote_url,
        "error": None if published else result.decision.reason,
        "duration_ms": result.duration_ms,
    }


@cache
def _moved_posts(postgres: bool) -> RowBatch:
    p = post_table.c
    return RowBatch.of(
        postgres,
        p.id,
        p.status,
        p.reason,
        p.attempt_at,
        p.reconcile,
        p.failures,
        p.publish_state,
        p.remote_id,
        p.remote_url,
        name="moves",
    )


@cache
def _move_posts(postgres: bool) -> ReturningUpdate[int]:
    """Each post of the batch that the worker still holds, moved on as its attempt decided:
    one statement, returning the posts it moved. A remote id or link the attempt did not
    learn keeps the one the post had. On PostgreSQL the same statement completes the
    attempts first (``_complete_attempts``, a data-modifying CTE), so a batch of results
    waits one round trip for both; SQLite, which has no such CTE, runs that one before."""
    moved, p = _moved_posts(postgres).c, post_table.c
    statement = (
        update(post_table)
        .where(
            p.id == moved["id"],
            # Not ``worker``: a parameter named as a column of a table an UPDATE writes (the
            # attempts its CTE completes) is written into that column too.
            p.lease_owner == bindparam("holder", type_=String()),
            p.status == PostStatus.PUBLISHING,
        )
        .values(
            status=moved["status"],
            reason=moved["reason"],
            lease_owner=None,
            lease_until=None,
            attempt_at=moved["attempt_at"],
            reconcile=moved["reconcile"],
            failures=moved["failures"],
            publish_state=moved["publish_state"],
            remote_id=func.coalesce(moved["remote_id"], p.remote_id),
            remote_url=func.coalesce(moved["remote_url"], p.remote_url),
            updated_at=bindparam("now", type_=AwareDateTime),
        )
        .returning(p.id)
    )
    if not postgres:
        return statement
    completed = _complete_attempts(postgres).returning(attempt_table.c.post_id).cte("completed")
    return statement.add_cte(completed)


def _post_row(result: Result) -> dict[str, Any]:
    claim, decision = result.claim, result.decision
    counts_as_failure = (
        decision.attempt_outcome != AttemptOutcome.PUBLISHED and decision.window_until is None
    )
    published = decision.status == PostStatus.PUBLISHED
    return {
        "id": claim.post_id,
        "status": str(decision.status),
        "reason": decision.reason,
        "attempt_at": decision.retry_at,
        "reconcile": decision.reconcile,
        "failures": claim.failures + (1 if counts_as_failure else 0),
        "publish_state": {**claim.state, **result.state},
        "remote_id": result.remote_id if published else None,
        "remote_url": result.remote_url if published else None,
    }


def _block_channel(session: Session, channel: str, until: datetime, reason: str) -> None:
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    if state.blocked_until is None or state.blocked_until < until:
        state.blocked_until, state.reason = until, reason
    session.add(state)
    session.flush()
