"""What changed in a draft's posts since a reviewer last decided on it.

A review keeps the posts as the reviewer saw them (``Review.posts_seen``). After an edit, the
draft page compares the posts now with those of the last approval (else the last request for
changes): each post, matched by channel and language, is new, gone, or changed, and a changed
text is shown word by word (``difflib`` over words, spaces and signs), so a reviewer reads only
what moved instead of the whole post again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from drafts.models import Draft, Post, Review, User
from drafts.review import APPROVED
from drafts.revisions import revision_texts

# A number, a word, a run of spaces, or one sign: a changed word shows alone, its spaces
# untouched, and a date's number apart from the Korean unit after it (``18일`` → ``17일``).
_TOKEN = re.compile(r"\d+|[^\W\d]+|\s+|[^\w\s]")


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Piece:
    """A run of text the two versions share (``change`` None), or that one of them only has."""

    text: str
    change: Change | None = None


@dataclass(frozen=True)
class PostChange:
    channel: str
    language: str
    change: Change
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Changes:
    """How the posts differ from those the reviewer decided on."""

    reviewer: str
    decision: str
    at: datetime
    posts: tuple[PostChange, ...]


def word_diff(before: str, after: str) -> tuple[Piece, ...]:
    """``after`` against ``before``: shared runs, and runs removed or added, in reading order.

    A space shared between two changed words belongs to the change, so a rewritten phrase reads
    as one removal and one addition instead of alternating words.
    """
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    runs = [
        ("".join(old[i1:i2]), "".join(new[j1:j2]), tag == "equal")
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    pieces: list[Piece] = []
    removed = added = ""
    for index, (was, now, equal) in enumerate(runs):
        between_changes = 0 < index < len(runs) - 1 and was.isspace()
        if equal and not between_changes:
            _append(pieces, removed, Change.REMOVED)
            _append(pieces, added, Change.ADDED)
            removed = added = ""
            _append(pieces, was, None)
        else:
            removed, added = removed + was, added + now
    _append(pieces, removed, Change.REMOVED)
    _append(pieces, added, Change.ADDED)
    return tuple(pieces)


def _append(pieces: list[Piece], text: str, change: Change | None) -> None:
    if not text:
        return
    if pieces and pieces[-1].change == change:
        pieces[-1] = Piece(pieces[-1].text + text, change)
    else:
        pieces.append(Piece(text, change))


def compare(seen: Sequence[dict[str, str]], posts: Sequence[Post]) -> tuple[PostChange, ...]:
    """Each post that is new, gone or different since ``seen``; the same ones are left out."""
    before = {(item["channel"], item["language"]): item["text"] for item in seen}
    now = {(post.channel, post.language): post.text for post in posts}
    found: list[PostChange] = []
    for key in dict.fromkeys([*now, *before]):
        old, new = before.get(key), now.get(key)
        if old == new:
            continue
        pieces: tuple[Piece, ...]
        if old is None:
            change, pieces = Change.ADDED, (Piece(new or "", Change.ADDED),)
        elif new is None:
            change, pieces = Change.REMOVED, (Piece(old, Change.REMOVED),)
        else:
            change, pieces = Change.CHANGED, word_diff(old, new)
        found.append(PostChange(key[0], key[1], change, pieces))
    return tuple(found)


def changes_since_review(session: Session, draft: Draft, posts: Sequence[Post]) -> Changes | None:
    """What changed since the last approval (else the last request for changes), or None when
    the posts are as that reviewer saw them, nobody has decided yet, or the review predates
    kept texts."""
    review = _last_decision(session, draft)
    if review is None or review.posts_seen is None or review.content_hash == draft.content_hash:
        return None
    reviewer = session.get(User, review.reviewer_id)
    return Changes(
        reviewer=reviewer.name if reviewer is not None else "?",
        decision=review.decision,
        at=review.created_at,
        posts=compare(review.posts_seen, posts),
    )


def changes_since_seen(
    session: Session, draft: Draft, posts: Sequence[Post], seen: str
) -> tuple[PostChange, ...] | None:
    """What changed since the draft had the content hash ``seen`` (a reviewer's stale page), or
    None when that content is not known (it predates kept revisions)."""
    assert draft.id is not None
    before = revision_texts(session, draft.id, seen)
    return None if before is None else compare(before, posts)


def _last_decision(session: Session, draft: Draft) -> Review | None:
    reviews = session.exec(
        select(Review).where(Review.draft_id == draft.id).order_by(col(Review.id).desc())
    ).all()
    approvals = [review for review in reviews if review.decision == APPROVED]
    latest = approvals or reviews
    return latest[0] if latest else None
