"""Bluesky images, the pure halves: the record's images embed as previewed and as sent, and
what an uploadBlob answer comes to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from drafts.channels import BlueskyChannel
from scheduler.outcomes import Failed, RetryAt, RetryLater
from scheduler.platforms.base import JobImage, PostJob
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.bluesky_images import read_uploaded, remember_blob
from scheduler.platforms.uploads import media_key, uploaded_id
from scheduler.preview import preview
from tests.fakes import answer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CHANNEL = BlueskyChannel(
    id="bsky", platform="bluesky", languages=("en", "ko"), handle="tidings.test", password_env="PW"
)
TEXT = "Walk the new boardwalk with us: https://example.org/boardwalk"
TALL = JobImage("a" * 64, "image/jpeg", 480, 640, 51_200, "강변 산책로의 아이들")
WIDE = JobImage("b" * 64, "image/png", 1600, 900, 402_000, "")
BLOB = {
    "$type": "blob",
    "ref": {"$link": "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4"},
    "mimeType": "image/jpeg",
    "size": 51_200,
}


def embed(job: PostJob) -> dict[str, object]:
    body = BlueskyAdapter().build(job, CHANNEL, "jwt").json()
    embedded: dict[str, object] = body["record"]["embed"]
    return embedded


def test_a_preview_shows_where_each_blob_will_go() -> None:
    shown = preview(post_id=1, text=TEXT, language="en", channel=CHANNEL, images=(TALL, WIDE))

    assert shown.request.json()["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "image": "<image 1>",
                "alt": "강변 산책로의 아이들",
                "aspectRatio": {"width": 480, "height": 640},
            },
            {"image": "<image 2>", "alt": "", "aspectRatio": {"width": 1600, "height": 900}},
        ],
    }
    assert shown.displayed == TEXT


def test_the_record_names_the_blobs_kept_in_the_publish_state() -> None:
    state = remember_blob(TALL, BLOB, NOW)
    job = PostJob(1, TEXT, "en", "k", state, images=(TALL, WIDE))

    images = embed(job)["images"]

    assert isinstance(images, list)
    assert images[0]["image"] == BLOB
    assert images[1]["image"] == "<image 2>"  # not uploaded yet
    assert json.loads(state[media_key(TALL)]) == BLOB


def test_images_take_the_place_of_the_link_card_and_the_link_stays_a_facet() -> None:
    with_images = BlueskyAdapter().build(
        PostJob(1, TEXT, "en", "k", images=(TALL,)), CHANNEL, "jwt"
    )
    without = BlueskyAdapter().build(PostJob(1, TEXT, "en", "k"), CHANNEL, "jwt")

    assert with_images.json()["record"]["embed"]["$type"] == "app.bsky.embed.images"
    assert without.json()["record"]["embed"]["$type"] == "app.bsky.embed.external"
    assert with_images.json()["record"]["facets"] == without.json()["record"]["facets"]


def test_a_blob_is_reused_for_half_an_hour() -> None:
    state = remember_blob(TALL, BLOB, NOW)

    assert uploaded_id(state, TALL, NOW + timedelta(minutes=29)) == json.dumps(
        BLOB, separators=(",", ":")
    )
    assert uploaded_id(state, TALL, NOW + timedelta(minutes=30)) is None


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"error": "BlobTooLarge", "message": "This file is too large."}, Failed),
        (400, {"error": "InvalidRequest", "message": "bad"}, Failed),
        (401, {"error": "AuthenticationRequired", "message": "no"}, Failed),
        (400, {"error": "ExpiredToken", "message": "Token has expired"}, RetryLater),
        (413, {"error": "PayloadTooLarge", "message": "too large"}, Failed),
        (429, {"error": "RateLimitExceeded", "message": "slow down"}, RetryAt),
        (500, {"error": "InternalServerError", "message": "oops"}, RetryLater),
        (502, None, RetryLater),
        (200, {"nothing": "here"}, RetryLater),
    ],
)
def test_an_upload_answer_is_never_unknown_and_names_the_image(
    status: int, body: object, expected: type
) -> None:
    outcome = read_uploaded(answer(status, body), 3, NOW)

    assert isinstance(outcome, expected)
    assert isinstance(outcome, Failed | RetryLater | RetryAt)
    assert outcome.reason.startswith("image 3 upload:")


def test_an_uploaded_blob_is_the_answer() -> None:
    assert read_uploaded(answer(200, {"blob": BLOB}), 1, NOW) == BLOB
