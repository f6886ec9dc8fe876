"""Bluesky sessions: one per channel, kept in the vault and renewed as needed (PLATFORMS.md §4.1).

The app password buys a session (``createSession``) once; the session lives in the vault and
serves every later post, across restarts. An expired access token is renewed with
``refreshSession``, and only a refused refresh logs in again. Renewals of one channel's session
take turns, so posts due together log in once, not once each. A session's tokens are secrets
like the password: they never show in a repr and are scrubbed from every message.

A session serves only the handle and the app password it was made with (it keeps a digest of
the password): once the channel is reconnected with another one, or its variable changed, the
next post logs in with the new password, even if a session made with the old one was stored
after the reconnect by a post that was already under way.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from drafts.channels import BlueskyChannel
from drafts.errors import PlatformError
from scheduler.credentials import remember
from scheduler.outcomes import Failed, NotPublished, RetryAt, RetryLater
from scheduler.platforms.base import (
    Credentials,
    HttpRequest,
    HttpResponse,
    rate_limited_until,
    send,
)
from scheduler.platforms.bluesky_xrpc import AUTH_ERRORS, describe, xrpc_error, xrpc_url

logger = logging.getLogger(__name__)

SESSION_KIND = "bluesky_session"
# Renew a little before the stated expiry: clocks differ and the request takes time.
EXPIRY_MARGIN = timedelta(seconds=30)


class SessionError(PlatformError):
    """No session could be had; ``outcome`` says what that means for the post."""

    def __init__(self, outcome: NotPublished) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass(frozen=True)
class Session:
    """A Bluesky session as the vault keeps it; the tokens never show in a repr."""

    identifier: str  # the handle it was made for: a changed handle needs a new one
    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)
    made_with: str = field(repr=False)  # ``password_digest`` of the password that made it

    @classmethod
    def from_json(cls, data: Any, identifier: str, made_with: str) -> Session | None:
        if not isinstance(data, dict):
            return None
        fields = [data.get(name) for name in ("did", "accessJwt", "refreshJwt")]
        if not all(isinstance(value, str) and value for value in fields):
            return None
        did, access, refresh = (str(value) for value in fields)
        remember(access)  # a session's tokens are secrets like the app password
        remember(refresh)
        handle = data.get("handle")
        return cls(
            identifier,
            did,
            handle if isinstance(handle, str) else identifier,
            access,
            refresh,
            made_with,
        )

    def to_json(self) -> str:
        return json.dumps(
            {"identifier": self.identifier, "did": self.did, "handle": self.handle,
             "accessJwt": self.access_jwt, "refreshJwt": self.refresh_jwt,
             "madeWith": self.made_with}
        )  # fmt: skip

    @property
    def access_expires_at(self) -> datetime | None:
        return jwt_expiry(self.access_jwt)

    @property
    def refresh_expires_at(self) -> datetime | None:
        return jwt_expiry(self.refresh_jwt)


def password_digest(password: str) -> str:
    """What a stored session keeps of the password that made it: enough to tell a changed
    password, inside the sealed vault value."""
    return hashlib.sha256(b"tidings bluesky session\x00" + password.encode()).hexdigest()


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, read without checking the signature (it is our own token); empty
    when it is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT."""
    try:
        return datetime.fromtimestamp(int(jwt_claims(token)["exp"]), UTC)
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def _expired(at: datetime | None, now: datetime) -> bool:
    return at is not None and at <= now + EXPIRY_MARGIN


class Sessions:
    """Each channel's session: from the vault, renewed by one task at a time per channel."""

    def __init__(self) -> None:
        # asyncio locks belong to one event loop; tests and commands each run their own.
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    async def current(
        self,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Session:
        """A session whose access token has not expired: the stored one, refreshed or new."""
        stored = await _load(channel, credentials)
        if stored is not None and not _expired(stored.access_expires_at, now):
            return stored
        return await self.renew(client, channel, credentials, now, stale=stored)

    async def renew(
        self,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
        *,
        stale: Session | None,
        login: bool = False,
    ) -> Session:
        """Replace ``stale``: refresh it (unless ``login``), else log in with the app password.

        If another task replaced it meanwhile, that session is used: one login, not one each.
        """
        async with self._lock(channel.id):
            stored = await _load(channel, credentials)
            if (
                stored is not None
                and stored != stale
                and not _expired(stored.access_expires_at, now)
            ):
                return stored
            session = None
            if stored is not None and not login and not _expired(stored.refresh_expires_at, now):
                session = await _refresh(client, channel, stored, now)
            if session is None:
                session = await _create(client, channel, credentials, now)
            await credentials.vault.save(
                channel.id, SESSION_KIND, session.to_json(), session.refresh_expires_at
            )
            return session

    def _lock(self, channel: str) -> asyncio.Lock:
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(channel, asyncio.Lock())


async def _load(channel: BlueskyChannel, credentials: Credentials) -> Session | None:
    """The stored session, unless it was made for another handle or with another password."""
    stored = await credentials.vault.load(channel.id, SESSION_KIND)
    if stored is None:
        return None
    try:
        data = json.loads(stored.value)
    except ValueError:
        logger.warning("the stored Bluesky session of channel %s is unreadable", channel.id)
        return None
    made_with = password_digest(credentials.secret)
    session = Session.from_json(data, channel.handle, made_with)
    if session is None or data.get("identifier") != channel.handle:
        return None
    if data.get("madeWith") != made_with:
        logger.info("the app password of channel %s changed: logging in again", channel.id)
        return None
    return session


async def _refresh(
    client: httpx.AsyncClient, channel: BlueskyChannel, stale: Session, now: datetime
) -> Session | None:
    """The refreshed session, or None when Bluesky refuses the refresh token."""
    url = xrpc_url(channel, "com.atproto.server.refreshSession")
    response = await send(
        client, HttpRequest("POST", url, {"Authorization": f"Bearer {stale.refresh_jwt}"})
    )
    if not isinstance(response, HttpResponse):
        raise SessionError(RetryLater(f"could not refresh the Bluesky session: {response.reason}"))
    if response.status == 200:
        session = Session.from_json(response.json(), channel.handle, stale.made_with)
        if session is not None:
            logger.info("refreshed the Bluesky session of channel %s", channel.id)
            return session
    elif response.status == 429 or response.status >= 500:
        raise SessionError(_session_trouble("refresh the session", response, channel, now))
    logger.info("Bluesky refused to refresh the session of channel %s; logging in", channel.id)
    return None


async def _create(
    client: httpx.AsyncClient, channel: BlueskyChannel, credentials: Credentials, now: datetime
) -> Session:
    url = xrpc_url(channel, "com.atproto.server.createSession")
    body = {"identifier": channel.handle, "password": credentials.secret}
    response = await send(client, HttpRequest.with_json("POST", url, body))
    if not isinstance(response, HttpResponse):
        raise SessionError(RetryLater(f"could not log in to Bluesky: {response.reason}"))
    made_with = password_digest(credentials.secret)
    answer = response.json() if response.status == 200 else None
    session = Session.from_json(answer, channel.handle, made_with)
    if session is None:
        raise SessionError(_session_trouble("log in", response, channel, now, credentials.secret))
    logger.info("created a Bluesky session for channel %s", channel.id)
    return session


def _session_trouble(
    doing: str, response: HttpResponse, channel: BlueskyChannel, now: datetime, password: str = ""
) -> RetryAt | RetryLater | Failed:
    said = describe(response)
    if password:
        said = said.replace(password, "[secret]")  # in case a server ever echoes it
    status = response.status
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"rate limited while trying to {doing} ({said})", status)
    if status >= 500 or status == 200:
        return RetryLater(f"Bluesky could not {doing} ({said})", status)
    if status == 401 or xrpc_error(response)[0] in AUTH_ERRORS:
        where = f"in {channel.password_env}" if channel.password_env else "it was connected with"
        return Failed(
            f"Bluesky refused the login for {channel.handle} ({said}): check the app password "
            f"{where}, or reconnect the channel on the Channels page",
            status,
        )
    return Failed(f"Bluesky refused to {doing} ({said})", status)
