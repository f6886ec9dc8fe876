"""LinkedIn images: the Images API upload, the wait for ``AVAILABLE``, and the post's content
(PLATFORMS.md §10.1).

An image is registered with ``POST /rest/images?action=initializeUpload`` (owner: the post's
author), which answers ``value.uploadUrl`` and ``value.image`` (``urn:li:image:…``); its bytes
go to ``uploadUrl`` with a PUT; ``GET /rest/images/{urn}`` tells its ``status``, and a post
may name it once that is ``AVAILABLE`` (Microsoft Learn, "Images API"). One image is
``content.media {id, altText}``, two to twenty are ``content.multiImage.images[{id,
altText}]`` (Microsoft Learn, "Posts API" and "MultiImage API": "minimum of 2 images and
maximum of 20"). Only the commentary is little text; ``altText`` is a plain string and is
sent as written (the Posts API calls only ``commentary`` little text; not confirmed further).

The upload URL is absolute and, in production, on another host than the API. The bearer
token goes with the PUT only where LinkedIn's own sample sends it, to a linkedin.com host over
HTTPS (Microsoft Learn "Images API" uploads to ``https://www.linkedin.com/dms-uploads/…`` with
``Authorization: Bearer``; postiz's linkedin.provider.ts does the same: from the sample as
remembered, not confirmed in a stored copy), or to the API's own origin (a ``base_url``);
anywhere else the URL goes without it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from drafts.channels import LinkedInChannel
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import (
    Attempted,
    HttpRequest,
    HttpResponse,
    JobImage,
    PostJob,
    SaveState,
    api_origin,
    bearer,
)
from scheduler.platforms.linkedin_rest import API, error_message, rest_headers, throttled_until
from scheduler.platforms.uploads import (
    KeptState,
    Upload,
    attached_ids,
    media_key,
    remember_upload,
    send_small,
    send_upload,
    uploaded_id,
)

UploadTrouble = RetryAt | RetryLater | Failed
Status = Literal["AVAILABLE", "PROCESSING", "GONE"]
LINKEDIN_DOMAIN = "linkedin.com"


@dataclass(frozen=True)
class ImageWait:
    """How long a post waits, inside its attempt, for LinkedIn to process its images: a few
    looks a second apart; one still processing after that is looked at again next attempt."""

    checks: int = 5
    interval_seconds: float = 1.0


async def prepare_images(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: LinkedInChannel,
    secret: str,
    now: datetime,
    save: SaveState,
    wait: ImageWait,
) -> PostJob | Attempted:
    """The job with an AVAILABLE image URN for each of its images in its state, each new one
    saved as soon as its bytes arrived; or the attempt's end when one could not be uploaded
    or is not ready (nothing is posted then). A kept URN has no end: LinkedIn is asked about
    it each attempt, and one it no longer has is uploaded again."""
    kept = KeptState(job, save)
    for position, image in enumerate(job.images, start=1):
        if uploaded_id(kept.values, image, now) is not None:
            continue
        urn = await _upload(client, image, position, channel, secret, now)
        if not isinstance(urn, str):
            return Attempted(urn)
        await kept.keep(remember_upload(image, urn, None))
    for position, image in enumerate(job.images, start=1):
        urn = kept.values[media_key(image)]
        waited = await _wait_until_available(client, urn, position, channel, secret, now, wait)
        if waited == "GONE":
            again = RetryLater(
                f"image {position}: LinkedIn no longer has {urn}; it is uploaded again on the "
                "next attempt"
            )
            return Attempted(again, remember_upload(image, urn, now))
        if waited is not None:
            return Attempted(waited)
    return kept.job(job)


async def _upload(
    client: httpx.AsyncClient,
    image: JobImage,
    position: int,
    channel: LinkedInChannel,
    secret: str,
    now: datetime,
) -> str | UploadTrouble:
    """Register image ``position`` and PUT its bytes: its URN, or why not."""
    answer = await send_small(client, initialize_request(channel, secret))
    if not isinstance(answer, HttpResponse):
        return replace(answer, reason=f"image {position}: {answer.reason}")
    registered = read_initialized(answer, position, channel, now)
    if not isinstance(registered, tuple):
        return registered
    url, urn = registered
    put = await send_upload(client, upload(image, url, channel, secret))
    if not isinstance(put, HttpResponse):
        return replace(put, reason=f"image {position}: {put.reason}")
    return read_uploaded(put, position, channel, now) or urn


async def _wait_until_available(
    client: httpx.AsyncClient,
    urn: str,
    position: int,
    channel: LinkedInChannel,
    secret: str,
    now: datetime,
    wait: ImageWait,
) -> Literal["GONE"] | UploadTrouble | None:
    """None once LinkedIn says image ``position`` is AVAILABLE; RetryLater while it is still
    processing after ``wait``."""
    for check in range(wait.checks):
        if check:
            await asyncio.sleep(wait.interval_seconds)
        answer = await send_small(client, status_request(channel, secret, urn))
        if not isinstance(answer, HttpResponse):
            return replace(answer, reason=f"image {position}: {answer.reason}")
        status = read_status(answer, position, channel, now)
        if status == "AVAILABLE":
            return None
        if status != "PROCESSING":
            return status
    return RetryLater(
        f"image {position}: LinkedIn is still processing {urn}; the post waits for it until "
        "the next attempt"
    )


def initialize_request(channel: LinkedInChannel, secret: str) -> HttpRequest:
    """Register one image owned by the channel's author."""
    return HttpRequest.with_json(
        "POST",
        api_origin(channel, API) + "/rest/images?action=initializeUpload",
        {"initializeUploadRequest": {"owner": channel.author}},
        headers=rest_headers(channel, secret),
    )


def read_initialized(
    response: HttpResponse, position: int, channel: LinkedInChannel, now: datetime
) -> tuple[str, str] | UploadTrouble:
    """Where to PUT the bytes of image ``position``, and its URN."""
    body = response.json()
    value = body.get("value") if isinstance(body, dict) else None
    if response.status == 200 and isinstance(value, dict):
        url, urn = value.get("uploadUrl"), value.get("image")
        if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and urn:
            return url, str(urn)
    return upload_trouble(response, position, "register", channel, now)


def upload(image: JobImage, url: str, channel: LinkedInChannel, secret: str) -> Upload:
    """The PUT of the image's bytes to the ``uploadUrl`` LinkedIn gave."""
    headers = bearer(secret) if takes_token(url, channel) else {}
    return Upload("PUT", url, image, headers=headers)


def takes_token(url: str, channel: LinkedInChannel) -> bool:
    """Whether the bearer token may go with a request to ``url`` (see the module docstring)."""
    target, api = urlsplit(url), urlsplit(api_origin(channel, API))
    if (target.scheme, target.netloc) == (api.scheme, api.netloc):
        return True
    host = target.hostname or ""
    return target.scheme == "https" and (
        host == LINKEDIN_DOMAIN or host.endswith("." + LINKEDIN_DOMAIN)
    )


def read_uploaded(
    response: HttpResponse, position: int, channel: LinkedInChannel, now: datetime
) -> UploadTrouble | None:
    """None when the bytes arrived; otherwise why not."""
    if 200 <= response.status < 300:
        return None
    return upload_trouble(response, position, "take", channel, now)


def status_request(channel: LinkedInChannel, secret: str, urn: str) -> HttpRequest:
    """``GET /rest/images/{urn}``, the URN URL-encoded."""
    url = f"{api_origin(channel, API)}/rest/images/{quote(urn, safe='')}"
    return HttpRequest("GET", url, rest_headers(channel, secret))


def read_status(
    response: HttpResponse, position: int, channel: LinkedInChannel, now: datetime
) -> Status | UploadTrouble:
    """Where image ``position`` stands: ready, still processing, or gone (LinkedIn does not
    have its bytes, so it must be uploaded again); or why LinkedIn would not say."""
    body = response.json()
    status = body.get("status") if isinstance(body, dict) and response.status == 200 else None
    if status == "AVAILABLE":
        return "AVAILABLE"
    if status == "PROCESSING":
        return "PROCESSING"
    if response.status == 404 or status == "WAITING_UPLOAD":
        return "GONE"
    if status == "PROCESSING_FAILED":
        return Failed(f"image {position}: LinkedIn could not process it (PROCESSING_FAILED)", 200)
    return upload_trouble(response, position, "say whether it is ready", channel, now)


def upload_trouble(
    response: HttpResponse, position: int, doing: str, channel: LinkedInChannel, now: datetime
) -> UploadTrouble:
    """An answer of the upload flow that is not what was asked for. Nothing was posted, so
    nothing here is ``Unknown``: a 429 waits, a 5xx or a garbled answer retries, a refusal
    fails, naming the image."""
    status = response.status
    message, codes = error_message(response.json(), response)
    said = " ".join([str(status), *codes[:1]])
    if status == 429:
        at = throttled_until(response, message, now, throttled_before=False)
        return RetryAt(at, f"image {position}: LinkedIn rate limit ({message})", status)
    if status >= 500 or 200 <= status < 300:
        return RetryLater(
            f"image {position}: LinkedIn did not {doing} it ({said}: {message})", status
        )
    if status == 426:
        return Failed(
            f"image {position}: LinkedIn no longer serves API version {channel.version} "
            f"({message}): set `version` for this channel in config.toml",
            status,
        )
    return Failed(f"image {position}: LinkedIn refused to {doing} it ({said}): {message}", status)


def post_content(job: PostJob) -> dict[str, Any] | None:
    """The post's ``content`` for its images: their URNs from the publish state (``<image
    N>`` in a preview) with their alt text; None without images."""
    entries = [
        _entry(urn, image.alt) for image, urn in zip(job.images, attached_ids(job), strict=True)
    ]
    if not entries:
        return None
    if len(entries) == 1:
        return {"media": entries[0]}
    return {"multiImage": {"images": entries}}


def _entry(urn: str, alt: str) -> dict[str, str]:
    return {"id": urn, "altText": alt} if alt else {"id": urn}
