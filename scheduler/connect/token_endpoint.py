"""Asking a standard OAuth 2.0 token endpoint (X, LinkedIn, Mastodon), and the API calls that
name the account connected.

RFC 6749: token requests are form posts (§4.1.3 ``code_form``, §6 ``refresh_form``); a
confidential client authenticates with HTTP Basic where the platform says so (§2.3.1; X), or
with ``client_secret`` in the form (LinkedIn, Mastodon). A success is a JSON object (§5.1: ``access_token``, ``expires_in``,
``refresh_token``, ``scope``, and LinkedIn's ``refresh_token_expires_in``); a refusal carries
``error`` and ``error_description`` (§5.2), or the platform's API error shape for the identity
calls. Either way one ``ConnectError`` line names the step that failed; a 429, a 5xx or no
answer is worth trying again later (``retry``). Tokens obtained are remembered for ``scrub``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from scheduler.connect.base import ConnectError, OAuthClient
from scheduler.connections import Tokens
from scheduler.credentials import remember, scrub
from scheduler.outcomes import Failed
from scheduler.platforms.base import HttpRequest, HttpResponse, send

# Fields of an error body worth showing: RFC 6749 §5.2's, then the API shapes (X's
# problem+json, LinkedIn's {"message"}).
_MESSAGE_FIELDS = ("error", "error_description", "title", "detail", "message")
_LONGEST_MESSAGE = 200


def code_form(
    client: OAuthClient,
    *,
    code: str,
    redirect_uri: str,
    verifier: str | None = None,
    secret_in_form: bool = False,
) -> dict[str, str]:
    """The token request for an authorization code (RFC 6749 §4.1.3): the ``code``, the same
    ``redirect_uri`` and ``client_id``; ``client_secret`` where the platform takes it in the form
    (§2.3.1), and the PKCE ``code_verifier`` when the consent was asked with a challenge (RFC 7636
    §4.5)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client.id,
    }
    if secret_in_form:
        form["client_secret"] = client.secret
    if verifier is not None:
        form["code_verifier"] = verifier
    return form


def refresh_form(
    client: OAuthClient, refresh: str, *, secret_in_form: bool = False
) -> dict[str, str]:
    """The token request for a refresh token (RFC 6749 §6), the client named as in ``code_form``."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client.id}
    if secret_in_form:
        form["client_secret"] = client.secret
    return form


def form_request(
    url: str, form: Mapping[str, str], *, basic: OAuthClient | None = None
) -> HttpRequest:
    """A token request: ``form`` posted URL-encoded, with HTTP Basic client authentication
    when ``basic`` is given."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        pair = f"{basic.id}:{basic.secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return HttpRequest("POST", url, headers, urlencode(form).encode())


async def ask(
    http: httpx.AsyncClient, request: HttpRequest, *, service: str, step: str
) -> dict[str, Any]:
    """The JSON object of a 200 answer to ``request``; ``ConnectError`` saying that ``step``
    ("exchanging the authorization code") failed, and why."""
    response = await send(http, request)
    if not isinstance(response, HttpResponse):
        raise ConnectError(
            f"{service} could not be reached while {step} ({response.reason}); try again",
            retry=not isinstance(response, Failed),
        )
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        return body
    retry = response.status == 429 or response.status >= 500
    said = _message(body)
    reason = f" ({said})" if said else ""
    later = "; try again later" if retry else ""
    raise ConnectError(f"{service} refused {step}: {response.status}{reason}{later}", retry=retry)


async def obtain_tokens(
    http: httpx.AsyncClient,
    request: HttpRequest,
    now: datetime,
    *,
    service: str,
    step: str,
    lifetime: timedelta | None = None,
) -> Tokens:
    """The tokens a token endpoint grants for ``request``: ``ask``, then ``granted_tokens``."""
    body = await ask(http, request, service=service, step=step)
    return granted_tokens(body, now, service=service, step=step, lifetime=lifetime)


def granted_tokens(
    body: Mapping[str, Any],
    now: datetime,
    *,
    service: str,
    step: str,
    lifetime: timedelta | None = None,
) -> Tokens:
    """The tokens of a token endpoint's answer (RFC 6749 §5.1), remembered as secrets; scopes
    separated by spaces or commas (LinkedIn). ``lifetime`` is the platform's documented one,
    for an answer without ``expires_in``."""
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise ConnectError(f"{service} sent no access token while {step}")
    remember(token)
    refresh = body.get("refresh_token")
    refresh = refresh if isinstance(refresh, str) and refresh else None
    if refresh is not None:
        remember(refresh)
    scope = body.get("scope")
    expires_at = _expiry(body.get("expires_in"), now)
    if expires_at is None and lifetime is not None:
        expires_at = now + lifetime
    return Tokens(
        token,
        expires_at=expires_at,
        refresh=refresh,
        refresh_expires_at=_expiry(body.get("refresh_token_expires_in"), now),
        scopes=tuple(s for s in re.split(r"[\s,]+", scope) if s)
        if isinstance(scope, str)
        else None,
    )


def _expiry(seconds: object, now: datetime) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        return None
    return now + timedelta(seconds=seconds)


def _message(body: object) -> str:
    """What the platform said, on one short line, with any known secret taken out."""
    if not isinstance(body, dict):
        return ""
    said = [body[name] for name in _MESSAGE_FIELDS if isinstance(body.get(name), str)]
    line = " ".join(scrub(": ".join(s for s in said if s.strip())).split())
    return line[:_LONGEST_MESSAGE]
