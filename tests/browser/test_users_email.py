"""An admin sets a user's e-mail address on the users page, in Chromium: a wrong one is refused
beside its field in the admin's language (the page's own check, not the browser's), a right one
is saved and the page comes back by a redirect. In English and in Korean, at 1280 and 375 px,
nothing wider than the window (tests/artifacts/users-email-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drafts.storage import Database
from drafts.users import Role, find_user
from tests.browser.conftest import Browsing, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.web.conftest import Person, add_people

ADDRESS = {
    "en": {
        "field": "E-mail address of mina",
        "save": "Save address",
        "refused": "'mina at example' is not an e-mail address",
        "saved": "Notifications for mina now go to mina@example.org.",
    },
    "ko": {
        "field": "mina의 이메일 주소",
        "save": "주소 저장",
        "refused": "이메일 주소 형식이 아닙니다",
        "saved": "이제 mina의 알림은 mina@example.org(으)로 보냅니다.",
    },
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_admin_sets_a_users_address(
    browsing: Browsing,
    database: Database,
    people: dict[str, Person],
    language: str,
    width: int,
) -> None:
    words, said = WORDS[language], ADDRESS[language]
    sora = add_people(database, {"sora": Role.ADMIN})["sora"]
    admin = in_window(browsing, words, width)
    log_in(admin, sora, words)
    admin.goto("/users")
    row = admin.locator("tr#user-mina")
    field = row.get_by_label(said["field"], exact=True)

    field.fill("mina at example")
    row.get_by_role("button", name=said["save"], exact=True).click()
    expect(row.locator("#problem-email")).to_contain_text(said["refused"])
    expect(field).to_have_value("mina at example")
    admin.wait_for_load_state()  # its style sheet too, before the width is measured
    screenshot(admin, f"users-email-refused-{language}-{width}")
    fits(admin, width)

    field.fill("mina@example.org")
    row.get_by_role("button", name=said["save"], exact=True).click()
    expect(admin.locator("p.flash")).to_have_text(said["saved"])
    expect(field).to_have_value("mina@example.org")
    expect(admin.locator("#problem-email")).to_have_count(0)
    admin.wait_for_load_state()
    screenshot(admin, f"users-email-saved-{language}-{width}")
    fits(admin, width)
    with database.reading() as session:
        assert find_user(session, "mina").email == "mina@example.org"
