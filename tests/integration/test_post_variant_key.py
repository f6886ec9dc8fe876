"""Migration 0029: a post points at its variant by its draft and language (``fk_post_variant``),
not by an id of its own with an index the daemon wrote each time a post moved. That deleting a
variant finds its posts along ``ux_post_key`` is checked by ``test_foreign_key_indexes``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from drafts.lifecycle import PostStatus
from drafts.models import Post, Variant
from drafts.storage import Database
from tests.integration.test_covering_indexes_migration import to_revision
from tests.integration.test_page_growth import NOW, add

post_table = Post.__table__  # type: ignore[attr-defined]
variant_table = Variant.__table__  # type: ignore[attr-defined]


def a_korean_post(draft_id: int, post_id: int) -> dict[str, object]:
    return {
        "id": post_id,
        "draft_id": draft_id,
        "author_id": 1,
        "channel": "x-ko",
        "platform": "x",
        "language": "ko",
        "text": "안녕하세요",
        "length": 5,
        "status": str(PostStatus.SCHEDULED),
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_a_post_needs_a_variant_of_its_own_draft_in_its_language(database: Database) -> None:
    add(database, 1, 2, PostStatus.SCHEDULED, NOW)  # drafts 1 and 2, each with an English variant
    with database.engine.begin() as connection:
        connection.execute(insert(variant_table), [{"id": 10, "draft_id": 2, "language": "ko"}])
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(insert(post_table), [a_korean_post(1, 100)])  # draft 2's is not its

    with database.engine.begin() as connection:
        connection.execute(insert(post_table), [a_korean_post(2, 100)])


def test_deleting_a_variant_deletes_its_posts_and_no_others(database: Database) -> None:
    add(database, 1, 2, PostStatus.SCHEDULED, NOW)
    with database.engine.begin() as connection:
        connection.execute(insert(variant_table), [{"id": 10, "draft_id": 1, "language": "ko"}])
        connection.execute(insert(post_table), [a_korean_post(1, 100)])

    with database.engine.begin() as connection:
        connection.execute(delete(variant_table).where(variant_table.c.id == 10))

    with database.engine.connect() as connection:
        left = connection.execute(select(post_table.c.id).order_by(post_table.c.id)).scalars()
        assert list(left) == [1, 2]


def test_downgrade_gives_each_post_its_variant_id_and_upgrade_keeps_every_post(
    database: Database,
) -> None:
    add(database, 1, 5, PostStatus.PUBLISHED, NOW - timedelta(days=1), attempts=True)

    to_revision(database, "0028", up=False)
    with database.engine.connect() as connection:
        pairs = connection.execute(
            text("SELECT p.variant_id, v.id FROM post p JOIN variant v ON v.draft_id = p.draft_id")
        ).all()
    assert len(pairs) == 5 and all(stored == variant for stored, variant in pairs)

    database.migrate()
    with database.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(post_table)).scalar() == 5
    columns = {column["name"] for column in inspect(database.engine).get_columns("post")}
    assert "variant_id" not in columns and {"draft_id", "language"} <= columns
