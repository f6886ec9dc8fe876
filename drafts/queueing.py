"""Putting approved drafts' posts in the queue (at a time, in each channel's next free slot, or
now), taking them out again (unschedule, cancel), and reading the queue.

Publishing now is scheduling at now: the posts become due and the daemon sends them, through
the one claim that sends a post once. Whatever moves a draft's posts locks them first, so a
daemon claiming one at that moment either took it before (it is publishing: moving the draft
is refused) or finds it moved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    case,
    exists,
    func,
    or_,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from drafts import audit_details, keyset
from drafts.audit import record
from drafts.authoring import get_draft
from drafts.completion import finish_drafts
from drafts.config import Config
from drafts.errors import ScheduleError
from drafts.keyset import Page
from drafts.lifecycle import (
    FINAL_POST_STATUSES,
    UPCOMING_POST_STATUSES,
    DraftStatus,
    PostStatus,
    require_action,
)
from drafts.messages import N_, Instant, problem, said
from drafts.models import Draft, Post, User
from drafts.recurrence import occurrences as recurrence
from drafts.slots import occurrences
from drafts.storage import signal_queue_change
from drafts.times import show, utcnow
from drafts.users import Capability, require

# How far ahead slots are searched before giving up: a year of weekly slots.
SLOT_SEARCH_LIMIT = 2_000
# A slot this close to now is skipped: nobody could still cancel it.
SLOT_LEAD = timedelta(minutes=1)
PAST = N_("%(when)s is in the past")
AFTER_EXPIRY = N_("%(when)s is after the draft expires (%(expires)s)")
NOT_MOVED = N_(
    "draft %(id)s cannot be moved now: its %(channel)s (%(language)s) post is being published; "
    "try again when it is out"
)
NOT_UNSCHEDULED = N_(
    "draft %(id)s cannot be unscheduled now: its %(channel)s (%(language)s) post is being "
    "published; try again when it is out"
)
SERIES_TIMES = N_(
    "draft %(id)s repeats: its posts go out at their occurrences; to move them, edit its "
    "publish_at or repeat"
)
PASSED_OCCURRENCE = N_("its time passed before the draft was scheduled")
NO_OCCURRENCE = N_("draft %(id)s has no occurrence on %(day)s")
NOT_REPEATING = N_("draft %(id)s does not repeat: cancel it instead")
OCCURRENCE_OUT = N_("draft %(id)s: its occurrence on %(day)s is already %(status)s")
NOT_SKIPPED = N_(
    "draft %(id)s: its %(channel)s (%(language)s) post on %(day)s is being published; "
    "try again when it is out"
)
NO_SLOTS = N_("channel %(channel)s has no slots in config.toml; use --at TIME")
NO_FREE_SLOT = N_("channel %(channel)s has no free slot before the draft expires")


@dataclass(frozen=True)
class ScheduleRequest:
    """A time for every post, each channel's next free slot, or now (every post due at once)."""

    at: datetime | None = None
    next_slot: bool = False
    now: bool = False


@dataclass(frozen=True)
class Scheduled:
    draft: Draft
    due: dict[int, datetime] = field(default_factory=dict)  # post id -> due time

    @property
    def earliest(self) -> datetime | None:
        return min(self.due.values(), default=None)


def schedule_draft(
    session: Session,
    *,
    draft_id: int,
    request: ScheduleRequest,
    actor: User,
    config: Config,
    now: datetime,
) -> Scheduled:
    """Queue an approved draft's posts (or move a scheduled draft's posts), refused while one
    of them is being published. A post keeps what the daemon knows of it: one whose last
    attempt may have reached the platform is still checked there before it is sent again."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "schedule")
    posts = posts_to_move(session, draft_id, NOT_MOVED)
    due = _due_times(session, draft, posts, request, config, now)
    for post in posts:
        post.due_at = post.attempt_at = due[_post_id(post)]
        post.status = PostStatus.SCHEDULED
        post.failures, post.reason = 0, None
        if draft.repeat is not None and post.due_at <= now:
            post.status, post.attempt_at = PostStatus.SKIPPED, None
            post.reason = str(said(PASSED_OCCURRENCE))
    due = {post_id: at for post_id, at in due.items() if draft.repeat is None or at > now}
    draft.status = DraftStatus.SCHEDULED
    signal_queue_change(session)
    if draft.repeat is None:
        detail = audit_details.scheduled((p.channel, p.due_at) for p in posts if p.due_at)
    else:
        detail = audit_details.series_scheduled(due.values())
    action = "draft.publish-now" if request.now else "draft.schedule"
    record(session, actor=actor.name, action=action, draft_id=draft_id, detail=detail)
    return Scheduled(draft=draft, due=due)


def publish_now(
    session: Session, *, draft_id: int, actor: User, config: Config, now: datetime
) -> Scheduled | None:
    """Make an approved draft's posts due now (or a scheduled draft's still to come), for the
    daemon to send as it sends any due post; None, changing nothing, when there is nothing
    left to make due (a second press of "publish now")."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    if all_due(draft, _locked_posts(session, draft_id), now):
        return None
    request = ScheduleRequest(now=True)
    return schedule_draft(
        session, draft_id=draft_id, request=request, actor=actor, config=config, now=now
    )


def all_due(draft: Draft, posts: Iterable[Post], now: datetime) -> bool:
    """Whether a draft that was scheduled has no post left to come at ``now``: each is due,
    being sent, retrying on the daemon's own schedule, or out."""
    if draft.status == DraftStatus.DONE:
        return True
    if draft.status != DraftStatus.SCHEDULED:
        return False
    return not any(
        post.status == PostStatus.SCHEDULED and post.due_at is not None and post.due_at > now
        for post in posts
    )


def unschedule_draft(session: Session, *, draft_id: int, actor: User) -> list[Post]:
    """Take a scheduled draft's posts out of the queue: it is approved again, nothing of it due
    until it is scheduled anew (posts already out stay as they are). Returns the posts taken
    out; refused while one of them is being published."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "unschedule")
    posts = posts_to_move(session, draft_id, NOT_UNSCHEDULED)
    for post in posts:
        post.status, post.due_at, post.attempt_at = PostStatus.PENDING, None, None
    draft.status = DraftStatus.APPROVED
    signal_queue_change(session)
    detail = audit_details.unscheduled(len(posts))
    record(session, actor=actor.name, action="draft.unschedule", draft_id=draft_id, detail=detail)
    return posts


def posts_to_move(session: Session, draft_id: int, refusal: str) -> list[Post]:
    """The draft's posts still to be sent, locked (PostgreSQL; SQLite's writer holds the
    database) against a daemon's claim; ``ScheduleError`` saying ``refusal`` if a daemon is
    sending one."""
    posts = _locked_posts(session, draft_id)
    for post in posts:
        if post.status == PostStatus.PUBLISHING:
            raise ScheduleError(
                said(refusal, id=draft_id, channel=post.channel, language=post.language)
            )
    return [post for post in posts if post.status not in FINAL_POST_STATUSES]


def _locked_posts(session: Session, draft_id: int) -> list[Post]:
    query = (
        select(Post)
        .where(Post.draft_id == draft_id)
        .order_by(col(Post.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query))


def _due_times(
    session: Session,
    draft: Draft,
    posts: list[Post],
    request: ScheduleRequest,
    config: Config,
    now: datetime,
) -> dict[int, datetime]:
    if draft.repeat is not None:
        return _occurrence_times(draft, posts, request, config)
    if request.next_slot:
        return _next_slots(session, draft, posts, config, now)
    at = now if request.now else request.at
    if at is None:
        raise ScheduleError("give --at TIME or --next-slot")
    when = Instant(at, show(at, config.zone))
    if not request.now and at <= now:
        raise ScheduleError(problem("at", PAST, when=when))
    expires = draft.expires_at
    if expires is not None and at >= expires:
        expiry = Instant(expires, show(expires, config.zone))
        raise ScheduleError(problem("at", AFTER_EXPIRY, when=when, expires=expiry))
    return {_post_id(post): at for post in posts}


def _occurrence_times(
    draft: Draft, posts: list[Post], request: ScheduleRequest, config: Config
) -> dict[int, datetime]:
    """A repeating draft's posts at their occurrences: its texts may name their dates, so the
    series moves only by an edit (and a new review), never by a schedule request."""
    if request.next_slot or request.now or request.at not in (None, draft.publish_at):
        raise ScheduleError(said(SERIES_TIMES, id=draft.id or 0))
    times = {o.number: o.at for o in recurrence(draft.repeat, draft.publish_at, config.zone)}
    return {_post_id(post): at for post in posts if (at := times[post.occurrence]) is not None}


def skip_occurrence(
    session: Session, *, draft_id: int, day: date, actor: User, config: Config
) -> list[Post]:
    """Drop the occurrence of a repeating draft that falls on ``day`` (in the draft's zone):
    its posts are skipped, the rest of the series goes on. Refused for a draft that does not
    repeat, a day without an occurrence, one already out, or one being published."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    if draft.repeat is None:
        raise ScheduleError(said(NOT_REPEATING, id=draft_id))
    series = recurrence(draft.repeat, draft.publish_at, config.zone)
    numbers = {o.number for o in series if o.day(config.zone) == day}
    posts = [p for p in _locked_posts(session, draft_id) if p.occurrence in numbers]
    if not posts:
        raise ScheduleError(problem("on", NO_OCCURRENCE, id=draft_id, day=day.isoformat()))
    for post in posts:
        if post.status in {PostStatus.PUBLISHING, PostStatus.RETRYING}:
            where = {"channel": post.channel, "language": post.language}
            raise ScheduleError(said(NOT_SKIPPED, id=draft_id, day=day.isoformat(), **where))
    left = [post for post in posts if post.status not in FINAL_POST_STATUSES]
    if not left:
        out = {"day": day.isoformat(), "status": posts[0].status}
        raise ScheduleError(said(OCCURRENCE_OUT, id=draft_id, **out))
    for post in left:
        post.status, post.attempt_at = PostStatus.SKIPPED, None
    signal_queue_change(session)
    detail = audit_details.skipped(day, len(left))
    record(session, actor=actor.name, action="draft.skip", draft_id=draft_id, detail=detail)
    session.flush()  # finish_drafts reads the statuses with Core, which does not flush first
    finish_drafts(session, [draft_id], actor=actor.name, now=utcnow())
    return left


def _next_slots(
    session: Session, draft: Draft, posts: list[Post], config: Config, now: datetime
) -> dict[int, datetime]:
    due: dict[int, datetime] = {}
    for channel_id in dict.fromkeys(post.channel for post in posts):
        slot = next_free_slot(session, channel_id=channel_id, draft=draft, config=config, now=now)
        due.update({_post_id(p): slot for p in posts if p.channel == channel_id})
    return due


def next_free_slot(
    session: Session, *, channel_id: str, draft: Draft, config: Config, now: datetime
) -> datetime:
    """The channel's first slot after now that no other draft's post occupies."""
    channel = config.channel(channel_id)
    slots = channel.parsed_slots()
    if not slots:
        raise ScheduleError(said(NO_SLOTS, channel=channel_id))
    taken = _taken(session, channel_id, draft)
    candidates = islice(
        occurrences(slots, channel.zone(config.zone), now + SLOT_LEAD), SLOT_SEARCH_LIMIT
    )
    for instant in candidates:
        if draft.expires_at is not None and instant >= draft.expires_at:
            break
        if instant not in taken:
            return instant
    raise ScheduleError(said(NO_FREE_SLOT, channel=channel_id))


def _taken(session: Session, channel_id: str, draft: Draft) -> set[datetime]:
    rows = session.exec(
        select(Post.due_at).where(
            Post.channel == channel_id,
            Post.draft_id != draft.id,
            col(Post.status).in_(UPCOMING_POST_STATUSES),
        )
    )
    return {due for due in rows if due is not None}


def cancel_draft(session: Session, *, draft_id: int, actor: User) -> list[Post]:
    """Cancel a draft and its posts that are not yet out (one a daemon is sending goes on);
    returns the posts cancelled."""
    require(actor, Capability.QUEUE)
    draft = get_draft(session, draft_id)
    require_action(draft_id, draft.status, "cancel")
    cancelled = [
        post
        for post in _locked_posts(session, draft_id)
        if post.status in {PostStatus.PENDING, PostStatus.SCHEDULED, PostStatus.RETRYING}
    ]
    for post in cancelled:
        post.status, post.attempt_at = PostStatus.CANCELLED, None
    draft.status = DraftStatus.CANCELLED
    record(
        session,
        actor=actor.name,
        action="draft.cancel",
        draft_id=draft_id,
        detail=audit_details.cancelled(len(cancelled)),
    )
    return cancelled


def upcoming_posts(
    session: Session, *, channel: str | None = None, size: int, after: str | None = None
) -> Page[Post]:
    """A page of ``size`` posts the daemon still owes an attempt, in time order (due time, then
    id), after the place ``after`` names (None: the first page); ``CursorError`` for a token
    the queue did not make. Each upcoming status is read from its own range of an index in
    that order (``ix_post_queue``; ``ix_post_channel_queue`` for one channel), at most a page
    of each, then the few read are put in order: a page costs the same whatever the queue and
    the table hold.

    A chain (a thread's parts, a first comment: ``Post.part``) is one row of the queue: the
    part it goes on with, its first part, or a later one whose part before is published, or
    failed or needs a person (the chain waits for them; one look-up along ``ux_post_key``);
    ``chains_of`` reads the rest of the page's chains."""
    place = keyset.place(after, datetime, int) if after is not None else None
    order = (col(Post.due_at), col(Post.id))
    goes_on = _next_of_its_chain()  # made once: 1.4 ms a time, more than the query it joins
    ranges = []
    for status in sorted(UPCOMING_POST_STATUSES):
        part = select_columns(*order).where(col(Post.status) == status, goes_on)
        if channel is not None:
            part = part.where(col(Post.channel) == channel)
        if place is not None:
            part = part.where(keyset.beyond(order, place, descending=False))
        ranges.append(select_columns(part.order_by(*order).limit(size + 1).subquery()))
    found = union_all(*ranges).subquery()
    query = select(Post).join(found, found.c.id == col(Post.id)).order_by(*order)
    return keyset.paged(list(session.exec(query.limit(size + 1))), size, _queue_place)


# The statuses of a part after which the part that follows it is its chain's row in the queue:
# out, or stopped (the later parts wait, scheduled, for a person: the queue shows them waiting).
_CHAIN_GOES_ON = (PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.NEEDS_ATTENTION)


def _next_of_its_chain() -> ColumnElement[bool]:
    """A post that is the part its chain goes on with, among parts still to be sent: the first,
    or one whose part before is published (or failed, or needs a person: the chain waits)."""
    before = aliased(Post, name="before")
    return or_(
        col(Post.part) == 1,
        exists().where(
            col(before.draft_id) == col(Post.draft_id),
            col(before.channel) == col(Post.channel),
            col(before.language) == col(Post.language),
            col(before.occurrence) == col(Post.occurrence),
            col(before.part) == col(Post.part) - 1,
            col(before.status).in_(_CHAIN_GOES_ON),
        ),
    )


ChainKey = tuple[int, str, str, int]


def chain_key(post: Post) -> ChainKey:
    """The chain a post is a part of: its draft, channel, language and occurrence."""
    return post.draft_id, post.channel, post.language, post.occurrence


def chains_of(session: Session, posts: Iterable[Post]) -> dict[ChainKey, list[Post]]:
    """Every part of the chains ``posts`` are parts of (a queue's page), each chain by part:
    one statement along ``ux_post_key``."""
    keys = list(dict.fromkeys(chain_key(post) for post in posts))
    if not keys:
        return {}
    columns = (col(Post.draft_id), col(Post.channel), col(Post.language), col(Post.occurrence))
    drafts = sorted({key[0] for key in keys})
    # The drafts' posts along ux_post_key, then the chains' among them: on the key's tuples
    # alone SQLite reads the whole table (370 ms of a million posts).
    query = (
        select(Post)
        .where(col(Post.draft_id).in_(drafts), tuple_(*columns).in_(keys))
        .order_by(col(Post.part))
    )
    found: dict[ChainKey, list[Post]] = {key: [] for key in keys}
    for post in session.exec(query):
        found[chain_key(post)].append(post)
    return found


def _queue_place(post: Post) -> tuple[datetime, int]:
    assert post.due_at is not None  # an upcoming post is due at a time
    return post.due_at, _post_id(post)


@dataclass(frozen=True)
class PlannedPost:
    """A post where a calendar places it: its due time, channel and status, and its draft's
    title; of a chain, which part it is (``part`` of ``parts``; ``parts + 1``: the first
    comment); whether its draft repeats (``series_labels`` reads the rules of those only)."""

    id: int
    draft_id: int
    title: str
    channel: str
    platform: str
    language: str
    status: str
    due_at: datetime
    part: int = 1
    parts: int = 1
    repeating: bool = False


def _planned_columns() -> tuple[Any, ...]:
    return (
        Post.id,
        Post.draft_id,
        Draft.title,
        Post.channel,
        Post.platform,
        Post.language,
        Post.status,
        Post.due_at,
        Post.part,
        Post.parts,
        type_coerce(col(Draft.repeat).is_not(None), Boolean),
    )


_PLANNED = _planned_columns()
# A cell's order: due time, then language and id (the posts of a channel and day).
_CELL_ORDER = (col(Post.due_at), col(Post.language), col(Post.id))


def calendar_counts(
    session: Session,
    *,
    bounds: Sequence[datetime],
    statuses: Iterable[str],
    later_parts: Iterable[str],
) -> dict[tuple[str, int], int]:
    """How many posts each calendar cell holds, by channel and day (day ``n``: due in
    ``[bounds[n], bounds[n + 1])``): the posts in ``statuses``, of a chain its first part and any
    later part in ``later_parts``. One ``GROUP BY`` along ``ix_post_channel_queue``, reading no
    post row: every channel's, so the calendar knows its rows (and those of channels no longer
    configured) before it reads a page of them (``calendar_cells``)."""
    day = _day_in(bounds)
    cells = select_columns(col(Post.channel), day, func.count()).where(
        *_in_cells(bounds, statuses, later_parts)
    )
    rows = session.connection().execute(cells.group_by(col(Post.channel), day))
    return {(channel, n): count for channel, n, count in rows}


def calendar_cells(
    session: Session,
    *,
    bounds: Sequence[datetime],
    statuses: Iterable[str],
    later_parts: Iterable[str],
    cap: int,
    channels: Collection[str],
) -> list[tuple[int, PlannedPost]]:
    """The first ``cap`` posts of each cell (``calendar_counts``) of ``channels``, each with its
    day, by due time: each cell's posts ranked in its order (``row_number``) along
    ``ix_post_channel_queue`` (reading no post row), then the columns and drafts of the ``cap``
    first of each cell only, each by its draft's key (as ``due_between``, never a join that
    PostgreSQL could answer by hashing every draft). A count over each cell beside the rank
    (``count`` as a window) sorted the week's posts twice: twice the cost, 24 ms of a week of
    5,000 posts on SQLite, hence ``calendar_counts`` apart. PostgreSQL estimates the rows kept
    at the week's, costs their look-ups past its JIT threshold and would spend 20 ms compiling a
    20 ms query, were JIT not off for Tidings' connections (``drafts.storage``). A busy week of
    a million posts then reads a few titles a cell, not thousands, and only for the channels
    shown."""
    day = _day_in(bounds)
    ranked = (
        select_columns(
            col(Post.id).label("id"),
            day.label("day"),
            func.row_number()
            .over(partition_by=(col(Post.channel), day), order_by=_CELL_ORDER)
            .label("rank"),
        )
        .where(*_in_cells(bounds, statuses, later_parts), col(Post.channel).in_(list(channels)))
        .subquery("ranked")
    )
    first = select_columns(ranked.c.id, ranked.c.day).where(ranked.c.rank <= cap).subquery("first")
    query = (
        select_columns(first.c.day, *(_of_post(column) for column in _PLANNED))
        .join_from(first, Post.__table__, first.c.id == col(Post.id))  # type: ignore[attr-defined]
        .order_by(col(Post.due_at), col(Post.channel), col(Post.language), col(Post.id))
    )
    return [(row[0], PlannedPost(*row[1:])) for row in session.connection().execute(query).all()]


def _in_cells(
    bounds: Sequence[datetime], statuses: Iterable[str], later_parts: Iterable[str]
) -> tuple[ColumnElement[bool], ...]:
    """A post the calendar's week shows: in ``statuses``, due in ``[bounds[0], bounds[-1])``,
    of a chain its first part or a later part in ``later_parts``."""
    kept = [str(status) for status in later_parts]
    return (
        col(Post.status).in_([str(status) for status in statuses]),
        col(Post.due_at) >= bounds[0],
        col(Post.due_at) < bounds[-1],
        or_(col(Post.part) == 1, col(Post.status).in_(kept)),
    )


def channel_day_posts(
    session: Session,
    *,
    channel: str,
    start: datetime,
    end: datetime,
    statuses: Iterable[str],
    later_parts: Iterable[str],
    size: int,
    after: str | None = None,
) -> Page[PlannedPost]:
    """A page of ``size`` of one calendar cell's posts (``calendar_cells``: ``channel``'s, due in
    ``[start, end)``), in the cell's order, after the place ``after`` names (None: the first
    page); ``CursorError`` for a token this list did not make. Along ``ix_post_channel_queue``;
    a page reads its own rows' drafts only."""
    place = keyset.place(after, datetime, str, int) if after is not None else None
    query = select_columns(*(_of_post(column) for column in _PLANNED)).where(
        *_in_cells((start, end), statuses, later_parts), col(Post.channel) == channel
    )
    if place is not None:
        query = query.where(keyset.beyond(_CELL_ORDER, place, descending=False))
    rows = session.connection().execute(query.order_by(*_CELL_ORDER).limit(size + 1))
    posts = [PlannedPost(*row) for row in rows]
    return keyset.paged(posts, size, _cell_place)


def _cell_place(post: PlannedPost) -> tuple[datetime, str, int]:
    return post.due_at, post.language, post.id


def _day_in(bounds: Sequence[datetime]) -> Any:
    """Which of the ranges ``[bounds[n], bounds[n + 1])`` a post's due time falls in, ``n``:
    one comparison a day, in the query (a day's length in a zone is not always 24 hours)."""
    due = col(Post.due_at)
    return case(*((due < bound, n) for n, bound in enumerate(bounds[1:-1])), else_=len(bounds) - 2)


def due_between(
    columns: Iterable[Any], *, start: datetime, end: datetime, statuses: Iterable[str]
) -> Select[*tuple[Any, ...]]:
    """A query of ``columns`` (of a post and its draft) for the posts in ``statuses`` due in
    ``[start, end)``: what a calendar of posts reads. The posts come from ``ix_post_queue``
    (status, due_at, id); a draft's column is read by the draft's key for each post (a scalar
    subquery), not by a join, which PostgreSQL answers by reading every draft into a hash to
    join a week's posts to."""
    return select_columns(*(_of_post(column) for column in columns)).where(
        col(Post.status).in_([str(status) for status in statuses]),
        col(Post.due_at) >= start,
        col(Post.due_at) < end,
    )


def _of_post(column: Any) -> Any:
    """``column`` as a post's row reads it: a draft's column (or a condition on one), that of
    the post's draft."""
    if not isinstance(column, ColumnElement):
        column = col(column)
    if Draft.__table__ not in column._from_objects:  # type: ignore[attr-defined]
        return column
    of_draft = select_columns(column).where(col(Draft.id) == col(Post.draft_id))
    return of_draft.scalar_subquery().label(getattr(column, "name", None))


def _post_id(post: Post) -> int:
    assert post.id is not None
    return post.id
