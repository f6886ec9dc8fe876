"""The calendar feed over HTTP: the viewer makes their link on the preferences page (shown
once), a calendar program fetches it with no login, a renewed link ends the old one, and a
wrong token is the same 404 as any missing page."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar
from starlette.applications import Starlette

from drafts.config import Config
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    client,
    csrf_token,
    one,
    set_language,
    text,
)
from tests.web.scheduling import next_sunday_evening, scheduled

pytestmark = [pytest.mark.anyio, SQLITE_ONLY]
TITLE = "도서관 일요일 개관"  # Korean, through the feed


async def make_link(browser: httpx.AsyncClient) -> str:
    """Press the preferences page's feed button: the path and query of the link it shows."""
    page = await browser.get("/preferences")
    shown = await browser.post(
        "/preferences/calendar-feed", data={"csrf_token": csrf_token(page.text)}
    )
    assert shown.status_code == 200
    link = urlsplit(str(one(shown.text, "input[name=feed_link]")["value"]))
    return f"{link.path}?{link.query}"


async def test_the_link_made_on_the_preferences_page_opens_the_calendar_without_a_login(
    app: Starlette, as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    _, posts = scheduled(drafts, database, config, next_sunday_evening())
    page = (await as_mina.get("/preferences")).text
    assert text(one(page, "form[action='/preferences/calendar-feed'] button")) == (
        "Make my feed link"
    )
    link = await make_link(as_mina)
    with database.reading() as session:
        stored = find_user(session, "mina").feed_token_hash
    assert stored is not None and stored not in link  # only the hash is kept, never the token

    async with client(app) as calendar_program:  # no session, no cookie
        fetched = await calendar_program.get(link)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" in fetched.headers["cache-control"]
    feed = Calendar.from_ical(fetched.content)
    assert {str(e["uid"]) for e in feed.walk("VEVENT")} == {f"post-{p.id}@tidings" for p in posts}

    page = (await as_mina.get("/preferences")).text
    assert text(one(page, "form[action='/preferences/calendar-feed'] button")) == (
        "Make a new feed link"
    )


async def test_a_renewed_link_ends_the_old_one_and_a_wrong_token_is_any_404(
    app: Starlette, as_mina: httpx.AsyncClient
) -> None:
    old = await make_link(as_mina)
    new = await make_link(as_mina)
    async with client(app) as calendar_program:
        assert (await calendar_program.get(new)).status_code == 200
        refused = await calendar_program.get(old)
        missing_page = await calendar_program.get("/static/no-such-file")
        wrong = await calendar_program.get("/calendar.ics?token=" + "x" * 43)
        no_token = await calendar_program.get("/calendar.ics")
    assert refused.status_code == wrong.status_code == no_token.status_code == 404
    assert refused.text == wrong.text == no_token.text == missing_page.text


async def test_korean_titles_survive_and_the_section_speaks_korean(
    app: Starlette, as_mina: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    due = next_sunday_evening().isoformat()
    draft_id = drafts.add(
        {"ko": "일요일에도 도서관이 늦게까지 엽니다"}, title=TITLE, publish_at=due
    )
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    set_language(database, "mina", "ko")
    page = (await as_mina.get("/preferences")).text
    assert text(one(page, "#calendar-feed")) == "캘린더 피드"
    assert text(one(page, "form[action='/preferences/calendar-feed'] button")) == (
        "내 피드 링크 만들기"
    )
    link = await make_link(as_mina)
    async with client(app) as calendar_program:
        feed = Calendar.from_ical((await calendar_program.get(link)).content)
    summaries = {str(e["summary"]) for e in feed.walk("VEVENT")}
    assert f"linkedin: {TITLE}" in summaries
    assert {str(e["description"]) for e in feed.walk("VEVENT")} == {
        "일요일에도 도서관이 늦게까지 엽니다"
    }


def test_the_access_log_never_shows_a_feed_token(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    token = "t0ken-" + "x" * 37
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # As uvicorn logs a request line: the path with its query is one argument.
        path = f"/calendar.ics?token={token}"
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/?token=kept", "1.1", 200)
    assert [r.getMessage() for r in caplog.records] == [
        '127.0.0.1:5000 - "GET /calendar.ics?token=… HTTP/1.1" 200',
        '127.0.0.1:5000 - "GET /?token=kept HTTP/1.1" 200',  # another page's query is its own
    ]
