"""Reading when a rate limit ends from what platforms send.

``Retry-After`` (seconds or an HTTP date), ``x-rate-limit-reset`` and the 24-hour
``x-*-limit-24hour-reset`` (X, epoch seconds), ``RateLimit-Reset`` (Bluesky, epoch seconds),
``X-RateLimit-Reset`` (Mastodon: ISO 8601; GoToSocial: epoch), Telegram's ``retry_after``
(seconds).

A platform may report several windows at once (X sends its 15-minute window and two 24-hour
caps on every answer). The wait is for the window that is used up (``*-remaining: 0``), the
latest if several are; when none says so, for the soonest reset, since a window with quota left
is not what refused the request. ``Retry-After`` is an instruction and is always honoured.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Each window's reset header, and the header that says how much of it is left.
WINDOWS = (
    ("x-rate-limit-reset", "x-rate-limit-remaining"),
    ("x-user-limit-24hour-reset", "x-user-limit-24hour-remaining"),
    ("x-app-limit-24hour-reset", "x-app-limit-24hour-remaining"),
    ("ratelimit-reset", "ratelimit-remaining"),
    ("x-ratelimit-reset", "x-ratelimit-remaining"),
)

# A reset value this small is a delay in seconds, not an epoch (the IETF draft's form).
_DELTA_CEILING = 10 * 365 * 24 * 3600


def reset_time(
    headers: Mapping[str, str], now: datetime, *, retry_after_seconds: float | None = None
) -> datetime | None:
    """When the refusing window reopens (see the module's docstring), or None if nothing says."""
    lowered = {key.lower(): value for key, value in headers.items()}
    window = _refusing_window(lowered, now)
    candidates = [window] if window is not None else []
    if "retry-after" in lowered:
        parsed = parse_retry_after(lowered["retry-after"], now)
        if parsed is not None:
            candidates.append(parsed)
    if retry_after_seconds is not None:
        candidates.append(now + timedelta(seconds=retry_after_seconds))
    return max(candidates, default=None)


def _refusing_window(lowered: Mapping[str, str], now: datetime) -> datetime | None:
    used_up: list[datetime] = []
    open_: list[datetime] = []
    for reset_name, remaining_name in WINDOWS:
        reset = parse_reset(lowered[reset_name], now) if reset_name in lowered else None
        if reset is not None:
            exhausted = lowered.get(remaining_name, "").strip() == "0"
            (used_up if exhausted else open_).append(reset)
    if used_up:
        return max(used_up)
    return min(open_, default=None)


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
