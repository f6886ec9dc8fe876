"""Uploading a post's images: streamed from the spool file, safe to retry, ids kept.

An upload is not a post: nothing appears on the platform until the post that attaches the
image is created, so an upload whose answer was lost is simply made again (``RetryLater``,
never ``Unknown``). An id the platform gave for an upload is saved in the post's publish
state before the post request goes out and reused on the next attempt while the platform
keeps it (``uploaded_id``), so a retry neither uploads twice nor attaches a stale id.

Bodies are streamed from the image's spool file in chunks, never read whole into memory:
many posts with large images publish at once (``bench/images.py``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import httpx

from scheduler.outcomes import Failed, RetryLater, Unknown
from scheduler.platforms.base import (
    HttpRequest,
    HttpResponse,
    JobImage,
    NoAnswer,
    PostJob,
    SaveState,
    send,
)

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Upload:
    """One request that carries an image's bytes.

    With ``file_field``, a multipart form: ``fields`` plus the image under that name. Without
    it, the image is the whole body (``Content-Type`` the image's)."""

    method: str
    url: str
    image: JobImage
    headers: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    file_field: str | None = None


async def send_upload(
    client: httpx.AsyncClient, upload: Upload
) -> HttpResponse | RetryLater | Failed:
    """Send ``upload`` with its body streamed from the image's file; an answer lost on the
    way is a reason to upload again later, as nothing was posted."""
    path = upload.image.local_path()
    try:
        with path.open("rb") as handle:
            if upload.file_field:
                request = client.build_request(
                    upload.method,
                    upload.url,
                    headers=dict(upload.headers),
                    data=dict(upload.fields),
                    files={
                        upload.file_field: (
                            upload.image.filename,
                            handle,
                            upload.image.content_type,
                        )
                    },
                )
            else:
                headers = {
                    **upload.headers,
                    "Content-Type": upload.image.content_type,
                    "Content-Length": str(path.stat().st_size),
                }
                request = client.build_request(
                    upload.method, upload.url, headers=headers, content=_chunks(path)
                )
            answer = await _send_built(client, request)
    except OSError as error:
        return RetryLater(f"could not read image {upload.image.sha256[:16]}: {error.strerror}")
    if isinstance(answer, Unknown):
        return RetryLater(f"image upload: {answer.reason}; nothing was posted")
    return answer


async def send_form(
    client: httpx.AsyncClient,
    url: str,
    fields: Mapping[str, str],
    files: Sequence[tuple[str, JobImage]],
) -> HttpResponse | NoAnswer:
    """``POST`` a multipart form of ``fields`` and one part per image (name, image), each
    streamed from its spool file. Unlike ``send_upload``, an answer lost after sending is
    ``Unknown``: such a form may be the post itself (Telegram's ``sendPhoto``)."""
    try:
        with ExitStack() as stack:
            parts = [
                (name, (image.filename, stack.enter_context(image.local_path().open("rb")),
                        image.content_type))
                for name, image in files
            ]  # fmt: skip
            request = client.build_request("POST", url, data=dict(fields), files=parts)
            return await _send_built(client, request)
    except OSError as error:  # nothing complete was sent: the platform acted on nothing
        return RetryLater(f"could not read an image to send: {error.strerror}")


async def _send_built(
    client: httpx.AsyncClient, request: httpx.Request
) -> HttpResponse | RetryLater | Failed | Unknown:
    try:
        response = await client.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        return RetryLater(f"could not connect: {type(error).__name__}")
    except httpx.HTTPError as error:
        return Unknown(f"no whole answer after sending ({type(error).__name__})")
    return HttpResponse(
        status=response.status_code, headers=response.headers, body=response.content
    )


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


async def send_small(
    client: httpx.AsyncClient, request: HttpRequest
) -> HttpResponse | RetryLater | Failed:
    """Send a request of the upload flow that carries no image (alt text, a status poll): like
    ``base.send``, but a lost answer only means asking again."""
    answer = await send(client, request)
    if isinstance(answer, Unknown):
        return RetryLater(f"{answer.reason}; nothing was posted")
    return answer


class KeptState:
    """A job's publish state as its upload flow adds ids to it: each addition saved durably
    (``save``) before the flow sends its next request, then kept here for the next step."""

    def __init__(self, job: PostJob, save: SaveState) -> None:
        self.values = dict(job.state)
        self._save = save

    async def keep(self, kept: Mapping[str, str]) -> None:
        await self._save(kept)
        self.values.update(kept)

    def job(self, job: PostJob) -> PostJob:
        """``job`` with the state as it now stands."""
        return replace(job, state=self.values)


def placeholder(position: int) -> str:
    """What a preview's request says where the id of image ``position`` (from 1) will go."""
    return f"<image {position}>"


def attached_ids(job: PostJob) -> list[str]:
    """The platform ids of the job's images, in order, from its publish state; a placeholder
    for each not uploaded yet (a preview)."""
    return [
        job.state.get(media_key(image)) or placeholder(position)
        for position, image in enumerate(job.images, start=1)
    ]


def media_key(image: JobImage) -> str:
    """The publish-state key under which an uploaded image's platform id is kept."""
    return state_key(image.sha256)


def state_key(sha256: str) -> str:
    """``media_key`` for the image with this SHA-256."""
    return f"media:{sha256}"


def remote_media_id(state: Mapping[str, str], sha256: str) -> str | None:
    """The platform's id of an uploaded image, as people and JSON see it: the id kept, or a
    Bluesky blob's content id (its whole blob object is what is kept)."""
    kept = state.get(state_key(sha256))
    if not kept or not kept.startswith("{"):
        return kept or None
    try:
        link = json.loads(kept)["ref"]["$link"]
    except (ValueError, KeyError, TypeError):
        return None
    return link if isinstance(link, str) else None


def uploaded_id(state: Mapping[str, str], image: JobImage, now: datetime) -> str | None:
    """The id an earlier attempt got for ``image``, if the platform still keeps it."""
    remote = state.get(media_key(image))
    until = state.get(media_key(image) + ":until")
    if remote is None:
        return None
    if until and datetime.fromisoformat(until) <= now:
        return None
    return remote


def remember_upload(image: JobImage, remote_id: str, until: datetime | None) -> dict[str, str]:
    """The publish state that keeps ``remote_id`` for ``image`` until ``until`` (None: as long
    as the post lives)."""
    state = {media_key(image): remote_id}
    state[media_key(image) + ":until"] = until.isoformat() if until else ""
    return state
