"""Moving a draft's posts in the queue (schedule again, publish now, unschedule) never lets a
post go out twice: a post a daemon is sending is not moved, and a post whose last attempt may
have reached the platform is still checked there before it is sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from drafts.authoring import draft_posts, get_draft
from drafts.config import Config
from drafts.errors import ScheduleError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Post, User
from drafts.queueing import ScheduleRequest, schedule_draft, unschedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from tests.integration.drafting import add_posts


@pytest.fixture
def joon(database: Database) -> User:
    with database.writing() as session:
        return add_user(session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None)


def scheduled_draft(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> int:
    """A draft on linkedin and x-en, approved and scheduled an hour ahead: its id."""
    post_ids = add_posts(database, config, library, mina, "Harbour walk")
    with database.writing() as session:
        draft_id = session.get(Post, next(iter(post_ids.values()))).draft_id  # type: ignore[union-attr]
        submit(session, draft_id=draft_id, actor=mina, config=config)
        now = utcnow()
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=now)
        request = ScheduleRequest(at=now + timedelta(hours=1))
        schedule_draft(
            session, draft_id=draft_id, request=request, actor=mina, config=config, now=now
        )
    return draft_id


def posts_as_stored(database: Database, draft_id: int) -> list[tuple[object, ...]]:
    with database.reading() as session:
        return [
            (p.status, p.due_at, p.attempt_at, p.reconcile, p.failures)
            for p in draft_posts(session, draft_id)
        ]


MOVES = ("schedule", "publish now", "unschedule")


def move(name: str, session: Session, draft_id: int, user: User, config: Config) -> None:
    """Schedule the draft three hours ahead, publish it now, or unschedule it."""
    if name == "unschedule":
        unschedule_draft(session, draft_id=draft_id, actor=user)
        return
    later = ScheduleRequest(at=utcnow() + timedelta(hours=3))
    request = ScheduleRequest(now=True) if name == "publish now" else later
    schedule_draft(
        session, draft_id=draft_id, request=request, actor=user, config=config, now=utcnow()
    )


@pytest.mark.parametrize("name", MOVES)
def test_a_draft_with_a_post_being_published_is_not_moved(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    mina: User,
    joon: User,
    name: str,
) -> None:
    draft_id = scheduled_draft(database, config, library, mina, joon)
    with database.writing() as session:
        sending = draft_posts(session, draft_id)[0]
        sending.status, sending.lease_owner = PostStatus.PUBLISHING, "daemon-1"
    before = posts_as_stored(database, draft_id)
    with pytest.raises(ScheduleError) as refused, database.writing() as session:
        move(name, session, draft_id, mina, config)
    assert "post is being published; try again when it is out" in str(refused.value)
    assert posts_as_stored(database, draft_id) == before
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.SCHEDULED


@pytest.mark.parametrize("name", ["schedule", "publish now"])
def test_a_post_that_may_have_been_sent_is_checked_before_it_is_sent_again(
    database: Database,
    config: Config,
    library: TemplateLibrary,
    mina: User,
    joon: User,
    name: str,
) -> None:
    draft_id = scheduled_draft(database, config, library, mina, joon)
    with database.writing() as session:
        unsure = draft_posts(session, draft_id)[0]
        # As the daemon leaves a post whose attempt had no clear answer, on a platform that
        # can tell whether it exists: a retry that asks first.
        unsure.status, unsure.reconcile, unsure.failures = PostStatus.RETRYING, True, 1
    with database.writing() as session:
        move(name, session, draft_id, mina, config)
    [(status, _, _, reconcile, _), *others] = posts_as_stored(database, draft_id)
    assert (status, reconcile) == (PostStatus.SCHEDULED, True)
    assert {other[3] for other in others} == {False}


def test_unschedule_leaves_the_draft_approved_with_nothing_due(
    database: Database, config: Config, library: TemplateLibrary, mina: User, joon: User
) -> None:
    draft_id = scheduled_draft(database, config, library, mina, joon)
    with database.writing() as session:
        taken_out = unschedule_draft(session, draft_id=draft_id, actor=joon)
    assert len(taken_out) == 3
    assert {row[:3] for row in posts_as_stored(database, draft_id)} == {
        (PostStatus.PENDING, None, None)
    }
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.APPROVED
