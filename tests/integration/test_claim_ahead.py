"""The daemon claims half as many posts again as it sends at once, so that a request that
ends makes room for the next post at once. What it claimed ahead and never sent is put back as
it stood: never sent inside a rate-limit window its channel met meanwhile, and never checked
with the platform as if it had been sent. A channel's posts held stay within its max_in_flight.

Over real HTTP to the sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import select

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.sandbox.server import RunningSandbox, running_sandbox
from tests.integration.publishing import drain, posts, queue_posts, sandbox_config
from tests.integration.test_takeover import attempts


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


def attempt_numbers(database: Database, post_id: int) -> list[tuple[int, str | None]]:
    return [(a.number, a.outcome) for a in attempts(database, post_id)]


def test_posts_claimed_ahead_and_never_sent_are_put_back_when_the_daemon_stops(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch, max_in_flight=4)
    ids = queue_posts(database, config, library, channels=["mastodon"], count=3)
    sandbox.state.faults.add("latency", "mastodon", ms=700)  # the first request, in flight

    async def stop_while_one_is_in_flight() -> None:
        # One request at a time, so two posts held: one in flight, one claimed ahead.
        daemon = Daemon(config, database, settings=DaemonSettings(concurrency=1))
        task = asyncio.create_task(daemon.run())
        # Stopped once the first request has reached the platform (which holds it 700 ms):
        # a stop before then would rightly put back both posts.
        while not sandbox.state.requests("mastodon", path="/api/v1/statuses"):
            await asyncio.sleep(0.02)
        assert {p.status for p in posts(database, ids[:2])} == {PostStatus.PUBLISHING}
        daemon.stop()
        await task

    asyncio.run(asyncio.wait_for(stop_while_one_is_in_flight(), timeout=10))

    sent, *ahead, left = posts(database, ids)
    assert sent.status == PostStatus.PUBLISHED  # the request in flight ended and was recorded
    for post in ahead:
        assert (post.status, post.lease_owner, post.lease_until) == (
            PostStatus.SCHEDULED,
            None,
            None,
        )
        assert post.publish_state == {}  # as before its claim: no request went out for it
        assert not post.reconcile  # nothing to check with the platform before sending it
        assert post.id is not None and attempt_numbers(database, post.id) == []  # none made
    assert left.status == PostStatus.SCHEDULED
    assert len(sandbox.state.posts("mastodon")) == 1

    drain(database, config)  # the next daemon sends them as new
    assert {p.status for p in posts(database, ids)} == {PostStatus.PUBLISHED}
    assert attempt_numbers(database, ids[1]) == [(1, "published")]
    assert len(sandbox.state.posts("mastodon")) == 3


def test_posts_claimed_ahead_wait_out_a_rate_limit_window_their_channel_meets(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Held back once the first answer opens a window, put back, claimed again after it."""
    config = sandbox_config(sandbox.base_url, monkeypatch, max_in_flight=4)
    ids = queue_posts(database, config, library, channels=["mastodon"], count=3)
    sandbox.state.faults.add("rate_limit", "mastodon", reset_in=1.5)
    drain(database, config, concurrency=1)  # one in flight, one claimed ahead
    assert sandbox.state.early_requests("mastodon") == []
    assert {p.status for p in posts(database, ids)} == {PostStatus.PUBLISHED}
    assert len(sandbox.state.posts("mastodon")) == 3
    numbers = sorted(attempt_numbers(database, post_id)[-1][0] for post_id in ids)
    assert numbers == [1, 1, 2]  # only the post refused tried twice


def drain_watching(
    database: Database, config: Config, concurrency: int
) -> list[tuple[Counter[str], int]]:
    """A drain at ``concurrency``, seen every 10 ms: the posts held (publishing) by channel,
    and the daemon's requests in flight."""
    seen: list[tuple[Counter[str], int]] = []

    async def watch() -> None:
        settings = DaemonSettings(concurrency=concurrency)
        daemon = Daemon(config, database, drain=True, settings=settings)
        task = asyncio.create_task(daemon.run())
        while not task.done():
            with database.reading() as session:
                query = select(Post.channel).where(Post.status == PostStatus.PUBLISHING)
                seen.append((Counter(session.exec(query)), len(daemon._in_flight)))
            await asyncio.sleep(0.01)
        await task

    asyncio.run(asyncio.wait_for(watch(), timeout=20))
    return seen


def test_a_daemon_holds_half_its_concurrency_again_and_sends_no_more_at_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch, max_in_flight=16)
    ids = queue_posts(database, config, library, channels=["mastodon"], count=15)
    sandbox.state.settings.default_latency_ms = 150
    seen = drain_watching(database, config, concurrency=3)
    assert max(held.total() for held, _ in seen) == 5  # three in flight, two claimed ahead
    assert max(in_flight for _, in_flight in seen) == 3
    assert {p.status for p in posts(database, ids)} == {PostStatus.PUBLISHED}
    assert len(sandbox.state.posts("mastodon")) == 15


def test_a_channel_holds_no_more_posts_than_its_max_in_flight(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch, max_in_flight=2)
    narrow = queue_posts(database, config, library, channels=["mastodon"], count=6)
    wide = queue_posts(database, config, library, channels=["mastodon-b"], count=6)
    sandbox.state.settings.default_latency_ms = 100
    seen = drain_watching(database, config, concurrency=2)
    assert max(held["mastodon"] for held, _ in seen) == 2
    assert max(held.total() for held, _ in seen) == 3  # two in flight, one claimed ahead
    assert {p.status for p in posts(database, narrow + wide)} == {PostStatus.PUBLISHED}
