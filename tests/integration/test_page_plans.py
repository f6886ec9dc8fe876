"""Pages that cost the same however many posts are stored (issue 16): the Channels page finds
each channel's last published post and last error without reading the attempts whole, the
desk's "published this week" and "needs attention" read the author's own posts (0027), and its
status groups the author's own drafts.

Each statement is planned by the database as it runs it (SQLite's ``EXPLAIN QUERY PLAN``;
PostgreSQL's ``EXPLAIN`` with reading a table whole priced high, over attempts that mostly
published, as they do, and ``ANALYZE``d: on empty tables every plan costs about the same).
A table is read whole when it is scanned from end to end, itself or through an index with no
condition; ``ix_attempt_unpublished`` holds only the attempts that did not publish, the few.
Without the indexes of migration 0021 these checks fail (the channels' published attempts
grouped, every published post read for one week, every author's drafts for one)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlmodel import Session, select

from drafts.attention import SETTLEABLE
from drafts.channel_activity import channel_activity
from drafts.desk import BY_STATUS, Group, author_desk, desk_group
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, Draft, Post, User, Variant
from drafts.storage import Database

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CHANNELS = ("x-en", "linkedin", "mastodon")
SENT = 600  # published posts, each with its attempt
PARTIAL = {"ix_attempt_unpublished"}  # an index of the few: read whole, it reads the few
POSTS = ("post", "p", "later")  # and the desk's aliases of it, which SQLite's plans name


def draft_row(number: int, status: DraftStatus) -> dict[str, Any]:
    """Draft ``number`` of author 1, as the bulk insert takes it."""
    return {
        "id": number,
        "kind": "post",
        "title": f"draft {number}",
        "status": str(status),
        "author_id": 1,
        "content_hash": "0" * 64,
        "created_at": NOW,
        "updated_at": NOW,
    }


def add_drafts(session: Session, count: int, in_review: Callable[[int], bool]) -> None:
    """Author 1 and drafts 1 to ``count`` of theirs, those ``in_review`` in review, the rest
    done."""
    session.add(User(id=1, name="hana", role="author"))
    session.flush()
    session.connection().execute(
        insert(Draft),
        [
            draft_row(number, DraftStatus.IN_REVIEW if in_review(number) else DraftStatus.DONE)
            for number in range(1, count + 1)
        ],
    )


def fill(database: Database) -> None:
    """An author's drafts, ``SENT`` posts published over the channels (every attempt
    published), a few that failed; then the statistics PostgreSQL plans with."""
    with database.writing() as session:
        add_drafts(session, 60, lambda number: number <= 5)
        connection = session.connection()
        connection.execute(
            insert(Variant),
            [{"id": n, "draft_id": n, "language": "en", "text": "hi"} for n in range(1, 61)],
        )
        posts, attempts = [], []
        for number in range(1, SENT + 11):
            failed = number > SENT
            at = NOW - timedelta(days=SENT + 11 - number)  # one a day: a week is a few
            posts.append(
                {
                    "id": number,
                    "draft_id": 1 + number % 60,
                    "author_id": 1,
                    "channel": CHANNELS[number % len(CHANNELS)],
                    "platform": "mastodon",
                    "language": "en",
                    "occurrence": 1 + number // 60,
                    "text": "hi",
                    "length": 2,
                    "status": str(PostStatus.FAILED if failed else PostStatus.PUBLISHED),
                    "due_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            attempts.append(
                {
                    "post_id": number,
                    "number": 1,
                    "worker": "w",
                    "started_at": at,
                    "finished_at": at,
                    "outcome": "failed" if failed else "published",
                    "error": "refused (422)" if failed else None,
                    "remote_url": None if failed else f"https://example.org/{number}",
                }
            )
        connection.execute(insert(Post), posts)
        connection.execute(insert(Attempt), attempts)
    planning_statistics(database)


def planning_statistics(database: Database) -> None:
    """The statistics PostgreSQL plans with; SQLite plans without, as Tidings runs it."""
    if not database.is_sqlite:
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


@pytest.fixture
def filled(database: Database) -> Database:
    fill(database)
    return database


def statements_of(database: Database, call: Callable[[Session], object]) -> list[tuple[str, Any]]:
    """Every query ``call`` runs (a SELECT, or one that starts WITH a common table
    expression), with its parameters, as the driver received them."""
    seen: list[tuple[str, Any]] = []

    def grab(*args: Any) -> None:
        if args[2].lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((args[2], args[3]))

    event.listen(database.engine, "before_cursor_execute", grab)
    try:
        with database.reading() as session:
            call(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", grab)
    assert seen
    return seen


def reads(database: Database, statement: str, parameters: Any) -> list[tuple[str, str, str]]:
    """How the plan reads each table: (table, index or "", its condition or "" when whole)."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [_sqlite_read(str(row[3])) for row in cursor.fetchall() if _is_read(row[3])]
        cursor.execute("SET LOCAL seq_page_cost = 400")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        [[found]] = cursor.fetchall()
        plan = found if isinstance(found, list) else json.loads(found)
        return list(_postgres_reads(plan[0]["Plan"]))
    finally:
        raw.rollback()
        raw.close()


def _is_read(detail: str) -> bool:
    return re.match(r"(SCAN|SEARCH) \w+\b", detail) is not None and "subquery" not in detail


def _sqlite_read(detail: str) -> tuple[str, str, str]:
    found = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
    assert found is not None, detail
    how, table, index = found.groups()
    if "PRIMARY KEY" in detail:
        index = "primary key"
    condition = re.search(r"\(([^()]*)\)", detail) if how == "SEARCH" else None
    return table, index or "", condition.group(1) if condition else ""


def _postgres_reads(node: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    if "Relation Name" in node:
        condition = node.get("Index Cond") or node.get("Recheck Cond") or ""
        yield node["Relation Name"], node.get("Index Name", ""), condition
    for child in node.get("Plans", []):
        yield from _postgres_reads(child)


def whole(found: list[tuple[str, str, str]], *tables: str) -> list[tuple[str, str, str]]:
    return [r for r in found if r[0] in tables and not r[2] and r[1] not in PARTIAL]


def test_the_channels_page_reads_a_row_or_two_per_channel(filled: Database) -> None:
    statements = statements_of(filled, lambda s: channel_activity(s, CHANNELS))
    indexes = set()
    for statement, parameters in statements:
        found = reads(filled, statement, parameters)
        assert whole(found, "post", "attempt") == [], f"{statement}\n{found}"
        indexes |= {index for _, index, _ in found}
    assert {"ix_post_channel_changed", "ix_attempt_unpublished"} <= indexes


def group_of(group: Group) -> Callable[[Session], object]:
    return lambda s: desk_group(s, author_id=1, group=group, now=NOW, after=None, size=50)


def reads_of(database: Database, call: Callable[[Session], object]) -> list[tuple[str, str, str]]:
    return [
        read
        for statement, parameters in statements_of(database, call)
        for read in reads(database, statement, parameters)
    ]


def test_published_this_week_reads_the_authors_week(filled: Database) -> None:
    for call in (
        group_of(Group.PUBLISHED),
        lambda s: author_desk(s, author_id=1, now=NOW, limit=10),
    ):
        found = reads_of(filled, call)
        assert whole(found, *POSTS, "draft") == [], found
        week = [
            r
            for r in found
            if r[1] == "ix_post_author_changed" and "updated_at" in r[2] and "author_id" in r[2]
        ]
        assert week, f"the author's published posts are not read by when they changed: {found}"


def test_needing_attention_reads_the_authors_stopped_posts(filled: Database) -> None:
    """Each stopped status a range of the author's ix_post_author_changed, and each draft found
    there looked up along ux_post_key for its other posts (its latest, how many, the first):
    never a range of anyone else's posts."""
    found = reads_of(filled, group_of(Group.ATTENTION))
    assert whole(found, *POSTS, "draft") == [], found
    posts = [r for r in found if r[0] in POSTS]
    ranges = [r for r in posts if r[1] == "ix_post_author_changed" and "author_id" in r[2]]
    assert len(ranges) >= len(SETTLEABLE), posts  # each status's, and the count's
    lookups = [r for r in posts if r not in ranges]
    assert lookups and all(
        index == "ux_post_key" and "draft_id" in condition for _, index, condition in lookups
    ), lookups


@pytest.mark.parametrize("group", [*BY_STATUS, None], ids=[*map(str, BY_STATUS), "desk"])
def test_a_status_group_reads_the_authors_own_drafts(filled: Database, group: Group | None) -> None:
    call = group_of(group) if group else lambda s: author_desk(s, author_id=1, now=NOW, limit=10)
    found = reads_of(filled, call)
    assert whole(found, *POSTS, "draft") == [], found
    drafts = [r for r in found if r[0] == "draft" and r[1] not in ("primary key", "draft_pkey")]
    assert drafts
    assert all(index == "ix_draft_author_moved" for _, index, _ in drafts), drafts
    assert all("author_id" in condition for _, _, condition in drafts), drafts


def test_the_channels_page_says_what_the_attempts_say(filled: Database) -> None:
    """Each channel's last published post and last error are still its published attempt and
    its attempt ended in an error with the highest ids; a post a person marked published has
    no attempt and is passed over, though it changed last."""
    with filled.writing() as session:
        marked = Post(
            id=SENT + 11,
            draft_id=1,
            author_id=1,
            channel="x-en",
            platform="x",
            language="en",
            occurrence=99,
            text="hi",
            length=2,
            status=PostStatus.PUBLISHED,
            reason="marked published by hana",
            remote_url="https://x.com/hana/status/1",
            updated_at=NOW,
        )
        session.add(marked)
    with filled.reading() as session:
        rows = session.exec(select(Attempt, Post.channel).join(Post)).all()
        found = channel_activity(session, CHANNELS)
        assert channel_activity(session, ["tiktok"]) == {}  # nothing sent there
    for channel in CHANNELS:
        mine = [a for a, c in rows if c == channel and a.finished_at is not None]
        sent = max((a for a in mine if a.outcome == "published"), key=lambda a: a.id or 0)
        failed = max(
            (a for a in mine if a.outcome != "published" and a.error), key=lambda a: a.id or 0
        )
        said = found[channel]
        assert said.published is not None and said.failed is not None
        assert (said.published.post_id, said.published.at, said.published.remote_url) == (
            sent.post_id,
            sent.finished_at,
            sent.remote_url,
        )
        assert (said.failed.post_id, said.failed.at, said.failed.error) == (
            failed.post_id,
            failed.finished_at,
            failed.error,
        )
        assert said.failing  # the failures came last
