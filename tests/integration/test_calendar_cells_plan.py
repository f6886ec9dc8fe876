"""The calendar's cells cost what they show (issue 16): however many posts a week's cells hold,
the query that fills them reads the drafts (titles) of the few it shows, ``cap`` a cell, and
counts the rest without them. PostgreSQL's plan says the rows it read from the draft table."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from drafts.attention import SETTLEABLE
from drafts.lifecycle import PostStatus
from drafts.queueing import calendar_cells, calendar_counts
from drafts.storage import Database
from tests.integration.test_page_growth import NOW, SHOWN, add
from tests.integration.test_page_plans import statements_of

CAP = 3
BOUNDS = [NOW.replace(hour=0) + timedelta(days=n) for n in range(8)]  # UTC midnights


@dataclass(frozen=True)
class Cells:
    counts: dict[tuple[str, int], int]
    posts: list[Any]


def cells(session: Any, channels: Sequence[str] = ("x-en", "mastodon", "linkedin")) -> Cells:
    """The week's counts, then the cells of ``channels``: the calendar's two statements."""
    week = {"bounds": BOUNDS, "statuses": SHOWN, "later_parts": SETTLEABLE}
    counts = calendar_counts(session, **week)
    return Cells(counts, calendar_cells(session, **week, cap=CAP, channels=channels))


def drafts_read(database: Database) -> int:
    """The rows the cells' statements (the counts, then the posts shown) read from the draft
    table (PostgreSQL); on SQLite, which counts no rows, the drafts they returned."""
    statements = statements_of(database, cells)
    assert len(statements) == 2
    if database.is_sqlite:
        with database.reading() as session:
            return len(cells(session).posts)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        read = 0
        for statement, parameters in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
            [[found]] = cursor.fetchall()
            plan = found if isinstance(found, list) else json.loads(found)
            read += read_from(plan[0]["Plan"], "draft")
        return read
    finally:
        raw.rollback()
        raw.close()


def read_from(node: dict[str, Any], table: str) -> int:
    read = 0
    if node.get("Relation Name") == table:
        read = int(node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0))
        read *= int(node.get("Actual Loops", 1))
    return read + sum(read_from(child, table) for child in node.get("Plans", []))


def test_a_busy_week_reads_the_drafts_it_shows_only(database: Database) -> None:
    # 60 posts on three channels the afternoon of Thursday (UTC), a minute apart: 3 cells.
    add(database, 1, 60, PostStatus.PUBLISHED, NOW + timedelta(days=3, hours=6))
    # Drafts enough (a year before) that PostgreSQL looks a draft up by its key.
    add(database, 5000, 2400, PostStatus.PUBLISHED, NOW - timedelta(days=400))
    with database.reading() as session:
        found = cells(session)
    assert len(found.posts) == 3 * CAP
    assert found.counts == {(channel, 3): 20 for channel in ("x-en", "mastodon", "linkedin")}
    shown = drafts_read(database)
    assert 0 < shown <= 2 * 3 * CAP  # a title and whether it repeats, of each shown
    # A page of the calendar's rows: every cell counted, the page's channels' posts read.
    with database.reading() as session:
        one_row = cells(session, ["mastodon"])
    assert one_row.counts == found.counts
    assert [post.channel for _, post in one_row.posts] == ["mastodon"] * CAP
    # Ten times as many the same afternoon: the cells show and read the same, count the rest.
    add(database, 100, 540, PostStatus.PUBLISHED, NOW + timedelta(days=3, hours=5))
    with database.reading() as session:
        found = cells(session)
    assert sum(found.counts.values()) == 600 and len(found.posts) == 3 * CAP
    assert drafts_read(database) == shown


def test_the_cells_are_ranked_from_an_index_alone(database: Database) -> None:
    """Migration 0024: each post's channel, language and part are in the queue's indexes, so
    counting and ranking a week's cells reads no post row, only the rows of the posts shown (by
    their key). SQLite names a covering index in each plan; PostgreSQL's index-only scan also
    depends on how lately the table was vacuumed, so its plans are not held to it."""
    add(database, 1, 60, PostStatus.PUBLISHED, NOW + timedelta(days=3, hours=6))
    add(database, 5000, 2400, PostStatus.PUBLISHED, NOW - timedelta(days=400))
    if not database.is_sqlite:
        return
    counted, ranked = statements_of(database, cells)
    for statement, parameters in (counted, ranked):
        raw = database.engine.raw_connection()
        try:
            plan = [
                str(row[3])
                for row in raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
        finally:
            raw.close()
        post_reads = [step for step in plan if re.match(r"(SCAN|SEARCH) post\b", step)]
        assert any("COVERING INDEX ix_post_" in step for step in post_reads), plan
        # the rest of the post table's reads are the shown posts' rows, by key
        assert all("COVERING INDEX" in step or "PRIMARY KEY" in step for step in post_reads), plan
