"""X images over loopback HTTP: each image uploaded (``POST /2/media/upload``), its alt text set
(``POST /2/media/metadata``), the post attaching ``media.media_ids``; what a failed upload, a
failed alt text and a lost answer come to; and the sandbox's side of the contract."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from drafts.channels import XChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import Attempted, Credentials, JobImage, PostJob
from scheduler.platforms.uploads import media_key
from scheduler.platforms.x import XAdapter
from scheduler.platforms.x_media import alt_key
from scheduler.sandbox import RunningSandbox
from tests.fakes import MemoryVault, Saved
from tests.integration.photos import phone_photo, spooled
from tests.integration.sandbox_fixtures import AUTH

T = TypeVar("T")
TEXT = "Our riverside office opens its doors on Saturday: drop by for coffee"
UPLOADS, METADATA, TWEETS = "/2/media/upload", "/2/media/metadata", "/2/tweets"


def run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(work, timeout=15))


class Channel:
    """One X channel on the sandbox; ``state`` is the post's publish state as the daemon keeps
    it across attempts (every save, and what each attempt returned)."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.adapter = XAdapter()
        self.channel = XChannel(
            id="x-en", platform="x", languages=("en",), token_env="X", base_url=sandbox.base_url
        )
        self.credentials = Credentials("x-user-access-token-0123456789", MemoryVault())
        self.state: dict[str, str] = {}
        self.first_attempt_at = datetime.now(UTC) - timedelta(seconds=1)

    def job(self, images: tuple[JobImage, ...]) -> PostJob:
        return PostJob(1, TEXT, "en", "k", dict(self.state), self.first_attempt_at, images=images)

    def publish(
        self,
        images: tuple[JobImage, ...],
        saved: Saved | None = None,
        *,
        now: datetime | None = None,
        read_timeout: float = 5.0,
    ) -> Attempted:
        saved = saved or Saved()

        async def attempt() -> Attempted:
            async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=read_timeout)) as c:
                return await self.adapter.publish(
                    c, self.job(images), self.channel, self.credentials, now or _now(), saved
                )

        attempted = run(attempt())
        self.state.update(saved.state)
        self.state.update(attempted.state)
        return attempted

    def reconcile(self, images: tuple[JobImage, ...]) -> Outcome | None:
        async def check() -> Outcome | None:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return await self.adapter.reconcile(
                    client, self.job(images), self.channel, self.credentials, _now()
                )

        return run(check())

    def answers(self, path: str) -> list[int | None]:
        return [r.status for r in self.sandbox.state.requests("x", path=path, method="POST")]


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def on_x(sandbox: RunningSandbox) -> Channel:
    return Channel(sandbox)


@pytest.fixture
def photos(tmp_path: Path) -> tuple[JobImage, JobImage]:
    """Two phone photos with GPS in their EXIF, cleaned and spooled as the daemon hands them
    over; Korean alt text on one, English on the other."""
    return (
        spooled(tmp_path, phone_photo(640, 480), "토요일 문을 여는 강변 사무실", "office.jpg"),
        spooled(tmp_path, phone_photo(800, 600, rotated=False), "Coffee on the terrace", "t.jpg"),
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


def test_images_arrive_in_order_with_their_alt_text_and_no_metadata(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    def nothing_posted_yet(state: Mapping[str, str]) -> None:
        assert on_x.sandbox.state.posts("x") == []

    attempted = on_x.publish(photos, Saved(on_save=nothing_posted_yet))

    assert isinstance(attempted.outcome, Published)
    [post] = on_x.sandbox.state.posts("x")
    assert post.text == TEXT
    assert post.details["images"] == described(photos)
    assert post.body["media"] == {"media_ids": [on_x.state[media_key(p)] for p in photos]}
    received = on_x.sandbox.state.images("x")
    assert sorted(image.sha256 for image in received) == sorted(p.sha256 for p in photos)
    assert all(image.metadata == () for image in received)  # no EXIF, no GPS
    assert (on_x.answers(UPLOADS), on_x.answers(METADATA)) == ([200, 200], [200, 200])


def test_a_failed_upload_is_retried_later_reusing_the_id_already_uploaded(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    faults = on_x.sandbox.state.faults

    def break_the_next_upload(state: Mapping[str, str]) -> None:
        if media_key(photos[0]) in state:
            faults.add("status", "x", path=UPLOADS, status=503)

    first = on_x.publish(photos, Saved(on_save=break_the_next_upload))

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason.startswith("X answered 503 to the upload of image 2")
    assert on_x.sandbox.state.posts("x") == []
    kept = on_x.state[media_key(photos[0])]

    second = on_x.publish(photos)

    assert isinstance(second.outcome, Published)
    assert on_x.answers(UPLOADS) == [200, 503, 200]  # image 1 was not uploaded again
    assert on_x.answers(METADATA) == [200, 200]
    [post] = on_x.sandbox.state.posts("x")
    assert post.body["media"]["media_ids"][0] == kept
    assert post.details["images"] == described(photos)


def test_alt_text_that_did_not_arrive_is_sent_again_without_uploading_again(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_x.sandbox.state.faults.add("status", "x", path=METADATA, status=503)

    first = on_x.publish(photos)

    assert isinstance(first.outcome, RetryLater)
    assert "the alt text of image 1" in first.outcome.reason
    assert alt_key(photos[0]) not in on_x.state

    second = on_x.publish(photos)

    assert isinstance(second.outcome, Published)
    assert on_x.answers(UPLOADS) == [200, 200]
    assert on_x.answers(METADATA) == [503, 200, 200]
    [post] = on_x.sandbox.state.posts("x")
    assert post.details["images"] == described(photos)  # the alt text arrived after all


def test_an_expired_media_id_is_uploaded_again(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_x.sandbox.state.faults.add("status", "x", path=TWEETS, status=503)
    first = on_x.publish(photos[:1])
    assert isinstance(first.outcome, RetryLater)
    expired = on_x.state[media_key(photos[0])]

    # A day later X no longer keeps the id it gave (expires_after_secs, 24 hours here).
    later = on_x.publish(photos[:1], now=_now() + timedelta(days=1))

    assert isinstance(later.outcome, Published)
    assert on_x.answers(UPLOADS) == [200, 200]
    assert on_x.answers(METADATA) == [200, 200]  # the new id gets its alt text too
    renewed = on_x.state[media_key(photos[0])]
    assert renewed != expired
    [post] = on_x.sandbox.state.posts("x")
    assert post.body["media"] == {"media_ids": [renewed]}


def test_alt_text_x_refuses_fails_naming_the_image(
    on_x: Channel, photos: tuple[JobImage, JobImage], tmp_path: Path
) -> None:
    too_long = spooled(tmp_path, phone_photo(320, 240), "가" * 1001, "long.jpg")

    attempted = on_x.publish((photos[0], too_long))

    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.reason == (
        "X refused the alt text of image 2 (400): The alt text is longer than 1000 characters."
    )
    assert on_x.sandbox.state.posts("x") == []


def test_an_upload_x_forbids_fails_naming_the_image_and_the_scope(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_x.sandbox.state.faults.add("status", "x", path=UPLOADS, status=403)

    attempted = on_x.publish(photos)

    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.reason.startswith("X refused the upload of image 1 (403): ")
    assert attempted.outcome.reason.endswith("connected with the media.write scope")
    assert on_x.answers(TWEETS) == []


def test_a_read_timeout_after_the_post_was_created_posts_nothing_twice(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_x.sandbox.state.faults.add("slow_after_accept", "x", path=TWEETS, seconds=3)

    lost = on_x.publish(photos, read_timeout=0.3)

    assert isinstance(lost.outcome, Unknown), lost.outcome
    checked = on_x.reconcile(photos)

    [post] = on_x.sandbox.state.posts("x")
    assert checked == Published(post.remote_id, post.remote_url, 200)
    assert on_x.answers(TWEETS) == [201]  # found among the recent posts, not sent again
    assert on_x.answers(UPLOADS) == [200, 200]
    assert post.details["images"] == described(photos)


def test_a_resend_after_a_lost_answer_names_the_same_images_and_x_stops_it(
    on_x: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_x.sandbox.state.faults.add("drop_after_accept", "x", path=TWEETS)
    assert isinstance(on_x.publish(photos).outcome, Unknown)
    # X will not say whose token it is, so the recent posts settle nothing: the identical
    # post goes again, with the images already uploaded, and X refuses it as a duplicate.
    on_x.sandbox.state.faults.add("status", "x", path="/2/users/me", status=503, times=2)

    checked = on_x.reconcile(photos)

    assert isinstance(checked, Unknown) and "duplicate" in checked.reason
    assert len(on_x.sandbox.state.posts("x")) == 1
    assert on_x.answers(TWEETS) == [201, 403]
    assert on_x.answers(UPLOADS) == [200, 200]


# -- the sandbox, with requests written by hand from docs.x.com ------------------------------


def upload(client: httpx.Client, data: bytes, category: str = "tweet_image") -> httpx.Response:
    return client.post(
        UPLOADS,
        headers=AUTH,
        data={"media_category": category},
        files={"media": ("p.jpg", data, "image/jpeg")},
    )


def test_the_sandbox_keeps_what_x_was_sent_and_refuses_what_x_would(
    sandbox: RunningSandbox, photos: tuple[JobImage, JobImage]
) -> None:
    data = photos[0].local_path().read_bytes()
    with httpx.Client(base_url=sandbox.base_url, timeout=5.0) as client:
        uploaded = upload(client, data)
        media_id = uploaded.json()["data"]["id"]
        assert uploaded.json()["data"]["expires_after_secs"] == 86400
        assert upload(client, data, "dm_video").status_code == 400
        assert upload(client, b"not an image").status_code == 400
        described = client.post(
            METADATA,
            headers=AUTH,
            json={"id": media_id, "metadata": {"alt_text": {"text": "A sunny terrace"}}},
        )
        assert described.json()["data"]["associated_metadata"]["alt_text"]["text"] == (
            "A sunny terrace"
        )
        unknown = client.post(
            TWEETS, headers=AUTH, json={"text": "x", "media": {"media_ids": ["1234"]}}
        )
        assert unknown.status_code == 400
        assert unknown.json()["errors"][0]["message"] == "Your media IDs are invalid."
        posted = client.post(
            TWEETS, headers=AUTH, json={"text": "terrace", "media": {"media_ids": [media_id]}}
        )
        assert posted.status_code == 201
    [post] = sandbox.state.posts("x")
    assert post.details["images"][0]["alt"] == "A sunny terrace"
    assert sandbox.state.image(photos[0].sha256) is not None
