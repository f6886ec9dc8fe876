"""A draft moves (``Draft.moved_at``, the desk's order) when a person's action is logged about
it, not when the daemon logs a batch of its own (a post published, a draft done)."""

from __future__ import annotations

from datetime import timedelta

from drafts.audit import DAEMON, Entry, record, record_batch
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Draft
from drafts.storage import Database
from tests.integration.test_page_growth import NOW, add


def moved(database: Database, draft_id: int) -> object:
    with database.reading() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.moved_at


def test_a_persons_entry_moves_the_draft_and_the_daemons_do_not(database: Database) -> None:
    add(database, 1, 2, PostStatus.SCHEDULED, NOW, draft=DraftStatus.SCHEDULED)
    with database.writing() as session:
        entry = record(session, actor="mina", action="draft.schedule", draft_id=2, detail="")
    assert moved(database, 2) == entry.at
    assert moved(database, 1) == NOW  # the other draft stays where it was
    with database.writing() as session:
        published = Entry(draft_id=2, post_id=2, action="post.published")
        record_batch(session, [published], actor=DAEMON, at=NOW + timedelta(days=1))
    assert moved(database, 2) == entry.at
