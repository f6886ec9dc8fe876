"""A page's statement costs what the page shows, not what is stored (issue 16): the calendar's
week, the needs-attention list and the Channels page's last errors do the same work with
forty times more posts, drafts, failures and successes stored outside what they show (each
fails too without its index: ``ix_post_status_changed`` and ``ix_attempt_unpublished`` on
both databases, ``ix_post_queue`` on SQLite).

Work is counted as the database did it: on PostgreSQL, the rows each plan node read from a
table (``EXPLAIN ANALYZE``, as it plans with its statistics and default costs); on SQLite, the
virtual machine's steps (a progress handler), since SQLite counts no rows. Before the change
the needs-attention list read and sorted every failed post (two statuses in one range have no
order an index gives), and the calendar joined the week's posts to their drafts by reading
every draft into a hash on PostgreSQL; the Channels page grouped every error by channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlmodel import Session

from drafts import keyset
from drafts.attention import attention_list
from drafts.channel_activity import ERROR_BATCH, channel_activity
from drafts.desk import Group, author_desk, desk_group
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.models import Attempt, AuditEntry, Draft, Post, User, Variant
from drafts.queueing import PlannedPost, calendar_cells, calendar_counts
from drafts.storage import Database
from scheduler.heartbeat import last_stop
from tests.integration.test_page_plans import statements_of
from tidings.web.series_labels import occurrence_labels

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
DAYS = [NOW + timedelta(days=n) for n in range(8)]  # the calendar's week, a day each
SHOWN = [str(s) for s in (PostStatus.SCHEDULED, PostStatus.PUBLISHED, PostStatus.FAILED)]
SETTLEABLE = (PostStatus.FAILED, PostStatus.NEEDS_ATTENTION)
PAGE = 50


def add(
    database: Database,
    first: int,
    count: int,
    status: PostStatus,
    at: datetime,
    *,
    attempts: bool = False,
    draft: DraftStatus = DraftStatus.DONE,
    author: int = 1,
) -> None:
    """``count`` one-post drafts of ``author`` (1 or 2) from id ``first``, each in status
    ``draft``, each post in ``status`` (with an attempt that ended so, with ``attempts``), due
    and last changed ``at`` (a minute apart each), then the statistics PostgreSQL plans with."""
    drafts, variants, posts, tries = [], [], [], []
    for number in range(first, first + count):
        moment = at - timedelta(minutes=number - first)
        drafts.append(
            {
                "id": number,
                "kind": "post",
                "title": f"draft {number}",
                "status": str(draft),
                "author_id": author,
                "content_hash": "0" * 64,
                "created_at": moment,
                "updated_at": moment,
                "moved_at": moment,
            }
        )
        variants.append({"id": number, "draft_id": number, "language": "en", "text": "hi"})
        posts.append(
            {
                "id": number,
                "draft_id": number,
                "author_id": author,
                "channel": ("x-en", "mastodon", "linkedin")[number % 3],
                "platform": "mastodon",
                "language": "en",
                "occurrence": 1,
                "text": "hi",
                "length": 2,
                "status": str(status),
                "reason": None if status == PostStatus.PUBLISHED else "refused (422)",
                "due_at": moment,
                "created_at": moment,
                "updated_at": moment,
            }
        )
        published = status == PostStatus.PUBLISHED
        tries.append(
            {
                "id": number,
                "post_id": number,
                "number": 1,
                "worker": "w",
                "started_at": moment,
                "finished_at": moment,
                "outcome": "published" if published else "failed",
                "error": None if published else "refused (422)",
                "remote_url": f"https://example.org/{number}" if published else None,
            }
        )
    with database.writing() as session:
        if session.get(User, author) is None:
            session.add(User(id=author, name=("hana", "joon")[author - 1], role="author"))
            session.flush()
        connection = session.connection()
        for table, rows in ((Draft, drafts), (Variant, variants), (Post, posts)):
            connection.execute(insert(table), rows)
        if attempts:
            connection.execute(insert(Attempt), tries)
    if not database.is_sqlite:
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def statements_of_any(
    database: Database, call: Callable[[Session], object]
) -> list[tuple[str, Any]]:
    """``statements_of`` where running none is an answer too (that one asserts some ran)."""
    try:
        return statements_of(database, call)
    except AssertionError:
        return []


def work(database: Database, statement: str, parameters: Any) -> int:
    """What running ``statement`` cost the database (see the module's docstring)."""
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            steps = [0]

            def step() -> int:
                steps[0] += 1
                return 0

            driver = raw.driver_connection
            assert driver is not None
            driver.set_progress_handler(step, 100)
            try:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            finally:
                driver.set_progress_handler(None, 0)
            return steps[0]
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
        [[found]] = cursor.fetchall()
        plan = found if isinstance(found, list) else json.loads(found)
        return sum(_rows_read(plan[0]["Plan"]))
    finally:
        raw.rollback()
        raw.close()


def _rows_read(node: dict[str, Any]) -> Iterator[int]:
    if "Relation Name" in node:
        read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        yield int(read * node.get("Actual Loops", 1))
    for child in node.get("Plans", []):
        yield from _rows_read(child)


def page_work(database: Database, call: Callable[[Session], object]) -> int:
    """The work of ``call``'s statements but its counts (a count is of every row it counts)."""
    statements = [s for s in statements_of(database, call) if "count(" not in s[0].lower()]
    assert statements
    return sum(work(database, statement, parameters) for statement, parameters in statements)


def grows(database: Database, call: Callable[[Session], object], more: Callable[[], None]) -> str:
    """Empty when ``call``'s statements cost about the same after ``more`` stored more."""
    before = page_work(database, call)
    more()
    after = page_work(database, call)
    if after > before * 1.5 + 20:
        return f"work grew from {before} to {after}"
    return ""


def calendar_week(session: Session) -> list[PlannedPost]:
    """The calendar's statements: the week's cells counted, then their posts (a cap as high as
    the week's posts, to see them all)."""
    week = {"bounds": DAYS, "statuses": SHOWN, "later_parts": SETTLEABLE}
    calendar_counts(session, **week)
    cells = calendar_cells(session, **week, cap=60, channels=["linkedin", "x-en", "mastodon"])
    return [post for _, post in cells]


def test_the_calendar_week_costs_its_posts(database: Database) -> None:
    add(database, 1, 60, PostStatus.PUBLISHED, NOW + timedelta(days=3))  # the week's
    assert len(statements_of(database, calendar_week)) == 2
    with database.reading() as session:
        week = calendar_week(session)
    assert [p.title for p in week] == [f"draft {n}" for n in range(60, 0, -1)]

    def years_before() -> None:  # 2,400 drafts published a few years ago
        add(database, 1000, 2400, PostStatus.PUBLISHED, NOW - timedelta(days=400))

    assert grows(database, calendar_week, years_before) == ""


def test_the_calendar_reads_the_rules_of_repeating_drafts_only(database: Database) -> None:
    """The week's posts say whether their draft repeats, so the series labels read the rules
    of those drafts only: none here, so no statement (it named every draft of the week)."""
    add(database, 1, 60, PostStatus.PUBLISHED, NOW + timedelta(days=3))
    with database.reading() as session:
        week = calendar_week(session)
    assert len(week) == 60 and not any(post.repeating for post in week)
    labels = statements_of_any(
        database, lambda s: occurrence_labels(s, week, ZoneInfo("Asia/Seoul"))
    )
    assert labels == []


def desk_work(database: Database, author_id: int) -> int:
    """The work of every statement of ``author_id``'s desk, its counts too: one author's
    counts stay as they were when others add to theirs."""
    statements = statements_of(
        database, lambda s: author_desk(s, author_id=author_id, now=NOW, limit=5)
    )
    return sum(work(database, statement, parameters) for statement, parameters in statements)


def test_a_desk_costs_its_authors_own_drafts_and_posts(database: Database) -> None:
    """The desk reads its author's rows alone: it joined every author's failed posts (and
    the week's published ones) to their drafts to find one author's, so the desk of someone
    with no drafts at all read them too."""
    add(database, 1, 40, PostStatus.FAILED, NOW)
    add(database, 100, 40, PostStatus.PUBLISHED, NOW - timedelta(days=1))
    add(database, 200, 40, PostStatus.PENDING, NOW, draft=DraftStatus.IN_REVIEW)
    with database.reading() as session:
        desk = {g.group: g for g in author_desk(session, author_id=1, now=NOW, limit=5).groups}
    assert [desk[g].total for g in (Group.ATTENTION, Group.PUBLISHED, Group.IN_REVIEW)] == [40] * 3
    assert [e.id for e in desk[Group.IN_REVIEW].entries] == [200, 201, 202, 203, 204]
    assert [e.id for e in desk[Group.ATTENTION].entries] == [1, 2, 3, 4, 5]
    with database.reading() as session:  # a later page still says the group's size
        first = desk_group(
            session, author_id=1, group=Group.ATTENTION, now=NOW, after=None, size=30
        )
        later = desk_group(
            session, author_id=1, group=Group.ATTENTION, now=NOW, after=first.after, size=30
        )
    assert (first.total, later.total, len(later.entries)) == (40, 40, 10)
    assert [e.id for e in later.entries] == list(range(31, 41))
    with database.reading() as session:  # a place past the last (a page emptied meanwhile)
        past = keyset.token(NOW - timedelta(days=365), 1)
        empty = desk_group(
            session, author_id=1, group=Group.ATTENTION, now=NOW, after=past, size=30
        )
    assert (empty.entries, empty.total) == ((), 40)
    before = {author: desk_work(database, author) for author in (1, 3)}
    # Another author's 4,800: failed, published this week, in review.
    add(database, 1000, 1600, PostStatus.FAILED, NOW, author=2)
    add(database, 3000, 1600, PostStatus.PUBLISHED, NOW - timedelta(days=1), author=2)
    add(database, 5000, 1600, PostStatus.PENDING, NOW, draft=DraftStatus.IN_REVIEW, author=2)
    for author, work_before in before.items():  # the author of 120 drafts; someone with none
        after = desk_work(database, author)
        assert after <= work_before * 1.5 + 20, f"{author}: work grew from {work_before} to {after}"


def attention_page(session: Session) -> object:
    return attention_list(session, limit=PAGE)


def test_the_attention_list_costs_its_page(database: Database) -> None:
    add(database, 1, 40, PostStatus.FAILED, NOW)
    add(database, 100, 40, PostStatus.NEEDS_ATTENTION, NOW - timedelta(seconds=30))
    with database.reading() as session:
        listed = attention_list(session, limit=PAGE)
    # Newest first across both statuses, a minute apart each, the two interleaved.
    since = [entry.since for entry in listed.entries]
    assert since == sorted(since, reverse=True) and len(since) == PAGE
    assert {entry.status for entry in listed.entries} == {str(s) for s in SETTLEABLE}
    assert listed.total == 80

    def failures_before() -> None:  # 3,200 posts that failed or stopped a year ago
        add(database, 1000, 1600, PostStatus.FAILED, NOW - timedelta(days=365))
        add(database, 3000, 1600, PostStatus.NEEDS_ATTENTION, NOW - timedelta(days=365))

    assert grows(database, attention_page, failures_before) == ""
    with database.reading() as session:
        first = attention_list(session, limit=PAGE)
        second = attention_list(session, limit=PAGE, after=first.after)
    assert [e.post_id for e in first.entries] == [e.post_id for e in listed.entries]
    assert [e.since for e in second.entries][:30] == sorted(
        [e.since for e in second.entries][:30], reverse=True
    )
    assert not {e.post_id for e in first.entries} & {e.post_id for e in second.entries}


CHANNELS = ("x-en", "mastodon", "linkedin")


def channels_page(session: Session) -> object:
    return channel_activity(session, CHANNELS)


def test_the_channels_last_errors_are_among_the_latest(database: Database) -> None:
    add(database, 1, 30, PostStatus.PUBLISHED, NOW, attempts=True)
    recent = ERROR_BATCH + 100  # more than one batch, every channel erring in the first
    add(database, 100, recent, PostStatus.FAILED, NOW - timedelta(hours=1), attempts=True)
    with database.reading() as session:
        found = channel_activity(session, [*CHANNELS, "tiktok"])
    assert set(found) == set(CHANNELS)  # nothing ever sent on tiktok
    last = 100 + recent - 1  # the highest id is the latest error, though dated earlier here
    for number, channel in zip(
        (last - 2, last - 1, last), ("mastodon", "linkedin", "x-en"), strict=True
    ):
        activity = found[channel]
        assert activity.failed is not None and activity.failed.post_id == number
        assert activity.published is not None and not activity.failing

    def errors_before() -> None:  # 3,000 errors a year ago
        add(database, 1000, 3000, PostStatus.FAILED, NOW - timedelta(days=365), attempts=True)

    assert grows(database, channels_page, errors_before) == ""

    def successes_since() -> None:  # 3,000 published since: the many an error is read past
        add(database, 10_000, 3000, PostStatus.PUBLISHED, NOW + timedelta(days=3), attempts=True)

    assert grows(database, channels_page, successes_since) == ""


def test_the_last_clean_stop_costs_the_same_however_long_the_log(database: Database) -> None:
    """The Channels page says when the daemon last stopped (``last_stop``) when none runs:
    with no stop in a log of many kinds of entries, PostgreSQL, expecting a stop among the
    last few, read the log back from its end for one."""

    def log(first: int, count: int) -> None:
        entries = [
            {
                "id": number,
                "at": NOW - timedelta(minutes=number),
                "actor": "hana",
                "action": f"kind.{number % 300}",  # many kinds: a stop seems likely
                "draft_id": 1,
                "detail": "",
            }
            for number in range(first, first + count)
        ]
        with database.writing() as session:
            session.connection().execute(insert(AuditEntry), entries)
        if not database.is_sqlite:
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))

    add(database, 1, 1, PostStatus.PUBLISHED, NOW)
    log(1, 100)
    with database.reading() as session:
        assert last_stop(session) is None
    assert grows(database, last_stop, lambda: log(1000, 4000)) == ""
