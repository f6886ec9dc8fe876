"""The posts gauge (``tidings_posts{status}``) counts every status exactly, and the published,
most posts at scale, as all posts but the rest: on SQLite its work does not grow with them
(SQLite counts a table's entries without stepping through them). PostgreSQL counts every
post's entry in its narrowest index: bench/scale.py measures that.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drafts.lifecycle import PostStatus
from drafts.storage import Database
from scheduler.figures import posts_by_status
from tests.integration.test_page_growth import add, statements_of, work

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def fill(database: Database, published: int) -> dict[str, int]:
    """A few posts in every status but published (a different number each), and
    ``published`` published; how many of each."""
    expected, first = {}, 1
    for count, status in enumerate(PostStatus, start=1):
        count = published if status == PostStatus.PUBLISHED else count
        add(database, first, count, status, AT)
        expected[str(status)] = count
        first += count
    return expected


def test_every_status_is_counted_exactly(database: Database) -> None:
    expected = fill(database, published=25)
    with database.reading() as session:
        assert posts_by_status(session) == expected


def test_no_posts_is_zero_in_every_status(database: Database) -> None:
    with database.reading() as session:
        assert posts_by_status(session) == dict.fromkeys(map(str, PostStatus), 0)


def test_the_published_are_not_counted_one_by_one_on_sqlite(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("PostgreSQL counts every post's index entry (bench/scale.py measures it)")
    fill(database, published=50)
    statements = statements_of(database, posts_by_status)
    before = sum(work(database, statement, parameters) for statement, parameters in statements)
    add(database, 1_000, 2_000, PostStatus.PUBLISHED, AT)
    after = sum(work(database, statement, parameters) for statement, parameters in statements)
    assert after <= before * 1.5 + 20, f"work grew from {before} to {after}"
