"""The calendar's week (``drafts.queueing.calendar_counts`` and ``calendar_cells``) on SQLite
and on PostgreSQL: a cell for each channel and day, its first posts in time order with their
drafts' titles, and how many it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import Post, User
from drafts.queueing import PlannedPost, calendar_cells, calendar_counts
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from tests.integration.drafting import add_posts

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)
SHOWN = (PostStatus.SCHEDULED, PostStatus.PUBLISHED, PostStatus.NEEDS_ATTENTION)
WEEK = {
    "bounds": [MONDAY + timedelta(days=n) for n in range(8)],  # UTC midnights
    "statuses": SHOWN,
    "later_parts": (PostStatus.NEEDS_ATTENTION,),
}


def plan(database: Database, post_id: int, status: PostStatus, due: datetime) -> None:
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.due_at = status, due


def test_the_weeks_posts_come_in_time_order_with_their_drafts_titles(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    park = add_posts(database, config, library, mina, "Riverside park reopens", now=MONDAY)
    library_hours = add_posts(database, config, library, mina, "Library hours", now=MONDAY)
    noon = MONDAY + timedelta(hours=3)
    plan(database, park["x-en", "en"], PostStatus.SCHEDULED, noon)
    plan(database, park["linkedin", "ko"], PostStatus.PUBLISHED, noon)
    plan(database, park["linkedin", "en"], PostStatus.NEEDS_ATTENTION, noon)
    plan(database, library_hours["linkedin", "en"], PostStatus.SCHEDULED, MONDAY)  # the start
    plan(database, library_hours["x-en", "en"], PostStatus.SCHEDULED, MONDAY + timedelta(days=7))
    plan(database, library_hours["linkedin", "ko"], PostStatus.CANCELLED, noon)

    with database.reading() as session:
        counts = calendar_counts(session, **WEEK)
        cells = calendar_cells(session, **WEEK, cap=1, channels=["linkedin", "x-en"])
    # The next Monday is the end, outside; a cancelled post is not asked for.
    assert counts == {("linkedin", 0): 3, ("x-en", 0): 1}
    # A cell's first: the earliest, then by language; then the day's by time and channel.
    assert cells[0][1].title == "Library hours" and cells[1][1].channel == "x-en"
    with database.reading() as session:
        cells = calendar_cells(session, **WEEK, cap=3, channels=["linkedin", "x-en"])
    assert {day for day, _ in cells} == {0}
    week = [post for _, post in cells]
    assert [(p.title, p.channel, p.language, p.status) for p in week] == [
        ("Library hours", "linkedin", "en", "scheduled"),
        ("Riverside park reopens", "linkedin", "en", "needs_attention"),
        ("Riverside park reopens", "linkedin", "ko", "published"),
        ("Riverside park reopens", "x-en", "en", "scheduled"),
    ]
    first = week[0]
    assert first == PlannedPost(
        id=library_hours["linkedin", "en"],
        draft_id=first.draft_id,
        title="Library hours",
        channel="linkedin",
        platform="linkedin",
        language="en",
        status="scheduled",
        due_at=MONDAY,
    )
    assert week[1].due_at == noon and week[1].due_at.tzinfo is not None


def test_a_week_without_posts_is_empty(database: Database) -> None:
    with database.reading() as session:
        assert calendar_counts(session, **WEEK) == {}
        assert calendar_cells(session, **WEEK, cap=3, channels=["linkedin"]) == []
