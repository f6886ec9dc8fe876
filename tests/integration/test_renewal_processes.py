"""Two daemons as processes (``tidings run --drain``) racing to renew a connected X token that
expired while none ran, on SQLite and PostgreSQL: each process renews in its periodic round
and in its posts, with nothing shared but the database, and X's rotating refresh token is
spent once."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from drafts.lifecycle import PostStatus
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.credentials import VAULT_KEY
from scheduler.sandbox.server import RunningSandbox
from tests.e2e.daemons import start_daemon
from tests.integration.publishing import posts, queue_posts
from tests.integration.x_connections import (
    TOKEN_PATH,
    connect_x,
    live,
    stored,
    token_requests,
    x_config,
)


def test_two_daemon_processes_spend_the_rotating_refresh_token_once(
    database: Database,
    library: TemplateLibrary,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    client_id = secrets.token_urlsafe(16)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_ID", client_id)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_SECRET", secrets.token_urlsafe(24))
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    config = x_config(sandbox.base_url)
    now = utcnow()
    before = connect_x(
        database,
        config,
        sandbox,
        client_id,
        expires_at=now - timedelta(minutes=1),
        access_ttl=-timedelta(seconds=1),  # the sandbox refuses it too
        now=now - timedelta(hours=3),
    )
    ids = queue_posts(database, config, library, channels=["x-en"], count=6)
    sandbox.state.faults.add("latency", "x", path=TOKEN_PATH, ms=800, times=None)
    url = database.engine.url.render_as_string(hide_password=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[tidings]
timezone = "Asia/Seoul"
database = "{url}"
[oauth.x]
client_id_env = "TIDINGS_T_X_CLIENT_ID"
client_secret_env = "TIDINGS_T_X_CLIENT_SECRET"
[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{sandbox.base_url}"
""",
        encoding="utf-8",
    )

    daemons = [start_daemon(path, "--drain") for _ in range(2)]
    for daemon in daemons:
        _, errors = daemon.communicate(timeout=60)
        assert daemon.returncode == 0, errors

    assert token_requests(sandbox) == 1
    assert {post.status for post in posts(database, ids)} == {PostStatus.PUBLISHED}
    tweets = sandbox.state.requests("x", path="/2/tweets", method="POST")
    assert [request.status for request in tweets] == [201] * 6
    _, token, refresh = stored(database)
    assert token != before.token and live(sandbox, token) and live(sandbox, refresh)
