"""Every message a person reads is in their language (issue 17 point 8): what the services say
(refusals, a draft file's problems, history lines) and what the daemon recorded (attempt
errors, a post's reason), in Korean for a Korean reader, while the command line keeps its one
English line.

Each Korean check has its English twin, so a message that is only ever English fails here.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette

from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.errors import DraftError, ScheduleError
from drafts.lifecycle import PostStatus
from drafts.messages import Instant, Problems, problem
from drafts.queueing import PAST
from drafts.storage import Database, plain_error
from drafts.times import utcnow
from scheduler.platforms import look_back
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    Person,
    client,
    log_in,
    one,
    set_language,
    text,
    texts,
)
from tests.web.scheduling import add_attempts, next_sunday_evening, scheduled, settle
from tidings.web import draft_page
from tidings.web.reasons import Reasons
from tidings.web.sentences import Teller, field_problems
from tidings.web.translations import translations


def over_http(test: Test) -> Test:
    """A test of pages served over HTTP (on SQLite: the storage is covered on both elsewhere)."""
    return pytest.mark.anyio(SQLITE_ONLY(test))


Test = TypeVar("Test", bound=Callable[..., Any])
SEOUL = ZoneInfo("Asia/Seoul")
KOREAN = translations("ko").gettext
ENGLISH = translations("en").gettext


@pytest.fixture
async def korean(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """joon (a reviewer) with Korean chosen."""
    set_language(database, "joon", "ko")
    async with client(app) as browser:
        assert (await log_in(browser, people["joon"])).status_code == 303
        yield browser


@pytest.fixture
async def english(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """ara (a reviewer) with English chosen, in a browser that asks for Korean."""
    set_language(database, "ara", "en")
    async with client(app) as browser:
        browser.headers["Accept-Language"] = "ko-KR,ko;q=0.9"
        assert (await log_in(browser, people["ara"])).status_code == 303
        yield browser


@pytest.fixture
async def korean_author(
    app: Starlette, people: dict[str, Person], database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """mina (an author) with Korean chosen."""
    set_language(database, "mina", "ko")
    async with client(app) as browser:
        assert (await log_in(browser, people["mina"])).status_code == 303
        yield browser


def error_message(html: str) -> str:
    """What an error page says under its title."""
    return text(one(html, 'p.error[role="alert"]'))


def history(html: str) -> list[str]:
    """Each line of the page's history, as read."""
    return texts(html, "section.history li")


# --- refusals on error pages ---------------------------------------------------------------


@over_http
async def test_a_missing_draft_or_post_is_named_in_the_viewers_language(
    korean: httpx.AsyncClient, english: httpx.AsyncClient
) -> None:
    for browser, draft, post in (
        (korean, "999번 초안은 없습니다", "998번 게시물은 없습니다"),
        (english, "no draft 999", "no post 998"),
    ):
        missing_draft = await browser.get("/drafts/999")
        assert missing_draft.status_code == 404
        assert error_message(missing_draft.text) == draft
        missing_post = await browser.get("/posts/998")
        assert missing_post.status_code == 404
        assert error_message(missing_post.text) == post


@over_http
async def test_a_role_that_may_not_act_is_told_so_in_its_language(
    korean_author: httpx.AsyncClient,
) -> None:
    refused = await korean_author.get("/users")
    assert refused.status_code == 403
    assert error_message(refused.text) == "작성자 mina 님에게는 이 권한이 없습니다: 사용자 관리"


@over_http
async def test_the_databases_trouble_is_said_in_the_viewers_language(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draft_id = drafts.add()
    refused = sqlite3.OperationalError("attempt to write a readonly database")
    refused.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
    trouble = plain_error(OperationalError("INSERT …", {}, refused), "/srv/tidings.db")

    def read_only(*_args: object) -> None:
        raise trouble

    monkeypatch.setattr(draft_page, "load_draft", read_only)
    korean_page = await korean.get(f"/drafts/{draft_id}")
    said = error_message(korean_page.text)
    assert said == "데이터베이스 /srv/tidings.db: 데이터베이스 파일이 읽기 전용입니다"
    english_page = await english.get(f"/drafts/{draft_id}")
    said = error_message(english_page.text)
    assert said == "database /srv/tidings.db: the database file is read-only"


# --- history lines -------------------------------------------------------------------------


@over_http
async def test_history_lines_are_in_the_readers_words_and_timezone(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    due = next_sunday_evening()
    draft_id, _posts = scheduled(drafts, database, config, due)
    drafts.edit(draft_id, {"en": "The library opens late on Sundays"})  # the same posts
    drafts.edit(draft_id, {"en": "The library opens late on Saturdays"})
    ko_lines = history((await korean.get(f"/drafts/{draft_id}")).text)
    en_lines = history((await english.get(f"/drafts/{draft_id}")).text)
    seoul = due.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    assert any(line.endswith("승인 1/1") for line in ko_lines), ko_lines
    assert any(f"linkedin: {seoul} KST" in line for line in ko_lines), ko_lines
    assert any(line.endswith("게시물 변경 없음") for line in ko_lines), ko_lines
    assert any(line.endswith("내용 변경; 다시 검토 중, 게시 예약 해제") for line in ko_lines)
    assert not any("approval" in line or "no change" in line for line in ko_lines)
    assert any(line.endswith("approval 1 of 1") for line in en_lines), en_lines
    assert any(line.endswith("no change to the posts") for line in en_lines), en_lines


# --- the daemon's reasons ------------------------------------------------------------------


@over_http
async def test_attempt_errors_and_reasons_are_told_in_korean_or_shown_as_recorded(
    korean: httpx.AsyncClient,
    english: httpx.AsyncClient,
    drafts: Drafts,
    database: Database,
    config: Config,
) -> None:
    _draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    post_id = posts[0].id
    assert post_id is not None
    refused = "X refused the post (403): You are not permitted to perform this action"
    add_attempts(
        database,
        post_id,
        {"outcome": "retry", "http_status": 503, "error": "HTTP 503 <busy>"},
        {"outcome": "failed", "http_status": 403, "error": refused},
    )
    settle(database, post_id, PostStatus.FAILED, f"{refused}; gave up after 2 attempts")
    ko_page = (await korean.get(f"/posts/{post_id}")).text
    ko_errors = texts(ko_page, "table.attempts tbody td .problem")
    assert ko_errors == [
        "기록된 영어 원문: HTTP 503 <busy>",
        "X에서 거부했습니다 (403): You are not permitted to perform this action",
    ]
    assert (
        "X에서 거부했습니다 (403): You are not permitted to perform this action; "
        "2번 시도한 뒤 포기했습니다"
    ) in text(one(ko_page, "main"))
    en_page = (await english.get(f"/posts/{post_id}")).text
    assert texts(en_page, "table.attempts tbody td .problem") == ["HTTP 503 <busy>", refused]


@over_http
async def test_the_attempts_table_names_the_platform_column_in_words_that_wrap(
    korean: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    _draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    assert posts[0].id is not None
    add_attempts(database, posts[0].id, {"outcome": "published", "remote_id": "1"})
    page = (await korean.get(f"/posts/{posts[0].id}")).text
    headers = texts(page, "table.attempts thead th")
    assert "플랫폼 링크" in headers
    assert "플랫폼의 게시물" not in headers


def test_every_known_shape_of_a_reason_is_told_without_english() -> None:
    told = Reasons("ko", KOREAN)
    for recorded in (
        "could not connect: ConnectError",
        "no answer in time after sending (ReadTimeout)",
        "the connection broke after sending (RemoteProtocolError)",
        "the post's images were not ready to upload: nothing was sent",
        "not approved as it stands: it was not sent",
        "LinkedIn refused the post (422 INVALID): bad text; gave up after 5 attempts",
        "rate limited by X (post): Too Many Requests",
    ):
        said = told(recorded)
        assert not said.startswith("기록된"), said
        assert "refused" not in said and "gave up" not in said and "rate limited" not in said
    assert told("a platform's own words") == "기록된 영어 원문: a platform's own words"
    assert Reasons("en", ENGLISH)("a platform's own words") == "a platform's own words"


def test_a_reconciles_look_back_is_told_in_korean_with_what_it_looked_through() -> None:
    told = Reasons("ko", KOREAN)
    comments = told(look_back.too_many("Facebook", 1000, look_back.comments_under("12_34")))
    assert comments == (
        "이전 시도 이후 Facebook에서 게시물 12_34의 댓글 목록이 1000개를 넘고 그중 보낸 것이 없어 "
        "게시되었는지 확인할 수 없습니다. 목록을 직접 살펴본 뒤 게시됨으로 표시하거나 다시 시도하세요"
    )
    for recorded in (
        look_back.too_many("LinkedIn", 200, look_back.posts_of("urn:li:organization:5")),
        look_back.not_listed(look_back.page_posts("42"), "could not connect: ConnectError"),
        "could not list the author's posts: could not connect: ConnectError",
        "could not list the post's comments (502)",
    ):
        said = told(recorded)
        assert not said.startswith("기록된"), said
        assert re.search(r"\b(list|lists|look|posts|comments|connect)\b", said) is None, said


# --- a draft file's problems, as the compose form shows them ----------------------------


def form_problems(source: str, config: Config) -> DraftError:
    with pytest.raises(DraftError) as refused:
        read_draft_file(source, "form", config, utcnow())
    return refused.value


def test_pydantics_words_never_reach_a_reader(config: Config) -> None:
    error = form_problems(
        'kind = "update"\ntitle = ""\nchannels = []\n[text]\nko = "안녕"\n', config
    )
    assert str(error) == (
        "form: 2 problems: title: is empty; channels: is empty: give at least one"
    )
    korean = Teller(KOREAN, SEOUL)
    assert korean.lines(error.message) == (
        "제목: 비어 있습니다",
        "채널: 비어 있습니다. 하나 이상 고르세요",
    )
    assert Teller(ENGLISH, UTC).lines(error.message) == (
        "title: is empty",
        "channels: is empty: give at least one",
    )


def test_every_problem_is_told_each_by_its_field(config: Config) -> None:
    source = (
        'kind = "update"\ntitle = "t"\nchannels = ["x-en", "x-ko"]\n'
        'publish_at = "2020-01-01 10:00 Asia/Seoul"\n[text]\nfr = "Bonjour"\n'
    )
    error = form_problems(source, config)
    assert isinstance(error.message, Problems)
    by_field = field_problems(error, Teller(KOREAN, ZoneInfo("Europe/London")))
    # Both channels are named, not only the first; the time is in the reader's zone.
    assert by_field["channels"] == (
        "x-en 채널이 받는 언어: en. 이 초안의 언어: fr",
        "x-ko 채널이 받는 언어: ko. 이 초안의 언어: fr",
    )
    assert by_field["publish_at"] == ("2020-01-01 01:00 GMT: 이미 지난 시각입니다",)
    assert "publish_at: 2020-01-01 10:00 Asia/Seoul is in the past" in str(error)


def test_a_past_time_on_the_schedule_form_is_in_the_readers_zone() -> None:
    at = datetime(2020, 1, 1, 1, 0, tzinfo=UTC)
    refused = ScheduleError(problem("at", PAST, when=Instant(at, "2020-01-01 10:00 KST")))
    assert str(refused) == "at: 2020-01-01 10:00 KST is in the past"  # the command line's
    london = Teller(KOREAN, ZoneInfo("Europe/London"))
    assert london(refused.message) == "시각: 2020-01-01 01:00 GMT: 이미 지난 시각입니다"
    assert field_problems(refused, london) == {
        "at": ("2020-01-01 01:00 GMT: 이미 지난 시각입니다",)
    }
