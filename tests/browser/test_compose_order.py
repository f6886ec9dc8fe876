"""Compose in any order in Chromium, with the page's script (issue 17, point 4): an author picks
the hiring template before typing a title and its fields appear at once, each by its label,
the languages by their names (no page load, no "fill in this field" from the browser); the
channels chosen next narrow the languages; the title comes last, the live preview follows, and
"Save and submit" sends it to review. In English and in Korean (the author's interface
language); screenshots at 1280 and 375 pixels (``compose-order-<language>-<width>.png``), no
page wider than the window. Without JavaScript, "Show what to fill in" does the same, before
any title.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from drafts.lifecycle import DraftStatus
from drafts.times import utcnow
from tests.browser.conftest import Browsing, Drafts, log_in, screenshot
from tests.web.conftest import Person

WIDTHS = (1280, 375)
DEADLINE = (utcnow() + timedelta(days=30)).date().isoformat()
# What the page says, in each interface language (the labels come from the templates' comments).
WORDS = {
    "en": {
        "kind": "Hiring (template)",
        "position": "Position",
        "location": "Location",
        "deadline": "Deadline to apply",
        "link": "Link to the job",
        "korean": "Korean",
    },
    "ko": {
        "kind": "채용 (템플릿)",
        "position": "직책",
        "location": "근무지",
        "deadline": "지원 마감일",
        "link": "채용 공고 링크",
        "korean": "한국어",
    },
}

LANGUAGE_NAMES = {"en": ["English", "Korean"], "ko": ["영어", "한국어"]}


def field(page: Page, label: str) -> Locator:
    """The label of the template field an author knows by ``label`` (its text starts so)."""
    return page.locator(".field-row > label", has_text=re.compile(f"^{re.escape(label)}(\\s|$)"))


def no_wider_than_the_window(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} at {width} px is {wide} px wide: it scrolls sideways"
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_template_picked_before_the_title_shows_its_fields_by_their_labels(
    language: str, browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    words = WORDS[language]
    drafts.set_language("mina", language)
    page = browsing.open().new_page()
    page.goto("/login")
    log_in(page, people["mina"])
    page.goto("/compose")
    expect(page.locator("#show-fields")).to_be_hidden()  # the script does its work
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))

    # The template first: its fields appear, by label, without a page load or a title.
    page.locator('select[name="kind"]').select_option(label=words["kind"])
    expect(field(page, words["position"])).to_be_visible()
    expect(page).to_have_url(re.compile(r"/compose$"))
    assert not any(
        request.startswith("POST") and request.endswith("/compose") for request in requests
    )
    expect(page.locator('input[name="title"]')).to_have_value("")
    languages = page.locator("fieldset.languages label")
    expect(languages).to_have_text(LANGUAGE_NAMES[language])
    for label in (words["location"], words["deadline"], words["link"]):
        expect(field(page, label)).to_be_visible()
    expect(page.locator(".field-row > label", has_text=re.compile(r"^position\b"))).to_have_count(0)

    # Then the channels: X takes English only, LinkedIn both; then the fields and the title.
    page.locator('input[name="channel"][value="x-en"]').check()
    expect(languages).to_have_text(LANGUAGE_NAMES[language][:1])
    page.locator('input[name="channel"][value="linkedin"]').check()
    expect(languages).to_have_text(LANGUAGE_NAMES[language])
    expect(page.get_by_label(words["korean"], exact=True)).to_be_checked()
    page.locator('input[name="field:position"]').fill("Communications Officer")
    page.locator('input[name="field:location"]').fill("Seoul, Republic of Korea")
    page.locator('input[name="field:deadline"]').fill(DEADLINE)
    page.locator('input[name="field:link"]').fill("https://example.org/jobs/communications")
    page.locator('input[name="title"]').fill("Communications officer, Seoul")
    live = page.locator("#live-preview article.post")
    expect(live).to_have_count(3)  # LinkedIn in English and Korean, X in English
    expect(page.locator("#live-preview")).to_contain_text("Communications Officer")
    no_wider_than_the_window(page, f"compose-order-{language}")

    page.locator('button[name="action"][value="submit"]').click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_id = int(page.url.rsplit("/", 1)[1])
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    page.reload()  # the draft page again: nothing is sent twice
    expect(page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))


def test_without_javascript_the_button_shows_the_fields_before_any_title(
    browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    page = browsing.open(java_script_enabled=False).new_page()
    page.goto("/login")
    log_in(page, people["mina"])
    page.goto("/compose")
    page.locator('select[name="kind"]').select_option(label="Hiring (template)")
    page.get_by_role("button", name="Show what to fill in").click()
    expect(field(page, "Position")).to_be_visible()  # the browser asked for no title
    expect(page.locator('input[name="title"]')).to_have_value("")
    expect(page.locator("fieldset.languages label")).to_have_text(["English", "Korean"])

    page.locator('input[name="channel"][value="x-en"]').check()
    page.locator('input[name="field:position"]').fill("Communications Officer")
    page.locator('input[name="field:location"]').fill("Seoul, Republic of Korea")
    page.locator('input[name="field:deadline"]').fill(DEADLINE)
    page.locator('input[name="field:link"]').fill("https://example.org/jobs/communications")
    page.locator('input[name="title"]').fill("Communications officer, Seoul")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/edit$"))
    draft_id = int(page.url.split("/")[-2])
    assert drafts.status(draft_id) == DraftStatus.DRAFT
    expect(page.locator("fieldset.languages label")).to_have_text(["English"])  # X's only


def test_text_typed_before_the_title_stays_where_it_is_typed_and_is_previewed(
    browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    """The live preview asks the browser to check nothing: the title is required to save, not
    to preview, so typing never jumps to it ("Please fill out this field") mid-sentence."""
    page = browsing.open().new_page()
    page.goto("/login")
    log_in(page, people["mina"])
    page.goto("/compose")
    page.locator('input[name="channel"][value="linkedin"]').check()
    text = page.locator('textarea[name="text:en"]')
    text.press_sequentially("The riverside path opens on Saturday")
    card = page.locator("#live-preview article.post.platform-linkedin .post-text")
    expect(card).to_contain_text("opens on Saturday")  # the preview came, after the pause
    text.press_sequentially(" at nine.")
    expect(text).to_be_focused()
    expect(text).to_have_value("The riverside path opens on Saturday at nine.")
    expect(page.locator('input[name="title"]')).to_have_value("")
    expect(card).to_contain_text("Saturday at nine.")
