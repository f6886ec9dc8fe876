"""The inbox and the draft page: what they show, how they escape it, and what they cost."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from bs4 import Tag
from sqlalchemy import event
from starlette.applications import Starlette

from drafts.config import Config
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.review import approve
from drafts.storage import Database
from drafts.times import show, utcnow
from drafts.users import find_user
from tests.web.conftest import (
    SQLITE_ONLY,
    Drafts,
    cells,
    client,
    csrf_token,
    elements,
    one,
    parse,
    text,
    texts,
)
from tidings.web.app import create_app

pytestmark = pytest.mark.anyio

SCRIPT = "<script>alert(1)</script>"


def listed_drafts(html: str) -> list[int]:
    """The drafts the inbox lists, in its order."""
    return [int(str(row["id"]).removeprefix("draft-")) for row in elements(html, "tr[id^=draft-]")]


def card_of(html: str, channel: str) -> Tag:
    """The post card of ``channel`` on a draft page."""
    (card,) = [
        c for c in elements(html, "article.post") if text(one(c, ".post-channel")) == channel
    ]
    return card


def facts(card: Tag) -> dict[str, str]:
    """A post card's facts: each term with its description."""
    return {
        text(term): text(term.find_next_sibling("dd")) for term in elements(card, ".post-facts dt")
    }


async def test_the_inbox_lists_drafts_in_review_oldest_first(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    first, second, third = (
        drafts.add({"en": f"Update {n}"}, title=f"Update {n}", review=False) for n in (1, 2, 3)
    )
    not_submitted = drafts.add({"en": "Still a draft"}, title="Still a draft", review=False)
    for draft_id in (third, first, second):
        drafts.submit(draft_id)
    page = await as_joon.get("/inbox")
    assert page.status_code == 200
    assert listed_drafts(page.text) == [third, first, second]
    assert elements(page.text, f'a[href="/drafts/{not_submitted}"]') == []
    title, kind, languages, channels, author, waiting, _ = cells(one(page.text, f"#draft-{third}"))
    assert title.startswith("Update 3")
    assert (kind, languages, channels, author) == ("Update", "English", "linkedin, x-en", "mina")
    assert "KST" in waiting  # in the viewer's timezone


@SQLITE_ONLY
async def test_an_empty_inbox_says_so(as_joon: httpx.AsyncClient) -> None:
    assert "Nothing is waiting for review." in (await as_joon.get("/")).text


async def test_a_script_in_a_draft_is_shown_as_text(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add({"en": f"Look {SCRIPT} here"}, title=f"Title {SCRIPT}")
    for path in ("/", f"/drafts/{draft_id}"):
        page = await as_joon.get(path)
        # The only script is the app's own htmx, from its own static folder.
        scripts = elements(page.text, "script")
        assert [(s.attrs, s.get_text()) for s in scripts] == [
            ({"src": "/static/vendor/htmx.org/htmx.min.js", "defer": ""}, "")
        ]
        assert f"Title {SCRIPT}" in text(parse(page.text))  # shown as text, not run
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert f"Look {SCRIPT} here" in texts(page.text, ".post-text")


async def test_korean_posts_render_with_their_language(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    draft_id = drafts.add()
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert one(page.text, "meta[charset]")["charset"] == "utf-8"
    assert one(page.text, "html")["lang"] == "en"
    shown = {(node["lang"], node["dir"]): text(node) for node in elements(page.text, ".post-text")}
    assert shown[("ko", "auto")].startswith("🌳 강변 공원이 다시 문을 열었습니다.")
    assert shown[("en", "auto")].startswith("🌳 The riverside park")
    cards = [card["class"][1] for card in elements(page.text, "article.post")]
    assert sorted(cards) == ["platform-linkedin", "platform-linkedin", "platform-x", "platform-x"]


@SQLITE_ONLY
async def test_each_post_shows_its_length_against_the_limit_and_its_problems(
    as_joon: httpx.AsyncClient, drafts: Drafts
) -> None:
    long_korean = "가" * 150  # Hangul counts 2 on X: 300 weighted characters
    draft_id = drafts.add({"ko": long_korean}, review=False)
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert "300 / 280 weighted characters" in texts(page.text, ".counts li.over")
    assert "300 weighted characters, over X's limit of 280 by 20" in texts(page.text, "p.problem")
    assert "150 / 3,000 characters" in texts(page.text, ".counts li.fits")  # LinkedIn


async def test_due_times_show_in_the_viewers_and_the_channels_timezone(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database, config: Config
) -> None:
    draft_id = drafts.add({"en": "See you at the park"})
    at = (utcnow() + timedelta(days=10)).replace(hour=1, minute=0, second=0, microsecond=0)
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
        request = ScheduleRequest(at=at)
        schedule_draft(
            session, draft_id=draft_id, request=request, actor=joon, config=config, now=utcnow()
        )
    page = await as_joon.get(f"/drafts/{draft_id}")
    seoul, london = show(at, ZoneInfo("Asia/Seoul")), show(at, ZoneInfo("Europe/London"))
    x_card, linkedin = (card_of(page.text, channel) for channel in ("x-en", "linkedin"))
    assert seoul in text(x_card)
    assert facts(x_card)["Channel time"] == f"{london} (Europe/London)"
    assert facts(linkedin)["Channel time"] == f"{seoul} (Asia/Seoul)"

    token = csrf_token(page.text)
    saved = await as_joon.post(
        "/preferences", data={"csrf_token": token, "timezone": "America/New_York"}
    )
    assert saved.status_code == 303
    page = await as_joon.get(f"/drafts/{draft_id}")
    assert show(at, ZoneInfo("America/New_York")) in page.text
    assert text(one(page.text, 'a[href="/preferences"]')) == "Preferences · America/New_York"


@SQLITE_ONLY
async def test_an_unknown_timezone_is_refused_by_name(as_joon: httpx.AsyncClient) -> None:
    token = csrf_token((await as_joon.get("/preferences")).text)
    response = await as_joon.post(
        "/preferences", data={"csrf_token": token, "timezone": "Mars/Base"}
    )
    assert response.status_code == 400
    assert "timezone: 'Mars/Base' is not an IANA timezone" in text(parse(response.text))


@contextmanager
def counting_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


async def test_pages_cost_the_same_queries_for_few_drafts_and_many(
    as_joon: httpx.AsyncClient, drafts: Drafts, database: Database
) -> None:
    draft_id = drafts.add({"en": "One"}, title="One")
    with counting_queries(database) as few:
        assert (await as_joon.get("/inbox")).status_code == 200
    with counting_queries(database) as few_on_page:
        assert (await as_joon.get(f"/drafts/{draft_id}")).status_code == 200
    for n in range(5):
        drafts.add({"en": f"More {n}", "ko": f"더 {n}"}, title=f"More {n}")
    with counting_queries(database) as many:
        page = await as_joon.get("/inbox")
    assert len(listed_drafts(page.text)) == 6
    assert len(many) == len(few)
    with counting_queries(database) as many_on_page:  # three posts instead of two
        assert (await as_joon.get(f"/drafts/{draft_id + 5}")).status_code == 200
    assert len(many_on_page) == len(few_on_page)


@SQLITE_ONLY
async def test_pages_carry_security_headers_and_static_files_need_no_login(
    app: Starlette, as_joon: httpx.AsyncClient
) -> None:
    page = await as_joon.get("/")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers  # maybe no TLS: HSTS would lock out
    async with client(app) as anonymous:
        css = await anonymous.get("/static/tidings.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "platform-bluesky" in css.text
        login = await anonymous.get("/login")
        icon = re.search(r'<link rel="icon" href="([^"]+)"', login.text)
        assert icon is not None  # else every browser asks for /favicon.ico, and is refused
        served = await anonymous.get(icon[1])
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/svg+xml"


@SQLITE_ONLY
async def test_secure_cookies_come_with_strict_transport_security(
    config: Config, database: Database, web_secret: str
) -> None:
    app = create_app(config, database, https_only=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        login = await browser.get("/login")
        assert "; secure" in login.headers["set-cookie"].lower()
        for response in (login, await browser.get("/static/tidings.css"), await browser.get("/")):
            hsts = response.headers["strict-transport-security"]
            assert hsts == "max-age=31536000", response.url


@SQLITE_ONLY
async def test_a_bug_is_a_plain_500_page_without_a_traceback(
    app: Starlette, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.conftest import log_in

    def broken(*_: Any) -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await log_in(browser, people["joon"])
        monkeypatch.setattr("tidings.web.inbox.load_inbox", broken)
        response = await browser.get("/inbox")
    assert response.status_code == 500
    assert "Tidings hit an internal error" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_the_inbox_comes_a_page_at_a_time(
    as_joon: httpx.AsyncClient, drafts: Drafts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tidings.web.inbox.PAGE_SIZE", 2)
    ids = [drafts.add({"en": f"Update {n}"}, title=f"Update {n}") for n in range(5)]

    async def listed(query: str) -> list[int]:
        page = await as_joon.get("/inbox" + query)
        assert "5 drafts wait for review" in page.text
        return listed_drafts(page.text)

    seen, path = [], "/inbox"
    while True:  # each page after the last one's last draft (tests/web/test_paging.py)
        page = await as_joon.get(path)
        assert "5 drafts wait for review" in page.text
        seen.append(listed_drafts(page.text))
        following = elements(page.text, 'a[rel="next"]')
        if not following:
            break
        path = str(following[0]["href"])
    assert seen == [ids[:2], ids[2:4], ids[4:]]
