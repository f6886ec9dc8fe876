"""A draft is done when its last post is final, with one audit entry: on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from drafts.audit import DAEMON, history
from drafts.authoring import get_draft
from drafts.completion import finish_drafts
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from tests.integration.publishing import posts, queue_posts, sandbox_config

UNUSED_ORIGIN = "http://127.0.0.1:9"  # nothing is sent here


def set_status(database: Database, post_id: int, status: PostStatus) -> None:
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status = status


def test_a_draft_is_done_once_its_last_post_is_final(
    database: Database, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox_config(UNUSED_ORIGIN, monkeypatch)
    first, second = queue_posts(database, config, library, channels=["mastodon", "team-chat"])
    draft_id = posts(database, [first])[0].draft_id
    now = datetime.now(UTC) + timedelta(minutes=1)

    set_status(database, first, PostStatus.PUBLISHED)
    with database.writing() as session:
        finish_drafts(session, {draft_id}, actor=DAEMON, now=now)
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.SCHEDULED
        assert [e for e in history(session, draft_id=draft_id) if e.action == "draft.done"] == []

    set_status(database, second, PostStatus.NEEDS_ATTENTION)
    for _ in range(2):  # finishing a draft that is done already changes nothing
        with database.writing() as session:
            finish_drafts(session, {draft_id}, actor=DAEMON, now=now)
    with database.reading() as session:
        draft = get_draft(session, draft_id)
        assert draft.status == DraftStatus.DONE and draft.updated_at == now
        done = [e for e in history(session, draft_id=draft_id) if e.action == "draft.done"]
        assert [(e.actor, e.post_id, e.at) for e in done] == [(DAEMON, None, now)]


def test_a_draft_no_longer_scheduled_is_left_as_it_is(
    database: Database, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox_config(UNUSED_ORIGIN, monkeypatch)
    (post_id,) = queue_posts(database, config, library, channels=["mastodon"])
    draft_id = posts(database, [post_id])[0].draft_id
    set_status(database, post_id, PostStatus.CANCELLED)
    with database.writing() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        draft.status = DraftStatus.CANCELLED
    with database.writing() as session:
        finish_drafts(session, {draft_id}, actor=DAEMON, now=datetime.now(UTC))
    with database.reading() as session:
        assert get_draft(session, draft_id).status == DraftStatus.CANCELLED
        assert all(e.action != "draft.done" for e in history(session, draft_id=draft_id))


def test_finishing_drafts_and_their_entries_is_one_statement_on_postgresql(
    database: Database, library: TemplateLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon finishes the drafts of every batch of results: on PostgreSQL the update and
    the audit entries are one statement (one round trip), on SQLite two."""
    config = sandbox_config(UNUSED_ORIGIN, monkeypatch)
    ids = queue_posts(database, config, library, channels=["mastodon"], count=3)
    draft_ids = {post.draft_id for post in posts(database, ids)}
    for post_id in ids:
        set_status(database, post_id, PostStatus.PUBLISHED)
    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.writing() as session:
            finish_drafts(session, draft_ids, actor=DAEMON, now=datetime.now(UTC))
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    sent = [statement for statement in sent if not statement.startswith("BEGIN")]
    assert len(sent) == (2 if database.is_sqlite else 1), sent
    with database.reading() as session:
        for draft_id in draft_ids:
            assert get_draft(session, draft_id).status == DraftStatus.DONE
            done = [e for e in history(session, draft_id=draft_id) if e.action == "draft.done"]
            assert [(e.actor, e.post_id, e.detail) for e in done] == [(DAEMON, None, "")]
