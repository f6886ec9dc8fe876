"""Bluesky: an ``app.bsky.feed.post`` record made with ``com.atproto.repo.createRecord``.

The app password buys a session (``createSession``) once; the session lives in the vault and
serves every later post, across restarts. An expired access token is renewed with
``refreshSession``, and only a refused refresh logs in again (PLATFORMS.md §4.1).

Each post gets a record key of its own, a TID, kept before the request goes out: a resend
with the same key cannot make a second post, because the repository refuses a second record
at a key (a 500), and ``getRecord`` with the key tells whether a post exists (§4.4).

A link gets a card (``app.bsky.embed.external``). Bluesky does not fetch pages for cards and
Tidings must not reach out to the page either, so the card is titled with the link's host and
has no description; the facets that make links and hashtags work are in ``bluesky_facets``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import weakref
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode, urlsplit

import httpx

from drafts.channels import BlueskyChannel, ChannelBase
from scheduler.credentials import remember
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import (
    Attempted,
    ChannelCheckError,
    Credentials,
    HttpRequest,
    HttpResponse,
    Identity,
    PostJob,
    SaveState,
    send,
)
from scheduler.platforms.bluesky_facets import find_facets
from scheduler.platforms.tid import next_tid
from scheduler.rate_limits import reset_time
from scheduler.retry import UnknownHandling

logger = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
PUBLIC_APP = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
SESSION_KIND = "bluesky_session"
# Publish state keys: the record key and repository (kept), and this attempt's createdAt.
RKEY, REPO, CREATED_AT = "rkey", "repo", "created_at"
# What a preview shows before a post has a key or a send time (the TID of the epoch).
PLACEHOLDER_RKEY = "2222222222222"
PLACEHOLDER_CREATED_AT = "1970-01-01T00:00:00.000Z"
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=5)
# Renew a little before the stated expiry: clocks differ and the request takes time.
EXPIRY_MARGIN = timedelta(seconds=30)
AUTH_ERRORS = frozenset({"AuthenticationRequired", "InvalidToken"})


class BlueskyAdapter:
    platform: ClassVar[str] = "bluesky"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE

    def __init__(self) -> None:
        self._sessions = Sessions()

    def build(self, job: PostJob, channel: ChannelBase, secret: str) -> HttpRequest:
        """createRecord for the job; the key, repository and createdAt come from ``job.state``."""
        assert isinstance(channel, BlueskyChannel)
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
            headers={"Authorization": f"Bearer {secret}"},
        )

    def displayed_text(self, request: HttpRequest) -> str:
        return str(request.json()["record"]["text"])

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        assert isinstance(channel, BlueskyChannel)
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
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        assert isinstance(channel, BlueskyChannel)
        if RKEY not in job.state:
            return None  # the key is kept before sending: without one, nothing went out
        request = get_record_request(
            channel, job.state.get(REPO) or channel.handle, job.state[RKEY]
        )
        response = await send(client, request)
        if not isinstance(response, HttpResponse):
            return Unknown(f"could not ask Bluesky whether the post exists: {_why(response)}")
        return read_record(response, job, channel)

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        assert isinstance(channel, BlueskyChannel)
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
            return Unknown(f"server error ({said}) and the check failed: {_why(response)}", 500)
        found = read_record(response, job, channel)
        if found is None:
            return RetryLater(f"server error ({said}); no post exists under its key yet", 500)
        return found


# --- the request -------------------------------------------------------------------------------


def xrpc_url(channel: BlueskyChannel, method: str) -> str:
    return (channel.base_url or DEFAULT_SERVICE).rstrip("/") + "/xrpc/" + method


def public_url(channel: BlueskyChannel, rkey: str) -> str:
    """The post's page: bsky.app, or the channel's own server (a sandbox, a staging PDS)."""
    site = channel.base_url.rstrip("/") if channel.base_url else PUBLIC_APP
    return f"{site}/profile/{channel.handle}/post/{rkey}"


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


def xrpc_error(response: HttpResponse) -> tuple[str, str]:
    """The XRPC error name and message of an answer (``{"error", "message"}``)."""
    body = response.json()
    name = message = ""
    if isinstance(body, dict):
        name = body["error"] if isinstance(body.get("error"), str) else ""
        message = body["message"] if isinstance(body.get("message"), str) else ""
    if not name:
        return "", message or response.text(200) or "no message"
    return name, message or name


def describe(response: HttpResponse) -> str:
    name, message = xrpc_error(response)
    return f"{response.status} {name}: {message}" if name else f"{response.status}: {message}"


def session_problem(response: HttpResponse) -> Literal["expired", "refused"] | None:
    """Whether createRecord was refused for its session: expired (refresh) or refused (log in)."""
    name, _ = xrpc_error(response)
    if name == "ExpiredToken":
        return "expired"
    if response.status == 401 or name in AUTH_ERRORS:
        return "refused"
    return None


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
        at = reset_time(response.headers, now) or now + DEFAULT_RATE_LIMIT_WAIT
        return RetryAt(at, f"rate limited ({said})", status)
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


# --- sessions ----------------------------------------------------------------------------------


class SessionError(Exception):
    """No session could be had; ``outcome`` says what that means for the post."""

    def __init__(self, outcome: RetryAt | RetryLater | Failed | Unknown) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass(frozen=True)
class Session:
    """A Bluesky session as the vault keeps it; the tokens never show in a repr."""

    identifier: str  # the handle it was made for: a changed handle needs a new one
    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Any, identifier: str) -> Session | None:
        if not isinstance(data, dict):
            return None
        fields = [data.get(name) for name in ("did", "accessJwt", "refreshJwt")]
        if not all(isinstance(value, str) and value for value in fields):
            return None
        did, access, refresh = (str(value) for value in fields)
        remember(access)  # a session's tokens are secrets like the app password
        remember(refresh)
        handle = data.get("handle")
        return cls(
            identifier, did, handle if isinstance(handle, str) else identifier, access, refresh
        )

    def to_json(self) -> str:
        return json.dumps(
            {"identifier": self.identifier, "did": self.did, "handle": self.handle,
             "accessJwt": self.access_jwt, "refreshJwt": self.refresh_jwt}
        )  # fmt: skip

    @property
    def access_expires_at(self) -> datetime | None:
        return jwt_expiry(self.access_jwt)

    @property
    def refresh_expires_at(self) -> datetime | None:
        return jwt_expiry(self.refresh_jwt)


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read without checking the signature (it is our own token)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, ValueError, TypeError, KeyError, OverflowError):
        return None


def _expired(at: datetime | None, now: datetime) -> bool:
    return at is not None and at <= now + EXPIRY_MARGIN


class Sessions:
    """Each channel's session: from the vault, renewed by one task at a time per channel."""

    def __init__(self) -> None:
        # asyncio locks belong to one event loop; tests and commands each run their own.
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    async def current(
        self,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
    ) -> Session:
        """A session whose access token has not expired: the stored one, refreshed or new."""
        stored = await _load(channel, credentials)
        if stored is not None and not _expired(stored.access_expires_at, now):
            return stored
        return await self.renew(client, channel, credentials, now, stale=stored)

    async def renew(
        self,
        client: httpx.AsyncClient,
        channel: BlueskyChannel,
        credentials: Credentials,
        now: datetime,
        *,
        stale: Session | None,
        login: bool = False,
    ) -> Session:
        """Replace ``stale``: refresh it (unless ``login``), else log in with the app password.

        If another task replaced it meanwhile, that session is used: one login, not one each.
        """
        async with self._lock(channel.id):
            stored = await _load(channel, credentials)
            if (
                stored is not None
                and stored != stale
                and not _expired(stored.access_expires_at, now)
            ):
                return stored
            session = None
            if stored is not None and not login and not _expired(stored.refresh_expires_at, now):
                session = await _refresh(client, channel, stored, now)
            if session is None:
                session = await _create(client, channel, credentials, now)
            await credentials.vault.save(
                channel.id, SESSION_KIND, session.to_json(), session.refresh_expires_at
            )
            return session

    def _lock(self, channel: str) -> asyncio.Lock:
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(channel, asyncio.Lock())


async def _load(channel: BlueskyChannel, credentials: Credentials) -> Session | None:
    stored = await credentials.vault.load(channel.id, SESSION_KIND)
    if stored is None:
        return None
    try:
        data = json.loads(stored.value)
    except ValueError:
        logger.warning("the stored Bluesky session of channel %s is unreadable", channel.id)
        return None
    session = Session.from_json(data, channel.handle)
    if session is None or data.get("identifier") != channel.handle:
        return None
    return session


async def _refresh(
    client: httpx.AsyncClient, channel: BlueskyChannel, stale: Session, now: datetime
) -> Session | None:
    """The refreshed session, or None when Bluesky refuses the refresh token."""
    url = xrpc_url(channel, "com.atproto.server.refreshSession")
    response = await send(
        client, HttpRequest("POST", url, {"Authorization": f"Bearer {stale.refresh_jwt}"})
    )
    if not isinstance(response, HttpResponse):
        raise SessionError(RetryLater(f"could not refresh the Bluesky session: {_why(response)}"))
    if response.status == 200:
        session = Session.from_json(response.json(), channel.handle)
        if session is not None:
            logger.info("refreshed the Bluesky session of channel %s", channel.id)
            return session
    elif response.status == 429 or response.status >= 500:
        raise SessionError(_session_trouble("refresh the session", response, channel, now))
    logger.info("Bluesky refused to refresh the session of channel %s; logging in", channel.id)
    return None


async def _create(
    client: httpx.AsyncClient, channel: BlueskyChannel, credentials: Credentials, now: datetime
) -> Session:
    url = xrpc_url(channel, "com.atproto.server.createSession")
    body = {"identifier": channel.handle, "password": credentials.secret}
    response = await send(client, HttpRequest.with_json("POST", url, body))
    if not isinstance(response, HttpResponse):
        raise SessionError(RetryLater(f"could not log in to Bluesky: {_why(response)}"))
    session = Session.from_json(response.json(), channel.handle) if response.status == 200 else None
    if session is None:
        raise SessionError(_session_trouble("log in", response, channel, now, credentials.secret))
    logger.info("created a Bluesky session for channel %s", channel.id)
    return session


def _why(outcome: Outcome) -> str:
    """Why a request went nowhere (``send`` never returns Published)."""
    return "it was published" if isinstance(outcome, Published) else outcome.reason


def _session_trouble(
    doing: str, response: HttpResponse, channel: BlueskyChannel, now: datetime, password: str = ""
) -> RetryAt | RetryLater | Failed:
    said = describe(response)
    if password:
        said = said.replace(password, "[secret]")  # in case a server ever echoes it
    status = response.status
    if status == 429:
        at = reset_time(response.headers, now) or now + DEFAULT_RATE_LIMIT_WAIT
        return RetryAt(at, f"rate limited while trying to {doing} ({said})", status)
    if status >= 500 or status == 200:
        return RetryLater(f"Bluesky could not {doing} ({said})", status)
    if status == 401 or xrpc_error(response)[0] in AUTH_ERRORS:
        return Failed(
            f"Bluesky refused the login for {channel.handle} ({said}): check the app password "
            f"in {channel.password_env}",
            status,
        )
    return Failed(f"Bluesky refused to {doing} ({said})", status)
