"""Mastodon images: each uploaded with ``POST /api/v2/media``, its alt text as ``description``,
then waited for while the instance processes it (PLATFORMS.md §10.1).

Source: docs.joinmastodon.org/methods/media. The upload answers 200 when the image is ready,
or 202 while it is still processing (``url`` null); ``GET /api/v1/media/:id`` then answers
206 until it is ready and 200 once it is. A status that names media still processing is
refused (``PostStatusService#validate_media!``: "not finished processing"), so each such image
is polled, a few seconds in all (``POLL_WAITS``), inside the attempt. One still processing
after that leaves its id and a mark in the publish state and the attempt is tried again later:
the next attempt polls that id instead of uploading the image again.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx

from drafts.channels import MastodonChannel
from scheduler.outcomes import Failed, NotPublished, RetryAt, RetryLater
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    JobImage,
    PostJob,
    SaveState,
    api_origin,
    bearer,
    rate_limited_until,
)
from scheduler.platforms.uploads import (
    KeptState,
    Upload,
    media_key,
    remember_upload,
    send_small,
    send_upload,
    uploaded_id,
)

# Seconds to wait before each poll after the first: 3 s in all, well inside a lease.
POLL_WAITS = (0.5, 1.0, 1.5)
# Mastodon deletes media no status attached once they are a day old (its
# Scheduler::MediaCleanupScheduler: unattached, created_at < 1.day.ago); half that leaves room
# for clock skew and for the cleanup running at any moment after.
KEEP_FOR = timedelta(hours=12)


def processing_key(image: JobImage) -> str:
    """The publish-state key holding the id of ``image`` while the instance processes it."""
    return media_key(image) + ":processing"


async def upload_images(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: MastodonChannel,
    secret: str,
    now: datetime,
    save: SaveState,
) -> PostJob | NotPublished:
    """``job`` with the id of every image, each processed and ready to attach, in its state;
    or why not (nothing was posted)."""
    kept = KeptState(job, save)
    processing: dict[int, JobImage] = {}
    for position, image in enumerate(job.images, start=1):
        remote = uploaded_id(kept.values, image, now)
        if remote is None:
            uploaded = await _upload(client, channel, secret, image, position, now)
            if not isinstance(uploaded, tuple):
                return uploaded
            remote, ready = uploaded
            waiting = {processing_key(image): "" if ready else remote}
            await kept.keep(remember_upload(image, remote, now + KEEP_FOR) | waiting)
        if kept.values.get(processing_key(image)) == remote:
            processing[position] = image
    for position, image in processing.items():
        remote = kept.values[media_key(image)]
        still = await _wait(client, channel, secret, remote, position, now)
        if still is not None:
            return still
        await kept.keep({processing_key(image): ""})
    return kept.job(job)


async def _upload(
    client: httpx.AsyncClient,
    channel: MastodonChannel,
    secret: str,
    image: JobImage,
    position: int,
    now: datetime,
) -> tuple[str, bool] | NotPublished:
    """The id the instance gave ``image`` and whether it is ready, or why there is none."""
    upload = Upload(
        "POST",
        instance_url(channel) + "/api/v2/media",
        image,
        headers=bearer(secret),
        fields={"description": image.alt} if image.alt else {},
        file_field="file",
    )
    answer = await send_upload(client, upload)
    if not isinstance(answer, HttpResponse):
        return answer
    body = answer.json()
    if answer.status in (200, 202) and isinstance(body, dict) and body.get("id"):
        return str(body["id"]), answer.status == 200
    return refused(answer, f"the upload of image {position}", now)


async def _wait(
    client: httpx.AsyncClient,
    channel: MastodonChannel,
    secret: str,
    remote: str,
    position: int,
    now: datetime,
) -> NotPublished | None:
    """Poll image ``remote`` until the instance has processed it (None), for ``POLL_WAITS``
    at most; why not otherwise."""
    request = HttpRequest("GET", f"{instance_url(channel)}/api/v1/media/{remote}", bearer(secret))
    for wait in (0.0, *POLL_WAITS):
        await asyncio.sleep(wait)
        answer = await send_small(client, request)
        if not isinstance(answer, HttpResponse):
            return answer
        if answer.status == 200:
            return None
        if answer.status != 206:
            return refused(answer, f"processing image {position}", now)
    return RetryLater(
        f"the instance is still processing image {position} after {sum(POLL_WAITS):g} s; "
        "the next attempt asks again"
    )


def refused(response: HttpResponse, what: str, now: datetime) -> NotPublished:
    """Why the instance would not take ``what``: a rate limit waits until its reset, a server
    error is tried again later, any other refusal would repeat. Nothing was posted."""
    status, message = response.status, error_message(response)
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"rate limited by the instance for {what}: {message}", status)
    if status >= 500:
        return RetryLater(f"the instance answered {status} to {what}: {message}", status)
    return Failed(f"the instance refused {what} ({status}): {message}", status)


def error_message(response: HttpResponse) -> str:
    """Mastodon's ``{"error": "..."}``, or the start of whatever came back."""
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text(200) or "no message"


def instance_url(channel: MastodonChannel) -> str:
    """Where the channel's instance answers."""
    # The instance is the API: base_url is required, there is no public default.
    return api_origin(channel, channel.base_url)
