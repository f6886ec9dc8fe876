"""A recurring post in Chromium, in English and in Korean (issue 14): an author composes a weekly
series with the Repeat control and sends it to review, a reviewer reads its occurrences and
approves it, the calendar shows each occurrence with its place in the series, and one
occurrence is skipped from the draft's page. Each page is read at 1280 px and on a 375 px
phone, where nothing may be wider than the window.

Screenshots: ``tests/artifacts/recurring-<page>-<language>-<width>.png``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from drafts.lifecycle import DraftStatus
from tests.browser.conftest import Browsing, Drafts, log_in, screenshot
from tests.web.conftest import Person

TEST_TIMEOUT_S = 120  # two people, four pages, two widths
SEOUL = ZoneInfo("Asia/Seoul")  # [tidings] timezone in the tests' config: the viewers' zone
WIDTHS = (1280, 375)
TEXT = "This week's city: the riverside, its new paths and the playground."
WORDS = {
    "en": {
        "rule": "Every week on Monday, 4 times, from {first}",
        "skipped": "skipped",
        "scheduled": "scheduled",
        "flash": "the occurrence on {day} is skipped",
    },
    "ko": {
        "rule": "매주 월요일, 4회, {first}부터",
        "skipped": "건너뜀",
        "scheduled": "예약됨",
        "flash": "{day} 회차를 건너뜁니다",
    },
}


def monday_ahead() -> datetime:
    """A Monday at 09:00 in Seoul two to three weeks ahead."""
    day = datetime.now(SEOUL).date() + timedelta(weeks=2)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SEOUL)


def at_both_widths(page: Page, name: str) -> None:
    """Screenshots of the page at each width; nothing may be wider than a phone's window."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide in a {width} px window"
        screenshot(page, f"recurring-{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def draft_id_in(page: Page) -> int:
    found = re.search(r"/drafts/(\d+)$", page.url)
    assert found, f"not on a draft page: {page.url}"
    return int(found[1])


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_weekly_series_is_composed_approved_shown_and_one_occurrence_skipped(
    browsing: Browsing, people: dict[str, Person], drafts: Drafts, language: str
) -> None:
    words = WORDS[language]
    drafts.set_language("mina", language)
    drafts.set_language("joon", language)
    first = monday_ahead()
    shown_first = first.strftime("%Y-%m-%d 09:00 KST")

    # The author composes a weekly series of four, watching the preview fold its occurrences.
    page = browsing.open().new_page()
    log_in(page, people["mina"])
    page.goto("/compose")
    page.locator('input[name="title"]').fill(f"City of the week ({language})")
    page.locator('input[name="channel"][value="linkedin"]').check()
    page.locator('textarea[name="text:en"]').fill(TEXT)
    page.locator('input[name="publish_at"]').fill(first.strftime("%Y-%m-%dT%H:%M"))
    page.locator('select[name="repeat_every"]').select_option("WEEKLY")
    page.locator('input[name="repeat_count"]').fill("4")
    folds = page.locator("#live-preview details.occurrence-posts")
    expect(folds).to_have_count(4)
    expect(folds.nth(0)).to_have_attribute("open", "")
    expect(folds.nth(2).locator(".occurrence-label")).to_have_text("3/4")
    at_both_widths(page, f"compose-{language}")
    page.locator('button[name="action"][value="submit"]').click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_id = draft_id_in(page)
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    expect(page.locator("#series-rule")).to_have_text(words["rule"].format(first=shown_first))

    # The reviewer reads its occurrences and approves the series at once.
    reviewer = browsing.open().new_page()
    log_in(reviewer, people["joon"])
    reviewer.goto(f"/drafts/{draft_id}")
    occurrences = reviewer.locator(".occurrence")
    expect(occurrences).to_have_count(4)
    expect(reviewer.locator("#occurrence-1 details.occurrence-posts")).to_have_attribute("open", "")
    expect(reviewer.locator("#occurrence-2 details.occurrence-posts")).not_to_have_attribute(
        "open", ""
    )
    reviewer.locator("form.approve button[type=submit]").click()
    expect(reviewer.locator(".flash")).to_be_visible()
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED
    expect(reviewer.locator(".occurrence-head .status")).to_have_text([words["scheduled"]] * 4)
    expect(reviewer.locator("form.skip-occurrence")).to_have_count(4)
    at_both_widths(reviewer, f"draft-{language}")

    # The calendar's week of the second occurrence shows it as 2/4.
    second = first + timedelta(weeks=1)
    year, week, _ = second.isocalendar()
    reviewer.goto(f"/calendar?week={year}-W{week:02d}")
    entry = reviewer.locator(f'#channel-linkedin td[data-day="{second.date().isoformat()}"] .entry')
    expect(entry).to_have_count(1)
    expect(entry.locator(".occurrence-label")).to_have_text("2/4")
    expect(entry).to_contain_text("09:00")
    at_both_widths(reviewer, f"calendar-{language}")

    # The reviewer skips the second occurrence; the rest of the series goes on.
    reviewer.goto(f"/drafts/{draft_id}")
    reviewer.locator("#occurrence-2 form.skip-occurrence button").click()
    flash = words["flash"].format(day=second.date().isoformat())
    expect(reviewer.locator(".flash")).to_contain_text(flash)
    expect(reviewer.locator("#occurrence-2 .occurrence-head .status")).to_have_text(
        words["skipped"]
    )
    expect(reviewer.locator("form.skip-occurrence")).to_have_count(3)
    at_both_widths(reviewer, f"skipped-{language}")
    reviewer.goto(f"/calendar?week={year}-W{week:02d}")
    expect(entry).to_have_count(0)  # a skipped post is not planned any more
