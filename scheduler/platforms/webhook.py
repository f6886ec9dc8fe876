"""Webhooks: a JSON ``POST`` to a Slack- or Teams-style incoming webhook URL.

The body is ``{"text": ...}``; with ``secret_env`` set, ``X-Tidings-Signature`` carries
``sha256=`` and the hex HMAC of the exact body bytes. Webhooks have no way to ask whether a
message arrived, so an unknown outcome goes to a person.

A post with images adds ``"media"``: one entry per image, in order (``media_entry``). The
bytes do not travel in the payload; ``url`` is where ``tidings web`` serves them under a
signed, expiring link when ``[media] public_url`` is set, and ``null`` otherwise (the key is
always there, so a receiver checks one value). A post without images sends no ``media`` key,
so text-only payloads stay exactly as before.

A webhook has no threads (a thread's parts arrive joined, as one ``text``), so a post's first
comment is the one reply: a delivery of its own, after the post's, whose payload adds
``"reply_to"`` (the remote id Tidings keeps for the post it answers: ``webhook-`` and the
``X-Tidings-Post`` of that delivery) and ``"comment": true``::

    {"text": "Sign up: https://example.org/library", "reply_to": "webhook-31", "comment": true}

A delivery that replies to nothing has neither key.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, ClassVar

import httpx

from drafts.channels import WebhookChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    JobImage,
    PostJob,
    SaveState,
    rate_limited_until,
)
from scheduler.retry import UnknownHandling

SIGNATURE_HEADER = "X-Tidings-Signature"
# Gateways answer these before the receiver saw the request; other 5xx may come after it acted.
NOT_RECEIVED = frozenset({502, 503})


class WebhookAdapter(Adapter[WebhookChannel]):
    platform: ClassVar[str] = "webhook"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.ASK_A_PERSON
    channel_type = WebhookChannel

    def build(self, job: PostJob, channel: WebhookChannel, secret: str) -> HttpRequest:
        body: dict[str, Any] = {"text": job.text}
        if job.images:
            body["media"] = [media_entry(image) for image in job.images]
        if job.reply_to is not None:
            body["reply_to"] = job.reply_to.parent.remote_id
            body["comment"] = job.reply_to.comment
        request = HttpRequest.with_json(
            "POST",
            channel.url,
            body,
            headers={"Idempotency-Key": job.idempotency_key, "X-Tidings-Post": str(job.post_id)},
        )
        if not secret:
            return request
        assert request.content is not None
        digest = hmac.new(secret.encode("utf-8"), request.content, hashlib.sha256).hexdigest()
        return HttpRequest(
            method=request.method,
            url=request.url,
            headers={**request.headers, SIGNATURE_HEADER: f"sha256={digest}"},
            content=request.content,
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["text"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: WebhookChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        return Attempted(
            await self.send_and_read(
                client,
                job,
                channel,
                credentials.secret,
                lambda answer: read_answer(answer, job, now),
            )
        )

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: WebhookChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        return Unknown("a webhook cannot be asked whether a message arrived")

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: WebhookChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        # Incoming webhooks have no identity endpoint, and a test message would be a real post;
        # the contract names no other request a receiver would take as harmless.
        return Identity(
            name=f"an incoming webhook at {httpx.URL(channel.url).host}",
            unchecked="a webhook has no identity endpoint",
        )


def media_entry(image: JobImage) -> dict[str, Any]:
    """One image of the payload's ``media`` list (PRODUCT.md "Images", webhook)."""
    return {
        "url": image.url,
        "sha256": image.sha256,
        "content_type": image.content_type,
        "alt": image.alt,
        "width": image.width,
        "height": image.height,
    }


def read_answer(response: HttpResponse, job: PostJob, now: datetime) -> Outcome:
    status = response.status
    message = response.text(200) or "no message"
    if 200 <= status < 300:
        return Published(f"webhook-{job.post_id}", None, status)
    if status == 429:
        return RetryAt(
            rate_limited_until(response.headers, now), f"rate limited: {message}", status
        )
    if status in NOT_RECEIVED:
        return RetryLater(f"gateway error {status}: {message}", status)
    if status >= 500:
        return Unknown(f"server error {status} ({message}): the receiver may have acted", status)
    return Failed(f"refused ({status}): {message}", status)
