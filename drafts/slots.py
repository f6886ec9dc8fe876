"""Posting slots: recurring local times such as ``mon-fri 09:30`` at which a channel likes to post."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$")


@dataclass(frozen=True)
class Slot:
    """Weekdays (0 = Monday) and a wall-clock time."""

    weekdays: frozenset[int]
    at: time


def parse_slot(text: str) -> Slot:
    """Parse ``daily 10:00``, ``mon-fri 09:30``, ``sat,sun 11:00`` or ``tue 14:00``."""
    match = _SLOT.match(text.lower())
    if not match:
        raise ValueError(f"slot {text!r} is not like 'mon-fri 09:30' or 'daily 10:00'")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"slot {text!r} has no such time of day")
    return Slot(weekdays=_parse_days(match["days"], text), at=time(hour, minute))


def _parse_days(spec: str, text: str) -> frozenset[int]:
    if spec == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise ValueError(f"slot {text!r}: days are mon..sun, ranges like mon-fri, or daily")
        start, end = _DAYS.index(first), _DAYS.index(last or first)
        span = (end - start) % 7
        days.update((start + offset) % 7 for offset in range(span + 1))
    return frozenset(days)


def occurrences(slots: tuple[Slot, ...], tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Every slot time strictly after ``after``, in time order, as aware UTC datetimes.

    A slot that falls in a daylight-saving gap that day does not happen that day.
    """
    day = after.astimezone(tz).date()
    while True:
        candidates = sorted(
            {slot.at for slot in slots if day.weekday() in slot.weekdays},
        )
        for at in candidates:
            local = datetime.combine(day, at, tzinfo=tz)
            instant = local.astimezone(UTC)
            if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                continue  # the wall clock skips this time today (spring forward)
            if instant > after:
                yield instant
        day += timedelta(days=1)
