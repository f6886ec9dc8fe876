"""Telegram's requests for a post with images, as the review preview shows them: sendPhoto or
sendMediaGroup with the text as caption while it fits 1,024 characters, and the text as its
own sendMessage right after when it does not; and an album that failed part-way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from drafts.channels import TelegramChannel
from scheduler.outcomes import Failed, Unknown
from scheduler.platforms.base import HttpResponse, JobImage, PostJob
from scheduler.platforms.telegram import TelegramAdapter, read_sent
from scheduler.preview import preview

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
API = f"https://api.telegram.org/bot{BOT_TOKEN}"
TELEGRAM = TelegramChannel(
    id="tg", platform="telegram", languages=("en",), chat_id="@mychannel", token_env="TG_TOKEN"
)
SHORT = "The riverside boardwalk opens on Saturday 🌅 https://example.org/boardwalk"
HARBOUR = JobImage("a" * 64, "image/jpeg", 1600, 1200, 412_000, "Boats in the harbour at dawn")
MARKET = JobImage("b" * 64, "image/png", 800, 800, 96_000, "A fish market stall")


def post(text: str, *images: JobImage) -> PostJob:
    return PostJob(post_id=1, text=text, language="en", idempotency_key="k", images=images)


def test_one_image_is_send_photo_with_the_text_as_caption() -> None:
    adapter = TelegramAdapter()
    request = adapter.build(post(SHORT, HARBOUR), TELEGRAM, BOT_TOKEN)
    assert (request.method, request.url) == ("POST", f"{API}/sendPhoto")
    # The multipart form's fields; the photo part shows where image 1 goes. No alt text.
    assert request.json() == {"chat_id": "@mychannel", "caption": SHORT, "photo": "<image 1>"}
    assert adapter.displayed_text(request) == SHORT
    assert adapter.follow_ups(post(SHORT, HARBOUR), TELEGRAM, BOT_TOKEN) == ()


def test_two_images_are_one_media_group_captioned_on_the_first() -> None:
    request = TelegramAdapter().build(post(SHORT, HARBOUR, MARKET), TELEGRAM, BOT_TOKEN)
    assert request.url == f"{API}/sendMediaGroup"
    assert request.json() == {
        "chat_id": "@mychannel",
        "media": [
            {"type": "photo", "media": "attach://photo1", "caption": SHORT},
            {"type": "photo", "media": "attach://photo2"},
        ],
        "photo1": "<image 1>",
        "photo2": "<image 2>",
    }
    assert TelegramAdapter().displayed_text(request) == SHORT


@pytest.mark.parametrize("images", [(HARBOUR,), (HARBOUR, MARKET)])
def test_a_text_longer_than_a_caption_follows_the_photos_as_a_message(
    images: tuple[JobImage, ...],
) -> None:
    adapter = TelegramAdapter()
    long_text = "Notes from the council meeting. " * 47  # 1,504 characters
    job = post(long_text, *images)
    photos = adapter.build(job, TELEGRAM, BOT_TOKEN)
    assert b"caption" not in (photos.content or b"")
    assert adapter.displayed_text(photos) == ""
    [text] = adapter.follow_ups(job, TELEGRAM, BOT_TOKEN)
    assert (text.url, text.json()) == (
        f"{API}/sendMessage",
        {"chat_id": "@mychannel", "text": long_text},
    )


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("가" * 1024, True),
        ("가" * 1025, False),
        ("🌅" * 512, True),  # two UTF-16 units each: 1,024
        ("🌅" * 512 + "!", False),
    ],
)
def test_the_caption_limit_counts_utf16_units(text: str, fits: bool) -> None:
    adapter = TelegramAdapter()
    request = adapter.build(post(text, HARBOUR), TELEGRAM, BOT_TOKEN)
    assert ("caption" in request.json()) is fits
    assert len(adapter.follow_ups(post(text, HARBOUR), TELEGRAM, BOT_TOKEN)) == (0 if fits else 1)


def test_a_post_without_images_is_still_one_send_message() -> None:
    adapter = TelegramAdapter()
    long_text = "가" * 2000
    assert adapter.build(post(long_text), TELEGRAM, BOT_TOKEN).url == f"{API}/sendMessage"
    assert adapter.follow_ups(post(long_text), TELEGRAM, BOT_TOKEN) == ()


def test_the_preview_shows_the_photos_then_the_message_without_the_token() -> None:
    long_text = "서울 기후 포럼 후기: " + "발표와 토론이 이어졌습니다. " * 80
    shown = preview(
        post_id=7, text=long_text, language="ko", channel=TELEGRAM, images=(HARBOUR, MARKET)
    )
    assert shown.request.url.endswith("/sendMediaGroup")
    assert shown.displayed == ""
    [(message, displayed)] = shown.follow_ups
    assert message.url.endswith("/sendMessage")
    assert displayed == long_text
    assert BOT_TOKEN not in shown.request.url + message.url


def test_an_album_that_failed_part_way_is_unknown_not_refused() -> None:
    # As reported in rubenlagus/TelegramBots#1520: some photos were sent, the answer is a 400.
    description = (
        'Bad Request: failed to send message #1 with the error message "Too Many Requests: '
        'retry after 8"'
    )
    answer = HttpResponse(
        400, {}, json.dumps({"ok": False, "error_code": 400, "description": description}).encode()
    )
    outcome = read_sent(answer, TELEGRAM, NOW)
    assert isinstance(outcome, Unknown)
    assert "some of its photos may be live" in outcome.reason
    refused = HttpResponse(
        400, {}, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
    )
    assert isinstance(read_sent(refused, TELEGRAM, NOW), Failed)
