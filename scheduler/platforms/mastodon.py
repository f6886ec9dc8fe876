"""Mastodon: ``POST /api/v1/statuses`` with the variant's language and an ``Idempotency-Key``.

The key is chosen once per post and kept, so a resend after an unknown outcome returns the
status the first request created instead of a second one; Mastodon keeps keys for an hour
(PLATFORMS.md §3.6), so past that a person must look.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import httpx

from drafts.channels import MastodonChannel
from drafts.languages import primary_language
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    PostJob,
    SaveState,
    api_origin,
    bearer,
    identity_answer,
    rate_limited_until,
    send,
)
from scheduler.retry import UnknownHandling

# Mastodon forgets idempotency keys after 3,600 s; leave a margin for clock skew.
IDEMPOTENCY_WINDOW = timedelta(minutes=55)


class MastodonAdapter(Adapter[MastodonChannel]):
    platform: ClassVar[str] = "mastodon"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = MastodonChannel

    def build(self, job: PostJob, channel: MastodonChannel, secret: str) -> HttpRequest:
        return HttpRequest.with_json(
            "POST",
            _instance(channel) + "/api/v1/statuses",
            {
                "status": job.text,
                "visibility": channel.visibility,
                "language": primary_language(job.language),
            },
            headers={**bearer(secret), "Idempotency-Key": job.idempotency_key},
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["status"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: MastodonChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        return Attempted(
            await self.send_and_read(
                client, job, channel, credentials.secret, lambda answer: read_status(answer, now)
            )
        )

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: MastodonChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        # Resending with the same key is the check: Mastodon answers with the existing status.
        first = job.first_attempt_at
        if first is not None and now - first > IDEMPOTENCY_WINDOW:
            return Unknown(
                "more than 55 minutes passed since the first attempt and Mastodon forgets "
                "idempotency keys after an hour"
            )
        return None

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: MastodonChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        url = _instance(channel) + "/api/v1/accounts/verify_credentials"
        response = await send(client, HttpRequest("GET", url, bearer(credentials.secret)))
        account = identity_answer(
            response, lambda refused: f"refused ({refused.status}): {_error_message(refused)}"
        )
        limits = await instance_limits(client, channel)
        return Identity(
            name="@" + str(account.get("acct") or account.get("username")), text_limits=limits
        )


async def instance_limits(
    client: httpx.AsyncClient, channel: MastodonChannel
) -> dict[str, int] | None:
    """The instance's own status length and link reservation (``GET /api/v2/instance``), or
    None when it does not say: the configured values stand then."""
    response = await send(client, HttpRequest("GET", _instance(channel) + "/api/v2/instance"))
    if not isinstance(response, HttpResponse) or response.status != 200:
        return None
    body = response.json()
    statuses = body.get("configuration", {}).get("statuses", {}) if isinstance(body, dict) else {}
    limit, per_url = statuses.get("max_characters"), statuses.get("characters_reserved_per_url")
    if not isinstance(limit, int) or limit < 1:
        return None
    learned = {"max_characters": limit}
    if isinstance(per_url, int) and per_url >= 0:
        learned["characters_reserved_per_url"] = per_url
    return learned


def read_status(response: HttpResponse, now: datetime) -> Outcome:
    """A ``POST /api/v1/statuses`` answer as an outcome."""
    status = response.status
    body = response.json()
    if status == 200 and isinstance(body, dict) and body.get("id"):
        return Published(str(body["id"]), _str_or_none(body.get("url")), status)
    message = _error_message(response)
    if status == 429:
        return RetryAt(
            rate_limited_until(response.headers, now), f"rate limited: {message}", status
        )
    if status in (401, 403):
        return Failed(f"the token was refused ({status}): {message}; reconnect the account", status)
    if status >= 500:
        # Safe to resend: the Idempotency-Key makes a second create return the first.
        return RetryLater(f"server error {status}: {message}", status)
    return Failed(f"refused ({status}): {message}", status)


def _instance(channel: MastodonChannel) -> str:
    # The instance is the API: base_url is required, there is no public default.
    return api_origin(channel, channel.base_url)


def _error_message(response: HttpResponse) -> str:
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text(200) or "no message"


def _str_or_none(value: object) -> str | None:
    return str(value) if value else None
