"""A thread written and read in Chromium (issue 11), in English and Korean at 1280 and 375 px: the
author ticks "Split into a thread when too long" and writes a first comment; the live preview
and then the draft page show X's parts numbered, each after the one before with its reply
arrow, the comment last, and LinkedIn's one post with its comment under it. Nothing is wider
than the window and the Korean pages show no English but what the author typed
(``test_phone_layout``'s checks); screenshots ``thread-chain-<language>-<step>-<width>.png``.
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
TITLE = "Riverside park reopens"
TEXT = " ".join(
    f"Sentence {number} tells one more thing about the riverside park and its new paths."
    for number in range(1, 8)
)
COMMENT = "Opening hours: https://example.org/park"
SPLIT = {"en": "Split into a thread when too long", "ko": "너무 길면 스레드로 나누기"}
ADD_COMMENT = {"en": "Add a first comment in English", "ko": "영어 첫 댓글 쓰기"}
FIRST_COMMENT = {"en": "first comment", "ko": "첫 댓글"}


def looked_at(
    page: Page, name: str, language: str, config: Config, people: dict[str, Person]
) -> None:
    """The page at each width: nothing sticks out, no English on a Korean page; screenshots."""
    allowed = as_written(config, people, (TEXT, COMMENT, TITLE, "https://t.co/xxxxxxxxxx"))
    if language == "ko":
        english = [
            (where, text) for where, text in page.evaluate(READ_TEXTS) if allowed.english(text)
        ]
        assert english == [], f"{name}: English on the Korean page"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(WIDER_THAN_THE_WINDOW) == [], f"{name} at {width} px"
        screenshot(page, f"thread-chain-{language}-{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def one_below_the_other(page: Page, selector: str) -> None:
    """The cards ``selector`` finds come down the page in order, each below the one before."""
    tops = [
        box["y"]
        for box in page.eval_on_selector_all(
            selector, "cards => cards.map(card => card.getBoundingClientRect())"
        )
    ]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), tops


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_author_writes_a_thread_with_a_first_comment_and_reads_it_part_by_part(
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
    page.locator('input[name="title"]').fill(TITLE)
    page.locator('input[name="channel"][value="linkedin"]').check()
    page.locator('input[name="channel"][value="x-en"]').check()
    # The section X asked for is in (with X's own text): none comes later, under a fold being
    # clicked open. (``networkidle`` would not wait: the page reached it once, on loading.)
    expect(page.locator('textarea[name="channel_text:x-en:en"]')).to_be_attached()
    page.locator('textarea[name="text:en"]').fill(TEXT)
    page.get_by_label(SPLIT[language]).check()
    page.get_by_text(ADD_COMMENT[language]).click()
    page.locator('textarea[name="first_comment:en"]').fill(COMMENT)
    x_chain = page.locator("#live-preview section.chain").filter(
        has=page.locator("article.platform-x")
    )
    expect(x_chain.locator(".part-label").last).to_have_text(FIRST_COMMENT[language])
    expect(x_chain.locator(".counts li.over")).to_have_count(0)
    looked_at(page, "preview", language, config, people)

    page.locator('button[name="action"][value="submit"]').click()
    expect(page.locator("h1")).to_contain_text(TITLE)
    x_chain = page.locator("section.chain").filter(has=page.locator("article.platform-x"))
    labels = x_chain.locator(".part-label").all_text_contents()
    parts = len(labels) - 1
    assert parts > 1
    assert labels == [f"{number}/{parts}" for number in range(1, parts + 1)] + [
        FIRST_COMMENT[language]
    ]
    expect(x_chain.locator(".chain-link")).to_have_count(parts)
    linkedin = page.locator("section.chain").filter(has=page.locator("article.platform-linkedin"))
    expect(linkedin.locator("article.post")).to_have_count(2)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        one_below_the_other(page, "section.chain:has(article.platform-x) article.post")
    looked_at(page, "draft", language, config, people)
