"""X user tokens: which access token to send, and renewing it with the OAuth 2.0 refresh token.

The access token comes from the vault (one Tidings obtained by renewing) before the channel's
environment variable. Access tokens live two hours (PLATFORMS.md §2.4); renewing posts the
refresh token to ``/2/oauth2/token`` and stores the new access token *and* the new refresh
token straight away, because refresh tokens may be single-use: the one just spent never works
again, so the stored one takes precedence over the environment's from then on. Renewals for
one channel take turns, so two posts due together never spend the same refresh token twice.
"""

from __future__ import annotations

import asyncio
import base64
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from drafts.channels import XChannel
from scheduler.credentials import REFRESH_KIND, TOKEN_KIND
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import (
    Credentials,
    HttpRequest,
    HttpResponse,
    NoAnswer,
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
    """Whether the channel is configured for renewal (a refresh token and a client id)."""
    return bool(channel.refresh_token_env and credentials.env(channel.client_id_env))


async def send_as_user(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    request_for: Callable[[str], HttpRequest],
) -> tuple[HttpResponse | NoAnswer | NoToken, AccessToken | None]:
    """Send ``request_for(token)``; when X answers 401 and the channel can renew, renew once
    and send again. Returns the answer (or why there is none) and the token last used."""
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
        and can_renew(channel, credentials)
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
    if can_renew(channel, credentials):
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
    async with locks.setdefault(channel.id, asyncio.Lock()):
        renewed_meanwhile = await _stored_instead_of(rejected, channel, credentials, now)
        if renewed_meanwhile is not None:  # another post renewed it while this one waited
            return renewed_meanwhile
        outcome = await _renew_now(client, channel, credentials, now)
        if isinstance(outcome, Failed) and outcome.http_status in (400, 401):
            # Another daemon process may have spent the refresh token first, and stored the result.
            renewed_meanwhile = await _stored_instead_of(rejected, channel, credentials, now)
        return renewed_meanwhile or outcome


async def _stored_instead_of(
    rejected: str, channel: XChannel, credentials: Credentials, now: datetime
) -> AccessToken | None:
    stored = await credentials.vault.load(channel.id, ACCESS)
    if stored and stored.value != rejected and not _expiring(stored.expires_at, now):
        return AccessToken(stored.value, stored.expires_at)
    return None


async def _renew_now(
    client: httpx.AsyncClient, channel: XChannel, credentials: Credentials, now: datetime
) -> AccessToken | NoToken:
    stored = await credentials.vault.load(channel.id, REFRESH)
    candidates = [stored.value] if stored else []
    # After a reconnect the environment holds a new refresh token while the vault keeps the
    # spent one; the environment's is tried when the stored one is refused.
    from_env = credentials.env(channel.refresh_token_env)
    if from_env and from_env not in candidates:
        candidates.append(from_env)
    if not candidates:
        return Failed(
            f"the X access token expired and {channel.refresh_token_env} holds no refresh token "
            "to renew it: reconnect the account"
        )
    outcome = await _exchange(client, channel, credentials, candidates[0], now)
    for fallback in candidates[1:]:
        if not (isinstance(outcome, Failed) and outcome.http_status in (400, 401)):
            break
        outcome = await _exchange(client, channel, credentials, fallback, now)
    if not isinstance(outcome, Renewed):
        return outcome
    # The refresh token first: the old one is spent, and losing the new one means reconnecting.
    if outcome.refresh:
        await credentials.vault.save(channel.id, REFRESH, outcome.refresh, None)
    await credentials.vault.save(
        channel.id, ACCESS, outcome.access.value, outcome.access.expires_at
    )
    return outcome.access


async def _exchange(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    refresh_token: str,
    now: datetime,
) -> Renewed | NoToken:
    request = refresh_request(channel, credentials, refresh_token)
    response = await send(client, request)
    if not isinstance(response, HttpResponse):
        # Nothing was posted; if X did spend the refresh token, the next renewal says so.
        return RetryLater(f"could not renew the X access token: {response.reason}")
    return read_token_answer(response, channel, now)


def refresh_request(channel: XChannel, credentials: Credentials, refresh_token: str) -> HttpRequest:
    """``POST /2/oauth2/token`` with ``grant_type=refresh_token`` (PLATFORMS.md §2.4)."""
    client_id = credentials.env(channel.client_id_env)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    client_secret = credentials.env(channel.client_secret_env)
    if client_secret:  # a confidential client authenticates itself with HTTP Basic
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    return HttpRequest(
        "POST", api_base(channel) + "/2/oauth2/token", headers, urlencode(form).encode()
    )


def read_token_answer(
    response: HttpResponse, channel: XChannel, now: datetime
) -> Renewed | NoToken:
    """The token endpoint's answer; reasons never quote its body, which may hold tokens."""
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
        return Failed(
            f"X refused to renew the access token ({status}): {message}; reconnect the account "
            f"and put the new tokens in {channel.token_env} and {channel.refresh_token_env}",
            status,
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
