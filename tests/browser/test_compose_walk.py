"""The compose page walked as an author does, in Chromium, in English and Korean at 1280 and 375
px: a template chosen, its fields filled (one differing by language), a channel's own text
unfolded, an over-long X text previewed previewed. At every step nothing is wider than the window, and the Korean page shows no
English but what the author typed (``test_phone_layout``'s checks); screenshots
``compose-walk-<language>-<step>-<width>.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from drafts.config import Config
from tests.browser.conftest import Browsing, Drafts, log_in, screenshot
from tests.browser.test_phone_layout import READ_TEXTS, WIDER_THAN_THE_WINDOW, as_written
from tests.web.conftest import Person

TEST_TIMEOUT_S = 60
WIDTHS = (1280, 375)
KIND = {"en": "Hiring (template)", "ko": "채용 (템플릿)"}
TYPED = {
    "title": "Communications officer, Seoul office",
    "position": "Communications Officer",
    "position_ko": "커뮤니케이션 담당관",
    "location": "서울",
    "link": "https://example.org/jobs/communications-officer",
    "x_text": "Join us as Communications Officer in Seoul. " * 8,
}

# The hiring template's own examples and channel names in its Korean hints (template content).
TEMPLATE_WORDS = ("Operations Officer", "x", "bluesky")


def looked_at(
    page: Page, name: str, language: str, config: Config, people: dict[str, Person]
) -> None:
    """The page at each width: nothing sticks out, no English on a Korean page; screenshots."""
    typed = (*TYPED.values(), *TEMPLATE_WORDS)
    allowed = as_written(config, people, tuple(sorted(typed, key=len, reverse=True)))
    if language == "ko":
        english = [
            (where, text) for where, text in page.evaluate(READ_TEXTS) if allowed.english(text)
        ]
        assert english == [], f"{name}: English on the Korean page"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(WIDER_THAN_THE_WINDOW) == [], f"{name} at {width} px"
        screenshot(page, f"compose-walk-{language}-{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_author_walks_the_compose_page(
    language: str,
    browsing: Browsing,
    people: dict[str, Person],
    drafts: Drafts,
    config: Config,
) -> None:
    drafts.set_language("mina", language)
    page = browsing.open().new_page()
    page.goto("/login")
    log_in(page, people["mina"])
    page.goto("/compose")
    expect(page.locator("#show-fields")).to_be_hidden()  # the page's script is running
    page.locator('input[name="title"]').fill(TYPED["title"])
    page.locator('input[name="channel"][value="linkedin"]').check()
    page.locator('input[name="channel"][value="x-en"]').check()
    page.locator('select[name="kind"]').select_option(label=KIND[language])
    expect(page.locator('[name="field:position"]')).to_be_visible()
    page.locator('[name="field:position"]').fill(TYPED["position"])
    page.locator("#field-position details.per-language summary").click()
    page.locator('[name="field:position:ko"]').fill(TYPED["position_ko"])
    page.locator('[name="field:location"]').fill(TYPED["location"])
    page.locator('[name="field:deadline"]').fill("2030-12-15")
    page.locator('[name="field:link"]').fill(TYPED["link"])
    folded = page.locator("details.channel-text").filter(
        has=page.locator('textarea[name="channel_text:x-en:en"]')
    )
    folded.locator("summary").press("Enter")
    expect(folded.locator("textarea")).to_be_visible()
    folded.locator("textarea").fill(TYPED["x_text"])
    x_card = page.locator("#live-preview article.post.platform-x")
    expect(x_card.locator(".counts li.over")).to_have_count(1)
    expect(x_card.locator(".own-text-label")).to_have_count(1)
    looked_at(page, "filled", language, config, people)
