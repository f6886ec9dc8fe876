"""The draft page's actions in Chromium (issue 17 points 2 and 3): an author's approved draft
offers Edit, the schedule form, Publish now and Cancel; Publish now asks first and, confirmed,
leaves the draft scheduled with its posts due; a reviewer's draft in review offers Approve,
Request changes and Cancel, never Edit. In English and Korean, at 375 and 1280 px, nothing
wider than the window.

Screenshots: ``tests/artifacts/draft-actions-<what>-<language>-<width>.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browsing, Drafts, log_in, screenshot
from tests.web.conftest import Person

WIDTHS = (375, 1280)
TEXT = {
    "en": "The riverside park is open again: new paths, more shade and a playground.",
    "ko": "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.",
}
WORDS = {
    "en": {
        "edit": "Edit this draft",
        "publish": "Publish now…",
        "confirm": "Publish now",
        "cancel": "Cancel the draft…",
        "approve": "Approve",
        "scheduled": "scheduled",
    },
    "ko": {
        "edit": "이 초안 편집",
        "publish": "지금 게시…",
        "confirm": "지금 게시",
        "cancel": "초안 취소…",
        "approve": "승인",
        "scheduled": "예약됨",
    },
}


def fits(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert wide <= inner, f"{page.url} is {wide} px wide in a {inner} px window"


def shot(page: Page, what: str, language: str) -> None:
    """The page at each width, checked to fit, and its screenshot."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        fits(page)
        screenshot(page, f"draft-actions-{what}-{language}-{width}")


def logged_in(browsing: Browsing, person: Person) -> Page:
    """A browser of their own, logged in (the pages then speak the language they chose)."""
    page = browsing.open().new_page()
    log_in(page, person)
    return page


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_draft_page_offers_each_person_their_actions(
    browsing: Browsing, drafts: Drafts, people: dict[str, Person], language: str
) -> None:
    for name in people:
        drafts.set_language(name, language)
    words = WORDS[language]
    approved = drafts.add("Riverside park reopens · 강변 공원", TEXT)
    drafts.approve(approved, "joon")
    in_review = drafts.add("Tram line 4 every six minutes", {"en": "Tram 4 runs every 6 min."})

    mina = logged_in(browsing, people["mina"])
    mina.goto(f"/drafts/{approved}")
    actions = mina.locator(".draft-actions")
    expect(actions.get_by_role("link", name=words["edit"])).to_be_visible()
    expect(actions.get_by_role("link", name=words["cancel"])).to_be_visible()
    expect(mina.locator("section.schedule input[name=at]")).to_be_visible()
    shot(mina, "approved", language)

    actions.get_by_role("link", name=words["publish"]).click()
    expect(mina.locator("h1")).to_contain_text(f"#{approved}")
    shot(mina, "publish-now", language)
    mina.get_by_role("button", name=words["confirm"], exact=True).click()
    expect(mina.locator(".draft-facts .status")).to_have_text(words["scheduled"])
    expect(mina.locator(".flash")).to_be_visible()
    shot(mina, "published-now", language)
    assert drafts.status(approved) == "scheduled"

    joon = logged_in(browsing, people["joon"])
    joon.goto(f"/drafts/{in_review}")
    expect(joon.get_by_role("button", name=words["approve"], exact=True)).to_be_visible()
    expect(joon.get_by_role("link", name=words["edit"])).to_have_count(0)
    shot(joon, "reviewer", language)
