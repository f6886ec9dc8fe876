"""Sending a scheduled draft back to its author unschedules only what is still to be sent: a
post already out stays published (it must never be queued again: that would post it twice),
and a post being sent makes the request wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from drafts.config import Config
from drafts.errors import ScheduleError
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post, User
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.users import Role, add_user
from tests.integration.drafting import add_author, add_posts

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def scheduled(database: Database, config: Config, library: TemplateLibrary) -> tuple[int, User]:
    """A draft on linkedin (en, ko) and x-en, approved and scheduled, reviewed by joon."""
    mina = add_author(database)
    posts = add_posts(database, config, library, mina, "Park", now=NOW - timedelta(days=1))
    with database.writing() as session:
        joon = add_user(session, name="joon", role=Role.REVIEWER, password_hash=None, actor=None)
        draft_id = session.get(Post, posts["x-en", "en"]).draft_id  # type: ignore[union-attr]
        submit(session, draft_id=draft_id, actor=mina, config=config)
        approve(session, draft_id=draft_id, reviewer=joon, comment="", config=config, now=NOW)
        request = ScheduleRequest(at=NOW + timedelta(days=1))
        schedule_draft(
            session, draft_id=draft_id, request=request, actor=mina, config=config, now=NOW
        )
    return draft_id, joon


def set_status(database: Database, draft_id: int, channel: str, status: PostStatus) -> None:
    with database.writing() as session:
        post = session.exec(
            select(Post).where(Post.draft_id == draft_id, Post.channel == channel)
        ).one()
        post.status = status
        post.remote_id = "1900000000000000001" if status == PostStatus.PUBLISHED else None


def test_a_post_already_out_stays_published(
    database: Database, config: Config, scheduled: tuple[int, User]
) -> None:
    draft_id, joon = scheduled
    set_status(database, draft_id, "x-en", PostStatus.PUBLISHED)
    with database.writing() as session:
        request_changes(session, draft_id=draft_id, reviewer=joon, comment="Fix", config=config)
    with database.reading() as session:
        posts = {p.channel + p.language: p for p in session.exec(select(Post))}
        assert session.get(Draft, draft_id).status == DraftStatus.CHANGES_REQUESTED  # type: ignore[union-attr]
    assert posts["x-enen"].status == PostStatus.PUBLISHED
    assert posts["x-enen"].remote_id == "1900000000000000001"
    assert {posts["linkedinen"].status, posts["linkedinko"].status} == {PostStatus.PENDING}
    assert posts["linkedinen"].due_at is None


def test_a_post_being_sent_makes_the_request_wait(
    database: Database, config: Config, scheduled: tuple[int, User]
) -> None:
    draft_id, joon = scheduled
    set_status(database, draft_id, "x-en", PostStatus.PUBLISHING)
    with database.writing() as session, pytest.raises(ScheduleError, match="being published"):
        request_changes(session, draft_id=draft_id, reviewer=joon, comment="Fix", config=config)
    with database.reading() as session:
        assert session.get(Draft, draft_id).status == DraftStatus.SCHEDULED  # type: ignore[union-attr]
        statuses = {p.channel: p.status for p in session.exec(select(Post))}
    assert (
        statuses["x-en"] == PostStatus.PUBLISHING and statuses["linkedin"] == PostStatus.SCHEDULED
    )
