"""Bluesky images over loopback HTTP: blobs uploaded with uploadBlob, the record's
``app.bsky.embed.images``, and what a failed upload or a lost answer comes to."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from scheduler.outcomes import Failed, Outcome, Published, RetryLater, Unknown
from scheduler.platforms.base import Attempted, Credentials, JobImage, PostJob
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.uploads import media_key
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.bluesky_blobs import BlueskyBlobs
from tests.fakes import MemoryVault, Saved
from tests.integration.photos import noise_png, phone_photo, spooled
from tests.integration.sandbox_fixtures import bluesky_create, bluesky_login
from tests.integration.thread_chains import bluesky_channel

T = TypeVar("T")
TEXT = "The riverside boardwalk opens on Saturday: come and walk it with us"
UPLOADS = "/xrpc/com.atproto.repo.uploadBlob"
OTHER_CID = "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4"  # atproto's example


def run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(work, timeout=10))


class Channel:
    """One Bluesky channel on the sandbox; ``state`` is the post's publish state as the daemon
    keeps it across attempts (every save, and what each attempt returned)."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.adapter = BlueskyAdapter()
        self.vault = MemoryVault()
        self.channel = bluesky_channel(sandbox)
        self.state: dict[str, str] = {}

    def job(self, images: tuple[JobImage, ...]) -> PostJob:
        return PostJob(1, TEXT, "en", "k", dict(self.state), images=images)

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
            async with self.client(read_timeout) as client:
                return await self.adapter.publish(
                    client,
                    self.job(images),
                    self.channel,
                    Credentials("app-pass-word-1234", self.vault),
                    now or datetime.now(UTC),
                    saved,
                )

        attempted = run(attempt())
        self.state.update(saved.state)
        self.state.update(attempted.state)
        return attempted

    def reconcile(self, images: tuple[JobImage, ...]) -> Outcome | None:
        async def check() -> Outcome | None:
            async with self.client() as client:
                return await self.adapter.reconcile(
                    client,
                    self.job(images),
                    self.channel,
                    Credentials("app-pass-word-1234", self.vault),
                    datetime.now(UTC),
                )

        return run(check())

    def client(self, read_timeout: float = 5.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=read_timeout))

    def uploads(self) -> list[int | None]:
        return [r.status for r in self.sandbox.state.requests("bluesky", path=UPLOADS)]


@pytest.fixture
def on_bluesky(sandbox: RunningSandbox) -> Channel:
    return Channel(sandbox)


@pytest.fixture
def photos(tmp_path: Path) -> tuple[JobImage, JobImage]:
    """A rotated phone photo (upright 480 × 640) and a landscape one, both with GPS EXIF."""
    return (
        spooled(tmp_path, phone_photo(640, 480), "강변 산책로를 걷는 아이들", "boardwalk.jpg"),
        spooled(tmp_path, phone_photo(800, 600, rotated=False), "The new pier at dusk", "pier.jpg"),
    )


def test_images_arrive_with_their_alt_text_true_aspect_ratio_and_no_metadata(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    def nothing_posted_yet(state: Mapping[str, str]) -> None:
        assert on_bluesky.sandbox.state.posts("bluesky") == []

    attempted = on_bluesky.publish(photos, Saved(on_save=nothing_posted_yet))

    assert isinstance(attempted.outcome, Published)
    [post] = on_bluesky.sandbox.state.posts("bluesky")
    assert post.details["images"] == [
        {
            "sha256": image.sha256,
            "alt": image.alt,
            "width": image.width,
            "height": image.height,
            "content_type": "image/jpeg",
            "aspect_ratio": {"width": image.width, "height": image.height},
        }
        for image in photos
    ]
    assert (photos[0].width, photos[0].height) == (480, 640)  # turned upright, as sent
    assert post.details["embed"]["$type"] == "app.bsky.embed.images"
    received = on_bluesky.sandbox.state.images("bluesky")
    assert sorted(image.sha256 for image in received) == sorted(p.sha256 for p in photos)
    for image in received:
        assert image.metadata == ()  # no EXIF, no GPS
        assert image.bytes < 1_000_000
    assert on_bluesky.uploads() == [200, 200]


def test_an_image_over_the_blob_limit_is_refused_before_anything_is_sent(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage], tmp_path: Path
) -> None:
    big = spooled(tmp_path, noise_png(700, 700), "Static", "noise.png")
    assert big.bytes > 1_000_000
    # The size the job claims is not taken on trust: the file is what would be sent.
    claiming_less = replace(big, bytes=900_000)

    for images in ((photos[0], big), (claiming_less,)):
        attempted = on_bluesky.publish(images)

        assert isinstance(attempted.outcome, Failed)
        assert attempted.outcome.reason.startswith(f"image {len(images)} is {big.bytes:,} bytes")
        assert "1,000,000" in attempted.outcome.reason
    assert on_bluesky.uploads() == []
    assert on_bluesky.sandbox.state.posts("bluesky") == []


def test_a_failed_upload_is_retried_reusing_the_blob_already_uploaded(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    faults = on_bluesky.sandbox.state.faults

    def break_the_next_upload(state: Mapping[str, str]) -> None:
        if media_key(photos[0]) in state:
            faults.add("status", "bluesky", path=UPLOADS, status=503)

    first = on_bluesky.publish(photos, Saved(on_save=break_the_next_upload))

    assert isinstance(first.outcome, RetryLater)
    assert first.outcome.reason.startswith("image 2 upload:")
    assert on_bluesky.sandbox.state.posts("bluesky") == []

    second = on_bluesky.publish(photos)

    assert isinstance(second.outcome, Published)
    assert on_bluesky.uploads() == [200, 503, 200]  # image 1 was not uploaded again
    [post] = on_bluesky.sandbox.state.posts("bluesky")
    assert [image["sha256"] for image in post.details["images"]] == [p.sha256 for p in photos]


def test_an_upload_the_server_refuses_fails_naming_the_image(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_bluesky.sandbox.state.faults.add("status", "bluesky", path=UPLOADS, status=400)

    attempted = on_bluesky.publish(photos)

    assert isinstance(attempted.outcome, Failed)
    assert attempted.outcome.reason.startswith("image 1 upload: Bluesky refused it (400 ")
    assert on_bluesky.sandbox.state.posts("bluesky") == []


def test_a_blob_the_server_dropped_is_uploaded_again(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_bluesky.sandbox.state.faults.add("status", "bluesky", path="createRecord", status=503)
    assert isinstance(on_bluesky.publish(photos).outcome, RetryLater)
    with on_bluesky.sandbox.state.lock:  # the server dropped them sooner than it should
        on_bluesky.sandbox.state.store(BlueskyBlobs).blobs.clear()

    dropped = on_bluesky.publish(photos)

    assert isinstance(dropped.outcome, RetryLater)
    assert "BlobNotFound" in dropped.outcome.reason
    assert on_bluesky.uploads() == [200, 200]
    assert isinstance(on_bluesky.publish(photos).outcome, Published)
    assert on_bluesky.uploads() == [200, 200, 200, 200]


def test_blobs_are_reused_for_half_an_hour_only(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    start = datetime.now(UTC)
    on_bluesky.sandbox.state.faults.add("status", "bluesky", path="createRecord", status=503)
    assert isinstance(on_bluesky.publish(photos, now=start).outcome, RetryLater)
    on_bluesky.sandbox.state.faults.add("status", "bluesky", path="createRecord", status=503)
    on_bluesky.publish(photos, now=start + timedelta(minutes=29))
    assert on_bluesky.uploads() == [200, 200]

    # The atproto spec's firm lower bound is an hour; past half of it, nothing is trusted.
    attempted = on_bluesky.publish(photos, now=start + timedelta(minutes=31))

    assert isinstance(attempted.outcome, Published)
    assert on_bluesky.uploads() == [200, 200, 200, 200]


def test_a_read_timeout_after_the_post_was_created_posts_nothing_twice(
    on_bluesky: Channel, photos: tuple[JobImage, JobImage]
) -> None:
    on_bluesky.sandbox.state.faults.add(
        "slow_after_accept", "bluesky", path="createRecord", seconds=3.0
    )

    lost = on_bluesky.publish(photos, read_timeout=0.5)

    assert isinstance(lost.outcome, Unknown)
    [post] = on_bluesky.sandbox.state.posts("bluesky")
    assert on_bluesky.reconcile(photos) == Published(post.remote_id, post.remote_url, 200)
    # A resend (as after a person said "send it again") finds the record under its key.
    resent = on_bluesky.publish(photos)
    assert resent.outcome == Published(post.remote_id, post.remote_url, 200)
    assert len(on_bluesky.sandbox.state.posts("bluesky")) == 1
    assert on_bluesky.uploads() == [200, 200]  # the blobs were reused, not sent again
    assert len(post.details["images"]) == 2


def test_the_sandbox_refuses_what_a_server_refuses(sandbox: RunningSandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, timeout=5.0) as client:
        session = bluesky_login(client)
        auth = {"Authorization": f"Bearer {session['accessJwt']}"}
        too_big = client.post(
            UPLOADS,
            content=b"\xff" * 1_000_001,
            headers={**auth, "Content-Type": "image/jpeg"},
        )
        small = client.post(
            UPLOADS, content=phone_photo(), headers={**auth, "Content-Type": "image/jpeg"}
        )
        blob = small.json()["blob"]
        never_uploaded = {**blob, "ref": {"$link": OTHER_CID}}
        unknown = bluesky_create(client, session, _with_image(never_uploaded, ratio=True))
        no_ratio = bluesky_create(client, session, _with_image(blob, ratio=False))
        fine = bluesky_create(client, session, _with_image(blob, ratio=True))

    assert too_big.status_code == 400
    assert too_big.json() == {
        "error": "BlobTooLarge",
        "message": "This file is too large. It is 976.56KB but the maximum size is 976.56KB.",
    }
    assert small.status_code == 200
    assert blob["$type"] == "blob" and blob["ref"]["$link"].startswith("bafkrei")
    assert unknown.status_code == 400 and unknown.json()["error"] == "BlobNotFound"
    assert no_ratio.status_code == 400 and "aspectRatio" in no_ratio.json()["message"]
    assert fine.status_code == 200, fine.text
    [post] = sandbox.state.posts("bluesky")
    assert post.details["images"][0]["alt"] == "A test card"


def _with_image(blob: dict[str, Any], *, ratio: bool) -> dict[str, Any]:
    image: dict[str, Any] = {"image": blob, "alt": "A test card"}
    if ratio:
        image["aspectRatio"] = {"width": 640, "height": 480}
    return {"text": "test card", "embed": {"$type": "app.bsky.embed.images", "images": [image]}}
