"""X user tokens: which access token to send, and renewing it with the OAuth 2.0 refresh token.

The access token comes from the vault (one an admin connected, or one Tidings obtained by
renewing) before the channel's environment variable. Access tokens live two hours (PLATFORMS.md
§2.4); renewing posts the refresh token to ``/2/oauth2/token`` and stores the new access token
*and* the new refresh token straight away, because refresh tokens rotate (§10.3): the one just
spent never works again, so the stored one takes precedence over the environment's from then on.

Renewals of one channel take turns: posts due together in one daemon renew once, and the
daemon's vault takes the channel's refresh lock (``scheduler.renewal``), so a post here and the
periodic renewal in another daemon never both spend the refresh token. A channel connected from
the web app renews with the ``[oauth.x]`` app its tokens were granted to; one configured with
environment variables, with the client its ``client_id_env`` names.
"""

from __future__ import annotations

import asyncio
import base64
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from drafts.channels import XChannel
from drafts.config import OAuthApp
from scheduler.credentials import REFRESH_KIND, TOKEN_KIND
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import (
    Credentials,
    HttpRequest,
    HttpResponse,
    NoAnswer,
    RenewalTurn,
    TakesTurns,
    Vault,
    api_origin,
    rate_limited_until,
    send,
)

API = "https://api.x.com"
ACCESS = TOKEN_KIND
REFRESH = REFRESH_KIND
# X leaves out expires_in rarely; its documented lifetime is two hours.
ACCESS_LIFETIME = timedelta(hours=2)
# Renew a little early rather than send a token that expires while the request is in flight.
EXPIRY_MARGIN = timedelta(minutes=1)

NoToken = RetryAt | RetryLater | Failed
"""Why no access token could be had: rate-limited, X unreachable, or refused (reconnect)."""

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class AccessToken:
    """A user access token, and when it expires if Tidings knows."""

    value: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Renewed:
    """What ``/2/oauth2/token`` answered: the new access token and, if it rotated, refresh token."""

    access: AccessToken
    refresh: str | None


def api_base(channel: XChannel) -> str:
    return api_origin(channel, API)


def can_renew(channel: XChannel, credentials: Credentials) -> bool:
    """Whether the channel's environment variables name a refresh token and a client id."""
    return bool(channel.refresh_token_env and credentials.env(channel.client_id_env))


async def send_as_user(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    request_for: Callable[[str], HttpRequest],
) -> tuple[HttpResponse | NoAnswer | NoToken, AccessToken | None]:
    """Send ``request_for(token)``; when X answers 401 and the token can be renewed, renew
    once and send again. Returns the answer (or why there is none) and the token last used."""
    return await as_user(
        client, channel, credentials, now, lambda token: send(client, request_for(token))
    )


async def as_user(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    exchange: Callable[[str], Awaitable[HttpResponse | NoAnswer]],
) -> tuple[HttpResponse | NoAnswer | NoToken, AccessToken | None]:
    """``send_as_user`` for any way of sending (an image upload streams its body): run
    ``exchange(token)``, renewing the token once if X answers 401."""
    token = await current_token(client, channel, credentials, now)
    if not isinstance(token, AccessToken):
        return token, None
    response = await exchange(token.value)
    if (
        isinstance(response, HttpResponse)
        and response.status == 401
        and await _renewable(channel, credentials)
    ):
        renewed = await renew(client, channel, credentials, now, rejected=token.value)
        if not isinstance(renewed, AccessToken):
            return renewed, None
        token = renewed
        response = await exchange(token.value)
    return response, token


async def current_token(
    client: httpx.AsyncClient, channel: XChannel, credentials: Credentials, now: datetime
) -> AccessToken | NoToken:
    """The access token to send: the stored one while it lasts, renewed once it has expired."""
    stored = await credentials.vault.load(channel.id, ACCESS)
    if stored is None:
        return AccessToken(credentials.secret)
    if not _expiring(stored.expires_at, now):
        return AccessToken(stored.value, stored.expires_at)
    if await _renewable(channel, credentials):
        return await renew(client, channel, credentials, now, rejected=stored.value)
    return AccessToken(credentials.secret)  # expired and not renewable: X will say if this works


async def renew(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    *,
    rejected: str,
) -> AccessToken | NoToken:
    """A fresh access token in place of ``rejected``, or the outcome explaining why not."""
    locks = _turns.setdefault(asyncio.get_running_loop(), {})
    async with locks.setdefault(channel.id, asyncio.Lock()), _turn(channel, credentials) as turn:
        renewed_meanwhile = await _stored_instead_of(rejected, channel, credentials, now)
        if renewed_meanwhile is not None:  # another post or daemon renewed it while this waited
            return renewed_meanwhile
        outcome = await _renew_now(client, channel, credentials, turn, now)
        if isinstance(outcome, Failed) and outcome.http_status in (400, 401):
            # A process that takes no turns (a command's check) may have spent it first.
            renewed_meanwhile = await _stored_instead_of(rejected, channel, credentials, now)
        return renewed_meanwhile or outcome


async def _renewable(channel: XChannel, credentials: Credentials) -> bool:
    """Whether there is a refresh token to renew with: named in the environment, or stored
    (a connection's, or one an earlier renewal obtained)."""
    if can_renew(channel, credentials):
        return True
    return await credentials.vault.load(channel.id, REFRESH) is not None


def _turn(channel: XChannel, credentials: Credentials) -> AbstractAsyncContextManager[RenewalTurn]:
    """The channel's turn to renew: across daemons where the vault takes turns (the daemon's),
    else within this process only (the asyncio lock ``renew`` holds)."""
    vault = credentials.vault
    if isinstance(vault, TakesTurns):
        return vault.renewing(channel)
    return nullcontext(_OwnTurn(channel.id, vault))


@dataclass(frozen=True)
class _OwnTurn:
    """A turn in a vault shared with no other process: a command's, a test's."""

    channel: str
    vault: Vault
    connected: bool = False
    app: OAuthApp | None = None

    async def renewed(self, token: str, expires_at: datetime | None, refresh: str | None) -> None:
        if refresh:
            await self.vault.save(self.channel, REFRESH, refresh, None)
        await self.vault.save(self.channel, ACCESS, token, expires_at)


async def _stored_instead_of(
    rejected: str, channel: XChannel, credentials: Credentials, now: datetime
) -> AccessToken | None:
    stored = await credentials.vault.load(channel.id, ACCESS)
    if stored and stored.value != rejected and not _expiring(stored.expires_at, now):
        return AccessToken(stored.value, stored.expires_at)
    return None


async def _renew_now(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    turn: RenewalTurn,
    now: datetime,
) -> AccessToken | NoToken:
    app = _client(channel, credentials, turn)
    if isinstance(app, Failed):
        return app
    stored = await credentials.vault.load(channel.id, REFRESH)
    candidates = [stored.value] if stored else []
    # After a reconnect the environment holds a new refresh token while the vault keeps the
    # spent one; the environment's is tried when the stored one is refused. A connection's
    # tokens are the vault's alone.
    from_env = "" if turn.connected else credentials.env(channel.refresh_token_env)
    if from_env and from_env not in candidates:
        candidates.append(from_env)
    if not candidates:
        if turn.connected:
            return Failed(
                "the X access token expired and the connection holds no refresh token to "
                "renew it: reconnect the account on the Channels page"
            )
        return Failed(
            f"the X access token expired and {channel.refresh_token_env} holds no refresh token "
            "to renew it: reconnect the account"
        )
    outcome = await _exchange(client, channel, app, candidates[0], now, turn.connected)
    for fallback in candidates[1:]:
        if not (isinstance(outcome, Failed) and outcome.http_status in (400, 401)):
            break
        outcome = await _exchange(client, channel, app, fallback, now, turn.connected)
    if not isinstance(outcome, Renewed):
        return outcome
    # The refresh token first: the old one is spent, and losing the new one means reconnecting.
    await turn.renewed(outcome.access.value, outcome.access.expires_at, outcome.refresh)
    return outcome.access


@dataclass(frozen=True)
class AppClient:
    """The OAuth client renewing sends: its id, and its secret for a confidential client.
    (``scheduler.connect.base.OAuthClient`` is the same; it cannot be imported here, since
    ``scheduler.connect`` reaches back into the adapters through ``scheduler.connections``.)"""

    id: str
    secret: str = ""


def _client(channel: XChannel, credentials: Credentials, turn: RenewalTurn) -> AppClient | Failed:
    """``[oauth.x]``'s client for a connected channel, else the one the channel's
    ``client_id_env`` and ``client_secret_env`` name."""
    id_env: str | None
    if turn.connected:
        if turn.app is None:
            return Failed(
                f"channel {channel.id} is connected and config.toml has no [oauth.x] naming "
                "the app's client id: the X access token cannot be renewed"
            )
        id_env, secret_env, where = turn.app.client_id_env, turn.app.client_secret_env, "[oauth.x]"
    else:
        id_env, secret_env = channel.client_id_env, channel.client_secret_env
        where = f"channel {channel.id}"
    client_id = credentials.env(id_env)
    if not client_id:
        missing = (
            f"{id_env} ({where} client_id_env) is not set"
            if id_env
            else (f"{where} names no client_id_env")
        )
        return Failed(f"{missing}: the X access token cannot be renewed")
    return AppClient(client_id, credentials.env(secret_env))


async def _exchange(
    client: httpx.AsyncClient,
    channel: XChannel,
    app: AppClient,
    refresh_token: str,
    now: datetime,
    connected: bool,
) -> Renewed | NoToken:
    response = await send(client, refresh_request(channel, app, refresh_token))
    if not isinstance(response, HttpResponse):
        # Nothing was posted; if X did spend the refresh token, the next renewal says so.
        return RetryLater(f"could not renew the X access token: {response.reason}")
    return read_token_answer(response, channel, now, connected=connected)


def refresh_request(channel: XChannel, app: AppClient, refresh_token: str) -> HttpRequest:
    """``POST /2/oauth2/token`` with ``grant_type=refresh_token`` (PLATFORMS.md §2.4)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if app.secret:  # a confidential client authenticates itself with HTTP Basic (§10.3)
        pair = f"{app.id}:{app.secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.id}
    return HttpRequest(
        "POST", api_base(channel) + "/2/oauth2/token", headers, urlencode(form).encode()
    )


def read_token_answer(
    response: HttpResponse, channel: XChannel, now: datetime, *, connected: bool = False
) -> Renewed | NoToken:
    """The token endpoint's answer; reasons never quote its body, which may hold tokens.
    ``connected``: the channel was connected from the web app, where it is reconnected."""
    status = response.status
    body = response.json()
    if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
        lifetime = body.get("expires_in")
        expires_in = timedelta(seconds=lifetime) if isinstance(lifetime, int) else ACCESS_LIFETIME
        refresh = body.get("refresh_token")
        return Renewed(
            AccessToken(body["access_token"], now + expires_in),
            refresh if isinstance(refresh, str) and refresh else None,
        )
    message = _oauth_message(body)
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"X rate-limited renewing the access token: {message}", status)
    if status >= 500:
        return RetryLater(f"X could not renew the access token ({status}): {message}", status)
    if status in (400, 401):
        reconnect = (
            "reconnect the account on the Channels page"
            if connected
            else f"reconnect the account and put the new tokens in {channel.token_env} and "
            f"{channel.refresh_token_env}"
        )
        return Failed(
            f"X refused to renew the access token ({status}): {message}; {reconnect}", status
        )
    return Failed(f"X answered {status} when renewing the access token: {message}", status)


def _oauth_message(body: object) -> str:
    if isinstance(body, dict):
        for key in ("error_description", "error", "detail", "title"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return "no message"


def _expiring(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at - EXPIRY_MARGIN <= now
