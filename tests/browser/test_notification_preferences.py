"""The preferences page's notifications in Chromium, in English and Korean at 1280 and 375 px: an
admin sees a box for each event, saves an address with one event turned off, and sees both kept;
an address the page refuses is shown beside its field. Nothing is wider than the window
(tests/artifacts/preferences-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drafts.storage import Database
from drafts.users import Role, find_user
from tests.browser.conftest import Browsing, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.web.conftest import add_people

LABELS = {
    "en": {
        "email": "E-mail address for notifications",
        "approved": "My draft is approved",
        "save": "Save",
        "refused": "is not an e-mail address",
    },
    "ko": {
        "email": "알림을 받을 이메일 주소",
        "approved": "내 초안이 승인되었을 때",
        "save": "저장",
        "refused": "이메일 주소 형식이 아닙니다",
    },
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_admin_chooses_an_address_and_the_events(
    browsing: Browsing, database: Database, language: str, width: int
) -> None:
    words, labels = WORDS[language], LABELS[language]
    hana = add_people(database, {"hana": Role.ADMIN})["hana"]
    page = in_window(browsing, words, width)
    log_in(page, hana, words)
    page.goto("/preferences")
    expect(page.locator("input[name=events]")).to_have_count(6)
    page.get_by_label(labels["email"]).fill("hana@example.org")
    page.get_by_label(labels["approved"]).uncheck()
    fits(page, width)
    screenshot(page, f"preferences-{language}-{width}")
    page.get_by_role("button", name=labels["save"], exact=True).click()
    expect(page.locator(".flash")).to_be_visible()
    with database.reading() as session:
        stored = find_user(session, "hana")
        assert (stored.email, stored.muted_events) == ("hana@example.org", ["approved"])

    page.goto("/preferences")
    expect(page.get_by_label(labels["email"])).to_have_value("hana@example.org")
    expect(page.get_by_label(labels["approved"])).not_to_be_checked()
    page.get_by_label(labels["email"]).fill("hana at example")
    # The browser's own check of an e-mail field would stop the form first: the server's is
    # what this shows.
    page.locator("form.preferences").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name=labels["save"], exact=True).click()
    expect(page.locator("#problem-email")).to_contain_text(labels["refused"])
    fits(page, width)
    screenshot(page, f"preferences-refused-{language}-{width}")
