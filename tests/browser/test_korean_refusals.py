"""A Korean reviewer whose approval came too late (another reviewer approved the draft while
their page was open) reads why in Korean, in Chromium, on a laptop and on a 375 px phone
(issue 17): the refusal is a sentence, its status and action words Korean too.

Screenshots: ``tests/artifacts/korean-refusal-approve-{1280,375}.png``.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from drafts.storage import Database
from drafts.users import Role
from tests.browser.conftest import Drafts, log_in, screenshot
from tests.web.conftest import Person, add_people

TEXT = {
    "en": "The riverside park is open again: new paths, more shade and a playground.",
    "ko": "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다.",
}


def test_a_late_approval_is_refused_in_korean(
    page: Page, people: dict[str, Person], drafts: Drafts, database: Database
) -> None:
    add_people(database, {"ara": Role.REVIEWER})
    drafts.set_language("joon", "ko")
    log_in(page, people["joon"])
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        draft_id = drafts.add("강변 공원", TEXT)
        page.goto(f"/drafts/{draft_id}")
        drafts.approve(draft_id, "ara")  # while joon reads
        with page.expect_response(f"**/drafts/{draft_id}/approve") as answer:
            page.locator("section#decide form.approve").get_by_role("button").click()
        assert answer.value.status == 403
        expect(page.get_by_role("alert")).to_have_text(
            f"초안 {draft_id}: 지금 승인됨 상태입니다. ‘승인’ 작업은 검토 중 상태인 초안에만 할 수 "
            "있습니다"
        )
        screenshot(page, f"korean-refusal-approve-{width}")
