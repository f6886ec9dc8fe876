"""A Korean reviewer reads a draft's history and a post's attempts in Korean, in Chromium, on a
laptop and on a 375 px phone (issue 17 point 8): the history's details, the daemon's reasons
told by their shape (or after a lead-in saying they are the recorded English), and the attempts
table's platform column, whose heading wraps between words, not inside one.

Screenshots: ``tests/artifacts/korean-messages-{history,attempts}-{1280,375}.png``.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from drafts.authoring import draft_posts
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.browser.conftest import Drafts, log_in, screenshot
from tests.web.conftest import Person
from tests.web.scheduling import add_attempts, next_sunday_evening, settle

TEXT = {
    "en": "The riverside park is open again: new paths, more shade and a playground.",
    "ko": "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.",
}
REFUSED = "X refused the post (403): You are not permitted to perform this action"


def failed_x_post(drafts: Drafts, database: Database, config: Config) -> tuple[int, int]:
    """A draft edited without change, approved and scheduled, whose X post failed twice."""
    draft_id = drafts.add("강변 공원", TEXT)
    drafts.edit(draft_id, TEXT)
    drafts.approve(draft_id, "joon")
    with database.writing() as session:
        schedule_draft(
            session,
            draft_id=draft_id,
            request=ScheduleRequest(at=next_sunday_evening()),
            actor=find_user(session, "joon"),
            config=config,
            now=utcnow(),
        )
    with database.reading() as session:
        post = next(p for p in draft_posts(session, draft_id) if p.channel == "x-en")
    assert post.id is not None
    add_attempts(
        database,
        post.id,
        {"outcome": "retry", "http_status": 503, "error": "HTTP 503 <busy>"},
        {"outcome": "failed", "http_status": 403, "error": REFUSED},
    )
    settle(database, post.id, PostStatus.FAILED, f"{REFUSED}; gave up after 2 attempts")
    return draft_id, post.id


def test_a_korean_reviewer_reads_history_and_reasons_in_korean(
    page: Page,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    draft_id, post_id = failed_x_post(drafts, database, config)
    drafts.set_language("joon", "ko")
    log_in(page, people["joon"])
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/drafts/{draft_id}")
        history = page.locator("section.history")
        expect(history).to_contain_text("게시물 변경 없음")
        expect(history).to_contain_text("승인 1/1")
        expect(history).not_to_contain_text("approval")
        screenshot(page, f"korean-messages-history-{width}")

        page.goto(f"/posts/{post_id}")
        errors = page.locator("table.attempts td .problem")
        expect(errors).to_have_text(
            [
                "기록된 영어 원문: HTTP 503 <busy>",
                "X에서 거부했습니다 (403): You are not permitted to perform this action",
            ]
        )
        expect(page.locator("main")).to_contain_text("2번 시도한 뒤 포기했습니다")
        heading = page.get_by_role("columnheader", name="플랫폼 링크")
        expect(heading).to_have_count(1)
        screenshot(page, f"korean-messages-attempts-{width}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the page is {wide} px wide at {width} px"


def test_an_english_reader_sees_the_same_lines_as_recorded(
    page: Page,
    people: dict[str, Person],
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    draft_id, post_id = failed_x_post(drafts, database, config)
    log_in(page, people["joon"])
    page.goto(f"/drafts/{draft_id}")
    expect(page.locator("section.history")).to_contain_text("no change to the posts")
    expect(page.locator("section.history")).to_contain_text("approval 1 of 1")
    screenshot(page, "korean-messages-history-english-1280")
    page.goto(f"/posts/{post_id}")
    expect(page.locator("table.attempts td .problem")).to_have_text(["HTTP 503 <busy>", REFUSED])
    screenshot(page, "korean-messages-attempts-english-1280")
