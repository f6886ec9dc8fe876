"""A news feed on loopback for the feed tests: files written by the test, served by
``http.server`` with an ETag per content, and a 304 for a request that names it; a config
with one feed, and a read of it as the daemon reads it."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from drafts.config import Config
from drafts.models import NewsFeed
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.news_feeds import FeedReader, url_hash
from tests.conftest import TEST_CONFIG, make_config

FEED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "feeds"


@dataclass
class FeedServer:
    """Serves ``folder``; ``answers`` lists each request's path, If-None-Match and status."""

    folder: Path
    base_url: str = ""
    answers: list[tuple[str, str | None, int]] = field(default_factory=list)
    etag_padding: int = 0  # characters added to each ETag, to make one too long to keep

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def write(self, name: str, text: str) -> str:
        (self.folder / name).write_text(text, encoding="utf-8")
        return self.url(name)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = server.folder / self.path.lstrip("/")
            asked = self.headers.get("If-None-Match")
            if not path.is_file():
                self._answer(404, b"no such feed", None, asked)
                return
            body = path.read_bytes()
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}{"x" * server.etag_padding}"'
            if asked == etag:
                self._answer(304, b"", etag, asked)
                return
            self._answer(200, body, etag, asked)

        def _answer(self, status: int, body: bytes, etag: str | None, asked: str | None) -> None:
            server.answers.append((self.path, asked, status))
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads ``answers``."""

    return Handler


@contextmanager
def feed_server(folder: Path) -> Iterator[FeedServer]:
    """A FeedServer on a free loopback port for the ``with`` block."""
    served = FeedServer(folder)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def rss(*items: tuple[str, str, str]) -> str:
    """An RSS 2.0 feed of (guid, title, HTML description) items."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://news.example.org/{guid}</link>"
        f"<description><![CDATA[{summary}]]></description>"
        "<pubDate>Tue, 01 Dec 2026 09:00:00 +0900</pubDate></item>"
        for guid, title, summary in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>City news</title><link>https://news.example.org/</link>{entries}"
        "</channel></rss>"
    )


def atom(*items: tuple[str, str, str]) -> str:
    """An Atom feed of (id, title, HTML summary) entries."""
    entries = "".join(
        f"<entry><id>{guid}</id><title>{title}</title>"
        f'<link href="https://news.example.org/{guid.rsplit(":", 1)[-1]}"/>'
        f'<summary type="html"><![CDATA[{summary}]]></summary>'
        "<updated>2026-12-01T09:00:00+09:00</updated></entry>"
        for guid, title, summary in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>시청 소식</title><id>urn:city:news</id><updated>2026-12-01T09:00:00Z</updated>"
        f"{entries}</feed>"
    )


def feed_config(
    url: str, *, feed: str = 'channels = ["linkedin"]\nlanguages = ["en", "ko"]'
) -> Config:
    """The test channels, the sample ``news`` templates and one feed at ``url``."""
    general = f'database = "sqlite:///unused.db"\ntemplates = "{FEED_TEMPLATES}"'
    text = TEST_CONFIG.replace('database = "sqlite:///unused.db"', general)
    return make_config(f'{text}\n[[feeds]]\nurl = "{url}"\ntemplate = "news"\n{feed}\n')


def read_once(database: Database, config: Config) -> list[int]:
    """One read of the config's only feed, as the daemon reads it; the new drafts' ids."""
    return asyncio.run(read_feed(database, config))


async def read_feed(database: Database, config: Config) -> list[int]:
    """``read_once``, for a test already on an event loop."""

    async def in_transaction(work: Callable[[Session], Any]) -> Any:
        with database.writing() as session:
            return work(session)

    library = TemplateLibrary.default(config.template_folders)
    reader = FeedReader(config, in_transaction, library=library, now=utcnow)
    (feed,) = config.feeds
    with database.reading() as session:
        state = session.get(NewsFeed, url_hash(feed.url))
    async with httpx.AsyncClient(timeout=5) as client:
        return await reader.read(client, feed, state)
