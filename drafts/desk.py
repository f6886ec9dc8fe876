"""An author's desk: their own drafts grouped by what happens next, the newest first.

The groups, in the order a working day needs them: being written, sent back with changes
requested (with the reviewer's comment), in review, approved but not yet scheduled, scheduled
(with when the next post goes), published in the last ``WEEK``, and needing a person (a post
failed, or its outcome is unknown). The first five follow the draft's status; the last two
follow its posts, so a draft partly published can be both scheduled and published.

Each group shows its newest ``limit`` drafts and counts them all; ``desk_group`` pages through
one group, each page after the last one's last draft (``drafts.keyset``: never an offset).
Nine queries whatever the number of drafts: the status groups' newest in one and their sizes
in another, the requests' comments, the next due times, the published and the needing-attention
groups and the size of each, and the published group's posts with their addresses. Each reads the author's own rows
off an index that starts with the author (``ix_draft_author_moved``, ``ix_post_author_changed``),
so a desk costs what its author has, whoever else has a million posts; only the columns the
desk shows are read (never a draft's source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Subquery, exists, func, tuple_, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts import keyset
from drafts.attention import SETTLEABLE
from drafts.lifecycle import UPCOMING_POST_STATUSES, DraftStatus, PostStatus
from drafts.models import Draft, Post, listed_by_change
from drafts.review_comments import ReviewComment, requested_changes

WEEK = timedelta(days=7)
_post_table = Post.__table__  # type: ignore[attr-defined]
_PUBLISHED = (str(PostStatus.PUBLISHED),)  # the statuses of the groups that follow posts
_STOPPED = tuple(sorted(str(status) for status in SETTLEABLE))


class Group(StrEnum):
    DRAFT = "draft"
    CHANGES_REQUESTED = "changes_requested"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ATTENTION = "attention"


# The groups a draft is in by its status alone.
BY_STATUS: dict[Group, DraftStatus] = {
    Group.DRAFT: DraftStatus.DRAFT,
    Group.CHANGES_REQUESTED: DraftStatus.CHANGES_REQUESTED,
    Group.IN_REVIEW: DraftStatus.IN_REVIEW,
    Group.APPROVED: DraftStatus.APPROVED,
    Group.SCHEDULED: DraftStatus.SCHEDULED,
}


@dataclass(frozen=True)
class PublishedPost:
    """One post out on its platform, and its address as the platform returned it (None when
    the platform gave none: a webhook, a post marked published without one)."""

    id: int
    channel: str
    language: str
    url: str | None


@dataclass(frozen=True)
class DeskEntry:
    """One of the author's drafts as its group shows it.

    ``at`` is when it last moved (``Draft.moved_at``: made, or a person's latest action on it,
    an edit, a submission, a decision, scheduling) for the status groups; its latest post to
    be published or to stop for the last two. ``posts`` counts those posts there."""

    id: int
    title: str
    channels: tuple[str, ...]
    at: datetime
    next_due: datetime | None = None  # scheduled: when its next post goes
    posts: int = 0
    first_post: int | None = None  # needing attention: the post to open first
    comment: ReviewComment | None = None  # changes requested: what the reviewer asked
    published: tuple[PublishedPost, ...] = ()  # published this week: each post, the latest first


@dataclass(frozen=True)
class DeskGroup:
    group: Group
    entries: tuple[DeskEntry, ...]
    total: int  # drafts in the group, though ``entries`` stops at the limit
    after: str | None = None  # paging through the group: the next page's token, None on the last


@dataclass(frozen=True)
class Desk:
    groups: tuple[DeskGroup, ...]  # every group, in ``Group``'s order, the empty ones too

    @property
    def empty(self) -> bool:
        return all(group.total == 0 for group in self.groups)


def author_desk(session: Session, *, author_id: int, now: datetime, limit: int) -> Desk:
    """Every group of ``author_id``'s drafts, each its newest ``limit`` and its size."""
    by_status = _status_groups(session, author_id, list(BY_STATUS), None, limit)
    groups = [
        *(by_status[group].group for group in BY_STATUS),
        _published(session, author_id, now, None, limit).group,
        _needing_attention(session, author_id, None, limit).group,
    ]
    return Desk(groups=tuple(_completed(session, author_id, group, now) for group in groups))


def desk_group(
    session: Session, *, author_id: int, group: Group, now: datetime, after: str | None, size: int
) -> DeskGroup:
    """``size`` drafts of one group, newest first, from the place token ``after`` names (None:
    the first page); ``CursorError`` for a token the group did not make."""
    found = _one_group(session, author_id, group, now, after, size + 1)
    page = keyset.paged(found.group.entries, size, lambda entry: found.keys[entry.id])
    shown = replace(found.group, entries=tuple(page.rows), after=page.after)
    return _completed(session, author_id, shown, now)


@dataclass(frozen=True)
class _Found:
    """A group as read, with each entry's sort key (its place, for the next page's token)."""

    group: DeskGroup
    keys: dict[int, tuple[keyset.Value, ...]]


def _one_group(
    session: Session, author_id: int, group: Group, now: datetime, after: str | None, limit: int
) -> _Found:
    place = keyset.place(after, datetime, int) if after is not None else None
    if group == Group.PUBLISHED:
        return _published(session, author_id, now, place, limit)
    if group == Group.ATTENTION:
        return _needing_attention(session, author_id, place, limit)
    return _status_groups(session, author_id, [group], place, limit)[group]


def _completed(session: Session, author_id: int, group: DeskGroup, now: datetime) -> DeskGroup:
    """The group with what its entries show besides the draft: comments, next due times,
    the posts published."""
    ids = [entry.id for entry in group.entries]
    if group.group == Group.CHANGES_REQUESTED:
        comments = requested_changes(session, ids)
        entries = tuple(replace(e, comment=comments.get(e.id)) for e in group.entries)
    elif group.group == Group.SCHEDULED:
        due = _next_due(session, ids)
        entries = tuple(replace(e, next_due=due.get(e.id)) for e in group.entries)
    elif group.group == Group.PUBLISHED:
        out = _published_posts(session, author_id, ids, now)
        entries = tuple(replace(e, published=out.get(e.id, ())) for e in group.entries)
    else:
        return group
    return replace(group, entries=entries)


def _status_groups(
    session: Session,
    author_id: int,
    groups: Sequence[Group],
    place: tuple[keyset.Value, ...] | None,
    limit: int,
) -> dict[Group, _Found]:
    """The groups that follow the status: each status's first ``limit`` drafts the latest
    moved first (after ``place``: a draft's ``moved_at`` and id), in one query, and how many
    there are of each."""
    statuses = [str(BY_STATUS[group]) for group in groups]
    rows = session.connection().execute(_newest(author_id, statuses, place, limit)).all()
    entries: dict[str, list[DeskEntry]] = {status: [] for status in statuses}
    keys: dict[int, tuple[keyset.Value, ...]] = {}
    for row in sorted(rows, key=lambda row: (row.moved_at, row.id), reverse=True):
        entries[row.status].append(
            DeskEntry(id=row.id, title=row.title, channels=tuple(row.channels), at=row.moved_at)
        )
        keys[row.id] = (row.moved_at, row.id)
    counts = _status_counts(session, author_id, statuses)
    return {
        group: _Found(DeskGroup(group, tuple(entries[status]), counts.get(status, 0)), keys)
        for group, status in zip(groups, statuses, strict=True)
    }


def _newest(
    author_id: int, statuses: list[str], place: tuple[keyset.Value, ...] | None, limit: int
) -> CompoundSelect[Any]:
    """The first ``limit`` drafts of each status after ``place``, the latest moved first: each
    status a range of ``ix_draft_author_moved`` (author, status, moved_at, id) read from its
    end, however many drafts the author has."""
    key = (col(Draft.moved_at), col(Draft.id))
    arms = []
    for status in statuses:
        newest = (
            select_columns(
                col(Draft.id), col(Draft.title), col(Draft.status), col(Draft.channels), key[0]
            )
            .where(col(Draft.author_id) == author_id, col(Draft.status) == status)
            .order_by(key[0].desc(), key[1].desc())
            .limit(limit)
        )
        if place is not None:
            newest = newest.where(keyset.beyond(key, place, descending=True))
        arms.append(select_columns(newest.subquery()))
    return union_all(*arms)


def _status_counts(session: Session, author_id: int, statuses: list[str]) -> dict[str, int]:
    """How many of the author's drafts are in each of ``statuses`` (read off the index)."""
    rows = session.exec(
        select(Draft.status, func.count())
        .where(Draft.author_id == author_id, col(Draft.status).in_(statuses))
        .group_by(col(Draft.status))
    ).all()
    return {status: int(count) for status, count in rows}


def _published(
    session: Session,
    author_id: int,
    now: datetime,
    place: tuple[keyset.Value, ...] | None,
    limit: int,
) -> _Found:
    """The author's drafts with posts published in the last ``WEEK``, the latest first."""
    since = now - WEEK
    return _by_posts(session, Group.PUBLISHED, author_id, _PUBLISHED, since, place, limit)


def _published_posts(
    session: Session, author_id: int, draft_ids: list[int], now: datetime
) -> dict[int, tuple[PublishedPost, ...]]:
    """Each draft's posts published in the last ``WEEK``, the latest first: of the author's
    week, off ix_post_author_changed (the drafts' keys alone would not keep PostgreSQL or
    SQLite, planning without statistics, from reading everyone's week)."""
    if not draft_ids:
        return {}
    rows = session.connection().execute(
        select_columns(
            col(Post.id),
            col(Post.draft_id),
            col(Post.channel),
            col(Post.language),
            col(Post.remote_url),
        )
        .where(
            col(Post.author_id) == author_id,
            col(Post.draft_id).in_(draft_ids),
            col(Post.status) == PostStatus.PUBLISHED,
            listed_by_change(col(Post.status)),  # as ix_post_author_changed holds them
            col(Post.updated_at) >= now - WEEK,
        )
        .order_by(col(Post.updated_at).desc(), col(Post.id).desc())
    )
    found: dict[int, list[PublishedPost]] = {}
    for row in rows:
        post = PublishedPost(row.id, row.channel, row.language, row.remote_url)
        found.setdefault(row.draft_id, []).append(post)
    return {draft_id: tuple(posts) for draft_id, posts in found.items()}


def _needing_attention(
    session: Session, author_id: int, place: tuple[keyset.Value, ...] | None, limit: int
) -> _Found:
    """The author's drafts with posts that failed or need a person, the latest first."""
    return _by_posts(session, Group.ATTENTION, author_id, _STOPPED, None, place, limit)


def _by_posts(
    session: Session,
    group: Group,
    author_id: int,
    statuses: tuple[str, ...],
    since: datetime | None,
    place: tuple[keyset.Value, ...] | None,
    limit: int,
) -> _Found:
    """A group of the author's drafts that have posts in ``statuses`` (changed ``since``, if
    given), the latest changed first: per draft how many, the first of them and when the latest changed,
    the first ``limit`` after ``place`` (that time and the latest post's id), and how many
    drafts the group holds.

    A draft is found by its latest post, the one no later post of its draft in the group
    follows: each status is a range of ``ix_post_author_changed`` (author, status, updated_at,
    id, draft) read from its end, each post there checked against its draft's others (along
    ``ux_post_key``), until ``limit`` drafts are found; the latest of those of every status
    are the group's. Grouping all the author's posts by draft first, as this did, read every
    one of them for a page of ten: 21,822 posts needing attention, 74 of the 93 ms of a desk
    among a million posts on SQLite, now 31 ms in all. Only the count still reads every one,
    off the index (14 ms of those 31)."""
    posts = _post_table.c
    shown = _latest_posts(author_id, statuses, since, place, limit)
    theirs = (
        posts.draft_id == shown.c.draft_id,
        _by_draft_only(posts.status).in_(statuses),
        *_changed_since(posts, since),
    )
    query = (
        select_columns(
            col(Draft.id),
            col(Draft.title),
            col(Draft.channels),
            shown.c.at,
            shown.c.post_id,
            select_columns(func.count()).where(*theirs).scalar_subquery().label("posts"),
            select_columns(func.min(posts.id)).where(*theirs).scalar_subquery().label("first"),
        )
        .join(shown, shown.c.draft_id == Draft.id)
        .order_by(shown.c.at.desc(), shown.c.post_id.desc())
        .limit(limit)
    )
    rows = session.connection().execute(query).all()
    entries = tuple(
        DeskEntry(
            id=row.id,
            title=row.title,
            channels=tuple(row.channels),
            at=row.at,
            posts=row.posts,
            first_post=row.first,
        )
        for row in rows
    )
    keys: dict[int, tuple[keyset.Value, ...]] = {row.id: (row.at, row.post_id) for row in rows}
    in_group = (posts.status.in_(statuses), *_changed_since(posts, since))
    return _Found(DeskGroup(group, entries, _drafts_in(session, author_id, in_group)), keys)


def _latest_posts(
    author_id: int,
    statuses: tuple[str, ...],
    since: datetime | None,
    place: tuple[keyset.Value, ...] | None,
    limit: int,
) -> Subquery:
    """The latest post of each of the group's first ``limit`` drafts after ``place``, at most
    ``limit`` of each status (``_by_posts``): its draft, its time (``at``) and its id."""
    p, later = _post_table.alias("p"), _post_table.alias("later")
    latest = ~exists().where(
        later.c.draft_id == p.c.draft_id,
        _by_draft_only(later.c.status).in_(statuses),
        *_changed_since(later.c, since),
        tuple_(later.c.updated_at, later.c.id) > tuple_(p.c.updated_at, p.c.id),
    )
    key = (p.c.updated_at, p.c.id)
    arms = []
    for status in statuses:
        arm = (
            select_columns(p.c.draft_id, p.c.updated_at.label("at"), p.c.id.label("post_id"))
            .where(
                p.c.author_id == author_id,
                p.c.status == status,
                listed_by_change(p.c.status),  # as ix_post_author_changed holds them
                *_changed_since(p.c, since),
                latest,
            )
            .order_by(key[0].desc(), key[1].desc())
            .limit(limit)
        )
        if place is not None:
            arm = arm.where(keyset.beyond(key, place, descending=True))
        arms.append(select_columns(arm.subquery()))
    return union_all(*arms).subquery("shown")


def _changed_since(posts: Any, since: datetime | None) -> tuple[ColumnElement[bool], ...]:
    """``posts`` (the table's columns, or an alias's) changed ``since``; None: any time."""
    return () if since is None else (posts.updated_at >= since,)


def _by_draft_only(status: Any) -> ColumnElement[str]:
    """``status`` as no index reads it, for the look-ups of one draft's posts: along
    ux_post_key, by the draft. Planning without statistics, SQLite took a status's whole
    range of ix_post_queue instead (for a page of 10 drafts among 4,800 posts, 1,481 steps
    against 68), and PostgreSQL, where stopped posts are few, everyone's range of
    ix_post_status_changed."""
    return status.concat("")  # type: ignore[no-any-return]


def _drafts_in(session: Session, author_id: int, in_group: tuple[ColumnElement[bool], ...]) -> int:
    """How many of the author's drafts have posts in the group, off ix_post_author_changed."""
    posts = _post_table.c
    count = select_columns(func.count(func.distinct(posts.draft_id))).where(
        posts.author_id == author_id, listed_by_change(posts.status), *in_group
    )
    return int(session.connection().execute(count).scalar_one())


def _next_due(session: Session, draft_ids: list[int]) -> dict[int, datetime]:
    """When each draft's next post goes: the earliest due time of its posts still to send."""
    if not draft_ids:
        return {}
    upcoming = [str(status) for status in UPCOMING_POST_STATUSES]
    rows = session.exec(
        select(Post.draft_id, func.min(Post.due_at))
        .where(col(Post.draft_id).in_(draft_ids), col(Post.status).in_(upcoming))
        .group_by(col(Post.draft_id))
    ).all()
    return {draft_id: due for draft_id, due in rows if due is not None}
