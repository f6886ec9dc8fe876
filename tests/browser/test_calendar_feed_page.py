"""The preferences page's Calendar feed section in Chromium, in English and Korean at 1280 and
375 px: the viewer makes their link, sees it once on a page of its own, and the link opens the
calendar without a login; the page asks to renew it after that. Nothing is wider than the window
(tests/artifacts/calendar-feed-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drafts.storage import Database
from drafts.users import Role
from tests.browser.conftest import Browsing, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.web.conftest import add_people

LINK = re.compile(r"/calendar\.ics\?token=[\w-]{43}$")
BUTTONS = {
    "en": {"make": "Make my feed link", "renew": "Make a new feed link"},
    "ko": {"make": "내 피드 링크 만들기", "renew": "새 피드 링크 만들기"},
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_viewer_makes_their_feed_link(
    browsing: Browsing, database: Database, language: str, width: int
) -> None:
    words, buttons = WORDS[language], BUTTONS[language]
    mina = add_people(database, {"mina": Role.AUTHOR})["mina"]
    page = in_window(browsing, words, width)
    log_in(page, mina, words)
    page.goto("/preferences")
    page.locator("#calendar-feed").scroll_into_view_if_needed()
    fits(page, width)
    screenshot(page, f"calendar-feed-{language}-{width}")
    page.get_by_role("button", name=buttons["make"], exact=True).click()
    link = page.locator("input[name=feed_link]")
    expect(link).to_have_value(LINK)
    fits(page, width)
    screenshot(page, f"calendar-feed-link-{language}-{width}")
    calendar = browsing.open().request.get(link.input_value())  # no cookie: the token alone
    assert calendar.status == 200 and calendar.text().startswith("BEGIN:VCALENDAR")

    page.goto("/preferences")
    expect(page.get_by_role("button", name=buttons["renew"], exact=True)).to_be_visible()
