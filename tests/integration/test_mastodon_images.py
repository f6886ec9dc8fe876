"""Mastodon images over loopback HTTP: each image uploaded with ``POST /api/v2/media`` and its
alt text as ``description``, the wait while the instance processes it (202, then 206 to each
poll), the status naming ``media_ids`` with its language and Idempotency-Key; what a failed
upload and a lost answer come to; the instance's media limits as ``channels check`` learns
them; and the sandbox's side of the contract."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from drafts.channels import MastodonChannel
from drafts.config import Config
from drafts.media_limits import learned_media_limits
from drafts.storage import Database
from scheduler.channel_check import check_channels
from scheduler.outcomes import Failed, Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import Attempted, Credentials, JobImage, PostJob
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.mastodon_media import processing_key
from scheduler.platforms.uploads import media_key
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, Saved
from tests.integration.photos import phone_photo, spooled
from tests.integration.sandbox_fixtures import AUTH, OTHER_TOKEN

T = TypeVar("T")
TEXT = "해 질 무렵 새 사무실 테라스에서 열린 첫 모임"
TOKEN = "mastodon-user-token-0123456789"
UPLOADS, POLLS, STATUSES = "/api/v2/media", "/api/v1/media/", "/api/v1/statuses"


def run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(work, timeout=15))


class Channel:
    """One Mastodon channel on the sandbox; ``state`` is the post's publish state as the
    daemon keeps it across attempts (every save, and what each attempt returned)."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.adapter = MastodonAdapter()
        self.channel = MastodonChannel(
            id="mastodon",
            platform="mastodon",
            languages=("ko",),
            token_env="TIDINGS_T_MASTODON",
            base_url=sandbox.base_url,
        )
        self.state: dict[str, str] = {}

    def job(self, images: tuple[JobImage, ...]) -> PostJob:
        return PostJob(1, TEXT, "ko-KR", "post-1-key", dict(self.state), images=images)

    def publish(
        self,
        images: tuple[JobImage, ...],
        saved: Saved | None = None,
        *,
        read_timeout: float = 5.0,
    ) -> Attempted:
        saved = saved or Saved()

        async def attempt() -> Attempted:
            async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=read_timeout)) as c:
                credentials = Credentials(TOKEN, MemoryVault())
                job = self.job(images)
                return await self.adapter.publish(
                    c, job, self.channel, credentials, datetime.now(UTC), saved
                )

        attempted = run(attempt())
        self.state.update(saved.state)
        self.state.update(attempted.state)
        return attempted

    def reconcile(self, images: tuple[JobImage, ...]) -> Outcome | None:
        async def check() -> Outcome | None:
            async with httpx.AsyncClient(timeout=5.0) as client:
                credentials = Credentials(TOKEN, MemoryVault())
                job = replace(self.job(images), first_attempt_at=datetime.now(UTC))
                return await self.adapter.reconcile(
                    client, job, self.channel, credentials, datetime.now(UTC)
                )

        return run(check())

    def answers(self, path: str, method: str = "POST") -> list[int | None]:
        found = self.sandbox.state.requests("mastodon", path=path, method=method)
        return [r.status for r in found]


@pytest.fixture
def on_mastodon(sandbox: RunningSandbox) -> Channel:
    return Channel(sandbox)


@pytest.fixture
def photos(tmp_path: Path) -> tuple[JobImage, JobImage]:
    """Two phone photos with GPS in their EXIF, cleaned and spooled as the daemon hands them
    over."""
    return (
        spooled(tmp_path, phone_photo(640, 480), "테라스에 모인 사람들", "terrace.jpg"),
        spooled(tmp_path, phone_photo(800, 600, rotated=False), "노을 진 강", "river.jpg"),
    )


def described(images: tuple[JobImage, ...]) -> list[dict[str, object]]:
    return [
        {
            "sha256": image.sha256,
            "alt": image.alt,
            "width": image.width,
            "height": image.height,
            "content_type": image.content_type,
        }
        for image in images
    ]


def test_images_arrive_in_order_with_their_alt_text_language_and_key(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    attempted = on_mastodon.publish(photos)

    assert isinstance(attempted.outcome, Published)
    [post] = on_mastodon.sandbox.state.posts("mastodon")
    assert post.details["images"] == described(photos)
    assert post.body["media_ids"] == [on_mastodon.state[media_key(p)] for p in photos]
    assert (post.details["language"], post.details["idempotency_key"]) == ("ko", "post-1-key")
    received = on_mastodon.sandbox.state.images("mastodon")
    assert sorted(image.sha256 for image in received) == sorted(p.sha256 for p in photos)
    assert all(image.metadata == () for image in received)  # no EXIF, no GPS
    assert on_mastodon.answers(UPLOADS) == [200, 200]
    assert on_mastodon.answers(POLLS, "GET") == []  # ready at once: nothing to wait for


def test_an_image_still_processing_is_waited_for_within_the_attempt(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_mastodon.sandbox.state.settings.mastodon_media_processing = 3  # 202, 206, 206, then 200

    attempted = on_mastodon.publish(photos[:1])

    assert isinstance(attempted.outcome, Published)
    assert on_mastodon.answers(UPLOADS) == [202]
    assert on_mastodon.answers(POLLS, "GET") == [206, 206, 200]
    [post] = on_mastodon.sandbox.state.posts("mastodon")
    assert post.details["images"] == described(photos[:1])


def test_an_image_processing_too_long_is_polled_again_next_time_not_uploaded_again(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    settings = on_mastodon.sandbox.state.settings
    settings.mastodon_media_processing = 100

    first = on_mastodon.publish(photos[:1])

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason.startswith("the instance is still processing image 1")
    kept = on_mastodon.state[media_key(photos[0])]
    assert on_mastodon.state[processing_key(photos[0])] == kept
    assert on_mastodon.sandbox.state.posts("mastodon") == []
    polls = len(on_mastodon.answers(POLLS, "GET"))

    settings.mastodon_media_processing = 0  # the instance has finished meanwhile
    second = on_mastodon.publish(photos[:1])

    assert isinstance(second.outcome, Published)
    assert on_mastodon.answers(UPLOADS) == [202]  # polled, not uploaded again
    assert on_mastodon.answers(POLLS, "GET")[polls:] == [200]
    assert on_mastodon.state[processing_key(photos[0])] == ""
    [post] = on_mastodon.sandbox.state.posts("mastodon")
    assert post.body["media_ids"] == [kept]


def test_a_failed_upload_is_retried_later_reusing_the_id_already_uploaded(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    faults = on_mastodon.sandbox.state.faults

    def break_the_next_upload(state: Mapping[str, str]) -> None:
        if media_key(photos[0]) in state:
            faults.add("status", "mastodon", path=UPLOADS, status=503)

    first = on_mastodon.publish(photos, Saved(on_save=break_the_next_upload))

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason == (
        "the instance answered 503 to the upload of image 2: Service Unavailable"
    )
    kept = on_mastodon.state[media_key(photos[0])]

    second = on_mastodon.publish(photos)

    assert isinstance(second.outcome, Published)
    assert on_mastodon.answers(UPLOADS) == [200, 503, 200]  # image 1 was not uploaded again
    [post] = on_mastodon.sandbox.state.posts("mastodon")
    assert post.body["media_ids"][0] == kept
    assert post.details["images"] == described(photos)


def test_alt_text_the_instance_refuses_fails_naming_the_image(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage], tmp_path: Path
) -> None:
    too_long = spooled(tmp_path, phone_photo(320, 240), "a" * 1501, "long.jpg")

    attempted = on_mastodon.publish((photos[0], too_long))

    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.reason == (
        "the instance refused the upload of image 2 (422): Validation failed: Description is "
        "too long (maximum is 1500 characters)"
    )
    assert on_mastodon.sandbox.state.posts("mastodon") == []


def test_a_read_timeout_after_the_status_was_created_posts_once(
    on_mastodon: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_mastodon.sandbox.state.faults.add("slow_after_accept", "mastodon", path=STATUSES, seconds=3)

    lost = on_mastodon.publish(photos, read_timeout=0.3)
    assert isinstance(lost.outcome, Unknown), lost.outcome
    # Mastodon's check is the resend itself: the same key, the same images.
    assert on_mastodon.reconcile(photos) is None
    again = on_mastodon.publish(photos)

    assert isinstance(again.outcome, Published)
    [post] = on_mastodon.sandbox.state.posts("mastodon")
    assert again.outcome.remote_id == post.remote_id
    assert on_mastodon.answers(UPLOADS) == [200, 200]  # the images were not uploaded again
    assert on_mastodon.answers(STATUSES) == [200, 200]


def test_channels_check_learns_the_instance_media_limits(
    sandbox: RunningSandbox, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_T_MASTODON", TOKEN)
    channel = Channel(sandbox).channel

    config = Config(channels=(channel,))
    [health] = run(check_channels(config, [channel], database, datetime.now(UTC)))

    assert health.reachable, health.problem
    with database.reading() as session:
        learned = learned_media_limits(session)["mastodon"]
    assert learned["image_size_limit"] == 10_485_760
    assert learned["image_matrix_limit"] == 16_777_216
    assert learned["description_limit"] == 1500
    assert learned["max_media_attachments"] == 4
    assert "image/webp" in learned["supported_mime_types"]


# -- the sandbox, with requests written by hand from docs.joinmastodon.org ---------------------


def upload(client: httpx.Client, data: bytes, token: str, alt: str = "") -> httpx.Response:
    return client.post(
        UPLOADS,
        headers={"Authorization": f"Bearer {token}"},
        data={"description": alt},
        files={"file": ("p.jpg", data, "image/jpeg")},
    )


def test_the_sandbox_refuses_what_mastodon_would(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    data = photos[0].local_path().read_bytes()
    sandbox.state.settings.mastodon_media_processing = 2
    with httpx.Client(base_url=sandbox.base_url, timeout=5.0) as client:
        theirs = upload(client, data, OTHER_TOKEN).json()["id"]
        processing = upload(client, data, "sandbox-test-token-0123456789", "Terrace")
        assert (processing.status_code, processing.json()["url"]) == (202, None)
        mine = processing.json()["id"]
        assert client.get(f"{POLLS}{theirs}", headers=AUTH).status_code == 404

        def status(media_ids: list[str]) -> httpx.Response:
            return client.post(STATUSES, headers=AUTH, json={"status": "s", "media_ids": media_ids})

        assert status([mine]).json()["error"].startswith("Cannot attach files that have not")
        polls = [client.get(f"{POLLS}{mine}", headers=AUTH).status_code for _ in range(2)]
        assert polls == [206, 200]
        assert status([theirs]).status_code == 422  # not ours
        assert status(["1234"]).status_code == 422  # unknown
        posted = status([mine])
        assert posted.status_code == 200
        assert posted.json()["media_attachments"][0]["description"] == "Terrace"
        assert status([mine]).status_code == 422  # already attached
        assert upload(client, b"not an image", OTHER_TOKEN).status_code == 422
    [post] = sandbox.state.posts("mastodon")
    assert post.details["images"][0]["alt"] == "Terrace"
