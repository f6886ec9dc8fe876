"""Keeping connected credentials fresh: every minute each daemon renews the tokens about to
expire, and every renewal, this periodic one or a post's on demand (X's, ``x_oauth``), takes
the channel's turn first (``scheduler.refresh_lock``), so two daemons never both spend a
rotating refresh token.

A token is renewed ``AHEAD`` of its expiry, per platform; platforms not listed there are not
renewed ahead (a Facebook Page's token does not expire, nor does Mastodon's; Bluesky's sessions
renew themselves when a post needs one). Once it has the turn, a daemon looks at the connection
again: another daemon may have renewed it meanwhile.

A renewal that fails is recorded on the connection (the Channels page shows it, scrubbed), and
the admins are told once for the streak of failures it starts (``record_renewal_failure``). One
worth trying again (the platform unreachable, rate-limited, 5xx) is tried at the next round;
any other is not tried again by this daemon until the account is reconnected.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlmodel import Session

from drafts.channels import ChannelBase
from drafts.config import OAUTH_PLATFORMS, Config, OAuthApp
from drafts.errors import ConfigError, TidingsError
from drafts.models import Connection
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connections import (
    REFRESH,
    TOKEN,
    Tokens,
    connections,
    record_renewal_failure,
    save_renewal,
)
from scheduler.credentials import checked, remember, scrub
from scheduler.platforms.base import RenewalTurn, StoredSecret, Vault
from scheduler.refresh_lock import release, take
from scheduler.vault import Sealer, load_secret

log = logging.getLogger("tidings.renewal")

# How long before it expires a connected token is renewed.
AHEAD = {
    # Access tokens live two hours (PLATFORMS.md §2.4): renewed in their last quarter hour.
    "x": timedelta(minutes=15),
    # 60-day tokens (§1.7, §6): renewed before the Channels page warns of them (7 days ahead),
    # leaving days of rounds for a renewal that fails for now.
    "linkedin": timedelta(days=10),
    "threads": timedelta(days=10),
}
# Threads refreshes a long-lived token only once it is at least 24 hours old (§6, §10.3).
MIN_AGE = {"threads": timedelta(hours=24)}
# How often a daemon waiting for another's turn looks again, in seconds.
POLL = 0.25

Db = Callable[[Callable[[Session], Any]], Awaitable[Any]]


def renewal_due(row: Connection, now: datetime) -> bool:
    """Whether ``row``'s token is to be renewed at ``now``: within its platform's ``AHEAD``
    of expiring, and old enough for the platform to refresh it."""
    ahead = AHEAD.get(row.platform)
    if row.expires_at is None or ahead is None or now < row.expires_at - ahead:
        return False
    issued = row.refreshed_at or row.connected_at
    return now >= issued + MIN_AGE.get(row.platform, timedelta(0))


class Turn:
    """A channel's turn to renew its token (``scheduler.platforms.base.RenewalTurn``), with
    its connection as read once the turn was taken (None: configured with environment
    variables, or disconnected meanwhile)."""

    def __init__(
        self, renewals: Renewals, channel: ChannelBase, connection: Connection | None
    ) -> None:
        self._renewals = renewals
        self.channel = channel
        self.connection = connection

    @property
    def connected(self) -> bool:
        return self.connection is not None

    @property
    def app(self) -> OAuthApp | None:
        return self._renewals.apps.get(self.channel.platform)

    async def secrets(self) -> tuple[str | None, str | None]:
        """The stored token and refresh token."""
        token, refresh = await self._load(TOKEN), await self._load(REFRESH)
        return (token.value if token else None), (refresh.value if refresh else None)

    async def renewed(self, token: str, expires_at: datetime | None, refresh: str | None) -> None:
        await self.save(Tokens(token, expires_at=expires_at, refresh=refresh))

    async def save(self, tokens: Tokens) -> None:
        """Store what the renewal obtained, the refresh token first, in one transaction."""
        for secret in (tokens.token, tokens.refresh):
            if secret:
                remember(secret)
        renewals = self._renewals
        work = partial(
            save_renewal,
            sealer=renewals.sealer(),
            channel=self.channel.id,
            tokens=tokens,
            now=renewals.now(),
        )
        await renewals.db(work)

    async def failed(self, error: str) -> None:
        """Record on the connection that renewing failed, and why (already scrubbed)."""
        renewals = self._renewals
        work = partial(
            record_renewal_failure, channel=self.channel.id, error=error, now=renewals.now()
        )
        await renewals.db(work)

    async def _load(self, kind: str) -> StoredSecret | None:
        renewals = self._renewals
        work = partial(load_secret, sealer=renewals.sealer(), channel=self.channel.id, kind=kind)
        stored: StoredSecret | None = await renewals.db(work)
        if stored is not None:
            remember(stored.value)
        return stored


class Renewals:
    """One daemon's renewals (its worker id is the lock's ``holder``): the periodic rounds,
    and the turns its posts take to renew a token on demand."""

    def __init__(
        self,
        config: Config,
        db: Db,
        *,
        holder: str,
        now: Callable[[], datetime],
        environment: Mapping[str, str] = os.environ,
        poll: float = POLL,
    ) -> None:
        self.channels = config.channels
        self.apps: dict[str, OAuthApp] = dict(config.oauth.items())
        self.db = db
        self.holder = holder
        self.now = now
        self._environment = environment
        self._poll = poll
        self._sealer: Sealer | None = None
        # Connections (by channel, as connected at) this daemon leaves alone until they are
        # reconnected: their renewal failed for good, or their connector cannot renew them.
        self._settled: dict[str, datetime] = {}

    def sealer(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer.from_environment()
        return self._sealer

    @asynccontextmanager
    async def waiting(self, channel: ChannelBase) -> AsyncIterator[Turn]:
        """``channel``'s turn, once no other daemon (or task) has it."""
        while (turn := await self._take(channel)) is None:
            await asyncio.sleep(self._poll)
        try:
            yield turn
        finally:
            await self._release(channel)

    @asynccontextmanager
    async def taken(self, channel: ChannelBase) -> AsyncIterator[Turn | None]:
        """``channel``'s turn, or None at once when another daemon (or task) has it."""
        turn = await self._take(channel)
        try:
            yield turn
        finally:
            if turn is not None:
                await self._release(channel)

    async def round(self, http: httpx.AsyncClient) -> None:
        """Renew each connected credential that is due, one channel after another."""
        rows: dict[str, Connection] = await self.db(connections)
        for channel in self.channels:
            row = rows.get(channel.id)
            if row is None or self._settled.get(channel.id) == row.connected_at:
                continue
            if not renewal_due(row, self.now()):
                continue
            try:
                await self._renew(http, channel)
            except TidingsError as error:  # the vault key does not open its token: said once
                self._settled[channel.id] = row.connected_at
                log.error("channel %s: its token was not renewed: %s", channel.id, error)
            except Exception:  # a bug of ours: the other channels are renewed all the same
                trace = scrub(traceback.format_exc())
                log.error(
                    "renewing the token of channel %s failed inside Tidings\n%s", channel.id, trace
                )

    async def _renew(self, http: httpx.AsyncClient, channel: ChannelBase) -> None:
        async with self.taken(channel) as turn:
            now = self.now()
            if turn is None or turn.connection is None or not renewal_due(turn.connection, now):
                return  # another daemon has the turn or renewed it, or it was disconnected
            connected_at = turn.connection.connected_at
            token, refresh = await turn.secrets()
            connector = connector_for(channel)
            if token is None or not connector.renewable(refresh=refresh):
                self._settled[channel.id] = connected_at
                return
            try:
                client = self._client(channel)
                tokens = await connector.renew(
                    http, channel, client, token=token, refresh=refresh, now=now
                )
            except ConnectError as error:
                if error.retry or (await turn.secrets())[0] == token:
                    await self._failed(turn, error, connected_at)
                # else a process that takes no turns (a channels check) renewed it meanwhile
                return
            await turn.save(tokens)
            log.info("channel %s: renewed its token (expires %s)", channel.id, tokens.expires_at)

    async def _failed(self, turn: Turn, error: ConnectError, connected_at: datetime) -> None:
        """Record the failure; unless a later try may work, leave the connection alone until
        it is reconnected."""
        channel, reason = turn.channel.id, scrub(str(error))
        await turn.failed(reason)
        if error.retry:
            log.warning(
                "channel %s: renewing its token failed, tried again at the next round: %s",
                channel,
                reason,
            )
            return
        self._settled[channel] = connected_at
        # The admins were told when the failure was recorded (the first of its streak): once
        # the token expires, posts to this channel fail until someone reconnects it.
        log.error(
            "channel %s: its token could not be renewed, and is not tried again until the "
            "account is reconnected: %s",
            channel,
            reason,
        )

    def _client(self, channel: ChannelBase) -> OAuthClient | None:
        """The ``[oauth.<platform>]`` client the connection's tokens were granted to (None:
        the platform has none; Mastodon registers its own on each instance)."""
        platform = channel.platform
        app = self.apps.get(platform)
        if app is None:
            if platform in OAUTH_PLATFORMS:
                raise ConnectError(
                    f"config.toml has no [oauth.{platform}] naming the app channel "
                    f"{channel.id} was connected with: its token cannot be renewed"
                )
            return None
        cannot = f"the token of channel {channel.id} cannot be renewed"
        try:
            client_id, secret = (
                checked(name, self._environment.get(name, "")) if name else ""
                for name in (app.client_id_env, app.client_secret_env)
            )
        except ConfigError as error:  # a line break copied along with the value
            raise ConnectError(f"{error}: {cannot}") from None
        if not client_id:
            raise ConnectError(f"{app.client_id_env} ([oauth.{platform}]) is not set: {cannot}")
        return OAuthClient(client_id, secret)

    async def _take(self, channel: ChannelBase) -> Turn | None:
        def work(session: Session) -> tuple[bool, Connection | None]:
            if not take(session, channel=channel.id, holder=self.holder, now=self.now()):
                return False, None
            return True, session.get(Connection, channel.id)

        taken, connection = await self.db(work)
        return Turn(self, channel, connection) if taken else None

    async def _release(self, channel: ChannelBase) -> None:
        await self.db(partial(release, channel=channel.id, holder=self.holder))


@dataclass(frozen=True)
class RenewingVault:
    """``vault`` whose renewals take turns across daemons (``TakesTurns``): the daemon's."""

    vault: Vault
    renewals: Renewals

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return await self.vault.load(channel, kind)

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        await self.vault.save(channel, kind, value, expires_at)

    def renewing(self, channel: ChannelBase) -> AbstractAsyncContextManager[RenewalTurn]:
        return self.renewals.waiting(channel)
