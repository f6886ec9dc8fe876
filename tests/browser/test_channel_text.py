"""A shorter X text beside the long LinkedIn one, in Chromium (issue 17, point 11): an author
writes the English text, unfolds "write a different English text for x-en" under it, and the
live preview shows and counts the X post with its own text while LinkedIn keeps the long one;
"Save and submit" stores both. In English and in Korean (the author's interface language);
screenshots at 1280 and 375 pixels (``channel-text-<language>-<width>.png``), no page wider
than the window.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drafts.authoring import draft_posts
from drafts.lifecycle import DraftStatus
from drafts.storage import Database
from tests.browser.conftest import Browsing, Drafts, log_in, screenshot
from tests.web.conftest import Person

WIDTHS = (1280, 375)
LONG = (
    "The riverside park is open again after eighteen months of work. The city planted four "
    "hundred trees along the water, rebuilt the footbridge to the north bank and added a "
    "playground designed with the children of the two schools nearby. Guided walks start on "
    "Saturday at ten; the programme and a map are on our website."
)
SHORT = "The riverside park is open again. Guided walks on Saturday at ten."
UNFOLD = {
    "en": "Write a different English text for x-en",
    "ko": "x-en 채널에 보낼 영어 본문 따로 쓰기",
}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_author_writes_a_shorter_x_text_and_linkedin_keeps_the_long_one(
    language: str,
    browsing: Browsing,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
) -> None:
    drafts.set_language("mina", language)
    page = browsing.open().new_page()
    page.goto("/login")
    log_in(page, people["mina"])
    page.goto("/compose")
    page.locator('input[name="channel"][value="linkedin"]').check()
    page.locator('input[name="channel"][value="x-en"]').check()
    page.locator('input[name="title"]').fill("Riverside park reopens")
    page.locator('textarea[name="text:en"]').fill(LONG)
    x_card = page.locator("#live-preview article.post.platform-x")
    expect(x_card.locator(".counts li.over")).to_have_count(1)  # the long text is over X's 280

    folded = page.locator("details.channel-text", has_text=UNFOLD[language])
    expect(folded.locator("textarea")).to_be_hidden()
    folded.locator("summary").click()
    folded.locator('textarea[name="channel_text:x-en:en"]').fill(SHORT)
    expect(x_card.locator(".post-text")).to_have_text(SHORT)
    expect(x_card.locator(".counts li.fits")).to_have_count(1)
    linkedin_en = page.locator("#live-preview article.post.platform-linkedin", has_text=LONG[:40])
    expect(linkedin_en).to_have_count(1)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the compose page at {width} px is {wide} px wide"
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"channel-text-{language}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    page.locator('button[name="action"][value="submit"]').click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_id = int(page.url.rsplit("/", 1)[1])
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    with database.reading() as session:
        texts = {(p.channel, p.language): p.text for p in draft_posts(session, draft_id)}
    assert texts["x-en", "en"] == SHORT
    assert texts["linkedin", "en"] == LONG
