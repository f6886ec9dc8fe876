"""A reviewer locked out by failed logins, and the admin who lets them back in, in Chromium: the
login page says an admin can unlock the name; the users page shows the lock in the reviewer's
row with an Unlock button; pressing it lets the right password in at once. In English and in
Korean, at 1280 and 375 px, nothing wider than the window (tests/artifacts/users-unlock-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from drafts.storage import Database
from drafts.users import Role
from tests.browser.conftest import Browsing, screenshot
from tests.web.conftest import Person, add_people
from tidings.web.login_throttle import NAME_LIMIT

WORDS = {
    "en": {
        "locale": "en-GB",
        "name": "Name",
        "password": "Password",
        "log_in": "Log in",
        "way_out": "or ask an admin to unlock it.",
        "locked": "locked after failed logins until",
        "unlock": "Unlock joon",
        "unlocked": "Unlocked joon: they can log in again.",
    },
    "ko": {
        "locale": "ko-KR",
        "name": "이름",
        "password": "비밀번호",
        "log_in": "로그인",
        "way_out": "관리자에게 잠금 해제를 요청하세요.",
        "locked": "로그인 실패로",
        "unlock": "joon 잠금 해제",
        "unlocked": "joon 사용자의 잠금을 해제했습니다.",
    },
}


def log_in(page: Page, person: Person, words: dict[str, str]) -> None:
    page.goto("/login")
    page.get_by_label(words["name"], exact=True).fill(person.name)
    page.get_by_label(words["password"], exact=True).fill(person.password)
    page.get_by_role("button", name=words["log_in"], exact=True).click()


def in_window(browsing: Browsing, words: dict[str, str], width: int) -> Page:
    """A page of its own (its own cookies) asking for the language with every request (the
    context's locale would send its own with a navigation), in a window ``width`` wide."""
    page = browsing.open().new_page()
    language = words["locale"]
    page.route(
        "**/*",
        lambda route: route.fallback(
            headers={**route.request.headers, "accept-language": language}
        ),
    )
    page.set_viewport_size({"width": width, "height": 900})
    return page


def fits(page: Page, width: int) -> None:
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"the page is {scrolled} px wide in a {width} px window"


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_admin_lets_a_locked_out_reviewer_back_in(
    browsing: Browsing,
    database: Database,
    people: dict[str, Person],
    language: str,
    width: int,
) -> None:
    words = WORDS[language]
    sora = add_people(database, {"sora": Role.ADMIN})["sora"]
    joon = in_window(browsing, words, width)
    for _ in range(NAME_LIMIT + 1):
        log_in(joon, Person("joon", "not-his-password"), words)
    log_in(joon, people["joon"], words)  # the right password, too late
    expect(joon.locator(".error")).to_contain_text(words["way_out"])
    fits(joon, width)
    screenshot(joon, f"users-unlock-login-{language}-{width}")

    admin = in_window(browsing, words, width)
    log_in(admin, sora, words)
    admin.goto("/users")
    row = admin.locator("tr#user-joon")
    expect(row.locator(".locked")).to_contain_text(words["locked"])
    expect(admin.locator("tr#user-mina .locked")).to_have_count(0)
    fits(admin, width)
    screenshot(admin, f"users-unlock-locked-{language}-{width}")
    row.get_by_role("button", name=words["unlock"]).click()
    expect(admin.get_by_text(words["unlocked"])).to_be_visible()
    expect(row.locator(".locked")).to_have_count(0)
    screenshot(admin, f"users-unlock-unlocked-{language}-{width}")

    log_in(joon, people["joon"], words)
    expect(joon.locator(".who")).to_contain_text("joon")
