"""Cross-site request forgery: every state-changing request carries the session's token.

Each session holds one random token; every form sends it back as the hidden field
``csrf_token`` (scripts may send the ``X-CSRF-Token`` header instead). The middleware checks
every unsafe request before any route sees it, so a route cannot forget: a missing or wrong
token gets 403. Forms are URL-encoded; other bodies must use the header.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = b"x-csrf-token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 1024 * 1024
FORM_TYPE = b"application/x-www-form-urlencoded"


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


class CsrfMiddleware:
    """Passes safe requests through; lets an unsafe one through only with the right token.

    ``refuse`` answers a request without it (a 403 page); ``too_large`` one whose body is over
    ``MAX_FORM_BYTES``. The body is read here and replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, *, refuse: ASGIApp, too_large: ASGIApp) -> None:
        self.app = app
        self.refuse = refuse
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            await self.too_large(scope, receive, send)
            return
        expected = scope["session"].get(SESSION_KEY)
        given = _token_in(scope, body)
        if not (isinstance(expected, str) and expected and given) or not hmac.compare_digest(
            expected.encode(), given.encode()
        ):
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it passes ``MAX_FORM_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _token_in(scope: Scope, body: bytes) -> str | None:
    headers: dict[bytes, bytes] = dict(scope["headers"])
    if HEADER in headers:
        return headers[HEADER].decode("latin-1")
    if not is_form(scope):
        return None
    try:
        values = parse_qs(body.decode("utf-8"), keep_blank_values=True).get(FIELD, [])
    except UnicodeDecodeError:
        return None
    return values[0] if len(values) == 1 else None


def is_form(scope: Scope) -> bool:
    """Whether the request's body is a URL-encoded form."""
    headers: dict[bytes, bytes] = dict(scope["headers"])
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower() == FORM_TYPE


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
