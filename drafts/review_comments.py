"""What reviewers said to authors: the comments of a draft's latest review round, and the
latest request for changes on each of many drafts.

A comment lives on its ``Review`` (``drafts.review``), beside the decision it came with; the
audit log's copy is history. Only the latest round counts: a comment on content that was
since resubmitted and decided again is no longer what the author is asked to act on, and a
plain approval (no comment) says nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts.models import Review, User
from drafts.review import CHANGES_REQUESTED


@dataclass(frozen=True)
class ReviewComment:
    """One reviewer's comment, with the decision it came with (``review.APPROVED`` or
    ``review.CHANGES_REQUESTED``) and when."""

    draft_id: int
    reviewer: str
    decision: str
    comment: str
    at: datetime


def latest_comments(session: Session, *, draft_id: int) -> tuple[ReviewComment, ...]:
    """The comments of the last review round anyone decided in, oldest first (several when
    more than one approval is required); none when that round's decisions said nothing."""
    last_round = (
        select(func.max(Review.review_round)).where(Review.draft_id == draft_id).scalar_subquery()
    )
    query = _comments().where(
        col(Review.draft_id) == draft_id, col(Review.review_round) == last_round
    )
    rows = session.connection().execute(query.order_by(col(Review.id))).all()
    return tuple(_comment(row) for row in rows)


def requested_changes(session: Session, draft_ids: Collection[int]) -> dict[int, ReviewComment]:
    """The latest request for changes on each of ``draft_ids`` that has one: one query,
    whatever their number."""
    if not draft_ids:
        return {}
    latest = (
        select(func.max(Review.id))
        .where(col(Review.draft_id).in_(draft_ids), Review.decision == CHANGES_REQUESTED)
        .group_by(col(Review.draft_id))
    )
    rows = session.connection().execute(_comments().where(col(Review.id).in_(latest))).all()
    return {row.draft_id: _comment(row) for row in rows}


def _comments() -> Select[*tuple[Any, ...]]:
    return (
        select_columns(
            col(Review.draft_id),
            col(User.name).label("reviewer"),
            col(Review.decision),
            col(Review.comment),
            col(Review.created_at),
        )
        .outerjoin(User, col(User.id) == Review.reviewer_id)
        .where(col(Review.comment) != "")
    )


def _comment(row: Any) -> ReviewComment:
    return ReviewComment(
        draft_id=row.draft_id,
        reviewer=row.reviewer or "?",
        decision=row.decision,
        comment=row.comment,
        at=row.created_at,
    )
