"""Reading when a rate limit ends from what platforms send.

``Retry-After`` (seconds or an HTTP date), ``x-rate-limit-reset`` and the 24-hour
``x-*-limit-24hour-reset`` (X, epoch seconds), ``RateLimit-Reset`` (Bluesky, epoch seconds),
``X-RateLimit-Reset`` (Mastodon: ISO 8601; GoToSocial: epoch), Telegram's ``retry_after``
(seconds). When several are present the latest wins: waiting for the wrong, earlier window
only earns another 429.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RESET_HEADERS = (
    "x-rate-limit-reset",
    "x-user-limit-24hour-reset",
    "x-app-limit-24hour-reset",
    "ratelimit-reset",
    "x-ratelimit-reset",
)

# A reset value this small is a delay in seconds, not an epoch (the IETF draft's form).
_DELTA_CEILING = 10 * 365 * 24 * 3600


def reset_time(
    headers: Mapping[str, str], now: datetime, *, retry_after_seconds: float | None = None
) -> datetime | None:
    """The latest moment any rate-limit signal names, or None if there is none."""
    lowered = {key.lower(): value for key, value in headers.items()}
    candidates = [
        parsed
        for name in RESET_HEADERS
        if name in lowered and (parsed := parse_reset(lowered[name], now)) is not None
    ]
    if "retry-after" in lowered:
        parsed = parse_retry_after(lowered["retry-after"], now)
        if parsed is not None:
            candidates.append(parsed)
    if retry_after_seconds is not None:
        candidates.append(now + timedelta(seconds=retry_after_seconds))
    return max(candidates, default=None)


def parse_reset(value: str, now: datetime) -> datetime | None:
    """An epoch (seconds), a delay in seconds, or an ISO 8601 time."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        return _parse_iso(value)
    if number < _DELTA_CEILING:
        return now + timedelta(seconds=number)
    return datetime.fromtimestamp(number, UTC)


def parse_retry_after(value: str, now: datetime) -> datetime | None:
    """``Retry-After``: delay-seconds or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
