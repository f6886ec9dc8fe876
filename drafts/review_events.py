"""What the review workflow tells people: a draft waits for review, changes were requested, a
draft was approved (``drafts.notification_events``).

Each is recorded in the transaction of the change, under a key that names the change itself (a
review round, a review row), so doing it again records nothing new: a draft submitted anew
starts a new round and is a new event; the same round told twice is not.
"""

from __future__ import annotations

from sqlmodel import Session

from drafts.models import Draft, Review, User
from drafts.notification_events import Event, record_event


def review_requested(session: Session, draft: Draft, *, by: User) -> None:
    """The draft's current review round waits for the reviewers."""
    _round_event(session, draft, Event.REVIEW_REQUESTED, "review", by)


def changes_requested(session: Session, draft: Draft, review: Review, *, by: User) -> None:
    """``review`` sent the draft back to its author; its comment says what should change."""
    draft_id = _id(draft)
    session.flush()  # the review's id names the event
    record_event(
        session,
        Event.CHANGES_REQUESTED,
        f"draft:{draft_id}:changes:{review.id}",
        draft_id=draft_id,
        facts={"by": by.name, "comment": review.comment},
    )


def approved(session: Session, draft: Draft, *, by: User) -> None:
    """Enough reviewers approved the draft's current round; ``by`` gave the last approval."""
    _round_event(session, draft, Event.APPROVED, "approved", by)


def _round_event(session: Session, draft: Draft, event: Event, step: str, by: User) -> None:
    """``event`` of the draft's current review round (one of each a round at most)."""
    draft_id = _id(draft)
    record_event(
        session,
        event,
        f"draft:{draft_id}:{step}:{draft.review_round}",
        draft_id=draft_id,
        facts={"by": by.name, "round": draft.review_round},
    )


def _id(draft: Draft) -> int:
    assert draft.id is not None
    return draft.id
