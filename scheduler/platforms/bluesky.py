"""Bluesky: an ``app.bsky.feed.post`` record made with ``com.atproto.repo.createRecord``.

Requests go out under the channel's session (``bluesky_sessions``); a refused or expired one is
renewed once and the request sent again.

Each post gets a record key of its own, a TID, kept before the request goes out: a resend
with the same key cannot make a second post, because the repository refuses a second record
at a key (a 500), and ``getRecord`` with the key tells whether a post exists (§4.4).

A link gets a card (``app.bsky.embed.external``). Bluesky does not fetch pages for cards and
Tidings must not reach out to the page either, so the card is titled with the link's host and
has no description; the facets that make links and hashtags work are in ``bluesky_facets``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import httpx

from drafts.channels import BlueskyChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    PostJob,
    SaveState,
    bearer,
    rate_limited_until,
    send,
)
from scheduler.platforms.bluesky_facets import find_facets
from scheduler.platforms.bluesky_sessions import SessionError, Sessions
from scheduler.platforms.bluesky_xrpc import describe, session_problem, xrpc_error, xrpc_url
from scheduler.platforms.tid import next_tid
from scheduler.retry import UnknownHandling

PUBLIC_APP = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
# Publish state keys: the record key and repository (kept), and this attempt's createdAt.
RKEY, REPO, CREATED_AT = "rkey", "repo", "created_at"
# What a preview shows before a post has a key or a send time (the TID of the epoch).
PLACEHOLDER_RKEY = "2222222222222"
PLACEHOLDER_CREATED_AT = "1970-01-01T00:00:00.000Z"


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
                job.text, job.language, job.state.get(CREATED_AT) or PLACEHOLDER_CREATED_AT
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
        try:
            session = await self._sessions.current(client, channel, credentials, now)
        except SessionError as error:
            return Attempted(error.outcome)
        sent_before = RKEY in job.state
        keys = {
            RKEY: job.state.get(RKEY) or next_tid(now),
            REPO: job.state.get(REPO) or session.did,
        }
        if any(job.state.get(name) != value for name, value in keys.items()):
            await save(keys)
        job = replace(job, state={**job.state, **keys, CREATED_AT: created_at(now)})
        response = await send(client, self.build(job, channel, session.access_jwt))
        problem = session_problem(response) if isinstance(response, HttpResponse) else None
        if problem is not None:
            try:
                session = await self._sessions.renew(
                    client, channel, credentials, now, stale=session, login=problem == "refused"
                )
            except SessionError as error:
                return Attempted(error.outcome)
            response = await send(client, self.build(job, channel, session.access_jwt))
        if not isinstance(response, HttpResponse):
            return Attempted(response)
        if sent_before and response.status == 500:
            # The repository answers a taken key with a 500: an earlier attempt may have posted.
            return Attempted(await self._after_collision(client, job, channel, response))
        return Attempted(read_created(response, channel, now))

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
    ) -> Outcome:
        said = describe(answer)
        response = await send(client, get_record_request(channel, job.state[REPO], job.state[RKEY]))
        if not isinstance(response, HttpResponse):
            return Unknown(f"server error ({said}) and the check failed: {response.reason}", 500)
        found = read_record(response, job, channel)
        if found is None:
            return RetryLater(f"server error ({said}); no post exists under its key yet", 500)
        return found


# --- the request -------------------------------------------------------------------------------


def public_url(channel: BlueskyChannel, rkey: str) -> str:
    """The post's page on bsky.app, whichever server holds the account."""
    return f"{PUBLIC_APP}/profile/{channel.handle}/post/{rkey}"


def created_at(now: datetime) -> str:
    """An atproto datetime: UTC, milliseconds, ``Z``."""
    if now.tzinfo is None:
        raise ValueError("createdAt needs an aware datetime")
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_record(text: str, language: str, created: str) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record: text, time, language, facets and a link card."""
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": created,
        "langs": [language],
    }
    facets = find_facets(text)
    if facets:
        record["facets"] = [facet.to_json() for facet in facets]
    link = next((facet.value for facet in facets if facet.kind == "link"), None)
    if link is not None:
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
            f"{channel.password_env}",
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
