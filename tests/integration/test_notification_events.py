"""The notification events each change records, once, in its own transaction, on SQLite and
PostgreSQL: a submission, a request for changes, the approval that approves, a post that failed
for good or needs a person (never a retry), and a credential renewal that failed (once a streak).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from drafts.authoring import edit_draft
from drafts.config import Config
from drafts.lifecycle import PostStatus
from drafts.models import NotificationEvent, Post, User
from drafts.notification_events import Event
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.users import Role, add_user
from scheduler.credentials import VAULT_KEY
from scheduler.renewal import Renewals
from scheduler.sandbox.oauth import revoke_token
from scheduler.sandbox.server import RunningSandbox
from tests.conftest import TEST_CONFIG, make_config
from tests.fakes import Clock
from tests.integration.drafting import add_content, free_text
from tests.integration.publishing import drain, posts, queue_posts, sandbox_config
from tests.integration.test_renewal import in_transaction
from tests.integration.x_connections import T0, TOKEN_PATH, connect_x, stored, x_config

TWO_APPROVALS = make_config(TEST_CONFIG.replace("required_approvals = 1", "required_approvals = 2"))


def events(database: Database) -> list[NotificationEvent]:
    with database.reading() as session:
        return list(session.exec(select(NotificationEvent).order_by(col(NotificationEvent.id))))


def told(database: Database) -> list[tuple[str, str]]:
    """Each recorded event and its key, in the order they were recorded."""
    return [(event.event, event.key) for event in events(database)]


@pytest.fixture
def team(database: Database) -> dict[str, User]:
    with database.writing() as session:
        return {
            name: add_user(session, name=name, role=role, password_hash=None, actor=None)
            for name, role in [
                ("mina", Role.AUTHOR),
                ("joon", Role.REVIEWER),
                ("ara", Role.REVIEWER),
            ]
        }


# --- the review workflow ------------------------------------------------------------------


def test_each_review_step_records_its_event_once(
    database: Database, library: TemplateLibrary, team: dict[str, User]
) -> None:
    config = TWO_APPROVALS
    draft_id, _ = add_content(database, config, library, team["mina"], free_text(config, "Park"))
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=team["mina"], config=config)
    with database.writing() as session:
        request_changes(
            session, draft_id=draft_id, reviewer=team["joon"], comment="Say when.", config=config
        )
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=team["mina"], config=config)
        approve(
            session, draft_id=draft_id, reviewer=team["joon"], comment="", config=config, now=T0
        )
    assert [event for event, _ in told(database)] == [
        Event.REVIEW_REQUESTED,
        Event.CHANGES_REQUESTED,
        Event.REVIEW_REQUESTED,
    ]  # one approval of the two needed approves nothing
    with database.writing() as session:
        approve(session, draft_id=draft_id, reviewer=team["ara"], comment="", config=config, now=T0)

    first, changes, second, approved = events(database)
    assert (first.key, second.key) == (f"draft:{draft_id}:review:1", f"draft:{draft_id}:review:2")
    assert first.facts == {"by": "mina", "round": 1}
    assert changes.key.startswith(f"draft:{draft_id}:changes:")
    assert changes.facts == {"by": "joon", "comment": "Say when."}
    assert (approved.event, approved.key) == (Event.APPROVED, f"draft:{draft_id}:approved:2")
    assert approved.facts == {"by": "ara", "round": 2}
    assert {event.draft_id for event in events(database)} == {draft_id}
    assert all(event.fanned_out_at is None for event in events(database))


def test_a_refused_submission_records_nothing(
    database: Database, config: Config, library: TemplateLibrary, team: dict[str, User]
) -> None:
    too_long = free_text(config, "Long", text={"en": "word " * 200}, channels=["x-en"])
    draft_id, _ = add_content(database, config, library, team["mina"], too_long)
    with pytest.raises(Exception, match="cannot be submitted"), database.writing() as session:
        submit(session, draft_id=draft_id, actor=team["mina"], config=config)
    assert told(database) == []


def test_an_approved_draft_edited_waits_for_review_again_but_an_edit_in_review_tells_nobody(
    database: Database, config: Config, library: TemplateLibrary, team: dict[str, User]
) -> None:
    draft_id, _ = add_content(database, config, library, team["mina"], free_text(config, "Park"))
    with database.writing() as session:
        submit(session, draft_id=draft_id, actor=team["mina"], config=config)
    changed = {"en": "The park opens on Wednesday.", "ko": "공원이 수요일에 문을 엽니다."}
    with database.writing() as session:  # still in review: the reviewers already wait for it
        edit_draft(
            session,
            draft_id=draft_id,
            content=free_text(config, "Park", text=changed),
            editor=team["mina"],
            config=config,
            library=library,
        )
        approve(
            session, draft_id=draft_id, reviewer=team["joon"], comment="", config=config, now=T0
        )
    with database.writing() as session:
        edit_draft(
            session,
            draft_id=draft_id,
            content=free_text(config, "Park"),
            editor=team["mina"],
            config=config,
            library=library,
        )
    assert told(database) == [
        (Event.REVIEW_REQUESTED, f"draft:{draft_id}:review:1"),
        (Event.APPROVED, f"draft:{draft_id}:approved:2"),
        (Event.REVIEW_REQUESTED, f"draft:{draft_id}:review:3"),
    ]


# --- publishing -----------------------------------------------------------------------------


@pytest.fixture
def publishing(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Config:
    """Two Mastodon accounts and a webhook on the sandbox; four attempts at most."""
    return sandbox_config(sandbox.base_url, monkeypatch)


def post_events(database: Database) -> list[NotificationEvent]:
    return [event for event in events(database) if event.event == Event.POST_FAILED]


def test_a_post_retried_twice_then_published_records_nothing(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, publishing: Config
) -> None:
    (post_id,) = queue_posts(database, publishing, library, channels=["mastodon"])
    sandbox.state.faults.add("status", "mastodon", status=503, times=2)
    drain(database, publishing, retry_base_delay=timedelta(milliseconds=50))
    assert posts(database, [post_id])[0].status == PostStatus.PUBLISHED
    assert post_events(database) == []


def test_a_post_retried_twice_then_failed_records_one_event(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, publishing: Config
) -> None:
    (post_id,) = queue_posts(database, publishing, library, channels=["mastodon"])
    sandbox.state.faults.add("status", "mastodon", status=503, times=2)
    sandbox.state.faults.add("status", "mastodon", status=422)  # then refused for good
    drain(database, publishing, retry_base_delay=timedelta(milliseconds=50))
    (post,) = posts(database, [post_id])
    assert post.status == PostStatus.FAILED

    (event,) = post_events(database)
    assert event.key == f"post:{post_id}:failed:3"
    assert (event.post_id, event.draft_id, event.channel_id) == (post_id, post.draft_id, "mastodon")
    assert event.facts == {
        "channel": "mastodon",
        "status": "failed",
        "reason": post.reason,
        "attempt": 3,
    }
    assert os.environ["TIDINGS_T_MASTODON"] not in str(event.facts)


def test_a_post_that_needs_a_person_records_one_event(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, publishing: Config
) -> None:
    (post_id,) = queue_posts(database, publishing, library, channels=["team-chat"])
    sandbox.state.faults.add("slow_after_accept", "webhook", seconds=1.5)
    drain(database, publishing, request_timeout=0.5)
    drain(database, publishing)  # nothing more happens to it, and nothing more is recorded
    assert posts(database, [post_id])[0].status == PostStatus.NEEDS_ATTENTION
    assert [event.key for event in post_events(database)] == [f"post:{post_id}:needs_attention:1"]


def test_a_post_no_longer_approved_fails_before_any_attempt_and_records_one_event(
    database: Database, library: TemplateLibrary, sandbox: RunningSandbox, publishing: Config
) -> None:
    (post_id,) = queue_posts(database, publishing, library, channels=["mastodon"])
    with database.writing() as session:  # someone changes the text behind the workflow's back
        stored = session.get(Post, post_id)
        assert stored is not None
        stored.text = "something nobody reviewed"
    drain(database, publishing)
    (event,) = post_events(database)
    assert event.key == f"post:{post_id}:failed:0"
    assert "not approved as it stands" in event.facts["reason"]


# --- credential renewal ---------------------------------------------------------------------


def test_a_streak_of_failed_renewals_records_one_event_and_a_later_streak_another(
    database: Database, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = secrets.token_urlsafe(16)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_ID", client_id)
    monkeypatch.setenv("TIDINGS_T_X_CLIENT_SECRET", secrets.token_urlsafe(24))
    monkeypatch.setenv(VAULT_KEY, secrets.token_urlsafe(32))
    config = x_config(sandbox.base_url)
    connect_x(database, config, sandbox, client_id, expires_at=T0 + timedelta(hours=2))
    clock = Clock(T0 + timedelta(minutes=110))
    renewals = Renewals(config, in_transaction(database), holder="host-a:1", now=clock)
    sandbox.state.faults.add("status", "x", path=TOKEN_PATH, status=503, times=2)

    async def rounds(count: int) -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            for _ in range(count):
                await renewals.round(http)
                clock.advance(minutes=1)

    asyncio.run(rounds(3))  # unreachable twice, then renewed
    (first,) = events(database)
    assert (first.event, first.key) == (
        Event.CREDENTIAL_REFRESH_FAILED,
        f"channel:x-en:refresh_failed:{T0.isoformat()}",  # the streak began at the connecting
    )
    assert first.channel_id == "x-en" and first.draft_id is None
    assert "503" in first.facts["reason"]

    row, _, refresh = stored(database)
    assert row.refreshed_at is not None and row.expires_at is not None
    renewed_at, expires_at = row.refreshed_at, row.expires_at
    assert revoke_token(sandbox.state, refresh) is not None  # X no longer takes it
    clock.now = expires_at - timedelta(minutes=10)
    asyncio.run(rounds(2))  # refused: not tried again
    assert [event.key for event in events(database)] == [
        first.key,
        f"channel:x-en:refresh_failed:{renewed_at.isoformat()}",
    ]
