"""Connecting a LinkedIn member or page: OAuth 2.0 authorization code, renewed only where
LinkedIn granted a refresh token.

Microsoft Learn "Authorization Code Flow (3-legged OAuth)"
(learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow), PLATFORMS.md
§1.7 and §10.3:

1. consent on ``www.linkedin.com/oauth/v2/authorization`` with ``response_type=code``,
   ``client_id``, ``redirect_uri``, ``state`` and space-separated ``scope`` (no PKCE);
2. ``POST www.linkedin.com/oauth/v2/accessToken`` with the ``code``, the same ``redirect_uri``,
   and the client id and secret in the form: an access token for 60 days, the scopes granted,
   and, for apps approved for "programmatic refresh tokens", a refresh token for 365 days;
3. who the channel posts as: a page's name from the Organization Lookup API
   (``GET /rest/organizations/{id}``, which needs ``rw_organization_admin``: only a page's
   administrators connect it), or a member's from ``GET /v2/userinfo`` ("Sign In with LinkedIn
   using OpenID Connect", scopes ``openid profile``), which must be the channel's author.

A refresh gives a new access token and keeps the refresh token with its original expiry
("Programmatic Refresh Tokens"); without one, the connection ends after 60 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote, urlencode

import httpx

from drafts.channels import LinkedInChannel
from drafts.credential_problems import required_scopes
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

API = "https://api.linkedin.com"
WEB = "https://www.linkedin.com"
SERVICE = "LinkedIn"
# "By default, access tokens are valid for 60 days" (for an answer without expires_in).
ACCESS_LIFETIME = timedelta(days=60)
#: What a page's channel asks for besides posting: reading the page's name.
PAGE_SCOPES = ("rw_organization_admin",)
#: What a member's channel asks for besides posting: the member's name and id (OpenID).
MEMBER_SCOPES = ("openid", "profile")
_PAGE = "urn:li:organization:"
_MEMBER = "urn:li:person:"


class LinkedInConnector(OAuthConnector[LinkedInChannel]):
    platform: ClassVar[str] = "linkedin"
    channel_type = LinkedInChannel
    pkce: ClassVar[bool] = False
    # A member's channel; a page's asks for ``scopes_for(channel)``.
    scopes: ClassVar[tuple[str, ...]] = (*MEMBER_SCOPES, "w_member_social")

    def scopes_for(self, channel: LinkedInChannel) -> tuple[str, ...]:
        """What to ask for: posting as the channel's author, and reading who that is."""
        reading = PAGE_SCOPES if channel.author.startswith(_PAGE) else MEMBER_SCOPES
        return (*required_scopes(channel), *reading)

    def authorization_url(
        self,
        channel: LinkedInChannel,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client.id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": " ".join(self.scopes_for(channel)),
            },
            quote_via=quote,  # "URL-encoded, space-delimited"
        )
        return f"{api_origin(channel, WEB)}/oauth/v2/authorization?{query}"

    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: LinkedInChannel,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """The tokens the code is worth, and the page or member the channel posts as."""
        form = code_form(client, code=code, redirect_uri=redirect_uri, secret_in_form=True)
        tokens = await obtain_tokens(
            http,
            _token_request(channel, form),
            now,
            service=SERVICE,
            step="exchanging the authorization code",
            lifetime=ACCESS_LIFETIME,
        )
        if channel.author.startswith(_PAGE):
            name = await _page_name(http, channel, tokens.token)
        else:
            name = await _member_name(http, channel, tokens.token)
        return Grant(tokens, account_id=channel.author, account_name=name)

    async def renew(
        self,
        http: httpx.AsyncClient,
        channel: LinkedInChannel,
        client: OAuthClient | None,
        *,
        token: str,
        refresh: str | None,
        now: datetime,
    ) -> Tokens:
        """A new 60-day access token; the refresh token and its expiry stay as they were."""
        if refresh is None or client is None:
            raise ConnectError(
                "LinkedIn granted no refresh token (only apps approved for programmatic refresh "
                "get one): reconnect the account before its token expires"
            )
        return await obtain_tokens(
            http,
            _token_request(channel, refresh_form(client, refresh, secret_in_form=True)),
            now,
            service=SERVICE,
            step="renewing the access token",
            lifetime=ACCESS_LIFETIME,
        )

    def renewable(self, *, refresh: str | None) -> bool:
        return refresh is not None


def _token_request(channel: LinkedInChannel, form: dict[str, str]) -> HttpRequest:
    """``POST /oauth/v2/accessToken``: the client authenticates in the form, not with Basic."""
    return form_request(api_origin(channel, WEB) + "/oauth/v2/accessToken", form)


async def _page_name(http: httpx.AsyncClient, channel: LinkedInChannel, token: str) -> str:
    """The page's ``localizedName`` (Organization Lookup API, a versioned call)."""
    org_id = channel.author.removeprefix(_PAGE)
    headers = {
        **bearer(token),
        "LinkedIn-Version": channel.version,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    url = f"{api_origin(channel, API)}/rest/organizations/{org_id}"
    step = f"reading page {org_id} (only its administrators can connect it)"
    body = await ask(http, HttpRequest("GET", url, headers), service=SERVICE, step=step)
    name = body.get("localizedName")
    return name if isinstance(name, str) and name else channel.author


async def _member_name(http: httpx.AsyncClient, channel: LinkedInChannel, token: str) -> str:
    """The member's name from OpenID ``userinfo``; the member must be the channel's author."""
    request = HttpRequest("GET", api_origin(channel, API) + "/v2/userinfo", bearer(token))
    body = await ask(http, request, service=SERVICE, step="reading the connected member")
    member = f"{_MEMBER}{body.get('sub')}"
    name = body.get("name") if isinstance(body.get("name"), str) else member
    if member != channel.author:
        raise ConnectError(
            f"you connected the LinkedIn member {name} ({member}), but channel {channel.id} "
            f"posts as {channel.author}; connect as that member, or change the channel's author "
            "in config.toml"
        )
    return str(name)


CONNECTOR = LinkedInConnector()
