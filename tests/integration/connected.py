"""Channels connected as the Channels page connects them (``save_connection``), with tokens
made at run time, and a configuration of such channels pointed at the sandbox whose database
is the test's own, for the command line."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from drafts.channels import ChannelBase
from drafts.config import Config, parse_config
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connections import Grant, Tokens, save_connection
from scheduler.vault import Sealer


def connected_config_text(database: Database, base_url: str) -> str:
    """X, Telegram and Mastodon channels on the sandbox, none naming an environment variable
    (they post with what was connected), and the test's database."""
    return f"""
[tidings]
timezone = "Asia/Seoul"
database = "{database.url}"

[[channels]]
id = "x-en"
platform = "x"
languages = ["en"]
base_url = "{base_url}"

[[channels]]
id = "tg"
platform = "telegram"
languages = ["en"]
chat_id = "@tidings_news"
base_url = "{base_url}"

[[channels]]
id = "social"
platform = "mastodon"
languages = ["en"]
base_url = "{base_url}"
"""


def connected_config(database: Database, base_url: str) -> Config:
    return parse_config(connected_config_text(database, base_url), Path("config.toml"))


def connect(
    database: Database,
    channel: ChannelBase,
    *,
    sealer: Sealer,
    token: str | None = None,
    refresh: bool = False,
    expires_at: datetime | None = None,
    scopes: tuple[str, ...] = (),
    account: tuple[str, str] = ("1700000000000000001", "@tidings_demo"),
    now: datetime | None = None,
) -> Tokens:
    """Connect ``channel`` as an admin (hana) would, with a token (and a refresh token) made
    now unless given; returns what was stored."""
    tokens = Tokens(
        token or secrets.token_urlsafe(32),
        expires_at=expires_at,
        refresh=secrets.token_urlsafe(32) if refresh else None,
        scopes=scopes,
    )
    with database.writing() as session:
        save_connection(
            session,
            sealer,
            channel=channel,
            grant=Grant(tokens, account_id=account[0], account_name=account[1]),
            connected_by="hana",
            now=now or utcnow() - timedelta(days=1),
        )
    return tokens


def bot_token() -> str:
    """A Telegram bot token of the sandbox's bot, made now."""
    return f"7000000123:{secrets.token_urlsafe(26)}"
