"""Test doubles every test shares, in one place (STYLE.md pattern 14): a clock that moves only when
told, a vault in memory, a post to publish, the ``save`` callback, a platform's answers, a scripted platform behind
``httpx.MockTransport`` that refuses any request it was not told to expect, and runs of an
adapter's steps against it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import parse_qsl

import httpx

from scheduler.outcomes import Outcome
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    C,
    ChannelCheckError,
    Credentials,
    HttpResponse,
    Identity,
    PostJob,
    PublishedPart,
    ReplyTo,
    StoredSecret,
)

T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]
Reply = httpx.Response | Handler


class Clock:
    """An aware time that moves only when a test moves it: hand it where a ``now`` is taken
    (``Daemon(now=...)``, ``SandboxState(clock=...)``) instead of sleeping on the real clock."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


class MemoryVault:
    """The ``Vault`` protocol over a dict; ``saves`` lists what was stored, in order."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], StoredSecret] = {}
        self.saves: list[tuple[str, str]] = []

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return self.secrets.get((channel, kind))

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        self.secrets[(channel, kind)] = StoredSecret(value, expires_at)
        self.saves.append((channel, kind))


def job(
    text: str,
    *,
    language: str = "en",
    state: Mapping[str, str] | None = None,
    first_attempt_at: datetime | None = None,
    last_sent_at: datetime | None = None,
) -> PostJob:
    """Post 1, to publish: ``first_attempt_at`` when its first attempt began, ``last_sent_at``
    when its last create request went out (both as the engine keeps them)."""
    return PostJob(
        post_id=1,
        text=text,
        language=language,
        idempotency_key="k",
        state=dict(state or {}),
        first_attempt_at=first_attempt_at,
        last_sent_at=last_sent_at,
    )


def first_comment(root: str, text: str, *, sent_at: datetime) -> PostJob:
    """The first comment on the published post ``root`` (part 2 of a one-part post), whose
    last create request went out at ``sent_at``, its first attempt a second before."""
    post = PublishedPart(root)
    return PostJob(
        post_id=2,
        text=text,
        language="en",
        idempotency_key="k2",
        first_attempt_at=sent_at - timedelta(seconds=1),
        last_sent_at=sent_at,
        reply_to=ReplyTo(parent=post, root=post, comment=True),
    )


class Saved:
    """The ``save`` callback an adapter is given: merges state as the daemon does and keeps
    each save; ``on_save`` looks at the world (the sandbox, a scripted platform) right then."""

    def __init__(self, on_save: Callable[[Mapping[str, str]], None] | None = None) -> None:
        self.state: dict[str, str] = {}
        self.saves: list[dict[str, str]] = []
        self.on_save = on_save

    async def __call__(self, state: Mapping[str, str]) -> None:
        if self.on_save is not None:
            self.on_save(state)
        self.saves.append(dict(state))
        self.state.update(state)


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> HttpResponse:
    """A platform's answer as an adapter reads it: ``body`` as JSON, or empty when None."""
    content = b"" if body is None else json.dumps(body).encode()
    return HttpResponse(status, headers or {}, content)


def reply(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The same answer on the wire, for a ``ScriptedPlatform`` or a ``MockTransport`` handler."""
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def timeout(request: httpx.Request) -> httpx.Response:
    """A reply that never comes: the request went out and no answer arrived in time."""
    raise httpx.ReadTimeout("timed out", request=request)


def graph_error(code: int, subcode: int | None = None) -> dict[str, object]:
    """The Graph error body of PLATFORMS.md §5.2 with another code (Facebook, Threads)."""
    error: dict[str, object] = {
        "message": "Message describing the error",
        "type": "OAuthException",
        "code": code,
        "error_subcode": subcode,
        "error_user_title": "A title",
        "error_user_msg": "A message",
        "fbtrace_id": "EJplcsCHuLu",
    }
    if subcode is None:
        del error["error_subcode"]
    return {"error": error}


class ScriptedPlatform:
    """Answers each (method, path) from a queue of replies; refuses anything unscripted."""

    def __init__(self, script: Mapping[tuple[str, str], list[Reply]]) -> None:
        self.script = {key: list(replies) for key, replies in script.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.script.get((request.method, request.url.path))
        if not replies:
            raise AssertionError(f"unscripted request {request.method} {request.url}")
        next_reply = replies.pop(0)
        return next_reply(request) if callable(next_reply) else next_reply

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]


def run_against(platform: Handler, work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``work`` with a client whose every request goes to ``platform``, in memory."""

    async def go() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
            return await work(client)

    return asyncio.run(go())


def run_with_client(
    work: Callable[[httpx.AsyncClient], Awaitable[T]], *, timeout: float = 5.0
) -> T:
    """Run ``work`` with a real client (to the loopback sandbox) that waits ``timeout`` seconds
    for an answer: shorter than the sandbox's delay makes an unknown outcome."""

    async def go() -> T:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await work(client)

    return asyncio.run(go())


@dataclass(frozen=True)
class Scripted(Generic[C]):
    """One adapter and channel, each step run against a scripted platform."""

    adapter: Adapter[C]
    channel: C
    credentials: Credentials
    now: datetime

    def publish(
        self, post: PostJob, platform: Handler
    ) -> tuple[Attempted, list[tuple[dict[str, str], int]]]:
        """The attempt, and each save with how many requests had gone out by then."""
        counted = platform.requests if isinstance(platform, ScriptedPlatform) else []
        saves: list[tuple[dict[str, str], int]] = []
        saved = Saved(on_save=lambda state: saves.append((dict(state), len(counted))))
        attempted = run_against(
            platform,
            lambda client: self.adapter.publish(
                client, post, self.channel, self.credentials, self.now, saved
            ),
        )
        return attempted, saves

    def reconcile(self, post: PostJob, platform: Handler) -> Outcome | None:
        """What the adapter's check makes of ``post``."""
        return run_against(
            platform,
            lambda client: self.adapter.reconcile(
                client, post, self.channel, self.credentials, self.now
            ),
        )

    def identify(self, platform: Handler, channel: C | None = None) -> str:
        """The name ``channels check`` shows for the channel, or ``error: …`` saying why not."""

        async def check(client: httpx.AsyncClient) -> str:
            checked = channel or self.channel
            try:
                identity = await self.adapter.identify(client, checked, self.credentials, self.now)
            except ChannelCheckError as error:
                return f"error: {error}"
            return identity.name

        return run_against(platform, check)


# -- X: a token endpoint that rotates, a create and /2/users/me -------------------------------

X_CREATED = {"data": {"id": "1445880548472328192", "text": "Hello from the API!"}}
X_UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
# What a renewable X channel names in config.toml: the refresh token and the client.
X_ENVIRONMENT = {
    "X_REFRESH": "env-refresh",
    "X_CLIENT_ID": "client-id",
    "X_CLIENT_SECRET": "client-secret",
}


def x_credentials(vault: MemoryVault | None = None, secret: str = "env-access") -> Credentials:
    """An X channel's secrets: ``secret`` from its token_env, the vault, ``X_ENVIRONMENT``."""
    return Credentials(secret, vault or MemoryVault(), X_ENVIRONMENT)


def tweet(tweet_id: str, text: str, made: datetime) -> dict[str, str]:
    """A post as X lists it in ``GET /2/users/{id}/tweets?tweet.fields=created_at``."""
    return {"id": tweet_id, "text": text, "created_at": made.isoformat().replace("+00:00", "Z")}


class FakeX:
    """Answers like X: a token endpoint that rotates, a create and /2/users/me that know which
    access tokens are ``valid``; ``calls`` lists the paths asked for."""

    def __init__(self, valid: set[str], refresh: str = "env-refresh") -> None:
        self.valid = valid
        self.refresh = refresh
        self.calls: list[str] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if path == "/2/oauth2/token":
            return self._renew(dict(parse_qsl(request.content.decode())))
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid:
            return httpx.Response(401, json=X_UNAUTHORIZED)
        if path == "/2/tweets":
            return httpx.Response(201, json=X_CREATED)
        if path == "/2/users/me":
            return httpx.Response(
                200, json={"data": {"id": "1", "name": "N", "username": "tidings"}}
            )
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def _renew(self, form: dict[str, str]) -> httpx.Response:
        if form.get("refresh_token") != self.refresh:
            invalid = {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            }
            return httpx.Response(400, json=invalid)
        self.issued += 1
        access, self.refresh = f"access-{self.issued}", f"refresh-{self.issued}"
        self.valid.add(access)
        renewed = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "refresh_token": self.refresh,
        }
        return httpx.Response(200, json=renewed)


@dataclass(frozen=True)
class OverLoopback(Generic[C]):
    """One adapter and channel, each step run now with a real client (to the loopback sandbox)."""

    adapter: Adapter[C]
    channel: C
    credentials: Credentials

    def publish(
        self, post: PostJob, saved: Saved | None = None, *, timeout: float = 5.0
    ) -> Attempted:
        """One attempt; ``timeout`` shorter than the sandbox's delay makes it an unknown outcome."""
        now = datetime.now(UTC)
        return run_with_client(
            lambda client: self.adapter.publish(
                client, post, self.channel, self.credentials, now, saved or Saved()
            ),
            timeout=timeout,
        )

    def reconcile(self, post: PostJob) -> Outcome | None:
        now = datetime.now(UTC)
        return run_with_client(
            lambda client: self.adapter.reconcile(client, post, self.channel, self.credentials, now)
        )

    def identify(self, channel: C | None = None) -> Identity:
        now = datetime.now(UTC)
        return run_with_client(
            lambda client: self.adapter.identify(
                client, channel or self.channel, self.credentials, now
            )
        )


def just_tried(
    text: str, *, state: Mapping[str, str] | None = None, last_sent_at: datetime | None = None
) -> PostJob:
    """A post whose first attempt began a moment ago, for tests on the real clock."""
    moment_ago = datetime.now(UTC) - timedelta(seconds=1)
    return job(text, state=state, first_attempt_at=moment_ago, last_sent_at=last_sent_at)
