"""The platform previews in Chromium, in English and Korean at 1280 and 375 px: Korean post text
wraps by words, LinkedIn's "…see more" marker is drawn where its feed folds the post with the
text still whole, X shows the t.co form, Bluesky and Mastodon their link card; nothing runs
wider than a phone. Screenshots: tests/artifacts/previews-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from drafts.config import Config
from tests.browser.conftest import CONFIG, Drafts, log_in, screenshot
from tests.conftest import make_config
from tests.web.conftest import Person

CHANNELS = """
[[channels]]
id = "x-ko"
platform = "x"
languages = ["ko"]

[[channels]]
id = "mastodon"
platform = "mastodon"
languages = ["en", "ko"]
base_url = "http://127.0.0.1:9"
max_characters = 500

[[channels]]
id = "bluesky"
platform = "bluesky"
languages = ["en", "ko"]
handle = "tidings.test"

[[channels]]
id = "facebook"
platform = "facebook"
languages = ["en", "ko"]
page_id = "1234567890"
"""
LINK = "https://example.org/summer/programme"
TEXT = {
    "en": f"Summer at the riverside park with #Parks and @tidings_app: {LINK}\n"
    + "Concerts every Friday evening on the new stage by the water. " * 2
    + "Bring a blanket.",
    "ko": f"강변 공원의 여름 음악회가 금요일마다 물가의 새 무대에서 열립니다 #강변공원 {LINK}\n"
    + "돗자리와 물을 챙겨 오시고, 해가 지면 쌀쌀하니 겉옷도 가져오세요. " * 2,
}


@pytest.fixture
def config() -> Config:
    return make_config(CONFIG + CHANNELS)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_previews_look_like_their_platforms_on_a_laptop_and_a_phone(
    page: Page, drafts: Drafts, people: dict[str, Person], language: str
) -> None:
    draft_id = drafts.add("Summer concerts", TEXT)
    drafts.set_language("joon", language)
    log_in(page, people["joon"])
    page.goto(f"/drafts/{draft_id}")

    korean = page.locator('.post-text[lang="ko"]').first
    assert korean.evaluate("node => getComputedStyle(node).wordBreak") == "keep-all"
    linkedin = page.locator("article.platform-linkedin", has=page.locator('[lang="en"]'))
    marker = linkedin.locator(".see-more")
    label = marker.evaluate("node => getComputedStyle(node, '::before').content")
    assert label == ('"…see more"' if language == "en" else '"…더 보기"')
    expect(linkedin.locator(".post-text")).to_have_text(TEXT["en"])  # the text stays whole
    x = page.locator("article.platform-x", has=page.locator('[lang="en"]'))
    expect(x.locator(".run-link.shortened")).to_have_text("https://t.co/xxxxxxxxxx")
    expect(x.locator(".sent-url")).to_have_text(LINK)
    for platform in ("bluesky", "mastodon"):
        expect(page.locator(f"article.platform-{platform} .link-card-host").first).to_have_text(
            "example.org"
        )
    screenshot(page, f"previews-{language}-1280")

    page.set_viewport_size({"width": 375, "height": 800})
    wider = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(node => node.getBoundingClientRect().right > innerWidth + 1)"
        ".map(node => node.tagName + '.' + node.className)"
    )
    assert wider == []
    screenshot(page, f"previews-{language}-375")


SPLIT_TAGS = """() => [...document.querySelectorAll('.post-text .run-tag, .post-text .run-mention')]
  .filter(tag => {
    const sign = document.createRange(), first = document.createRange();
    sign.setStart(tag.firstChild, 0); sign.setEnd(tag.firstChild, 1);
    first.setStart(tag.firstChild, 1); first.setEnd(tag.firstChild, 2);
    return Math.abs(sign.getBoundingClientRect().top - first.getBoundingClientRect().top) > 2;
  })
  .map(tag => innerWidth + ': ' + tag.textContent)"""


def test_a_hashtag_is_never_split_from_its_sign(
    page: Page, drafts: Drafts, people: dict[str, Person]
) -> None:
    """Chromium may break a line between '#' and the Hangul after it, even with Korean set in
    words: the previews keep each tag whole, and break inside one only when it is wider than
    the card."""
    text = "빗물 정원 덕분에 올봄 교차로 열한 곳이 물에 잠기지 않았습니다. #기후 #빗물정원 #도시 "
    draft_id = drafts.add(
        "Rain gardens", {"ko": text * 2 + "#아주아주아주아주아주아주아주아주긴해시태그"}
    )
    drafts.set_language("joon", "ko")
    log_in(page, people["joon"])
    page.goto(f"/drafts/{draft_id}")
    split: list[str] = []
    for width in range(320, 440, 6):
        page.set_viewport_size({"width": width, "height": 800})
        split += page.evaluate(SPLIT_TAGS)
    assert split == []
    screenshot(page, "previews-ko-hashtags")
