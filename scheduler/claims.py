"""Claiming due posts and recording what their attempts came to, in the database.

The database decides who publishes a post. A claim takes due posts atomically (``BEGIN
IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), gives them a lease in this
worker's name and records each attempt as started, all in one transaction that commits before
any request is sent. A post whose lease ran out while its attempt was in flight was maybe sent:
it is claimed again with ``reconcile`` set, so the platform is asked before anything is resent.

This is the daemon's hot path, so it works in batches with Core statements: one claim or one
batch of results costs a handful of statements, whatever the number of posts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from drafts.audit import DAEMON
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus, PostStatus
from drafts.models import Attempt, AuditEntry, ChannelState, Draft, Post
from drafts.review import approved_as_they_stand
from scheduler.retry import AttemptOutcome, Decision

CLAIMABLE = (PostStatus.SCHEDULED, PostStatus.RETRYING)
FIRST_ATTEMPT_AT = "first_attempt_at"
# When a create request last went out (or may have): stored before it goes, so a check after
# an unknown outcome looks for the post from then on, whatever the platform.
LAST_SENT_AT = "last_sent_at"
CRASHED = "the worker stopped while this request was in flight"

post_table = Post.__table__  # type: ignore[attr-defined]
attempt_table = Attempt.__table__  # type: ignore[attr-defined]
audit_table = AuditEntry.__table__  # type: ignore[attr-defined]
draft_table = Draft.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A post this worker now holds, with its attempt already recorded as started."""

    post_id: int
    draft_id: int
    number: int
    channel: str
    platform: str
    language: str
    text: str
    idempotency_key: str
    state: Mapping[str, str]
    failures: int
    reconcile: bool
    due_at: datetime | None
    first_attempt_at: datetime | None
    last_sent_at: datetime | None = None


@dataclass(frozen=True)
class Result:
    """What one attempt came to, ready to be recorded."""

    claim: Claim
    decision: Decision
    finished_at: datetime
    duration_ms: int
    http_status: int | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    state: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Candidate:
    post_id: int
    draft_id: int
    channel: str
    platform: str
    language: str
    text: str
    status: str
    idempotency_key: str | None
    publish_state: dict[str, Any]
    failures: int
    reconcile: bool
    due_at: datetime | None
    expires_at: datetime | None
    draft_status: str


def _core(session: Session) -> Connection:
    """The session's connection: hot-path statements skip the ORM's per-statement work."""
    return session.connection()


def claim_due(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    capacity: Mapping[str, int],
    limit: int,
    required_approvals: int,
) -> list[Claim]:
    """Claim up to ``limit`` due posts, at most ``capacity[channel]`` per channel."""
    if limit <= 0:
        return []
    blocked = _blocked_channels(session, now)
    open_channels = [c for c, free in capacity.items() if free > 0 and c not in blocked]
    if not open_channels:
        return []
    candidates = _candidates(session, now, open_channels, limit * 2)
    if not candidates:
        return []
    approved = approved_as_they_stand(session, {c.draft_id for c in candidates}, required_approvals)
    left = dict(capacity)
    chosen: list[_Candidate] = []
    for candidate in candidates:
        if len(chosen) >= limit or left.get(candidate.channel, 0) <= 0:
            continue
        if candidate.status == PostStatus.PUBLISHING:
            _close_abandoned_attempt(session, candidate, now)
        reason = _why_not_send(candidate, approved, now)
        if reason is not None:
            status, why = reason
            _settle(session, candidate, status, why, now)
            continue
        left[candidate.channel] -= 1
        chosen.append(candidate)
    return _take(session, chosen, worker, now, lease)


def _candidates(
    session: Session, now: datetime, channels: Sequence[str], limit: int
) -> list[_Candidate]:
    due = and_(col(Post.status).in_(CLAIMABLE), col(Post.attempt_at) <= now)
    abandoned = and_(col(Post.status) == PostStatus.PUBLISHING, col(Post.lease_until) < now)
    p, d = post_table.c, draft_table.c
    query = (
        core_select(
            p.id,
            p.draft_id,
            p.channel,
            p.platform,
            p.language,
            p.text,
            p.status,
            p.idempotency_key,
            p.publish_state,
            p.failures,
            p.reconcile,
            p.due_at,
            d.expires_at,
            d.status,
        )
        .join(draft_table, d.id == p.draft_id)
        .where(or_(due, abandoned), col(Post.channel).in_(channels))
        .order_by(col(Post.attempt_at), col(Post.id))
        .limit(limit)
        .with_for_update(of=post_table, skip_locked=True)  # SQLite: BEGIN IMMEDIATE holds it
    )
    rows: list[tuple[Any, ...]] = [tuple(row) for row in _core(session).execute(query)]
    return [_Candidate(*row) for row in rows]


def _why_not_send(
    candidate: _Candidate, approved: set[int], now: datetime
) -> tuple[PostStatus, str] | None:
    expires_at = candidate.expires_at
    if expires_at is not None and now >= expires_at:
        return PostStatus.EXPIRED, f"due after the draft expired ({expires_at:%Y-%m-%d %H:%M} UTC)"
    if candidate.draft_status != DraftStatus.SCHEDULED or candidate.draft_id not in approved:
        return PostStatus.FAILED, "not approved as it stands: it was not sent"
    return None


def _close_abandoned_attempt(session: Session, candidate: _Candidate, now: datetime) -> None:
    found = (
        _core(session)
        .execute(
            select(Attempt.number, Attempt.worker).where(
                col(Attempt.post_id) == candidate.post_id, col(Attempt.outcome).is_(None)
            )
        )
        .all()
    )
    for number, worker in found:
        _core(session).execute(
            update(attempt_table)
            .where(attempt_table.c.post_id == candidate.post_id, attempt_table.c.number == number)
            .values(outcome=AttemptOutcome.UNKNOWN, finished_at=now, error=CRASHED)
        )
        candidate.reconcile = True
        _audit(
            session,
            [
                (
                    candidate.draft_id,
                    candidate.post_id,
                    "post.recover",
                    f"attempt {number} by {worker}: {CRASHED}",
                )
            ],
            DAEMON,
            now,
        )


def _settle(
    session: Session, candidate: _Candidate, status: PostStatus, reason: str, now: datetime
) -> None:
    _core(session).execute(
        update(post_table)
        .where(post_table.c.id == candidate.post_id)
        .values(
            status=status,
            reason=reason,
            lease_owner=None,
            lease_until=None,
            attempt_at=None,
            reconcile=candidate.reconcile,
            updated_at=now,
        )
    )
    _audit(
        session, [(candidate.draft_id, candidate.post_id, f"post.{status}", reason)], DAEMON, now
    )
    _finish_drafts_if_done(session, {candidate.draft_id}, now)


def _take(
    session: Session, chosen: list[_Candidate], worker: str, now: datetime, lease: timedelta
) -> list[Claim]:
    if not chosen:
        return []
    numbers = _last_attempt_numbers(session, [c.post_id for c in chosen])
    claims = [_claim(c, numbers.get(c.post_id, 0) + 1, now) for c in chosen]
    _core(session).execute(
        insert(attempt_table),
        [
            {"post_id": c.post_id, "number": c.number, "worker": worker, "started_at": now}
            for c in claims
        ],
    )
    _core(session).execute(
        update(post_table)
        .where(post_table.c.id == bindparam("claimed_id"))
        .values(
            status=PostStatus.PUBLISHING,
            lease_owner=worker,
            lease_until=now + lease,
            idempotency_key=bindparam("key"),
            publish_state=bindparam("state"),
            reconcile=bindparam("reconcile_flag"),
        ),
        [
            {
                "claimed_id": c.post_id,
                "key": c.idempotency_key,
                "state": dict(c.state),
                "reconcile_flag": c.reconcile,
            }
            for c in claims
        ],
    )
    return claims


def _claim(candidate: _Candidate, number: int, now: datetime) -> Claim:
    state = {key: str(value) for key, value in candidate.publish_state.items()}
    state.setdefault(FIRST_ATTEMPT_AT, now.isoformat())
    if not candidate.reconcile:  # this attempt sends at once: the claim stores when, first
        state[LAST_SENT_AT] = now.isoformat()
    last_sent = state.get(LAST_SENT_AT)
    return Claim(
        post_id=candidate.post_id,
        draft_id=candidate.draft_id,
        number=number,
        channel=candidate.channel,
        platform=candidate.platform,
        language=candidate.language,
        text=candidate.text,
        idempotency_key=candidate.idempotency_key or uuid.uuid4().hex,
        state=state,
        failures=candidate.failures,
        reconcile=candidate.reconcile,
        due_at=candidate.due_at,
        first_attempt_at=datetime.fromisoformat(state[FIRST_ATTEMPT_AT]),
        last_sent_at=datetime.fromisoformat(last_sent) if last_sent else None,
    )


def _last_attempt_numbers(session: Session, post_ids: Sequence[int]) -> dict[int, int]:
    rows = _core(session).execute(
        select(Attempt.post_id, func.max(Attempt.number))
        .where(col(Attempt.post_id).in_(post_ids))
        .group_by(col(Attempt.post_id))
    )
    return {post_id: int(number) for post_id, number in rows}


def record_results(session: Session, results: Iterable[Result], worker: str, now: datetime) -> None:
    """Complete attempts and move their posts on; a post another worker recovered meanwhile
    (our lease ran out) keeps whatever that worker decided."""
    results = list(results)
    if not results:
        return
    _core(session).execute(
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
        ),
        [_attempt_row(result) for result in results],
    )
    owned = _still_ours(session, results, worker)
    if owned:
        _core(session).execute(_MOVE_POST, [_post_row(result, now) for result in owned])
    for result in owned:
        if result.decision.window_until is not None:
            _block_channel(
                session, result.claim.channel, result.decision.window_until, result.decision.reason
            )
    _audit(
        session,
        [
            (
                r.claim.draft_id,
                r.claim.post_id,
                f"post.{r.decision.status}",
                f"attempt {r.claim.number}: {r.decision.reason}",
            )
            for r in owned
        ],
        worker,
        now,
    )
    finals = {r.claim.draft_id for r in owned if r.decision.status in FINAL_POST_STATUSES}
    _finish_drafts_if_done(session, finals, now)


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
        for (post_id,) in _core(session).execute(
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


def _finish_drafts_if_done(session: Session, draft_ids: set[int], now: datetime) -> None:
    """Drafts whose posts are all final are done."""
    if not draft_ids:
        return
    unfinished = func.sum(case((col(Post.status).notin_(FINAL_POST_STATUSES), 1), else_=0))
    rows = _core(session).execute(
        select(Post.draft_id)
        .where(col(Post.draft_id).in_(draft_ids))
        .group_by(col(Post.draft_id))
        .having(func.coalesce(unfinished, 0) == 0)
    )
    done = [draft_id for (draft_id,) in rows]
    if not done:
        return
    finished = (
        _core(session)
        .execute(
            update(draft_table)
            .where(draft_table.c.id.in_(done), draft_table.c.status == DraftStatus.SCHEDULED)
            .values(status=DraftStatus.DONE, updated_at=now)
            .returning(draft_table.c.id)
        )
        .scalars()
        .all()
    )
    entries: list[tuple[int, int | None, str, str]] = [
        (draft_id, None, "draft.done", "") for draft_id in finished
    ]
    _audit(session, entries, DAEMON, now)


def _audit(
    session: Session,
    entries: Sequence[tuple[int, int | None, str, str]],
    actor: str,
    now: datetime,
) -> None:
    if entries:
        _core(session).execute(
            insert(audit_table),
            [
                {
                    "at": now,
                    "actor": actor,
                    "action": action,
                    "draft_id": draft_id,
                    "post_id": post_id,
                    "detail": detail,
                }
                for draft_id, post_id, action, detail in entries
            ],
        )


def _blocked_channels(session: Session, now: datetime) -> set[str]:
    rows = _core(session).execute(
        select(ChannelState.channel).where(col(ChannelState.blocked_until) > now)
    )
    return {channel for (channel,) in rows}


def next_wake(session: Session, *, now: datetime) -> datetime | None:
    """When something next becomes claimable: a due or retry time (after its channel's
    rate-limit window), or another worker's lease running out."""
    rows = (
        _core(session)
        .execute(
            select(Post.channel, func.min(Post.attempt_at))
            .where(col(Post.status).in_(CLAIMABLE))
            .group_by(col(Post.channel))
        )
        .all()
    )
    windows: dict[str, datetime] = dict(
        _core(session)
        .execute(
            select(ChannelState.channel, ChannelState.blocked_until).where(
                col(ChannelState.blocked_until) > now
            )
        )
        .all()
    )
    times = [max(at, windows.get(channel) or at) for channel, at in rows if at is not None]
    lease = (
        _core(session)
        .execute(
            select(func.min(Post.lease_until)).where(col(Post.status) == PostStatus.PUBLISHING)
        )
        .scalar()
    )
    if lease is not None:
        times.append(lease)
    return min(times, default=None)


def pending_work(session: Session, *, now: datetime) -> bool:
    """Whether a drain must go on: anything due now, any retry, any post in flight."""
    busy = (
        _core(session)
        .execute(
            select(Post.id)
            .where(
                or_(
                    and_(col(Post.status) == PostStatus.SCHEDULED, col(Post.attempt_at) <= now),
                    col(Post.status).in_([PostStatus.RETRYING, PostStatus.PUBLISHING]),
                )
            )
            .limit(1)
        )
        .first()
    )
    return busy is not None


def save_publish_state(
    session: Session, *, post_id: int, worker: str, state: Mapping[str, str]
) -> None:
    """Persist ids an adapter chose (a record key, a container id) before it sends a request."""
    post = session.get(Post, post_id)
    if post is not None and post.lease_owner == worker:
        post.publish_state = {**post.publish_state, **state}


def extend_leases(
    session: Session, *, worker: str, post_ids: Sequence[int], until: datetime
) -> None:
    """Keep holding posts whose requests are still running."""
    if post_ids:
        _core(session).execute(
            update(post_table)
            .where(post_table.c.id.in_(post_ids), post_table.c.lease_owner == worker)
            .values(lease_until=until)
        )
