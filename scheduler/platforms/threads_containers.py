"""Threads media containers: the requests that make them, their status, and waiting for them.

A Threads post is a container published by ``threads_publish``. A text container is ready at
once; an image is not uploaded but fetched by Meta from the link in ``image_url`` (a signed
``[media] public_url`` link that ``tidings web`` serves), so an image or carousel container is
``IN_PROGRESS`` until Meta has fetched and processed it. A carousel is made of item containers,
one per image, then the ``CAROUSEL`` container that lists them as ``children``. Item ids are
kept in the publish state like uploaded media (``uploads.remember_upload``): a retry reuses
an item that is still usable and makes again only what is missing.

Sources (Meta's Threads API documentation, developers.facebook.com):
- "Threads Posts" (/docs/threads/posts): ``POST /{user}/threads`` with ``media_type=IMAGE``
  and ``image_url`` ("we will cURL your image using the URL provided so it must be on a public
  server"), ``text`` optional for media; carousel items with ``is_carousel_item=true``, then
  ``media_type=CAROUSEL`` with ``children`` (a comma-separated list of container ids; 2 to 20);
  "it is recommended to wait on average 30 seconds before publishing a Threads media
  container"; image limits (JPEG and PNG, 8 MB ⚠ read through secondary copies of the page)
  are kept by the compose-time variants.
- "Accessibility" (/docs/threads/posts/accessibility): ``alt_text`` on the container, for
  image, video and carousel items, not for text posts; no length limit stated ❓.
- "Publishing" reference (/documentation/threads/reference/publishing) and "Troubleshooting"
  (/docs/threads/troubleshooting): ``GET /{container}?fields=status,error_message`` answers
  ``IN_PROGRESS``, ``FINISHED``, ``PUBLISHED``, ``ERROR`` (with ``error_message``, often just
  ``UNKNOWN`` for media Meta could not fetch or process) or ``EXPIRED`` ("not published
  within 24 hours").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import quote

import httpx

from drafts.channels import ThreadsChannel
from scheduler.outcomes import Failed, NotPublished, Outcome, RetryLater, Unknown
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    JobImage,
    PostJob,
    SaveState,
    api_origin,
    bearer,
    send,
)
from scheduler.platforms.graph_errors import refused_read, refused_upload
from scheduler.platforms.uploads import (
    attached_ids,
    media_key,
    placeholder,
    remember_upload,
    send_small,
    uploaded_id,
)

API = "https://graph.threads.net"
VERSION = "v1.0"
SERVICE = "Threads"
RECONNECT = "reconnect the Threads account (tokens last 60 days unless refreshed)"
IN_PROGRESS, FINISHED, PUBLISHED = "IN_PROGRESS", "FINISHED", "PUBLISHED"
# Container statuses after which a new container is needed: it was never published.
UNUSABLE = frozenset({"ERROR", "EXPIRED"})
# Containers expire 24 hours after they are made; an item is not reused in its last hour.
ITEM_KEPT = timedelta(hours=23)
# Seconds between status reads within one attempt (15 s in all, half Meta's average); a
# container still in progress then is looked at again by the next attempt, not waited on.
CONTAINER_WAITS = (1.0, 2.0, 4.0, 8.0)
PUBLIC_LINK = (
    "Meta fetches each image from its public link, which must be reachable from the "
    "internet ([media] public_url)"
)


@dataclass(frozen=True)
class Status:
    """A container's ``status``, with Meta's ``error_message`` when it is ``ERROR``."""

    value: str
    error_message: str | None = None


Poll = Callable[[], Awaitable[Status | Outcome]]


def graph(channel: ThreadsChannel) -> str:
    """The Threads API at its version, on the channel's origin."""
    return f"{api_origin(channel, API)}/{VERSION}"


def post_container(job: PostJob, channel: ThreadsChannel, secret: str) -> HttpRequest:
    """The container that is the post: ``TEXT``, ``IMAGE`` for one image, ``CAROUSEL`` listing
    its item containers (``<image N>`` where none is known yet, as in a preview); a reply to
    the part before it names that part in ``reply_to_id``."""
    if not job.images:
        body: dict[str, object] = {"media_type": "TEXT", "text": job.text}
    elif len(job.images) == 1:
        body = {"media_type": "IMAGE", **_image_fields(job.images[0], 1)}
    else:
        body = {"media_type": "CAROUSEL", "children": ",".join(attached_ids(job))}
    if job.text:
        body["text"] = job.text
    if job.reply_to is not None:  # a thread's later part, or the first comment
        body["reply_to_id"] = job.reply_to.parent.remote_id
    return HttpRequest.with_json(
        "POST", f"{graph(channel)}/{channel.user_id}/threads", {**body, "access_token": secret}
    )


def item_container(
    channel: ThreadsChannel, image: JobImage, position: int, secret: str
) -> HttpRequest:
    """The carousel item container for image ``position`` (from 1)."""
    body = {"media_type": "IMAGE", "is_carousel_item": True, **_image_fields(image, position)}
    return HttpRequest.with_json(
        "POST", f"{graph(channel)}/{channel.user_id}/threads", {**body, "access_token": secret}
    )


def _image_fields(image: JobImage, position: int) -> dict[str, str]:
    alt = {"alt_text": image.alt} if image.alt else {}
    return {"image_url": image.url or placeholder(position), **alt}


def missing_link(job: PostJob) -> Failed | None:
    """Why the post cannot go without a public link for an image, if one has none."""
    for position, image in enumerate(job.images, start=1):
        if image.url is None:
            return Failed(
                f"image {position} has no public link: Threads takes no uploads, {PUBLIC_LINK}; "
                "set [media] public_url in config.toml"
            )
    return None


def read_status(response: HttpResponse, container: str, now: datetime) -> Status | Outcome:
    """A container's status (``GET /{container}?fields=status,error_message``), or an
    outcome if it could not be read."""
    body = response.json()
    if response.status == 200 and isinstance(body, dict) and isinstance(body.get("status"), str):
        message = body.get("error_message")
        return Status(str(body["status"]), str(message) if message else None)
    return refused_read(
        response,
        now,
        service=SERVICE,
        reconnect=RECONNECT,
        reading=f"report the status of container {container}",
        unsettled="so whether it was published cannot be told",
    )


async def status_of(
    client: httpx.AsyncClient, channel: ThreadsChannel, container: str, secret: str, now: datetime
) -> Status | Outcome:
    url = f"{graph(channel)}/{quote(container)}?fields=status,error_message"
    response = await send(client, HttpRequest("GET", url, bearer(secret)))
    if not isinstance(response, HttpResponse):
        # Reading a status creates nothing, so any transport trouble is safe to retry.
        return RetryLater(f"could not read container {container}'s status: {response.reason}")
    return read_status(response, container, now)


async def until_ready(
    poll: Poll, status: Status | Outcome | None, waits: tuple[float, ...]
) -> Status | Outcome:
    """The container's status once it is no longer ``IN_PROGRESS``, or as it is when
    ``waits`` (seconds between reads) run out; ``status`` is a first reading, if one was made."""
    if status is None:
        status = await poll()
    for wait in waits:
        if not (isinstance(status, Status) and status.value == IN_PROGRESS):
            break
        await asyncio.sleep(wait)
        status = await poll()
    return status


def settled(status: Status | Outcome, container: str, what: str) -> Outcome | None:
    """None when the container is ``FINISHED`` (ready to publish); otherwise what that means
    for the post, naming ``what`` the container holds ("image 2", "the carousel")."""
    if not isinstance(status, Status):
        return status
    if status.value == FINISHED:
        return None
    if status.value == IN_PROGRESS:
        return RetryLater(f"Threads is still preparing {what} (container {container})")
    if status.value == "ERROR":
        return Failed(
            f"Threads could not prepare {what} (container {container}: "
            f"{status.error_message or 'no message'}); {PUBLIC_LINK}"
        )
    if status.value == "EXPIRED":
        return RetryLater(f"container {container} for {what} expired unpublished; a new one is due")
    return Unknown(f"container {container} has a status Tidings does not know: {status.value}")


async def carousel_items(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: ThreadsChannel,
    secret: str,
    now: datetime,
    save: SaveState,
    waits: tuple[float, ...],
) -> PostJob | Outcome:
    """Every image's item container, ready: a kept one when it is still usable, else a new one
    saved before the next request; the job with every item id in its state, or why not."""
    first: list[Status | Outcome | None] = []
    for position, image in enumerate(job.images, start=1):
        item = uploaded_id(job.state, image, now)
        status = await status_of(client, channel, item, secret, now) if item else None
        if item and not _unusable(status):
            first.append(status)
            continue
        made = await _make_item(client, channel, image, position, secret, now)
        if not isinstance(made, str):
            return made
        kept = remember_upload(image, made, now + ITEM_KEPT)
        await save(kept)
        job = replace(job, state={**job.state, **kept})
        first.append(None)
    for position, (image, status) in enumerate(zip(job.images, first, strict=True), start=1):
        item = job.state[media_key(image)]
        poll = partial(status_of, client, channel, item, secret, now)
        problem = settled(await until_ready(poll, status, waits), item, f"image {position}")
        if problem is not None:
            return problem
    return job


def _unusable(status: Status | Outcome | None) -> bool:
    """Whether a kept item must be made again: Meta reports it unusable, or no longer knows
    it (an item is never published, so a refused read cannot hide a post)."""
    if isinstance(status, Status):
        return status.value in UNUSABLE
    return isinstance(status, Unknown)


async def _make_item(
    client: httpx.AsyncClient,
    channel: ThreadsChannel,
    image: JobImage,
    position: int,
    secret: str,
    now: datetime,
) -> str | NotPublished:
    answer = await send_small(client, item_container(channel, image, position, secret))
    what = f"making the container for image {position}"
    if not isinstance(answer, HttpResponse):
        return replace(answer, reason=f"{what}: {answer.reason}")
    body = answer.json()
    if answer.status == 200 and isinstance(body, dict) and body.get("id"):
        return str(body["id"])
    return refused_upload(answer, now, service=SERVICE, reconnect=RECONNECT, what=what)
