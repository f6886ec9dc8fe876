"""Checking channels: can each one be reached, who does it post as, when does its token expire,
and where its credential comes from: a connection (who connected it, when, as whom, with which
scopes, whether it renews by itself and how its last renewal went), an environment variable, or
nothing yet. The connection is read from its row, so it is reported even when the vault cannot
be opened; no secret is ever part of a report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

import httpx
from sqlmodel import Session

from drafts.channels import ChannelBase, WebhookChannel
from drafts.config import Config
from drafts.credential_problems import missing_scopes
from drafts.errors import ConfigError, TidingsError
from drafts.learned_limits import remember_limits
from drafts.media_limits import remember_media_limits
from drafts.models import Connection
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.connections import connections, credentials_for
from scheduler.credentials import scrub, vault_key_problem
from scheduler.heartbeat import Worker
from scheduler.platforms import adapter_for
from scheduler.platforms.base import Vault
from scheduler.renewal import Renewals, RenewingVault
from scheduler.vault import DatabaseVault

EXPIRY_WARNING = timedelta(days=7)

Source = Literal["connected", "environment", "none", "not needed"]


@dataclass(frozen=True)
class CredentialReport:
    """Where a channel's credential comes from (``source``): a connection made on the Channels
    page, the environment variable ``variable``, nothing yet (``none``: not connected), or
    nothing at all (a webhook without ``secret_env``). The other fields describe a connection."""

    source: Source
    variable: str | None = None
    account_name: str | None = None
    account_id: str | None = None
    connected_by: str | None = None
    connected_at: datetime | None = None
    scopes: tuple[str, ...] = ()  # as granted; () when the platform did not say
    missing_scopes: tuple[str, ...] = ()  # of those posting needs, the ones not granted
    expires_at: datetime | None = None  # the token posts are sent with; None: does not expire
    refresh_expires_at: datetime | None = None
    renews: bool = False  # whether Tidings renews it by itself before it expires
    refreshed_at: datetime | None = None
    refresh_failed_at: datetime | None = None
    refresh_error: str | None = None  # the last renewal's failure, scrubbed

    @property
    def renewal_failing(self) -> bool:
        """Whether the last renewal failed and none succeeded since."""
        failed = self.refresh_failed_at
        return failed is not None and (self.refreshed_at is None or failed > self.refreshed_at)

    def lapses_at(self, checked: datetime | None = None) -> datetime | None:
        """When posting stops working unless someone reconnects (None: not foreseen): the
        token's expiry (else ``checked``, as a check found it), or, for a token Tidings renews
        by itself, its refresh token's."""
        if self.renews and not self.renewal_failing:
            return self.refresh_expires_at
        return self.expires_at or checked


def credential_report(channel: ChannelBase, row: Connection | None) -> CredentialReport:
    """What ``row`` (the channel's connection, if any) and the configuration say about where the
    channel's credential comes from, without opening the vault."""
    if row is None:
        variable = channel.secret_variable
        if variable is not None:
            return CredentialReport("environment", variable=variable)
        return CredentialReport("not needed" if isinstance(channel, WebhookChannel) else "none")
    from scheduler.connect import connector_for  # the connectors load only for a connection

    granted = tuple(row.scopes.split())
    missing = missing_scopes(channel, row.scopes)
    # ``renewable`` asks whether a refresh token is held, not for its value.
    renews = connector_for(channel).renewable(refresh="held" if row.has_refresh_token else None)
    return CredentialReport(
        "connected",
        account_name=row.account_name,
        account_id=row.account_id,
        connected_by=row.connected_by,
        connected_at=row.connected_at,
        scopes=granted,
        missing_scopes=missing,
        expires_at=row.expires_at,
        refresh_expires_at=row.refresh_expires_at,
        renews=renews,
        refreshed_at=row.refreshed_at,
        refresh_failed_at=row.refresh_failed_at,
        refresh_error=scrub(row.refresh_error) if row.refresh_error else None,
    )


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    platform: str
    reachable: bool
    posts_as: str | None = None
    token_expires_at: datetime | None = None
    problem: str | None = None
    text_limits: Mapping[str, int] | None = None
    media_limits: Mapping[str, Any] | None = None
    credential: CredentialReport | None = None
    unchecked: str | None = None  # why nothing was asked (``Identity.unchecked``)

    def warning(self, now: datetime) -> str | None:
        """A connection missing a scope that posting needs, or a credential that lapses within
        7 days unless someone reconnects."""
        credential = self.credential
        if credential is not None and credential.missing_scopes:
            return (
                f"the connection lacks {' '.join(credential.missing_scopes)}: reconnect the "
                "account and grant it"
            )
        lapses = self.lapses_at()
        if lapses is not None and lapses - now < EXPIRY_WARNING:
            return "the token expires within 7 days: reconnect the account"
        return None

    def lapses_at(self) -> datetime | None:
        """When posting stops working unless someone reconnects (None: not foreseen): the
        token's expiry, or, for a token Tidings renews by itself, its refresh token's."""
        credential = self.credential
        if credential is None or credential.source != "connected":
            return self.token_expires_at
        return credential.lapses_at(self.token_expires_at)


async def check_channels(
    config: Config,
    channels: Sequence[ChannelBase],
    database: Database,
    now: datetime,
    timeout: float = 15.0,
) -> list[ChannelHealth]:
    """Every channel's health, checked concurrently. A token the check must renew first (an
    expired X token) is renewed as the daemon renews it: with ``config``'s ``[oauth.x]`` for a
    connected channel, and under the channel's refresh lock, so that a check and a daemon never
    both spend a rotating refresh token."""

    async def db(work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with database.writing() as session:
                return work(session)

        return await asyncio.to_thread(run)

    holder = f"channels check on {Worker.this_process(now).name}"
    vault = RenewingVault(DatabaseVault(db), Renewals(config, db, holder=holder, now=utcnow))
    connected: dict[str, Connection] = await db(connections)
    async with httpx.AsyncClient(timeout=timeout) as client:
        checked = await asyncio.gather(
            *(
                _check(channel, client, vault, now, connected.get(channel.id))
                for channel in channels
            )
        )
    for health in checked:
        if health.text_limits:
            await db(partial(remember_limits, channel=health.channel, limits=health.text_limits))
        if health.media_limits:
            await db(
                partial(remember_media_limits, channel=health.channel, limits=health.media_limits)
            )
    return list(checked)


async def _check(
    channel: ChannelBase,
    client: httpx.AsyncClient,
    vault: Vault,
    now: datetime,
    connected: Connection | None,
) -> ChannelHealth:
    report = credential_report(channel, connected)
    try:
        credentials = await credentials_for(channel, vault)
        stored = [channel.id] if connected is not None else []
        if problem := vault_key_problem([channel], stored=stored):  # before any request
            raise ConfigError(problem)
        identity = await adapter_for(channel).identify(client, channel, credentials, now)
    except TidingsError as error:
        # A platform's refusal may quote the token.
        return ChannelHealth(
            channel.id,
            channel.platform,
            reachable=False,
            problem=scrub(str(error)),
            credential=report,
        )
    return ChannelHealth(
        channel=channel.id,
        platform=channel.platform,
        reachable=True,
        posts_as=identity.name,
        token_expires_at=identity.token_expires_at,
        text_limits=identity.text_limits,
        media_limits=identity.media_limits,
        credential=report,
        unchecked=identity.unchecked,
    )
