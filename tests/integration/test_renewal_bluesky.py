"""A connected Bluesky channel's sessions, through the daemon, on SQLite and PostgreSQL: the
app password connected on the Channels page is what createSession gets (not the older one its
``password_env`` still holds), the session serves the posts after it, and the periodic
renewal leaves it alone (sessions renew themselves when a post needs one)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from drafts.config import Config, parse_config
from drafts.lifecycle import PostStatus
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.connections import Grant, Tokens, save_connection
from scheduler.credentials import VAULT_KEY
from scheduler.sandbox.bluesky import add_account, did_for
from scheduler.sandbox.server import RunningSandbox
from scheduler.vault import Sealer
from tests.integration.publishing import drain, posts, queue_posts

HANDLE = "tidings.test"


@pytest.fixture
def config(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A Bluesky channel whose ``password_env`` holds a password the account no longer takes."""
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    monkeypatch.setenv("TIDINGS_T_BLUESKY", secrets.token_urlsafe(16))
    return parse_config(
        f"""
[tidings]
timezone = "Asia/Seoul"
[[channels]]
id = "bsky"
platform = "bluesky"
languages = ["en"]
handle = "{HANDLE}"
password_env = "TIDINGS_T_BLUESKY"
base_url = "{sandbox.base_url}"
""",
        Path("config.toml"),
    )


def test_the_connected_app_password_logs_in_and_its_session_serves_later_posts(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, config: Config
) -> None:
    connected = "-".join(secrets.token_hex(2) for _ in range(4))
    add_account(
        sandbox.state, HANDLE, password=secrets.token_urlsafe(16), app_passwords=(connected,)
    )
    with database.writing() as session:
        save_connection(
            session,
            Sealer.from_environment(),
            channel=config.channels[0],
            grant=Grant(Tokens(connected), account_id=did_for(HANDLE), account_name=HANDLE),
            connected_by="hana",
            now=sandbox.state.now(),
        )
    first = queue_posts(database, config, library, channels=["bsky"])
    drain(database, config)
    second = queue_posts(database, config, library, channels=["bsky"])
    drain(database, config)

    assert {post.status for post in posts(database, first + second)} == {PostStatus.PUBLISHED}
    logins = sandbox.state.requests("bluesky", path="com.atproto.server.createSession")
    assert [login.status for login in logins] == [200]  # once, with the connected password
    assert len(sandbox.state.posts("bluesky")) == 2
