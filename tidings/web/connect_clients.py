"""Which OAuth client Tidings connects a channel as: the app an admin registered with the
platform, named in ``[oauth.<platform>]`` by the environment variables holding its id and
secret, or, on a Mastodon instance, the app Tidings registers there itself (PRODUCT.md
"Connecting accounts").

Each configured value is read where ``tidings web`` runs, when a flow starts or ends, and
remembered as a secret (``scheduler.credentials.checked``), so no page or log can quote the
client secret. A registered app is kept sealed in the vault.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from drafts.channels import ChannelBase, MastodonChannel
from drafts.config import Config
from drafts.errors import ConfigError
from drafts.media_limits import PLATFORM_NAMES
from drafts.storage import Database
from scheduler.connect.base import OAuthClient, OAuthConnector
from scheduler.connect.mastodon import app_record, stored_app
from scheduler.connections import MASTODON_APP
from scheduler.credentials import checked
from scheduler.vault import Sealer, load_secret, save_secret
from tidings.web.connect_words import NO_CLIENT_ID, NO_CLIENT_SECRET, NO_OAUTH_APP, Refusal
from tidings.web.context import off_loop


def configured_client(
    config: Config, channel: ChannelBase, environment: Mapping[str, str] = os.environ
) -> OAuthClient | Refusal:
    """The client ``[oauth.<platform>]`` names for ``channel``'s platform, or why there is none."""
    platform = channel.platform
    words = {"name": PLATFORM_NAMES.get(platform, platform), "platform": platform}
    app = {str(name): app for name, app in config.oauth.items()}.get(platform)
    if app is None:
        return Refusal(NO_OAUTH_APP, words)
    try:
        client_id = checked(app.client_id_env, environment.get(app.client_id_env, ""))
        if not client_id:
            return Refusal(NO_CLIENT_ID, {**words, "variable": app.client_id_env})
        if app.client_secret_env is None:
            return OAuthClient(client_id)
        secret = checked(app.client_secret_env, environment.get(app.client_secret_env, ""))
    except ConfigError as error:  # a line break or a space copied along with the value
        return Refusal.raised(error)
    if not secret:
        return Refusal(NO_CLIENT_SECRET, {**words, "variable": app.client_secret_env})
    return OAuthClient(client_id, secret)


async def registered_client(
    http: httpx.AsyncClient,
    database: Database,
    sealer: Sealer,
    connector: OAuthConnector[Any],
    channel: MastodonChannel,
    *,
    redirect_uri: str,
) -> OAuthClient:
    """The app Tidings registered on the channel's instance for this callback, or one it
    registers now (``connector.register``) and keeps in the vault (kind ``MASTODON_APP``) for
    the callback and the next connect; ``ConnectError`` when the instance refuses."""
    kept = await off_loop(kept_client, database, sealer, channel, redirect_uri=redirect_uri)
    if kept is not None:
        return kept
    client = await connector.register(http, channel, redirect_uri=redirect_uri)
    record = app_record(client, channel, redirect_uri=redirect_uri)
    await off_loop(_keep, database, sealer, channel.id, record)
    return client


def kept_client(
    database: Database, sealer: Sealer, channel: MastodonChannel, *, redirect_uri: str
) -> OAuthClient | None:
    """The registered app the vault keeps for ``channel``, if it serves ``redirect_uri``."""
    with database.reading() as session:
        found = load_secret(session, sealer, channel.id, MASTODON_APP)
    return stored_app(found.value, channel, redirect_uri=redirect_uri) if found else None


def _keep(database: Database, sealer: Sealer, channel: str, record: str) -> None:
    with database.writing() as session:
        save_secret(session, sealer, channel, MASTODON_APP, record, None)
