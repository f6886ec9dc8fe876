"""The web app in a real browser (Debian's Chromium, driven by Playwright): an author writes a
Korean and English draft and sends it to review, may not approve it herself, a reviewer
approves it from the inbox, and it shows in the calendar; forged requests, anonymous visitors
and markup in a draft's text are met as they should be.

Screenshots of the inbox, a draft page and the calendar go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Dialog, Page, expect

from drafts.lifecycle import DraftStatus
from tests.browser.conftest import Browsing, Drafts, Person, log_in, log_out, screenshot

SEOUL = ZoneInfo("Asia/Seoul")  # [tidings] timezone in the tests' config: the viewers' zone
TITLE = "Riverside park reopens · 강변 공원 재개장"
ENGLISH = "The riverside park is open again: new paths, more shade and a playground."
KOREAN = "강변 공원이 다시 문을 열었습니다. 새 산책로와 그늘, 놀이터가 생겼습니다."
REFUSED_FORM = "This form has expired or did not come from Tidings"


def draft_id_in(page: Page) -> int:
    found = re.search(r"/drafts/(\d+)$", page.url)
    assert found, f"not on a draft page: {page.url}"
    return int(found[1])


def post_without_the_page(page: Page, action: str, token: str | None) -> None:
    """Send a form the page does not offer (a forged or hand-made request), as the browser would."""
    page.evaluate(
        """([action, token]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            if (token !== null) {
                const field = document.createElement("input");
                field.type = "hidden";
                field.name = "csrf_token";
                field.value = token;
                form.append(field);
            }
            document.body.append(form);
            form.submit();
        }""",
        [action, token],
    )


def test_an_author_composes_and_a_reviewer_approves_into_the_calendar(
    page: Page, people: dict[str, Person], drafts: Drafts
) -> None:
    mina, joon = people["mina"], people["joon"]
    page.goto("/")
    log_in(page, mina)

    # Compose: title, channels, a text per language, a time; preview, then save and submit.
    page.get_by_role("link", name="Compose", exact=True).click()
    expect(page.get_by_role("heading", name="Compose a draft")).to_be_visible()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("linkedin").check()
    page.get_by_label("x-en").check()
    page.get_by_label("Text in English").fill(ENGLISH)
    # The previews follow the typing (htmx), each post counted against its platform's limit.
    live = page.locator("#live-preview")
    page.get_by_label("Text in Korean").press_sequentially(KOREAN[:6])
    expect(live.locator('.post-text[lang="ko"]')).to_have_text(KOREAN[:6])
    korean_card = live.locator("article.post", has=page.locator('.post-text[lang="ko"]'))
    expect(korean_card.locator(".counts")).to_contain_text("6 / 3,000")
    page.get_by_label("Text in Korean").fill(KOREAN)
    expect(live.locator('.post-text[lang="ko"]')).to_have_text(KOREAN)
    due = (datetime.now(SEOUL) + timedelta(hours=3)).replace(second=0, microsecond=0)
    page.get_by_label("Publish at, once approved").fill(due.strftime("%Y-%m-%dT%H:%M"))

    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_role("heading", name="Preview not saved")).to_be_visible()
    posts = page.locator("article.post")
    expect(posts).to_have_count(3)  # LinkedIn in English and Korean, X in English
    expect(page.locator('.post-text[lang="ko"]')).to_have_text(KOREAN)
    expect(page.locator("#compose-error")).to_have_count(0)
    # The form keeps what was typed.
    expect(page.get_by_label("Text in Korean")).to_have_value(KOREAN)

    page.get_by_role("button", name="Save and submit").click()
    expect(page.get_by_role("status")).to_contain_text("and sent it to review.")
    draft_id = draft_id_in(page)
    status = page.locator(".draft-facts .status")
    expect(status).to_have_text("in review")
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW

    # The author is offered no approval, and a hand-made one is refused with the reason.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.input_value()
    with page.expect_response(f"**/drafts/{draft_id}/approve") as answer:
        post_without_the_page(page, f"/drafts/{draft_id}/approve", token)
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("mina is an author and may not review drafts")
    page.goto(f"/drafts/{draft_id}")
    expect(status).to_have_text("in review")
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    log_out(page)

    # The reviewer finds it in the inbox, reads the posts and approves.
    log_in(page, joon)
    expect(page.get_by_role("heading", name="Review inbox")).to_be_visible()
    row = page.locator(f"#draft-{draft_id}")
    expect(row).to_contain_text("mina")
    expect(row).to_contain_text("English, Korean")
    screenshot(page, "inbox")
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))
    expect(page.locator('.post-text[lang="ko"]')).to_have_text(KOREAN)
    expect(page.locator('.post-text[lang="en"]')).to_have_count(2)
    screenshot(page, "draft")
    page.get_by_label("Comment for the author").fill("좋습니다. 게시해 주세요.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Draft {draft_id} approved and scheduled")
    expect(status).to_have_text("scheduled")
    assert drafts.status(draft_id) == DraftStatus.SCHEDULED

    # The calendar's week of the due time shows every post on its channel's row, that day.
    page.get_by_role("link", name="Calendar").click()
    year, week, _ = due.isocalendar()
    page.get_by_label("Week", exact=True).fill(f"{year}-W{week:02d}")
    page.get_by_role("button", name="Show").click()
    day = due.date().isoformat()
    linkedin = page.locator(f'#channel-linkedin td[data-day="{day}"] .entry')
    expect(linkedin).to_have_count(2)
    expect(linkedin.locator(".post-lang")).to_have_text(["English", "Korean"])
    expect(linkedin.first).to_contain_text(due.strftime("%H:%M"))
    expect(linkedin.first).to_contain_text(TITLE)
    x_en = page.locator(f'#channel-x-en td[data-day="{day}"] .entry')
    expect(x_en).to_have_count(1)
    expect(x_en).to_contain_text("scheduled")
    screenshot(page, "calendar")


def test_a_request_without_the_csrf_token_is_refused(
    page: Page, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id = drafts.add("Library hours", {"en": "The library opens at nine from Monday."})
    log_in(page, people["joon"])

    # Straight from the browser's cookies, with no token: refused before any route sees it.
    answer = page.request.post(f"/drafts/{draft_id}/approve", form={"comment": "fine"})
    assert answer.status == 403
    assert REFUSED_FORM in answer.text()

    # The page's own form, its token taken out: the reviewer sees why.
    page.goto(f"/drafts/{draft_id}")
    page.locator('form.approve input[name="csrf_token"]').evaluate("field => field.remove()")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text(REFUSED_FORM)
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW

    # A forged token does no better.
    with page.expect_response(f"**/drafts/{draft_id}/approve") as forged:
        post_without_the_page(page, f"/drafts/{draft_id}/approve", "forged")
    assert forged.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text(REFUSED_FORM)
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW


def test_an_anonymous_visitor_is_sent_to_the_login_page(
    page: Page, people: dict[str, Person]
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/calendar")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcalendar$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    answer = page.request.get("/drafts/1", max_redirects=0)
    assert answer.status == 303
    assert answer.headers["location"] == "/login?next=%2Fdrafts%2F1"

    page.get_by_label("Name").fill("mina")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")

    log_in(page, people["mina"])
    expect(page).to_have_url(re.compile(r"/calendar$"))  # where the visitor was going


def test_a_script_in_a_draft_shows_as_text(
    browsing: Browsing, people: dict[str, Person], drafts: Drafts
) -> None:
    markup = '<script>alert("tidings")</script>'
    draft_id = drafts.add(
        f"Markup {markup}",
        {"en": f"Markup {markup} stays text.", "ko": f"마크업 {markup} 은 글자입니다."},
    )
    # Without the content policy, so only the escaping stands between the text and a script.
    page = browsing.open(bypass_csp=True).new_page()
    dialogs: list[str] = []

    def note(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note)
    log_in(page, people["joon"])
    expect(page.locator(f"#draft-{draft_id}")).to_contain_text(f"Markup {markup}")
    page.goto(f"/drafts/{draft_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(markup)
    expect(page.locator('.post-text[lang="en"]').first).to_have_text(f"Markup {markup} stays text.")
    expect(page.locator('.post-text[lang="ko"]')).to_have_text(f"마크업 {markup} 은 글자입니다.")
    assert markup in page.locator("main").inner_text()
    assert page.locator("main script").count() == 0
    assert dialogs == []


def test_a_korean_reviewer_sees_what_changed_since_the_approval(
    page: Page, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id = drafts.add(
        "Night market · 야시장",
        {"en": "The night market opens on Friday.", "ko": "야시장은 금요일에 문을 엽니다."},
    )
    drafts.set_language("joon", "ko")
    drafts.approve(draft_id, "joon")
    drafts.edit(
        draft_id,
        {"en": "The night market opens on Saturday.", "ko": "야시장은 토요일 저녁에 문을 엽니다."},
    )

    log_in(page, people["joon"])
    expect(page.get_by_role("heading", name="검토함")).to_be_visible()  # the inbox, in Korean
    page.locator(f"#draft-{draft_id}").get_by_role("link").first.click()
    changes = page.locator("section.changes")
    expect(changes.get_by_role("heading")).to_contain_text("joon 님이 승인한 뒤 바뀐 내용")
    korean = changes.locator('.diff[lang="ko"]')
    expect(korean.locator("del")).to_have_text("금요일에")  # a word with its particle
    expect(korean.locator("ins")).to_have_text("토요일 저녁에")
    expect(changes.locator('.diff[lang="en"] ins').first).to_have_text("Saturday")
    screenshot(page, "draft-changes-ko")


def test_a_page_opened_before_an_edit_cannot_approve_the_new_text(
    page: Page, people: dict[str, Person], drafts: Drafts
) -> None:
    draft_id = drafts.add(
        "Spring volunteers · 봄 자원봉사자",
        {
            "en": "Volunteers meet at the library at ten.",
            "ko": "자원봉사자는 열 시에 도서관에서 만납니다.",
        },
    )
    log_in(page, people["joon"])
    page.goto(f"/drafts/{draft_id}")
    expect(page.locator('.post-text[lang="en"]').first).to_contain_text("at the library")

    # While the reviewer reads, the author rewrites the English post.
    drafts.edit(
        draft_id,
        {
            "en": "Volunteers: WIRE MONEY to https://evil.example/pay now.",
            "ko": "자원봉사자는 열 시에 도서관에서 만납니다.",
        },
    )
    page.get_by_label("Comment for the author").fill("Looks right")
    with page.expect_response(f"**/drafts/{draft_id}/approve") as answer:
        page.get_by_role("button", name="Approve").click()
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text(
        f"draft {draft_id} changed since you opened it"
    )
    since = page.locator("section.since-opened")
    expect(since.get_by_role("heading")).to_have_text("Changed since you opened this page")
    expect(since.locator('.diff[lang="en"]').first).to_contain_text("WIRE MONEY")
    expect(since.locator('.diff[lang="en"] ins', has_text="WIRE")).not_to_have_count(0)
    expect(since.locator('.diff[lang="ko"]')).to_have_count(0)  # the Korean post is as it was
    expect(page.locator('.post-text[lang="en"]').first).to_contain_text("evil.example")
    assert drafts.status(draft_id) == DraftStatus.IN_REVIEW
    screenshot(page, "draft-stale-approval")

    # Having now read the new text, the reviewer asks for changes instead.
    page.get_by_label("What should change").fill(
        "This is not ours: please remove the payment text."
    )
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_role("status")).to_contain_text(f"Draft {draft_id} went back to its author")
    assert drafts.status(draft_id) == DraftStatus.CHANGES_REQUESTED
