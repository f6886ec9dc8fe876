"""Connecting a Bluesky channel: an app password for its ``handle``, checked by logging in.

``com.atproto.server.createSession`` with the handle and the password (PLATFORMS.md §4.1)
says whether they work and which account (DID) they are; the password is what the daemon
logs in with later (``scheduler.platforms.bluesky_sessions``), so it is the credential
stored. The session made for the check is ended at once (``deleteSession``).

The account's own password logs in too, but gives full control of the account (the access
token's ``scope`` claim is ``com.atproto.access``, where an app password's is
``com.atproto.appPass``: bluesky-social/atproto ``packages/pds/src/auth-scope.ts``), so it is
refused, and so is a session that asks for an emailed sign-in code: only the account's own
password does (``AuthFactorTokenRequired``), app passwords skip it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import httpx

from drafts.channels import BlueskyChannel
from scheduler.connect.base import ConnectError, SecretConnector
from scheduler.connections import Grant, Tokens
from scheduler.credentials import REDACTED, remember
from scheduler.platforms.base import HttpRequest, HttpResponse, send
from scheduler.platforms.bluesky_sessions import jwt_claims
from scheduler.platforms.bluesky_xrpc import AUTH_ERRORS, describe, xrpc_error, xrpc_url

# The access scope a session made with the account's own password carries.
FULL_ACCESS = "com.atproto.access"
APP_PASSWORDS = "Settings → Privacy and security → App passwords"


class BlueskyConnector(SecretConnector[BlueskyChannel]):
    platform: ClassVar[str] = "bluesky"
    channel_type = BlueskyChannel
    secret_label: ClassVar[str] = "App password"

    async def verify(
        self, http: httpx.AsyncClient, channel: BlueskyChannel, secret: str, *, now: datetime
    ) -> Grant:
        password = secret.strip()
        if not password:
            raise ConnectError("App password: empty; create one in Bluesky's " + APP_PASSWORDS)
        remember(password)
        body = {"identifier": channel.handle, "password": password}
        url = xrpc_url(channel, "com.atproto.server.createSession")
        response = await send(http, HttpRequest.with_json("POST", url, body))
        if not isinstance(response, HttpResponse):
            raise ConnectError(
                f"could not reach Bluesky to log in: {response.reason}; try again", retry=True
            )
        if response.status != 200:
            raise _refusal(response, channel, password)
        session = response.json()
        did = session.get("did") if isinstance(session, dict) else None
        access, refresh = _tokens(session)
        if not isinstance(did, str) or not did or not access:
            raise ConnectError("Bluesky answered the login without the account's DID or session")
        await _end(http, channel, refresh)
        if jwt_claims(access).get("scope") == FULL_ACCESS:
            raise ConnectError(
                f"App password: this is the password of the account {channel.handle} itself, "
                f"which can do anything with it; create an app password in {APP_PASSWORDS} "
                "and use that instead"
            )
        handle = session.get("handle") if isinstance(session.get("handle"), str) else None
        return Grant(
            Tokens(token=password, expires_at=None),
            account_id=did,
            account_name=f"@{handle or channel.handle}",
        )


def _tokens(session: object) -> tuple[str, str]:
    """The session's access and refresh tokens ("" for a missing one), remembered as secrets."""
    found = []
    for name in ("accessJwt", "refreshJwt"):
        value = session.get(name) if isinstance(session, dict) else None
        value = value if isinstance(value, str) else ""
        remember(value)
        found.append(value)
    return found[0], found[1]


async def _end(http: httpx.AsyncClient, channel: BlueskyChannel, refresh: str) -> None:
    """End the session the check made (``com.atproto.server.deleteSession``, refresh token as
    bearer). Not ending it only leaves it to expire, so the answer does not matter."""
    if refresh:
        url = xrpc_url(channel, "com.atproto.server.deleteSession")
        await send(http, HttpRequest("POST", url, {"Authorization": f"Bearer {refresh}"}))


def _refusal(response: HttpResponse, channel: BlueskyChannel, password: str) -> ConnectError:
    """Why Bluesky refused the login, as one line that says what to do."""
    name, _ = xrpc_error(response)
    said = describe(response).replace(password, REDACTED)
    handle = channel.handle
    if name == "AuthFactorTokenRequired":
        return ConnectError(
            f"App password: Bluesky asked for the sign-in code it emailed, which only the "
            f"account's own password needs; create an app password in {APP_PASSWORDS} (app "
            "passwords skip the code)"
        )
    if name == "AccountTakedown":
        return ConnectError(f"Bluesky says the account {handle} has been taken down ({said})")
    if response.status == 401 or name in AUTH_ERRORS:
        return ConnectError(
            f"App password: Bluesky refused the handle {handle} with this app password: check "
            f"both (the handle is channel {channel.id}'s in config.toml)"
        )
    if response.status == 429:
        return ConnectError(
            f"Bluesky is limiting logins for {handle} ({said}): try again in a few minutes",
            retry=True,
        )
    if response.status >= 500:
        return ConnectError(f"Bluesky could not log in just now ({said}): try again", retry=True)
    return ConnectError(f"Bluesky refused the login for {handle} ({said})")


CONNECTOR = BlueskyConnector()
