"""Daemons as processes: a kill -9 mid-flight and a restart; three daemons sharing one queue.

Every post ends published exactly once or in needs_attention with a reason.
"""

from __future__ import annotations

import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon, wait_until, write_config
from tests.integration.publishing import queue_posts, sandbox_config


def database_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def test_kill_9_mid_flight_then_restart(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    ids = queue_posts(database, config, library, channels=["mastodon", "team-chat"], count=3)
    # Every post is stored by the "platform" and then the answer hangs: in flight at the kill.
    sandbox.state.faults.add("slow_after_accept", None, seconds=30, times=None)
    path = write_config(
        config, tmp_path, database_url(database), heartbeat_seconds=0.5, request_timeout=60
    )

    first = start_daemon(path)
    wait_until(lambda: len(sandbox.state.posts()) == 6, 30, "six requests in flight")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    with database.reading() as session:
        statuses = {p.status for p in session.exec(select(Post))}
    assert statuses == {PostStatus.PUBLISHING}  # claimed, in flight, never answered

    sandbox.state.faults.clear()
    second = start_daemon(path, "--drain")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors

    with database.reading() as session:
        posts = {p.id: p for p in session.exec(select(Post))}
        tries = list(session.exec(select(Attempt).order_by(Attempt.post_id, Attempt.number)))
    mastodon = [p for p in posts.values() if p.platform == "mastodon"]
    hooks = [p for p in posts.values() if p.platform == "webhook"]
    assert sorted(posts) == sorted(ids)
    assert {p.status for p in mastodon} == {PostStatus.PUBLISHED}
    assert len(sandbox.state.posts("mastodon")) == 3  # resent with the same keys: no duplicates
    assert {p.remote_id for p in mastodon} == {p.remote_id for p in sandbox.state.posts("mastodon")}
    assert {p.status for p in hooks} == {PostStatus.NEEDS_ATTENTION}
    assert all("check the channel" in (p.reason or "") for p in hooks)
    assert len(sandbox.state.posts("webhook")) == 3  # never resent blindly
    by_post: dict[int, list[str | None]] = {}
    for attempt in tries:
        by_post.setdefault(attempt.post_id, []).append(attempt.outcome)
    for post in mastodon:
        assert by_post[post.id or 0] == ["unknown", "published"]
    for post in hooks:
        assert by_post[post.id or 0] == ["unknown", "unknown"]
    crashed = [a for a in tries if a.number == 1]
    taken = f"taken over from {socket.gethostname()}:{first.pid} (its process had ended)"
    assert all((a.error or "").startswith(taken) for a in crashed)


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_three_daemons_share_300_posts_on_postgres(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    ids = queue_posts(database, config, library, channels=["mastodon", "mastodon-b"], count=150)
    assert len(ids) == 300
    sandbox.state.settings.default_latency_ms = 30
    path = write_config(config, tmp_path, database_url(database), concurrency=4)

    started = time.monotonic()
    daemons = [start_daemon(path, "--drain") for _ in range(3)]
    for daemon in daemons:
        _, errors = daemon.communicate(timeout=120)
        assert daemon.returncode == 0, errors
    print(f"three daemons drained 300 posts in {time.monotonic() - started:.1f} s")

    # Each post carries its own Idempotency-Key: 300 keys, each received exactly once.
    received = Counter(post.headers["idempotency-key"] for post in sandbox.state.posts("mastodon"))
    assert len(received) == 300
    assert set(received.values()) == {1}
    with database.reading() as session:
        statuses = Counter(p.status for p in session.exec(select(Post)))
        tries = list(session.exec(select(Attempt)))
    assert statuses == {PostStatus.PUBLISHED: 300}
    assert len(tries) == 300
    workers = Counter(attempt.worker for attempt in tries)
    assert len(workers) >= 2, workers  # the work was shared
