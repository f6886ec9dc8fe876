"""Bluesky images: blobs uploaded with ``com.atproto.repo.uploadBlob``, then shown by an
``app.bsky.embed.images`` embed on the post record (PLATFORMS.md §10.1).

A blob is the raw bytes as the request body with the image's ``Content-Type``; the answer is
``{"blob": {...}}``, the object the record must name (bluesky-social/atproto
lexicons/com/atproto/repo/uploadBlob.json). Each embedded image carries the blob, its ``alt``
(required, may be empty) and ``aspectRatio`` (lexicons/app/bsky/embed/images.json), which is
the true pixel size of the bytes sent, so clients lay the post out before the image loads.

The blob object is kept in the post's publish state as JSON under ``media_key(image)`` until
the server may have dropped it: a blob no record names yet is temporary, and a server
deletes it after a while (see ``BLOB_KEPT``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from drafts.channels import BlueskyChannel
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import (
    HttpResponse,
    JobImage,
    PostJob,
    bearer,
    rate_limited_until,
)
from scheduler.platforms.bluesky_xrpc import describe, session_problem, xrpc_error, xrpc_url
from scheduler.platforms.uploads import (
    Upload,
    attached_ids,
    placeholder,
    remember_upload,
)

EMBED_IMAGES = "app.bsky.embed.images"
# The images lexicon's ``maxSize`` (1,000,000 bytes, "976.56KB" in the PDS's BlobTooLarge
# message); newer lexicons allow more, but older and self-hosted servers refuse more
# (PLATFORMS.md §10.1; bluesky-social/atproto#1737, cjrasmussen/BlueskyApi#14).
BLOB_LIMIT = 1_000_000
# How long an uploaded blob is reused on a retry. The atproto blob spec ("Usage and
# Implementation Guidelines", atproto.com/specs/blob) recommends servers keep unreferenced
# blobs for several hours, "with at least one hour a firm lower bound"; the uploadBlob docs
# only promise "a time window (eg, minutes)". Half the lower bound leaves room for clock skew
# and a long attempt; uploading the same bytes again costs little (a blob is its hash).
BLOB_KEPT = timedelta(minutes=30)
# The PDS refuses a record naming a blob it does not have (any more) with this error
# (packages/pds/src/actor-store/blob/transactor.ts, "Could not find blob").
BLOB_NOT_FOUND = "BlobNotFound"


def oversized(images: tuple[JobImage, ...]) -> Failed | None:
    """Refuse, before anything is uploaded, an image the server would refuse as a blob: the
    compose step re-encodes under the limit, but the file on disk is what would be sent."""
    for position, image in enumerate(images, start=1):
        size = _size(image)
        if size > BLOB_LIMIT:
            return Failed(
                f"image {position} is {size:,} bytes; Bluesky servers refuse a blob over "
                f"{BLOB_LIMIT:,} bytes (BlobTooLarge), and it was not re-encoded under that "
                "limit: nothing was sent"
            )
    return None


def _size(image: JobImage) -> int:
    if image.path is None:
        return image.bytes
    try:
        return image.path.stat().st_size
    except OSError:
        return image.bytes  # the upload says why the file cannot be read


def upload_request(channel: BlueskyChannel, image: JobImage, access_jwt: str) -> Upload:
    """``uploadBlob`` with the image as the whole body (``Content-Type`` the image's)."""
    url = xrpc_url(channel, "com.atproto.repo.uploadBlob")
    return Upload("POST", url, image, headers=bearer(access_jwt))


def read_uploaded(
    response: HttpResponse, position: int, now: datetime
) -> dict[str, Any] | RetryAt | RetryLater | Failed:
    """An uploadBlob answer: the blob object to name in the record, or why there is none.
    Nothing was posted either way, so nothing here is ``Unknown``."""
    body = response.json()
    blob = body.get("blob") if isinstance(body, dict) else None
    if response.status == 200 and isinstance(blob, dict) and blob.get("ref"):
        return blob
    said = describe(response)
    status = response.status
    if 200 <= status < 300 or status >= 500:
        return RetryLater(f"image {position} upload: Bluesky answered {said}", status)
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"image {position} upload: rate limited ({said})", status)
    if session_problem(response) == "expired":
        return RetryLater(f"image {position} upload: the session expired again ({said})", status)
    return Failed(f"image {position} upload: Bluesky refused it ({said})", status)


def remember_blob(image: JobImage, blob: dict[str, Any], now: datetime) -> dict[str, str]:
    """The publish state that keeps ``blob`` (as JSON) for ``image`` while the server does."""
    return remember_upload(image, json.dumps(blob, separators=(",", ":")), now + BLOB_KEPT)


def blob_missing(response: HttpResponse) -> bool:
    """Whether createRecord was refused because a blob it names is gone."""
    return response.status == 400 and xrpc_error(response)[0] == BLOB_NOT_FOUND


def forget_blobs(job: PostJob, now: datetime) -> dict[str, str]:
    """The publish state that makes the next attempt upload every image again."""
    forgotten: dict[str, str] = {}
    for image, kept in zip(job.images, attached_ids(job), strict=True):
        forgotten.update(remember_upload(image, kept, now))
    return forgotten


def images_embed(job: PostJob) -> dict[str, Any]:
    """The record's ``app.bsky.embed.images``: each blob from the publish state (``<image N>``
    in a preview), its alt text and its true pixel size."""
    return {
        "$type": EMBED_IMAGES,
        "images": [
            {
                "image": _blob(kept, position),
                "alt": image.alt,
                "aspectRatio": {"width": image.width, "height": image.height},
            }
            for position, (image, kept) in enumerate(
                zip(job.images, attached_ids(job), strict=True), start=1
            )
        ],
    }


def _blob(kept: str, position: int) -> Any:
    return kept if kept == placeholder(position) else json.loads(kept)
