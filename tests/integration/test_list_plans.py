"""Every list query, and the daemon's claim, is answered from an index: its plan, as the
database gives it for the very statement the query runs (SQLite's ``EXPLAIN QUERY PLAN``,
PostgreSQL's ``EXPLAIN`` with reading a table whole priced high, so that the plan says
whether an index could serve), names the index made for it and reads no table whole. A page read in an
index's order needs no sort of its own (the queue's sorts the few rows a page of each status
gave). Without its index the same list reads its whole table: the checks can fail."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from drafts.attempts import attempt_log
from drafts.authoring import list_drafts
from drafts.keyset import token
from drafts.models import Post
from drafts.queueing import chains_of, upcoming_posts
from drafts.storage import Database
from drafts.users import list_users
from scheduler.claiming import claim_due
from scheduler.notifications.deliveries import recent_deliveries

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TIME_AND_ID = token(NOW, 42)


@dataclass(frozen=True)
class ListQuery:
    """A list's query, called as its command calls it; the table it reads and the index that
    must answer it (on SQLite, on PostgreSQL), and whether rows come in the index's order."""

    name: str
    call: Callable[[Session], object]
    table: str
    sqlite_index: str
    postgres_index: str | None  # None: PostgreSQL's plan on empty tables says nothing of it
    in_index_order: bool = True


def _chains(session: Session) -> object:
    """The chains of a page of the queue: 50 posts of 50 drafts."""
    page = [
        Post(draft_id=draft_id, channel="linkedin", language="en", occurrence=1, part=2)
        for draft_id in range(1, 51)
    ]
    return chains_of(session, page)


def a_claim(session: Session) -> object:
    """A claim as the plan tests make it (tests/integration/test_claim_plan.py too)."""
    return claim_due(
        session,
        worker="plan:1",
        now=NOW,
        lease=timedelta(minutes=5),
        capacity={"linkedin": 5, "x-en": 5},
        limit=10,
        required_approvals=1,
    )


LISTS = [
    ListQuery(
        "queue",
        lambda s: upcoming_posts(s, size=50),
        "post",
        "ix_post_queue",
        "ix_post_queue",
        in_index_order=False,
    ),
    ListQuery(
        "queue, next page",
        lambda s: upcoming_posts(s, size=50, after=TIME_AND_ID),
        "post",
        "ix_post_queue",
        "ix_post_queue",
        in_index_order=False,
    ),
    ListQuery(
        "queue of a channel, next page",
        lambda s: upcoming_posts(s, channel="linkedin", size=50, after=TIME_AND_ID),
        "post",
        "ix_post_channel_queue",
        "ix_post_channel_queue",
        in_index_order=False,
    ),
    ListQuery(
        "log", lambda s: attempt_log(s, limit=51), "attempt", "ix_attempt_log", "ix_attempt_log"
    ),
    ListQuery(
        "log, next page",
        lambda s: attempt_log(s, limit=51, after=TIME_AND_ID),
        "attempt",
        "ix_attempt_log",
        "ix_attempt_log",
    ),
    ListQuery(
        "drafts",
        lambda s: list_drafts(s, limit=51),
        "draft",
        "ix_draft_changed",
        "ix_draft_changed",
    ),
    ListQuery(
        "drafts, next page",
        lambda s: list_drafts(s, limit=51, after=TIME_AND_ID),
        "draft",
        "ix_draft_changed",
        "ix_draft_changed",
    ),
    ListQuery(
        "drafts of a status, next page",
        lambda s: list_drafts(s, status="in_review", limit=51, after=TIME_AND_ID),
        "draft",
        "ix_draft_status_changed",
        "ix_draft_status_changed",
    ),
    ListQuery(
        "notification deliveries",
        lambda s: recent_deliveries(s, failed_only=False, limit=51),
        "notification_delivery",
        "ix_notification_delivery_latest",
        "ix_notification_delivery_latest",
    ),
    ListQuery(
        "given-up notification deliveries",
        lambda s: recent_deliveries(s, failed_only=True, limit=51),
        "notification_delivery",
        "ix_notification_delivery_status_latest",
        "ix_notification_delivery_status_latest",
    ),
    ListQuery("users", lambda s: list_users(s), "user", "sqlite_autoindex_user_1", "user_name_key"),
    ListQuery(
        "the daemon's claim",
        a_claim,
        "post",
        "ix_post_status_attempt_at",
        # Its (due or abandoned) condition can be read from several indexes, and on empty
        # tables they all cost about the same: which one PostgreSQL picks says nothing (the
        # bench's million posts do).
        None,
        in_index_order=False,
    ),
    ListQuery(
        "the queue's chains",
        _chains,
        "post",
        "ux_post_key",
        # The page's keys share a channel, a language and an occurrence: on empty tables
        # PostgreSQL reads any index on one of them as cheaply.
        None,
        in_index_order=False,
    ),
]


def statement_of(database: Database, query: ListQuery) -> tuple[str, Any]:
    """The last SELECT ``query`` ran, with its parameters, as the driver received them."""
    seen: list[tuple[str, Any]] = []

    def grab(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", grab)
    try:
        with database.writing() as session:
            query.call(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", grab)
    return seen[-1]


def plan_of(database: Database, query: ListQuery) -> list[str]:
    """The plan's lines for the statement ``query`` runs."""
    statement, parameters = statement_of(database, query)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [str(row[3]) for row in cursor.fetchall()]
        # For this transaction only, reading a table whole is priced as reading it at
        # random, a hundred times over, so that an empty table's plan chooses it only where
        # no index could serve (disabling it instead would price every plan that reads a tiny
        # table whole, such as the rate-limit windows, out of reach alike: then any plan
        # wins). Where an index gives a list's order, a sort is disabled too.
        cursor.execute("SET LOCAL seq_page_cost = 400")
        if query.in_index_order:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        return [str(row[0]).strip() for row in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def whole_table_reads(plan: list[str], table: str, *, sqlite: bool) -> list[str]:
    """The plan's lines that read ``table`` whole."""
    whole = rf"SCAN {table}$" if sqlite else rf"Seq Scan on \"?{table}\"?\b"
    return [line for line in plan if re.search(whole, line)]


def sorts(plan: list[str], *, sqlite: bool) -> list[str]:
    marker = "USE TEMP B-TREE FOR ORDER BY" if sqlite else "Sort"
    return [line for line in plan if marker in line and "Sort Key" not in line]


@pytest.mark.parametrize("query", LISTS, ids=[query.name for query in LISTS])
def test_every_list_is_read_from_its_index(database: Database, query: ListQuery) -> None:
    index = query.sqlite_index if database.is_sqlite else query.postgres_index
    if index is None:
        pytest.skip("no plan of an empty table tells which index PostgreSQL would use")
    plan = plan_of(database, query)
    shown = "\n".join(plan)
    assert re.search(rf"\b{index}\b", shown), shown
    assert whole_table_reads(plan, query.table, sqlite=database.is_sqlite) == [], shown
    if query.in_index_order:
        assert sorts(plan, sqlite=database.is_sqlite) == [], shown


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (LISTS[3], "ix_attempt_log"),
        (LISTS[5], "ix_draft_changed"),
        (LISTS[8], "ix_notification_delivery_latest"),
    ],
    ids=["log", "drafts", "notification deliveries"],
)
def test_without_its_index_a_list_reads_its_table_whole_or_sorts_it(
    database: Database, query: ListQuery, index: str
) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {index}"))
    plan = plan_of(database, query)
    shown = "\n".join(plan)
    assert index not in shown
    wasteful = whole_table_reads(plan, query.table, sqlite=database.is_sqlite) or (
        query.in_index_order and sorts(plan, sqlite=database.is_sqlite)
    )
    assert wasteful, shown
