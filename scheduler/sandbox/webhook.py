"""Generic incoming webhook (Slack/Teams style): ``POST /hooks/{name}`` with a JSON body.

Answers ``200 ok`` as plain text. An ``X-Tidings-Signature: sha256=<hex>`` header is recorded,
and checked against ``settings.webhook_secrets[name]`` when the test registered a secret.

A payload's ``media`` entries (Tidings' images: ``url``, ``sha256``, ``content_type``, ``alt``,
``width``, ``height``) are recorded as the post's ``details["images"]``; a webhook carries no
image bytes, so the sandbox's pages show an entry from its ``url`` when it has one.

A payload's ``reply_to`` (Tidings' remote id of the post a first comment answers) is recorded
as the delivery's ``reply_to``, and ``"comment": true`` as a comment; a receiver has nothing to
check them against, so neither is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from scheduler.sandbox.exchange import AuthFailure, Call, Dialect, epoch, reason, route
from scheduler.sandbox.faults import Fault
from scheduler.sandbox.state import JSON, WindowStatus

PLATFORM = "webhook"
SIGNATURE_HEADER = "x-tidings-signature"


class WebhookDialect(Dialect):
    """Incoming webhooks answer short plain-text codes, like Slack's."""

    platform = PLATFORM

    def error(self, status: int, message: str | None = None) -> Response:
        code = message or reason(status).lower().replace(" ", "_")
        return PlainTextResponse(code, status)

    def auth_failed(self, failure: AuthFailure, path: str = "") -> Response:
        # A deleted or disabled webhook URL; Slack answers 403 invalid_token / 404 no_service.
        return PlainTextResponse("invalid_token", 403)

    def rate_limited(self, call: Call, window: WindowStatus, fault: Fault | None) -> Response:
        seconds = max(int(epoch(window.reset_at)) - int(call.state.now().timestamp()), 1)
        return PlainTextResponse("rate_limited", 429, headers={"Retry-After": str(seconds)})

    def client_key(self, call: Call) -> str:
        # The hook's URL is its credential.
        return str(call.request.path_params.get("name", ""))


DIALECT = WebhookDialect()


@dataclass
class WebhookStore:
    """A counter per hook name, to give each delivery an id and a page."""

    delivered: dict[str, int] = field(default_factory=dict)


def signature_for(secret: str, body: bytes) -> str:
    """The header value a correct sender puts in ``X-Tidings-Signature``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def deliver(call: Call) -> Response:
    """``POST /hooks/{name}``: record the JSON message and answer ``ok``."""
    name = call.request.path_params["name"]
    try:
        payload = json.loads(call.body)
    except ValueError:
        return PlainTextResponse("invalid_payload", 400)
    if not isinstance(payload, dict):
        return PlainTextResponse("invalid_payload", 400)
    signature = call.request.headers.get(SIGNATURE_HEADER)
    secret = call.state.settings.webhook_secrets.get(name)
    valid: bool | None = None
    if secret is not None:
        valid = signature is not None and hmac.compare_digest(
            signature, signature_for(secret, call.body)
        )
    store = call.state.store(WebhookStore)
    with call.state.lock:
        number = store.delivered.get(name, 0) + 1
        store.delivered[name] = number
    text = payload.get("text")
    replied = payload.get("reply_to")
    call.record_post(
        channel=name,
        remote_id=str(number),
        url=f"{call.base_url}/hooks/{name}/{number}",
        text=text if isinstance(text, str) else json.dumps(payload, ensure_ascii=False),
        body=payload,
        details=_details(signature, valid, payload.get("media")),
        auth="signed" if signature else None,
        reply_to=str(replied) if replied is not None else None,
        comment=payload.get("comment") is True,
    )
    return PlainTextResponse("ok")


def _details(signature: str | None, valid: bool | None, media: Any) -> JSON:
    """What the post records of the delivery: its signature, and its images if it has some."""
    details: JSON = {"signature": signature, "signature_valid": valid}
    if isinstance(media, list):
        fields = ("url", "sha256", "content_type", "alt", "width", "height")
        details["images"] = [
            {name: entry.get(name) for name in fields} for entry in media if isinstance(entry, dict)
        ]
    return details


def routes() -> list[BaseRoute]:
    """The webhook route; any path below ``/hooks/`` names a hook."""
    return [route(DIALECT, "/hooks/{name:path}", deliver, ["POST"])]
