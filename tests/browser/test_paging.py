"""A list page's links in Chromium, in English and Korean at 1280 and 375 px: a reviewer pages
through the review inbox to its last page and back to the first; the links fit the window
(tests/artifacts/paging-inbox-*.png, which git ignores; looked at)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browsing, Drafts, screenshot
from tests.browser.test_users_unlock import WORDS, fits, in_window, log_in
from tests.web.conftest import Person
from tidings.web import inbox

LABELS = {
    "en": {"next": "Waiting less long", "first": "First page"},
    "ko": {"next": "더 최근 초안", "first": "첫 페이지"},
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_reviewer_pages_through_the_inbox(
    browsing: Browsing,
    drafts: Drafts,
    people: dict[str, Person],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    width: int,
) -> None:
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    ids = [drafts.add(f"Riverside update {n}", {"en": f"Update {n}"}) for n in range(5)]
    words, labels = WORDS[language], LABELS[language]
    page = in_window(browsing, words, width)
    log_in(page, people["joon"], words)
    page.goto("/inbox")
    rows = page.locator("table.inbox tbody tr")
    for shown in (ids[:2], ids[2:4]):
        expect(rows).to_have_count(len(shown))
        for draft_id in shown:
            expect(page.locator(f"#draft-{draft_id}")).to_be_visible()
        if shown == ids[2:4]:  # both links: back to the first page, on to the next
            expect(page.locator("nav.pages a")).to_have_count(2)
            screenshot(page, f"paging-inbox-middle-{language}-{width}")
            fits(page, width)
        page.get_by_role("link", name=labels["next"]).click()
    expect(rows).to_have_count(1)
    expect(page.locator(f"#draft-{ids[4]}")).to_be_visible()
    expect(page.get_by_role("link", name=labels["next"])).to_have_count(0)  # the last page
    pager = page.locator("nav.pages")
    expect(pager.get_by_role("link", name=labels["first"])).to_be_visible()
    screenshot(page, f"paging-inbox-last-{language}-{width}")
    fits(page, width)
    page.get_by_role("link", name=labels["first"]).click()
    expect(page.locator(f"#draft-{ids[0]}")).to_be_visible()
    expect(page.get_by_role("link", name=labels["next"])).to_be_visible()
    screenshot(page, f"paging-inbox-first-{language}-{width}")
    fits(page, width)
