"""The desk in Chromium (issue 17 point 1): an author finds the draft a reviewer sent back,
reads the comment and goes on to the edit page, where the comment is too; a reviewer finds the
review inbox on top. In English and Korean, at 375 and 1280 px, nothing wider than the window.

Screenshots: ``tests/artifacts/desk-<role>-<language>-<width>.png``, and the edit page and the
draft page with the comment (``desk-edit-*``, ``desk-draft-*``).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from drafts.authoring import draft_posts, get_draft
from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.review import approve, request_changes
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.browser.conftest import Drafts, log_in, screenshot
from tests.web.conftest import Person

WIDTHS = (375, 1280)
COMMENT = {
    "en": "The Korean text runs long on X: shorten the second sentence, and add the opening hours.",
    "ko": "X에서 한국어 글이 너무 깁니다. 두 번째 문장을 줄이고 운영 시간을 넣어 주세요.",
}
WORDS = {
    "en": {"desk": "My desk", "back": "Changes requested", "edit": "Make the changes"},
    "ko": {"desk": "내 작업", "back": "수정 요청", "edit": "수정하기"},
}
TEXT = {
    "en": "The riverside park is open again: new paths, more shade and a playground. "
    "Details: https://example.org/news/2026/riverside-park-reopens-with-new-paths-and-shade",
    "ko": "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.",
}


def a_working_week(drafts: Drafts, database: Database, config: Config, language: str) -> int:
    """mina's drafts in every group of her desk; returns the one joon sent back."""
    sent_back = drafts.add("Riverside park reopens · 강변 공원", TEXT)
    drafts.add("Tram line 4 every six minutes", {"en": "Tram line 4 runs every six minutes."})
    scheduled = drafts.add("Library late opening", {"ko": "시립 도서관이 밤 10시까지 엽니다."})
    published = drafts.add("Rain gardens kept crossings dry", {"en": "Rain gardens worked."})
    now = utcnow()
    with database.writing() as session:
        joon = find_user(session, "joon")
        request_changes(
            session, draft_id=sent_back, reviewer=joon, comment=COMMENT[language], config=config
        )
        for draft_id in (scheduled, published):
            approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=now)
            schedule_draft(
                session,
                draft_id=draft_id,
                request=ScheduleRequest(at=now + timedelta(days=2)),
                actor=find_user(session, "mina"),
                config=config,
                now=now,
            )
        for post in draft_posts(session, published):
            post.status, post.updated_at = PostStatus.PUBLISHED, now - timedelta(days=1)
        get_draft(session, published).status = DraftStatus.DONE
    return sent_back


def fits(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert wide <= inner, f"{page.url} is {wide} px wide in a {inner} px window"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_author_goes_from_the_desk_to_the_changes_asked(
    page: Page,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
    config: Config,
    language: str,
) -> None:
    sent_back = a_working_week(drafts, database, config, language)
    drafts.set_language("mina", language)
    drafts.set_language("joon", language)
    words = WORDS[language]

    log_in(page, people["mina"])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text(words["desk"])
        back = page.locator("section#desk-changes_requested")
        expect(back.get_by_role("heading")).to_contain_text(words["back"])
        expect(back.locator("blockquote")).to_have_text(COMMENT[language])
        expect(page.locator("section#review-inbox")).to_have_count(0)
        fits(page)
        screenshot(page, f"desk-author-{language}-{width}")

    back.get_by_role("link", name=words["edit"]).click()
    expect(page).to_have_url(re.compile(rf"/drafts/{sent_back}/edit$"))
    expect(page.locator("section.review-comments blockquote")).to_have_text(COMMENT[language])
    fits(page)
    screenshot(page, f"desk-edit-{language}-{WIDTHS[-1]}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    fits(page)
    screenshot(page, f"desk-edit-{language}-{WIDTHS[0]}")
    page.goto(f"/drafts/{sent_back}")
    expect(page.locator("section.review-comments blockquote")).to_have_text(COMMENT[language])
    fits(page)
    screenshot(page, f"desk-draft-{language}-{WIDTHS[0]}")

    page.context.clear_cookies()
    log_in(page, people["joon"])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/")
        inbox = page.locator("main > section").first
        expect(inbox).to_have_id("review-inbox")
        expect(inbox.locator("li")).to_have_count(1)  # the tram line: the one still in review
        fits(page)
        screenshot(page, f"desk-reviewer-{language}-{width}")
