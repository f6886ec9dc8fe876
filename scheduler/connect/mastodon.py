"""Connecting a Mastodon account: Tidings registers itself as an app on the channel's instance,
then OAuth 2.0's authorization code flow with PKCE.

docs.joinmastodon.org ``methods/apps`` and ``methods/oauth``; PLATFORMS.md §3.5 and §10.3:

1. ``POST /api/v1/apps`` with ``client_name``, ``redirect_uris`` (the callback), ``scopes`` and
   ``website``: the app's ``client_id`` and ``client_secret``, kept in the vault (kind
   ``MASTODON_APP``, as ``app_record`` writes it) for the next connect, and registered again
   when the callback, the instance or the scopes change (``stored_app`` says when);
2. consent on ``GET /oauth/authorize`` with ``response_type=code``, ``client_id``,
   ``redirect_uri``, ``scope``, ``state`` and an S256 ``code_challenge`` (taken since Mastodon
   4.3; older servers ignore it);
3. ``POST /oauth/token`` with ``grant_type=authorization_code``, the ``code``, the client id and
   secret, the same ``redirect_uri`` and the ``code_verifier``: the access token and the scopes
   granted. "Tokens will not expire automatically" (``api/oauth-tokens.md``): nothing to renew;
4. ``GET /api/v1/accounts/verify_credentials``: the account it posts as (``read:accounts``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import ClassVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from drafts.channels import MastodonChannel
from drafts.credential_problems import REQUIRED_SCOPES
from scheduler.connect.base import ConnectError, OAuthClient, OAuthConnector
from scheduler.connect.token_endpoint import ask, code_form, form_request, obtain_tokens
from scheduler.connections import Grant
from scheduler.credentials import remember
from scheduler.platforms.base import HttpRequest, bearer
from scheduler.platforms.mastodon_media import instance_url

CLIENT_NAME = "Tidings"
# Posting needs REQUIRED_SCOPES; read:accounts names the account connected.
SCOPES = (*REQUIRED_SCOPES["mastodon"], "read:accounts")


class MastodonConnector(OAuthConnector[MastodonChannel]):
    platform: ClassVar[str] = "mastodon"
    channel_type = MastodonChannel
    pkce: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = SCOPES
    registers_app: ClassVar[bool] = True

    async def register(
        self, http: httpx.AsyncClient, channel: MastodonChannel, *, redirect_uri: str
    ) -> OAuthClient:
        """Tidings as an app of the channel's instance, for ``redirect_uri``; its website is
        the Tidings installation the admin connects from (the callback's origin)."""
        callback = urlsplit(redirect_uri)
        body = {
            "client_name": CLIENT_NAME,
            "redirect_uris": redirect_uri,  # one string: every version takes it (arrays: 4.3+)
            "scopes": " ".join(self.scopes),
            "website": f"{callback.scheme}://{callback.netloc}",
        }
        request = HttpRequest.with_json("POST", instance_url(channel) + "/api/v1/apps", body)
        answer = await ask(
            http, request, service=_service(channel), step="registering Tidings as an app"
        )
        client_id, secret = answer.get("client_id"), answer.get("client_secret")
        if not isinstance(client_id, str) or not client_id or not isinstance(secret, str):
            raise ConnectError(f"{_service(channel)} registered Tidings without a client id")
        remember(client_id)
        remember(secret)
        return OAuthClient(client_id, secret)

    def authorization_url(
        self,
        channel: MastodonChannel,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        query = {
            "response_type": "code",
            "client_id": client.id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
        }
        if code_challenge is not None:
            query |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        # Scopes joined by %20 ("separated by spaces, or by pluses").
        return f"{instance_url(channel)}/oauth/authorize?{urlencode(query, quote_via=quote)}"

    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: MastodonChannel,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """The token the code is worth (it does not expire), and the account (``@acct``)."""
        form = code_form(
            client, code=code, redirect_uri=redirect_uri, verifier=verifier, secret_in_form=True
        )
        tokens = await obtain_tokens(
            http,
            form_request(instance_url(channel) + "/oauth/token", form),
            now,
            service=_service(channel),
            step="exchanging the authorization code",
        )
        account_id, acct = await _account(http, channel, tokens.token)
        return Grant(tokens, account_id=account_id, account_name=f"@{acct}")


def app_record(client: OAuthClient, channel: MastodonChannel, *, redirect_uri: str) -> str:
    """The vault value (kind ``MASTODON_APP``) of an app ``register`` obtained."""
    return json.dumps(
        {"client_id": client.id, "client_secret": client.secret, "instance": instance_url(channel),
         "redirect_uri": redirect_uri, "scopes": list(SCOPES)}
    )  # fmt: skip


def stored_app(value: str, channel: MastodonChannel, *, redirect_uri: str) -> OAuthClient | None:
    """The app an ``app_record`` kept, if it serves this connect: registered on the channel's
    instance, for ``redirect_uri`` and Tidings' scopes. None: register again."""
    try:
        record = json.loads(value)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("scopes") != list(SCOPES):
        return None
    if (record.get("instance"), record.get("redirect_uri")) != (
        instance_url(channel),
        redirect_uri,
    ):
        return None
    client_id, secret = record.get("client_id"), record.get("client_secret")
    if not isinstance(client_id, str) or not client_id or not isinstance(secret, str):
        return None
    return OAuthClient(client_id, secret)


def _service(channel: MastodonChannel) -> str:
    return f"Mastodon ({urlsplit(instance_url(channel)).netloc})"


async def _account(
    http: httpx.AsyncClient, channel: MastodonChannel, token: str
) -> tuple[str, str]:
    """``GET /api/v1/accounts/verify_credentials``: the id and ``acct`` behind ``token``."""
    url = instance_url(channel) + "/api/v1/accounts/verify_credentials"
    body = await ask(
        http,
        HttpRequest("GET", url, bearer(token)),
        service=_service(channel),
        step="reading the connected account",
    )
    account_id, acct = body.get("id"), body.get("acct") or body.get("username")
    if not account_id or not isinstance(acct, str) or not acct:
        raise ConnectError(f"{_service(channel)} did not say which account was connected")
    return str(account_id), acct


CONNECTOR = MastodonConnector()
