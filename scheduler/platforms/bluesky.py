"""Bluesky: an ``app.bsky.feed.post`` record made with ``com.atproto.repo.createRecord``.

Requests go out under the channel's session (``bluesky_sessions``); a refused or expired one is
renewed once and the request sent again.

Each post gets a record key of its own, a TID, kept before the request goes out: a resend
with the same key cannot make a second post, because the repository refuses a second record
at a key (a 500), and ``getRecord`` with the key tells whether a post exists (§4.4).

A link gets a card (``app.bsky.embed.external``). Bluesky does not fetch pages for cards and
Tidings must not reach out to the page either, so the card is titled with the link's host and
has no description; the facets that make links and hashtags work are in ``bluesky_facets``.

Images are uploaded as blobs before the record is created, and the record embeds them in the
card's place (``bluesky_images``); the blobs are kept in the publish state, so a retry reuses
them and creates the record under the same key. Only a thread's first part has images.

A part after the first replies to the part before it within the thread its first part began
(``bluesky_replies``): the record's ``reply`` names both by uri and cid, and each part keeps the
cid its record was created with (publish state ``cid``) for the parts after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import httpx

from drafts.channels import BlueskyChannel
from scheduler.credentials import token_place
from scheduler.outcomes import (
    Failed,
    NotPublished,
    Outcome,
    Published,
    RetryAt,
    RetryLater,
    Unknown,
)
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    JobImage,
    PostJob,
    SaveState,
    bearer,
    rate_limited_until,
    send,
)
from scheduler.platforms.bluesky_facets import find_facets
from scheduler.platforms.bluesky_images import (
    blob_missing,
    forget_blobs,
    images_embed,
    oversized,
    read_uploaded,
    remember_blob,
    upload_request,
)
from scheduler.platforms.bluesky_replies import (
    completed,
    kept_cid,
    reply_refs,
)
from scheduler.platforms.bluesky_sessions import Session, SessionError, Sessions
from scheduler.platforms.bluesky_xrpc import describe, session_problem, xrpc_error, xrpc_url
from scheduler.platforms.tid import next_tid
from scheduler.platforms.uploads import KeptState, send_upload, uploaded_id
from scheduler.retry import UnknownHandling

PUBLIC_APP = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
# Publish state keys: the record key and repository (kept), and this attempt's createdAt.
RKEY, REPO, CREATED_AT = "rkey", "repo", "created_at"
# What a preview shows before a post has a key or a send time (the TID of the epoch).
PLACEHOLDER_RKEY = "2222222222222"
PLACEHOLDER_CREATED_AT = "1970-01-01T00:00:00.000Z"

Sending = Callable[[str], Awaitable[HttpResponse | NotPublished]]
"""One request sent under an access token."""


class BlueskyAdapter(Adapter[BlueskyChannel]):
    platform: ClassVar[str] = "bluesky"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = BlueskyChannel

    def __init__(self) -> None:
        self._sessions = Sessions()

    def build(self, job: PostJob, channel: BlueskyChannel, secret: str) -> HttpRequest:
        """createRecord for the job; the key, repository and createdAt come from ``job.state``."""
        body = {
            "repo": job.state.get(REPO) or channel.handle,
            "collection": POST_COLLECTION,
            "rkey": job.state.get(RKEY) or PLACEHOLDER_RKEY,
            "record": post_record(
                job.text,
                job.language,
                job.state.get(CREATED_AT) or PLACEHOLDER_CREATED_AT,
                images_embed(job) if job.images else None,
                reply_refs(job.reply_to) if job.reply_to is not None else None,
            ),
        }
        return HttpRequest.with_json(
            "POST",
            xrpc_url(channel, "com.atproto.repo.createRecord"),
            body,
            headers=bearer(secret),
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["record"]["text"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        too_large = oversized(job.images)
        if too_large is not None:
            return Attempted(too_large)
        try:
            return await self._publish(client, job, channel, credentials, now, save)
        except SessionError as error:
            return Attempted(error.outcome)

    async def _publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        """Upload the images that have no live blob, keep the record key, then create the
        record; each id is saved before the next request goes out."""
        access = _Access(self._sessions, client, channel, credentials, now)
        await access.begin()
        uploaded = await self._upload_images(client, job, channel, access, now, save)
        if not isinstance(uploaded, PostJob):
            return Attempted(uploaded)
        job = uploaded
        replying = await completed(
            job, lambda key: send(client, get_record_request(channel, key.repo, key.rkey))
        )
        if not isinstance(replying, PostJob):
            return Attempted(replying)  # the post replied to cannot be named: nothing was sent
        job = replying
        sent_before = RKEY in job.state
        keys = {
            RKEY: job.state.get(RKEY) or next_tid(now),
            REPO: job.state.get(REPO) or access.session.did,
        }
        if any(job.state.get(name) != value for name, value in keys.items()):
            await save(keys)
        job = replace(job, state={**job.state, **keys, CREATED_AT: created_at(now)})
        response = await access.send(lambda token: send(client, self.build(job, channel, token)))
        if not isinstance(response, HttpResponse):
            return Attempted(response)
        if sent_before and response.status == 500:
            # The repository answers a taken key with a 500: an earlier attempt may have posted.
            return await self._after_collision(client, job, channel, response)
        if blob_missing(response):
            reason = f"the server no longer has an image ({describe(response)}); nothing was posted"
            return Attempted(RetryLater(reason, 400), forget_blobs(job, now))
        return _with_cid(read_created(response, channel, now), response)

    async def _upload_images(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: BlueskyChannel,
        access: _Access,
        now: datetime,
        save: SaveState,
    ) -> PostJob | RetryAt | RetryLater | Failed | Unknown:
        """The job with a live blob for each image in its state, each new one saved as soon as
        the server answered; or why an upload did not work (nothing is posted then)."""
        kept = KeptState(job, save)
        for position, image in enumerate(job.images, start=1):
            if uploaded_id(kept.values, image, now) is not None:
                continue
            answer = await access.send(partial(_upload_blob, client, channel, image))
            if not isinstance(answer, HttpResponse):
                return replace(answer, reason=f"image {position} upload: {answer.reason}")
            blob = read_uploaded(answer, position, now)
            if not isinstance(blob, dict):
                return blob
            await kept.keep(remember_blob(image, blob, now))
        return kept.job(job)

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        if RKEY not in job.state:
            return None  # the key is kept before sending: without one, nothing went out
        request = get_record_request(
            channel, job.state.get(REPO) or channel.handle, job.state[RKEY]
        )
        response = await send(client, request)
        if not isinstance(response, HttpResponse):
            return Unknown(f"could not ask Bluesky whether the post exists: {response.reason}")
        return read_record(response, job, channel)

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        try:
            session = await self._sessions.current(client, channel, credentials, now)
        except SessionError as error:
            raise ChannelCheckError(str(error)) from None
        return Identity(f"@{session.handle} ({session.did})", session.refresh_expires_at)

    async def _after_collision(
        self, client: httpx.AsyncClient, job: PostJob, channel: BlueskyChannel, answer: HttpResponse
    ) -> Attempted:
        said = describe(answer)
        response = await send(client, get_record_request(channel, job.state[REPO], job.state[RKEY]))
        if not isinstance(response, HttpResponse):
            reason = f"server error ({said}) and the check failed: {response.reason}"
            return Attempted(Unknown(reason, 500))
        found = read_record(response, job, channel)
        if found is None:
            return Attempted(
                RetryLater(f"server error ({said}); no post exists under its key yet", 500)
            )
        return _with_cid(found, response)


class _Access:
    """The channel's session for one attempt: a request refused for its session is sent once
    more under a renewed one (``SessionError`` when none can be had)."""

    def __init__(
        self,
        sessions: Sessions,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._channel = channel
        self._credentials = credentials
        self._now = now
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        assert self._session is not None, "begin() first"
        return self._session

    async def begin(self) -> None:
        self._session = await self._sessions.current(
            self._client, self._channel, self._credentials, self._now
        )

    async def send(self, sending: Sending) -> HttpResponse | NotPublished:
        response = await sending(self.session.access_jwt)
        problem = session_problem(response) if isinstance(response, HttpResponse) else None
        if problem is None:
            return response
        self._session = await self._sessions.renew(
            self._client,
            self._channel,
            self._credentials,
            self._now,
            stale=self.session,
            login=problem == "refused",
        )
        return await sending(self.session.access_jwt)


def _with_cid(outcome: Outcome, response: HttpResponse) -> Attempted:
    """``outcome``, keeping the cid the answer gave when the post exists (the parts after it
    name it in their reply refs)."""
    return Attempted(outcome, kept_cid(response) if isinstance(outcome, Published) else {})


async def _upload_blob(
    client: httpx.AsyncClient, channel: BlueskyChannel, image: JobImage, token: str
) -> HttpResponse | RetryLater | Failed:
    return await send_upload(client, upload_request(channel, image, token))


# --- the request -------------------------------------------------------------------------------


def public_url(channel: BlueskyChannel, rkey: str) -> str:
    """The post's page on bsky.app, whichever server holds the account."""
    return f"{PUBLIC_APP}/profile/{channel.handle}/post/{rkey}"


def created_at(now: datetime) -> str:
    """An atproto datetime: UTC, milliseconds, ``Z``."""
    if now.tzinfo is None:
        raise ValueError("createdAt needs an aware datetime")
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_record(
    text: str,
    language: str,
    created: str,
    images: dict[str, Any] | None = None,
    reply: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record: text, time, language, facets, the ``reply`` refs of
    a part after the first, and the ``images`` embed or else a link card (a record has one
    embed: images take the place of the card, and the link's facet keeps it clickable)."""
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": created,
        "langs": [language],
    }
    if reply is not None:
        record["reply"] = reply
    facets = find_facets(text)
    if facets:
        record["facets"] = [facet.to_json() for facet in facets]
    link = next((facet.value for facet in facets if facet.kind == "link"), None)
    if images is not None:
        record["embed"] = images
    elif link is not None:
        record["embed"] = link_card(link)
    return record


def link_card(url: str) -> dict[str, Any]:
    """A card for ``url`` made without fetching it: the host as title, no description."""
    return {
        "$type": "app.bsky.embed.external",
        "external": {"uri": url, "title": urlsplit(url).hostname or url, "description": ""},
    }


def get_record_request(channel: BlueskyChannel, repo: str, rkey: str) -> HttpRequest:
    query = urlencode({"repo": repo, "collection": POST_COLLECTION, "rkey": rkey})
    return HttpRequest("GET", f"{xrpc_url(channel, 'com.atproto.repo.getRecord')}?{query}")


# --- reading answers ---------------------------------------------------------------------------


def read_created(response: HttpResponse, channel: BlueskyChannel, now: datetime) -> Outcome:
    """A createRecord answer as an outcome."""
    status = response.status
    body = response.json()
    if status == 200 and isinstance(body, dict) and isinstance(body.get("uri"), str):
        uri = body["uri"]
        return Published(uri, public_url(channel, uri.rsplit("/", 1)[-1]), status)
    said = describe(response)
    if 200 <= status < 300:
        return Unknown(f"Bluesky answered {status} without the post's uri", status)
    if status == 429:
        return RetryAt(rate_limited_until(response.headers, now), f"rate limited ({said})", status)
    problem = session_problem(response)
    if problem == "expired":
        return RetryLater(f"the session expired again just after it was renewed ({said})", status)
    if problem == "refused":
        return Failed(
            f"Bluesky refused the session ({said}): check the app password in "
            f"{token_place(channel)}",
            status,
        )
    if status >= 500:
        # Safe to resend: the kept record key makes a second create fail, not duplicate.
        return RetryLater(f"server error ({said})", status)
    return Failed(f"refused ({said})", status)


def read_record(response: HttpResponse, job: PostJob, channel: BlueskyChannel) -> Outcome | None:
    """A getRecord answer: the post exists (Published), does not (None), or nobody can tell."""
    body = response.json()
    if response.status == 200 and isinstance(body, dict):
        value = body.get("value")
        rkey = job.state[RKEY]
        if not isinstance(value, dict) or value.get("text") != job.text:
            return Unknown(f"another record, not this post, already holds the key {rkey}", 200)
        uri = body.get("uri")
        if not isinstance(uri, str):
            uri = f"at://{job.state.get(REPO) or channel.handle}/{POST_COLLECTION}/{rkey}"
        return Published(uri, public_url(channel, rkey), 200)
    if response.status == 400 and xrpc_error(response)[0] == "RecordNotFound":
        return None
    return Unknown(
        f"Bluesky could not say whether the post exists ({describe(response)})", response.status
    )
