"""Migration 0026: the tallies of what attempts came to start from the attempts already stored,
counted as the daemon counts each attempt that ends (``scheduler.tallies``), to the microsecond
at a bucket's bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post
from drafts.storage import Database
from scheduler.figures import LagCounts, attempts_by_outcome, publish_lags
from scheduler.tallies import LAG_BUCKETS, bucket_of
from tests.integration.test_covering_indexes_migration import to_revision
from tests.integration.test_page_growth import NOW, add

# Each post's attempt: how it ended and how long after its due time (None: still in flight).
ENDINGS: list[tuple[str | None, timedelta | None]] = [
    ("published", timedelta(seconds=-30)),  # sent early: 0 s late
    ("published", timedelta(seconds=1)),  # at the first bound exactly
    ("published", timedelta(seconds=1, microseconds=1)),  # just past it
    ("published", timedelta(seconds=5, microseconds=999_999)),
    ("published", timedelta(hours=2, milliseconds=500)),
    ("published", timedelta(hours=9)),  # past the last bound
    ("failed", timedelta(seconds=2)),
    ("unknown", timedelta(seconds=3)),
    (None, None),
]
ON_X = 7  # the failed one was for X


def test_the_tallies_start_from_the_attempts_already_stored(database: Database) -> None:
    add(database, 1, len(ENDINGS), PostStatus.PUBLISHED, NOW)
    p = Post.__table__.c  # type: ignore[attr-defined]
    with database.writing() as session:
        connection = session.connection()
        due = dict(connection.execute(select(p.id, p.due_at)).all())
        connection.execute(update(Post).where(p.id == ON_X).values(platform="x"))
        connection.execute(
            insert(Attempt),
            [
                {
                    "post_id": post_id,
                    "number": 1,
                    "worker": "w:1",
                    "started_at": due[post_id],
                    "finished_at": None if after is None else due[post_id] + after,
                    "outcome": outcome,
                }
                for post_id, (outcome, after) in enumerate(ENDINGS, start=1)
            ],
        )
    to_revision(database, "0025", up=False)

    database.migrate()

    with database.reading() as session:
        counted, lags = attempts_by_outcome(session), publish_lags(session)
    assert counted == {("mastodon", "published"): 6, ("x", "failed"): 1, ("mastodon", "unknown"): 1}
    expected = expected_lags()
    assert (lags.bounds, lags.below, lags.count) == (
        expected.bounds,
        expected.below,
        expected.count,
    )
    assert lags.total == pytest.approx(expected.total)


def expected_lags() -> LagCounts:
    """The published posts' lateness, bucketed as the daemon buckets each as it is published."""
    late = [
        max(after.total_seconds(), 0.0)
        for outcome, after in ENDINGS
        if outcome == "published" and after is not None
    ]
    buckets = [bucket_of(seconds) for seconds in late]
    assert buckets == ["1.0", "1.0", "5.0", "15.0", "21600.0", "+Inf"]
    below = tuple(sum(1 for seconds in late if seconds <= bound) for bound in LAG_BUCKETS)
    return LagCounts(LAG_BUCKETS, below, len(late), sum(late))
