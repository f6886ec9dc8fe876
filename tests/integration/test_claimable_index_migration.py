"""Migration 0028: the daemon's claim index (``ix_post_status_attempt_at``) holds only the posts
waiting for their time (scheduled, retrying), so that neither a claim (to publishing) nor a
result (published, failed) writes it; where SQLite keeps statistics they are taken again, as in
0024. That the claim and the next wake still read it is checked by their plans
(``test_list_plans``, ``test_claim_plan``); that a post in flight whose holder died is still
taken over, by the takeover tests. A channel in a rate-limit window still finds its own first
post along its own index."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from drafts.lifecycle import PostStatus
from drafts.storage import Database
from scheduler.due import next_wake
from tests.integration.test_covering_indexes_migration import statistics, to_revision
from tests.integration.test_page_growth import NOW, add

CLAIM_INDEX = "ix_post_status_attempt_at"


def definition(database: Database) -> str:
    """The claim index's definition, as the database keeps it."""
    query = (
        "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        if database.engine.dialect.name == "postgresql"
        else "SELECT sql FROM sqlite_master WHERE name = :name"
    )
    with database.engine.connect() as connection:
        return str(connection.execute(text(query), {"name": CLAIM_INDEX}).scalar_one())


def test_the_claim_index_holds_only_the_posts_waiting_for_their_time(database: Database) -> None:
    sql = definition(database)
    assert "WHERE" in sql, sql
    for status in ("scheduled", "retrying"):
        assert f"'{status}'" in sql, sql
    for status in ("publishing", "published", "failed", "needs_attention"):
        assert status not in sql, sql

    to_revision(database, "0027", up=False)
    assert "WHERE" not in definition(database)
    database.migrate()
    assert "WHERE" in definition(database)


def test_sqlite_statistics_are_taken_again_for_the_claim_index(tmp_path: Path) -> None:
    path = tmp_path / "tidings.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.migrate()
        add(database, 1, 20, PostStatus.PUBLISHED, NOW - timedelta(days=1))
        add(database, 21, 6, PostStatus.SCHEDULED, NOW + timedelta(days=1))
        add(database, 27, 4, PostStatus.RETRYING, NOW + timedelta(hours=1))
        to_revision(database, "0027", up=False)
        with sqlite3.connect(path) as raw:
            raw.execute("ANALYZE")
        assert statistics(path)[CLAIM_INDEX].startswith("30 ")  # every post

        database.migrate()

        assert statistics(path)[CLAIM_INDEX].startswith("10 ")  # the ten waiting only
    finally:
        database.dispose()


def test_a_channel_in_a_window_finds_its_first_post_along_its_own_index(tmp_path: Path) -> None:
    """The next wake asks, for each channel in a rate-limit window, when its first ready post
    is due. Along the claim index (which holds every channel's waiting posts) that read every
    waiting post of every channel; along ``ix_post_channel_queue`` it reads the channel's."""
    database = Database(f"sqlite:///{tmp_path / 'tidings.db'}")
    try:
        database.migrate()
        seen: list[tuple[str, Any]] = []

        def grab(*args: Any) -> None:
            if "channel_state" in args[2]:
                seen.append((args[2], args[3]))

        event.listen(database.engine, "before_cursor_execute", grab)
        with database.reading() as session:
            next_wake(session, now=NOW)
        event.remove(database.engine, "before_cursor_execute", grab)
        [(statement, parameters)] = seen
        raw = database.engine.raw_connection()
        try:
            plan = [
                row[3]
                for row in raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
        finally:
            raw.close()
        shown = "\n".join(plan)
        assert "ix_post_channel_queue (channel=? AND status=?)" in shown, shown
        assert CLAIM_INDEX not in shown, shown
    finally:
        database.dispose()
