"""IANA timezones, looked up once and named in errors."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not an IANA timezone (like Asia/Seoul, Europe/Berlin)"
        ) from None
