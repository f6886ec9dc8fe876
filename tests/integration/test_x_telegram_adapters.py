"""The X and Telegram adapters over loopback HTTP against the sandbox."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
import pytest

from drafts.channels import TelegramChannel, XChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import Credentials, PostJob, StoredSecret
from scheduler.platforms.telegram import TelegramAdapter
from scheduler.platforms.x import SENT_AT, UNKNOWN_SINCE, XAdapter
from scheduler.platforms.x_oauth import ACCESS, REFRESH
from scheduler.sandbox import RunningSandbox, Settings, running_sandbox

T = TypeVar("T")
X_TOKEN = "x-user-access-token-0123456789"
X_REFRESH = "x-user-refresh-token-0123456789"
BOT_TOKEN = "7000000001:AAH-sandbox_bot_token_0123456789"
KOREAN = "🌏 서울 기후 포럼 2.0 공개 https://example.org/forum #기후 #서울"
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release"


class MemoryVault:
    """The Vault protocol over a dict."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], StoredSecret] = {}

    async def load(self, channel: str, kind: str) -> StoredSecret | None:
        return self.secrets.get((channel, kind))

    async def save(self, channel: str, kind: str, value: str, expires_at: datetime | None) -> None:
        self.secrets[(channel, kind)] = StoredSecret(value, expires_at)


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: RunningSandbox) -> RunningSandbox:
    running.state.settings = Settings()
    running.state.reset()
    return running


def run(action: Callable[[httpx.AsyncClient], Awaitable[T]], *, timeout: float = 3.0) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await action(client)

    return asyncio.run(go())


def job(text: str, state: Mapping[str, str] | None = None) -> PostJob:
    return PostJob(
        post_id=1,
        text=text,
        language="ko",
        idempotency_key="k",
        state=dict(state or {}),
        first_attempt_at=datetime.now(UTC),
    )


def x_channel(sandbox: RunningSandbox, *, renewable: bool = True) -> XChannel:
    extra = {"refresh_token_env": "X_REFRESH", "client_id_env": "X_CLIENT_ID"} if renewable else {}
    return XChannel(
        id="x-ko",
        platform="x",
        languages=("ko",),
        token_env="X_TOKEN",
        base_url=sandbox.base_url,
        **extra,
    )


def x_credentials(vault: MemoryVault) -> Credentials:
    return Credentials(X_TOKEN, vault, {"X_REFRESH": X_REFRESH, "X_CLIENT_ID": "sandbox-client"})


def telegram_channel(
    sandbox: RunningSandbox | None, chat_id: str = "@tidings_news"
) -> TelegramChannel:
    return TelegramChannel(
        id="tg",
        platform="telegram",
        languages=("en", "ko"),
        chat_id=chat_id,
        token_env="TG_TOKEN",
        base_url=sandbox.base_url if sandbox else "http://127.0.0.1:9",
    )


def tg_credentials() -> Credentials:
    return Credentials(BOT_TOKEN, MemoryVault())


class Saved:
    """The post's publish state as ``save`` leaves it."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}

    async def __call__(self, state: Mapping[str, str]) -> None:
        self.state.update(state)


def assert_no_token(outcome: Outcome | None, *tokens: str) -> None:
    text = repr(outcome)
    for token in tokens:
        assert token not in text


# -- X ------------------------------------------------------------------------------------


def test_x_posts_and_links_to_the_post(sandbox: RunningSandbox) -> None:
    channel = x_channel(sandbox)
    attempted = run(
        lambda c: XAdapter().publish(
            c, job(KOREAN), channel, x_credentials(MemoryVault()), datetime.now(UTC), Saved()
        )
    )
    outcome = attempted.outcome
    [post] = sandbox.state.posts("x")
    assert post.text == KOREAN
    assert outcome == Published(post.remote_id, f"https://x.com/i/web/status/{post.remote_id}", 201)
    assert httpx.get(sandbox.page_for(outcome.remote_url)).status_code == 200


def test_x_renews_with_rotation_and_keeps_the_new_refresh_token(sandbox: RunningSandbox) -> None:
    channel, vault = x_channel(sandbox), MemoryVault()
    now = datetime.now(UTC)
    sandbox.state.faults.add("expired", "x", path="/2/tweets")  # the env token has expired
    first = run(
        lambda c: XAdapter().publish(c, job(KOREAN), channel, x_credentials(vault), now, Saved())
    )
    assert isinstance(first.outcome, Published)
    rotated = vault.secrets[("x-ko", REFRESH)].value
    access = vault.secrets[("x-ko", ACCESS)]
    assert rotated != X_REFRESH
    assert access.expires_at is not None and access.expires_at > now + timedelta(hours=1)
    spent = httpx.post(
        sandbox.url("/2/oauth2/token"),
        data={"grant_type": "refresh_token", "refresh_token": X_REFRESH, "client_id": "c"},
    )
    assert spent.status_code == 400  # the old refresh token no longer works

    # Three hours on, the stored access token has expired: the stored refresh token renews it.
    later = now + timedelta(hours=3)
    second = run(
        lambda c: XAdapter().publish(c, job(ENGLISH), channel, x_credentials(vault), later, Saved())
    )
    assert isinstance(second.outcome, Published)
    assert vault.secrets[("x-ko", REFRESH)].value not in (rotated, X_REFRESH)
    assert vault.secrets[("x-ko", ACCESS)].value != access.value
    assert [p.text for p in sandbox.state.posts("x")] == [KOREAN, ENGLISH]
    assert_no_token(first.outcome, X_TOKEN, X_REFRESH, rotated)


def test_x_daily_cap_waits_for_the_24_hour_reset(sandbox: RunningSandbox) -> None:
    now = datetime.now(UTC)
    sandbox.state.faults.add("rate_limit", "x", reset_in=20 * 3600, scope="day")
    attempted = run(
        lambda c: XAdapter().publish(
            c, job(ENGLISH), x_channel(sandbox), x_credentials(MemoryVault()), now, Saved()
        )
    )
    outcome = attempted.outcome
    assert isinstance(outcome, RetryAt), outcome
    assert now + timedelta(hours=20) - timedelta(seconds=2) <= outcome.at
    assert outcome.at <= now + timedelta(hours=20, seconds=2)
    assert "24-hour" in outcome.reason
    assert sandbox.state.posts("x") == []


def test_x_unknown_outcome_is_found_among_the_recent_posts(sandbox: RunningSandbox) -> None:
    channel, vault, saved = x_channel(sandbox), MemoryVault(), Saved()
    sandbox.state.faults.add("slow_after_accept", "x", seconds=3)
    now = datetime.now(UTC)
    attempted = run(
        lambda c: XAdapter().publish(c, job(KOREAN), channel, x_credentials(vault), now, saved),
        timeout=0.3,
    )
    assert isinstance(attempted.outcome, Unknown), attempted.outcome
    state = {**saved.state, **attempted.state}
    assert set(state) == {SENT_AT, UNKNOWN_SINCE}

    checked = run(
        lambda c: XAdapter().reconcile(
            c, job(KOREAN, state), channel, x_credentials(vault), now + timedelta(seconds=1)
        )
    )
    [post] = sandbox.state.posts("x")
    assert checked == Published(post.remote_id, post.remote_url, 200)
    assert sandbox.state.requests("x", path="/2/tweets", method="POST")[1:] == []  # not resent


def test_x_two_identical_recent_posts_are_left_to_a_person(sandbox: RunningSandbox) -> None:
    channel, vault, saved = x_channel(sandbox), MemoryVault(), Saved()
    sandbox.state.faults.add("slow_after_accept", "x", seconds=3)
    now = datetime.now(UTC)
    lost = run(
        lambda c: XAdapter().publish(c, job(KOREAN), channel, x_credentials(vault), now, saved),
        timeout=0.3,
    )
    # Meanwhile someone posts the same text by hand, with a token of their own.
    by_hand = httpx.post(
        sandbox.url("/2/tweets"), json={"text": KOREAN}, headers={"Authorization": "Bearer hand"}
    )
    assert by_hand.status_code == 201

    state = {**saved.state, **lost.state}
    checked = run(
        lambda c: XAdapter().reconcile(
            c, job(KOREAN, state), channel, x_credentials(vault), now + timedelta(seconds=1)
        )
    )
    assert isinstance(checked, Unknown)
    assert "2 posts with exactly this text" in checked.reason
    assert len(sandbox.state.posts("x")) == 2  # nothing more was sent


def test_x_first_attempt_duplicate_fails(sandbox: RunningSandbox) -> None:
    channel = x_channel(sandbox, renewable=False)

    async def twice(client: httpx.AsyncClient) -> list[Outcome]:
        results = []
        for _ in range(2):
            attempted = await XAdapter().publish(
                client,
                job(ENGLISH),
                channel,
                x_credentials(MemoryVault()),
                datetime.now(UTC),
                Saved(),
            )
            results.append(attempted.outcome)
        return results

    first, second = run(twice)
    assert isinstance(first, Published)
    assert isinstance(second, Failed) and "exactly this text" in second.reason
    assert len(sandbox.state.posts("x")) == 1


def test_x_revoked_token_without_refresh_asks_to_reconnect(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "x")
    attempted = run(
        lambda c: XAdapter().publish(
            c,
            job(ENGLISH),
            x_channel(sandbox, renewable=False),
            x_credentials(MemoryVault()),
            datetime.now(UTC),
            Saved(),
        )
    )
    assert isinstance(attempted.outcome, Failed)
    assert "reconnect the account" in attempted.outcome.reason
    assert_no_token(attempted.outcome, X_TOKEN)


def test_x_identify(sandbox: RunningSandbox) -> None:
    identity = run(
        lambda c: XAdapter().identify(
            c, x_channel(sandbox), x_credentials(MemoryVault()), datetime.now(UTC)
        )
    )
    assert identity.name == "@tidings_demo"


# -- Telegram -----------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", ["@tidings_news", "-1001234567890"])
def test_telegram_posts_and_links_to_the_message(sandbox: RunningSandbox, chat_id: str) -> None:
    channel = telegram_channel(sandbox, chat_id)
    attempted = run(
        lambda c: TelegramAdapter().publish(
            c, job(KOREAN), channel, tg_credentials(), datetime.now(UTC), Saved()
        )
    )
    [post] = sandbox.state.posts("telegram")
    assert post.text == KOREAN
    assert post.body == {"chat_id": int(chat_id) if chat_id[0] == "-" else chat_id, "text": KOREAN}
    outcome = attempted.outcome
    assert isinstance(outcome, Published)
    assert outcome.remote_id.endswith("/1")
    assert outcome.remote_url == post.remote_url
    assert outcome.remote_url.startswith("https://t.me/")
    assert httpx.get(sandbox.page_for(outcome.remote_url)).status_code == 200


def test_telegram_rate_limit_waits_retry_after(sandbox: RunningSandbox) -> None:
    now = datetime.now(UTC)
    sandbox.state.faults.add("rate_limit", "telegram", reset_in=3)
    attempted = run(
        lambda c: TelegramAdapter().publish(
            c, job(ENGLISH), telegram_channel(sandbox), tg_credentials(), now, Saved()
        )
    )
    outcome = attempted.outcome
    assert isinstance(outcome, RetryAt), outcome
    assert now + timedelta(seconds=1) <= outcome.at <= now + timedelta(seconds=5)
    assert sandbox.state.posts("telegram") == []
    assert_no_token(outcome, BOT_TOKEN)


def test_telegram_too_long_fails(sandbox: RunningSandbox) -> None:
    attempted = run(
        lambda c: TelegramAdapter().publish(
            c,
            job("가" * 4097),
            telegram_channel(sandbox),
            tg_credentials(),
            datetime.now(UTC),
            Saved(),
        )
    )
    assert attempted.outcome == Failed(
        "Telegram refused the message (400): Bad Request: message is too long", 400
    )


def test_telegram_rejected_token_fails_without_showing_it(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "telegram")
    attempted = run(
        lambda c: TelegramAdapter().publish(
            c, job(ENGLISH), telegram_channel(sandbox), tg_credentials(), datetime.now(UTC), Saved()
        )
    )
    assert isinstance(attempted.outcome, Failed) and attempted.outcome.http_status == 401
    assert_no_token(attempted.outcome, BOT_TOKEN)


def test_no_bot_token_in_transport_failures_or_the_httpx_log(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    closed = telegram_channel(None).model_copy(
        update={"base_url": f"http://127.0.0.1:{closed_port}"}
    )
    sandbox.state.faults.add("latency", "telegram", ms=1000)
    now = datetime.now(UTC)
    with caplog.at_level(logging.DEBUG):
        refused = run(
            lambda c: TelegramAdapter().publish(
                c, job(ENGLISH), closed, tg_credentials(), now, Saved()
            )
        )
        slow = run(
            lambda c: TelegramAdapter().publish(
                c, job(ENGLISH), telegram_channel(sandbox), tg_credentials(), now, Saved()
            ),
            timeout=0.2,
        )
        answered = run(
            lambda c: TelegramAdapter().publish(
                c, job(ENGLISH), telegram_channel(sandbox), tg_credentials(), now, Saved()
            )
        )
    assert isinstance(refused.outcome, RetryLater)
    assert isinstance(slow.outcome, Unknown)
    assert isinstance(answered.outcome, Published)
    for outcome in (refused.outcome, slow.outcome):
        assert_no_token(outcome, BOT_TOKEN)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)
    assert all(BOT_TOKEN not in r.getMessage() for r in caplog.records)


def test_telegram_identify(sandbox: RunningSandbox) -> None:
    identity = run(
        lambda c: TelegramAdapter().identify(
            c, telegram_channel(sandbox), tg_credentials(), datetime.now(UTC)
        )
    )
    assert identity.name == "@tidings_sandbox_bot → @tidings_news"
