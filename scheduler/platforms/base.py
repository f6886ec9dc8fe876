"""The adapter protocol: a pure request builder and a pure response reader per platform.

The builder turns a post and its channel into the exact request (method, URL, headers, body);
the review preview, the length check and the daemon all call it. The reader turns a response
into an ``Outcome``. Only ``send`` touches the network, through the ``httpx.AsyncClient`` the
daemon hands in; a channel's ``base_url`` says where that is (a staging server, or the loopback
server tests use), and an adapter builds the same requests and links whatever it is.

``Adapter[C]`` is generic in its channel type: ``scheduler.platforms.adapter_for`` checks a
channel's type once, where an adapter is chosen, so no adapter checks what it was given. The
steps every adapter shares live here: the API origin, sending and reading an answer, the wait
after a rate limit that names no reset, and reading an identity endpoint's answer.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

import httpx

from drafts.channels import ChannelBase
from drafts.config import OAuthApp
from drafts.errors import PlatformError
from drafts.media import EXTENSIONS, PostImage
from scheduler.credentials import checked
from scheduler.outcomes import Failed, NotPublished, Outcome, RetryAt, RetryLater, Unknown
from scheduler.rate_limits import reset_time
from scheduler.retry import UnknownHandling

C = TypeVar("C", bound=ChannelBase)

NoAnswer = RetryLater | Failed | Unknown
"""Why ``send`` has no answer: never written (Failed), never arrived (RetryLater), or lost
after it went out (Unknown)."""

# A rate limit that names no reset waits this long: the longest short window the platforms
# document (X's 15 minutes, a quarter of Meta's hour), so a refusal is not asked again too soon.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)


@dataclass(frozen=True)
class HttpRequest:
    """One request exactly as it goes on the wire."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None

    @classmethod
    def with_json(
        cls, method: str, url: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> HttpRequest:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(
            method=method,
            url=url,
            headers={**(headers or {}), "Content-Type": "application/json; charset=utf-8"},
            content=content,
        )

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


@dataclass(frozen=True)
class HttpResponse:
    """What came back, read completely."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self, limit: int = 300) -> str:
        return self.body.decode("utf-8", errors="replace")[:limit]


@dataclass(frozen=True)
class JobImage:
    """One image a post sends, as its platform gets it (``drafts.media.PostImage``)."""

    sha256: str
    content_type: str
    width: int
    height: int
    bytes: int
    alt: str
    # A local file holding exactly these bytes, to stream uploads from (None in a preview).
    path: Path | None = None
    # A signed link where ``tidings web`` serves the bytes ([media] public_url), if set.
    url: str | None = None

    @classmethod
    def sent(
        cls, image: PostImage, *, path: Path | None = None, url: str | None = None
    ) -> JobImage:
        """``image`` as an adapter gets it: with its spool file and public link once the
        daemon has them, without them in a preview."""
        stored = image.image
        return cls(
            sha256=stored.sha256,
            content_type=stored.content_type,
            width=stored.width,
            height=stored.height,
            bytes=stored.bytes,
            alt=image.alt,
            path=path,
            url=url,
        )

    @property
    def filename(self) -> str:
        return f"{self.sha256[:16]}.{EXTENSIONS[self.content_type]}"

    def local_path(self) -> Path:
        if self.path is None:
            raise ValueError(f"image {self.sha256[:16]} has no local file (a preview)")
        return self.path


@dataclass(frozen=True)
class PublishedPart:
    """A published part of a chain, as a later part refers to it: its remote id, and the ids
    its adapter kept (Bluesky's record ``uri`` and ``cid``)."""

    remote_id: str
    state: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyTo:
    """Where a part after the first goes: a reply to ``parent`` (the part before it) in the
    chain begun by ``root`` (the first part). ``comment`` says the part is the first comment,
    which LinkedIn and Facebook publish as a comment on the root, the others as a reply."""

    parent: PublishedPart
    root: PublishedPart
    comment: bool = False


def commented_post(job: PostJob) -> str:
    """The remote id of the post a first comment goes under (LinkedIn, Facebook): the chain's
    first part."""
    assert job.reply_to is not None, "a comment is a part after the first"
    return job.reply_to.root.remote_id


# A post or comment just made may take a moment to be listed where a check looks for it.
LISTING_GRACE = timedelta(minutes=1)


def look_again(since: datetime, now: datetime, service: str, what: str) -> RetryAt | None:
    """For a check whose listing does not hold the ``what`` an attempt sent at ``since``: look
    again before sending anything, until ``LISTING_GRACE`` has passed; None after."""
    if now - since >= LISTING_GRACE:
        return None
    return RetryAt(
        since + LISTING_GRACE,
        f"{service} does not list the earlier attempt's {what} (yet); looking again before "
        "sending anything",
        channel_wide=False,
    )


@dataclass(frozen=True)
class PostJob:
    """What an adapter needs to publish one post (no database, no secrets): one part of its
    chain, with the part it replies to (None for the first part)."""

    post_id: int
    text: str
    language: str
    idempotency_key: str
    state: Mapping[str, str] = field(default_factory=dict)
    first_attempt_at: datetime | None = None
    last_sent_at: datetime | None = None  # the last create request: a check looks from then
    images: tuple[JobImage, ...] = ()
    reply_to: ReplyTo | None = None


@dataclass(frozen=True)
class Attempted:
    """An adapter's result: the outcome, plus ids it chose that must outlive the attempt."""

    outcome: Outcome
    state: Mapping[str, str] = field(default_factory=dict)


SaveState = Callable[[Mapping[str, str]], Awaitable[None]]
"""Durably merge ids into the post's publish state before the next request goes out."""


class Vault(Protocol):
    """Tokens the daemon obtained itself (refreshed OAuth tokens, sessions), kept encrypted."""

    async def load(self, channel: str, kind: str) -> StoredSecret | None: ...

    async def save(
        self, channel: str, kind: str, value: str, expires_at: datetime | None
    ) -> None: ...


class RenewalTurn(Protocol):
    """A channel's turn to renew its token: no other task or daemon renews it until the turn
    ends, so a rotating refresh token is spent once (``scheduler.renewal``)."""

    @property
    def connected(self) -> bool:
        """Whether the channel was connected from the web app: its tokens were granted to the
        ``[oauth.<platform>]`` app, not to one its environment variables name."""
        ...

    @property
    def app(self) -> OAuthApp | None:
        """``[oauth.<platform>]``, when config.toml has it."""
        ...

    async def renewed(self, token: str, expires_at: datetime | None, refresh: str | None) -> None:
        """Store what the renewal obtained, the refresh token first (the old one is spent)."""
        ...


@runtime_checkable
class TakesTurns(Protocol):
    """A vault whose renewals take turns across daemons (the daemon's own)."""

    def renewing(self, channel: ChannelBase) -> AbstractAsyncContextManager[RenewalTurn]: ...


@dataclass(frozen=True)
class StoredSecret:
    value: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Credentials:
    """Where an adapter gets secrets: the channel's environment variable, and the vault."""

    secret: str
    vault: Vault
    environment: Mapping[str, str] = field(default_factory=dict)

    def env(self, name: str | None) -> str:
        """Another environment variable the channel names (a refresh token, a client id),
        checked as ``scheduler.credentials.checked`` does."""
        return checked(name, self.environment.get(name, "")) if name else ""


@dataclass(frozen=True)
class Identity:
    """Who a channel posts as, for ``tidings channels check``."""

    name: str
    token_expires_at: datetime | None = None
    # Counting rules the platform reported about itself (a Mastodon instance's limits).
    text_limits: Mapping[str, int] | None = None
    media_limits: Mapping[str, Any] | None = None  # what it takes in images (Mastodon's)
    # Why the platform was not asked at all (a webhook has nothing to ask): None when it was.
    unchecked: str | None = None


class ChannelCheckError(PlatformError):
    """A channel's identity endpoint refused or could not be reached; the message says why."""


class Adapter(ABC, Generic[C]):
    """One platform: how to publish to it and what it offers when an outcome is unknown.

    ``channel_type`` is the channel model it takes; ``adapter_for`` only hands it those."""

    platform: ClassVar[str]
    unknown_handling: ClassVar[UnknownHandling]
    channel_type: type[C]

    @abstractmethod
    def build(self, job: PostJob, channel: C, secret: str) -> HttpRequest:
        """The request that creates the post: pure, shared with the preview."""

    @abstractmethod
    def displayed_text(self, request: HttpRequest) -> str:
        """The text the platform will show for this request (what reviewers see)."""

    def follow_ups(self, job: PostJob, channel: C, secret: str) -> tuple[HttpRequest, ...]:
        """Requests that publish the rest of the post right after ``build``'s (Telegram's text
        after photos whose caption cannot hold it): pure, shown in the preview too."""
        return ()

    @abstractmethod
    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: C,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        """Send, and read what came back. Ids chosen before sending go through ``save`` first."""

    @abstractmethod
    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: C,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        """After an unknown outcome: the post's fate if the platform can tell, None when it is
        safe to send again, or ``Unknown`` when nobody can tell without a person."""

    @abstractmethod
    async def identify(
        self, client: httpx.AsyncClient, channel: C, credentials: Credentials, now: datetime
    ) -> Identity:
        """Call the channel's identity endpoint; ``ChannelCheckError`` when it fails."""

    async def send_and_read(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: C,
        secret: str,
        read: Callable[[HttpResponse], Outcome],
    ) -> Outcome:
        """Send the request ``build`` makes and read the answer with ``read``; without an
        answer, why there is none."""
        response = await send(client, self.build(job, channel, secret))
        return read(response) if isinstance(response, HttpResponse) else response


def api_origin(channel: ChannelBase, api: str) -> str:
    """Where the channel's API requests go: its ``base_url`` if set, else the platform's ``api``
    origin; request paths are appended to it unchanged."""
    return (channel.base_url or api).rstrip("/")


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def rate_limited_until(
    headers: Mapping[str, str], now: datetime, *, retry_after_seconds: float | None = None
) -> datetime:
    """When to ask again after a rate limit: what the answer says (``rate_limits.reset_time``),
    else ``DEFAULT_RATE_LIMIT_WAIT`` from now."""
    told = reset_time(headers, now, retry_after_seconds=retry_after_seconds)
    return told or now + DEFAULT_RATE_LIMIT_WAIT


def identity_answer(
    response: HttpResponse | NotPublished, refusal: Callable[[HttpResponse], str]
) -> dict[str, Any]:
    """The JSON object an identity endpoint answered with; a ``ChannelCheckError`` saying it
    could not be reached, or ``refusal(response)`` for any other answer than 200 with one."""
    if not isinstance(response, HttpResponse):
        raise ChannelCheckError(f"unreachable: {response.reason}")
    body = response.json()
    if response.status != 200 or not isinstance(body, dict):
        raise ChannelCheckError(refusal(response))
    return body


async def send(client: httpx.AsyncClient, request: HttpRequest) -> HttpResponse | NoAnswer:
    """Send ``request``; a transport failure becomes an outcome that says whether the
    request can have reached the platform."""
    try:
        built = client.build_request(
            request.method, request.url, headers=dict(request.headers), content=request.content
        )
    except (httpx.InvalidURL, ValueError) as error:  # a malformed URL, a non-ASCII header
        return _not_written(error)
    try:
        response = await client.send(built)
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as error:
        # h11 refuses a header value with a line break before writing a byte of the request.
        return _not_written(error)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        return RetryLater(f"could not connect: {_describe(error)}")
    except (httpx.ReadTimeout, httpx.WriteTimeout) as error:
        return Unknown(f"no answer in time after sending ({_describe(error)})")
    except httpx.HTTPError as error:  # reset or cut short after the request went out
        return Unknown(f"the connection broke after sending ({_describe(error)})")
    return HttpResponse(
        status=response.status_code, headers=response.headers, body=response.content
    )


def _not_written(error: Exception) -> Failed:
    """Nothing reached the platform, and the same request would be refused again. The error's
    own text quotes what it refused (an ``Authorization`` header, token and all): only its
    name is kept."""
    return Failed(f"not sent: the request could not be written ({type(error).__name__})")


def _describe(error: httpx.HTTPError) -> str:
    # Past writing, httpx's messages name the failure rather than quote the request.
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
