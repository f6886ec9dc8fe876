"""The daemon renews a connected Threads token, a long-lived one of 60 days, ten days before it
ends and not before, on SQLite and PostgreSQL. The sandbox and the daemon keep one ``Clock``,
which the test moves, so Meta's 24-hour and 60-day rules are checked without waiting."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from drafts.channels import ThreadsChannel
from drafts.config import Config, parse_config
from drafts.models import Connection
from drafts.storage import Database
from scheduler.connect.base import OAuthClient
from scheduler.connect.threads import CONNECTOR
from scheduler.connections import TOKEN, Grant, save_connection
from scheduler.credentials import VAULT_KEY
from scheduler.sandbox import RunningSandbox, SandboxState, Settings, running_sandbox
from scheduler.sandbox.consent_client import answer_consent, redirected_query
from scheduler.sandbox.oauth import register_oauth_app
from scheduler.vault import Sealer, load_secret
from tests.fakes import Clock, run_with_client
from tests.integration.publishing import drain

CALLBACK = "https://tidings.example.org/channels/news-threads/callback"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOCK = Clock(NOW)
REFRESH_PATH = "/refresh_access_token"


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[RunningSandbox]:
    """This module's sandbox keeps the time ``CLOCK`` says."""
    with running_sandbox(SandboxState(clock=CLOCK)) as sandbox:
        yield sandbox


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A Threads channel on the sandbox and the ``[oauth.threads]`` app, registered there."""
    CLOCK.now = NOW
    client = OAuthClient("th-" + secrets.token_hex(8), secrets.token_urlsafe(24))
    register_oauth_app(
        sandbox.state,
        platform="threads",
        client_id=client.id,
        client_secret=client.secret,
        redirect_uris=[CALLBACK],
    )
    monkeypatch.setenv("TIDINGS_T_THREADS_ID", client.id)
    monkeypatch.setenv("TIDINGS_T_THREADS_SECRET", client.secret)
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    return parse_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[oauth.threads]
client_id_env = "TIDINGS_T_THREADS_ID"
client_secret_env = "TIDINGS_T_THREADS_SECRET"
[[channels]]
id = "news-threads"
platform = "threads"
languages = ["en"]
user_id = "{Settings().threads_user_id}"
base_url = "{sandbox.base_url}"
""",
        Path("config.toml"),
    )


def connect(database: Database, config: Config) -> Grant:
    """Connect the channel through the sandbox's consent page at ``NOW``, as the Channels page
    does: a long-lived token for 60 days."""
    (channel,) = config.channels
    assert isinstance(channel, ThreadsChannel)
    app = OAuthClient(os.environ["TIDINGS_T_THREADS_ID"], os.environ["TIDINGS_T_THREADS_SECRET"])
    url = CONNECTOR.authorization_url(
        channel, app, redirect_uri=CALLBACK, state="st-1", code_challenge=None
    )
    with httpx.Client() as browser:
        code = redirected_query(answer_consent(browser, url))["code"]
    grant = run_with_client(
        lambda http: CONNECTOR.exchange(
            http, channel, app, code=code, redirect_uri=CALLBACK, verifier=None, now=CLOCK.now
        )
    )
    with database.writing() as session:
        save_connection(
            session,
            Sealer.from_environment(),
            channel=channel,
            grant=grant,
            connected_by="hana",
            now=CLOCK.now,
        )
    return grant


def connection(database: Database) -> tuple[Connection, str]:
    with database.reading() as session:
        row = session.get(Connection, "news-threads")
        token = load_secret(session, Sealer.from_environment(), "news-threads", TOKEN)
    assert row is not None and token is not None
    return row, token.value


def test_a_long_lived_threads_token_is_renewed_ten_days_before_it_ends(
    database: Database, sandbox: RunningSandbox, config: Config
) -> None:
    grant = connect(database, config)
    assert grant.tokens.expires_at == NOW + timedelta(days=60)

    CLOCK.advance(days=49)  # 11 days left
    drain(database, config, now=CLOCK)
    assert sandbox.state.requests("threads", path=REFRESH_PATH) == []

    CLOCK.advance(days=2)  # 9 days left
    drain(database, config, now=CLOCK)
    assert [r.status for r in sandbox.state.requests("threads", path=REFRESH_PATH)] == [200]
    row, token = connection(database)
    assert token != grant.tokens.token
    assert (row.refreshed_at, row.expires_at) == (CLOCK.now, CLOCK.now + timedelta(days=60))
    assert row.refresh_error is None

    CLOCK.advance(days=1)
    drain(database, config, now=CLOCK)  # fresh again: left alone
    assert len(sandbox.state.requests("threads", path=REFRESH_PATH)) == 1
