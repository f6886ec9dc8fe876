"""Drafts scheduled and posts that were tried, for the pages that show them: the calendar, a
post's outcome, the posts that need a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drafts.authoring import draft_posts, get_draft
from drafts.config import Config
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, Post
from drafts.review import approve
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import find_user
from tests.web.conftest import Drafts

WORKER = "web-test-worker"


def next_sunday_evening(weeks_ahead: int = 2) -> datetime:
    """A Sunday at 20:00 UTC some weeks ahead: still Sunday in London, Monday in Seoul."""
    day = utcnow().date() + timedelta(weeks=weeks_ahead)
    day += timedelta(days=(6 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)


def scheduled(
    drafts: Drafts, database: Database, config: Config, due: datetime
) -> tuple[int, list[Post]]:
    """An English draft (linkedin and x-en) approved by joon and so scheduled at ``due``."""
    draft_id = drafts.add({"en": "The library opens late on Sundays"}, publish_at=due.isoformat())
    with database.writing() as session:
        joon = find_user(session, "joon")
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=utcnow())
    with database.reading() as session:
        posts = draft_posts(session, draft_id)
    assert {p.status for p in posts} == {PostStatus.SCHEDULED}
    return draft_id, posts


def add_attempts(database: Database, post_id: int, *rows: dict[str, object]) -> None:
    """Attempts numbered from 1, a minute apart, each with the columns in its row."""
    started = utcnow() - timedelta(minutes=10)
    with database.writing() as session:
        for number, row in enumerate(rows, start=1):
            at = started + timedelta(minutes=number)
            session.add(
                Attempt(
                    post_id=post_id,
                    number=number,
                    worker=WORKER,
                    started_at=at,
                    finished_at=at + timedelta(milliseconds=int(str(row.get("duration_ms", 0)))),
                    **row,  # type: ignore[arg-type]
                )
            )


def settle(database: Database, post_id: int, status: PostStatus, reason: str) -> None:
    """Leave the post as the daemon would after its last attempt."""
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.reason, post.attempt_at = status, reason, None
        draft = get_draft(session, post.draft_id)
        draft.status = DraftStatus.DONE


def needs_attention_post(drafts: Drafts, database: Database, config: Config) -> tuple[int, int]:
    """A scheduled post whose one attempt had no clear answer: its draft's id and its id."""
    draft_id, posts = scheduled(drafts, database, config, next_sunday_evening())
    post_id = posts[0].id
    assert post_id is not None
    add_attempts(
        database,
        post_id,
        {"outcome": "unknown", "duration_ms": 500, "error": "read timed out after sending"},
    )
    settle(
        database,
        post_id,
        PostStatus.NEEDS_ATTENTION,
        "read timed out after sending; the post may or may not be live",
    )
    return draft_id, post_id
