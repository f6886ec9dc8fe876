"""The connection store on SQLite and PostgreSQL: a reconnect replaces the token and keeps the
refresh token the platform did not send again, for the same account only; a disconnect leaves
nothing of the channel in the vault; a stored token wins over the environment's."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from drafts.config import Config, parse_config
from drafts.models import Connection, StoredCredential
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connections import (
    MASTODON_APP,
    REFRESH,
    TOKEN,
    Grant,
    Tokens,
    credentials_for,
    delete_connection,
    save_connection,
)
from scheduler.vault import DatabaseVault, Sealer, load_secret, save_secret
from tests.integration.test_renewal import in_transaction

CONFIG = """
[[channels]]
id = "li"
platform = "linkedin"
languages = ["en"]
author = "urn:li:organization:2414183"
token_env = "TIDINGS_T_LI_TOKEN"
"""


@pytest.fixture
def config() -> Config:
    return parse_config(CONFIG, Path("config.toml"))


@pytest.fixture
def sealer(monkeypatch: pytest.MonkeyPatch) -> Sealer:
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", key)
    return Sealer(key)


def connect(
    database: Database, config: Config, sealer: Sealer, *, account: str, refresh: str | None
) -> Tokens:
    tokens = Tokens(
        secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(days=60),
        refresh=refresh,
        refresh_expires_at=utcnow() + timedelta(days=365) if refresh else None,
        scopes=("w_organization_social",),
    )
    with database.writing() as session:
        save_connection(
            session,
            sealer,
            channel=config.channels[0],
            grant=Grant(tokens, account_id=account, account_name=f"Page {account}"),
            connected_by="hana",
            now=utcnow(),
        )
    return tokens


def secret(database: Database, sealer: Sealer, kind: str) -> str | None:
    with database.reading() as session:
        found = load_secret(session, sealer, "li", kind)
    return None if found is None else found.value


def test_a_reconnect_keeps_the_refresh_token_the_platform_did_not_send_again(
    database: Database, config: Config, sealer: Sealer
) -> None:
    refresh = secrets.token_urlsafe(32)
    connect(database, config, sealer, account="2414183", refresh=refresh)
    again = connect(database, config, sealer, account="2414183", refresh=None)

    assert secret(database, sealer, TOKEN) == again.token
    assert secret(database, sealer, REFRESH) == refresh
    with database.reading() as session:
        row = session.get(Connection, "li")
        assert row is not None and row.has_refresh_token and row.refresh_expires_at is not None


def test_a_reconnect_as_another_account_drops_the_earlier_accounts_refresh_token(
    database: Database, config: Config, sealer: Sealer
) -> None:
    connect(database, config, sealer, account="2414183", refresh=secrets.token_urlsafe(32))
    connect(database, config, sealer, account="9999999", refresh=None)

    assert secret(database, sealer, REFRESH) is None
    with database.reading() as session:
        row = session.get(Connection, "li")
        assert row is not None and not row.has_refresh_token and row.account_id == "9999999"


def test_a_reconnect_with_a_new_refresh_token_stores_the_new_one(
    database: Database, config: Config, sealer: Sealer
) -> None:
    connect(database, config, sealer, account="2414183", refresh=secrets.token_urlsafe(32))
    newer = secrets.token_urlsafe(32)
    connect(database, config, sealer, account="2414183", refresh=newer)
    assert secret(database, sealer, REFRESH) == newer


def test_a_disconnect_deletes_the_row_and_every_secret_of_the_channel(
    database: Database, config: Config, sealer: Sealer
) -> None:
    connect(database, config, sealer, account="2414183", refresh=secrets.token_urlsafe(32))
    with database.writing() as session:
        save_secret(session, sealer, "li", MASTODON_APP, "{}", None)
        save_secret(session, sealer, "other", TOKEN, secrets.token_urlsafe(32), None)
        assert delete_connection(session, "li")
    with database.reading() as session:
        assert session.get(Connection, "li") is None
        kept = [(row.channel, row.kind) for row in session.exec(select(StoredCredential))]
    assert kept == [("other", TOKEN)]
    with database.writing() as session:
        assert not delete_connection(session, "li")  # not connected: nothing to say it did


def test_a_connected_token_wins_over_the_environments(
    database: Database, config: Config, sealer: Sealer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = secrets.token_urlsafe(32)
    monkeypatch.setenv("TIDINGS_T_LI_TOKEN", from_env)
    vault = DatabaseVault(in_transaction(database))
    channel = config.channels[0]
    assert asyncio.run(credentials_for(channel, vault)).secret == from_env

    connected = connect(database, config, sealer, account="2414183", refresh=None)
    assert asyncio.run(credentials_for(channel, vault)).secret == connected.token
