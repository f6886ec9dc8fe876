"""What connecting Facebook and Threads shares: Meta's token endpoints answer like the Graph API.

Both platforms' token steps are Graph calls (PLATFORMS.md §10.3): a JSON object on success, a
Graph error body (``{"error": {message, type, code, error_subcode}}``, §5.2) on refusal, read
here into the value or into one ``ConnectError`` line naming the step that failed. A refusal
for throttling or temporary trouble, a 5xx or no answer at all is worth trying again later
(``retry``); any other means starting over.

Meta documents several of these steps as GET requests with the secrets in the query string
(``client_secret``, ``code``, ``fb_exchange_token``, ``input_token``, ``access_token``), and
httpx logs every request's URL at INFO: ``HideQuerySecrets`` takes their values out of that log
line before anything here is sent. Every token obtained is remembered for ``scrub`` too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from scheduler.connect.base import ConnectError
from scheduler.credentials import remember, scrub
from scheduler.outcomes import Failed
from scheduler.platforms.base import HttpRequest, HttpResponse, bearer, send
from scheduler.platforms.graph_errors import TEMPORARY_CODES, THROTTLE_CODES, parse_error

# The query parameters of Meta's token endpoints that carry a secret.
SECRET_PARAMETERS = ("access_token", "client_secret", "code", "fb_exchange_token", "input_token")
_SECRET_IN_QUERY = re.compile(rf"([?&](?:{'|'.join(SECRET_PARAMETERS)})=)[^&#\s\"']*")
HIDDEN = "[secret]"


class HideQuerySecrets(logging.Filter):
    """Rewrites httpx's request log line, which shows the full URL, query secrets included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = _SECRET_IN_QUERY.sub(rf"\g<1>{HIDDEN}", message)
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


def hide_query_secrets_from_httpx_log() -> None:
    """Install ``HideQuerySecrets`` on the ``httpx`` logger, once."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideQuerySecrets) for f in httpx_logger.filters):
        httpx_logger.addFilter(HideQuerySecrets())


@dataclass(frozen=True)
class IssuedToken:
    """An access token a token endpoint issued, and when it expires (None: never, or not said)."""

    value: str
    expires_at: datetime | None


async def ask(
    http: httpx.AsyncClient, request: HttpRequest, *, service: str, step: str
) -> dict[str, Any]:
    """The JSON object ``request`` was answered with; ``ConnectError`` saying that ``step``
    failed (``"exchanging the authorization code"``) and why."""
    response = await send(http, request)
    if not isinstance(response, HttpResponse):
        raise ConnectError(
            f"{service} could not be reached while {step} ({response.reason}); try again",
            retry=not isinstance(response, Failed),
        )
    return answer(response, service=service, step=step)


def answer(response: HttpResponse, *, service: str, step: str) -> dict[str, Any]:
    """The JSON object of a 200 answer, or the ``ConnectError`` its refusal means."""
    body = response.json()
    if response.status == 200 and isinstance(body, dict) and "error" not in body:
        return body
    raise refusal(response, service=service, step=step)


def refusal(response: HttpResponse, *, service: str, step: str) -> ConnectError:
    """Why a Graph call was refused, in one line; Meta's own message is kept (scrubbed), the
    rest of the body never is."""
    error = parse_error(response.json())
    if error is None:
        retry = response.status >= 500 or response.status == 429
        later = "; try again later" if retry else ""
        return ConnectError(
            f"{service} answered {response.status} while {step}{later}", retry=retry
        )
    retry = error.code in THROTTLE_CODES | TEMPORARY_CODES
    later = "; try again later" if retry else ""
    return ConnectError(f"{service} refused {step} ({scrub(error.describe())}){later}", retry=retry)


def issued_token(body: dict[str, Any], now: datetime, *, service: str, step: str) -> IssuedToken:
    """The ``access_token`` of a token endpoint's answer and its expiry from ``expires_in``
    (seconds); remembered as a secret from now on."""
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise ConnectError(f"{service} sent no access token while {step}")
    remember(token)
    return IssuedToken(token, expiry(body.get("expires_in"), now))


async def obtain_token(
    http: httpx.AsyncClient, request: HttpRequest, now: datetime, *, service: str, step: str
) -> IssuedToken:
    """The token a token endpoint issues for ``request``: ``ask``, then ``issued_token``."""
    return issued_token(
        await ask(http, request, service=service, step=step), now, service=service, step=step
    )


def debug_request(graph: str, token: str, *, caller: str) -> HttpRequest:
    """``GET {graph}/debug_token``: ``input_token`` is the token described; ``caller`` is the
    token asking, in a header (the app's own for Facebook, the token itself for Threads)."""
    return HttpRequest(
        "GET", f"{graph}/debug_token?{urlencode({'input_token': token})}", bearer(caller)
    )


def expiry(expires_in: object, now: datetime) -> datetime | None:
    """``now`` plus ``expires_in`` seconds; None when the answer gave no positive number."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
        return None
    try:
        seconds = float(expires_in)
    except ValueError:
        return None
    return now + timedelta(seconds=seconds) if seconds > 0 else None


@dataclass(frozen=True)
class TokenFacts:
    """What ``debug_token`` says of a token: whether it works, until when, with which scopes."""

    valid: bool
    expires_at: datetime | None  # None: never (Meta's ``expires_at`` 0), or not said
    scopes: tuple[str, ...] | None  # None: not listed


def token_facts(body: dict[str, Any]) -> TokenFacts:
    """Read a ``debug_token`` answer, ``{"data": {is_valid, expires_at, scopes, ...}}``."""
    data = body.get("data")
    if not isinstance(data, dict):
        data = {}
    expires_at = data.get("expires_at")
    scopes = data.get("scopes")
    return TokenFacts(
        valid=data.get("is_valid") is True,
        expires_at=(
            datetime.fromtimestamp(expires_at, UTC)
            if isinstance(expires_at, int) and not isinstance(expires_at, bool) and expires_at > 0
            else None
        ),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
    )


hide_query_secrets_from_httpx_log()
