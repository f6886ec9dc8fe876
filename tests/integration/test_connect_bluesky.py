"""Connecting a Bluesky channel with an app password, against the sandbox over loopback: the
login that checks it, the refusals (a wrong password, the account's own password, a sign-in
code, a taken-down account, Bluesky unreachable), and a reconnect with another app password
that the daemon's next post logs in with."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from sqlmodel import Session

from drafts.channels import BlueskyChannel
from drafts.storage import Database
from scheduler.connect import connector_for
from scheduler.connect.base import ConnectError
from scheduler.connect.bluesky import CONNECTOR
from scheduler.connections import Grant, credentials_for, save_connection
from scheduler.outcomes import Published
from scheduler.platforms.base import Credentials
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky import add_account, did_for
from scheduler.vault import DatabaseVault, Sealer
from tests.fakes import MemoryVault, Saved, job
from tests.integration.connecting import closed_origin

T = TypeVar("T")
HANDLE = "tidings.test"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def app_password() -> str:
    """A fresh app password, shaped as the PDS makes them (four groups of four)."""
    return "-".join("".join(secrets.choice(BASE32) for _ in range(4)) for _ in range(4))


def channel(base_url: str) -> BlueskyChannel:
    return BlueskyChannel(
        id="bsky", platform="bluesky", languages=("en",), handle=HANDLE, base_url=base_url
    )


def run(work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=5.0) as http:
            return await asyncio.wait_for(work(http), timeout=10)

    return asyncio.run(go())


async def connect(http: httpx.AsyncClient, on: BlueskyChannel, password: str) -> Grant:
    return await CONNECTOR.verify(http, on, password, now=datetime.now(UTC))


def refusal(on: BlueskyChannel, password: str) -> ConnectError:
    with pytest.raises(ConnectError) as raised:
        run(lambda http: connect(http, on, password))
    assert not password or password not in str(raised.value)
    return raised.value


def logins(sandbox: RunningSandbox) -> int:
    return len(sandbox.state.requests("bluesky", path="com.atproto.server.createSession"))


def paths(sandbox: RunningSandbox) -> list[str]:
    return [record.path for record in sandbox.state.requests("bluesky")]


@pytest.fixture
def passwords(sandbox: RunningSandbox) -> tuple[str, str, str]:
    """The account's own password and two app passwords of ``HANDLE``."""
    own, first, second = secrets.token_urlsafe(16), app_password(), app_password()
    add_account(sandbox.state, HANDLE, password=own, app_passwords=(first, second))
    return own, first, second


def test_an_app_password_is_connected_as_the_account_and_its_session_ended(
    sandbox: RunningSandbox, passwords: tuple[str, str, str]
) -> None:
    _, first, _ = passwords
    assert connector_for(channel(sandbox.base_url)) is CONNECTOR
    grant = run(lambda http: connect(http, channel(sandbox.base_url), first))
    assert grant.account_id == did_for(HANDLE)
    assert grant.account_name == "@tidings.test"
    assert grant.tokens.token == first
    assert grant.tokens.expires_at is None
    assert paths(sandbox) == [
        "/xrpc/com.atproto.server.createSession",
        "/xrpc/com.atproto.server.deleteSession",
    ]
    assert [record.status for record in sandbox.state.requests("bluesky")] == [200, 200]


def test_a_wrong_app_password_is_refused(
    sandbox: RunningSandbox, passwords: tuple[str, str, str]
) -> None:
    error = refusal(channel(sandbox.base_url), app_password())
    assert str(error) == (
        "App password: Bluesky refused the handle tidings.test with this app password: check "
        "both (the handle is channel bsky's in config.toml)"
    )
    assert not error.retry


def test_the_accounts_own_password_is_refused_and_its_session_ended(
    sandbox: RunningSandbox, passwords: tuple[str, str, str]
) -> None:
    own, _, _ = passwords
    error = refusal(channel(sandbox.base_url), own)
    assert str(error) == (
        "App password: this is the password of the account tidings.test itself, which can do "
        "anything with it; create an app password in Settings → Privacy and security → App "
        "passwords and use that instead"
    )
    assert paths(sandbox)[-1] == "/xrpc/com.atproto.server.deleteSession"


def test_a_sign_in_code_asked_for_says_app_passwords_skip_it(sandbox: RunningSandbox) -> None:
    own = secrets.token_urlsafe(16)
    add_account(sandbox.state, HANDLE, password=own, email_auth_factor=True)
    error = refusal(channel(sandbox.base_url), own)
    assert str(error) == (
        "App password: Bluesky asked for the sign-in code it emailed, which only the account's "
        "own password needs; create an app password in Settings → Privacy and security → App "
        "passwords (app passwords skip the code)"
    )


def test_a_taken_down_account_is_refused(sandbox: RunningSandbox) -> None:
    password = app_password()
    add_account(
        sandbox.state, HANDLE, password=secrets.token_urlsafe(16), app_passwords=(password,),
        takendown=True,
    )  # fmt: skip
    error = refusal(channel(sandbox.base_url), password)
    assert str(error) == (
        "Bluesky says the account tidings.test has been taken down "
        "(401 AccountTakedown: Account has been taken down)"
    )
    assert not error.retry


def test_an_empty_password_is_refused_before_any_request(sandbox: RunningSandbox) -> None:
    error = refusal(channel(sandbox.base_url), "  ")
    assert str(error).startswith("App password: empty")
    assert paths(sandbox) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (503, "Bluesky could not log in just now (503 NotEnoughResources"),
        (429, "Bluesky is limiting logins for tidings.test (429 RateLimitExceeded"),
    ],
)
def test_bluesky_failing_or_limiting_is_worth_another_try(
    sandbox: RunningSandbox, status: int, expected: str
) -> None:
    sandbox.state.faults.add("status", "bluesky", path="createSession", status=status)
    error = refusal(channel(sandbox.base_url), app_password())
    assert str(error).startswith(expected)
    assert error.retry


def test_bluesky_unreachable_is_worth_another_try() -> None:
    error = refusal(channel(closed_origin()), app_password())
    assert str(error).startswith("could not reach Bluesky to log in: could not connect")
    assert error.retry


async def post(
    http: httpx.AsyncClient, on: BlueskyChannel, credentials: Credentials, text: str
) -> None:
    attempted = await BlueskyAdapter().publish(
        http, job(text), on, credentials, datetime.now(UTC), Saved()
    )
    assert isinstance(attempted.outcome, Published), attempted.outcome


def test_a_post_after_the_app_password_changed_logs_in_with_the_new_one(
    sandbox: RunningSandbox, passwords: tuple[str, str, str]
) -> None:
    _, first, second = passwords
    on, vault = channel(sandbox.base_url), MemoryVault()

    async def scenario(http: httpx.AsyncClient) -> None:
        await post(http, on, Credentials(first, vault), "Under the first app password")
        await post(http, on, Credentials(first, vault), "Its session serves the next post")
        assert logins(sandbox) == 1
        await post(http, on, Credentials(second, vault), "Under the second app password")

    run(scenario)
    assert logins(sandbox) == 2


def test_a_reconnect_makes_the_daemons_next_post_log_in_with_the_new_app_password(
    sandbox: RunningSandbox,
    passwords: tuple[str, str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even when a post under way with the old password stores its session after the
    reconnect (the reconnect itself deletes the stored session)."""
    _, first, second = passwords
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("TIDINGS_SECRET_KEY", key)
    on = channel(sandbox.base_url)

    async def db(work: Callable[[Session], Any]) -> Any:
        def inside() -> Any:
            with database.writing() as session:
                return work(session)

        return await asyncio.to_thread(inside)

    async def store(grant: Grant) -> None:
        now = datetime.now(UTC)

        def save(session: Session) -> None:
            save_connection(
                session, Sealer(key), channel=on, grant=grant, connected_by="admin", now=now
            )

        await db(save)

    vault = DatabaseVault(db)

    async def scenario(http: httpx.AsyncClient) -> None:
        await store(await connect(http, on, first))
        under_way = await credentials_for(on, vault)  # an attempt begins
        await store(await connect(http, on, second))
        await post(http, on, under_way, "Sent as the reconnect happened")
        before = logins(sandbox)
        await post(http, on, await credentials_for(on, vault), "The next post")
        assert logins(sandbox) == before + 1

    run(scenario)
    assert [p.text for p in sandbox.state.posts("bluesky")] == [
        "Sent as the reconnect happened",
        "The next post",
    ]
