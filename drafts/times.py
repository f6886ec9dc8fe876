"""Time in Tidings: now, IANA zones, reading the times people type, showing times in their zone.

Every instant is aware and in UTC (``utcnow``; drafts.timestamps stores them so); the zone is
kept beside it for display (``show``). Times people type are accepted as ``2026-12-01 10:00``
(in the default zone), ``2026-12-01T10:00:00+09:00`` or ``…Z``, ``2026-12-01 10:00 Europe/Paris``
(an IANA zone after the time), and ``+10s``, ``+30m``, ``+2h``, ``+1d`` (from now); ``now`` itself
is no time to read but a request (``means_now``: scheduling takes it as "publish now"). A
wall-clock time that a daylight-saving change skips or repeats is refused with the reason,
because guessing would move a post by an hour. A time is taken only a day inside
the calendar's years 1 to 9999, so that every timezone can show it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drafts.messages import N_, said

_RELATIVE = re.compile(r"^\+(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_MOST_DIGITS = 12  # 10**12 seconds is past the year 9999 from any now
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
# Raised as ``ValueError(said(...))``: the command line says the English line, the web tells it
# in the reader's language (``drafts.messages.reason_of``).
NOT_A_ZONE = N_("%(name)s is not an IANA timezone (like Asia/Seoul, Europe/Berlin)")
NOT_A_TIME = N_(
    "%(written)s is not a time such as '2026-12-01 10:00', '2026-12-01T10:00+09:00' or '+2h'"
)
OFFSET_AND_ZONE = N_("%(written)s gives both an offset and a timezone; give one")
NOT_FROM_NOW = N_(
    "%(written)s is not a time from now: give + a whole number and s, m, h or d, "
    "like +10s, +5m, +2h or +1d"
)
PAST_9999 = N_("%(written)s is past the year 9999")
TWICE = N_(
    "%(wall)s happens twice in %(zone)s (clocks go back); add an offset such as %(first)s "
    "or %(second)s"
)
SKIPPED = N_("%(wall)s does not exist in %(zone)s (clocks go forward)")
OUT_OF_RANGE = N_("%(when)s is out of range (give a time between 0001-01-02 and 9999-12-30)")


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, looked up once; ``ValueError`` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(said(NOT_A_ZONE, name=repr(name))) from None


def means_now(text: str) -> bool:
    """Whether ``text`` asks for now itself (``now``, in any case) rather than naming a time."""
    return text.strip().lower() == "now"


def parse_time(text: str, default_zone: ZoneInfo, now: datetime) -> datetime:
    """The instant ``text`` names, aware and in UTC; ``ValueError`` says what is wrong."""
    text = text.strip()
    if text[:1] in {"+", "-"}:
        return _relative(text, now)
    clock, zone_name = text, ""
    if _has_zone_suffix(text):
        clock, zone_name = text.rsplit(" ", 1)
    try:
        parsed = datetime.fromisoformat(clock.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(said(NOT_A_TIME, written=repr(text))) from None
    if parsed.tzinfo is not None:
        if zone_name:
            raise ValueError(said(OFFSET_AND_ZONE, written=repr(text)))
        return in_calendar(parsed)
    return localize(parsed, zone(zone_name) if zone_name else default_zone)


def _relative(text: str, now: datetime) -> datetime:
    relative = _RELATIVE.match(text)
    if relative is None:
        raise ValueError(said(NOT_FROM_NOW, written=repr(text)))
    digits, unit = relative[1], _UNITS[relative[2]]
    try:
        if len(digits) > _MOST_DIGITS:  # int() refuses thousands of digits with its own words
            raise OverflowError
        return in_calendar(now + timedelta(**{unit: int(digits)}))
    except OverflowError:
        raise ValueError(said(PAST_9999, written=repr(text))) from None


def _has_zone_suffix(text: str) -> bool:
    head, _, last = text.rpartition(" ")
    return bool(head) and ("/" in last or last == "UTC")


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant a naive wall-clock time names in ``tz``, refusing DST gaps and overlaps."""
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        if _round_trips(first):
            words = {"first": _offset(first), "second": _offset(second)}
            raise ValueError(said(TWICE, wall=f"{wall:%Y-%m-%d %H:%M}", zone=tz.key, **words))
        raise ValueError(said(SKIPPED, wall=f"{wall:%Y-%m-%d %H:%M}", zone=tz.key))
    return in_calendar(first)


def in_calendar(instant: datetime) -> datetime:
    """``instant`` in UTC; ``ValueError`` when some timezone could not show it."""
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        when = instant.isoformat(sep=" ", timespec="minutes")
        raise ValueError(said(OUT_OF_RANGE, when=when))
    return utc


def _round_trips(aware: datetime) -> bool:
    tz = aware.tzinfo
    assert tz is not None
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == aware.replace(tzinfo=None)


def _offset(aware: datetime) -> str:
    return aware.strftime("%z")[:3] + ":" + aware.strftime("%z")[3:]


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last second of ``day`` in ``tz`` (a deadline given as a date lasts the whole day)."""
    return localize(datetime.combine(day, time(23, 59, 59)), tz)


def show(instant: datetime, tz: tzinfo) -> str:
    """``2026-12-01 10:00 KST``: how times are shown to people. (Written field by field: a
    format string of ``strftime`` codes took twice as long, and lists show a time a row.)"""
    local = instant.astimezone(tz)
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return f"{day} {local.hour:02d}:{local.minute:02d} {local.tzname()}"
