"""Reading rate-limit resets: epoch seconds, deltas, ISO 8601, HTTP dates, Telegram's retry_after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.rate_limits import reset_time

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EPOCH_IN_15 = str(int((NOW + timedelta(minutes=15)).timestamp()))
EPOCH_IN_20H = str(int((NOW + timedelta(hours=20)).timestamp()))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, NOW + timedelta(seconds=120)),
        ({"Retry-After": "Tue, 01 Dec 2026 09:05:00 GMT"}, NOW + timedelta(minutes=5)),
        ({"x-rate-limit-reset": EPOCH_IN_15}, NOW + timedelta(minutes=15)),
        ({"RateLimit-Reset": EPOCH_IN_15}, NOW + timedelta(minutes=15)),
        ({"X-RateLimit-Reset": "2026-12-01T09:10:00.000000Z"}, NOW + timedelta(minutes=10)),
        ({"X-RateLimit-Reset": "2026-12-01T18:10:00+09:00"}, NOW + timedelta(minutes=10)),
        ({"ratelimit-reset": "30"}, NOW + timedelta(seconds=30)),
        # X sends its 24-hour caps on every answer: the one used up is the one to wait for,
        (
            {
                "x-rate-limit-reset": EPOCH_IN_15,
                "x-rate-limit-remaining": "12",
                "x-user-limit-24hour-reset": EPOCH_IN_20H,
                "x-user-limit-24hour-remaining": "0",
            },
            NOW + timedelta(hours=20),
        ),
        # ... and with quota left in the day, the 15-minute window refused the post.
        (
            {
                "x-rate-limit-reset": EPOCH_IN_15,
                "x-rate-limit-remaining": "0",
                "x-user-limit-24hour-reset": EPOCH_IN_20H,
                "x-user-limit-24hour-remaining": "16",
                "x-app-limit-24hour-reset": EPOCH_IN_20H,
                "x-app-limit-24hour-remaining": "1499",
            },
            NOW + timedelta(minutes=15),
        ),
        (
            {
                "x-rate-limit-reset": EPOCH_IN_15,
                "x-user-limit-24hour-reset": EPOCH_IN_20H,
                "x-user-limit-24hour-remaining": "16",
            },
            NOW + timedelta(minutes=15),
        ),
        (
            {
                "x-rate-limit-reset": EPOCH_IN_15,
                "x-rate-limit-remaining": "0",
                "Retry-After": "3600",
            },
            NOW + timedelta(hours=1),
        ),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_reset_time(headers: dict[str, str], expected: datetime | None) -> None:
    assert reset_time(headers, NOW) == expected


def test_telegram_retry_after_joins_the_headers() -> None:
    assert reset_time({}, NOW, retry_after_seconds=15) == NOW + timedelta(seconds=15)
    assert reset_time({"Retry-After": "60"}, NOW, retry_after_seconds=15) == NOW + timedelta(
        seconds=60
    )
