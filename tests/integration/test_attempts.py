"""Reading what was tried, on SQLite and on PostgreSQL: a post with its attempts and history
(``drafts.attempts``), the attempt log, and the posts a person must settle
(``drafts.attention.attention_list``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.attempts import attempt_log, post_record
from drafts.attention import attention_list
from drafts.audit import record
from drafts.config import Config
from drafts.errors import NotFoundError
from drafts.lifecycle import PostStatus
from drafts.models import Attempt, Post, User
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from tests.integration.drafting import add_posts

STARTED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def tried(database: Database, post_id: int, *outcomes: str, minute: int = 0) -> None:
    """Attempts numbered from 1, a minute apart from ``minute``, with these outcomes."""
    with database.writing() as session:
        for number, outcome in enumerate(outcomes, start=1):
            session.add(
                Attempt(
                    post_id=post_id,
                    number=number,
                    worker="test-worker",
                    started_at=STARTED + timedelta(minutes=minute + number),
                    outcome=outcome,
                )
            )


def leave(database: Database, post_id: int, status: PostStatus, *, at: datetime) -> None:
    with database.writing() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status, post.reason, post.updated_at = status, f"{status} for a test", at


def test_a_post_comes_with_its_attempts_and_its_history(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    posts = add_posts(database, config, library, mina, "Riverside park reopens")
    post_id, other = posts["linkedin", "en"], posts["x-en", "en"]
    tried(database, post_id, "retry", "published")
    tried(database, other, "failed")
    with database.writing() as session:
        for action in ("post.retrying", "post.published"):
            record(session, actor="daemon", action=action, post_id=post_id)
        record(session, actor="daemon", action="post.failed", post_id=other)

    with database.reading() as session:
        found = post_record(session, post_id=post_id)
    assert found.post.id == post_id
    assert (found.draft_title, found.draft_status) == ("Riverside park reopens", "draft")
    assert [(a.number, a.outcome) for a in found.attempts] == [(1, "retry"), (2, "published")]
    assert [entry.action for entry in found.history] == ["post.retrying", "post.published"]

    for missing in (other + 100, 2**63):
        with pytest.raises(NotFoundError, match=f"no post {missing}"), database.reading() as s:
            post_record(s, post_id=missing)


def test_the_attempt_log_is_newest_first_for_every_post_or_one(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    posts = add_posts(database, config, library, mina, "Riverside park reopens")
    linkedin, x = posts["linkedin", "en"], posts["x-en", "en"]
    tried(database, linkedin, "retry", "published")
    tried(database, x, "unknown", minute=10)

    with database.reading() as session:
        every = attempt_log(session, limit=50)
        two = attempt_log(session, limit=2)
        mine = attempt_log(session, post_id=linkedin, limit=50)
        quiet = attempt_log(session, post_id=posts["linkedin", "ko"], limit=50)
    assert [(a.post_id, a.number) for a, _ in every] == [(x, 1), (linkedin, 2), (linkedin, 1)]
    assert [post.channel for _, post in every] == ["x-en", "linkedin", "linkedin"]
    assert [(a.post_id, a.number) for a, _ in two] == [(x, 1), (linkedin, 2)]
    assert [(a.post_id, a.number) for a, _ in mine] == [(linkedin, 2), (linkedin, 1)]
    assert quiet == []
    for missing in (x + 100, -1, 2**63):
        with pytest.raises(NotFoundError, match=f"no post {missing}"), database.reading() as s:
            attempt_log(s, post_id=missing, limit=50)


def test_the_attention_list_is_the_most_recently_changed_first(
    database: Database, config: Config, library: TemplateLibrary, mina: User
) -> None:
    park = add_posts(database, config, library, mina, "Riverside park reopens")
    hours = add_posts(database, config, library, mina, "Library hours")
    leave(database, park["linkedin", "en"], PostStatus.NEEDS_ATTENTION, at=STARTED)
    leave(database, park["x-en", "en"], PostStatus.FAILED, at=STARTED + timedelta(hours=2))
    leave(
        database,
        hours["linkedin", "ko"],
        PostStatus.NEEDS_ATTENTION,
        at=STARTED + timedelta(hours=1),
    )
    leave(database, hours["x-en", "en"], PostStatus.PUBLISHED, at=STARTED + timedelta(hours=3))

    with database.reading() as session:
        listed = attention_list(session, limit=50)
        first_two = attention_list(session, limit=2)
    assert [(e.title, e.channel, e.language, e.status) for e in listed.entries] == [
        ("Riverside park reopens", "x-en", "en", "failed"),
        ("Library hours", "linkedin", "ko", "needs_attention"),
        ("Riverside park reopens", "linkedin", "en", "needs_attention"),
    ]
    newest = listed.entries[0]
    assert newest.post_id == park["x-en", "en"]
    assert newest.reason == "failed for a test"
    assert newest.since == STARTED + timedelta(hours=2)
    assert listed.total == 3
    assert [e.post_id for e in first_two.entries] == [e.post_id for e in listed.entries[:2]]
    assert first_two.total == 3  # every post to settle, beyond the limit too


def test_nothing_to_settle_is_an_empty_list(database: Database) -> None:
    with database.reading() as session:
        listed = attention_list(session, limit=50)
    assert (listed.entries, listed.total) == ((), 0)
