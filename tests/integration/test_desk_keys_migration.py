"""Migration 0027: each post takes its draft's author, and each draft moved when its latest audit
entry was made (when it has none, when it was last updated). The rows, and those that refer to
them, are all still there: on SQLite both tables are copied, there and back. On PostgreSQL the
upgrade ends with a VACUUM, as every row of both tables was rewritten."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, AuditEntry, Draft, Post
from drafts.storage import Database
from tests.integration.test_covering_indexes_migration import to_revision
from tests.integration.test_page_growth import NOW, add


def counts(database: Database) -> list[int]:
    with database.reading() as session:
        return [
            session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Draft, Post, Attempt)
        ]


def vacuumed(database: Database) -> bool:
    """Whether the post table was vacuumed (PostgreSQL; SQLite has no such thing to ask)."""
    if database.is_sqlite:
        return False
    with database.engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        last = connection.exec_driver_sql(
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'post'"
        )
        return last.scalar() is not None


def test_posts_take_their_authors_and_drafts_their_last_move(database: Database) -> None:
    add(database, 1, 3, PostStatus.PUBLISHED, NOW, attempts=True)  # drafts 1-3, hana's
    add(database, 10, 2, PostStatus.PENDING, NOW, draft=DraftStatus.IN_REVIEW, author=2)
    with database.writing() as session:
        session.connection().execute(
            insert(AuditEntry),
            [
                {"at": NOW + timedelta(hours=2), "actor": "mina", "action": "a", "draft_id": 10},
                {"at": NOW + timedelta(hours=1), "actor": "mina", "action": "b", "draft_id": 10},
                {"at": NOW + timedelta(hours=3), "actor": "mina", "action": "c", "draft_id": 2},
            ],
        )
    stored = counts(database)
    assert stored == [5, 5, 3] and not vacuumed(database)
    to_revision(database, "0026", up=False)
    assert counts(database) == stored

    database.migrate()

    assert counts(database) == stored
    assert vacuumed(database) == (not database.is_sqlite)  # the rewritten rows' old versions
    with database.reading() as session:
        authors = dict(session.execute(select(Post.id, Post.author_id)).all())
        moved = dict(session.execute(select(Draft.id, Draft.moved_at)).all())
    assert authors == {1: 1, 2: 1, 3: 1, 10: 2, 11: 2}
    assert moved == {
        1: NOW,  # no entry: when it was last updated (add's drafts a minute apart)
        2: NOW + timedelta(hours=3),
        3: NOW - timedelta(minutes=2),
        10: NOW + timedelta(hours=2),  # the latest entry, though written first
        11: NOW - timedelta(minutes=1),
    }
