"""Facebook Page posts with images against the sandbox over loopback HTTP: one photo is a photo
post, several are uploaded unpublished and attached to one feed post; alt text and clean bytes
arrive, an upload that failed is retried without uploading again what arrived, and a lost
answer to the post is settled by the page's posts, never by posting again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drafts.channels import FacebookChannel
from scheduler.outcomes import Failed, Published, RetryLater, Unknown
from scheduler.platforms.base import Credentials, JobImage, PostJob
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.uploads import media_key
from scheduler.sandbox import RunningSandbox
from scheduler.sandbox.state import inspect_image
from tests.fakes import MemoryVault, OverLoopback, Saved, just_tried
from tests.integration.photos import phone_photo, spooled

TEXT = "The riverside boardwalk opens on Saturday 🌅 bring the family"
ALTS = (
    "Children running along the new wooden boardwalk at dusk",
    "강변 산책로 입구의 안내판",
    "An aerial view of the river bend with the boardwalk",
)
# A request this much slower than the client's patience is an unknown outcome.
PATIENCE, SLOW = 1.0, 10.0


def on_facebook(sandbox: RunningSandbox) -> OverLoopback[FacebookChannel]:
    channel = FacebookChannel(
        id="fb",
        platform="facebook",
        languages=("en", "ko"),
        page_id=sandbox.state.settings.facebook_page_id,
        token_env="T",
        base_url=sandbox.base_url,
    )
    return OverLoopback(FacebookAdapter(), channel, Credentials("fb-page-token", MemoryVault()))


def photos(folder: Path, count: int) -> tuple[JobImage, ...]:
    """``count`` phone photos (GPS in their EXIF), cleaned and spooled, each with its alt."""
    return tuple(
        spooled(folder, phone_photo(320 + 40 * n, 240), ALTS[n], f"photo{n}.jpg")
        for n in range(count)
    )


def post_with(images: tuple[JobImage, ...], state: Mapping[str, str] | None = None) -> PostJob:
    return replace(just_tried(TEXT, state=state), images=images)


def arrived(sandbox: RunningSandbox, images: tuple[JobImage, ...]) -> None:
    """The one post on the page shows ``images`` in order, each with its alt text, and the
    bytes that arrived carry no metadata."""
    [post] = sandbox.state.posts("facebook")
    assert [each["sha256"] for each in post.details["images"]] == [i.sha256 for i in images]
    assert [each["alt"] for each in post.details["images"]] == [i.alt for i in images]
    assert [each["content_type"] for each in post.details["images"]] == ["image/jpeg"] * len(images)
    for image in images:
        received = sandbox.state.image(image.sha256)
        assert received is not None and received.format == "JPEG"
        assert received.metadata == ()
    assert all(r.query.get("access_token") is None for r in sandbox.state.requests("facebook"))


def posts_to(sandbox: RunningSandbox, edge: str) -> list[int | None]:
    """The status of each POST to ``/{page}/{edge}``, in order."""
    return [
        r.status
        for r in sandbox.state.requests("facebook", method="POST")
        if r.path.endswith(f"/{edge}")
    ]


def test_the_test_photos_carry_a_gps_position() -> None:
    assert "gps" in inspect_image("facebook", phone_photo(), "image/jpeg").metadata


def test_one_image_is_a_photo_post_with_its_caption_and_alt_text(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    images = photos(tmp_path, 1)
    attempted = on_facebook(sandbox).publish(post_with(images))

    [post] = sandbox.state.posts("facebook")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.text == TEXT
    arrived(sandbox, images)
    assert posts_to(sandbox, "photos") == [200]
    assert posts_to(sandbox, "feed") == []
    assert post.body["published"] == "true" and "access_token" not in post.body
    [(width, height)] = [(e["width"], e["height"]) for e in post.details["images"]]
    assert (width, height) == (images[0].width, images[0].height) == (240, 320)  # upright


def test_several_images_are_uploaded_unpublished_then_attached_to_one_feed_post(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    images = photos(tmp_path, 3)

    def nothing_posted_yet(state: Mapping[str, str]) -> None:
        assert sandbox.state.posts("facebook") == []

    saved = Saved(nothing_posted_yet)
    attempted = on_facebook(sandbox).publish(post_with(images), saved)

    [post] = sandbox.state.posts("facebook")
    assert attempted.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.text == TEXT
    arrived(sandbox, images)
    assert posts_to(sandbox, "photos") == [200, 200, 200]
    assert posts_to(sandbox, "feed") == [200]
    assert len(saved.saves) == len(images)  # each id saved before the next request
    attached = [entry["media_fbid"] for entry in post.body["attached_media"]]
    assert attached == [saved.state[media_key(image)] for image in images]


def test_a_failed_upload_is_retried_without_uploading_again_what_arrived(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    images = photos(tmp_path, 3)
    on = on_facebook(sandbox)

    def refuse_the_next_upload(state: Mapping[str, str]) -> None:
        if not sandbox.state.faults.active():
            sandbox.state.faults.add("status", "facebook", path="/photos", status=503)

    first_saves = Saved(refuse_the_next_upload)
    first = on.publish(post_with(images), first_saves)
    assert isinstance(first.outcome, RetryLater)
    assert "uploading image 2" in first.outcome.reason
    assert sandbox.state.posts("facebook") == []
    kept = first_saves.state[media_key(images[0])]

    second = on.publish(post_with(images, state=first_saves.state))

    [post] = sandbox.state.posts("facebook")
    assert second.outcome == Published(post.remote_id, post.remote_url, 200)
    assert post.body["attached_media"][0]["media_fbid"] == kept
    assert posts_to(sandbox, "photos") == [200, 503, 200, 200]  # image 1 went once
    arrived(sandbox, images)


def test_an_image_facebook_refuses_fails_naming_it(sandbox: RunningSandbox, tmp_path: Path) -> None:
    first, second = photos(tmp_path, 2)
    not_an_image = tmp_path / "broken"
    not_an_image.write_bytes(b"this is not a photo at all")
    images = (first, replace(second, path=not_an_image))

    attempted = on_facebook(sandbox).publish(post_with(images))

    assert isinstance(attempted.outcome, Failed)
    assert "uploading image 2" in attempted.outcome.reason
    assert "code 324" in attempted.outcome.reason
    assert "fb-page-token" not in attempted.outcome.reason
    assert sandbox.state.posts("facebook") == []


@pytest.mark.parametrize(("count", "edge"), [(1, "photos"), (3, "feed")])
def test_a_read_timeout_after_the_post_was_created_posts_nothing_twice(
    sandbox: RunningSandbox, tmp_path: Path, count: int, edge: str
) -> None:
    images = photos(tmp_path, count)
    on = on_facebook(sandbox)
    sandbox.state.faults.add("slow_after_accept", "facebook", path=f"/{edge}", seconds=SLOW)
    sent_at = datetime.now(UTC)  # what the engine stores before the request
    saved = Saved()
    first = on.publish(post_with(images), saved, timeout=PATIENCE)
    assert isinstance(first.outcome, Unknown)

    known = on.reconcile(replace(post_with(images, state=saved.state), last_sent_at=sent_at))

    [post] = sandbox.state.posts("facebook")
    assert known == Published(post.remote_id, post.remote_url, 200)
    assert posts_to(sandbox, edge) == [200]
    arrived(sandbox, images)
