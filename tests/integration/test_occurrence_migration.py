"""Migration 0015 gives posts an occurrence: a database with published posts and their
attempts upgrades without losing a row (SQLite copies the post table to change its key)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from drafts.models import Attempt, Post
from drafts.storage import MIGRATIONS, Database, head_revision

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _stored_at_0014(database: Database) -> None:
    with database.engine.begin() as connection:
        migrations = AlembicConfig()
        migrations.set_main_option("script_location", str(MIGRATIONS))
        migrations.attributes["connection"] = connection
        command.downgrade(migrations, "0014")
        rows = [
            'INSERT INTO "user" (id, name, role, created_at, muted_events) '
            "VALUES (1, 'mina', 'author', :now, '[]')",
            "INSERT INTO draft (id, kind, title, channels, languages, publish_next_slot, "
            "status, author_id, content_hash, review_round, source, created_at, updated_at) "
            "VALUES (1, 'update', 'Park', '[\"x-en\"]', '[\"en\"]', false, 'done', 1, "
            "'0', 1, '', :now, :now)",
            "INSERT INTO variant (id, draft_id, language, text, fields, channel_texts) "
            "VALUES (1, 1, 'en', 'Open again', '{}', '{}')",
            "INSERT INTO post (id, draft_id, variant_id, channel, platform, language, text, "
            "length, status, created_at, updated_at, failures, reconcile, publish_state) "
            "VALUES (1, 1, 1, 'x-en', 'x', 'en', 'Open again', 10, 'published', :now, :now, "
            "0, false, '{}')",
            "INSERT INTO attempt (id, post_id, number, worker, started_at, outcome) "
            "VALUES (1, 1, 1, 'host:1', :now, 'published')",
        ]
        for row in rows:
            connection.execute(text(row), {"now": NOW})


def test_upgrade_keeps_posts_and_their_attempts(database: Database) -> None:
    _stored_at_0014(database)
    assert database.migrate() == head_revision()
    with database.reading() as session:
        post = session.get(Post, 1)
        attempt = session.get(Attempt, 1)
    assert post is not None and post.occurrence == 1 and post.status == "published"
    assert attempt is not None and attempt.post_id == 1


def test_a_post_is_one_per_draft_channel_language_and_occurrence(database: Database) -> None:
    _stored_at_0014(database)
    database.migrate()
    columns = (
        "INSERT INTO post (id, draft_id, author_id, channel, platform, language, "
        "occurrence, text, length, status, created_at, updated_at, failures, reconcile, "
        "publish_state) VALUES (:id, 1, 1, 'x-en', 'x', 'en', :occurrence, 'Open again', 10, "
        "'pending', :now, :now, 0, false, '{}')"
    )
    with database.engine.begin() as connection:
        connection.execute(text(columns), {"id": 2, "occurrence": 2, "now": NOW})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text(columns), {"id": 3, "occurrence": 1, "now": NOW})
