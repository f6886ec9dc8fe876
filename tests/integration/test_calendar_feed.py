"""The calendar feed (``drafts.calendar_feed``) read back with ``icalendar``, on SQLite and on
PostgreSQL: one event per post with a UID that stays, its channel's zone, a SEQUENCE that rises
when the post moves, cancelled and published posts as such, and a window around now."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar, Component
from sqlalchemy import event, update
from sqlmodel import select

from drafts.authoring import add_draft
from drafts.calendar_feed import AHEAD, PAST, calendar_ics
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.feed_tokens import LONGEST_TOKEN, feed_user, new_feed_token, token_hash
from drafts.lifecycle import PostStatus
from drafts.models import Post, User
from drafts.queueing import ScheduleRequest, cancel_draft, schedule_draft, skip_occurrence
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.users import Role, add_user
from tests.conftest import sqlite_database
from tests.integration.drafting import PARK, add_author, add_posts

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TITLE = "강변 공원 재개장"  # a Korean title, in every event's summary


@pytest.fixture
def joon(database: Database) -> User:
    with database.writing() as session:
        return add_user(session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None)


def scheduled(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    people: tuple[User, User],
    at: datetime,
) -> tuple[int, dict[tuple[str, str], int]]:
    """A draft titled TITLE on linkedin (en, ko) and x-en, approved and scheduled at ``at``."""
    mina, joon = people
    posts = add_posts(database, config, library, mina, TITLE, now=NOW - timedelta(days=1))
    with database.writing() as session:
        draft_id = session.get(Post, posts["x-en", "en"]).draft_id  # type: ignore[union-attr]
        submit(session, draft_id=draft_id, actor=mina, config=config)
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW)
    move(database, config, draft_id, mina, at)
    return draft_id, posts


def move(database: Database, config: Config, draft_id: int, actor: User, at: datetime) -> None:
    with database.writing() as session:
        request = ScheduleRequest(at=at)
        schedule_draft(
            session, draft_id=draft_id, request=request, actor=actor, config=config, now=NOW
        )


def events(database: Database, config: Config) -> dict[str, Component]:
    """The feed as of NOW, parsed: its events by UID."""
    with database.reading() as session:
        feed = Calendar.from_ical(calendar_ics(session, config=config, now=NOW))
    return {str(event["uid"]): event for event in feed.walk("VEVENT")}


def test_each_post_is_an_event_at_its_time_in_its_channels_zone(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    at = NOW + timedelta(days=2)
    _, posts = scheduled(database, config, library, (mina, joon), at)
    first = events(database, config)
    assert events(database, config).keys() == first.keys()  # the same UIDs at every fetch
    assert set(first) == {f"post-{post_id}@tidings" for post_id in posts.values()}

    x_en = first[f"post-{posts['x-en', 'en']}@tidings"]
    assert x_en["dtstart"].params["TZID"] == "Europe/London"  # the channel's own zone
    assert x_en.decoded("dtstart") == at
    assert str(x_en["summary"]) == f"x-en: {TITLE}"
    assert str(x_en["description"]) == PARK["en"]
    assert x_en["sequence"] == 0
    assert str(x_en["status"]) == "CONFIRMED"
    assert "url" not in x_en

    korean = first[f"post-{posts['linkedin', 'ko']}@tidings"]
    assert korean["dtstart"].params["TZID"] == "Asia/Seoul"  # [tidings] timezone
    assert str(korean["summary"]) == f"linkedin: {TITLE}"
    assert str(korean["description"]) == PARK["ko"]

    with database.reading() as session:
        feed = Calendar.from_ical(calendar_ics(session, config=config, now=NOW))
    zones = {str(tz["tzid"]) for tz in feed.walk("VTIMEZONE")}
    assert zones == {"Asia/Seoul", "Europe/London"}  # each zone an event names, defined


def test_a_moved_post_has_a_higher_sequence_and_a_cancelled_one_is_cancelled(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    draft_id, posts = scheduled(database, config, library, (mina, joon), NOW + timedelta(days=2))
    uid = f"post-{posts['x-en', 'en']}@tidings"
    later = NOW + timedelta(days=3)
    move(database, config, draft_id, mina, later)
    moved = events(database, config)[uid]
    assert moved["sequence"] == 1
    assert moved.decoded("dtstart") == later

    with database.writing() as session:
        cancel_draft(session, draft_id=draft_id, actor=mina)
    cancelled = events(database, config)[uid]
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled["sequence"] == 2  # still the same event, newer


def test_a_published_post_has_its_url_and_the_feed_keeps_to_its_window(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    _, posts = scheduled(database, config, library, (mina, joon), NOW + timedelta(hours=1))
    url = "https://x.com/tidings/status/1"
    with database.writing() as session:
        published = session.get(Post, posts["x-en", "en"])
        too_early = session.get(Post, posts["linkedin", "en"])
        too_late = session.get(Post, posts["linkedin", "ko"])
        assert published is not None and too_early is not None and too_late is not None
        published.status, published.remote_url = PostStatus.PUBLISHED, url
        too_early.due_at = NOW - PAST - timedelta(minutes=1)
        too_late.due_at = NOW + AHEAD

    fed = events(database, config)
    assert list(fed) == [f"post-{posts['x-en', 'en']}@tidings"]
    assert str(fed[f"post-{posts['x-en', 'en']}@tidings"]["url"]) == url


def test_the_uid_names_the_public_host(
    database: Database, library: TemplateLibrary, mina: User, joon: User, config: Config
) -> None:
    public = config.model_copy(
        update={"web": config.web.model_copy(update={"public_url": "https://news.example.org"})}
    )
    _, posts = scheduled(database, public, library, (mina, joon), NOW + timedelta(days=1))
    assert f"post-{posts['x-en', 'en']}@news.example.org" in events(database, public)


def test_a_feed_token_finds_its_user_until_a_new_one_is_made(
    database: Database, mina: User
) -> None:
    with database.writing() as session:
        old = new_feed_token(session, name="mina", actor=mina)
    with database.writing() as session:
        new = new_feed_token(session, name="mina", actor=mina)
    with database.reading() as session:
        found = feed_user(session, new)
        assert found is not None and found.name == "mina"
        assert found.feed_token_hash == token_hash(new) != new  # the hash, never the token
        for refused in (old, "", new + "x", "x" * (LONGEST_TOKEN + 1)):
            assert feed_user(session, refused) is None


def test_the_feed_reads_a_window_of_more_drafts_than_a_statement_takes_values(
    sqlite_template: Path, tmp_path: Path, config: Config, library: TemplateLibrary
) -> None:
    """A busy year's window names more drafts than PostgreSQL takes values in one statement
    (65,535): the feed finds their moves by the window's own query, not by a list of them.
    Shown on SQLite with its limit lowered to 20 values for 25 drafts."""
    database = sqlite_database(sqlite_template, tmp_path)
    mina = add_author(database)
    for number in range(25):
        add_posts(database, config, library, mina, f"Notice {number}", now=NOW)
    with database.writing() as session:
        planned = {"status": PostStatus.SCHEDULED, "due_at": NOW + timedelta(days=1)}
        session.execute(update(Post).values(**planned))
    database.dispose()
    limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
    event.listen(database.engine, "connect", lambda raw, _: raw.setlimit(limit, 20))
    assert len(events(database, config)) == 25 * 3
    database.dispose()


def test_a_skipped_occurrence_is_called_off_and_the_others_stay(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    first = NOW + timedelta(days=7)
    source = (
        f'kind = "post"\ntitle = "{TITLE}"\nchannels = ["linkedin"]\n'
        f'publish_at = "{first.isoformat()}"\nrepeat = "FREQ=WEEKLY;COUNT=3"\n'
        f'[text]\nen = "Open every week."\n'
    )
    content = read_draft_file(source, "weekly.toml", config, NOW)
    with database.writing() as session:
        draft = add_draft(session, content=content, author=mina, config=config, library=library)
        assert draft.id is not None
        submit(session, draft_id=draft.id, actor=mina, config=config)
        approve(session, draft_id=draft.id, reviewer=joon, comment="", config=config, now=NOW)
    fed = events(database, config)
    assert sorted(event.decoded("dtstart") for event in fed.values()) == [
        first + timedelta(weeks=week) for week in range(3)
    ]
    with database.writing() as session:
        second = (first + timedelta(weeks=1)).astimezone(config.zone).date()
        skip_occurrence(session, draft_id=draft.id, day=second, actor=mina, config=config)
    after = events(database, config)
    assert after.keys() == fed.keys()
    called_off = [e for e in after.values() if str(e["status"]) == "CANCELLED"]
    assert [e.decoded("dtstart") for e in called_off] == [first + timedelta(weeks=1)]
    assert [e["sequence"] for e in called_off] == [1]  # newer than what calendars have


def test_a_thread_and_its_first_comment_are_one_event(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    source = "\n".join(
        [
            'kind = "update"',
            f'title = "{TITLE}"',
            'channels = ["x-en"]',
            'first_comment = "Map: https://example.org/park"',
            "[text]",
            'en = ["The park reopens on Saturday.", "The playground is new."]',
        ]
    )
    content = read_draft_file(source, "draft.toml", config, NOW - timedelta(days=1))
    with database.writing() as session:
        draft = add_draft(session, content=content, author=mina, config=config, library=library)
        assert draft.id is not None
        draft_id = draft.id
        submit(session, draft_id=draft_id, actor=mina, config=config)
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW)
    move(database, config, draft_id, mina, NOW + timedelta(days=2))
    with database.reading() as session:
        first = session.exec(select(Post).where(Post.draft_id == draft_id, Post.part == 1)).one()
    (only,) = events(database, config).values()
    assert str(only["uid"]) == f"post-{first.id}@tidings"
    assert str(only["description"]) == "The park reopens on Saturday."
