"""The daemon against the sandbox over real HTTP: every outcome class, on SQLite and PostgreSQL.

Each scenario ends with every post published exactly once, or in needs_attention or failed
with a reason: never lost, never duplicated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from drafts.authoring import get_draft
from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, ChannelState, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.sandbox.server import RunningSandbox, running_sandbox
from tests.fakes import Clock
from tests.integration.publishing import drain, posts, queue_posts, sandbox_config


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """Two Mastodon accounts and a webhook on this test's sandbox."""
    return sandbox_config(sandbox.base_url, monkeypatch)


def attempts(database: Database, post_id: int) -> list[Attempt]:
    with database.reading() as session:
        query = select(Attempt).where(Attempt.post_id == post_id).order_by(Attempt.number)
        return list(session.exec(query))


def received(sandbox: RunningSandbox, platform: str) -> list[str]:
    return [post.text for post in sandbox.state.posts(platform)]


def test_published_with_language_and_idempotency_key(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    ids = queue_posts(
        database, config, library, channels=["mastodon", "team-chat"], languages=["en", "ko"]
    )
    summary = drain(database, config)
    assert summary.outcomes == {"published": 4}
    result = posts(database, ids)
    assert {p.status for p in result} == {PostStatus.PUBLISHED}
    mastodon = sandbox.state.posts("mastodon")
    assert sorted(p.details["language"] for p in mastodon) == ["en", "ko"]
    assert all(p.headers.get("idempotency-key") for p in mastodon)
    for post in result:
        assert post.remote_id
        if post.platform == "mastodon":
            assert post.remote_url and post.remote_url.startswith(sandbox.base_url)
        (only,) = attempts(database, post.id or 0)
        assert (only.outcome, only.http_status, only.error) == ("published", 200, None)
        assert only.finished_at is not None and only.finished_at >= only.started_at
    with database.reading() as session:
        assert get_draft(session, result[0].draft_id).status == DraftStatus.DONE


def test_two_503s_then_success(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    sandbox.state.faults.add("status", "mastodon", status=503, times=2)
    drain(database, config, retry_base_delay=timedelta(milliseconds=50))
    tries = attempts(database, post_id)
    assert [(a.outcome, a.http_status) for a in tries] == [
        ("retry", 503),
        ("retry", 503),
        ("published", 200),
    ]
    assert len(received(sandbox, "mastodon")) == 1
    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED


def test_rate_limit_waits_for_the_reset_and_sends_nothing_before_it(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One request at a time, so the first 429 is heard before anything else is sent.
    config = sandbox_config(sandbox.base_url, monkeypatch, max_in_flight=1)
    ids = queue_posts(database, config, library, channels=["mastodon"], count=3)
    fault = sandbox.state.faults.add("rate_limit", "mastodon", reset_in=1.5)
    drain(database, config)
    assert sandbox.state.early_requests("mastodon") == []  # only the first 429 came before reset
    assert {p.status for p in posts(database, ids)} == {PostStatus.PUBLISHED}
    assert len(received(sandbox, "mastodon")) == 3
    assert fault.reset_at is not None
    first_publish = min(
        a.started_at
        for post_id in ids
        for a in attempts(database, post_id)
        if a.outcome == "published"
    )
    assert first_publish >= fault.reset_at.replace(microsecond=0)
    with database.reading() as session:
        window = session.get(ChannelState, "mastodon")
    assert window is not None and window.blocked_until is not None


def test_read_timeout_after_the_post_was_stored(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    mastodon_id, hook_id = queue_posts(
        database, config, library, channels=["mastodon", "team-chat"]
    )
    sandbox.state.faults.add("slow_after_accept", "mastodon", seconds=1.5)
    sandbox.state.faults.add("slow_after_accept", "webhook", seconds=1.5)
    drain(database, config, request_timeout=0.5)

    mastodon, hook = posts(database, [mastodon_id, hook_id])
    # Mastodon: the same Idempotency-Key was resent and answered with the one status.
    assert mastodon.status == PostStatus.PUBLISHED
    assert len(received(sandbox, "mastodon")) == 1
    assert [a.outcome for a in attempts(database, mastodon_id)] == ["unknown", "published"]
    assert mastodon.remote_id == sandbox.state.posts("mastodon")[0].remote_id
    # Webhook: no way to ask, so a person is asked, and nothing was resent.
    assert hook.status == PostStatus.NEEDS_ATTENTION
    assert hook.reason and "check the channel" in hook.reason
    assert len(received(sandbox, "webhook")) == 1
    assert [a.outcome for a in attempts(database, hook_id)] == ["unknown"]


def test_a_dropped_connection_after_accepting_is_an_unknown_outcome(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    sandbox.state.faults.add("drop_after_accept", "mastodon")
    drain(database, config)
    assert [a.outcome for a in attempts(database, post_id)] == ["unknown", "published"]
    assert len(received(sandbox, "mastodon")) == 1


def test_a_revoked_token_fails_with_the_platforms_message(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    sandbox.state.faults.add("revoked", "mastodon")
    drain(database, config)
    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.FAILED
    assert post.reason and "reconnect" in post.reason
    assert [(a.outcome, a.http_status) for a in attempts(database, post_id)] == [("failed", 401)]
    assert received(sandbox, "mastodon") == []


def test_a_missing_secret_fails_without_sending(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    config: Config,
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    monkeypatch.delenv("TIDINGS_T_MASTODON")
    drain(database, config)
    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.FAILED and "TIDINGS_T_MASTODON" in (post.reason or "")
    assert sandbox.state.requests() == []


def test_posts_due_after_expiry_are_expired_not_sent(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    expires_at = utcnow() + timedelta(seconds=1)
    (post_id,) = queue_posts(
        database,
        config,
        library,
        channels=["mastodon"],
        due=utcnow() + timedelta(milliseconds=300),
        expires_at=expires_at,
    )
    later = Clock(expires_at + timedelta(milliseconds=200))  # the daemon was down past it
    drain(database, config, now=later)
    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.EXPIRED and "expired" in (post.reason or "")
    assert received(sandbox, "mastodon") == []


def test_an_edit_after_scheduling_is_never_published(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    with database.writing() as session:  # someone changes the text behind the workflow's back
        stored = session.get(Post, post_id)
        assert stored is not None
        stored.text = "something nobody reviewed"
    drain(database, config)
    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.FAILED and "not approved as it stands" in (post.reason or "")
    assert received(sandbox, "mastodon") == []


def test_a_post_due_later_is_published_on_time(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    due = utcnow() + timedelta(milliseconds=700)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"], due=due)
    # A drain does not wait for future posts: run a daemon that stops once it is out.
    import asyncio

    from scheduler.daemon import Daemon, DaemonSettings

    async def run_until_published() -> None:
        daemon = Daemon(config, database, settings=DaemonSettings(request_timeout=2.0))
        task = asyncio.create_task(daemon.run())
        while not sandbox.state.posts("mastodon"):
            await asyncio.sleep(0.02)
        daemon.stop()
        await task

    asyncio.run(asyncio.wait_for(run_until_published(), timeout=10))
    (arrived,) = sandbox.state.posts("mastodon")
    assert arrived.received_at >= due.astimezone(UTC) - timedelta(milliseconds=5)
    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED
    assert isinstance(arrived.received_at, datetime)


def test_a_post_scheduled_by_another_process_wakes_an_idle_daemon(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    import asyncio
    import threading

    from scheduler.daemon import Daemon, DaemonSettings

    # The sweep is an hour away: only the change notice can wake the daemon in time.
    settings = DaemonSettings(request_timeout=2.0, sweep=timedelta(hours=1))
    other = Database(database.url)  # another process's connection to the same database
    queued: list[int] = []

    def schedule_later() -> None:
        time.sleep(0.5)  # the daemon goes idle first: nothing outside it can tell when it has
        due = utcnow() + timedelta(milliseconds=300)
        queued.extend(queue_posts(other, config, library, channels=["mastodon"], due=due))

    async def run() -> None:
        daemon = Daemon(config, database, settings=settings)
        task = asyncio.create_task(daemon.run())
        threading.Thread(target=schedule_later).start()
        while not sandbox.state.posts("mastodon"):
            await asyncio.sleep(0.02)
        daemon.stop()
        await task

    asyncio.run(asyncio.wait_for(run(), timeout=10))
    other.dispose()
    assert posts(database, queued)[0].status == PostStatus.PUBLISHED


def test_a_person_settles_posts_that_need_attention(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
) -> None:
    from drafts.attention import mark_published, retry_post
    from drafts.errors import ReviewError
    from drafts.users import Role, add_user

    first, second = queue_posts(database, config, library, channels=["team-chat"], count=2)
    sandbox.state.faults.add("slow_after_accept", "webhook", seconds=1.5, times=2)
    drain(database, config, request_timeout=0.5)
    assert {p.status for p in posts(database, [first, second])} == {PostStatus.NEEDS_ATTENTION}

    with database.writing() as session:
        editor = add_user(session, name="sun", role=Role.AUTHOR, password_hash=None, actor=None)
        mark_published(
            session, post_id=first, url="https://chat.example/m/1", actor=editor, now=utcnow()
        )
        retry_post(session, post_id=second, actor=editor, now=utcnow())
    with pytest.raises(ReviewError, match="is published"), database.writing() as session:
        retry_post(session, post_id=first, actor=editor, now=utcnow())
    drain(database, config)

    marked, retried = posts(database, [first, second])
    assert (marked.status, marked.remote_url) == (PostStatus.PUBLISHED, "https://chat.example/m/1")
    assert retried.status == PostStatus.PUBLISHED
    assert [a.outcome for a in attempts(database, second)] == ["unknown", "published"]
    with database.reading() as session:
        assert get_draft(session, marked.draft_id).status == DraftStatus.DONE


def test_the_claimed_posts_tokens_are_read_in_the_claims_transaction(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    """No transaction of the drain reads only tokens: each claim reads its posts' tokens
    along (scheduler.vault.DatabaseVault.read_along), so they go out without waiting for a
    read of their own behind the daemon's other transactions."""
    ids = queue_posts(database, config, library, channels=["mastodon", "mastodon-b"], count=6)
    transactions: list[list[str]] = []

    def began(*_: object) -> None:
        transactions.append([])

    def sent(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if transactions and not statement.startswith(("BEGIN", "SELECT 1")):
            transactions[-1].append(" ".join(statement.split()))

    event.listen(database.engine, "begin", began)
    event.listen(database.engine, "before_cursor_execute", sent)
    try:
        drain(database, config)
    finally:
        event.remove(database.engine, "begin", began)
        event.remove(database.engine, "before_cursor_execute", sent)
    assert {p.status for p in posts(database, ids)} == {PostStatus.PUBLISHED}
    tokens = [t for t in transactions if any("FROM credential" in s for s in t)]
    assert tokens and all(len(t) > 1 for t in tokens), tokens
