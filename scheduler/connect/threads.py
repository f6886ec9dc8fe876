"""Connecting a Threads account: the Authorization Window's code, then a long-lived token.

PLATFORMS.md §10.3 and §6, from Meta's Threads "Get Access Tokens"
(developers.facebook.com/documentation/threads/get-started/get-access-tokens-and-permissions),
"Long-Lived Access Tokens" (/docs/threads/get-started/long-lived-tokens/) and "Debug Access
Token" (/documentation/threads/troubleshooting/debug-access-token):

1. consent on ``threads.net/oauth/authorize`` for ``threads_basic``,
   ``threads_content_publish``, and the replies' ``threads_manage_replies`` and
   ``threads_read_replies`` (a thread's later parts and first comments are replies);
2. ``POST graph.threads.net/oauth/access_token`` with the code and the app secret (a form): a
   token for one hour and the ``user_id``;
3. ``GET /access_token?grant_type=th_exchange_token``: a long-lived token (60 days);
4. ``GET /v1.0/me?fields=id,username``: who it posts as, which must be the channel's ``user_id``;
5. ``GET /v1.0/debug_token``: the scopes granted. Meta answers it for the app's Threads testers
   only; for anyone else the scopes stay unknown rather than the connection failing.

A long-lived token is renewed with itself (``GET /refresh_access_token?grant_type=
th_refresh_token``) once it is at least 24 hours old and before it expires, for another 60 days:
there is no separate refresh token.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from urllib.parse import urlencode

import httpx

from drafts.channels import ThreadsChannel
from drafts.credential_problems import REPLY_SCOPES, REQUIRED_SCOPES
from scheduler.connect.base import ConnectError, OAuthClient, OAuthConnector
from scheduler.connect.graph import IssuedToken, ask, debug_request, obtain_token, token_facts
from scheduler.connect.token_endpoint import form_request
from scheduler.connections import Grant, Tokens
from scheduler.credentials import remember
from scheduler.platforms.base import HttpRequest, api_origin, bearer

API = "https://graph.threads.net"
WEB = "https://threads.net"
VERSION = "v1.0"
SERVICE = "Threads"


class ThreadsConnector(OAuthConnector[ThreadsChannel]):
    platform: ClassVar[str] = "threads"
    channel_type = ThreadsChannel
    pkce: ClassVar[bool] = False
    scopes: ClassVar[tuple[str, ...]] = (*REQUIRED_SCOPES["threads"], *REPLY_SCOPES["threads"])

    def authorization_url(
        self,
        channel: ThreadsChannel,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        # "Get Access Tokens", step 1: client_id, redirect_uri, a comma-separated scope,
        # response_type=code and state.
        query = urlencode(
            {
                "client_id": client.id,
                "redirect_uri": redirect_uri,
                "scope": ",".join(self.scopes),
                "response_type": "code",
                "state": state,
            }
        )
        return f"{api_origin(channel, WEB)}/oauth/authorize?{query}"

    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: ThreadsChannel,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """A long-lived token for the channel's account."""
        remember(client.secret)
        short = await obtain_token(
            http,
            code_request(channel, client, code, redirect_uri),
            now,
            service=SERVICE,
            step="exchanging the authorization code",
        )
        token = await obtain_token(
            http,
            long_lived_request(channel, client, short.value),
            now,
            service=SERVICE,
            step="exchanging for a long-lived token",
        )
        account_id, username = await _account(http, channel, token)
        if channel.user_id not in ("me", account_id):
            raise ConnectError(
                f"you connected the Threads account @{username} ({account_id}), but channel "
                f"{channel.id} posts as user {channel.user_id}; connect as that account, or "
                "change the channel's user_id in config.toml"
            )
        tokens = Tokens(
            token.value,
            expires_at=token.expires_at,
            scopes=await _scopes(http, channel, token),
        )
        return Grant(tokens, account_id=account_id, account_name=f"@{username}")

    async def renew(
        self,
        http: httpx.AsyncClient,
        channel: ThreadsChannel,
        client: OAuthClient | None,
        *,
        token: str,
        refresh: str | None,
        now: datetime,
    ) -> Tokens:
        """ "Long-Lived Access Tokens": refresh the token itself for another 60 days."""
        renewed = await obtain_token(
            http,
            refresh_request(channel, token),
            now,
            service=SERVICE,
            step="refreshing the long-lived token",
        )
        return Tokens(renewed.value, expires_at=renewed.expires_at)

    def renewable(self, *, refresh: str | None) -> bool:
        """Always: the token is its own refresh token."""
        return True


def code_request(
    channel: ThreadsChannel, client: OAuthClient, code: str, redirect_uri: str
) -> HttpRequest:
    """ "Get Access Tokens", step 2: a form POST, so the secret and the code stay out of URLs."""
    form = {
        "client_id": client.id,
        "client_secret": client.secret,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
        "code": code,
    }
    return form_request(f"{api_origin(channel, API)}/oauth/access_token", form)


def long_lived_request(channel: ThreadsChannel, client: OAuthClient, token: str) -> HttpRequest:
    """ "Long-Lived Access Tokens": GET with ``th_exchange_token``, the app secret and the
    short-lived token in the query, as documented."""
    query = {
        "grant_type": "th_exchange_token",
        "client_secret": client.secret,
        "access_token": token,
    }
    return HttpRequest("GET", f"{api_origin(channel, API)}/access_token?{urlencode(query)}")


def refresh_request(channel: ThreadsChannel, token: str) -> HttpRequest:
    """ "Long-Lived Access Tokens", refreshing: GET with ``th_refresh_token`` and the token."""
    query = {"grant_type": "th_refresh_token", "access_token": token}
    return HttpRequest("GET", f"{api_origin(channel, API)}/refresh_access_token?{urlencode(query)}")


async def _account(
    http: httpx.AsyncClient, channel: ThreadsChannel, token: IssuedToken
) -> tuple[str, str]:
    """The id and username the token posts as (Threads profiles: ``/me``)."""
    url = f"{api_origin(channel, API)}/{VERSION}/me?fields=id,username"
    body = await ask(
        http,
        HttpRequest("GET", url, bearer(token.value)),
        service=SERVICE,
        step="reading who the token posts as",
    )
    account_id, username = body.get("id"), body.get("username")
    if not isinstance(account_id, str | int) or not isinstance(username, str):
        raise ConnectError(f"{SERVICE} did not say which account the token posts as")
    return str(account_id), username


async def _scopes(
    http: httpx.AsyncClient, channel: ThreadsChannel, token: IssuedToken
) -> tuple[str, ...] | None:
    """The scopes ``debug_token`` lists for the token, asked with the token itself ("Debug
    Access Token"); None when Meta refuses to say (the account is not one of the app's
    testers)."""
    graph = f"{api_origin(channel, API)}/{VERSION}"
    try:
        body = await ask(
            http,
            debug_request(graph, token.value, caller=token.value),
            service=SERVICE,
            step="reading the token's scopes",
        )
    except ConnectError as error:
        if error.retry:
            raise
        return None
    return token_facts(body).scopes


CONNECTOR = ThreadsConnector()
