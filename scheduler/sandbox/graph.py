"""What Facebook's Graph API and the Threads API share: error bodies, tokens, throttling, forms.

Errors are ``{"error": {message, type, code, error_subcode, fbtrace_id}}``; the HTTP status
is usually 400 whatever went wrong, so clients must branch on ``code`` (PLATFORMS.md §5.2).
Tokens come as ``access_token`` (query or body, a multipart form's field too) or as a bearer
header.
"""

from __future__ import annotations

import base64
import json
import math
import secrets

from starlette.responses import Response

from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, json_response
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.forms import FormFile, read_form
from scheduler.sandbox.oauth import Refusal, token_failure
from scheduler.sandbox.state import JSON, WindowStatus

# code, type and message a status fault maps to; Graph has no error per HTTP status.
_BY_STATUS: dict[int, tuple[int, str, str]] = {
    400: (100, "OAuthException", "(#100) Invalid parameter"),
    401: (190, "OAuthException", "Invalid OAuth access token."),
    403: (10, "OAuthException", "(#10) Application does not have permission for this action"),
    404: (803, "OAuthException", "(#803) Some of the aliases you requested do not exist"),
    429: (4, "OAuthException", "(#4) Application request limit reached"),
    500: (1, "OAuthException", "An unknown error has occurred."),
    503: (
        2,
        "OAuthException",
        "An unexpected error has occurred. Please retry your request later.",
    ),
}


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    transient: bool = False,
) -> Response:
    """A Graph error answer."""
    error: JSON = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(12)
    return json_response({"error": error}, status)


def access_token(call: Call, params: JSON | None = None) -> str | None:
    """The token from ``access_token`` (query or body; in ``params`` when the caller read
    them, as ``graph_form`` does a multipart form) or a bearer header."""
    token = (call.params() if params is None else params).get("access_token")
    if isinstance(token, str) and token:
        return token
    return call.bearer()


def oauth_refusal(refusal: Refusal) -> Response:
    """A token endpoint's refusal (``oauth.Refusal``) as Graph words it: code 101 for the app
    (unknown, or the wrong secret), 100 for the code or another parameter."""
    if refusal.error == "invalid_client":
        return graph_error(400, 101, f"Error validating application. {refusal.description}")
    return graph_error(400, 100, f"(#100) {refusal.description}")


def refused_token(call: Call, token: str | None) -> Response | None:
    """The platform's refusal of ``token``: none sent, or one the sandbox issued that has
    expired or been revoked (``oauth.token_failure``); None when it may be used."""
    if token is None:
        return call.dialect.auth_failed("missing")
    failure = token_failure(call.state, token, call.dialect.platform)
    return None if failure is None else call.dialect.auth_failed(failure)


async def graph_form(call: Call) -> tuple[JSON, dict[str, FormFile]]:
    """The request's parameters as Graph reads them (query, overlaid by the body: JSON,
    url-encoded or a multipart form's text fields) and a multipart form's files by name."""
    if not call.request.headers.get("content-type", "").startswith("multipart/form-data"):
        return call.params(), {}
    fields, files = await read_form(call)
    return {**call.request.query_params, **fields}, files


class GraphDialect(Dialect):
    """Graph-style errors for a platform; ``throttle_code`` is its rate-limit error code."""

    throttle_code = 4
    throttle_message = "(#4) Application request limit reached"

    def error(self, status: int, message: str | None = None) -> Response:
        code, kind, default = _BY_STATUS.get(status, (1, "OAuthException", "An unknown error"))
        return graph_error(status, code, message or default, kind=kind, transient=code in (1, 2))

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        if failure == "missing":
            return graph_error(400, 104, "An access token is required to request this resource.")
        if failure == "expired":
            return graph_error(
                400, 190, "Error validating access token: Session has expired.", subcode=463
            )
        return graph_error(
            400,
            190,
            "Error validating access token: The session has been invalidated because the user "
            "changed their password or Facebook has changed the session for security reasons.",
            subcode=460,
        )

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        # Throttling arrives as a 400 with a code; the usage header says when access returns.
        seconds = (window.reset_at - call.state.now()).total_seconds()
        usage = {"call_count": 100, "total_cputime": 0, "total_time": 0,
                 "estimated_time_to_regain_access": max(math.ceil(seconds / 60), 1)}  # fmt: skip
        response = graph_error(400, self.throttle_code, self.throttle_message)
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(
            {"sandbox": [{"type": "pages", **usage}]}
        )
        response.headers["X-App-Usage"] = json.dumps(
            {"call_count": 100, "total_cputime": 0, "total_time": 0}
        )
        return response


def graph_page(items: list[JSON], limit: int, after: str | None, page_url: str) -> Response:
    """A page of an edge's ``items`` (in the order listed), ``limit`` of them from the cursor
    ``after``, paged as Graph pages an edge (Graph API "Paginated Results"): ``cursors``, and
    ``next`` (``page_url`` with ``after``) on every page but the last; a cursor this list did
    not make is refused."""
    start = _position(after) if after is not None else 0
    if start is None:
        return graph_error(400, 100, "(#100) after is not a cursor of this list")
    end = start + limit
    paging: JSON = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
    if end < len(items):
        paging["next"] = f"{page_url}&after={_cursor(end)}"
    return json_response({"data": items[start:end], "paging": paging})


def _cursor(position: int) -> str:
    """An opaque cursor, as Graph's look: the position, base64."""
    return base64.b64encode(f"position:{position}".encode()).decode()


def _position(cursor: str) -> int | None:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    number = text.removeprefix("position:")
    return int(number) if text.startswith("position:") and number.isdigit() else None
