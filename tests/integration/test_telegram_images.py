"""Telegram posts with images over loopback HTTP against the sandbox: sendPhoto, an album by
sendMediaGroup, a long text as photo + message (each sent once, even across a failed
attempt), no EXIF or GPS in what arrives, and a lost answer that posts nothing twice."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from drafts.channels import TelegramChannel
from scheduler.outcomes import Published, RetryAt, Unknown
from scheduler.platforms.base import Credentials, JobImage, PostJob
from scheduler.platforms.telegram import PHOTOS_SENT, TelegramAdapter
from scheduler.retry import UnknownHandling
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.state import inspect_image
from tests.fakes import MemoryVault, OverLoopback, Saved
from tests.integration.photos import phone_photo, spooled

BOT_TOKEN = "7000000001:AAH-sandbox_bot_token_0123456789"
SHORT = "새 강변 산책로가 토요일에 열립니다 🌅 https://example.org/boardwalk"
# 1,500 characters: more than a caption holds, well within a message.
LONG = ("The council met on Tuesday to hear from residents about the boardwalk. " * 22)[:1500]


def on_telegram(sandbox: RunningSandbox) -> OverLoopback[TelegramChannel]:
    channel = TelegramChannel(
        id="tg",
        platform="telegram",
        languages=("ko", "en"),
        chat_id="@tidings_news",
        token_env="TG_TOKEN",
        base_url=sandbox.base_url,
    )
    return OverLoopback(TelegramAdapter(), channel, Credentials(BOT_TOKEN, MemoryVault()))


def post(text: str, images: tuple[JobImage, ...], state: Mapping[str, str] = {}) -> PostJob:
    return PostJob(1, text, "ko", "k", dict(state), images=images)


@pytest.fixture
def photos(tmp_path: Path) -> tuple[JobImage, JobImage]:
    """Two phone photos with a GPS position, cleaned and spooled as the daemon hands them over."""
    return (
        spooled(tmp_path, phone_photo(640, 480), "해 질 무렵 산책로"),
        spooled(tmp_path, phone_photo(320, 240, rotated=False), "Benches by the river"),
    )


def telegram_calls(sandbox: RunningSandbox) -> list[str]:
    """The Bot API methods called, in order."""
    return [r.path.rsplit("/", 1)[1] for r in sandbox.state.requests("telegram")]


def test_one_image_and_a_short_text_are_one_send_photo(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    photo = photos[0]
    attempted = on_telegram(sandbox).publish(post(SHORT, (photo,)))
    assert telegram_calls(sandbox) == ["sendPhoto"]
    [sent] = sandbox.state.posts("telegram")
    assert sent.text == SHORT
    # The very bytes of the spool file arrived, upright (480×640) and as a JPEG.
    assert sent.details["images"] == [
        {"sha256": photo.sha256, "alt": "", "width": 480, "height": 640,
         "content_type": "image/jpeg"}
    ]  # fmt: skip
    assert attempted.outcome == Published(f"{sent.details['chat']['id']}/1", sent.remote_url, 200)


def test_no_exif_or_gps_reaches_telegram(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    # The photos as the phone made them carry a GPS position...
    assert "gps" in inspect_image("test", phone_photo(640, 480), "image/jpeg").metadata
    on_telegram(sandbox).publish(post(SHORT, photos))
    received = sandbox.state.images("telegram")
    assert {image.sha256 for image in received} == {photo.sha256 for photo in photos}
    # ...and what Telegram received carries none, nor any other metadata.
    assert [image.metadata for image in received] == [(), ()]
    assert [image.data for image in received] == [p.local_path().read_bytes() for p in photos]


def test_two_images_are_one_media_group(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    attempted = on_telegram(sandbox).publish(post(SHORT, photos))
    assert telegram_calls(sandbox) == ["sendMediaGroup"]
    [album] = sandbox.state.posts("telegram")
    assert album.text == SHORT
    assert album.details["message_ids"] == [1, 2]
    assert [image["sha256"] for image in album.details["images"]] == [p.sha256 for p in photos]
    assert isinstance(attempted.outcome, Published)
    assert attempted.outcome.remote_id.endswith("/1")  # the album's first message is the post
    assert attempted.outcome.remote_url == album.remote_url


def test_a_long_text_is_the_photo_then_the_message(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    posts_when_saved: list[int] = []
    saved = Saved(on_save=lambda _: posts_when_saved.append(len(sandbox.state.posts())))
    attempted = on_telegram(sandbox).publish(post(LONG, photos[:1]), saved)
    assert telegram_calls(sandbox) == ["sendPhoto", "sendMessage"]
    photo, message = sandbox.state.posts("telegram")
    assert (photo.text, message.text) == ("", LONG)
    assert "caption" not in photo.body
    assert [image["sha256"] for image in photo.details["images"]] == [photos[0].sha256]
    # The photo message was saved as sent before the text went out.
    assert posts_when_saved == [1]
    assert attempted.outcome == Published(saved.state[PHOTOS_SENT], photo.remote_url, 200)


def test_after_the_photo_went_out_a_retry_sends_only_the_message(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    telegram = on_telegram(sandbox)
    sandbox.state.faults.add("status", "telegram", path="sendMessage", status=429)
    first = Saved()
    refused = telegram.publish(post(LONG, photos), first)
    assert isinstance(refused.outcome, RetryAt)
    assert "the photos went out (https://t.me/tidings_news/1)" in refused.outcome.reason
    assert BOT_TOKEN not in refused.outcome.reason

    retried = telegram.publish(post(LONG, photos, first.state))
    assert telegram_calls(sandbox) == ["sendMediaGroup", "sendMessage", "sendMessage"]
    album, message = sandbox.state.posts("telegram")  # the album once, the text once
    assert message.text == LONG
    assert retried.outcome == Published(first.state[PHOTOS_SENT], album.remote_url, 200)


def test_a_read_timeout_after_the_photo_was_created_posts_nothing_twice(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    telegram = on_telegram(sandbox)
    sandbox.state.faults.add("slow_after_accept", "telegram", path="sendPhoto", seconds=2)
    saved = Saved()
    lost = telegram.publish(post(LONG, photos[:1]), saved, timeout=0.5)

    assert isinstance(lost.outcome, Unknown)
    assert telegram_calls(sandbox) == ["sendPhoto"]  # not the text either: nobody knows yet
    assert PHOTOS_SENT not in saved.state
    # Telegram's rule holds: nothing tells whether it posted, so a person is asked and the
    # daemon sends nothing again on its own.
    assert TelegramAdapter.unknown_handling is UnknownHandling.ASK_A_PERSON
    assert isinstance(telegram.reconcile(post(LONG, photos[:1])), Unknown)
    assert len(sandbox.state.posts("telegram")) == 1


def test_a_lost_answer_to_the_message_keeps_the_photo_sent(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    telegram = on_telegram(sandbox)
    sandbox.state.faults.add("slow_after_accept", "telegram", path="sendMessage", seconds=2)
    saved = Saved()
    lost = telegram.publish(post(LONG, photos), saved, timeout=0.5)
    assert isinstance(lost.outcome, Unknown)
    assert "the photos went out" in lost.outcome.reason
    # A person who retries it after looking sends only the text, never the album again.
    telegram.publish(post(LONG, photos, saved.state))
    assert telegram_calls(sandbox) == ["sendMediaGroup", "sendMessage", "sendMessage"]
