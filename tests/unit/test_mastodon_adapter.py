"""The Mastodon adapter's pure halves: the exact request, and reading answers (PLATFORMS.md §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.channels import MastodonChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater
from scheduler.platforms.base import DEFAULT_RATE_LIMIT_WAIT, HttpResponse
from scheduler.platforms.mastodon import MastodonAdapter, read_status
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
