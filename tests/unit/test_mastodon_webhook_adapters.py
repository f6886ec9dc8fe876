"""The Mastodon and webhook adapters' pure halves: the exact request, and reading answers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from drafts.channels import MastodonChannel, WebhookChannel
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import DEFAULT_RATE_LIMIT_WAIT, HttpResponse, PostJob
from scheduler.platforms.mastodon import MastodonAdapter, read_status
from scheduler.platforms.webhook import WebhookAdapter, read_answer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MASTODON = MastodonChannel(
    id="m", platform="mastodon", languages=("ko",), base_url="http://127.0.0.1:9/", token_env="T"
)
HOOK = WebhookChannel(
    id="h", platform="webhook", languages=("en",), url="http://127.0.0.1:9/hooks/x"
)
JOB = PostJob(
    post_id=7,
    text="🌏 서울 기후 포럼 https://example.org #기후",
    language="ko-KR",
    idempotency_key="k-1",
)


def test_mastodon_request_carries_language_and_idempotency_key() -> None:
    request = MastodonAdapter().build(JOB, MASTODON, "secret-token")
    assert (request.method, request.url) == ("POST", "http://127.0.0.1:9/api/v1/statuses")
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert request.headers["Idempotency-Key"] == "k-1"
    assert request.json() == {"status": JOB.text, "visibility": "public", "language": "ko"}
    assert MastodonAdapter().displayed_text(request) == JOB.text


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, headers or {}, json.dumps(body).encode())


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


def test_webhook_signs_the_exact_body() -> None:
    request = WebhookAdapter().build(JOB, HOOK, "signing-key")
    assert request.content is not None
    expected = hmac.new(b"signing-key", request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Tidings-Signature"] == f"sha256={expected}"
    assert json.loads(request.content) == {"text": JOB.text}
    assert "X-Tidings-Signature" not in WebhookAdapter().build(JOB, HOOK, "").headers


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, Published),
        (204, Published),
        (400, Failed),
        (403, Failed),
        (404, Failed),
        (429, RetryAt),
        (502, RetryLater),
        (503, RetryLater),
        (500, Unknown),
        (504, Unknown),
    ],
)
def test_reading_webhook_answers(status: int, kind: type) -> None:
    assert isinstance(read_answer(HttpResponse(status, {}, b"ok"), JOB, NOW), kind)
