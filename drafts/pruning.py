"""Pruning: the finished drafts whose posts all ended before a date, deleted with everything
that hangs from them, the audit log kept (``tidings prune --published-before DATE``).

A draft goes when it is done or cancelled, every post of it is final (``FINAL_POST_STATUSES``:
published, failed, needing attention, expired, cancelled or skipped), and nothing happened to
it on or after the date: no post of it changed, the draft was not edited, and the audit log
has no entry for it. With it go its variants, posts, attempts, reviews and revisions, its
posts' images rows, and each stored image (``media_blob``, where the media store keeps the
bytes) that no other post sends any more, with the versions made of it (``media_variant``).

The audit log stays whole: its rows name drafts and posts by number, with no foreign key, so
nothing cascades into it, and the prune itself is one more entry (``prune``). A news feed's
item keeps its GUID (its draft becomes none: the foreign key sets it null), so the feed never
turns it into a draft again; notification events name their draft by number, and stay too.

The candidates are the drafts done or cancelled and last changed before the date: a range of
``ix_draft_status_changed`` (status, updated_at, id), walked from place to place ``WINDOW``
drafts a transaction. Nothing is read whole, no draft is looked at twice, the drafts changed
since the date are never looked at, and on SQLite a daemon waits for one window's deletes at
most, never for the whole prune. An interrupted prune leaves each draft whole, pruned or not,
and records what it pruned; running it again prunes the rest. A dry run walks the same
windows, read-only, and counts; an image shared by drafts that fall in different windows is
counted by none, so its image count is a floor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    delete,
    func,
    or_,
    select,
    tuple_,
)

from drafts.audit import record
from drafts.errors import ReviewError, StorageError
from drafts.lifecycle import FINAL_POST_STATUSES, DraftStatus
from drafts.messages import said
from drafts.models import (
    Attempt,
    AuditEntry,
    Draft,
    DraftRevision,
    MediaBlob,
    MediaVariant,
    Post,
    PostMedia,
    Review,
    User,
    Variant,
)
from drafts.storage import Database
from drafts.users import NOT_ALLOWED, Role

# Candidates a transaction: a few thousand rows deleted at a time, a few hundred ids bound.
WINDOW = 500
FINISHED_DRAFTS = (DraftStatus.DONE, DraftStatus.CANCELLED)

_draft: Table = Draft.__table__  # type: ignore[attr-defined]
_variant: Table = Variant.__table__  # type: ignore[attr-defined]
_post: Table = Post.__table__  # type: ignore[attr-defined]
_attempt: Table = Attempt.__table__  # type: ignore[attr-defined]
_review: Table = Review.__table__  # type: ignore[attr-defined]
_revision: Table = DraftRevision.__table__  # type: ignore[attr-defined]
_post_media: Table = PostMedia.__table__  # type: ignore[attr-defined]
_media_variant: Table = MediaVariant.__table__  # type: ignore[attr-defined]
_media_blob: Table = MediaBlob.__table__  # type: ignore[attr-defined]
_audit: Table = AuditEntry.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]
"""Told how many candidates (drafts done or cancelled, last changed before the date) were
looked at so far, and of how many, after each window."""
Place = tuple[datetime, int]
"""A candidate's place after its status in ``ix_draft_status_changed``: its updated_at, id."""


@dataclass(frozen=True)
class Pruned:
    """How many rows a prune deleted (or, in a dry run, would delete)."""

    drafts: int = 0
    variants: int = 0
    posts: int = 0
    attempts: int = 0
    reviews: int = 0
    images: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(
            *(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True))
        )


def require_admin(actor: User) -> None:
    """Raise ``ReviewError`` unless ``actor`` is an admin: pruning deletes everyone's work."""
    role = Role(actor.role)
    if role is not Role.ADMIN:
        raise ReviewError(said(NOT_ALLOWED[role], name=actor.name, capability="prune drafts"))


def prune(
    database: Database,
    *,
    before: datetime,
    actor: User,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Pruned:
    """Delete the drafts finished before ``before`` (see the module's docstring), a window of
    candidates at a time, and record the prune in the audit log; with ``dry_run``, only count
    them."""
    require_admin(actor)
    d = _draft.c
    with database.reading() as session:
        counted = select(func.count()).where(d.status.in_(FINISHED_DRAFTS), d.updated_at < before)
        total = int(session.connection().execute(counted).scalar_one())
    done, walked = Pruned(), 0
    try:
        for status in FINISHED_DRAFTS:
            place: Place | None = None
            while True:
                found, looked_at, place = _prune_window(
                    database, before, status, place, dry_run=dry_run
                )
                done, walked = done + found, walked + looked_at
                if progress is not None:
                    progress(walked, total)
                if place is None:
                    break
    finally:
        if not dry_run:
            with database.writing() as session:
                record(session, actor=actor.name, action="prune", detail=_detail(before, done))
    return done


def _detail(before: datetime, done: Pruned) -> str:
    counts = ", ".join(f"{count} {name}" for name, count in vars(done).items())
    return f"published before {before.isoformat()}: {counts}"


def candidates(before: datetime, status: str, after: Place | None) -> Select[datetime, int]:
    """The drafts in ``status`` last changed before ``before``, after ``after``, in the order
    of ``ix_draft_status_changed`` (status, updated_at, id): a range of the index, read from
    its place, so that no window looks at a draft an earlier one did."""
    d = _draft.c
    query = select(d.updated_at, d.id).where(d.status == status, d.updated_at < before)
    if after is not None:
        query = query.where(tuple_(d.updated_at, d.id) > tuple_(*after))
    return query.order_by(d.updated_at, d.id)


def finished(ids: list[int], before: datetime) -> Select[int]:
    """Of the drafts ``ids`` (candidates), those with every post final and unchanged since
    before ``before``, and no audit entry since."""
    d, p, a = _draft.c, _post.c, _audit.c
    unfinished = or_(p.status.notin_(FINAL_POST_STATUSES), p.updated_at >= before)
    return (
        select(d.id)
        .where(
            d.id.in_(ids),
            ~select(p.id).where(p.draft_id == d.id, unfinished).exists(),
            ~select(a.id).where(a.draft_id == d.id, a.at >= before).exists(),
        )
        .order_by(d.id)
    )


def _prune_window(
    database: Database, before: datetime, status: str, after: Place | None, *, dry_run: bool
) -> tuple[Pruned, int, Place | None]:
    """The finished drafts among the next ``WINDOW`` candidates, deleted (or counted) in one
    transaction; how many candidates it looked at, and the place of the last (None when no
    more follow)."""
    transaction = database.reading if dry_run else database.writing
    with transaction() as session:
        connection = session.connection()
        window = connection.execute(candidates(before, status, after).limit(WINDOW)).all()
        following = (window[-1][0], window[-1][1]) if len(window) == WINDOW else None
        query = finished([row[1] for row in window], before)
        if not dry_run:
            query = query.with_for_update()  # PostgreSQL: no retry revives one meanwhile
        ids = list(connection.execute(query).scalars()) if window else []
        if not ids:
            return Pruned(), len(window), following
        posts = select(_post.c.id).where(_post.c.draft_id.in_(ids))
        images = unused_images(connection, posts)
        counts = {
            name: _gone(connection, table, where, dry_run=dry_run)
            for name, table, where in _deletions(ids, posts, images)
        }
        found = Pruned(**{name: n for name, n in counts.items() if not name.startswith("_")})
        return found, len(window), following


def _deletions(
    ids: list[int], posts: Select[int], images: list[str]
) -> Iterable[tuple[str, Table, ColumnElement[bool]]]:
    """What goes, children first; names starting with ``_`` are not counted."""
    yield "attempts", _attempt, _attempt.c.post_id.in_(posts)
    yield "_post_media", _post_media, _post_media.c.post_id.in_(posts)
    yield "posts", _post, _post.c.draft_id.in_(ids)
    yield "reviews", _review, _review.c.draft_id.in_(ids)
    yield "_revisions", _revision, _revision.c.draft_id.in_(ids)
    yield "variants", _variant, _variant.c.draft_id.in_(ids)
    yield "drafts", _draft, _draft.c.id.in_(ids)
    if images:
        made = _media_variant.c
        yield (
            "_versions",
            _media_variant,
            or_(made.source_sha256.in_(images), made.sha256.in_(images)),
        )
        yield "images", _media_blob, _media_blob.c.sha256.in_(images)


def _gone(
    connection: Connection, table: Table, where: ColumnElement[bool], *, dry_run: bool
) -> int:
    if dry_run:
        return int(
            connection.execute(select(func.count()).select_from(table).where(where)).scalar_one()
        )
    return int(connection.execute(delete(table).where(where)).rowcount)


def unused_images(connection: Connection, posts: Select[int]) -> list[str]:
    """The stored images that ``posts`` send (as sent, as given, and any version made of
    them) which no other post sends or was given, by SHA-256."""
    m, made = _post_media.c, _media_variant.c
    sent = connection.execute(select(m.sha256, m.original_sha256).where(m.post_id.in_(posts)))
    images = {sha256 for row in sent for sha256 in row}
    if not images:
        return []
    versions = select(made.sha256).where(made.source_sha256.in_(images))
    images.update(connection.execute(versions).scalars())
    others = m.post_id.notin_(posts)
    kept: set[Any] = set()
    for column in (m.sha256, m.original_sha256):
        kept.update(connection.execute(select(column).where(column.in_(images), others)).scalars())
    return sorted(images - kept)


def vacuum(database: Database) -> tuple[int, int]:
    """Rewrite a SQLite database's file without its free pages (``VACUUM``, then a checkpoint
    that truncates the write-ahead log, so the file shrinks now): its size before and after,
    in bytes. Writers wait while it runs."""
    path = Path(database.display_path)
    size = path.stat().st_size
    with database.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        try:
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as error:
            raise StorageError(f"vacuum: {error}") from None
    return size, path.stat().st_size
