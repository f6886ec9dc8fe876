"""Migration 0024 rebuilds the queue's two indexes: where SQLite keeps statistics (someone ran
``ANALYZE``), it takes the post table's again, since an index without them looks cheaper than
it is (SQLite took the new ``ix_post_queue`` for the daemon's claim: 131 ms instead of 5 ms at
a million posts)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from alembic import command

from drafts.lifecycle import PostStatus
from drafts.storage import Database, _alembic_config
from tests.integration.test_page_growth import NOW, add


def to_revision(database: Database, revision: str, *, up: bool) -> None:
    """Migrate to ``revision``, up or down, as ``Database.migrate`` does: on SQLite with
    foreign keys off, or copying a table would empty the tables that refer to it."""
    with database.engine.connect() as connection:
        switch = connection.connection.driver_connection
        if database.is_sqlite:  # outside a transaction, as it only works there
            switch.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            config = _alembic_config()
            config.attributes["connection"] = connection
            (command.upgrade if up else command.downgrade)(config, revision)
        if database.is_sqlite:
            switch.execute("PRAGMA foreign_keys=ON")


def statistics(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'post'").fetchall()
    return dict(rows)


def test_sqlite_statistics_are_taken_again_for_the_rebuilt_indexes(tmp_path: Path) -> None:
    path = tmp_path / "tidings.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.migrate()
        add(database, 1, 30, PostStatus.PUBLISHED, NOW + timedelta(days=1))
        to_revision(database, "0023", up=False)
        with sqlite3.connect(path) as raw:
            raw.execute("ANALYZE")
        assert statistics(path)["ix_post_queue"].count(" ") == 3  # status, due_at, id

        database.migrate()

        found = statistics(path)
        assert found["ix_post_queue"].count(" ") == 6  # ... channel, language, part
        assert found["ix_post_channel_queue"].count(" ") == 6
    finally:
        database.dispose()


def test_without_statistics_none_are_made(tmp_path: Path) -> None:
    path = tmp_path / "tidings.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.migrate()
        with sqlite3.connect(path) as raw:
            tables = raw.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert tables.fetchall() == []
    finally:
        database.dispose()
