"""Connecting an X account: OAuth 2.0 authorization code with PKCE, renewed by rotating refresh
tokens.

docs.x.com "OAuth 2.0 Authorization Code Flow with PKCE"
(docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token), PLATFORMS.md
§2.4 and §10.3:

1. consent on ``x.com/i/oauth2/authorize`` with ``response_type=code``, ``client_id``,
   ``redirect_uri``, space-separated ``scope`` (``offline.access`` for a refresh token),
   ``state`` and an S256 ``code_challenge``;
2. ``POST api.x.com/2/oauth2/token`` with ``grant_type=authorization_code``, the ``code``, the
   same ``redirect_uri`` and the ``code_verifier`` (a confidential client adds HTTP Basic):
   an access token for two hours, a refresh token, the scopes granted;
3. ``GET /2/users/me``: the account it posts as.

Renewing posts ``grant_type=refresh_token``; the refresh token rotates (the one sent is spent), so
the new one in the answer is what must be kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote, urlencode

import httpx

from drafts.channels import XChannel
from drafts.credential_problems import REQUIRED_SCOPES
from scheduler.connect.base import ConnectError, OAuthClient, OAuthConnector
from scheduler.connect.token_endpoint import (
    ask,
    code_form,
    form_request,
    obtain_tokens,
    refresh_form,
)
from scheduler.connections import Grant, Tokens
from scheduler.platforms.base import HttpRequest, api_origin, bearer

API = "https://api.x.com"
WEB = "https://x.com"
SERVICE = "X"
# docs.x.com: an access token "will only stay valid for two hours" (used when expires_in is
# missing from the answer).
ACCESS_LIFETIME = timedelta(hours=2)


class XConnector(OAuthConnector[XChannel]):
    platform: ClassVar[str] = "x"
    channel_type = XChannel
    pkce: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = REQUIRED_SCOPES["x"]

    def authorization_url(
        self,
        channel: XChannel,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        if code_challenge is None:
            raise ValueError("X's consent needs a PKCE code challenge")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client.id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            },
            quote_via=quote,  # scopes joined by %20, as X's examples write them
        )
        return f"{api_origin(channel, WEB)}/i/oauth2/authorize?{query}"

    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: XChannel,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """The tokens the code is worth, and the account (``@username``) they post as."""
        if verifier is None:
            raise ValueError("X's token exchange needs the PKCE code verifier")
        form = code_form(client, code=code, redirect_uri=redirect_uri, verifier=verifier)
        tokens = await obtain_tokens(
            http,
            token_request(channel, client, form),
            now,
            service=SERVICE,
            step="exchanging the authorization code",
            lifetime=ACCESS_LIFETIME,
        )
        account_id, username = await _account(http, channel, tokens.token)
        return Grant(tokens, account_id=account_id, account_name=f"@{username}")

    async def renew(
        self,
        http: httpx.AsyncClient,
        channel: XChannel,
        client: OAuthClient | None,
        *,
        token: str,
        refresh: str | None,
        now: datetime,
    ) -> Tokens:
        """New tokens for the refresh token, which X spends: the answer's must be stored."""
        if refresh is None or client is None:
            raise ConnectError("the X access token has no refresh token: reconnect the account")
        return await obtain_tokens(
            http,
            token_request(channel, client, refresh_form(client, refresh)),
            now,
            service=SERVICE,
            step="renewing the access token",
            lifetime=ACCESS_LIFETIME,
        )

    def renewable(self, *, refresh: str | None) -> bool:
        return refresh is not None


def token_request(channel: XChannel, client: OAuthClient, form: dict[str, str]) -> HttpRequest:
    """``POST /2/oauth2/token``; a confidential client (one with a secret) uses HTTP Basic."""
    url = api_origin(channel, API) + "/2/oauth2/token"
    return form_request(url, form, basic=client if client.secret else None)


async def _account(http: httpx.AsyncClient, channel: XChannel, token: str) -> tuple[str, str]:
    """``GET /2/users/me``: the id and username of the account behind ``token``."""
    request = HttpRequest("GET", api_origin(channel, API) + "/2/users/me", bearer(token))
    body = await ask(http, request, service=SERVICE, step="reading the connected account")
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("id") or not data.get("username"):
        raise ConnectError("X did not say which account was connected (GET /2/users/me)")
    return str(data["id"]), str(data["username"])


CONNECTOR = XConnector()
