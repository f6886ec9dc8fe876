"""Calling a Bluesky server: the URL of an XRPC method and reading its error answers (§4.3).

XRPC errors are ``{"error": "<Name>", "message": "<text>"}``; the name says more than the HTTP
status (an expired access token is a 400 ``ExpiredToken``, not a 401).
"""

from __future__ import annotations

from typing import Literal

from drafts.channels import BlueskyChannel
from scheduler.platforms.base import HttpResponse, api_origin

API = "https://bsky.social"
# Errors that say the session or the password is no good, whatever the status.
AUTH_ERRORS = frozenset({"AuthenticationRequired", "InvalidToken"})


def xrpc_url(channel: BlueskyChannel, method: str) -> str:
    """``{origin}/xrpc/{method}``: the channel's ``base_url``, else bsky.social."""
    return f"{api_origin(channel, API)}/xrpc/{method}"


def xrpc_error(response: HttpResponse) -> tuple[str, str]:
    """The XRPC error name and message of an answer (``{"error", "message"}``)."""
    body = response.json()
    name = message = ""
    if isinstance(body, dict):
        name = body["error"] if isinstance(body.get("error"), str) else ""
        message = body["message"] if isinstance(body.get("message"), str) else ""
    if not name:
        return "", message or response.text(200) or "no message"
    return name, message or name


def describe(response: HttpResponse) -> str:
    """``400 InvalidRequest: message``, as attempt logs show an XRPC error."""
    name, message = xrpc_error(response)
    return f"{response.status} {name}: {message}" if name else f"{response.status}: {message}"


def session_problem(response: HttpResponse) -> Literal["expired", "refused"] | None:
    """Whether a request was refused for its session: expired (refresh) or refused (log in)."""
    name, _ = xrpc_error(response)
    if name == "ExpiredToken":
        return "expired"
    if response.status == 401 or name in AUTH_ERRORS:
        return "refused"
    return None
