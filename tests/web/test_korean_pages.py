"""What routes say in Python follows the viewer's language: flash messages, error pages, the
calendar's dates and status words, a post's outcome (attempts, history, the address check),
compose's and the draft page's flashes, history words and post cards.

Each Korean check has its English twin, so a message that is only ever English, or only ever
Korean, fails here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.storage import Database
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    cells,
    client,
    csrf_token,
    form_fields,
    heading,
    log_in,
    one,
    post_form,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import needs_attention_post, next_sunday_evening, scheduled
from tidings.web.calendar import Week, day_heading, week_of, week_title
from tidings.web.outcomes import attempt_summary
from tidings.web.translations import translations

pytestmark = pytest.mark.anyio

SEOUL = ZoneInfo("Asia/Seoul")
WEEK_49 = Week(date(2026, 11, 30), SEOUL)  # Monday 30 November to Sunday 6 December 2026


def flashes(html: str) -> list[str]:
    """What the page's flash says, once an action is done."""
    return texts(html, 'p.flash[role="status"]')


def counted(html: str, ending: str) -> bool:
    """Whether a post card counts its length in a line ending with ``ending``."""
    return any(count.endswith(ending) for count in texts(html, "article.post .counts li"))


@pytest.fixture
async def korean(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """joon (a reviewer) with Korean chosen, in a browser that asks for nothing."""
    set_language(database, "joon", "ko")
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        yield browser


@pytest.fixture
async def english(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """ara (a reviewer) with English chosen, in a browser that asks for Korean: her choice wins."""
    set_language(database, "ara", "en")
    async with client(app) as browser:
        browser.headers["Accept-Language"] = "ko-KR,ko;q=0.9"
        assert (await log_in(browser, people["ara"])).status_code == 303
        yield browser


# --- dates and sentences, without the app --------------------------------------------------


def test_day_headings_and_week_titles_are_dates_in_the_language() -> None:
    monday, sunday = WEEK_49.days[0], WEEK_49.days[-1]
    assert day_heading(monday, "en") == "Mon, Nov 30"
    assert day_heading(sunday, "en") == "Sun, Dec 6"
    assert day_heading(monday, "ko") == "11월 30일 (월)"
    assert day_heading(sunday, "ko") == "12월 6일 (일)"
    assert week_title(WEEK_49, "en") == "Nov 30\u2009–\u2009Dec 6, 2026"  # CLDR's thin spaces
    assert week_title(WEEK_49, "ko") == "2026년 11월 30일~12월 6일"
    turn = week_of(datetime(2026, 12, 31, 12, tzinfo=UTC), SEOUL)  # across two years
    assert week_title(turn, "ko") == "2026년 12월 28일~2027년 1월 3일"


def test_an_attempt_is_told_in_the_language() -> None:
    retry_at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    post = Post(
        id=1,
        draft_id=1,
        channel="x-ko",
        platform="x",
        language="ko",
        text="…",
        length=1,
        status=PostStatus.RETRYING,
        attempt_at=retry_at,
    )
    attempt = Attempt(post_id=1, number=1, worker="w", started_at=retry_at, outcome="retry")
    english = attempt_summary(attempt, post, True, SEOUL, translations("en").gettext)
    korean = attempt_summary(attempt, post, True, SEOUL, translations("ko").gettext)
    assert english == "did not go through; will try again at 2026-12-01 10:00 KST"
    assert korean == "전송되지 않았습니다. 다시 시도 시각: 2026-12-01 10:00 KST"


# --- flash messages ------------------------------------------------------------------------


@SQLITE_ONLY
async def test_logging_out_says_so_in_the_users_language(
    korean: httpx.AsyncClient, english: httpx.AsyncClient
) -> None:
    for browser, said, not_said in [
        (korean, "로그아웃했습니다.", "You have logged out."),
        (english, "You have logged out.", "로그아웃했습니다."),
    ]:
        page = await browser.get("/")
        out = await browser.post("/logout", data={"csrf_token": csrf_token(page.text)})
        assert out.status_code == 303
        login = await browser.get("/login", headers={"Accept-Language": "fr"})
        assert flashes(login.text) == [said]
        assert not_said not in login.text


@SQLITE_ONLY
async def test_settling_a_post_is_told_in_the_users_language(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    _, first = needs_attention_post(drafts, database, config)
    _, second = needs_attention_post(drafts, database, config)
    url = "https://www.linkedin.com/feed/update/urn:li:share:7"

    page = await korean.get(f"/posts/{first}")
    token = csrf_token(page.text)
    bad = await korean.post(
        f"/posts/{first}/mark-published", data={"csrf_token": token, "url": "ftp://x"}
    )
    assert bad.status_code == 400
    assert "주소: https://로 시작하는 게시물 주소를 입력하세요" in bad.text
    done = await korean.post(
        f"/posts/{first}/mark-published", data={"csrf_token": token, "url": url}
    )
    assert done.status_code == 303
    after = await korean.get(f"/posts/{first}")
    assert f"게시물 {first}: {url} 주소에 게시된 것으로 표시했습니다." in after.text
    assert "joon 게시됨으로 표시" in after.text  # the history's action words
    assert "게시됨" in texts(after.text, "span.status-published")
    assert "marked it published" not in after.text

    queued = await korean.post(f"/posts/{second}/retry", data={"csrf_token": token})
    assert queued.status_code == 303
    after = await korean.get(f"/posts/{second}")
    assert f"게시물 {second}: 다시 대기열에 넣었습니다." in after.text
    assert "joon 다시 보내기 요청" in after.text
    assert "is queued again" not in after.text

    # Settling a post already published is refused, in her language too.
    again = await korean.post(f"/posts/{first}/retry", data={"csrf_token": token})
    assert again.status_code == 403
    refusal = text(one(again.text, 'p.error[role="alert"]'))
    assert refusal.startswith(f"게시물 {first}: 상태가 게시됨입니다.")
    assert "only a post" not in again.text

    # ara, in English, reads the same history in English.
    page = await english.get(f"/posts/{second}")
    assert "joon asked for it to be sent again" in page.text
    assert "다시 보내기 요청" not in page.text


@SQLITE_ONLY
async def test_saving_a_draft_is_told_in_the_authors_language(
    app: Starlette, people: dict[str, Person], database: Database
) -> None:
    async with client(app) as mina:  # an author; her browser asks for Korean throughout
        mina.headers["Accept-Language"] = "ko-KR,ko;q=0.9"
        assert (await log_in(mina, people["mina"])).status_code == 303
        typed = {"kind": "update", "title": "공원 소식", "channel": ["linkedin", "x-ko"]}

        set_language(database, "mina", "ko")
        korean = {**typed, "text:ko": "공원이 월요일에 다시 문을 엽니다."}
        preview = await post_form(mina, "/compose", "preview", korean)
        assert "미리 보기" in texts(preview.text, "span.status-preview")
        saved = await post_form(mina, "/compose", "save", korean)
        assert saved.status_code == 303
        draft_id = int(saved.headers["location"].split("/")[2])
        page = await mina.get(saved.headers["location"])
        flashed = f"초안 {draft_id}: 추가했습니다 (\u2068공원 소식\u2069, 게시물 2개)."
        assert flashes(page.text) == [flashed]
        assert texts(page.text, "h1 span.status-draft") == ["초안"]
        assert "대기" in texts(page.text, "article.post span.status-pending")  # a post card
        assert counted(page.text, " / 3,000 자")  # LinkedIn counts characters
        assert counted(page.text, " / 280 자 (가중치 적용)")  # X weighs them
        assert not counted(page.text, "characters")
        again = await post_form(mina, f"/drafts/{draft_id}/edit", "save", korean)
        page = await mina.get(again.headers["location"])
        assert f"초안 {draft_id}: 저장했습니다. 게시물은 바뀌지 않았습니다 (상태 유지: 초안)." in (
            page.text
        )
        assert "did not change" not in page.text

        set_language(database, "mina", "en")  # her choice wins over the browser's
        saved = await post_form(mina, f"/drafts/{draft_id}/edit", "save", korean)
        page = await mina.get(saved.headers["location"])
        flashed = f"Draft {draft_id}: saved; the posts did not change (still draft)."
        assert flashes(page.text) == [flashed]
        assert "pending" in texts(page.text, "article.post span.status-pending")
        assert counted(page.text, " / 3,000 characters")
        assert counted(page.text, " / 280 weighted characters")
        assert not counted(page.text, "자")


@SQLITE_ONLY
async def test_review_decisions_are_told_in_the_reviewers_language(
    korean: httpx.AsyncClient, english: httpx.AsyncClient, drafts: Drafts
) -> None:
    due = (datetime.now(SEOUL) + timedelta(days=3)).replace(
        hour=9, minute=15, second=0, microsecond=0
    )
    shown = f"{due:%Y-%m-%d %H:%M} KST"
    first, second = (drafts.add(publish_at=due.isoformat()) for _ in range(2))

    approved = await approve_on_page(korean, first)
    assert f"초안 {first}: 승인되어 {shown}부터 예약되었습니다." in approved
    history = text(one(approved, "section.history"))
    assert "mina 검토 요청" in history  # the history's action words
    assert "joon 승인" in history
    assert "approved it" not in history
    assert texts(approved, ".draft-facts span.status-scheduled") == ["예약됨"]
    assert counted(approved, " / 3,000 자")  # a post card's unit
    assert not counted(approved, "characters")

    approved = await approve_on_page(english, second)
    assert f"Draft {second} approved and scheduled from {shown}." in approved
    history = text(one(approved, "section.history"))
    assert "mina sent it to review" in history
    assert "ara approved it" in history
    assert counted(approved, " / 3,000 characters")

    # Sending a draft back: the comment it needs, the flash, and the draft's new status.
    for browser, refused, sent_back, status in [
        (
            korean,
            "의견: 수정할 내용을 적으세요",
            "의견과 함께 작성자에게 돌려보냈습니다",
            "수정 요청됨",
        ),
        (
            english,
            "comment: say what should change",
            "went back to its author",
            "changes requested",
        ),
    ]:
        draft_id = drafts.add()
        token = csrf_token((await browser.get(f"/drafts/{draft_id}")).text)
        path = f"/drafts/{draft_id}/request-changes"
        empty = await browser.post(path, data={"csrf_token": token})
        assert empty.status_code == 400
        assert refused in empty.text
        back = await browser.post(path, data={"csrf_token": token, "comment": "Shorter, please"})
        assert back.status_code == 303
        page = (await browser.get(f"/drafts/{draft_id}")).text
        assert sent_back in page
        assert texts(page, ".draft-facts span.status-changes_requested") == [status]


async def approve_on_page(browser: httpx.AsyncClient, draft_id: int) -> str:
    """Approves the draft from its page; the page shown after, with the flash."""
    page = (await browser.get(f"/drafts/{draft_id}")).text
    answer = await browser.post(
        f"/drafts/{draft_id}/approve", data=form_fields(page, f"/drafts/{draft_id}/approve")
    )
    assert answer.status_code == 303
    return (await browser.get(f"/drafts/{draft_id}")).text


# --- error pages ---------------------------------------------------------------------------


@SQLITE_ONLY
async def test_error_pages_are_in_the_users_language(
    korean: httpx.AsyncClient, english: httpx.AsyncClient
) -> None:
    missing = await korean.get("/nowhere")
    assert missing.status_code == 404
    assert heading(missing.text) == "찾을 수 없음"
    assert "이 주소에는 페이지가 없습니다." in missing.text
    refused = await korean.post("/preferences", data={"timezone": "Asia/Seoul"})  # no token
    assert refused.status_code == 403
    assert heading(refused.text) == "허용되지 않음"
    assert "이 양식은 만료되었거나 Tidings에서 온 것이 아닙니다." in refused.text
    wrong_method = await korean.get("/logout")
    assert wrong_method.status_code == 405
    assert "이 페이지는 이런 요청을 받지 않습니다." in wrong_method.text
    bad_week = await korean.get("/calendar?week=2026-W60")
    assert bad_week.status_code == 400
    assert heading(bad_week.text) == "요청을 처리할 수 없습니다"
    assert "week: 2026년에는 60주차가 없습니다" in bad_week.text

    missing = await english.get("/nowhere")
    assert heading(missing.text) == "Not found"
    assert "There is no page here." in missing.text
    refused = await english.post("/preferences", data={"timezone": "Asia/Seoul"})
    assert heading(refused.text) == "Not allowed"
    assert "This form has expired or did not come from Tidings" in refused.text
    bad_week = await english.get("/calendar?week=2026-W60")
    assert "week: 2026 has no week 60" in bad_week.text


@SQLITE_ONLY
async def test_a_visitor_gets_the_login_refusal_in_the_browsers_language(
    app: Starlette, people: dict[str, Person]
) -> None:
    async with client(app) as browser:
        page = await browser.get("/login", headers={"Accept-Language": "ko"})
        refused = await browser.post(
            "/login",
            data={"name": "joon", "password": "not it", "csrf_token": csrf_token(page.text)},
            headers={"Accept-Language": "ko"},
        )
        assert refused.status_code == 400
        assert "이 이름과 비밀번호로 여기에 로그인할 수 있는 계정이 없습니다." in refused.text


# --- the calendar and a post's outcome -----------------------------------------------------


@SQLITE_ONLY
async def test_the_calendar_shows_dates_and_statuses_in_the_users_language(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    page = await korean.get(f"/calendar?week={WEEK_49.label}")
    assert text(one(page.text, 'time[datetime="2026-11-30"]')) == "11월 30일 (월)"
    assert heading(page.text).startswith("캘린더 2026년 11월 30일~12월 6일 ")
    assert "시간은 Asia/Seoul 기준으로 표시합니다." in page.text
    assert texts(page.text, ".legend span.status-needs_attention") == ["확인 필요"]
    assert "needs attention" not in page.text
    page = await english.get(f"/calendar?week={WEEK_49.label}")
    assert text(one(page.text, 'time[datetime="2026-11-30"]')) == "Mon, Nov 30"
    assert heading(page.text).startswith("Calendar Nov 30\u2009–\u2009Dec 6, 2026 ")
    assert texts(page.text, ".legend span.status-needs_attention") == ["needs attention"]

    due = next_sunday_evening()
    _, posts = scheduled(drafts, database, config, due)
    week = week_of(due, SEOUL).label
    for browser, word in [(korean, "예약됨"), (english, "scheduled")]:
        page = await browser.get(f"/calendar?week={week}")
        assert text(one(page.text, f"#entry-{posts[0].id} a.status")) == word


@SQLITE_ONLY
async def test_a_post_needing_attention_is_told_in_the_users_language(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    _, post_id = needs_attention_post(drafts, database, config)
    page = await korean.get(f"/posts/{post_id}")
    assert texts(page.text, ".draft-facts span.status-needs_attention") == ["확인 필요"]
    draft_facts = text(one(page.text, ".draft-facts a + .muted"))
    assert draft_facts.endswith(", 완료")  # the draft's status (done)
    attempt = cells(one(page.text, "tr#attempt-1"))
    assert (
        "응답이 분명하지 않음: 게시되었을 수도, 아닐 수도 있으니 담당자가 확인해야 합니다"
        in attempt
    )
    assert "500ms" in attempt
    assert "joon · 검토자" in page.text  # the role beside the name
    listed = await korean.get("/attention")
    assert texts(listed.text, f"tr#attention-{post_id} span.status") == ["확인 필요"]

    page = await english.get(f"/posts/{post_id}")
    assert texts(page.text, ".draft-facts span.status-needs_attention") == ["needs attention"]
    assert text(one(page.text, ".draft-facts a + .muted")).endswith(", done")
    attempt = cells(one(page.text, "tr#attempt-1"))
    assert "no clear answer: it may or may not have been posted, so a person must check" in (
        attempt
    )
    assert "500 ms" in attempt
    assert "ara · reviewer" in page.text


@SQLITE_ONLY
async def test_a_retry_time_is_told_in_the_users_language(
    korean: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    _, post_id = needs_attention_post(drafts, database, config)
    retry_at = datetime.now(UTC) + timedelta(minutes=5)
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.attempt_at = PostStatus.RETRYING, retry_at
    page = await korean.get(f"/posts/{post_id}")
    local = retry_at.astimezone(SEOUL)
    assert (
        f"Tidings가 다시 보내기 전에 플랫폼에 확인합니다 (확인 시각: {local:%Y-%m-%d %H:%M} KST)"
        in (page.text)
    )
    assert "재시도 중" in texts(page.text, "span.status-retrying")


@SQLITE_ONLY
async def test_the_draft_page_names_kind_and_languages_in_the_users_language(
    korean: httpx.AsyncClient, english: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add(title="강변 공원 · Riverside park")
    page = await korean.get(f"/drafts/{draft_id}")
    facts = text(one(page.text, ".draft-facts"))
    assert "· 소식 ·" in facts  # the kind "update"
    assert "언어: 영어, 한국어" in facts
    assert "update" not in facts
    title = one(page.text, "h1 bdi")
    assert title["translate"] == "no"  # what the author wrote, never machine-translated
    page = await english.get(f"/drafts/{draft_id}")
    assert "languages: English, Korean" in text(one(page.text, ".draft-facts"))
