"""Connected credentials: what an admin connected from the Channels page, kept in the vault.

A connection is two things: the ``connection`` row (who connected the channel and when, the
account it posts as, the scopes granted, when the token expires, how the last renewal went),
readable without the key, and the secrets in the vault (``credential`` rows sealed under
``TIDINGS_SECRET_KEY``), one per kind:

- ``token``: what posts are sent with (an access token, a Facebook Page's token, a Telegram
  bot token, a Bluesky app password). A stored token wins over the channel's ``token_env``.
- ``refresh``: the refresh token, where the platform granted one.
- ``mastodon_app``: the app Tidings registered on a Mastodon instance (client id and secret).

Reconnecting replaces the token and keeps a refresh token the platform did not send again, as
long as the account is the same one; disconnecting deletes the row and every secret of the
channel.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from drafts.channels import ChannelBase
from drafts.models import Connection, StoredCredential
from drafts.notification_events import Event, record_event
from scheduler.credentials import REFRESH_KIND, TOKEN_KIND, secret_for
from scheduler.platforms.base import Credentials, Vault
from scheduler.vault import Sealer, load_secret, save_secret

TOKEN = TOKEN_KIND
REFRESH = REFRESH_KIND
MASTODON_APP = "mastodon_app"


@dataclass(frozen=True)
class Tokens:
    """What a token endpoint granted: the token posts are sent with, and the refresh token."""

    token: str
    expires_at: datetime | None = None  # None: does not expire (Mastodon, a Page token)
    refresh: str | None = None  # None: none sent (keep the one already stored)
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = None  # None: the answer did not say


@dataclass(frozen=True)
class Grant:
    """A credential obtained by connecting, and the account it posts as."""

    tokens: Tokens
    account_id: str
    account_name: str

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.tokens.scopes or ()


def save_connection(
    session: Session,
    sealer: Sealer,
    *,
    channel: ChannelBase,
    grant: Grant,
    connected_by: str,
    now: datetime,
) -> None:
    """Store ``grant`` as ``channel``'s credential, replacing any earlier one; the refresh
    token already stored stays when the grant has none and the account is the same."""
    earlier = session.get(Connection, channel.id)
    same_account = earlier is not None and earlier.account_id == grant.account_id
    keep_refresh = grant.tokens.refresh is None and same_account
    kept = load_secret(session, sealer, channel.id, REFRESH) if keep_refresh else None
    _delete_secrets(session, channel.id, keep=(MASTODON_APP,))
    tokens = grant.tokens
    if kept is not None:
        tokens = replace(tokens, refresh=kept.value, refresh_expires_at=kept.expires_at)
    _save_tokens(session, sealer, channel.id, tokens)
    row = earlier or Connection(channel=channel.id, platform=channel.platform, connected_by="")
    row.platform = channel.platform
    row.account_id, row.account_name = grant.account_id, grant.account_name
    row.scopes = " ".join(grant.scopes)
    row.connected_by, row.connected_at = connected_by, now
    row.expires_at, row.refresh_expires_at = tokens.expires_at, tokens.refresh_expires_at
    row.has_refresh_token = tokens.refresh is not None
    row.refreshed_at = row.refresh_failed_at = row.refresh_error = None
    session.add(row)


def save_renewal(
    session: Session, sealer: Sealer, *, channel: str, tokens: Tokens, now: datetime
) -> None:
    """Store the tokens a renewal obtained: the refresh token first in the same transaction
    (the old one may be spent), the scopes when the answer named them."""
    _save_tokens(session, sealer, channel, tokens)
    row = session.get(Connection, channel)
    if row is None:  # a channel configured with environment variables renews too (X)
        return
    row.expires_at = tokens.expires_at
    if tokens.refresh is not None:
        row.refresh_expires_at, row.has_refresh_token = tokens.refresh_expires_at, True
    if tokens.scopes is not None:
        row.scopes = " ".join(tokens.scopes)
    row.refreshed_at, row.refresh_failed_at, row.refresh_error = now, None, None
    session.add(row)


def record_renewal_failure(session: Session, *, channel: str, error: str, now: datetime) -> None:
    """Remember that renewing ``channel``'s token failed, and why (shown on the Channels page),
    and tell the admins (``Event.CREDENTIAL_REFRESH_FAILED``) once per streak of failures."""
    row = session.get(Connection, channel)
    if row is None:
        return
    row.refresh_failed_at, row.refresh_error = now, error
    session.add(row)
    # A streak runs from the last renewal that worked (or the connecting) until the next one:
    # its start names the event, so the failures that follow in it tell nobody anew.
    streak = (row.refreshed_at or row.connected_at).isoformat()
    record_event(
        session,
        Event.CREDENTIAL_REFRESH_FAILED,
        f"channel:{channel}:refresh_failed:{streak}",
        channel_id=channel,
        facts={"reason": error},
    )


def delete_connection(session: Session, channel: str) -> bool:
    """Disconnect ``channel``: its row and every secret it kept. False when not connected."""
    row = session.get(Connection, channel)
    _delete_secrets(session, channel, keep=())
    if row is None:
        return False
    session.delete(row)
    return True


def connection(session: Session, channel: str) -> Connection | None:
    return session.get(Connection, channel)


def connections(session: Session) -> dict[str, Connection]:
    """Every connected channel's row, by channel id (no secrets)."""
    return {row.channel: row for row in session.exec(select(Connection))}


async def credentials_for(
    channel: ChannelBase, vault: Vault, environment: Mapping[str, str] = os.environ
) -> Credentials:
    """The channel's credentials: its connected (or renewed) token from the vault, else the
    environment variable it names. ``MissingSecret`` when it has neither."""
    stored = await vault.load(channel.id, TOKEN)
    secret = stored.value if stored is not None else secret_for(channel)
    return Credentials(secret, vault, environment)


def _save_tokens(session: Session, sealer: Sealer, channel: str, tokens: Tokens) -> None:
    save_secret(session, sealer, channel, TOKEN, tokens.token, tokens.expires_at)
    if tokens.refresh is not None:
        save_secret(session, sealer, channel, REFRESH, tokens.refresh, tokens.refresh_expires_at)


def _delete_secrets(session: Session, channel: str, *, keep: tuple[str, ...]) -> None:
    session.execute(
        delete(StoredCredential).where(
            col(StoredCredential.channel) == channel, col(StoredCredential.kind).not_in(keep)
        )
    )
