"""News feeds into review: a feed served on loopback, read as the daemon reads it; each new
item one draft in review, a 304 nothing, a broken feed a problem kept for the Channels page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from drafts.config import FeedSettings
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, NewsFeed, NewsFeedItem, Post, User
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.news_feeds import url_hash
from scheduler.sandbox.server import RunningSandbox
from tests.integration.command_line import LOCAL_CONFIG, run, snapshot, use_folder
from tests.integration.drafting import add_author
from tests.integration.feed_server import (
    FEED_TEMPLATES,
    FeedServer,
    atom,
    feed_config,
    feed_server,
    read_once,
    rss,
)
from tests.integration.publishing import posts, queue_posts, sandbox_config
from tidings.cli import main

HARBOUR = (
    "harbour-1",
    "Harbour walk opens",
    "<p>The <b>harbour</b> walk opens on Tuesday &amp; stays open.</p>",
)
LIBRARY = ("library-2", "Library hours", "<p>Open until 21:00 on Wednesdays.</p>")
FORUM = ("forum-3", "Bicycle forum", "Spring forum on shared bicycles.")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[FeedServer]:
    folder = tmp_path / "served"
    folder.mkdir()
    with feed_server(folder) as server:
        yield server


def drafts(database: Database) -> list[Draft]:
    with database.reading() as session:
        return list(session.exec(select(Draft).order_by(col(Draft.id))))


def texts(database: Database, draft_id: int) -> dict[str, str]:
    with database.reading() as session:
        posts = session.exec(select(Post).where(Post.draft_id == draft_id))
        return {post.language: post.text for post in posts}


def feed_state(database: Database, url: str) -> NewsFeed:
    with database.reading() as session:
        state = session.get(NewsFeed, url_hash(url))
    assert state is not None
    return state


def test_each_new_item_becomes_one_draft_in_review_and_a_304_adds_nothing(
    database: Database, served: FeedServer
) -> None:
    url = served.write("news.rss", rss(HARBOUR, LIBRARY))
    config = feed_config(url)
    first = read_once(database, config)
    assert len(first) == 2
    found = drafts(database)
    assert [(d.title, d.status) for d in found] == [
        ("Harbour walk opens", DraftStatus.IN_REVIEW),
        ("Library hours", DraftStatus.IN_REVIEW),
    ]
    harbour = texts(database, found[0].id or 0)
    assert "The harbour walk opens on Tuesday & stays open." in harbour["en"]  # HTML gone
    assert "https://news.example.org/harbour-1" in harbour["ko"]
    with database.reading() as session:
        author = session.get(User, found[0].author_id)
    assert author is not None and (author.name, author.password_hash) == ("daemon", None)

    served.write("news.rss", rss(FORUM, HARBOUR, LIBRARY))
    second = read_once(database, config)
    assert [d.title for d in drafts(database) if d.id in second] == ["Bicycle forum"]
    assert served.answers[-1][2] == 200  # the etag it sent was the old content's

    assert read_once(database, config) == []
    path, asked, status = served.answers[-1]
    assert (path, status) == ("/news.rss", 304)
    assert asked == feed_state(database, url).etag
    assert len(drafts(database)) == 3
    with database.reading() as session:
        rows = session.exec(select(NewsFeedItem).where(NewsFeedItem.url_hash == url_hash(url)))
        assert sorted(row.guid for row in rows) == ["forum-3", "harbour-1", "library-2"]


def test_an_atom_feed_with_korean_titles(database: Database, served: FeedServer) -> None:
    items = (
        ("urn:city:news:1", "해운대 산책로 개장", "<p>새 산책로가 <em>화요일</em>에 열립니다.</p>"),
        ("urn:city:news:2", "도서관 운영 시간", "수요일에는 밤 9시까지 문을 엽니다."),
    )
    config = feed_config(served.write("news.atom", atom(*items)))
    added = read_once(database, config)
    assert [d.title for d in drafts(database)] == ["해운대 산책로 개장", "도서관 운영 시간"]
    korean = texts(database, added[0])["ko"]
    assert korean.startswith("📰 해운대 산책로 개장")
    assert "새 산책로가 화요일에 열립니다." in korean
    assert "자세히 보기: https://news.example.org/1" in korean


def test_the_same_items_read_by_two_daemons_become_drafts_once(
    database: Database, served: FeedServer
) -> None:
    config = feed_config(served.write("news.rss", rss(HARBOUR, LIBRARY)))
    read_once(database, config)
    with database.writing() as session:  # as if another daemon had not seen this daemon's read
        state = session.get(NewsFeed, url_hash(config.feeds[0].url))
        assert state is not None
        state.etag = None
    assert read_once(database, config) == []
    assert len(drafts(database)) == 2


@pytest.mark.parametrize(
    ("name", "body", "problem"),
    [
        ("missing.rss", None, "HTTP 404"),
        ("page.html", "<html><body><p>Our news page</p></body></html>", "not an RSS or Atom feed"),
    ],
)
def test_a_broken_feed_is_a_problem_kept_and_nothing_added(
    database: Database, served: FeedServer, name: str, body: str | None, problem: str
) -> None:
    url = served.write(name, body) if body is not None else served.url(name)
    config = feed_config(url)
    assert read_once(database, config) == []
    state = feed_state(database, url)
    assert state.problem is not None and problem in state.problem
    assert drafts(database) == []


def test_an_author_who_cannot_write_stops_the_feed_and_its_items_wait(
    database: Database, served: FeedServer
) -> None:
    url = served.write("news.rss", rss(HARBOUR))
    feed = 'channels = ["linkedin"]\nlanguages = ["en"]\nauthor = "nobody"'
    assert read_once(database, feed_config(url, feed=feed)) == []
    assert "unknown user 'nobody'" in (feed_state(database, url).problem or "")
    with database.reading() as session:
        assert list(session.exec(select(NewsFeedItem))) == []
    add_author(database, "nobody")
    assert len(read_once(database, feed_config(url, feed=feed))) == 1  # read whole again: no 304
    (draft,) = drafts(database)
    with database.reading() as session:
        assert (author := session.get(User, draft.author_id)) is not None
    assert author.name == "nobody"
    assert feed_state(database, url).problem is None


def test_an_unreachable_feed_is_a_problem(database: Database) -> None:
    url = "http://127.0.0.1:9/news.rss"  # the discard port: nothing listens there
    read_once(database, feed_config(url))
    assert "cannot be reached" in (feed_state(database, url).problem or "")


def test_an_item_whose_draft_cannot_go_to_review_is_named_and_not_tried_again(
    database: Database, served: FeedServer
) -> None:
    long_summary = "A very long summary. " * 200  # over LinkedIn's 3,000 characters
    url = served.write("news.rss", rss(("long-1", "Long read", long_summary), LIBRARY))
    config = feed_config(url, feed='channels = ["linkedin", "x-en"]\nlanguages = ["en"]')
    read_once(database, config)
    assert [d.title for d in drafts(database)] == ["Library hours"]
    problem = feed_state(database, url).problem or ""
    assert problem.startswith("item 'Long read': cannot be sent to review: linkedin (en): ")
    with database.reading() as session:
        row = session.exec(select(NewsFeedItem).where(NewsFeedItem.guid == "long-1")).one()
    assert row.draft_id is None
    served.write("news.rss", rss(("long-1", "Long read", long_summary), LIBRARY, FORUM))
    read_once(database, config)
    assert [d.title for d in drafts(database)] == ["Library hours", "Bicycle forum"]
    assert feed_state(database, url).problem is None


def test_the_daemon_reads_its_feeds_and_a_broken_one_stops_no_publishing(
    database: Database,
    library: TemplateLibrary,
    served: FeedServer,
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = sandbox_config(sandbox.base_url, monkeypatch)
    good = served.write("news.rss", rss(HARBOUR))
    broken = served.url("gone.rss")
    feeds = tuple(
        FeedSettings(url=url, template="news", channels=("mastodon",), languages=("en",))
        for url in (broken, good)
    )
    templates = config.tidings.model_copy(update={"templates": str(FEED_TEMPLATES)})
    config = config.model_copy(update={"tidings": templates, "feeds": feeds})
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])

    def settled() -> bool:
        with database.reading() as session:
            read = all(session.get(NewsFeed, url_hash(url)) for url in (broken, good))
            return read and posts(database, [post_id])[0].status == PostStatus.PUBLISHED

    async def run_until_settled() -> None:
        daemon = Daemon(config, database, settings=DaemonSettings(request_timeout=2.0))
        running = asyncio.create_task(daemon.run())
        for _ in range(200):  # a bound on a hang, not a timing assertion
            if settled():
                break
            await asyncio.sleep(0.05)
        daemon.stop()
        await running

    asyncio.run(run_until_settled())
    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED
    assert "HTTP 404" in (feed_state(database, broken).problem or "")
    assert feed_state(database, good).problem is None
    assert [d.title for d in drafts(database) if d.status == DraftStatus.IN_REVIEW] == [
        "Harbour walk opens"
    ]


def checking_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feeds: str) -> Path:
    """A working folder whose config has the sample ``news`` templates and ``feeds``, initialised."""
    folder = tmp_path / "work"
    folder.mkdir()
    database = 'database = "sqlite:///tidings.db"'
    with_templates = f'{database}\ntemplates = "{FEED_TEMPLATES}"'
    use_folder(folder, monkeypatch, LOCAL_CONFIG.replace(database, with_templates) + feeds)
    run(["init"])
    return folder


def feeds_check_fails(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``tidings feeds check``, which must end with exit status 1: the lines it printed."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["feeds", "check"])
    assert exit_.value.code == 1
    return capsys.readouterr().out.splitlines()


def test_feeds_check_lists_what_would_be_added_and_writes_nothing(
    tmp_path: Path,
    served: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_summary = "A very long summary. " * 200  # over LinkedIn's 3,000 characters
    url = served.write("news.rss", rss(HARBOUR, ("long-1", "Long read", long_summary)))
    feed = 'template = "news"\nchannels = ["linkedin"]\nlanguages = ["en"]\n'
    folder = checking_folder(tmp_path, monkeypatch, f'\n[[feeds]]\nurl = "{url}"\n{feed}')
    before = snapshot(folder)
    capsys.readouterr()
    run(["feeds", "check"])  # an item that cannot be added fails no feed
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{url}: 2 new items"
    assert lines[1] == "  would add: Harbour walk opens"
    assert lines[2] == (
        "  cannot add: Long read: cannot be sent to review: linkedin (en): 4,249 characters, "
        "over LinkedIn's limit of 3,000 by 1,249"
    )
    assert snapshot(folder) == before


def test_feeds_check_reports_every_feed_then_fails_for_one_that_failed(
    tmp_path: Path,
    served: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, theirs = served.write("news.rss", rss(HARBOUR)), served.write("theirs.rss", rss(FORUM))
    feed = 'template = "news"\nchannels = ["linkedin"]\nlanguages = ["en"]\n'
    gone, nobody = served.url("gone.rss"), f'{feed}author = "nobody"\n'
    feeds = (
        f'\n[[feeds]]\nurl = "{gone}"\n{feed}\n[[feeds]]\nurl = "{url}"\n{feed}'
        f'\n[[feeds]]\nurl = "{theirs}"\n{nobody}'
    )
    folder = checking_folder(tmp_path, monkeypatch, feeds)
    before = snapshot(folder)

    assert feeds_check_fails(capsys) == [
        f"{gone}: the feed's address answered HTTP 404 Not Found",
        f"{url}: 1 new item",
        "  would add: Harbour walk opens",
        f"{theirs}: unknown user 'nobody' (add one with `tidings user add NAME --role ROLE`)",
    ]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["feeds", "check", "--json"])
    assert exit_.value.code == 1
    checked = json.loads(capsys.readouterr().out)
    assert [each["problem"] is None for each in checked] == [False, True, False]
    assert snapshot(folder) == before


def test_a_template_that_reads_the_date_gets_it_in_the_zone_of_the_config(
    database: Database, served: FeedServer, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "dated.en.txt.j2").write_text(
        "{{ title }} ({{ published | date }})\n{{ link }}\n", encoding="utf-8"
    )
    url = served.write("news.rss", rss(HARBOUR))  # published Tue, 01 Dec 2026 09:00 +0900
    config = feed_config(url, feed='channels = ["linkedin"]\nlanguages = ["en"]')
    templates = config.tidings.model_copy(update={"templates": str(folder)})
    feed = config.feeds[0].model_copy(update={"template": "dated"})
    (draft_id,) = read_once(
        database, config.model_copy(update={"tidings": templates, "feeds": (feed,)})
    )
    assert texts(database, draft_id)["en"] == (
        "Harbour walk opens (December 1, 2026)\nhttps://news.example.org/harbour-1"
    )


def test_a_validator_too_long_to_keep_is_dropped_and_the_feed_read_whole(
    database: Database, served: FeedServer
) -> None:
    url = served.write("news.rss", rss(HARBOUR))
    served.etag_padding = 600  # the server's ETag: longer than news_feed.etag holds
    config = feed_config(url)
    assert len(read_once(database, config)) == 1
    assert feed_state(database, url).etag is None
    assert read_once(database, config) == []
    assert served.answers[-1][1:] == (None, 200)  # no If-None-Match: read whole, nothing new
