"""A row batch (``drafts.row_batches``) writes what SQLAlchemy's own statements write: each
value as the database stores it (an instant, JSON, a flag, text with quotes, none), on SQLite,
where the batch's values are converted here, and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, insert, select, text, update

from drafts.config import Config
from drafts.models import Attempt, Post
from drafts.rendering import TemplateLibrary
from drafts.row_batches import RowBatch
from drafts.storage import Database
from tests.integration.publishing import queue_posts, sandbox_config

attempt_table: Table = Attempt.__table__  # type: ignore[attr-defined]
post_table: Table = Post.__table__  # type: ignore[attr-defined]

FINISHED = datetime(2026, 12, 4, 9, 30, 15, 250_000, tzinfo=UTC)
ERROR = 'HTTP 422: "status" can\'t be blank; 한국어 ✓'
STATE = {"record_key": '3k2"quoted"', "first_attempt_at": "2026-12-04T09:30:15+00:00"}


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config("http://127.0.0.1:9", monkeypatch)


def stored(database: Database, query: str, **values: Any) -> list[tuple[Any, ...]]:
    """Rows as the database keeps them: read as text, past every SQLAlchemy type."""
    with database.reading() as session:
        return [tuple(row) for row in session.connection().execute(text(query), values)]


def test_a_batch_stores_each_value_as_a_plain_statement_does(
    database: Database, config: Config, library: TemplateLibrary
) -> None:
    plain, batched = queue_posts(database, config, library, channels=["mastodon"], count=2)
    attempt = {
        "number": 7,
        "worker": "w:1",
        "started_at": FINISHED,
        "finished_at": FINISHED,
        "outcome": "failed",
        "error": ERROR,
        "http_status": None,
    }
    post = {"publish_state": STATE, "reconcile": True, "remote_url": None}
    postgres = database.engine.dialect.name == "postgresql"
    attempts = RowBatch.of(postgres, *(attempt_table.c[name] for name in ("post_id", *attempt)))
    posts = RowBatch.of(postgres, *(post_table.c[name] for name in ("id", *post)))
    with database.writing() as session:
        connection = session.connection()
        connection.execute(insert(attempt_table).values(post_id=plain, **attempt))
        connection.execute(
            insert(attempt_table).from_select(list(attempts.c), select(*attempts.c.values())),
            attempts.params([{"post_id": batched, **attempt}]),
        )
        connection.execute(update(post_table).where(post_table.c.id == plain).values(**post))
        connection.execute(
            update(post_table)
            .where(post_table.c.id == posts.c["id"])
            .values({name: posts.c[name] for name in post}),
            posts.params([{"id": batched, **post}]),
        )

    columns = ", ".join(attempt)
    attempts_stored = stored(database, f"SELECT post_id, {columns} FROM attempt ORDER BY post_id")
    assert [row[1:] for row in attempts_stored] == [
        tuple(stored(database, f"SELECT {columns} FROM attempt WHERE post_id = :p", p=plain)[0])
    ] * 2
    assert len(stored(database, "SELECT id FROM attempt WHERE finished_at = started_at")) == 2
    kept = stored(
        database,
        "SELECT publish_state, reconcile, remote_url FROM post WHERE id IN (:a, :b) ORDER BY id",
        a=plain,
        b=batched,
    )
    assert kept[0] == kept[1]
    assert kept[0][2] is None
    with database.reading() as session:
        read = session.get(Post, batched)
        assert read is not None
        assert (read.publish_state, read.reconcile) == (STATE, True)
