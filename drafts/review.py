"""The review workflow: submit, approve, request changes.

An approval is bound to the content hash the reviewer saw and to the current review round
(each submission or edit under review starts a new round), so approvals never carry over to
content nobody reviewed. By default nobody approves a draft they wrote or edited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Integer, Select
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from drafts import audit_details
from drafts.audit import history, record
from drafts.authoring import draft_posts, get_draft
from drafts.composing import PostKey, PostText, content_hash, post_key, post_problems
from drafts.config import Config
from drafts.errors import ReviewError
from drafts.learned_limits import LearnedLimits, learned_limits
from drafts.lifecycle import DraftStatus, PostStatus, require_action
from drafts.media import PostImage
from drafts.media_limits import learned_media_limits
from drafts.messages import N_, Said, Word, in_turn, problem, said
from drafts.models import Draft, Post, PostMedia, Review, User
from drafts.post_media import images_by_post, stored_image_rows
from drafts.queueing import ScheduleRequest, posts_to_move, schedule_draft
from drafts.recurrence import occurrences, repeated_texts
from drafts.review_events import approved, changes_requested, review_requested
from drafts.revisions import seen_texts
from drafts.row_batches import one_of
from drafts.users import Capability, require

APPROVED = "approved"
CHANGES_REQUESTED = "changes_requested"
# The fewest hex digits of a content hash that a reviewer may quote as what they saw: 64 bits,
# too many for an author to find other content whose hash starts the same.
SEEN_DIGITS = 16
_post = Post.__table__  # type: ignore[attr-defined]
_post_media = PostMedia.__table__  # type: ignore[attr-defined]
SUBMIT_ACTION = "draft.submit"  # the audit entry of a submission: the inbox dates reviews by it
NOT_SUBMITTED = N_("draft %(id)s cannot be submitted: %(problems)s")
AT_POST = N_("%(channel)s (%(language)s): %(problem)s")  # one post's problem
AT_PART = N_("%(channel)s (%(language)s), part %(part)s of %(parts)s: %(problem)s")
AT_COMMENT = N_("%(channel)s (%(language)s), first comment: %(problem)s")
CHANGED_SINCE = N_(
    "draft %(id)s changed since you opened it (you saw %(seen)s, it is now %(current)s): "
    "read it again before approving"
)
ALREADY_APPROVED = N_("%(name)s has already approved draft %(id)s as it stands")
NEED_COMMENT = N_("say what should change")
NOT_SENT_BACK = N_(
    "draft %(id)s cannot be sent back now: its %(channel)s (%(language)s) post is being "
    "published; try again when it is out"
)
NOT_A_HASH = N_(
    "%(seen)s is not a content hash (at least %(count)s hex digits, "
    "as `tidings draft show` prints it)"
)
OWN_DRAFT = N_(
    "%(name)s wrote or edited draft %(id)s and may not review it "
    "([review] allow_self_approval is off)"
)
NOT_AS_HASHED = N_("draft %(id)s: stored posts do not match its content hash")


class StaleReview(ReviewError):
    """The reviewer decided on content the draft no longer has."""

    def __init__(self, draft_id: int, seen: str, current: str) -> None:
        shown = {"seen": seen[:SEEN_DIGITS], "current": current[:SEEN_DIGITS]}
        super().__init__(said(CHANGED_SINCE, id=draft_id, **shown))
        self.draft_id, self.seen, self.current = draft_id, seen, current


@dataclass(frozen=True)
class Decision:
    draft: Draft
    approvals: int
    required: int
    scheduled_at: datetime | None = None
    publish_at_passed: bool = False  # approved, but its publish_at went by: schedule it anew


def submit(
    session: Session,
    *,
    draft_id: int,
    actor: User,
    config: Config,
    learned: LearnedLimits | None = None,
) -> Draft:
    """Send a draft to review; refused, with every problem listed, if any post does not fit.
    ``learned``: the channels' reported limits, when a caller sending many read them once."""
    require(actor, Capability.WRITE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "submit")
    learned = learned_limits(session) if learned is None else learned
    posts = draft_posts(session, draft_id)
    problems = _post_problems(posts, config, learned)
    problems += repeated_texts(posts)
    problems += _image_problems(session, posts, config)
    if problems:
        listed = in_turn(*problems)
        raise ReviewError(said(NOT_SUBMITTED, id=draft_id, problems=listed))
    draft.status = DraftStatus.IN_REVIEW
    draft.review_round += 1
    record(session, actor=actor.name, action=SUBMIT_ACTION, draft_id=draft_id)
    review_requested(session, draft, by=actor)
    return draft


def _post_problems(posts: list[Post], config: Config, learned: LearnedLimits) -> list[Said]:
    """Each post's problems, said once for a channel and language however many occurrences
    of a repeating draft share it."""
    found: dict[tuple[str, str, str], Said] = {}
    for post in posts:
        for each in post_problems(post, config, learned):
            line = _at_post(post, each)
            found.setdefault((post.channel, post.language, str(line)), line)
    return list(found.values())


def _at_post(post: Post, problem: Said) -> Said:
    """``problem`` of ``post``, naming its channel and language, and its part of a chain."""
    where: dict[str, Word] = {
        "channel": post.channel,
        "language": post.language,
        "problem": problem,
    }
    if post.is_comment:
        return said(AT_COMMENT, **where)
    if post.parts > 1:
        return said(AT_PART, part=post.part, parts=post.parts, **where)
    return said(AT_POST, **where)


def approve(
    session: Session,
    *,
    draft_id: int,
    reviewer: User,
    comment: str,
    config: Config,
    now: datetime,
    seen: str | None = None,
) -> Decision:
    """Record an approval of the current content; enough of them approve the draft, and a
    draft that carries ``publish_at`` is then scheduled there if that is still ahead.

    ``seen`` is the content hash (or its first ``SEEN_DIGITS`` or more hex digits) of what the
    reviewer read: if the draft changed since, nothing is recorded and ``StaleReview`` says so.
    """
    require(reviewer, Capability.REVIEW)
    draft = get_draft(session, draft_id)
    if seen is not None:
        _refuse_stale(draft, seen)
    require_action(draft_id, draft.status, "approve")
    _refuse_self_approval(session, draft, reviewer, config)
    current = _current_approvals(session, draft)
    if reviewer.id in current:
        raise ReviewError(said(ALREADY_APPROVED, name=reviewer.name, id=draft_id))
    posts = _verified_posts(session, draft)
    session.add(_review(draft, reviewer, APPROVED, comment, posts))
    approvals = len(current) + 1
    required = config.review.required_approvals
    record(
        session,
        actor=reviewer.name,
        action="draft.approve",
        draft_id=draft_id,
        detail=audit_details.approved(count=approvals, required=required, comment=comment),
    )
    if approvals < required:
        return Decision(draft=draft, approvals=approvals, required=required)
    draft.status = DraftStatus.APPROVED
    approved(session, draft, by=reviewer)
    return _schedule_on_approval(session, draft, reviewer, config, now, approvals, required)


def _schedule_on_approval(
    session: Session,
    draft: Draft,
    reviewer: User,
    config: Config,
    now: datetime,
    approvals: int,
    required: int,
) -> Decision:
    if draft.publish_next_slot:
        request = ScheduleRequest(next_slot=True)
    elif draft.repeat is not None and _series_ahead(draft, config, now):
        request = ScheduleRequest(at=draft.publish_at)  # occurrences gone by are skipped
    elif draft.publish_at is not None and draft.publish_at > now:
        request = ScheduleRequest(at=draft.publish_at)
    elif draft.publish_at is not None:
        return Decision(draft=draft, approvals=approvals, required=required, publish_at_passed=True)
    else:
        return Decision(draft=draft, approvals=approvals, required=required)
    scheduled = schedule_draft(
        session, draft_id=_id(draft), request=request, actor=reviewer, config=config, now=now
    )
    return Decision(
        draft=draft, approvals=approvals, required=required, scheduled_at=scheduled.earliest
    )


def request_changes(
    session: Session, *, draft_id: int, reviewer: User, comment: str, config: Config
) -> Draft:
    """Send the draft back to its author with a comment; its posts are unscheduled."""
    require(reviewer, Capability.REVIEW)
    if not comment.strip():
        raise ReviewError(problem("comment", NEED_COMMENT))
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "request-changes")
    _refuse_self_approval(session, draft, reviewer, config)
    waiting = posts_to_move(session, draft_id, NOT_SENT_BACK)  # locked; none being sent
    posts = draft_posts(session, draft_id)
    seen = seen_texts(posts, stored_image_rows(session, posts))
    review = _review(draft, reviewer, CHANGES_REQUESTED, comment, seen)
    session.add(review)
    draft.status = DraftStatus.CHANGES_REQUESTED
    for post in waiting:  # a post already out (an occurrence, a channel's earlier slot) stays
        post.status, post.due_at, post.attempt_at = PostStatus.PENDING, None, None
    record(
        session,
        actor=reviewer.name,
        action="draft.request-changes",
        draft_id=draft_id,
        detail=comment,
    )
    changes_requested(session, draft, review, by=reviewer)
    return draft


def contributors(session: Session, draft: Draft) -> set[str]:
    """Who wrote the draft: its author and everyone who edited it."""
    entries = history(session, draft_id=_id(draft))
    return {entry.actor for entry in entries if entry.action in {"draft.add", "draft.edit"}}


def _refuse_stale(draft: Draft, seen: str) -> None:
    seen = seen.strip().lower()
    if len(seen) < SEEN_DIGITS or len(seen) > 64 or any(c not in "0123456789abcdef" for c in seen):
        raise ReviewError(problem("seen", NOT_A_HASH, seen=repr(seen[:70]), count=SEEN_DIGITS))
    if not draft.content_hash.startswith(seen):
        raise StaleReview(_id(draft), seen, draft.content_hash)


def _refuse_self_approval(session: Session, draft: Draft, reviewer: User, config: Config) -> None:
    if config.review.allow_self_approval:
        return
    if draft.author_id == reviewer.id or reviewer.name in contributors(session, draft):
        raise ReviewError(said(OWN_DRAFT, name=reviewer.name, id=_id(draft)))


def _series_ahead(draft: Draft, config: Config, now: datetime) -> bool:
    """Whether a repeating draft still has an occurrence to come."""
    last = occurrences(draft.repeat, draft.publish_at, config.zone)[-1].at
    return last is not None and last > now


def _current_approvals(session: Session, draft: Draft) -> set[int]:
    reviews = session.exec(
        select(Review).where(
            Review.draft_id == draft.id,
            Review.review_round == draft.review_round,
            Review.content_hash == draft.content_hash,
            Review.decision == APPROVED,
        )
    )
    return {review.reviewer_id for review in reviews}


def _verified_posts(session: Session, draft: Draft) -> list[dict[str, Any]]:
    """The stored posts, which are what will be sent, as the reviewer saw them: the hash
    approved must be theirs."""
    posts = draft_posts(session, _id(draft))
    images = stored_image_rows(session, posts)
    if content_hash(posts, images) != draft.content_hash:
        raise ReviewError(said(NOT_AS_HASHED, id=_id(draft)))
    return seen_texts(posts, images)


def _review(
    draft: Draft, reviewer: User, decision: str, comment: str, posts: list[dict[str, Any]]
) -> Review:
    assert reviewer.id is not None
    return Review(
        draft_id=_id(draft),
        reviewer_id=reviewer.id,
        decision=decision,
        comment=comment.strip(),
        content_hash=draft.content_hash,
        review_round=draft.review_round,
        posts_seen=posts,
    )


def approved_as_they_stand(
    session: Session, draft_ids: set[int], required_approvals: int
) -> set[int]:
    """Of ``draft_ids``, those whose stored posts are exactly what enough reviewers approved.

    The daemon asks this before sending anything (guarantee 1): the posts' hash must be the
    draft's content hash, and enough distinct reviewers must have approved that hash in the
    current review round. Plain column queries: this runs on every claim (the daemon's claim
    asks through ``ApprovalCache``, which asks here only about drafts it has not checked).
    """
    if not draft_ids:
        return set()
    standing = {
        draft_id: Standing(digest, review_round, created_at)
        for draft_id, review_round, digest, created_at in session.connection().execute(
            select(Draft.id, Draft.review_round, Draft.content_hash, Draft.created_at).where(
                col(Draft.id).in_(draft_ids)
            )
        )
    }
    return set(_verified_posts_of(session, standing, required_approvals))


@dataclass(frozen=True)
class Standing:
    """A draft as its row says it stands now: what its approval is checked against. Every
    change of what a draft sends changes its content hash, and every return to review its
    round, so an approval checked for a standing holds as long as the draft keeps it; the
    creation time tells a draft from a later one given the same id."""

    content_hash: str
    review_round: int
    created_at: datetime


@dataclass(frozen=True)
class PostToSend:
    """A post a claim would send, with its draft's standing as the same statement read it."""

    post_id: int
    draft_id: int
    standing: Standing
    sent: str  # ``sent_fingerprint`` of what goes out


class _SentPost(PostText, Protocol):
    @property
    def parts(self) -> int: ...


def sent_fingerprint(post: _SentPost, images: Sequence[PostImage]) -> str:
    """What one post sends, as a digest: its chain place, channel, language, text and
    images (their bytes and alt text), all that ``content_hash`` binds of it. (``repr`` of a
    tuple of strings and numbers says each exactly, quoted: no two posts share it.)"""
    row = (
        post.channel,
        post.language,
        post.occurrence,
        post.part,
        post.parts,
        post.text,
        tuple(tuple(image.hash_row()) for image in images),
    )
    return hashlib.blake2b(repr(row).encode("utf-8"), digest_size=16).hexdigest()


class ApprovalCache:
    """The drafts a process found approved as they stand, each with the posts it found
    approved as they were then (``sent_fingerprint``), for a daemon that claims them again
    and again: checking a draft hashes all its posts, most of a claim's time.

    What was found holds while the draft keeps its standing (``Standing``, read from the
    draft row by the claim's own statement): an edit that changes what a draft sends changes
    its hash and sends it back to review (a new round), and a request for changes or a new
    submission starts a new round too, so the cache is asked about a key it never saw and
    the draft is checked anew. Approvals are never withdrawn within a round. A post the
    claim would send must also be one of the posts found approved, exactly as it is now
    (same id, text, images, place): a post changed any other way is checked anew, and
    refused, as it was before the cache. Only approvals are kept; for one database only
    (a daemon keeps one per database engine)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._found: dict[tuple[int, Standing, int], dict[int, str]] = {}

    def approved(
        self, session: Session, posts: Sequence[PostToSend], required_approvals: int
    ) -> set[int]:
        """The drafts of ``posts`` approved as they stand, with each of their ``posts`` as
        it was approved; asks the database only about the drafts not known yet."""
        by_draft: dict[int, list[PostToSend]] = {}
        for post in posts:
            by_draft.setdefault(post.draft_id, []).append(post)
        approved: set[int] = set()
        unknown: dict[int, Standing] = {}
        for draft_id, sent in by_draft.items():
            found = self._found.get((draft_id, sent[0].standing, required_approvals))
            if found is not None and all(found.get(p.post_id) == p.sent for p in sent):
                approved.add(draft_id)
            else:
                unknown[draft_id] = sent[0].standing
        if not unknown:
            return approved
        for draft_id, found in _verified_posts_of(session, unknown, required_approvals).items():
            self._keep((draft_id, unknown[draft_id], required_approvals), found)
            if all(found.get(p.post_id) == p.sent for p in by_draft[draft_id]):
                approved.add(draft_id)
        return approved

    def _keep(self, key: tuple[int, Standing, int], found: dict[int, str]) -> None:
        self._found.pop(key, None)
        if len(self._found) >= self._size:  # the longest known goes first
            del self._found[next(iter(self._found))]
        self._found[key] = found


def _verified_posts_of(
    session: Session, standing: Mapping[int, Standing], required_approvals: int
) -> dict[int, dict[int, str]]:
    """Of the drafts in ``standing``, those approved as they stand, each with the
    ``sent_fingerprint`` of each of its posts: their posts' hash is the draft's content hash
    and enough distinct reviewers approved that hash in the current review round. Two
    statements (posts and reviews), a third for the images if any post has them."""
    if not standing:
        return {}
    connection = session.connection()
    posts_of, approvals_of = _approval_queries(connection.dialect.name == "postgresql")
    draft_ids = {"draft_ids": list(standing)}
    posts: dict[int, list[Any]] = {}
    with_images: list[int] = []
    for row in connection.execute(posts_of, draft_ids):
        posts.setdefault(row.draft_id, []).append(row)
        if row[-1]:
            with_images.append(row.id)
    sent_images = images_by_post(session, with_images)
    reviewers: dict[int, set[int]] = {}
    for draft_id, reviewer_id, review_round, digest in connection.execute(approvals_of, draft_ids):
        now = standing.get(draft_id)
        if now is not None and (now.review_round, now.content_hash) == (review_round, digest):
            reviewers.setdefault(draft_id, set()).add(reviewer_id)
    found: dict[int, dict[int, str]] = {}
    for draft_id, now in standing.items():
        rows = posts.get(draft_id, [])
        images: dict[PostKey, list[PostImage]] = {
            post_key(row): sent_images[row.id] for row in rows if row.id in sent_images
        }
        if (
            len(reviewers.get(draft_id, ())) >= required_approvals
            and content_hash(rows, images) == now.content_hash
        ):
            found[draft_id] = {
                row.id: sent_fingerprint(row, sent_images.get(row.id, ())) for row in rows
            }
    return found


@cache
def _approval_queries(postgres: bool) -> tuple[Select[Any], Select[Any]]:
    """The posts of the drafts ``:draft_ids``, and their approvals: built once for each
    backend, the ids one array on PostgreSQL (``drafts.row_batches.one_of``), so that the
    daemon, which asks about the new drafts of nearly every claim, sends the same two
    statement texts whatever their number, each prepared once."""
    p, m, r = _post.c, _post_media.c, Review.__table__.c  # type: ignore[attr-defined]
    has_images = core_select(m.post_id).where(m.post_id == p.id).exists()
    posts = core_select(
        p.id, p.draft_id, p.channel, p.language, p.text, p.occurrence, p.part, p.parts, has_images
    ).where(one_of(p.draft_id, "draft_ids", Integer(), postgres))
    approvals = core_select(r.draft_id, r.reviewer_id, r.review_round, r.content_hash).where(
        one_of(r.draft_id, "draft_ids", Integer(), postgres), r.decision == APPROVED
    )
    return posts, approvals


def approvals_of(session: Session, draft: Draft) -> int:
    """How many distinct reviewers approved the draft as it stands."""
    return len(_current_approvals(session, draft))


def _image_problems(session: Session, posts: list[Post], config: Config) -> list[Said]:
    images = images_by_post(session, [_post_id(post) for post in posts])
    if not images:
        return []
    from drafts.media_plan import image_problems  # Pillow: only for posts with images

    learned = learned_media_limits(session)
    return [
        said(AT_POST, channel=post.channel, language=post.language, problem=problem)
        for post in posts
        for problem in image_problems(
            images.get(_post_id(post), []), config.channel(post.channel), config, learned
        )
    ]


def _post_id(post: Post) -> int:
    assert post.id is not None
    return post.id


def _id(draft: Draft) -> int:
    assert draft.id is not None
    return draft.id
