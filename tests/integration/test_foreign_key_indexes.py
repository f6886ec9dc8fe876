"""Deleting a draft or a variant finds the rows that point at it through an index, never by
reading their table whole (pruning a large database would grow with its square)."""

from __future__ import annotations

import pytest

from drafts.storage import Database

LOOKUPS = (
    ("post", "draft_id = 1 AND language = 'en'", "ux_post_key"),  # a variant's (fk_post_variant)
    ("review", "draft_id = 1", "ix_review_draft_id"),
    ("news_feed_item", "draft_id = 1", "ix_news_feed_item_draft_id"),
    ("post_media", "original_sha256 = '0'", "ix_post_media_original_sha256"),
)


def plan(database: Database, statement: str) -> str:
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}")
            return "\n".join(str(row[3]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table would be read whole
        cursor.execute(f"EXPLAIN {statement}")
        return "\n".join(str(row[0]) for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


@pytest.mark.parametrize(("table", "pointing", "index"), LOOKUPS)
def test_the_rows_pointing_at_a_row_are_found_by_an_index(
    database: Database, table: str, pointing: str, index: str
) -> None:
    found = plan(database, f"SELECT 1 FROM {table} WHERE {pointing}")
    assert index in found, found
