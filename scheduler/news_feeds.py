"""News feeds into review: the daemon reads each ``[[feeds]]`` entry at its interval and turns
every new item into one draft in review (PRODUCT.md "Planning at volume").

A read is a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the validators the
last answer gave): a 304 costs nothing and parses nothing. An answer of 200 is parsed with
feedparser, which knows every RSS and Atom dialect. Each item is known by its GUID (its id,
else its link, else its title and date) and becomes a draft file as an author would write it,
read by ``read_draft_file`` and stored by ``add_draft`` and ``submit``: every check a draft file
meets, a feed's item meets. The item's row and its draft are one transaction, and the row is
unique per feed and GUID, so an item becomes a draft once, whichever daemon reads it first.

Nothing here stops the daemon: a feed that cannot be read (an HTTP error, a timeout, a page
that is not a feed) is logged and kept as the feed's ``problem``, shown on the Channels page;
an item whose draft cannot be made (its template fails on it, a post too long) is recorded
with no draft, so it is not tried at every read, and named in the feed's problem.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from html.parser import HTMLParser
from typing import Any

import feedparser
import httpx
import tomli_w
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from drafts.audit import DAEMON, record
from drafts.authoring import add_draft
from drafts.config import Config, FeedSettings
from drafts.draft_file import read_draft_file
from drafts.errors import ReviewError, StorageError, TidingsError
from drafts.messages import Said
from drafts.models import NewsFeed, NewsFeedItem, User
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.storage import Database
from drafts.users import Capability, Role, find_user, require
from scheduler.renewal import Db

log = logging.getLogger("tidings.feeds")

FEED_KIND = "update"  # a feed's item is news: the kind its drafts have
MAX_FEED_BYTES = 5 * 1024 * 1024  # far above any news feed; a larger answer is refused
MAX_TITLE = 200  # a draft's title column
MAX_ETAG, MAX_LAST_MODIFIED = 512, 64  # news_feed's columns


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, as its draft's template reads it."""

    guid: str
    title: str
    link: str
    summary: str
    published: datetime | None

    @property
    def fields(self) -> dict[str, Any]:
        """The template's fields; an empty one is left out (``{% if link is defined %}``)."""
        found: dict[str, Any] = {"title": self.title, "link": self.link, "summary": self.summary}
        kept = {name: value for name, value in found.items() if value}
        if self.published is not None:
            kept["published"] = self.published
        return kept


@dataclass(frozen=True)
class FeedRead:
    """What one read of a feed found: ``items`` None when the feed did not change (304)."""

    items: tuple[FeedItem, ...] | None
    etag: str | None = None
    last_modified: str | None = None


class FeedProblem(Exception):
    """A feed that could not be read: its sentence is kept as the feed's problem."""


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


async def fetch(client: httpx.AsyncClient, url: str, state: NewsFeed | None) -> FeedRead:
    """Read the feed at ``url`` with the validators ``state`` keeps; a FeedProblem when it is
    not a feed that answered."""
    headers = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 304:
                return FeedRead(items=None)
            if response.status_code != 200:
                answer = f"{response.status_code} {response.reason_phrase}".strip()
                raise FeedProblem(f"the feed's address answered HTTP {answer}")
            body = await _body(response)
    except httpx.TimeoutException:
        raise FeedProblem("the feed did not answer in time") from None
    except httpx.HTTPError as error:
        raise FeedProblem(f"the feed cannot be reached ({type(error).__name__})") from None
    return FeedRead(
        items=parse_items(body),
        etag=_validator(response.headers.get("ETag"), MAX_ETAG),
        last_modified=_validator(response.headers.get("Last-Modified"), MAX_LAST_MODIFIED),
    )


def _validator(value: str | None, limit: int) -> str | None:
    """A validator as the feed sent it, or none if it is longer than its column: a cut one
    would never match, so the feed is read whole each time instead."""
    return value if value is not None and len(value) <= limit else None


async def _body(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_FEED_BYTES:
            raise FeedProblem(f"the feed is larger than {MAX_FEED_BYTES:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_items(body: bytes) -> tuple[FeedItem, ...]:
    """The items of an RSS or Atom document, in the feed's order; a FeedProblem when the
    document is no feed at all."""
    parsed = feedparser.parse(body)
    if not parsed.version:
        raise FeedProblem("not an RSS or Atom feed")
    return tuple(item for entry in parsed.entries if (item := _item(entry)) is not None)


def _item(entry: Any) -> FeedItem | None:
    title = _one_line(entry.get("title", ""))
    published = _when(entry.get("published_parsed") or entry.get("updated_parsed"))
    guid = entry.get("id") or entry.get("link")
    if not guid and title:
        guid = f"{title} {published.isoformat() if published else ''}".strip()
    if not guid:
        return None  # nothing to know it by next time, so it would come back at every read
    return FeedItem(
        guid=guid,
        title=title or guid,
        link=entry.get("link", ""),
        summary=plain_text(entry.get("summary", "")),
        published=published,
    )


def _when(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC ``struct_time``s."""
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BLANK_LINES = re.compile(r"\n\s*\n\s*")


def plain_text(html: str) -> str:
    """A summary's HTML as the text a reader sees: tags gone, entities read, spaces tidied."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    lines = [_one_line(line) for line in "".join(reader.parts).splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def draft_source(feed: FeedSettings, item: FeedItem, library: TemplateLibrary) -> str:
    """The draft file the item stands for, as an author would write it, with the fields its
    template reads (a template may leave out the date, say: a field it does not read is refused)."""
    read = {name for language in feed.languages for name in library.fields(feed.template, language)}
    title = item.title if len(item.title) <= MAX_TITLE else item.title[: MAX_TITLE - 1] + "…"
    return tomli_w.dumps(
        {
            "kind": FEED_KIND,
            "title": title,
            "template": feed.template,
            "channels": list(feed.channels),
            "languages": list(feed.languages),
            "fields": {name: value for name, value in item.fields.items() if name in read},
        }
    )


def feed_author(session: Session, feed: FeedSettings) -> User:
    """The user the feed's drafts are written by: ``author``, else the daemon under its own
    name (an author with no password: nobody logs in as it), added at its first draft."""
    if feed.author is not None:
        return find_user(session, feed.author)
    daemon = session.exec(select(User).where(User.name == DAEMON)).first()
    if daemon is None:
        daemon = User(name=DAEMON, role=Role.AUTHOR, password_hash=None)
        session.add(daemon)
        session.flush()
        record(session, actor=DAEMON, action="user.add", detail=f"{DAEMON} ({Role.AUTHOR})")
    return daemon


def check_author(session: Session, *, feed: FeedSettings) -> None:
    """The configured author exists and may write drafts (the daemon always may)."""
    if feed.author is not None:
        require(find_user(session, feed.author), Capability.WRITE)


def add_item_draft(
    session: Session,
    *,
    feed: FeedSettings,
    item: FeedItem,
    config: Config,
    library: TemplateLibrary,
    now: datetime,
) -> int | None:
    """The item's draft, sent to review, and its row, in the caller's transaction; None if the
    item was taken already (by an earlier read, or another daemon at the same moment)."""
    row = _claim_item(session, feed, item)
    if row is None:
        return None
    author = feed_author(session, feed)
    content = read_draft_file(draft_source(feed, item, library), _item_name(item), config, now)
    draft = add_draft(session, content=content, author=author, config=config, library=library)
    assert draft.id is not None
    submit(session, draft_id=draft.id, actor=author, config=config)
    row.draft_id = draft.id
    return draft.id


@dataclass(frozen=True)
class Rehearsed:
    """What a new item would become: a draft (``problem`` None) or the problem that stops it."""

    item: FeedItem
    problem: str | None


class _RolledBack(Exception):
    """Ends a rehearsal's transaction: raised through ``Database.writing``, it rolls back."""


def rehearse(
    database: Database,
    *,
    feed: FeedSettings,
    items: Sequence[FeedItem],
    config: Config,
    library: TemplateLibrary,
    now: datetime,
) -> list[Rehearsed]:
    """Each item no read has taken yet, added as the daemon would add it and rolled back:
    ``tidings feeds check``'s report, with nothing written."""
    found: list[Rehearsed] = []
    with database.reading() as session:
        fresh = new_items(session, feed, items)
    for item in fresh:
        try:
            with database.writing() as session:
                add_item_draft(
                    session, feed=feed, item=item, config=config, library=library, now=now
                )
                raise _RolledBack
        except _RolledBack:
            found.append(Rehearsed(item, None))
        except StorageError:
            raise
        except TidingsError as error:
            found.append(Rehearsed(item, why_not_added(error)))
    return found


def why_not_added(error: TidingsError) -> str:
    """Why an item's draft could not be made, without the number of a draft never kept."""
    made = error.message
    if isinstance(error, ReviewError) and isinstance(made, Said) and "problems" in made.words:
        return f"cannot be sent to review: {made.words['problems']}"
    return str(error)


def record_refused_item(session: Session, *, feed: FeedSettings, item: FeedItem) -> None:
    """Keep an item whose draft could not be made, with no draft: it is not tried again."""
    _claim_item(session, feed, item)


def _claim_item(session: Session, feed: FeedSettings, item: FeedItem) -> NewsFeedItem | None:
    feed_hash = url_hash(feed.url)
    guid_hash = hashlib.sha256(item.guid.encode("utf-8")).hexdigest()
    taken = select(NewsFeedItem.id).where(
        NewsFeedItem.url_hash == feed_hash, NewsFeedItem.guid_hash == guid_hash
    )
    if session.exec(taken).first() is not None:
        return None
    row = NewsFeedItem(url_hash=feed_hash, guid_hash=guid_hash, guid=item.guid)
    try:
        with session.begin_nested():  # PostgreSQL: waits for a daemon adding the same, then fails
            session.add(row)
    except IntegrityError:
        return None
    return row


def _item_name(item: FeedItem) -> str:
    return f"feed item {item.title!r}"


def new_items(session: Session, feed: FeedSettings, items: Sequence[FeedItem]) -> list[FeedItem]:
    """The items no read of this feed has taken yet."""
    feed_hash = url_hash(feed.url)
    known = set(session.exec(select(NewsFeedItem.guid).where(NewsFeedItem.url_hash == feed_hash)))
    return [item for item in items if item.guid not in known]


def load_state(session: Session, *, url: str) -> NewsFeed | None:
    return session.get(NewsFeed, url_hash(url))


def save_state(
    session: Session,
    *,
    feed: FeedSettings,
    now: datetime,
    read: FeedRead | None,
    problem: str | None,
) -> None:
    """What the read left: new validators (if the feed answered with them), when to read it
    next, and its problem (a 304 leaves the last one standing: nothing changed since)."""
    state = session.get(NewsFeed, url_hash(feed.url)) or NewsFeed(
        url_hash=url_hash(feed.url), url=feed.url
    )
    state.checked_at = now
    state.next_check_at = now + timedelta(minutes=feed.interval)
    if read is not None and read.items is not None:
        state.etag, state.last_modified = read.etag, read.last_modified
    if read is None or read.items is not None:
        state.problem = problem
    session.add(state)


def feed_states(session: Session) -> list[NewsFeed]:
    """Every feed read so far: the Channels page shows each one's last read and problem."""
    return list(session.exec(select(NewsFeed)))


class FeedReader:
    """One daemon's reads of the configured feeds, each at its interval."""

    def __init__(
        self,
        config: Config,
        db: Db,
        *,
        library: TemplateLibrary,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.db = db
        self.library = library
        self.now = now

    async def round(self, client: httpx.AsyncClient) -> float | None:
        """Read every feed that is due; the seconds until the next one is, None with no feeds."""
        waits: list[float] = []
        for feed in self.config.feeds:
            now = self.now()
            state = await self.db(partial(load_state, url=feed.url))
            due_at = state.next_check_at if state is not None else None
            if due_at is None or due_at <= now:
                await self.read(client, feed, state)
                due_at = self.now() + timedelta(minutes=feed.interval)
            waits.append(max((due_at - self.now()).total_seconds(), 0.0))
        return min(waits) if waits else None

    async def read(
        self, client: httpx.AsyncClient, feed: FeedSettings, state: NewsFeed | None
    ) -> list[int]:
        """Read ``feed`` once and add a draft for each new item; the new drafts' ids."""
        try:
            read = await fetch(client, feed.url, state)
        except FeedProblem as trouble:
            log.warning("feed %s: %s", feed.url, trouble)
            await self._save(feed, None, str(trouble))
            return []
        added: list[int] = []
        refused: list[str] = []
        if read.items is not None:
            fresh = await self.db(lambda session: new_items(session, feed, read.items or ()))
            if fresh and (unfit := await self._unfit_author(feed)) is not None:
                await self._save(feed, None, unfit)  # the old validators: read it all again
                return []
            for item in fresh:
                draft_id, problem = await self._add(feed, item)
                if draft_id is not None:
                    added.append(draft_id)
                    log.info(
                        "feed %s: item %r is draft %s, in review", feed.url, item.guid, draft_id
                    )
                if problem is not None:
                    log.warning("feed %s: item %r: %s", feed.url, item.title, problem)
                    refused.append(f"item {item.title!r}: {problem}")
        await self._save(feed, read, "; ".join(refused) or None)
        return added

    async def _unfit_author(self, feed: FeedSettings) -> str | None:
        """Why the configured author cannot write the feed's drafts, if so: a problem of the
        feed, not of its items, which wait until it is fixed."""
        try:
            await self.db(partial(check_author, feed=feed))
        except StorageError:
            raise
        except TidingsError as error:
            log.warning("feed %s: %s", feed.url, error)
            return str(error)
        return None

    async def _add(self, feed: FeedSettings, item: FeedItem) -> tuple[int | None, str | None]:
        now = self.now()
        try:
            draft_id = await self.db(
                lambda session: add_item_draft(
                    session, feed=feed, item=item, config=self.config, library=self.library, now=now
                )
            )
        except StorageError:
            raise  # the database, not the item: the daemon waits it out
        except TidingsError as error:
            await self.db(lambda session: record_refused_item(session, feed=feed, item=item))
            return None, why_not_added(error)
        return draft_id, None

    async def _save(self, feed: FeedSettings, read: FeedRead | None, problem: str | None) -> None:
        now = self.now()
        await self.db(
            lambda session: save_state(session, feed=feed, now=now, read=read, problem=problem)
        )
