"""What a claim costs the database on SQLite and PostgreSQL: on PostgreSQL each statement is a
round trip on the daemon's one database thread, so a claim sends the same few statements for one
post or twenty, and none of its own to read rate-limit windows, attempt numbers or the images
of posts that have none; and what it finds is as before: the next attempt's number, each post
claimed once. A batch of results, too, completes its attempts and moves its posts in one round
trip on PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, text, update
from sqlmodel import col

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.attempt_data import FIRST_ATTEMPT_AT, LAST_SENT_AT, Claim
from scheduler.claiming import claim_due
from scheduler.recording import record_results
from tests.integration.publishing import queue_posts, sandbox_config
from tests.integration.test_takeover import attempts, post, published

# The candidates (with their drafts' hash and round) and the approvals as they stand (posts,
# reviews; images only where a post has them); then the posts leased and their attempts
# started. A claim of drafts this process found approved before skips the approvals
# (tests/integration/test_claim_approvals.py).
CANDIDATES_AND_APPROVALS = 3


def leasing_statements(database: Database) -> int:
    """The posts leased and their attempts started: one statement on PostgreSQL (a
    data-modifying CTE), two on SQLite."""
    return 1 if database.engine.dialect.name == "postgresql" else 2


def planning_statements(database: Database) -> int:
    """On PostgreSQL, the claim's ``SET LOCAL plan_cache_mode`` before its candidates (their
    plan made once a connection: tests/integration/test_claim_plan.py); none on SQLite."""
    return 1 if database.engine.dialect.name == "postgresql" else 0


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config("http://127.0.0.1:9", monkeypatch)


class _RolledBack(Exception):
    """Raised to leave a claim's transaction without committing it."""


def counted_claim(
    database: Database, limit: int, *, keep: bool = True
) -> tuple[list[Claim], list[str]]:
    """Claim up to ``limit`` posts (kept, or rolled back); the claims and the statements the
    claim sent."""
    sent: list[str] = []
    claims: list[Claim] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE, sent as a statement
            sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.writing() as session:
            claims = claim_due(
                session,
                worker="w:1",
                now=utcnow(),
                lease=timedelta(seconds=6),
                capacity={"mastodon": 32},
                limit=limit,
                required_approvals=1,
            )
            if not keep:
                raise _RolledBack
    except _RolledBack:
        pass
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return claims, sent


def test_a_claim_of_twenty_posts_sends_as_few_statements_as_a_claim_of_one(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    ids = queue_posts(database, config, library, channels=["mastodon"], count=21)
    one, for_one = counted_claim(database, 1)
    twenty, for_twenty = counted_claim(database, 20)
    expected = (
        planning_statements(database) + CANDIDATES_AND_APPROVALS + leasing_statements(database)
    )
    assert len(for_one) == len(for_twenty) == expected, for_twenty
    assert sorted(c.post_id for c in one + twenty) == sorted(ids)
    assert {c.number for c in one + twenty} == {1}
    assert all(c.images == () for c in one + twenty)


def test_a_claim_takes_the_earliest_due_of_every_kind_up_to_its_limit(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    """Scheduled and retrying posts are read each along the index, no further than the limit,
    and taken together in due order: the earliest two of five, whatever their kind, and the
    rest on the next claims in the same order."""
    now = utcnow()
    ids = [
        queue_posts(
            database, config, library, channels=["mastodon"], due=now - timedelta(minutes=m)
        )[0]
        for m in (50, 40, 30, 20, 10)
    ]
    with database.writing() as session:  # the second oldest failed once and waits to retry
        session.execute(
            update(Post)
            .where(col(Post.id) == ids[1])
            .values(status=PostStatus.RETRYING, attempt_at=now - timedelta(minutes=45))
        )
    taken = [[c.post_id for c in counted_claim(database, 2)[0]] for _ in range(3)]
    assert taken == [[ids[0], ids[1]], [ids[2], ids[3]], [ids[4]]]


def test_on_postgresql_no_statement_of_tidings_is_compiled_by_jit(database: Database) -> None:
    """A prepared statement's generic plan can be estimated past PostgreSQL's JIT threshold
    (the claim's candidates at a million posts: 77 ms compiling a 1.4 ms query); Tidings'
    connections have JIT off."""
    if database.is_sqlite:
        pytest.skip("SQLite has no JIT")
    with database.writing() as session:
        assert session.execute(text("SHOW jit")).scalar() == "off"
    with database.reading() as session:
        assert session.execute(text("SHOW jit")).scalar() == "off"


def stored_state(database: Database, post_id: int) -> dict[str, str]:
    with database.reading() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return dict(post.publish_state)


def test_the_claim_stores_the_state_it_hands_the_attempt(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    """The lease writes each post's publish state from the row itself: when the first attempt
    was claimed, kept from then on; when a request last went out, this claim's time unless the
    attempt only checks (``reconcile``); and what an adapter saved, untouched."""
    [post_id] = queue_posts(database, config, library, channels=["mastodon"])
    [first], _ = counted_claim(database, 1)
    assert stored_state(database, post_id) == first.state
    began = first.state[FIRST_ATTEMPT_AT]
    assert first.state == {FIRST_ATTEMPT_AT: began, LAST_SENT_AT: began}
    assert first.first_attempt_at == first.last_sent_at == datetime.fromisoformat(began)

    # Its holder died after saving an id and sending: the next claim checks before resending.
    saved = {**first.state, "record_key": "3kq2"}
    later = utcnow() + timedelta(minutes=1)
    with database.writing() as session:
        session.execute(
            update(Post)
            .where(col(Post.id) == post_id)
            .values(status=PostStatus.RETRYING, attempt_at=utcnow(), publish_state=saved)
            .values(reconcile=True, lease_owner=None, lease_until=None)
        )
    [checking], _ = counted_claim(database, 1)
    assert checking.reconcile and checking.state == saved  # nothing new was sent
    assert stored_state(database, post_id) == saved
    assert checking.first_attempt_at == first.first_attempt_at

    # That check found nothing: the attempt after it sends anew, and says when.
    with database.writing() as session:
        session.execute(
            update(Post)
            .where(col(Post.id) == post_id)
            .values(status=PostStatus.RETRYING, attempt_at=utcnow(), reconcile=False)
            .values(lease_owner=None, lease_until=None)
        )
    [sending], _ = counted_claim(database, 1)
    assert stored_state(database, post_id) == sending.state
    assert sending.state[FIRST_ATTEMPT_AT] == began and sending.state["record_key"] == "3kq2"
    assert sending.last_sent_at is not None and sending.last_sent_at > first.first_attempt_at
    assert later > sending.last_sent_at


def test_a_batch_of_results_completes_its_attempts_and_moves_its_posts_in_one_round_trip(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    """On PostgreSQL the attempts are completed in a data-modifying CTE of the statement that
    moves the posts (one round trip for both); SQLite, without such CTEs, sends two."""
    queue_posts(database, config, library, channels=["mastodon"], count=3)
    claims, _ = counted_claim(database, 3)
    finished = utcnow()
    results = [published(claim, finished) for claim in claims]
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.writing() as session:
            record_results(session, results, "w:1", finished)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    writes = [s for s in sent if re.match(r"(WITH \w+ AS\s*\()?\s*UPDATE (attempt|post)\b", s)]
    assert len(writes) == (1 if database.engine.dialect.name == "postgresql" else 2), writes
    for claim in claims:
        [done] = attempts(database, claim.post_id)
        assert (done.outcome, done.worker, done.remote_id) == ("published", "w:1", "remote-1")
        moved = post(database, claim.post_id)
        assert (moved.status, moved.lease_owner) == (PostStatus.PUBLISHED, None)
