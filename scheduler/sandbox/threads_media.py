"""Threads image containers in the sandbox: Meta's fetch of ``image_url``, and processing.

Threads takes no image uploads: "we will cURL your image using the URL provided so it must be
on a public server" ("Threads Posts"). The sandbox does what Meta does, over HTTP from the
server, when an ``IMAGE`` container is made (the link is on loopback in tests and the demo:
``tidings web``'s signed media link). A link that cannot be fetched, or that does not serve
a JPEG or PNG of at most 8 MB (the image specification), leaves the container ``ERROR`` with
``error_message`` ``UNKNOWN``, which is what Meta reports for media it could not fetch or
process; the sandbox logs the actual reason.

A container with media is ``IN_PROGRESS`` for ``Settings.threads_container_polls`` status
reads, then ``FINISHED``. A carousel is as ready as its least ready item: ``ERROR`` if one
is, ``IN_PROGRESS`` while one is, and reading its status reads theirs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx

from scheduler.sandbox.state import JSON, SandboxState

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 10.0
MAX_IMAGE_BYTES = 8 * 1024 * 1024
FORMATS = frozenset({"JPEG", "PNG"})
CONTAINER_LIFETIME = timedelta(hours=24)
FETCH_FAILED = "UNKNOWN"


async def fetched_image(state: SandboxState, url: str) -> JSON | None:
    """Fetch ``url`` as Meta would and keep what arrived (``SandboxState.receive_image``);
    the image as a post's ``details["images"]`` lists it (alt text to be added), or None
    when it could not be used."""
    try:
        data, content_type = await _download(url)
    except (httpx.HTTPError, ValueError) as error:
        logger.info("Threads sandbox could not fetch %s: %s", url, error)
        return None
    received = state.receive_image(platform="threads", data=data, content_type=content_type)
    if received.format not in FORMATS:
        logger.info("Threads sandbox: %s served %s, not a JPEG or PNG", url, received.format)
        return None
    return {
        "sha256": received.sha256,
        "width": received.width,
        "height": received.height,
        "content_type": received.content_type,
    }


async def _download(url: str) -> tuple[bytes, str]:
    if not url.startswith(("http://", "https://")):
        raise ValueError("not an http(s) link")
    async with (
        httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise ValueError(f"answered {response.status_code}")
        data = b""
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > MAX_IMAGE_BYTES:
                raise ValueError(f"more than {MAX_IMAGE_BYTES} bytes")
        return data, response.headers.get("content-type", "application/octet-stream")


def new_status(state: SandboxState, *, fetched: bool = True) -> tuple[str, str | None]:
    """A new media container's status and error message: ``ERROR`` when its image could not
    be fetched, else in progress for as many reads as the settings say."""
    if not fetched:
        return "ERROR", FETCH_FAILED
    return ("IN_PROGRESS" if state.settings.threads_container_polls > 0 else "FINISHED"), None


def read_status(containers: dict[str, JSON], container: JSON, now: datetime) -> None:
    """A status read of ``container`` (and of its items, for a carousel): one poll less to
    stay ``IN_PROGRESS``, and ``EXPIRED`` once a day has passed unpublished."""
    for item in (containers[child] for child in container.get("children", ())):
        read_status(containers, item, now)
    if container["status"] == "IN_PROGRESS":
        if container["polls_left"] > 0:
            container["polls_left"] -= 1
        else:
            container["status"] = "FINISHED"
    if container["status"] == "FINISHED" and now - container["created_at"] > CONTAINER_LIFETIME:
        container["status"] = "EXPIRED"


def status_of(containers: dict[str, JSON], container: JSON) -> tuple[str, str | None]:
    """The status (and error message) a container has: a carousel's own, unless an item's
    is worse (``ERROR``, then ``IN_PROGRESS``)."""
    items = [containers[child] for child in container.get("children", ())]
    for worse in ("ERROR", "IN_PROGRESS"):
        for item in items:
            if item["status"] == worse and container["status"] in ("IN_PROGRESS", "FINISHED"):
                return worse, item.get("error_message")
    return container["status"], container.get("error_message")
