"""``Idempotency-Key`` on POST (``drafts.api_idempotency``): a POST sent again with the same
key by the same token, with the same path and body, gets the first answer again (its status
and body) for 24 hours without running again; the same key with another request is refused
(422 naming ``Idempotency-Key``); while the first request runs, another with its key is told
so (409). An answer of a server error lets the key go, so that a retry runs.

An ASGI middleware inside the API app: it reads the body before the route does, and keeps the
answer before the client has it, so that a retry on receiving it finds it kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafts import api_idempotency
from drafts.api_idempotency import Earlier
from drafts.api_tokens import caller
from drafts.errors import StorageError
from drafts.storage import Database
from tidings.api.errors import body as error_body

log = logging.getLogger("tidings.api")

HEADER = "Idempotency-Key"
PATTERN = r"^[!-~]{1,255}$"  # visible ASCII, as a UUID or any key a client makes
OTHER_REQUEST = (
    "this key was sent in the last 24 hours with another request: give each request its own key"
)
RUNNING = "the first request with this key has not answered yet: send it again in a moment"
BAD_KEY = "give 1 to 255 visible ASCII characters, like a UUID"
REPLAYED = (b"idempotent-replayed", b"true")  # tells a client the answer is the kept one
NOT_CALLER = object()  # a token the API will refuse: the route says so, nothing is claimed


class Idempotency:
    """The middleware: POSTs with an ``Idempotency-Key`` and a bearer token."""

    def __init__(self, app: ASGIApp, database: Database, now: Callable[[], datetime]) -> None:
        self.app, self.database, self.now = app, database, now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        key = headers.get(HEADER.lower().encode())
        token = _bearer(headers.get(b"authorization", b""))
        if scope["type"] != "http" or scope["method"] != "POST" or key is None or not token:
            await self.app(scope, receive, send)
            return
        text = key.decode("latin-1")
        if not re.fullmatch(PATTERN, text):
            await _answer(send, 422, json.dumps(error_body(BAD_KEY, HEADER)).encode())
            return
        body = await _read(receive)
        fingerprint = _request_hash(scope, body)
        held = await run_in_threadpool(self._claim, token, text, fingerprint)
        if held is NOT_CALLER:
            await self.app(scope, _replay(body, receive), send)
        elif isinstance(held, int):
            await self._run(held, text, scope, _replay(body, receive), send)
        elif isinstance(held, Earlier):
            await _earlier(held, send)

    def _claim(self, token: str, key: str, fingerprint: str) -> object:
        """The token's id when its request claimed the key, else what the key holds."""
        now = self.now()
        with self.database.writing() as session:
            found = caller(session, token, now)
            if found is None:
                return NOT_CALLER
            held = api_idempotency.claim(
                session, token_id=found.token_id, key=key, request_hash=fingerprint, now=now
            )
        return found.token_id if held is None else held

    async def _run(
        self, token_id: int, key: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the request, keep its answer (or let the key go), then send the answer."""
        start: Message = {}
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await run_in_threadpool(self._release, token_id, key)
            raise
        answered = b"".join(parts)
        status = int(start["status"])
        if status >= 500:
            await run_in_threadpool(self._release, token_id, key)
        else:
            await run_in_threadpool(self._keep, token_id, key, status, answered)
        await send(start)
        await send({"type": "http.response.body", "body": answered})

    def _keep(self, token_id: int, key: str, status: int, answered: bytes) -> None:
        try:
            with self.database.writing() as session:
                api_idempotency.keep(
                    session, token_id=token_id, key=key, status=status, body=answered
                )
        except StorageError as error:  # the answer still goes out; a retry waits for the claim
            log.warning("api: could not keep the answer for an Idempotency-Key: %s", error)

    def _release(self, token_id: int, key: str) -> None:
        with self.database.writing() as session:
            api_idempotency.release(session, token_id=token_id, key=key)


async def _earlier(held: Earlier, send: Send) -> None:
    if not held.same_request:
        await _answer(send, 422, json.dumps(error_body(OTHER_REQUEST, HEADER)).encode())
    elif held.status is None:
        await _answer(send, 409, json.dumps(error_body(RUNNING, HEADER)).encode())
    else:
        await _answer(send, held.status, held.body, REPLAYED)


async def _answer(send: Send, status: int, body: bytes, *extra: tuple[bytes, bytes]) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(authorization: bytes) -> str:
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _request_hash(scope: Scope, body: bytes) -> str:
    """What makes two requests the same: the path, the query and the body (JSON as its
    values, so that spacing and the order of keys make no other request)."""
    try:
        content: Any = json.loads(body)
        same = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        same = body
    request = b"\n".join((scope["path"].encode(), scope.get("query_string", b""), same))
    return hashlib.sha256(request).hexdigest()


async def _read(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read, then the connection's own messages (its end)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def document(schema: dict[str, Any]) -> None:
    """Declare the header on every POST of the OpenAPI document."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": PATTERN},
        "description": (
            "Sent again with the same request within 24 hours, the first answer comes back "
            "(with Idempotent-Replayed: true) and nothing runs again; with another request, 422."
        ),
    }
    for operations in schema.get("paths", {}).values():
        if "post" in operations:
            operations["post"].setdefault("parameters", []).append(parameter)
