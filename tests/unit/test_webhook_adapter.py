"""The webhook adapter's pure halves: the signed request, and reading answers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from drafts.channels import WebhookChannel
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms.base import HttpResponse
from scheduler.platforms.webhook import WebhookAdapter, read_answer
from tests.fakes import job

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOOK = WebhookChannel(
    id="h", platform="webhook", languages=("en",), url="http://127.0.0.1:9/hooks/x"
)
JOB = job("🌏 서울 기후 포럼 https://example.org #기후", language="ko-KR")


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
