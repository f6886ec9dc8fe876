"""Rate limits per token: at most ``[api] requests_per_minute`` requests in any minute (a
sliding window, counted in this process), told on every answer as the IETF draft's
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until a request
more is allowed); past the limit the answer is 429 with ``Retry-After``.

A request is counted under the token it gives (as its hash), or under its address when it
gives none, before the token is checked: a wrong token is limited as a right one is.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api.errors import body as error_body

WINDOW = 60.0  # seconds
SWEEP_EVERY = 10_000  # callers remembered before those quiet for a window are forgotten
LIMIT = "RateLimit-Limit"
REMAINING = "RateLimit-Remaining"
RESET = "RateLimit-Reset"
TOO_MANY = "this token sent %d requests in the last minute, its limit: send again in %d s"


class RateLimits:
    """The middleware around the whole API app, so that every answer tells the limit."""

    def __init__(self, app: ASGIApp, per_minute: int, now: Callable[[], datetime]) -> None:
        self.app, self.per_minute, self.now = app, per_minute, now
        self.windows: dict[str, deque[float]] = {}
        self.sweep_at = SWEEP_EVERY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = self.now().timestamp()
        window = self._window(_who(scope), at)
        allowed = len(window) < self.per_minute
        if allowed:
            window.append(at)
        wait = math.ceil(window[0] + WINDOW - at) if window else 0
        told = [
            (LIMIT.lower().encode(), str(self.per_minute).encode()),
            (REMAINING.lower().encode(), str(self.per_minute - len(window)).encode()),
            (RESET.lower().encode(), str(max(wait, 0)).encode()),
        ]
        if not allowed:
            message = TOO_MANY % (self.per_minute, wait)
            body = json.dumps(error_body(message, "Authorization")).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(wait).encode()),
                *told,
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def telling(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *told]}
            await send(message)

        await self.app(scope, receive, telling)

    def _window(self, who: str, at: float) -> deque[float]:
        """The times of ``who``'s requests in the minute before ``at``."""
        if len(self.windows) >= self.sweep_at:
            self.windows = {k: w for k, w in self.windows.items() if w and w[-1] > at - WINDOW}
            self.sweep_at = max(SWEEP_EVERY, 2 * len(self.windows))
        window = self.windows.setdefault(who, deque())
        while window and window[0] <= at - WINDOW:
            window.popleft()
        return window


def _who(scope: Scope) -> str:
    """The token a request gives (as its hash), else its address."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return "token:" + hashlib.sha256(value.strip()).hexdigest()
    client = scope.get("client")
    return f"address:{client[0] if client else ''}"


def document(schema: dict[str, Any]) -> None:
    """Declare the headers on every answer of the OpenAPI document, and the 429."""
    integer = {"schema": {"type": "integer", "minimum": 0}}
    told = {
        LIMIT: {**integer, "description": "Requests this token may make in any minute."},
        REMAINING: {**integer, "description": "Requests it may make now."},
        RESET: {**integer, "description": "Seconds until one more request is allowed."},
    }
    too_many = {
        "description": "Past the token's rate limit",
        "headers": {
            "Retry-After": {**integer, "description": "Seconds to wait."},
            **told,
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            answers.setdefault("429", too_many)
            for answer in answers.values():
                answer.setdefault("headers", {}).update(told)
