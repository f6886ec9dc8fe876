"""X images: each uploaded with ``POST /2/media/upload``, its alt text set with
``POST /2/media/metadata``, before the post attaches them (PLATFORMS.md §10.1).

Sources, docs.x.com: "Upload media" (multipart ``media`` and ``media_category=tweet_image``,
answering ``data.id`` and ``data.expires_after_secs``), "Create Media metadata" (``{"id",
"metadata": {"alt_text": {"text"}}}``); the v1.1 "POST media/metadata/create" page gives the
alt text limit (at most 1,000 characters) and "POST media/upload (FINALIZE)" says an id used
after ``expires_after_secs`` is refused with a 4xx.

An image's id is saved as soon as X gives it, kept while X keeps it, and its alt text is
marked set under that id once X took it: a retry uploads only the images that have no live id
and sets only the alt text still missing, so no image goes out without its alt text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from drafts.channels import XChannel
from scheduler.outcomes import Failed, NotPublished, RetryAt, RetryLater
from scheduler.platforms.base import (
    Credentials,
    HttpRequest,
    HttpResponse,
    JobImage,
    PostJob,
    SaveState,
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
from scheduler.platforms.x_oauth import api_base, as_user
from scheduler.platforms.x_problems import problem_message

# An id this close to X's expiry is uploaded again rather than sent to be refused.
EXPIRY_MARGIN = timedelta(minutes=5)


def alt_key(image: JobImage) -> str:
    """The publish-state key holding the media id whose alt text X has taken."""
    return media_key(image) + ":alt"


async def upload_images(
    client: httpx.AsyncClient,
    job: PostJob,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    save: SaveState,
) -> PostJob | NotPublished:
    """``job`` with a live X media id for every image in its state, each with its alt text
    set; or why not (nothing was posted)."""
    kept = KeptState(job, save)
    for position, image in enumerate(job.images, start=1):
        remote = uploaded_id(kept.values, image, now)
        if remote is None:
            uploaded = await _upload(client, channel, credentials, now, image, position)
            if not isinstance(uploaded, tuple):
                return uploaded
            remote, until = uploaded
            await kept.keep(remember_upload(image, remote, until))
        if image.alt and kept.values.get(alt_key(image)) != remote:
            refused = await _describe(client, channel, credentials, now, remote, image, position)
            if refused is not None:
                return refused
            await kept.keep({alt_key(image): remote})
    return kept.job(job)


async def _upload(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    image: JobImage,
    position: int,
) -> tuple[str, datetime] | NotPublished:
    """The media id X gave ``image`` and until when to use it, or why there is none."""

    def upload(token: str) -> Upload:
        return Upload(
            "POST",
            api_base(channel) + "/2/media/upload",
            image,
            headers=bearer(token),
            fields={"media_category": "tweet_image"},
            file_field="media",
        )

    answer, _ = await as_user(
        client, channel, credentials, now, lambda token: send_upload(client, upload(token))
    )
    if not isinstance(answer, HttpResponse):
        return answer
    if answer.status not in (200, 201):
        return _refused(answer, now, f"the upload of image {position}")
    return read_upload(answer, now, position)


def read_upload(
    response: HttpResponse, now: datetime, position: int
) -> tuple[str, datetime] | NotPublished:
    """A 2xx ``POST /2/media/upload`` answer: the id, and until when X keeps it (now, when
    X does not say: reused within this attempt only)."""
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str | int):
        return RetryLater(f"X answered the upload of image {position} without a media id")
    remote, seconds = data["id"], data.get("expires_after_secs")
    if isinstance(seconds, int) and seconds > 0:
        return str(remote), now + timedelta(seconds=seconds) - EXPIRY_MARGIN
    return str(remote), now


async def _describe(
    client: httpx.AsyncClient,
    channel: XChannel,
    credentials: Credentials,
    now: datetime,
    remote: str,
    image: JobImage,
    position: int,
) -> NotPublished | None:
    """Give the uploaded image ``remote`` its alt text; None once X took it."""
    answer, _ = await as_user(
        client,
        channel,
        credentials,
        now,
        lambda token: send_small(client, alt_text_request(channel, token, remote, image.alt)),
    )
    if not isinstance(answer, HttpResponse):
        return answer
    if 200 <= answer.status < 300:
        return None
    return _refused(answer, now, f"the alt text of image {position}")


def alt_text_request(channel: XChannel, token: str, remote: str, alt: str) -> HttpRequest:
    """``POST /2/media/metadata`` giving the image ``remote`` its alt text."""
    return HttpRequest.with_json(
        "POST",
        api_base(channel) + "/2/media/metadata",
        {"id": remote, "metadata": {"alt_text": {"text": alt}}},
        headers=bearer(token),
    )


def _refused(response: HttpResponse, now: datetime, what: str) -> NotPublished:
    """Why X would not take ``what``: a rate limit waits, a server error is tried again
    later, any other refusal would repeat. Nothing was posted either way."""
    status, message = response.status, problem_message(response.json(), response)
    if status == 429:
        at = rate_limited_until(response.headers, now)
        return RetryAt(at, f"rate limited by X for {what}: {message}", status)
    if status >= 500:
        return RetryLater(f"X answered {status} to {what} ({message}); nothing was posted", status)
    if status == 403:
        # Uploads need the media.write scope besides tweet.write (PLATFORMS.md §10.3).
        message += "; check that the account was connected with the media.write scope"
    return Failed(f"X refused {what} ({status}): {message}", status)
