"""Migration 0025: the two indexes of posts by when they changed hold only the posts pages list
so (published, failed, needing a person), so that the daemon's steps (scheduled, publishing,
retrying) write neither; where SQLite keeps statistics they are taken again, as in 0024. That
the pages' queries still read them is checked by their plans (``test_page_plans``)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from drafts.lifecycle import PostStatus
from drafts.storage import Database
from tests.integration.test_covering_indexes_migration import statistics, to_revision
from tests.integration.test_page_growth import NOW, add

CHANGE_INDEXES = ("ix_post_channel_changed", "ix_post_status_changed")


def definitions(database: Database) -> dict[str, str]:
    """Each change index's definition, as the database keeps it."""
    postgres = database.engine.dialect.name == "postgresql"
    query = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'post'"
        if postgres
        else "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'post' AND type = 'index'"
    )
    with database.engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    return {name: sql for name, sql in rows if name in CHANGE_INDEXES}


def test_the_change_indexes_hold_only_the_posts_listed_by_change(database: Database) -> None:
    found = definitions(database)
    assert sorted(found) == list(CHANGE_INDEXES)
    for sql in found.values():
        assert "WHERE" in sql
        for status in ("published", "failed", "needs_attention"):
            assert f"'{status}'" in sql, sql
        for status in ("scheduled", "publishing", "retrying"):
            assert status not in sql, sql

    to_revision(database, "0024", up=False)
    assert all("WHERE" not in sql for sql in definitions(database).values())
    database.migrate()
    assert all("WHERE" in sql for sql in definitions(database).values())


def test_sqlite_statistics_are_taken_again_for_the_partial_indexes(tmp_path: Path) -> None:
    path = tmp_path / "tidings.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.migrate()
        add(database, 1, 20, PostStatus.PUBLISHED, NOW - timedelta(days=1))
        add(database, 21, 10, PostStatus.SCHEDULED, NOW + timedelta(days=1))
        to_revision(database, "0024", up=False)
        with sqlite3.connect(path) as raw:
            raw.execute("ANALYZE")
        assert statistics(path)["ix_post_status_changed"].startswith("30 ")  # every post

        database.migrate()

        found = statistics(path)
        assert found["ix_post_status_changed"].startswith("20 ")  # the published only
        assert found["ix_post_channel_changed"].startswith("20 ")
    finally:
        database.dispose()
