"""Rate-limit windows as people see them (``drafts.rate_windows``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drafts.models import ChannelState
from drafts.rate_windows import open_windows
from drafts.storage import Database

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_only_windows_still_running_are_open(database: Database) -> None:
    with database.writing() as session:
        session.add(
            ChannelState(channel="x-en", blocked_until=NOW + timedelta(minutes=15), reason="429")
        )
        session.add(ChannelState(channel="linkedin", blocked_until=NOW, reason="over"))
        session.add(ChannelState(channel="mastodon", text_limits={"max_characters": 500}))
    with database.reading() as session:
        assert open_windows(session, now=NOW) == {"x-en": (NOW + timedelta(minutes=15), "429")}
        assert open_windows(session, now=NOW - timedelta(seconds=1)) == {
            "x-en": (NOW + timedelta(minutes=15), "429"),
            "linkedin": (NOW, "over"),
        }
