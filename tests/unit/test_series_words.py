"""A repeating draft's rule in words (``tidings.web.series_words``), in English and Korean: the
weekday a weekly rule leaves out is publish_at's in the draft's zone, several days are joined,
an interval is said, and a rule the words cannot say is shown as written."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tidings.web.series_words import series_words
from tidings.web.translations import translations

SEOUL = ZoneInfo("Asia/Seoul")
FIRST = datetime(2027, 3, 15, 9, 0, tzinfo=SEOUL)  # a Monday
SHOWN = "2027-03-15 09:00 KST"

WORDS = [
    (
        "FREQ=WEEKLY;COUNT=8",
        8,
        "Every week on Monday, 8 times, from {}",
        "매주 월요일, 8회, {}부터",
    ),
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;UNTIL=20270630",
        23,
        "Every 2 weeks on Monday, Wednesday and Friday, 23 times, from {}",
        "2주마다 월요일, 수요일, 금요일, 23회, {}부터",
    ),
    (
        "FREQ=MONTHLY;COUNT=6",
        6,
        "Every month on day 15, 6 times, from {}",
        "매월 15일, 6회, {}부터",
    ),
    ("FREQ=DAILY;INTERVAL=3;COUNT=1", 1, "Every 3 days, once, on {}", "3일마다, 1회, {}"),
    (
        "FREQ=YEARLY;COUNT=3",
        3,
        "Every year on March 15, 3 times, from {}",
        "매년 3월 15일, 3회, {}부터",
    ),
    (
        "FREQ=MONTHLY;BYDAY=1MO;COUNT=3",
        3,
        "By the rule FREQ=MONTHLY;BYDAY=1MO;COUNT=3, 3 times, from {}",
        "규칙 FREQ=MONTHLY;BYDAY=1MO;COUNT=3, 3회, {}부터",
    ),
]


@pytest.mark.parametrize(("rule", "count", "english", "korean"), WORDS)
def test_a_rule_in_words(rule: str, count: int, english: str, korean: str) -> None:
    said = series_words(rule, FIRST, count, SEOUL, "en", translations("en").gettext)
    assert said == english.format(SHOWN)
    said = series_words(rule, FIRST, count, SEOUL, "ko", translations("ko").gettext)
    assert said == korean.format(SHOWN)


def test_the_weekday_is_the_first_occurrences_in_the_drafts_zone() -> None:
    # Sunday 20:00 in London is Monday 05:00 in Seoul, where the rule repeats.
    first = datetime(2027, 3, 14, 20, 0, tzinfo=UTC)
    said = series_words("FREQ=WEEKLY;COUNT=2", first, 2, SEOUL, "en", translations("en").gettext)
    assert said == "Every week on Monday, 2 times, from 2027-03-15 05:00 KST"
