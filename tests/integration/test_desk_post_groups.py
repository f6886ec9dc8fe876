"""The desk's groups that follow posts (needing attention; published this week): a draft shows
once, at its latest post there, with how many of its posts are there and the first of them,
and a page after another never shows a draft again, though its older posts lie past the place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from drafts.desk import DeskGroup, Group, desk_group
from drafts.lifecycle import PostStatus
from drafts.models import Post
from drafts.storage import Database
from tests.integration.test_page_growth import NOW, add


def another_post(
    draft_id: int, post_id: int, status: PostStatus, at: datetime
) -> dict[str, object]:
    """Post ``post_id`` of draft ``draft_id``, a later occurrence of its first."""
    return {
        "id": post_id,
        "draft_id": draft_id,
        "author_id": 1,
        "channel": "x-en",
        "platform": "x",
        "language": "en",
        "occurrence": post_id,
        "text": "hi",
        "length": 2,
        "status": str(status),
        "due_at": at,
        "created_at": at,
        "updated_at": at,
    }


def pages(database: Database, group: Group, size: int) -> list[DeskGroup]:
    found, after = [], None
    with database.reading() as session:
        while True:
            page = desk_group(session, author_id=1, group=group, now=NOW, after=after, size=size)
            found.append(page)
            if page.after is None:
                return found
            after = page.after


def test_a_draft_shows_once_at_its_latest_stopped_post(database: Database) -> None:
    # Drafts 1-3, one failed post each, 1, 2 and 3 hours ago.
    for number in (1, 2, 3):
        add(database, number, 1, PostStatus.FAILED, NOW - timedelta(hours=number))
    with database.engine.begin() as connection:
        connection.execute(
            insert(Post.__table__),  # type: ignore[attr-defined]
            [
                another_post(3, 10, PostStatus.NEEDS_ATTENTION, NOW - timedelta(minutes=5)),
                another_post(1, 11, PostStatus.FAILED, NOW - timedelta(hours=9)),
                another_post(2, 12, PostStatus.PUBLISHED, NOW),  # not in the group
            ],
        )

    shown = pages(database, Group.ATTENTION, size=1)

    entries = [page.entries[0] for page in shown]
    assert [entry.id for entry in entries] == [3, 1, 2]
    assert [entry.at for entry in entries] == [
        NOW - timedelta(minutes=5),
        NOW - timedelta(hours=1),
        NOW - timedelta(hours=2),
    ]
    assert [(entry.posts, entry.first_post) for entry in entries] == [(2, 3), (2, 1), (1, 2)]
    assert {page.total for page in shown} == {3}


def test_published_this_week_counts_the_weeks_posts_only(database: Database) -> None:
    add(database, 1, 2, PostStatus.PUBLISHED, NOW - timedelta(days=1))  # drafts 1 and 2
    with database.engine.begin() as connection:
        connection.execute(
            insert(Post.__table__),  # type: ignore[attr-defined]
            [
                another_post(1, 10, PostStatus.PUBLISHED, NOW - timedelta(days=2)),
                another_post(2, 11, PostStatus.PUBLISHED, NOW - timedelta(days=30)),
            ],
        )

    [page] = pages(database, Group.PUBLISHED, size=10)

    assert [(entry.id, entry.posts) for entry in page.entries] == [(1, 2), (2, 1)]
    assert page.total == 2
