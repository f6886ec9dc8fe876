"""The claim's approval check, remembered by the daemon (``drafts.review.ApprovalCache``): a
draft found approved as it stands is not hashed again on every claim, and what was found never
lets anything go out that its reviewers did not approve as it stands now. An edit after the
approval, a request for changes and a post changed behind the draft's back each make the claim
check the draft anew and refuse it until reviewers approve what it now says. On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.config import Config
from drafts.draft_file import read_draft_file
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft, Post, User
from drafts.queueing import ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import approve, request_changes, submit
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Role, add_user
from scheduler.attempt_data import Claim
from tests.integration.publishing import sandbox_config
from tests.integration.test_claim_statements import (
    counted_claim,
    leasing_statements,
    planning_statements,
)

FIRST = "The harbour walk opens on Saturday."
EDITED = "The harbour walk opens on Sunday instead."
REFUSED = "not approved as it stands: it was not sent"


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    return sandbox_config("http://127.0.0.1:9", monkeypatch)


def claim(database: Database, *, keep: bool = True) -> tuple[list[Claim], list[str]]:
    """Claim what is due (kept, or rolled back); the claims and the statements it sent."""
    return counted_claim(database, 10, keep=keep)


def _source(text: str) -> str:
    return (
        f'kind = "post"\ntitle = "Harbour walk"\nchannels = ["mastodon"]\n[text]\nen = "{text}"\n'
    )


class Desk:
    """An author and a reviewer, and one draft of theirs going through review."""

    def __init__(self, database: Database, config: Config, library: TemplateLibrary) -> None:
        self.database, self.config, self.library = database, config, library
        self.before = utcnow() - timedelta(seconds=10)
        with database.writing() as session:
            self.author = add_user(
                session, name="hana", role=Role.AUTHOR, password_hash=None, actor=None
            )
            self.reviewer = add_user(
                session, name="jun", role=Role.REVIEWER, password_hash=None, actor=None
            )
            content = read_draft_file(_source(FIRST), "draft.toml", config, self.before)
            draft = add_draft(
                session, content=content, author=self.author, config=config, library=library
            )
            assert draft.id is not None
            self.draft_id = draft.id
            submit(session, draft_id=draft.id, actor=self.author, config=config)
        self.approve_and_schedule()

    def approve_and_schedule(self) -> None:
        self._do(approve, reviewer=self.reviewer, comment="", now=self.before)
        at = self.before + timedelta(seconds=5)
        self._do(schedule_draft, request=ScheduleRequest(at=at), actor=self.author, now=self.before)

    def edit(self, text: str) -> None:
        content = read_draft_file(_source(text), "draft.toml", self.config, self.before)
        outcome = self._do(edit_draft, content=content, editor=self.author, library=self.library)
        assert outcome.back_to_review

    def request_changes(self) -> None:
        self._do(request_changes, reviewer=self.reviewer, comment="say which pier")

    def submit(self) -> None:
        self._do(submit, actor=self.author)

    def _do(self, action: Callable[..., Any], **arguments: Any) -> Any:
        """``action`` on the draft in a transaction of its own, its people read in it."""
        with self.database.writing() as session:
            people = {
                name: session.get(User, value.id)
                for name, value in arguments.items()
                if isinstance(value, User)
            }
            return action(
                session,
                draft_id=self.draft_id,
                config=self.config,
                **{**arguments, **people},
            )

    def scheduled_behind_the_reviewers_back(self) -> None:
        """The draft and its posts put back in the queue without an approval of what the
        draft now says (as a bug, or a hand in the database, might): the claim's check is the
        last guard (guarantee 1)."""
        due = utcnow() - timedelta(seconds=1)
        with self.database.writing() as session:
            session.execute(
                update(Draft)
                .where(col(Draft.id) == self.draft_id)
                .values(status=DraftStatus.SCHEDULED)
            )
            session.execute(
                update(Post)
                .where(col(Post.draft_id) == self.draft_id)
                .values(status=PostStatus.SCHEDULED, due_at=due, attempt_at=due)
            )

    def posts(self) -> list[Post]:
        with self.database.reading() as session:
            return draft_posts(session, self.draft_id)

    def status(self) -> DraftStatus:
        with self.database.reading() as session:
            return DraftStatus(get_draft(session, self.draft_id).status)


@pytest.fixture
def desk(database: Database, config: Config, library: TemplateLibrary) -> Desk:
    return Desk(database, config, library)


def found_approved_once(database: Database) -> None:
    """A claim that finds the draft approved, rolled back: the post stays due, and the
    daemon's process now knows the draft approved as it stood."""
    claims, _ = claim(database, keep=False)
    assert [c.text for c in claims] == [FIRST]


def refused(database: Database, desk: Desk) -> None:
    claims, _ = claim(database)
    assert claims == []
    [post] = desk.posts()
    assert (post.status, post.reason) == (PostStatus.FAILED, REFUSED)


def test_a_draft_found_approved_is_not_checked_again_while_it_stands(
    database: Database, desk: Desk
) -> None:
    """The second claim reads neither the draft's posts nor its reviews: the candidates, the
    post leased and the attempt started."""
    _, first = claim(database, keep=False)
    claims, second = claim(database, keep=False)
    assert [c.text for c in claims] == [FIRST]
    planned = planning_statements(database)
    assert len(second) == planned + 1 + leasing_statements(database), second
    assert len(first) == planned + 3 + leasing_statements(database), first


def test_an_edit_after_the_approval_is_never_sent_on_that_approval(
    database: Database, desk: Desk
) -> None:
    found_approved_once(database)
    desk.edit(EDITED)
    assert desk.status() == DraftStatus.IN_REVIEW
    assert claim(database)[0] == []  # back in review: nothing of it is due
    desk.scheduled_behind_the_reviewers_back()
    refused(database, desk)


def test_an_edit_approved_anew_sends_the_new_text(database: Database, desk: Desk) -> None:
    found_approved_once(database)
    desk.edit(EDITED)
    desk.approve_and_schedule()
    claims, _ = claim(database)
    assert [c.text for c in claims] == [EDITED]


def test_after_a_request_for_changes_the_same_text_needs_a_new_approval(
    database: Database, desk: Desk
) -> None:
    """Sent back and submitted again unchanged: the same content hash, a new round, which
    nobody approved yet."""
    found_approved_once(database)
    desk.request_changes()
    desk.submit()
    desk.scheduled_behind_the_reviewers_back()
    refused(database, desk)


def test_after_a_request_for_changes_a_new_approval_sends_it(
    database: Database, desk: Desk
) -> None:
    found_approved_once(database)
    desk.request_changes()
    desk.submit()
    desk.approve_and_schedule()
    claims, _ = claim(database)
    assert [c.text for c in claims] == [FIRST]


def test_a_post_changed_behind_its_drafts_back_is_not_sent(database: Database, desk: Desk) -> None:
    """The draft row still says the hash and round that were approved, but the post's text
    is not what was approved: checked anew, refused."""
    found_approved_once(database)
    with database.writing() as session:
        session.execute(update(Post).where(col(Post.draft_id) == desk.draft_id).values(text=EDITED))
    refused(database, desk)
