"""The daemon keeps connected credentials fresh, on SQLite and PostgreSQL, against the sandbox.

A connected X channel's token is renewed in its last quarter hour (a fake clock moves the
daemon there), two daemons racing to renew it (a post's renewal on demand in one, the periodic
round in the other) spend the rotating refresh token once, a renewal the sandbox refuses is
recorded on the connection and not tried again, a lock left by a dead daemon is taken over
once its time has run out, and a connected channel renews with the ``[oauth.x]`` app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlmodel import Session

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import RefreshLock
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.credentials import VAULT_KEY
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.refresh_lock import HOLD
from scheduler.renewal import Renewals
from scheduler.sandbox.oauth import revoke_token
from scheduler.sandbox.server import RunningSandbox
from tests.fakes import Clock
from tests.integration.publishing import drain, posts, queue_posts
from tests.integration.x_connections import (
    T0,
    TOKEN_PATH,
    connect_x,
    live,
    stored,
    token_requests,
    x_config,
)


@pytest.fixture
def app_client(monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``[oauth.x]`` app's client id (and a secret and the vault key) in the environment."""
    client_id = secrets.token_urlsafe(16)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_ID", client_id)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_SECRET", secrets.token_urlsafe(24))
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    return client_id


@pytest.fixture
def config(sandbox: RunningSandbox, app_client: str) -> Config:
    """One X channel on the sandbox, to be connected: it names no environment variable."""
    return x_config(sandbox.base_url)


def test_a_connected_token_is_renewed_in_its_last_quarter_hour(
    database: Database, sandbox: RunningSandbox, config: Config, app_client: str
) -> None:
    before = connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    clock = Clock(T0 + timedelta(minutes=100))  # 20 minutes left: not yet
    drain(database, config, now=clock)
    assert token_requests(sandbox) == 0

    clock.advance(minutes=6)  # 14 minutes left
    drain(database, config, now=clock)
    assert token_requests(sandbox) == 1
    row, token, refresh = stored(database)
    assert token != before.token and refresh != before.refresh
    assert live(sandbox, token) and live(sandbox, refresh)
    assert not live(sandbox, before.refresh or "")  # spent: X's refresh tokens rotate
    assert row.refreshed_at == clock.now
    assert row.expires_at == clock.now + sandbox.state.settings.x_access_ttl
    assert (row.refresh_failed_at, row.refresh_error) == (None, None)

    drain(database, config, now=clock)  # fresh now: nothing to renew
    assert token_requests(sandbox) == 1


def test_two_daemons_racing_spend_the_rotating_refresh_token_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    config: Config,
    app_client: str,
) -> None:
    """The token expired while no daemon ran: both renew it at start, in their periodic
    rounds, and their posts find it expired too and renew it on demand. The token endpoint
    takes half a second, so every one of them asks while the first renewal is under way."""
    now = utcnow()
    before = connect_x(
        database,
        config,
        sandbox,
        app_client,
        expires_at=now - timedelta(minutes=1),
        access_ttl=-timedelta(seconds=1),  # the sandbox refuses it too
        now=now - timedelta(hours=3),
    )
    ids = queue_posts(database, config, library, channels=["x-en"], count=4)
    sandbox.state.faults.add("latency", "x", path=TOKEN_PATH, ms=500, times=None)
    clock = Clock(now)
    settings = DaemonSettings(concurrency=4, request_timeout=5.0)

    async def both() -> None:
        daemons = [
            Daemon(config, database, settings=settings, drain=True, worker=name, now=clock)
            for name in ("host-a:1", "host-b:2")
        ]
        await asyncio.gather(*(daemon.run() for daemon in daemons))

    asyncio.run(asyncio.wait_for(both(), timeout=30))
    assert token_requests(sandbox) == 1
    assert {post.status for post in posts(database, ids)} == {PostStatus.PUBLISHED}
    tweets = sandbox.state.requests("x", path="/2/tweets", method="POST")
    assert [request.status for request in tweets] == [201] * 4  # none sent a spent token
    _, token, refresh = stored(database)
    assert token != before.token and live(sandbox, token) and live(sandbox, refresh)


def test_a_daemon_that_read_the_connection_before_another_renewed_it_renews_nothing(
    database: Database, sandbox: RunningSandbox, config: Config, app_client: str
) -> None:
    """host-b reads the connections, finds the token due, and host-a renews it before host-b
    takes the channel's turn (free again by then): host-b looks again once it holds the turn
    and leaves the fresh token alone, instead of spending the new refresh token too."""
    connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    clock = Clock(T0 + timedelta(minutes=110))
    db = in_transaction(database)
    first = Renewals(config, db, holder="host-a:1", now=clock)
    reads = 0

    async def meanwhile_the_other_renews(work: Callable[[Session], Any]) -> Any:
        nonlocal reads
        done = await db(work)
        reads += 1
        if reads == 1:  # host-b's round has read the connections
            async with httpx.AsyncClient(timeout=5.0) as http:
                await first.round(http)
        return done

    second = Renewals(config, meanwhile_the_other_renews, holder="host-b:2", now=clock)

    async def second_round() -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            await second.round(http)

    asyncio.run(second_round())
    assert reads > 1  # host-b went on to take the turn
    assert token_requests(sandbox) == 1
    row, token, refresh = stored(database)
    assert row.refreshed_at == clock.now
    assert live(sandbox, token) and live(sandbox, refresh)
    with database.reading() as session:
        assert session.get(RefreshLock, "x-en") is None


def test_a_refused_renewal_is_recorded_and_not_tried_again(
    database: Database,
    sandbox: RunningSandbox,
    config: Config,
    app_client: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    assert before.refresh is not None
    assert revoke_token(sandbox.state, before.refresh) is not None  # X no longer takes it
    clock = Clock(T0 + timedelta(minutes=110))
    renewals = Renewals(config, in_transaction(database), holder="host-a:1", now=clock)

    async def two_rounds() -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            await renewals.round(http)
            clock.advance(minutes=1)
            await renewals.round(http)

    with caplog.at_level(logging.INFO, logger="tidings.renewal"):
        asyncio.run(two_rounds())
    assert token_requests(sandbox) == 1
    row, token, _ = stored(database)
    assert token == before.token
    assert row.refresh_failed_at == T0 + timedelta(minutes=110)
    assert row.refresh_error is not None and "X refused renewing the access token" in (
        row.refresh_error
    )
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "tidings.renewal"]
    assert "not tried again until the account is reconnected" in logged
    for secret in (before.token, before.refresh, app_client):
        assert secret not in row.refresh_error and secret not in logged


@contextmanager
def quoting_token_endpoint() -> Iterator[str]:
    """An X token endpoint on loopback that refuses every refresh token, quoting it back in
    its ``error_description`` as some servers do; yields its origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            quoted = form.get("refresh_token", ["?"])[0]
            body = json.dumps(
                {"error": "invalid_grant", "error_description": f"refresh token {quoted} revoked"}
            ).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_refusal_quoting_the_refresh_token_is_recorded_and_logged_without_it(
    database: Database,
    sandbox: RunningSandbox,
    app_client: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with quoting_token_endpoint() as origin:
        config = x_config(origin)
        before = connect_x(
            database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2)
        )
        assert before.refresh is not None
        clock = Clock(T0 + timedelta(minutes=110))
        renewals = Renewals(config, in_transaction(database), holder="host-a:1", now=clock)

        async def one_round() -> None:
            async with httpx.AsyncClient(timeout=5.0) as http:
                await renewals.round(http)

        with caplog.at_level(logging.INFO, logger="tidings.renewal"):
            asyncio.run(one_round())
    row, _, _ = stored(database)
    assert row.refresh_error is not None and "refresh token [secret] revoked" in (row.refresh_error)
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "tidings.renewal"]
    assert "[secret]" in logged
    for secret in (before.refresh, before.token):
        assert secret not in row.refresh_error and secret not in logged


def test_a_renewal_that_may_work_later_is_tried_again_at_the_next_round(
    database: Database, sandbox: RunningSandbox, config: Config, app_client: str
) -> None:
    connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    sandbox.state.faults.add("status", "x", path=TOKEN_PATH, status=503, times=1)
    clock = Clock(T0 + timedelta(minutes=110))
    renewals = Renewals(config, in_transaction(database), holder="host-a:1", now=clock)

    async def two_rounds() -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            await renewals.round(http)
            failed, _, _ = stored(database)
            assert failed.refresh_error and "try again later" in failed.refresh_error
            clock.advance(minutes=1)
            await renewals.round(http)

    asyncio.run(two_rounds())
    assert token_requests(sandbox) == 2
    row, token, _ = stored(database)
    assert live(sandbox, token)
    assert (row.refreshed_at, row.refresh_error) == (clock.now, None)


def test_a_lock_left_by_a_dead_daemon_is_taken_over_once_its_time_has_run_out(
    database: Database, sandbox: RunningSandbox, config: Config, app_client: str
) -> None:
    before = connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    taken_at = T0 + timedelta(minutes=106)
    with database.writing() as session:  # it died while renewing
        session.add(RefreshLock(channel="x-en", holder="gone:1", until=taken_at + HOLD))
    clock = Clock(taken_at + timedelta(minutes=1))
    drain(database, config, now=clock)
    assert token_requests(sandbox) == 0
    assert stored(database)[1] == before.token

    clock.advance(seconds=HOLD.total_seconds())
    drain(database, config, now=clock)
    assert token_requests(sandbox) == 1
    row, token, _ = stored(database)
    assert token != before.token and row.refreshed_at == clock.now
    with database.reading() as session:
        assert session.get(RefreshLock, "x-en") is None  # let go once renewed


def test_a_post_renews_a_connected_token_with_the_oauth_x_app_not_the_channels_own(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    app_client: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """X answers 401 to the connected token; its refresh token was granted to the [oauth.x]
    app, which the sandbox checks, while the channel still names a client of its own."""
    monkeypatch.setenv("TIDINGS_T_X_OWN_CLIENT", secrets.token_urlsafe(16))
    monkeypatch.setenv("TIDINGS_T_X_OWN_REFRESH", secrets.token_urlsafe(32))
    config = x_config(
        sandbox.base_url,
        'client_id_env = "TIDINGS_T_X_OWN_CLIENT"\nrefresh_token_env = "TIDINGS_T_X_OWN_REFRESH"',
    )
    before = connect_x(
        database,
        config,
        sandbox,
        app_client,
        expires_at=utcnow() + timedelta(hours=2),  # the daemon believes it
        access_ttl=-timedelta(seconds=1),  # X does not
    )
    (post_id,) = queue_posts(database, config, library, channels=["x-en"])
    drain(database, config)
    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED
    assert [r.status for r in sandbox.state.requests("x", path=TOKEN_PATH)] == [200]
    row, token, _ = stored(database)
    assert token != before.token and live(sandbox, token)
    assert row.refreshed_at is not None  # the connection shows the renewal


def in_transaction(database: Database) -> Callable[[Callable[[Session], Any]], Awaitable[Any]]:
    """Run work in a transaction of ``database`` on a thread, as the daemon's database
    thread does."""

    async def db(work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with database.writing() as session:
                return work(session)

        return await asyncio.to_thread(run)

    return db


def test_an_unset_client_id_is_recorded_without_asking_x(
    database: Database,
    sandbox: RunningSandbox,
    config: Config,
    app_client: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect_x(database, config, sandbox, app_client, expires_at=T0 + timedelta(hours=2))
    monkeypatch.delenv("TIDINGS_T_X_CLIENT_ID")
    clock = Clock(T0 + timedelta(minutes=110))
    renewals = Renewals(config, in_transaction(database), holder="host-a:1", now=clock)

    async def one_round() -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            await renewals.round(http)

    asyncio.run(one_round())
    assert token_requests(sandbox) == 0
    row, _, _ = stored(database)
    assert row.refresh_error == (
        "TIDINGS_T_X_CLIENT_ID ([oauth.x]) is not set: the token of channel x-en cannot be renewed"
    )


def test_a_channel_check_renews_an_expired_connected_token_as_the_daemon_does(
    database: Database, sandbox: RunningSandbox, config: Config, app_client: str
) -> None:
    """``channels check`` on a connected X channel whose token has expired renews it with the
    ``[oauth.x]`` app (the channel names no client of its own, and the sandbox granted the
    refresh token to that app), taking the channel's refresh lock and letting it go."""
    from scheduler.channel_check import check_channels

    now = utcnow()
    before = connect_x(database, config, sandbox, app_client, expires_at=now - timedelta(minutes=1))

    [health] = asyncio.run(check_channels(config, config.channels, database, now, timeout=5))

    assert health.reachable, health.problem
    assert token_requests(sandbox) == 1
    row, token, refresh = stored(database)
    assert token != before.token and live(sandbox, token) and refresh != before.refresh
    assert row.refreshed_at is not None
    with database.reading() as session:
        assert session.get(RefreshLock, "x-en") is None
