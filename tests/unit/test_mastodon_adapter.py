"""The Mastodon adapter's pure halves: the exact request, and reading answers (PLATFORMS.md §3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drafts.channels import MastodonChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater
from scheduler.platforms.base import DEFAULT_RATE_LIMIT_WAIT, HttpResponse, JobImage
from scheduler.platforms.mastodon import MastodonAdapter, media_limits, read_status
from scheduler.platforms.uploads import media_key
from scheduler.preview import preview
from tests.fakes import answer, job

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MASTODON = MastodonChannel(
    id="m", platform="mastodon", languages=("ko",), base_url="http://127.0.0.1:9/", token_env="T"
)
JOB = job("🌏 서울 기후 포럼 https://example.org #기후", language="ko-KR")


def test_mastodon_request_carries_language_and_idempotency_key() -> None:
    request = MastodonAdapter().build(JOB, MASTODON, "secret-token")
    assert (request.method, request.url) == ("POST", "http://127.0.0.1:9/api/v1/statuses")
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.headers["Idempotency-Key"] == JOB.idempotency_key
    assert request.json() == {"status": JOB.text, "visibility": "public", "language": "ko"}
    assert MastodonAdapter().displayed_text(request) == JOB.text


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            answer(200, {"id": "42", "url": "https://m.example/@a/42"}),
            Published("42", "https://m.example/@a/42", 200),
        ),
        (
            answer(
                429,
                {"error": "Too many requests"},
                {"X-RateLimit-Reset": "2026-12-01T09:05:00.000Z"},
            ),
            RetryAt(NOW + timedelta(minutes=5), "rate limited: Too many requests", 429),
        ),
        (
            answer(429, {"error": "slow down"}),  # no reset named: the default wait
            RetryAt(NOW + DEFAULT_RATE_LIMIT_WAIT, "rate limited: slow down", 429),
        ),
        (
            answer(503, {"error": "Service Unavailable"}),
            RetryLater("server error 503: Service Unavailable", 503),
        ),
        (answer(500, "oops"), RetryLater('server error 500: "oops"', 500)),
        (
            answer(401, {"error": "The access token is invalid"}),
            Failed(
                "the token was refused (401): The access token is invalid; reconnect the account",
                401,
            ),
        ),
        (
            answer(422, {"error": "Validation failed: Text can't be blank"}),
            Failed("refused (422): Validation failed: Text can't be blank", 422),
        ),
    ],
)
def test_reading_mastodon_answers(response: HttpResponse, expected: Outcome) -> None:
    assert read_status(response, NOW) == expected


IMAGES = (
    JobImage("a" * 64, "image/jpeg", 1600, 1200, 412_000, "서울 시청 앞 광장"),
    JobImage("b" * 64, "image/png", 800, 600, 90_000, "포럼 참가자들"),
)


def test_mastodon_request_with_images_previews_where_their_ids_will_go() -> None:
    shown = preview(post_id=1, text=JOB.text, language="ko-KR", channel=MASTODON, images=IMAGES)

    assert shown.request_json()["body"] == {
        "status": JOB.text,
        "visibility": "public",
        "language": "ko",
        "media_ids": ["<image 1>", "<image 2>"],
    }
    assert shown.request_json()["headers"]["Idempotency-Key"] == "preview"


def test_mastodon_request_names_the_ids_the_images_were_uploaded_as() -> None:
    uploaded = {media_key(IMAGES[0]): "110001", media_key(IMAGES[1]): "110002"}
    post = replace(JOB, state=uploaded, images=IMAGES)

    request = MastodonAdapter().build(post, MASTODON, "secret-token")

    assert request.json()["media_ids"] == ["110001", "110002"]
    assert request.headers["Idempotency-Key"] == JOB.idempotency_key


# configuration of GET /api/v2/instance, as docs.joinmastodon.org/entities/Instance shows it
CONFIGURATION = {
    "statuses": {"max_characters": 500, "max_media_attachments": 4},
    "media_attachments": {
        "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
        "image_size_limit": 10485760,
        "image_matrix_limit": 16777216,
        "video_size_limit": 41943040,
        "description_limit": 1500,
    },
}


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (
            CONFIGURATION,
            {
                "image_size_limit": 10485760,
                "image_matrix_limit": 16777216,
                "description_limit": 1500,
                "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                "max_media_attachments": 4,
            },
        ),
        # An instance older than the description limit, saying little else.
        (
            {"media_attachments": {"image_size_limit": 8388608}},
            {"image_size_limit": 8388608},
        ),
        # Values of the wrong kind are not limits.
        (
            {
                "media_attachments": {"image_size_limit": "10MB", "supported_mime_types": [1]},
                "statuses": {"max_media_attachments": True},
            },
            None,
        ),
        ({}, None),
    ],
)
def test_the_instance_media_limits(
    configuration: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    assert media_limits(configuration) == expected
