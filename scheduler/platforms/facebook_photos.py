"""Facebook Page posts with photos: one photo is a photo post, several are attached to a feed post.

- One image: ``POST /{page}/photos`` with the image as ``source``, the post's text as
  ``caption``, ``published=true`` and the alt text as ``alt_text_custom``. That request is the
  post itself, so an answer lost after it went out is ``Unknown`` (``uploads.send_form``).
- Several: each image goes to ``/photos`` with ``published=false`` (an upload that posts
  nothing, safe to repeat), its id kept in the publish state; then ``POST /{page}/feed`` with
  the message and ``attached_media=[{"media_fbid": id}, ...]`` is the post.

Sources:
- Graph API reference "Photo" (developers.facebook.com/docs/graph-api/reference/photo/),
  Creating: a file attachment or ``url``; ``caption`` ("the description of the photo");
  ``published`` (default true: "set to false if you don't want the photo to be published
  immediately"); ``alt_text_custom`` ("accessible alternative description for an image", no
  length limit stated ❓); the answer is ``{id, post_id}``; "a photo must be less than 10MB"
  and animated photos are not supported (limits the compose-time variants keep).
- "Photo Uploads" guide (developers.facebook.com/docs/graph-api/photo-uploads): a single
  photo "is immediately posted" and the answer carries the ``post_id`` of the story; a
  multi-photo post uploads each photo with ``published=false``, then posts to ``/feed`` "using
  the ids returned by uploading an unpublished photo"; Facebook itself strips location
  metadata (Tidings strips it before anything is stored, ``drafts.media_store``).
- ❓ How long an unpublished photo stays attachable is not documented: its id is kept for
  ``UNPUBLISHED_KEPT``, after which the image is simply uploaded again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from scheduler.outcomes import Failed, NotPublished, RetryLater
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    JobImage,
    NoAnswer,
    PostJob,
    SaveState,
)
from scheduler.platforms.graph_errors import refused_upload
from scheduler.platforms.uploads import (
    Upload,
    attached_ids,
    placeholder,
    remember_upload,
    send_form,
    send_upload,
    uploaded_id,
)

UNPUBLISHED_KEPT = timedelta(hours=24)
# The multipart part that carries the image ("source"), as the preview's JSON names it.
SOURCE = "source"


def photo_post(job: PostJob, url: str, secret: str) -> HttpRequest:
    """The one-photo post as JSON for the preview: the form's text fields, and ``source`` as
    ``<image 1>`` where the image's bytes go (``send_photo_post`` sends exactly these)."""
    [image] = job.images
    fields = {"caption": job.text, "published": "true", **_alt(image), "access_token": secret}
    return HttpRequest.with_json("POST", url, {**fields, SOURCE: placeholder(1)})


def feed_post(job: PostJob, url: str, secret: str) -> HttpRequest:
    """``POST /{page}/feed``: the message, and the uploaded photos by id (``<image N>`` where
    none is known yet, as in a preview)."""
    body: dict[str, object] = {"message": job.text, "access_token": secret}
    if job.images:
        body["attached_media"] = [{"media_fbid": each} for each in attached_ids(job)]
    return HttpRequest.with_json("POST", url, body)


async def send_photo_post(
    client: httpx.AsyncClient, request: HttpRequest, image: JobImage
) -> HttpResponse | NoAnswer:
    """Send the one-photo post ``photo_post`` built, as the multipart form it stands for."""
    body = request.json()
    fields = {name: str(value) for name, value in body.items() if name != SOURCE}
    return await send_form(client, request.url, fields, [(SOURCE, image)])


async def upload_unpublished(
    client: httpx.AsyncClient,
    job: PostJob,
    url: str,
    secret: str,
    now: datetime,
    save: SaveState,
    *,
    service: str,
    reconnect: str,
) -> PostJob | NotPublished:
    """Upload, unpublished, each image without a live id, saving each new id before the next
    request; the job with every id in its state, or why an upload stopped (never
    ``Unknown``: an unpublished photo is no post)."""
    for position, image in enumerate(job.images, start=1):
        if uploaded_id(job.state, image, now):
            continue
        fields = {"published": "false", **_alt(image), "access_token": secret}
        answer = await send_upload(
            client, Upload("POST", url, image, fields=fields, file_field=SOURCE)
        )
        photo = _uploaded(answer, position, now, service=service, reconnect=reconnect)
        if not isinstance(photo, str):
            return photo
        kept = remember_upload(image, photo, now + UNPUBLISHED_KEPT)
        await save(kept)
        job = replace(job, state={**job.state, **kept})
    return job


def _uploaded(
    answer: HttpResponse | RetryLater | Failed,
    position: int,
    now: datetime,
    *,
    service: str,
    reconnect: str,
) -> str | NotPublished:
    what = f"uploading image {position}"
    if not isinstance(answer, HttpResponse):
        return replace(answer, reason=f"{what}: {answer.reason}")
    body = answer.json()
    if 200 <= answer.status < 300 and isinstance(body, dict) and body.get("id"):
        return str(body["id"])
    return refused_upload(answer, now, service=service, reconnect=reconnect, what=what)


def _alt(image: JobImage) -> dict[str, str]:
    return {"alt_text_custom": image.alt} if image.alt else {}
