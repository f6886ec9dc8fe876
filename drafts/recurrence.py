"""Recurring drafts: a ``repeat`` rule (an RFC 5545 RRULE, expanded by python-dateutil) and
the times of its occurrences.

``publish_at`` is the first occurrence. The rule is expanded on the wall clock of the draft's
zone, so a Monday 09:00 post stays at 09:00 on both sides of a daylight-saving change; only then
is each time given its zone's offset for that day. A wall-clock time the clocks skip that day
(02:30 when they jump from 02:00 to 03:00) is the instant it would have been an hour earlier's
offset (03:30), and a time that happens twice is its first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from drafts.errors import DraftError
from drafts.messages import N_, Instant, Said, problem, said

# A year of daily posts: each occurrence is a post per channel and language, all reviewed at once.
MAX_OCCURRENCES = 366
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PARTS = frozenset(
    {
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYDAY",
        "BYMONTHDAY",
        "BYMONTH",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYSETPOS",
        "WKST",
    }
)
TIME_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})
COUNTED = ("INTERVAL", "COUNT")  # parts that count: a whole number from 1


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a draft: its number (from 1) and when it is published (unknown yet
    for a draft that does not repeat and has no publish_at)."""

    number: int
    at: datetime | None

    def day(self, zone: ZoneInfo) -> date | None:
        """The occurrence's date in ``zone``, as templates get it (``occurrence_date``)."""
        return self.at.astimezone(zone).date() if self.at is not None else None


def occurrences(rule: str | None, first: datetime | None, zone: ZoneInfo) -> tuple[Occurrence, ...]:
    """Every occurrence of a draft that repeats by ``rule`` from ``first``, or the one
    occurrence of a draft that does not (at ``first``, which may be unknown yet).

    A DraftError names ``repeat`` (or ``publish_at``) and the problem."""
    if rule is None:
        return (Occurrence(1, first),)
    if first is None:
        raise DraftError(
            problem("publish_at", N_("a repeating draft needs its first date and time"))
        )
    start = first.astimezone(zone).replace(tzinfo=None)
    expanded = list(islice(_rule(rule, start, zone), MAX_OCCURRENCES + 1))
    if len(expanded) > MAX_OCCURRENCES:
        raise DraftError(
            problem("repeat", N_("yields more than %(limit)s occurrences"), limit=MAX_OCCURRENCES)
        )
    if not expanded or expanded[0] != start:
        if not expanded:
            raise DraftError(problem("repeat", N_("has no occurrence from publish_at on")))
        after = N_("publish_at must be its first occurrence (the rule's first is %(first)s)")
        first_one = Instant(
            expanded[0].replace(tzinfo=zone), expanded[0].strftime("%Y-%m-%d %H:%M")
        )
        raise DraftError(problem("repeat", after, first=first_one))
    return tuple(
        Occurrence(number, wall.replace(tzinfo=zone)) for number, wall in enumerate(expanded, 1)
    )


def check_rule(rule: str) -> str:
    """``rule`` tidied (upper case, no ``RRULE:``), or a DraftError naming what is wrong."""
    body = rule.strip().upper().removeprefix("RRULE:")
    parts = _parts(body)
    if parts.get("FREQ") not in FREQUENCIES:
        raise DraftError(problem("repeat", N_("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")))
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise DraftError(problem("repeat", N_("needs COUNT or UNTIL: a series must end")))
    if "COUNT" in parts and "UNTIL" in parts:
        raise DraftError(problem("repeat", N_("give COUNT or UNTIL, not both (RFC 5545)")))
    for name in COUNTED:
        if name in parts and not _counts(parts[name]):
            raise DraftError(
                problem("repeat", N_("%(part)s must be a whole number from 1"), part=name)
            )
    return body


def _counts(value: str) -> bool:
    """Whether ``value`` counts something: digits, not 0 (INTERVAL=0 would put every
    occurrence at the first one's time)."""
    return value.isascii() and value.isdigit() and int(value) >= 1


def _rule(body: str, start: datetime, zone: ZoneInfo) -> rrule:
    parts = _parts(check_rule(body))
    if "UNTIL" in parts:
        parts["UNTIL"] = _wall_until(parts["UNTIL"], zone)
    text = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        expanded = rrulestr(text, dtstart=start)
    except (ValueError, TypeError, OverflowError) as error:
        raise DraftError(
            problem("repeat", N_("not an RRULE: %(reason)s"), reason=str(error))
        ) from None
    assert isinstance(expanded, rrule)
    return expanded


def _parts(body: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in filter(None, body.split(";")):
        key, equals, value = piece.partition("=")
        if not equals or not value:
            raise DraftError(
                problem(
                    "repeat",
                    N_("%(part)s is not NAME=VALUE (a rule reads like FREQ=WEEKLY;COUNT=8)"),
                    part=piece,
                )
            )
        if key in TIME_PARTS:
            raise DraftError(
                problem("repeat", N_("%(part)s: the time of day is publish_at's"), part=key)
            )
        if key not in PARTS:
            raise DraftError(
                problem("repeat", N_("%(part)s is not an RRULE part Tidings takes"), part=key)
            )
        if key in parts:
            raise DraftError(problem("repeat", N_("%(part)s is given twice"), part=key))
        parts[key] = value
    return parts


def _wall_until(value: str, zone: ZoneInfo) -> str:
    """UNTIL on the series' wall clock: a UTC instant (``…Z``) moved into ``zone``; a date
    or a local time as written (dateutil wants UNTIL as naive as the start)."""
    formats = {16: "%Y%m%dT%H%M%SZ", 15: "%Y%m%dT%H%M%S", 8: "%Y%m%d"}
    try:
        parsed = datetime.strptime(value, formats[len(value)])  # noqa: DTZ007 (zone below)
    except (KeyError, ValueError):
        raise DraftError(
            problem(
                "repeat",
                N_("UNTIL=%(value)s is not a date (20270331) or a time (20270331T090000Z)"),
                value=value,
            )
        ) from None
    if value.endswith("Z"):
        parsed = parsed.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    elif len(value) == 8:
        parsed = parsed.replace(hour=23, minute=59, second=59)  # the whole day counts
    return parsed.strftime("%Y%m%dT%H%M%S")


class SeriesPost(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def occurrence(self) -> int: ...


# X refuses a text its account already posted ("duplicate content"): a series sending the
# same text twice there would fail from its second occurrence on.
REFUSES_REPEATS = {"x": "X"}  # platform -> its name
REPEATED_TEXT = N_(
    "%(channel)s (%(language)s): occurrences %(first)s and %(second)s would send the same "
    "text, which %(platform)s refuses; write the draft with a template that uses "
    "{{ occurrence }} or {{ occurrence_date }} so that each occurrence differs"
)


def repeated_texts(posts: Iterable[SeriesPost]) -> list[Said]:
    """A sentence for each channel and language of a series that would send one text twice to
    a platform that refuses repeats, naming the first two occurrences that would."""
    first: dict[tuple[str, str, str], int] = {}
    found: dict[tuple[str, str], Said] = {}
    for post in sorted(posts, key=lambda post: post.occurrence):
        if post.platform not in REFUSES_REPEATS or (post.channel, post.language) in found:
            continue
        seen = first.setdefault((post.channel, post.language, post.text), post.occurrence)
        if seen != post.occurrence:
            found[post.channel, post.language] = said(
                REPEATED_TEXT,
                channel=post.channel,
                language=post.language,
                first=seen,
                second=post.occurrence,
                platform=REFUSES_REPEATS[post.platform],
            )
    return list(found.values())
