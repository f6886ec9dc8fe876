"""The Channels page's "News feeds": each configured feed with its last read, and a broken
feed's problem, in English and Korean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from drafts.config import Config
from drafts.storage import Database
from drafts.users import Role
from tests.integration.feed_server import FeedServer, feed_config, feed_server, read_feed, rss
from tests.web.conftest import SQLITE_ONLY, add_people, client, log_in, one, set_language, text
from tests.web.test_korean_messages import KOREAN
from tidings.web.app import create_app
from tidings.web.reasons import Reasons

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(tmp_path: Path) -> Iterator[FeedServer]:
    folder = tmp_path / "served"
    folder.mkdir()
    with feed_server(folder) as server:
        yield server


def two_feeds(served: FeedServer) -> Config:
    """A feed that reads, and one whose address answers 404."""
    config = feed_config(served.write("news.rss", rss(("one", "Harbour walk", "Opens."))))
    broken = config.feeds[0].model_copy(update={"url": served.url("gone.rss"), "interval": 1})
    return config.model_copy(update={"feeds": (*config.feeds, broken)})


async def channels_page(app: Starlette, database: Database, language: str | None) -> str:
    people = add_people(database, {"mina": Role.AUTHOR})
    set_language(database, "mina", language)
    async with client(app) as browser:
        await log_in(browser, people["mina"])
        page = await browser.get("/channels")
    assert page.status_code == 200
    return page.text


@SQLITE_ONLY
async def test_each_feed_with_its_last_read_and_a_broken_one_s_problem(
    database: Database, served: FeedServer, web_secret: str
) -> None:
    config = two_feeds(served)
    for feed in config.feeds:
        await read_feed(database, config.model_copy(update={"feeds": (feed,)}))
    page = await channels_page(create_app(config, database), database, None)
    section = one(page, "#news-feeds")
    good, broken = section.select("li.news-feed")
    assert good.select(".problem") == []
    assert served.url("news.rss") in text(good)
    assert "Read every 15 minutes." in text(good)
    assert "Last read at" in text(good)
    assert "Read every minute." in text(broken)
    assert (
        text(one(str(broken), ".problem"))
        == "Problem: the feed's address answered HTTP 404 Not Found"
    )


@SQLITE_ONLY
async def test_in_korean(database: Database, served: FeedServer, web_secret: str) -> None:
    config = two_feeds(served)
    await read_feed(database, config.model_copy(update={"feeds": config.feeds[1:]}))
    page = await channels_page(create_app(config, database), database, "ko")
    section = one(page, "#news-feeds")
    assert text(one(str(section), "h2")) == "뉴스 피드"
    good, broken = section.select("li.news-feed")
    assert "아직 읽지 않았습니다." in text(good)
    assert "15분마다 읽습니다." in text(good)
    assert text(one(str(broken), ".problem")) == "문제: 피드 주소에서 HTTP 404 응답이 왔습니다"


@SQLITE_ONLY
async def test_no_section_without_feeds(
    app: Starlette, database: Database, web_secret: str
) -> None:
    page = await channels_page(app, database, None)
    assert "news-feeds" not in page


@pytest.mark.parametrize(
    ("recorded", "korean"),
    [
        ("not an RSS or Atom feed", "RSS나 Atom 피드가 아닙니다"),
        ("the feed did not answer in time", "피드가 제시간에 응답하지 않았습니다"),
        ("the feed cannot be reached (ConnectError)", "피드에 연결할 수 없습니다 (ConnectError)"),
        ("the feed is larger than 5,242,880 bytes", "피드가 5,242,880바이트보다 큽니다"),
        (
            "item '부산 소식': cannot be sent to review: linkedin (en): too long",
            "항목 '부산 소식': 검토를 요청할 수 없습니다: linkedin (en): too long",
        ),
    ],
)
def test_each_feed_problem_is_told_in_korean(recorded: str, korean: str) -> None:
    assert Reasons("ko", KOREAN)(recorded) == korean
