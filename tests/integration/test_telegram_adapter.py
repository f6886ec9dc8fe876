"""The Telegram adapter over loopback HTTP against the sandbox: the message and its t.me link,
retry_after, refusals, and the bot token kept out of every reason and log line."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from drafts.channels import TelegramChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import Credentials
from scheduler.platforms.telegram import TelegramAdapter
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, OverLoopback, just_tried

BOT_TOKEN = "7000000001:AAH-sandbox_bot_token_0123456789"
KOREAN = "🌏 서울 기후 포럼 2.0 공개 https://example.org/forum #기후 #서울"
ENGLISH = "Release 2.0 is out 🎉 https://example.com/r2 #release"


def on_telegram(base_url: str, chat_id: str = "@tidings_news") -> OverLoopback[TelegramChannel]:
    channel = TelegramChannel(
        id="tg",
        platform="telegram",
        languages=("en", "ko"),
        chat_id=chat_id,
        token_env="TG_TOKEN",
        base_url=base_url,
    )
    return OverLoopback(TelegramAdapter(), channel, Credentials(BOT_TOKEN, MemoryVault()))


def assert_no_token(outcome: Outcome | None) -> None:
    assert BOT_TOKEN not in repr(outcome)


@pytest.mark.parametrize("chat_id", ["@tidings_news", "-1001234567890"])
def test_telegram_posts_and_links_to_the_message(sandbox: RunningSandbox, chat_id: str) -> None:
    attempted = on_telegram(sandbox.base_url, chat_id).publish(just_tried(KOREAN))
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
    outcome = on_telegram(sandbox.base_url).publish(just_tried(ENGLISH)).outcome
    assert isinstance(outcome, RetryAt), outcome
    assert now + timedelta(seconds=1) <= outcome.at <= now + timedelta(seconds=5)
    assert sandbox.state.posts("telegram") == []
    assert_no_token(outcome)


def test_telegram_too_long_fails(sandbox: RunningSandbox) -> None:
    attempted = on_telegram(sandbox.base_url).publish(just_tried("가" * 4097))
    assert attempted.outcome == Failed(
        "Telegram refused the message (400): Bad Request: message is too long", 400
    )


def test_telegram_rejected_token_fails_without_showing_it(sandbox: RunningSandbox) -> None:
    sandbox.state.faults.add("revoked", "telegram")
    attempted = on_telegram(sandbox.base_url).publish(just_tried(ENGLISH))
    assert isinstance(attempted.outcome, Failed) and attempted.outcome.http_status == 401
    assert_no_token(attempted.outcome)


def test_no_bot_token_in_transport_failures_or_the_httpx_log(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sandbox.state.faults.add("latency", "telegram", ms=1000)
    with caplog.at_level(logging.DEBUG):
        refused = on_telegram(f"http://127.0.0.1:{closed_port}").publish(just_tried(ENGLISH))
        slow = on_telegram(sandbox.base_url).publish(just_tried(ENGLISH), timeout=0.2)
        answered = on_telegram(sandbox.base_url).publish(just_tried(ENGLISH))
    assert isinstance(refused.outcome, RetryLater)
    assert isinstance(slow.outcome, Unknown)
    assert isinstance(answered.outcome, Published)
    for outcome in (refused.outcome, slow.outcome):
        assert_no_token(outcome)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)
    assert all(BOT_TOKEN not in r.getMessage() for r in caplog.records)


def test_telegram_identify(sandbox: RunningSandbox) -> None:
    identity = on_telegram(sandbox.base_url).identify()
    assert identity.name == "@tidings_sandbox_bot → @tidings_news"
