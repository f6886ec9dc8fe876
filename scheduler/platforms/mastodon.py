"""Mastodon: ``POST /api/v1/statuses`` with the variant's language and an ``Idempotency-Key``.

The key is chosen once per post and kept, so a resend after an unknown outcome returns the
status the first request created instead of a second one; Mastodon keeps keys for an hour
(PLATFORMS.md §3.6), so past that a person must look. Images are uploaded and processed first
(``mastodon_media``) and the status names them in ``media_ids``; a resend names the same ids.

A thread's later parts and the first comment are replies (PLATFORMS.md §10.2): each names the
part before it in ``in_reply_to_id``, in the same ``language``. Each part is its own post with
its own key, so a resend of part 2 returns part 2, never another part. A reply whose status
is gone is refused (404, "The post you are trying to reply to does not appear to exist."):
that part fails, for a person to look at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
    bearer,
    identity_answer,
    rate_limited_until,
    send,
)
from scheduler.platforms.mastodon_media import error_message, instance_url, upload_images
from scheduler.platforms.uploads import attached_ids
from scheduler.retry import UnknownHandling

# Mastodon forgets idempotency keys after 3,600 s; leave a margin for clock skew.
IDEMPOTENCY_WINDOW = timedelta(minutes=55)


class MastodonAdapter(Adapter[MastodonChannel]):
    platform: ClassVar[str] = "mastodon"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = MastodonChannel

    def build(self, job: PostJob, channel: MastodonChannel, secret: str) -> HttpRequest:
        body: dict[str, Any] = {
            "status": job.text,
            "visibility": channel.visibility,
            "language": primary_language(job.language),
        }
        if job.images:
            body["media_ids"] = attached_ids(job)
        if job.reply_to is not None:
            body["in_reply_to_id"] = replied_id(job.reply_to.parent.remote_id)
        return HttpRequest.with_json(
            "POST",
            instance_url(channel) + "/api/v1/statuses",
            body,
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
        uploaded = await upload_images(client, job, channel, credentials.secret, now, save)
        if not isinstance(uploaded, PostJob):
            return Attempted(uploaded)  # an image is not ready: nothing was sent to post
        return Attempted(
            await self.send_and_read(
                client,
                uploaded,
                channel,
                credentials.secret,
                lambda answer: read_status(answer, now),
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
        url = instance_url(channel) + "/api/v1/accounts/verify_credentials"
        response = await send(client, HttpRequest("GET", url, bearer(credentials.secret)))
        account = identity_answer(
            response, lambda refused: f"refused ({refused.status}): {error_message(refused)}"
        )
        configuration = await instance_configuration(client, channel)
        return Identity(
            name="@" + str(account.get("acct") or account.get("username")),
            text_limits=text_limits(configuration),
            media_limits=media_limits(configuration),
        )


async def instance_configuration(
    client: httpx.AsyncClient, channel: MastodonChannel
) -> dict[str, Any]:
    """The ``configuration`` the instance reports about itself (``GET /api/v2/instance``);
    empty when it does not say."""
    response = await send(client, HttpRequest("GET", instance_url(channel) + "/api/v2/instance"))
    if not isinstance(response, HttpResponse) or response.status != 200:
        return {}
    body = response.json()
    configuration = body.get("configuration") if isinstance(body, dict) else None
    return configuration if isinstance(configuration, dict) else {}


def text_limits(configuration: dict[str, Any]) -> dict[str, int] | None:
    """The instance's own status length and link reservation, or None when it does not say:
    the configured values stand then."""
    statuses = _section(configuration, "statuses")
    limit, per_url = statuses.get("max_characters"), statuses.get("characters_reserved_per_url")
    if not isinstance(limit, int) or limit < 1:
        return None
    learned = {"max_characters": limit}
    if isinstance(per_url, int) and per_url >= 0:
        learned["characters_reserved_per_url"] = per_url
    return learned


def media_limits(configuration: dict[str, Any]) -> dict[str, Any] | None:
    """What the instance takes in images, as ``GET /api/v2/instance`` reports it
    (docs.joinmastodon.org/entities/Instance ``configuration[media_attachments]`` and
    ``[statuses][max_media_attachments]``; ``description_limit`` is not in that page, but
    Mastodon's own InstanceSerializer reports it):
    only the values it reports, or None when it reports none."""
    media = _section(configuration, "media_attachments")
    learned: dict[str, Any] = {
        name: media[name]
        for name in ("image_size_limit", "image_matrix_limit", "description_limit")
        if _positive(media.get(name))
    }
    types = media.get("supported_mime_types")
    if isinstance(types, list) and all(isinstance(each, str) for each in types):
        learned["supported_mime_types"] = list(types)
    most = _section(configuration, "statuses").get("max_media_attachments")
    if _positive(most):
        learned["max_media_attachments"] = most
    return learned or None


def _section(configuration: dict[str, Any], name: str) -> dict[str, Any]:
    section = configuration.get(name)
    return section if isinstance(section, dict) else {}


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_status(response: HttpResponse, now: datetime) -> Outcome:
    """A ``POST /api/v1/statuses`` answer as an outcome."""
    status = response.status
    body = response.json()
    if status == 200 and isinstance(body, dict) and body.get("id"):
        return Published(str(body["id"]), _str_or_none(body.get("url")), status)
    message = error_message(response)
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


def _str_or_none(value: object) -> str | None:
    return str(value) if value else None


def replied_id(remote_id: str) -> str:
    """The status id a part replies to: its remote id, or, for a part a person marked published
    with its link (``https://instance/@name/<id>``), the id that ends that link."""
    if not remote_id.startswith(("https://", "http://")):
        return remote_id
    last = urlsplit(remote_id).path.rstrip("/").rpartition("/")[2]
    return last if last.isdigit() else remote_id
