"""The web's list pages read no table whole: every statement a page's queries run (its page of
rows, its counts, what its rows show besides), planned by the database (SQLite's ``EXPLAIN
QUERY PLAN``; PostgreSQL's ``EXPLAIN`` with sequential scans priced out, so that a whole read
means no index could serve), on the first page and on a page after a place. A desk group that
follows posts finds each post's draft by its key: listing the author's drafts first read the
draft table whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from drafts.attention import attention_list
from drafts.desk import Group, author_desk, desk_group
from drafts.inbox import review_inbox
from drafts.keyset import token
from drafts.storage import Database
from drafts.users import list_users
from scheduler.notifications.deliveries import recent_deliveries

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TIME_AND_ID = token(NOW, 42)
TABLES = ("post", "draft", "attempt", "audit_log", "notification_delivery", "user")


def group_page(group: Group) -> Callable[[Session], object]:
    """A page after a place of one group of the desk (a time for those that follow posts)."""
    after = TIME_AND_ID if group in (Group.PUBLISHED, Group.ATTENTION) else token(7, 42)
    return lambda s: desk_group(s, author_id=1, group=group, now=NOW, after=after, size=50)


PAGES: dict[str, Callable[[Session], object]] = {
    "inbox": lambda s: review_inbox(s, after=None, size=50),
    "inbox, next page": lambda s: review_inbox(s, after=TIME_AND_ID, size=50),
    "needs attention": lambda s: attention_list(s, limit=50),
    "needs attention, next page": lambda s: attention_list(s, limit=50, after=TIME_AND_ID),
    "desk": lambda s: author_desk(s, author_id=1, now=NOW, limit=10),
    **{f"desk group {group}, next page": group_page(group) for group in Group},
    "notifications, next page": lambda s: recent_deliveries(
        s, failed_only=False, limit=51, after=TIME_AND_ID
    ),
    "users, next page": lambda s: list_users(s, limit=51, after=token("mina")),
}


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
    return seen


def whole_table_reads(lines: list[str], table: str, *, sqlite: bool) -> list[str]:
    """The plan's lines that read ``table`` whole."""
    whole = rf"SCAN {table}$" if sqlite else rf"Seq Scan on \"?{table}\"?\b"
    return [line for line in lines if re.search(whole, line)]


def plan(database: Database, statement: str, parameters: Any) -> list[str]:
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [str(row[3]) for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        return [str(row[0]).strip() for row in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_a_list_page_reads_no_table_whole(database: Database, name: str) -> None:
    statements = statements_of(database, PAGES[name])
    assert statements
    for statement, parameters in statements:
        lines = plan(database, statement, parameters)
        whole = [
            line
            for table in TABLES
            for line in whole_table_reads(lines, table, sqlite=database.is_sqlite)
        ]
        assert whole == [], f"{statement}\n" + "\n".join(lines)
