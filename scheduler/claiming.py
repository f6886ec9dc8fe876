"""Claiming due posts: the database decides who publishes a post.

A claim takes due posts atomically (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE SKIP LOCKED``
on PostgreSQL), gives them a lease in this worker's name and records each attempt as started,
all in one transaction that commits before any request is sent. A post whose holder is dead
(its lease ran out: it missed its heartbeats; or its process on this host has ended) was maybe
sent: it is taken over with ``reconcile`` set, so the platform is asked before anything is
resent, and the attempt it had in flight says who it was taken from and why. A due post that may no longer be sent (its
draft expired, or is no longer approved as it stands) is settled here instead of claimed.

A part of a chain is claimed once the part before it is published (``scheduler.due.chain_ready``),
with the published parts it follows (``ReplyTo``: the part before and the first); a part settled
here settles the parts after it the same way, since they can no longer follow it.

While it holds a post, the worker saves the ids an adapter chose (its heartbeat renews the
lease: ``scheduler.heartbeat``).

This is the daemon's hot path, so it works in batches with Core statements: one claim costs a
handful of statements, whatever the number of posts. On PostgreSQL each statement is a round
trip to the server on the daemon's one database thread, so what the candidates query can say of
each post (its channel's rate-limit window, its last attempt's number, whether it has images)
it says, rather than a statement more each.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    JSON,
    ColumnElement,
    Engine,
    Executable,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    union_all,
    update,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from drafts.audit import DAEMON, Entry, record_batch
from drafts.completion import finish_drafts
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media import PostImage
from drafts.models import (
    CLAIMABLE,
    Attempt,
    ChannelState,
    Draft,
    Post,
    PostMedia,
    claimable,
    publishing,
)
from drafts.post_media import images_by_post
from drafts.review import ApprovalCache, PostToSend, Standing, sent_fingerprint
from drafts.row_batches import RowBatch, one_of
from drafts.timestamps import AwareDateTime
from scheduler.attempt_data import FIRST_ATTEMPT_AT, LAST_SENT_AT, Claim
from scheduler.due import chain_ready
from scheduler.failure_events import record_post_end
from scheduler.heartbeat import takeover_reasons
from scheduler.platforms.base import PublishedPart, ReplyTo
from scheduler.retry import AttemptOutcome
from scheduler.tallies import Ended, tally

post_table = Post.__table__  # type: ignore[attr-defined]
attempt_table = Attempt.__table__  # type: ignore[attr-defined]
draft_table = Draft.__table__  # type: ignore[attr-defined]
channel_state_table = ChannelState.__table__  # type: ignore[attr-defined]
post_media_table = PostMedia.__table__  # type: ignore[attr-defined]


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
    lease_owner: str | None
    publish_state: str  # as stored, JSON: parsed only if it holds anything (``_claim``)
    failures: int
    reconcile: bool
    due_at: datetime | None
    expires_at: datetime | None
    draft_status: str
    last_number: int | None  # of its attempts so far (None: none yet)
    has_images: bool
    occurrence: int
    part: int
    parts: int
    # its draft's standing, as the same statement read the draft row
    content_hash: str
    review_round: int
    created_at: datetime

    @property
    def standing(self) -> Standing:
        return Standing(self.content_hash, self.review_round, self.created_at)


# Each database's drafts found approved as they stand, kept for the claims that follow.
_approval_caches: WeakKeyDictionary[Engine, ApprovalCache] = WeakKeyDictionary()


def approval_cache(session: Session) -> ApprovalCache:
    """The approvals this process found on the session's database."""
    engine = session.connection().engine
    cache = _approval_caches.get(engine)
    if cache is None:
        cache = _approval_caches[engine] = ApprovalCache()
    return cache


def claim_due(
    session: Session,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    capacity: Mapping[str, int],
    limit: int,
    required_approvals: int,
    holding: Collection[int] = (),
    ended: Collection[str] = (),
) -> list[Claim]:
    """Claim up to ``limit`` due posts, at most ``capacity[channel]`` per channel, and take
    over posts whose holders are dead: their leases ran out, or they are among ``ended`` (on
    this host, their processes have ended). The posts this worker is sending (``holding``) stay
    its own even if a late heartbeat let their leases run out."""
    if limit <= 0:
        return []
    open_channels = [c for c, free in capacity.items() if free > 0]
    if not open_channels:
        return []
    candidates = _candidates(session, now, open_channels, limit * 2, holding, ended)
    if not candidates:
        return []
    images = images_by_post(session, [c.post_id for c in candidates if c.has_images])
    sent = [
        PostToSend(
            c.post_id, c.draft_id, c.standing, sent_fingerprint(c, images.get(c.post_id, ()))
        )
        for c in candidates
    ]
    approved = approval_cache(session).approved(session, sent, required_approvals)
    taken_from = {c.lease_owner or "" for c in candidates if c.status == PostStatus.PUBLISHING}
    reasons = (
        takeover_reasons(session, taken_from, ended=ended, now=now, lease=lease)
        if taken_from
        else {}
    )
    left = dict(capacity)
    chosen: list[_Candidate] = []
    closed: list[Ended] = []  # attempts of dead holders, closed as unknown
    for candidate in candidates:
        if len(chosen) >= limit or left.get(candidate.channel, 0) <= 0:
            continue
        if candidate.status == PostStatus.PUBLISHING:
            owner = candidate.lease_owner or ""
            taken = f"taken over from {owner} ({reasons[owner]})"
            closed += _close_abandoned_attempt(session, candidate, taken, now)
        reason = _why_not_send(candidate, approved, now)
        if reason is not None:
            status, why = reason
            _settle(session, candidate, status, why, now)
            continue
        left[candidate.channel] -= 1
        chosen.append(candidate)
    claims = _take(session, chosen, images, worker, now, lease)
    tally(session, closed)  # last: its rows are every worker's (scheduler.tallies)
    return claims


def _candidates(
    session: Session,
    now: datetime,
    channels: Sequence[str],
    limit: int,
    holding: Collection[int],
    ended: Collection[str],
) -> list[_Candidate]:
    values = {
        "now": now,
        "channels": list(channels),
        "limit": limit,
        "holding": list(holding),
        "ended": list(ended),
    }
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    query = _candidates_query(postgres, holding=bool(holding), ended=bool(ended))
    if postgres:
        connection.exec_driver_sql(_GENERIC_PLAN)
    return [_Candidate(*row) for row in connection.execute(query, values).all()]


# On PostgreSQL the candidates statement is planned once for each connection, not once for
# each claim. Planning it (three branches, nine references to ``post`` with eight indexes
# each) took longer than running it: 6-8 ms against 2.5-3.5 ms at a million posts. Its plan
# does not depend on the values (every branch reads ix_post_status_attempt_at in due order up
# to the limit, then looks up what it took by key), so the plan psycopg's prepared statement
# keeps (after its fifth run) serves every claim. Left to choose (``auto``), PostgreSQL planned
# it anew for every claim (tests/integration/test_claim_plan.py). Only for the claim's own
# transaction (SET LOCAL). A kept plan is made again when its tables are analysed, and with
# each new connection (``drafts.storage`` recycles them), so one made while the database was
# young does not outlive its growth.
_GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan"


@cache
def _candidates_query(postgres: bool, *, holding: bool, ended: bool) -> Select[Any]:
    """The candidates statement, built once for each backend and shape (with posts this
    worker holds, with holders known to have ended): only its values change from one claim to
    the next, so SQLAlchemy neither builds nor keys it anew each time."""
    p, d, a = post_table.c, draft_table.c, attempt_table.c
    now = bindparam("now", type_=AwareDateTime)
    blocked = core_select(channel_state_table.c.channel).where(
        channel_state_table.c.blocked_until > now
    )  # a channel inside a rate-limit window: nothing is claimed for it
    last_number = core_select(func.max(a.number)).where(a.post_id == p.id).scalar_subquery()
    has_images = core_select(post_media_table.c.post_id).where(post_media_table.c.post_id == p.id)
    # A silent holder is read from the post's own lease (renewed with each heartbeat), never
    # from the heartbeat table: PostgreSQL re-checks a row locked meanwhile as it is now but
    # other tables as they were, and would take a post from a daemon that had just reported in.
    expired = p.lease_until < now
    dead = or_(expired, one_of(p.lease_owner, "ended", String(), postgres)) if ended else expired
    abandoned = and_(publishing(p.status), dead)
    if holding:
        abandoned = and_(abandoned, not_(one_of(p.id, "holding", Integer(), postgres)))
    # The posts taken, and locked, first, each kind (scheduled, retrying, taken over) by
    # itself, read along ix_post_status_attempt_at in due order and no further than the
    # limit; then what is said of each (its text, its attempts, its images, its draft) for
    # those only. Read in one statement sorted by due time, every due post was read and looked
    # up before the sort: a claim's cost grew with the backlog (5,000 posts due at once:
    # 5,000 rows and 10,000 look-ups a claim). Posts due at the same moment are taken in the
    # index's order (SQLite: by id; PostgreSQL: as stored), then sorted by id.
    open_channel = and_(
        one_of(p.channel, "channels", String(), postgres), p.channel.not_in(blocked)
    )
    kinds = (
        *(
            # ``claimable`` too: the claim index holds only those (SQLite reads it only so)
            and_(p.status == status, claimable(p.status), p.attempt_at <= now, chain_ready())
            for status in CLAIMABLE
        ),
        abandoned,
    )
    branches = [
        core_select(
            p.id,
            p.draft_id,
            p.channel,
            p.platform,
            p.language,
            p.text,
            p.status,
            p.idempotency_key,
            p.lease_owner,
            cast(p.publish_state, Text).label("publish_state"),
            p.failures,
            p.reconcile,
            p.due_at,
            d.expires_at,
            d.status.label("draft_status"),
            last_number.label("last_number"),
            has_images.exists().label("has_images"),
            p.occurrence,
            p.part,
            p.parts,
            d.content_hash,
            d.review_round,
            d.created_at,
            p.attempt_at,  # to sort the branches by; not read back
        )
        .join(draft_table, d.id == p.draft_id)
        .where(
            p.id.in_(
                core_select(p.id)
                .where(kind, open_channel)
                .order_by(col(Post.attempt_at))
                .limit(bindparam("limit", type_=Integer))
                .with_for_update(of=post_table, skip_locked=True)  # SQLite: BEGIN IMMEDIATE
                .correlate(None)
            )
        )
        for kind in kinds
    ]
    taken = union_all(*branches).subquery("candidate")
    return (
        core_select(*(column for column in taken.c if column.name != "attempt_at"))
        .order_by(taken.c.attempt_at, taken.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


def _why_not_send(
    candidate: _Candidate, approved: set[int], now: datetime
) -> tuple[PostStatus, str] | None:
    expires_at = candidate.expires_at
    if expires_at is not None and now >= expires_at:
        return PostStatus.EXPIRED, f"due after the draft expired ({expires_at:%Y-%m-%d %H:%M} UTC)"
    if candidate.draft_status != DraftStatus.SCHEDULED or candidate.draft_id not in approved:
        return PostStatus.FAILED, "not approved as it stands: it was not sent"
    return None


def _close_abandoned_attempt(
    session: Session, candidate: _Candidate, taken: str, now: datetime
) -> list[Ended]:
    """The attempt the dead holder had in flight is unknown: it may have reached the platform.
    Returns the attempts it closed, to be tallied."""
    connection = session.connection()
    found = connection.execute(
        select(Attempt.number, Attempt.worker).where(
            col(Attempt.post_id) == candidate.post_id, col(Attempt.outcome).is_(None)
        )
    ).all()
    error = f"{taken} with this attempt in flight"
    for number, worker in found:
        connection.execute(
            update(attempt_table)
            .where(attempt_table.c.post_id == candidate.post_id, attempt_table.c.number == number)
            .values(outcome=AttemptOutcome.UNKNOWN, finished_at=now, error=error)
        )
        candidate.reconcile = True
        recovered = f"attempt {number} by {worker}: {error}"
        record_batch(
            session,
            [Entry(candidate.draft_id, candidate.post_id, "post.recover", recovered)],
            actor=DAEMON,
            at=now,
        )
    return [Ended(candidate.platform, str(AttemptOutcome.UNKNOWN)) for _ in found]


def _settle(
    session: Session, candidate: _Candidate, status: PostStatus, reason: str, now: datetime
) -> None:
    _settle_later_parts(session, candidate, status, now)
    session.connection().execute(
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
    record_batch(
        session,
        [Entry(candidate.draft_id, candidate.post_id, f"post.{status}", reason)],
        actor=DAEMON,
        at=now,
    )
    record_post_end(
        session,
        post_id=candidate.post_id,
        draft_id=candidate.draft_id,
        channel=candidate.channel,
        status=status,
        reason=reason,
        attempt=candidate.last_number or 0,
    )
    finish_drafts(session, {candidate.draft_id}, actor=DAEMON, now=now)


def _settle_later_parts(
    session: Session, candidate: _Candidate, status: PostStatus, now: datetime
) -> None:
    """The parts after a part that will not be sent: none can follow it, so each ends as it
    did, saying why (its turn never comes, so no claim would settle it)."""
    p = post_table.c
    later = session.connection().execute(
        update(post_table)
        .where(
            p.draft_id == candidate.draft_id,
            p.channel == candidate.channel,
            p.language == candidate.language,
            p.occurrence == candidate.occurrence,
            p.part > candidate.part,
            p.status.in_(CLAIMABLE),
        )
        .values(
            status=status,
            reason=f"not sent: part {candidate.part} of its chain was not sent",
            attempt_at=None,
            updated_at=now,
        )
        .returning(p.id)
    )
    entries = [
        Entry(candidate.draft_id, post_id, f"post.{status}", "the part before it was not sent")
        for (post_id,) in later
    ]
    if entries:
        record_batch(session, entries, actor=DAEMON, at=now)


def _reply_targets(session: Session, chosen: list[_Candidate]) -> dict[int, ReplyTo]:
    """For each chosen part after the first, the published parts it follows: one statement
    for all, reading only their drafts' occurrences and parts (a long series holds many more
    published posts than the few this needs)."""
    later = [c for c in chosen if c.part > 1]
    if not later:
        return {}
    p = post_table.c
    rows = session.connection().execute(
        core_select(
            p.draft_id, p.channel, p.language, p.occurrence, p.part, p.remote_id, p.publish_state
        ).where(
            p.draft_id.in_({c.draft_id for c in later}),
            p.occurrence.in_({c.occurrence for c in later}),
            p.part.in_({1} | {c.part - 1 for c in later}),
            p.status == PostStatus.PUBLISHED,
            p.remote_id.is_not(None),
        )
    )
    published = {
        (row.draft_id, row.channel, row.language, row.occurrence, row.part): PublishedPart(
            row.remote_id, {k: str(v) for k, v in (row.publish_state or {}).items()}
        )
        for row in rows
    }
    targets = {}
    for c in later:
        chain = (c.draft_id, c.channel, c.language, c.occurrence)
        parent, root = published.get((*chain, c.part - 1)), published.get((*chain, 1))
        if parent is not None and root is not None:
            targets[c.post_id] = ReplyTo(parent, root, comment=c.part > c.parts)
    return targets


def _take(
    session: Session,
    chosen: list[_Candidate],
    images: Mapping[int, Sequence[PostImage]],
    worker: str,
    now: datetime,
    lease: timedelta,
) -> list[Claim]:
    if not chosen:
        return []
    connection = session.connection()
    replies = _reply_targets(session, chosen)
    stamp = now.isoformat()
    claims = [
        _claim(
            c,
            (c.last_number or 0) + 1,
            now,
            stamp,
            tuple(images.get(c.post_id, ())),
            replies.get(c.post_id),
        )
        for c in chosen
    ]
    taken = [
        {
            "id": c.post_id,
            "number": c.number,
            "idempotency_key": c.idempotency_key,
            "reconcile": c.reconcile,
        }
        for c in claims
    ]
    postgres = connection.dialect.name == "postgresql"
    values = _taken_batch(postgres).params(
        taken, worker=worker, now=now, until=now + lease, stamp=stamp
    )
    for statement in _take_statements(postgres):
        connection.execute(statement, values)
    return claims


@cache
def _taken_batch(postgres: bool) -> RowBatch:
    """The claimed posts, as the source of the claim's two writes."""
    p = post_table.c
    return RowBatch.of(postgres, p.id, attempt_table.c.number, p.idempotency_key, p.reconcile)


def _stamped_state(postgres: bool, reconcile: ColumnElement[Any]) -> ColumnElement[Any]:
    """The post's publish state as the claim leaves it, written by the statement from the
    row's own (locked, so as the candidates read it): when the first attempt was claimed, if
    not known yet, and (unless this attempt only checks, ``reconcile``) that a request goes
    out now: what ``_claim`` hands the attempt as its state. Sent in the batch instead, each
    post's state written as JSON inside the batch's JSON cost a claim of 100 posts 0.3 ms."""
    stamp = bindparam("stamp", type_=String())
    state = post_table.c.publish_state
    if postgres:
        known = func.jsonb_build_object(FIRST_ATTEMPT_AT, stamp).op("||")(func.to_jsonb(state))
        sent = known.op("||")(func.jsonb_build_object(LAST_SENT_AT, stamp))
        return cast(case((reconcile, known), else_=sent), JSON)
    first = func.json_insert(state, f"$.{FIRST_ATTEMPT_AT}", stamp)  # only where it is not
    return case((reconcile, first), else_=func.json_set(first, f"$.{LAST_SENT_AT}", stamp))


@cache
def _take_statements(postgres: bool) -> tuple[Executable, ...]:
    """Each claimed post leased to the worker and its attempt started, for the whole batch
    (``drafts.row_batches``): on PostgreSQL one statement (the lease a data-modifying CTE, the
    attempts inserted from the posts it returns), so one round trip; on SQLite, which has no
    such CTE and no round trip to save, two."""
    taken = _taken_batch(postgres).c
    worker = bindparam("worker", type_=String())
    now = bindparam("now", type_=AwareDateTime)
    leased = (
        update(post_table)
        .where(post_table.c.id == taken["id"])
        .values(
            status=PostStatus.PUBLISHING,
            lease_owner=worker,
            lease_until=bindparam("until", type_=AwareDateTime),
            idempotency_key=taken["idempotency_key"],
            publish_state=_stamped_state(postgres, taken["reconcile"]),
            reconcile=taken["reconcile"],
        )
    )
    columns = ["post_id", "number", "worker", "started_at"]
    if not postgres:
        started = insert(attempt_table).from_select(
            columns, core_select(taken["id"], taken["number"], worker, now)
        )
        return started, leased
    posts = leased.returning(taken["id"], taken["number"]).cte("leased")
    started = insert(attempt_table).from_select(
        columns, core_select(posts.c.id, posts.c.number, worker, now)
    )
    return (started.add_cte(posts),)


def _claim(
    candidate: _Candidate,
    number: int,
    now: datetime,
    stamp: str,  # ``now`` as the publish state keeps it
    images: tuple[PostImage, ...] = (),
    reply_to: ReplyTo | None = None,
) -> Claim:
    before = _publish_state(candidate.publish_state)
    state = dict(before)
    first = state.setdefault(FIRST_ATTEMPT_AT, stamp)
    if not candidate.reconcile:  # this attempt sends at once: the claim stores when, first
        state[LAST_SENT_AT] = stamp
    last_sent = state.get(LAST_SENT_AT)
    return Claim(
        post_id=candidate.post_id,
        draft_id=candidate.draft_id,
        number=number,
        channel=candidate.channel,
        platform=candidate.platform,
        language=candidate.language,
        text=candidate.text,
        idempotency_key=candidate.idempotency_key or secrets.token_hex(16),
        state=state,
        failures=candidate.failures,
        reconcile=candidate.reconcile,
        due_at=candidate.due_at,
        first_attempt_at=_instant(first, stamp, now),
        last_sent_at=_instant(last_sent, stamp, now) if last_sent else None,
        images=images,
        part=candidate.part,
        parts=candidate.parts,
        reply_to=reply_to,
        status_before=candidate.status,
        state_before=before,
    )


def _publish_state(stored: str) -> dict[str, str]:
    """A post's publish state from its JSON, as the claim reads it. Most posts claimed have
    none yet (``{}``): read as text, not as JSON (which the driver parses for every row), a
    claim of 100 posts on PostgreSQL parsed 100 empty objects, 0.2 ms."""
    if stored in _NO_STATE:
        return {}
    return {key: str(value) for key, value in json.loads(stored).items()}


_NO_STATE = frozenset({"{}", "null"})


def _instant(stored: str, stamp: str, now: datetime) -> datetime:
    """A time the publish state keeps, as text: ``now`` when it is this claim's own."""
    return now if stored == stamp else datetime.fromisoformat(stored)


def put_back(session: Session, claims: Sequence[Claim], worker: str) -> list[Claim]:
    """Claims for which no request was sent, put back as they stood before them: due again
    with the status and publish state they had (a post taken over from a dead holder is left
    retrying, to be checked with its platform as before), and their attempts, never made,
    gone. A post another worker took over meanwhile is left to it. Returns those put back."""
    connection = session.connection()
    p, a = post_table.c, attempt_table.c
    back = []
    for claim in claims:
        before = claim.status_before
        status = before if before in CLAIMABLE else PostStatus.RETRYING
        moved = connection.execute(
            update(post_table)
            .where(p.id == claim.post_id, publishing(p.status), p.lease_owner == worker)
            .values(
                status=status,
                lease_owner=None,
                lease_until=None,
                publish_state=dict(claim.state_before),
            )
        )
        if moved.rowcount:
            connection.execute(
                delete(attempt_table).where(
                    a.post_id == claim.post_id, a.number == claim.number, a.outcome.is_(None)
                )
            )
            back.append(claim)
    return back


def save_publish_state(
    session: Session, *, post_id: int, worker: str, state: Mapping[str, str]
) -> None:
    """Persist ids an adapter chose (a record key, a container id) before it sends a request."""
    post = session.get(Post, post_id)
    if post is not None and post.lease_owner == worker:
        post.publish_state = {**post.publish_state, **state}
