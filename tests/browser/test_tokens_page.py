"""The API tokens page in Chromium, in English and Korean at 1280 and 375 px: a viewer reaches
it from Preferences, makes a token (shown once, a refusal first beside its field), sees it
listed, and revokes it after being asked. Nothing is wider than the window
(tests/artifacts/tokens-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drafts.storage import Database
from drafts.users import Role
from tests.browser.conftest import Browsing, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.web.conftest import add_people

TOKEN = re.compile(r"^tdg_[\w-]{43}$")
SAY = {
    "en": {
        "link": "Tokens for scripts and tools that use the HTTP API",
        "name": "Name",
        "make": "Make the token",
        "read": "read: read drafts, posts and channels",
        "none": "give at least one",
        "revoke": "Revoke",
        "sure": "Revoke the token",
        "gone": "Token job-board of mina revoked.",
    },
    "ko": {
        "link": "HTTP API를 쓰는 스크립트와 도구의 토큰",
        "name": "이름",
        "make": "토큰 만들기",
        "read": "read: 초안, 게시물, 채널 읽기",
        "none": "하나 이상 고르세요",
        "revoke": "폐기",
        "sure": "토큰 폐기",
        "gone": "mina의 토큰 job-board을 폐기했습니다.",
    },
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_viewer_makes_and_revokes_a_token(
    browsing: Browsing, database: Database, language: str, width: int
) -> None:
    words, say = WORDS[language], SAY[language]
    mina = add_people(database, {"mina": Role.AUTHOR})["mina"]
    page = in_window(browsing, words, width)
    log_in(page, mina, words)
    page.goto("/preferences")
    page.get_by_role("link", name=say["link"], exact=True).click()
    page.get_by_label(say["name"], exact=True).fill("job-board")
    page.get_by_label(say["read"], exact=True).uncheck()
    page.get_by_role("button", name=say["make"], exact=True).click()
    expect(page.locator("#problem-scopes")).to_have_text(say["none"])
    fits(page, width)
    screenshot(page, f"tokens-refused-{language}-{width}")
    page.get_by_label(say["read"], exact=True).check()
    page.get_by_role("button", name=say["make"], exact=True).click()
    expect(page.locator("input.token-value")).to_have_value(TOKEN)
    fits(page, width)
    screenshot(page, f"tokens-made-{language}-{width}")
    page.get_by_role("link", name=say["revoke"], exact=True).click()
    expect(page.get_by_role("button", name=say["sure"], exact=True)).to_be_visible()  # loaded
    fits(page, width)
    screenshot(page, f"tokens-revoke-{language}-{width}")
    page.get_by_role("button", name=say["sure"], exact=True).click()
    expect(page.get_by_text(say["gone"])).to_be_visible()
    expect(page.locator("table.tokens")).to_have_count(0)
