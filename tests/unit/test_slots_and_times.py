"""Slots and times: parsing, DST gaps and overlaps, the order of occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, time
from itertools import islice

import pytest

from drafts.slots import Slot, occurrences, parse_slot
from drafts.times import parse_time, zone

SEOUL, PARIS = zone("Asia/Seoul"), zone("Europe/Paris")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "days", "at"),
    [
        ("mon-fri 09:30", {0, 1, 2, 3, 4}, time(9, 30)),
        ("daily 7:05", set(range(7)), time(7, 5)),
        ("sat,sun 11:00", {5, 6}, time(11)),
        ("fri-mon 18:00", {4, 5, 6, 0}, time(18)),
    ],
)
def test_parse_slot(text: str, days: set[int], at: time) -> None:
    assert parse_slot(text) == Slot(frozenset(days), at)


@pytest.mark.parametrize("text", ["weekdays 09:00", "mon 25:00", "mon-fri", "mon-fry 09:00"])
def test_bad_slots(text: str) -> None:
    with pytest.raises(ValueError, match="slot"):
        parse_slot(text)


def test_occurrences_skip_the_spring_forward_gap() -> None:
    slots = (parse_slot("daily 02:30"),)
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    got = list(islice(occurrences(slots, PARIS, after), 2))
    # 2026-03-29 02:30 does not exist in Paris; the next one is on the 30th (CEST, UTC+2).
    assert got == [
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 0, 30, tzinfo=UTC),
    ]


def test_occurrences_follow_the_local_clock_across_a_dst_change() -> None:
    slots = (parse_slot("daily 09:00"),)
    after = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    got = list(islice(occurrences(slots, PARIS, after), 2))
    assert got == [
        datetime(2026, 10, 25, 8, 0, tzinfo=UTC),  # CET from the 25th: 09:00 is 08:00 UTC
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 10:00", datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00+09:00", datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
        ("2026-12-01T01:00Z", datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
        ("2026-07-01 10:00 Europe/Paris", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01 10:00 UTC", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("+90m", datetime(2026, 11, 29, 13, 30, tzinfo=UTC)),
        ("+2d", datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, SEOUL, NOW) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-03-29 02:30 Europe/Paris", "does not exist in Europe/Paris"),
        ("2026-10-25 02:30 Europe/Paris", "happens twice in Europe/Paris"),
        ("2026-12-01 10:00 Mars/Base", "not an IANA timezone"),
        ("2026-12-01T10:00+09:00 Europe/Paris", "both an offset and a timezone"),
        ("next friday", "is not a time"),
    ],
)
def test_bad_times(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_time(text, SEOUL, NOW)
