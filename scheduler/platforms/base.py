"""The adapter protocol: a pure request builder and a pure response reader per platform.

The builder turns a post and its channel into the exact request (method, URL, headers, body);
the review preview, the length check and the daemon all call it. The reader turns a response
into an ``Outcome``. Only ``send`` touches the network, through the ``httpx.AsyncClient`` the
daemon hands in (tests point ``base_url`` at the loopback sandbox).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx

from drafts.channels import ChannelBase
from scheduler.credentials import checked
from scheduler.outcomes import Failed, Outcome, RetryLater, Unknown
from scheduler.retry import UnknownHandling


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
class PostJob:
    """What an adapter needs to publish one post (no database, no secrets)."""

    post_id: int
    text: str
    language: str
    idempotency_key: str
    state: Mapping[str, str] = field(default_factory=dict)
    first_attempt_at: datetime | None = None
    last_sent_at: datetime | None = None  # the last create request: a check looks from then


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


class ChannelCheckError(Exception):
    """A channel's identity endpoint refused or could not be reached; the message says why."""


class Adapter(Protocol):
    """One platform: how to publish to it and what it offers when an outcome is unknown."""

    platform: ClassVar[str]
    unknown_handling: ClassVar[UnknownHandling]

    def build(self, job: PostJob, channel: ChannelBase, secret: str) -> HttpRequest:
        """The request that creates the post: pure, shared with the preview."""
        ...

    def displayed_text(self, request: HttpRequest) -> str:
        """The text the platform will show for this request (what reviewers see)."""
        ...

    async def publish(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
        save: SaveState,
    ) -> Attempted:
        """Send, and read what came back. Ids chosen before sending go through ``save`` first."""
        ...

    async def reconcile(
        self,
        client: httpx.AsyncClient,
        job: PostJob,
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
    ) -> Outcome | None:
        """After an unknown outcome: the post's fate if the platform can tell, None when it is
        safe to send again, or ``Unknown`` when nobody can tell without a person."""
        ...

    async def identify(
        self,
        client: httpx.AsyncClient,
        channel: ChannelBase,
        credentials: Credentials,
        now: datetime,
    ) -> Identity:
        """Call the channel's identity endpoint; ``ChannelCheckError`` when it fails."""
        ...


async def send(
    client: httpx.AsyncClient, request: HttpRequest
) -> HttpResponse | RetryLater | Failed | Unknown:
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
