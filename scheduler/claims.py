"""Claiming due posts and recording what their attempts came to, in the database.

The database decides who publishes a post. A claim takes due posts atomically (``BEGIN
IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), gives them a lease in this
worker's name and records each attempt as started, all in one transaction that commits before
any request is sent. A post whose lease ran out while its attempt was in flight was maybe sent:
it is claimed again with ``reconcile`` set, so the platform is asked before anything is resent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from drafts.audit import DAEMON, record
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus, PostStatus
from drafts.models import Attempt, ChannelState, Draft, Post
from drafts.review import approved_as_they_stand
from scheduler.retry import AttemptOutcome, Decision

CLAIMABLE = (PostStatus.SCHEDULED, PostStatus.RETRYING)
FIRST_ATTEMPT_AT = "first_attempt_at"
CRASHED = "the worker stopped while this request was in flight"


@dataclass(frozen=True)
class Claim:
    """A post this worker now holds, with its attempt already recorded as started."""

    post_id: int
    attempt_id: int
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
    candidates = _candidates(session, now, open_channels, limit * 4)
    approved = approved_as_they_stand(
        session, {post.draft_id for post, _ in candidates}, required_approvals
    )
    left = dict(capacity)
    claims: list[Claim] = []
    for post, draft in candidates:
        if len(claims) >= limit or left.get(post.channel, 0) <= 0:
            continue
        if _settle_without_sending(session, post, draft, approved, now):
            continue
        left[post.channel] -= 1
        claims.append(_take(session, post, worker, now, lease))
    session.flush()
    return claims


def _candidates(
    session: Session, now: datetime, channels: Sequence[str], limit: int
) -> list[tuple[Post, Draft]]:
    due = and_(col(Post.status).in_(CLAIMABLE), col(Post.attempt_at) <= now)
    abandoned = and_(col(Post.status) == PostStatus.PUBLISHING, col(Post.lease_until) < now)
    query = (
        select(Post, Draft)
        .join(Draft, col(Draft.id) == col(Post.draft_id))
        .where(or_(due, abandoned), col(Post.channel).in_(channels))
        .order_by(col(Post.attempt_at), col(Post.id))
        .limit(limit)
        .with_for_update(of=Post, skip_locked=True)  # SQLite: BEGIN IMMEDIATE already holds it
    )
    return list(session.exec(query).all())


def _settle_without_sending(
    session: Session, post: Post, draft: Draft, approved: set[int], now: datetime
) -> bool:
    """Expire or refuse a post that must not be sent; True if it was settled."""
    if post.status == PostStatus.PUBLISHING:
        _close_abandoned_attempt(session, post, now)
    if draft.expires_at is not None and now >= draft.expires_at:
        _settle(
            session,
            post,
            PostStatus.EXPIRED,
            f"due after the draft expired ({draft.expires_at:%Y-%m-%d %H:%M} UTC)",
        )
        return True
    if draft.status != DraftStatus.SCHEDULED or post.draft_id not in approved:
        _settle(session, post, PostStatus.FAILED, "not approved as it stands: it was not sent")
        return True
    return False


def _close_abandoned_attempt(session: Session, post: Post, now: datetime) -> None:
    attempt = session.exec(
        select(Attempt)
        .where(Attempt.post_id == post.id, col(Attempt.outcome).is_(None))
        .order_by(col(Attempt.number).desc())
    ).first()
    if attempt is not None:
        attempt.outcome = AttemptOutcome.UNKNOWN
        attempt.finished_at = now
        attempt.error = CRASHED
        post.reconcile = True
        record(
            session,
            actor=DAEMON,
            action="post.recover",
            draft_id=post.draft_id,
            post_id=post.id,
            detail=f"attempt {attempt.number} by {attempt.worker}: {CRASHED}",
        )


def _settle(session: Session, post: Post, status: PostStatus, reason: str) -> None:
    post.status, post.reason = status, reason
    post.lease_owner = post.lease_until = post.attempt_at = None
    record(
        session,
        actor=DAEMON,
        action=f"post.{status}",
        draft_id=post.draft_id,
        post_id=post.id,
        detail=reason,
    )
    _finish_draft_if_done(session, post.draft_id)


def _take(session: Session, post: Post, worker: str, now: datetime, lease: timedelta) -> Claim:
    assert post.id is not None
    if post.idempotency_key is None:
        post.idempotency_key = uuid.uuid4().hex
    state = dict(post.publish_state)
    state.setdefault(FIRST_ATTEMPT_AT, now.isoformat())
    number = _last_attempt_number(session, post.id) + 1
    attempt = Attempt(post_id=post.id, number=number, worker=worker, started_at=now)
    session.add(attempt)
    post.status = PostStatus.PUBLISHING
    post.lease_owner, post.lease_until = worker, now + lease
    post.publish_state = state
    session.flush()
    assert attempt.id is not None
    return Claim(
        post_id=post.id,
        attempt_id=attempt.id,
        number=number,
        channel=post.channel,
        platform=post.platform,
        language=post.language,
        text=post.text,
        idempotency_key=post.idempotency_key,
        state={k: str(v) for k, v in state.items()},
        failures=post.failures,
        reconcile=post.reconcile,
        due_at=post.due_at,
        first_attempt_at=datetime.fromisoformat(state[FIRST_ATTEMPT_AT]),
    )


def _last_attempt_number(session: Session, post_id: int) -> int:
    last = session.exec(select(func.max(Attempt.number)).where(Attempt.post_id == post_id)).one()
    return int(last or 0)


def record_results(session: Session, results: Iterable[Result], worker: str) -> None:
    """Complete attempts and move their posts on; a lease another worker took over is left alone."""
    for result in results:
        _record(session, result, worker)


def _record(session: Session, result: Result, worker: str) -> None:
    claim, decision = result.claim, result.decision
    attempt = session.get(Attempt, claim.attempt_id)
    post = session.get(Post, claim.post_id)
    assert attempt is not None
    assert post is not None
    attempt.finished_at = result.finished_at
    attempt.outcome = decision.attempt_outcome
    attempt.http_status = result.http_status
    attempt.remote_id, attempt.remote_url = result.remote_id, result.remote_url
    attempt.error = (
        None if decision.attempt_outcome == AttemptOutcome.PUBLISHED else decision.reason
    )
    attempt.duration_ms = result.duration_ms
    if post.lease_owner != worker or post.status != PostStatus.PUBLISHING:
        return  # our lease ran out and another worker recovered the post: it decides now
    post.publish_state = {**post.publish_state, **result.state}
    post.status, post.reason = decision.status, decision.reason
    post.lease_owner = post.lease_until = None
    post.attempt_at = decision.retry_at
    post.reconcile = decision.reconcile
    if decision.attempt_outcome != AttemptOutcome.PUBLISHED and decision.window_until is None:
        post.failures += 1
    if decision.status == PostStatus.PUBLISHED:
        post.remote_id, post.remote_url = result.remote_id, result.remote_url
    if decision.window_until is not None:
        _block_channel(session, post.channel, decision.window_until, decision.reason)
    record(
        session,
        actor=worker,
        action=f"post.{decision.status}",
        draft_id=post.draft_id,
        post_id=post.id,
        detail=f"attempt {claim.number}: {decision.reason}",
    )
    if decision.status in FINAL_POST_STATUSES:
        _finish_draft_if_done(session, post.draft_id)


def _block_channel(session: Session, channel: str, until: datetime, reason: str) -> None:
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    if state.blocked_until is None or state.blocked_until < until:
        state.blocked_until, state.reason = until, reason
    session.add(state)


def _finish_draft_if_done(session: Session, draft_id: int) -> None:
    statuses = session.exec(select(Post.status).where(Post.draft_id == draft_id)).all()
    if all(status in FINAL_POST_STATUSES for status in statuses):
        draft = session.get(Draft, draft_id)
        if draft is not None and draft.status == DraftStatus.SCHEDULED:
            draft.status = DraftStatus.DONE
            record(session, actor=DAEMON, action="draft.done", draft_id=draft_id)


def _blocked_channels(session: Session, now: datetime) -> set[str]:
    rows = session.exec(select(ChannelState.channel).where(col(ChannelState.blocked_until) > now))
    return set(rows)


def next_wake(session: Session, *, now: datetime) -> datetime | None:
    """When something next becomes claimable: a due or retry time (after its channel's
    rate-limit window), or another worker's lease running out."""
    rows = session.exec(
        select(Post.channel, func.min(Post.attempt_at))
        .where(col(Post.status).in_(CLAIMABLE))
        .group_by(col(Post.channel))
    ).all()
    windows = {
        state.channel: state.blocked_until
        for state in session.exec(select(ChannelState).where(col(ChannelState.blocked_until) > now))
    }
    times = [max(at, windows.get(channel) or at) for channel, at in rows if at is not None]
    lease = session.exec(
        select(func.min(Post.lease_until)).where(Post.status == PostStatus.PUBLISHING)
    ).one()
    if lease is not None:
        times.append(lease)
    return min(times, default=None)


def pending_work(session: Session, *, now: datetime) -> bool:
    """Whether a drain must go on: anything due now, any retry, any post in flight."""
    busy = session.exec(
        select(func.count())
        .select_from(Post)
        .where(
            or_(
                and_(col(Post.status) == PostStatus.SCHEDULED, col(Post.attempt_at) <= now),
                col(Post.status).in_([PostStatus.RETRYING, PostStatus.PUBLISHING]),
            )
        )
    ).one()
    return int(busy) > 0


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
        session.execute(
            update(Post)
            .where(col(Post.id).in_(post_ids), col(Post.lease_owner) == worker)
            .values(lease_until=until)
        )
