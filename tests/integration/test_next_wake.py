"""When the daemon next wakes (``scheduler.due.next_wake``), read from the head of the claim's
index however many posts are queued: a channel's rate-limit window delays that channel's posts
only, a part waiting for the part before it never wakes the daemon (the next ready post does),
and two statements are sent whatever is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, update
from sqlmodel import col

from drafts.config import Config
from drafts.models import ChannelState, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.times import utcnow
from scheduler.due import next_wake
from tests.integration.publishing import queue_posts, sandbox_config

NOW = utcnow().replace(microsecond=0)
EARLY, LATE = NOW + timedelta(minutes=10), NOW + timedelta(minutes=20)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config("http://127.0.0.1:9", monkeypatch)


@pytest.fixture
def queued(database: Database, config: Config, library: TemplateLibrary) -> dict[str, int]:
    """A post due EARLY on mastodon and one due LATE on mastodon-b; their ids by channel."""
    return {
        channel: queue_posts(database, config, library, channels=[channel], due=due)[0]
        for channel, due in (("mastodon", EARLY), ("mastodon-b", LATE))
    }


def wake(database: Database) -> datetime | None:
    with database.reading() as session:
        return next_wake(session, now=NOW)


def window(database: Database, channel: str, until: datetime) -> None:
    with database.writing() as session:
        session.merge(ChannelState(channel=channel, blocked_until=until, reason="429"))


@pytest.mark.parametrize(
    ("blocked_until", "expected"),
    [
        (NOW + timedelta(minutes=5), EARLY),  # ends before its post is due: no delay
        (NOW + timedelta(minutes=15), NOW + timedelta(minutes=15)),  # its post waits for it
        (NOW + timedelta(minutes=30), LATE),  # the other channel's post comes first
    ],
    ids=["window-ends-first", "window-delays-its-post", "other-channel-first"],
)
def test_a_rate_window_delays_its_own_channel_only(
    database: Database, queued: dict[str, int], blocked_until: datetime, expected: datetime
) -> None:
    assert wake(database) == EARLY
    window(database, "mastodon", blocked_until)
    assert wake(database) == expected


def test_a_window_on_a_channel_with_nothing_queued_wakes_nobody(
    database: Database, queued: dict[str, int]
) -> None:
    window(database, "team-chat", NOW + timedelta(minutes=1))
    assert wake(database) == EARLY


def test_waiting_parts_are_passed_over_for_the_next_ready_post(
    database: Database, config: Config, library: TemplateLibrary, queued: dict[str, int]
) -> None:
    """Parts due before anything else, each waiting for a part before it that is not out:
    the daemon wakes for the first post whose turn has come."""
    waiting = queue_posts(
        database, config, library, channels=["mastodon"], count=5, due=NOW - timedelta(hours=1)
    )
    with database.writing() as session:
        session.execute(
            update(Post).where(col(Post.id).in_(waiting)).values(part=2, parts=2)
        )  # their part 1 was never published
    assert wake(database) == EARLY


def test_two_statements_whatever_is_stored(database: Database, queued: dict[str, int]) -> None:
    window(database, "mastodon", NOW + timedelta(minutes=15))
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        assert wake(database) == NOW + timedelta(minutes=15)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 2, sent
