"""The Notifications page in Chromium, in English and Korean at 1280 and 375 px: an admin
follows the Channels page's count of given-up notifications to them, sends one again and sees
it waiting; nothing is wider than the window (tests/artifacts/notifications-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drafts.storage import Database
from drafts.users import Role, find_user
from tests.browser.conftest import Browsing, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.integration.notifying import given_up_and_pending
from tests.web.conftest import add_people

LABELS = {
    "en": {"see": "See them and send them again", "again": "Send again", "done": "waiting"},
    "ko": {"see": "확인하고 다시 보내기", "again": "다시 보내기", "done": "기다리고"},
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_admin_sends_a_given_up_notification_again(
    browsing: Browsing, database: Database, language: str, width: int
) -> None:
    words, labels = WORDS[language], LABELS[language]
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    with database.writing() as session:
        find_user(session, "hana").email = "hana@example.org"
    mail, _ = given_up_and_pending(database)
    page = in_window(browsing, words, width)
    log_in(page, hana, words)
    page.goto("/channels")
    expect(page.locator("#notifications-failed")).to_be_visible()
    screenshot(page, f"notifications-channels-{language}-{width}")
    fits(page, width)
    page.get_by_role("link", name=labels["see"]).click()
    expect(page.locator(f"#notification-{mail}")).to_be_visible()
    screenshot(page, f"notifications-failed-{language}-{width}")
    fits(page, width)
    page.get_by_role("button", name=labels["again"]).click()
    expect(page.locator(".flash")).to_contain_text(labels["done"])
    page.goto("/notifications")
    screenshot(page, f"notifications-all-{language}-{width}")
    fits(page, width)
