"""Connecting a Facebook Page: Facebook Login's code, a long-lived user token, the Page's token.

PLATFORMS.md §10.3 and §5.4, from Meta's "Manually Build a Login Flow"
(developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow), "Long-Lived Access
Tokens" (/docs/facebook-login/guides/access-tokens/get-long-lived) and "Page Access Tokens"
(/docs/pages/access-tokens):

1. consent on ``www.facebook.com/{version}/dialog/oauth`` for the permissions posting needs and
   ``pages_show_list``, without which ``/me/accounts`` lists no Page tokens;
2. ``GET graph.facebook.com/{version}/oauth/access_token`` with the code: a user token (1 hour);
3. the same with ``grant_type=fb_exchange_token``: a long-lived user token (about 60 days);
4. ``GET /{version}/me/accounts`` with it: each Page the person manages, its ``tasks`` and its
   token, which "has no expiration date" when read with a long-lived user token;
5. ``GET /{version}/debug_token`` on the token of the channel's ``page_id``: its scopes and
   expiry, asked with the app's own token (``{app-id}|{app-secret}``, in a header).

A Page token does not expire, but dies when the person who connected it loses their role on the
Page, changes their password or removes the app (code 190 at the next post): it cannot be
renewed, only reconnected. PKCE is not used: Meta offers it only for its OIDC login, still "in
testing"; the code is exchanged with the app secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from drafts.channels import FacebookChannel
from drafts.credential_problems import REPLY_SCOPES, REQUIRED_SCOPES
from scheduler.connect.base import ConnectError, OAuthClient, OAuthConnector
from scheduler.connect.graph import IssuedToken, ask, debug_request, obtain_token, token_facts
from scheduler.connections import Grant, Tokens
from scheduler.credentials import remember
from scheduler.platforms.base import HttpRequest, api_origin, bearer

API = "https://graph.facebook.com"
WEB = "https://www.facebook.com"
SERVICE = "Facebook"
# "Page Access Tokens": listing the Pages a person manages, with their tokens, needs it.
LIST_PAGES_SCOPE = "pages_show_list"
# PLATFORMS.md §5.1: a person must be able to do CREATE_CONTENT on the Page to post.
POSTING_TASK = "CREATE_CONTENT"
# Pages per /me/accounts answer; more are read by following ``paging.next``.
PAGE_LIST_SIZE = 100
# Enough for any real account; a longer list is an answer gone wrong.
MAX_PAGE_LISTS = 50


@dataclass(frozen=True)
class ManagedPage:
    """One Page of ``/me/accounts``: what the person may do on it, and its token."""

    id: str
    name: str
    token: str
    tasks: tuple[str, ...]


class FacebookConnector(OAuthConnector[FacebookChannel]):
    platform: ClassVar[str] = "facebook"
    channel_type = FacebookChannel
    pkce: ClassVar[bool] = False
    scopes: ClassVar[tuple[str, ...]] = (
        *REQUIRED_SCOPES["facebook"],
        *REPLY_SCOPES["facebook"],
        LIST_PAGES_SCOPE,
    )

    def __init__(self, page_list_size: int = PAGE_LIST_SIZE) -> None:
        self.page_list_size = page_list_size

    def authorization_url(
        self,
        channel: FacebookChannel,
        client: OAuthClient,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None,
    ) -> str:
        # Manual flow: client_id, redirect_uri, state, response_type, a comma-separated scope;
        # auth_type=rerequest asks again for a permission declined the last time.
        query = urlencode(
            {
                "client_id": client.id,
                "redirect_uri": redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": ",".join(self.scopes),
                "auth_type": "rerequest",
            }
        )
        return f"{api_origin(channel, WEB)}/{channel.graph_version}/dialog/oauth?{query}"

    async def exchange(
        self,
        http: httpx.AsyncClient,
        channel: FacebookChannel,
        client: OAuthClient,
        *,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        now: datetime,
    ) -> Grant:
        """The token of the channel's Page, read with a long-lived user token."""
        remember(client.secret)
        user = await obtain_token(
            http,
            code_request(channel, client, code, redirect_uri),
            now,
            service=SERVICE,
            step="exchanging the authorization code",
        )
        long_lived = await obtain_token(
            http,
            extend_request(channel, client, user.value),
            now,
            service=SERVICE,
            step="extending the user token",
        )
        pages = await self.managed_pages(http, channel, long_lived)
        page = chosen_page(pages, channel.page_id)
        # Graph ``debug_token`` reference: the caller is the app, by its app access token
        # ``{app-id}|{app-secret}``.
        described = debug_request(
            _graph(channel), page.token, caller=f"{client.id}|{client.secret}"
        )
        step = f"describing the token of page {page.id}"
        facts = token_facts(await ask(http, described, service=SERVICE, step=step))
        if not facts.valid:
            raise ConnectError(
                f"{SERVICE} says the token of page {page.id} is not valid; connect again"
            )
        tokens = Tokens(page.token, expires_at=facts.expires_at, scopes=facts.scopes)
        return Grant(tokens, account_id=page.id, account_name=page.name)

    async def managed_pages(
        self, http: httpx.AsyncClient, channel: FacebookChannel, user: IssuedToken
    ) -> list[ManagedPage]:
        """Every Page ``/me/accounts`` lists for the person, following ``paging.next`` on the
        same origin (a link elsewhere is not sent the token)."""
        origin = api_origin(channel, API)
        url: str | None = accounts_url(channel, self.page_list_size)
        pages: list[ManagedPage] = []
        for _ in range(MAX_PAGE_LISTS):
            if url is None:
                return pages
            body = await ask(
                http,
                HttpRequest("GET", url, bearer(user.value)),
                service=SERVICE,
                step="listing the Pages you manage",
            )
            pages += read_pages(body)
            url = next_list(body, origin)
        raise ConnectError(f"{SERVICE} listed more than {MAX_PAGE_LISTS} pages of Pages")


def _graph(channel: FacebookChannel) -> str:
    """The Graph API at the channel's pinned version."""
    return f"{api_origin(channel, API)}/{channel.graph_version}"


def code_request(
    channel: FacebookChannel, client: OAuthClient, code: str, redirect_uri: str
) -> HttpRequest:
    """Manual flow, "Exchanging Code for an Access Token": GET, everything in the query."""
    query = {
        "client_id": client.id,
        "redirect_uri": redirect_uri,
        "client_secret": client.secret,
        "code": code,
    }
    return HttpRequest("GET", f"{_graph(channel)}/oauth/access_token?{urlencode(query)}")


def extend_request(channel: FacebookChannel, client: OAuthClient, token: str) -> HttpRequest:
    """ "Long-Lived Access Tokens": ``grant_type=fb_exchange_token`` with the app's secret."""
    query = {
        "grant_type": "fb_exchange_token",
        "client_id": client.id,
        "client_secret": client.secret,
        "fb_exchange_token": token,
    }
    return HttpRequest("GET", f"{_graph(channel)}/oauth/access_token?{urlencode(query)}")


def accounts_url(channel: FacebookChannel, limit: int) -> str:
    """ "Page Access Tokens", for multiple Pages: ``/me/accounts``, the user token in a header."""
    query = {"fields": "id,name,access_token,tasks", "limit": str(limit)}
    return f"{_graph(channel)}/me/accounts?{urlencode(query)}"


def read_pages(body: dict[str, Any]) -> list[ManagedPage]:
    """The Pages in one ``/me/accounts`` answer; entries without an id or token are left out
    (Meta gives no token for a Page the person cannot act on)."""
    entries = body.get("data")
    pages = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        page_id, token = entry.get("id"), entry.get("access_token")
        if not isinstance(page_id, str | int) or not isinstance(token, str) or not token:
            continue
        remember(token)
        tasks = entry.get("tasks")
        pages.append(
            ManagedPage(
                id=str(page_id),
                name=str(entry.get("name") or page_id),
                token=token,
                tasks=tuple(str(t) for t in tasks) if isinstance(tasks, list) else (),
            )
        )
    return pages


def next_list(body: dict[str, Any], origin: str) -> str | None:
    """The ``paging.next`` link of a list answer when it points at ``origin``."""
    paging = body.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if isinstance(link, str) and link.startswith(origin + "/"):
        return link
    return None


def chosen_page(pages: list[ManagedPage], page_id: str) -> ManagedPage:
    """The channel's Page among those the person manages, if they may post on it; otherwise
    a ``ConnectError`` naming the Page and the ones they do manage."""
    page = next((each for each in pages if each.id == page_id), None)
    if page is None:
        managed = ", ".join(f"{each.name} ({each.id})" for each in pages) or "none"
        raise ConnectError(
            f"the Facebook account you connected does not manage page {page_id} "
            f"(the Pages it manages: {managed}); connect with an account that manages it, "
            "and tick the Page when Facebook asks which Pages Tidings may use"
        )
    if POSTING_TASK not in page.tasks:
        raise ConnectError(
            f"the Facebook account you connected may not post on page {page.id} ({page.name}): "
            f"its tasks there are {', '.join(page.tasks) or 'none'}, posting needs "
            f"{POSTING_TASK}; connect with an account that may create content on the Page"
        )
    return page


CONNECTOR = FacebookConnector()
