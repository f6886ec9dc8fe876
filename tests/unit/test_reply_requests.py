"""The requests that publish a part after the first (issue 11 point 2, PLATFORMS.md §10.2): each
names the part it replies to as its platform takes it, and a first part names none."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from drafts.channels import MastodonChannel, TelegramChannel, ThreadsChannel, WebhookChannel
from scheduler.outcomes import Failed, Published, Unknown
from scheduler.platforms.base import (
    Attempted,
    Credentials,
    JobImage,
    PostJob,
    PublishedPart,
    ReplyTo,
)
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.telegram import TelegramAdapter
from scheduler.platforms.telegram_photos import photo_form
from scheduler.platforms.threads import ThreadsAdapter, find_in_listing
from scheduler.platforms.webhook import WebhookAdapter
from tests.fakes import MemoryVault, Saved, answer, job

ROOT = PublishedPart("110001")
PART_2 = PublishedPart("110002")
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
THREADS = ThreadsChannel(
    id="th", platform="threads", languages=("ko",), user_id="1784", token_env="T", base_url=None
)
TELEGRAM = TelegramChannel(
    id="tg", platform="telegram", languages=("ko",), chat_id="@tidings_news", token_env="T"
)
BOT_TOKEN = "7000000001:AAH-bot_token"
HOOK = WebhookChannel(id="hook", platform="webhook", languages=("ko",), url="https://h.test/in")
MASTODON = MastodonChannel(
    id="m", platform="mastodon", languages=("ko",), base_url="http://127.0.0.1:9/", token_env="T"
)


def part(text: str, key: str, parent: PublishedPart, *, comment: bool = False) -> PostJob:
    later = job(text, language="ko-KR")
    return replace(later, idempotency_key=key, reply_to=ReplyTo(parent, ROOT, comment))


def test_mastodon_part_replies_to_the_part_before_in_its_language_under_its_own_key() -> None:
    adapter = MastodonAdapter()
    first = adapter.build(
        replace(job("하나 1/3", language="ko-KR"), idempotency_key="k1"), MASTODON, "t"
    )
    third = adapter.build(part("셋 3/3", "k3", PART_2), MASTODON, "t")
    comment = adapter.build(
        part("신청은 누리집에서", "k4", PublishedPart("110003"), comment=True), MASTODON, "t"
    )
    assert "in_reply_to_id" not in first.json()
    assert third.json() == {
        "status": "셋 3/3",
        "visibility": "public",
        "language": "ko",
        "in_reply_to_id": "110002",
    }
    assert comment.json()["in_reply_to_id"] == "110003"
    assert [r.json()["language"] for r in (first, third, comment)] == ["ko"] * 3
    assert [r.headers["Idempotency-Key"] for r in (first, third, comment)] == ["k1", "k3", "k4"]


def test_threads_reply_container_names_the_part_before() -> None:
    adapter = ThreadsAdapter()
    first = adapter.build(job("하나 1/2", language="ko"), THREADS, "token")
    second = adapter.build(part("둘 2/2", "k2", ROOT), THREADS, "token")
    assert first.url == second.url == "https://graph.threads.net/v1.0/1784/threads"
    assert "reply_to_id" not in first.json()
    assert second.json() == {
        "media_type": "TEXT",
        "text": "둘 2/2",
        "reply_to_id": "110001",
        "access_token": "token",
    }


def test_threads_finds_a_lost_reply_only_under_the_part_it_answers() -> None:
    later = replace(part("같은 말", "k3", PART_2), first_attempt_at=NOW - timedelta(minutes=1))
    made = (NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    listing = {
        "data": [
            {"id": "9", "text": "같은 말", "timestamp": made, "replied_to": {"id": "110001"}},
            {"id": "8", "text": "같은 말", "timestamp": made, "replied_to": {"id": "110002"},
             "permalink": "https://www.threads.net/@a/post/8"},
        ]
    }  # fmt: skip
    found = find_in_listing(answer(200, listing), later, THREADS, "c1", NOW)
    assert found == Published("8", "https://www.threads.net/@a/post/8", 200)
    elsewhere = {"data": listing["data"][:1]}
    missing = find_in_listing(answer(200, elsewhere), later, THREADS, "c1", NOW)
    assert isinstance(missing, Unknown)
    assert "no reply to 110002 with this text" in missing.reason
    assert "newest replies" in missing.reason


def test_telegram_comment_replies_to_the_message_in_the_posts_remote_id() -> None:
    adapter = TelegramAdapter()
    post = adapter.build(job("공지", language="ko"), TELEGRAM, BOT_TOKEN)
    comment = part("신청은 누리집에서", "k2", PublishedPart("-1001234567890/42"), comment=True)
    sent = adapter.build(comment, TELEGRAM, BOT_TOKEN)
    assert post.json() == {"chat_id": "@tidings_news", "text": "공지"}
    assert sent.url.endswith("/sendMessage")
    assert sent.json() == {
        "chat_id": "@tidings_news",
        "text": "신청은 누리집에서",
        "reply_parameters": {"message_id": 42},
    }
    image = JobImage("ab" * 32, "image/png", 40, 30, 100, "")
    form = photo_form(
        replace(comment, images=(image,)), "@tidings_news", {"reply_parameters": {"message_id": 42}}
    )
    assert form.text_fields()["reply_parameters"] == '{"message_id": 42}'


def test_telegram_comment_on_a_remote_id_without_a_message_is_not_sent() -> None:
    comment = part("신청", "k2", PublishedPart("https://t.me/tidings_news"), comment=True)

    def nothing_may_go_out(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent {request.url}")

    async def attempt() -> Attempted:
        transport = httpx.MockTransport(nothing_may_go_out)
        async with httpx.AsyncClient(transport=transport) as client:
            credentials = Credentials(BOT_TOKEN, MemoryVault())
            return await TelegramAdapter().publish(
                client, comment, TELEGRAM, credentials, NOW, Saved()
            )

    attempted = asyncio.run(attempt())
    assert isinstance(attempted.outcome, Failed)
    assert "https://t.me/tidings_news" in attempted.outcome.reason


def test_webhook_comment_is_its_own_delivery_saying_what_it_answers() -> None:
    adapter = WebhookAdapter()
    post = adapter.build(job("공지", language="ko"), HOOK, "")
    comment = adapter.build(part("신청", "k2", PublishedPart("webhook-31"), comment=True), HOOK, "")
    assert post.json() == {"text": "공지"}
    assert comment.json() == {"text": "신청", "reply_to": "webhook-31", "comment": True}
    assert comment.headers["Idempotency-Key"] == "k2"
