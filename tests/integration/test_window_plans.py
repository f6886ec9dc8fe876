"""The calendar's and the feed's queries, and prune's, read from indexes (their plans, as
``tests.integration.test_list_plans`` reads them): the window they show, or the candidates
they walk, never a table whole. On SQLite and PostgreSQL; PostgreSQL, planning for tables it
has no statistics of, may take either index that holds a post's status and due time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import SQLModel

from drafts.attention import SETTLEABLE
from drafts.calendar_feed import AHEAD, PAST, draft_moves, fed_posts
from drafts.lifecycle import DraftStatus
from drafts.pruning import candidates, finished
from drafts.queueing import calendar_cells, calendar_counts
from drafts.storage import Database
from tests.integration.test_list_plans import ListQuery, plan_of
from tidings.web.calendar import CELL_CAP, SHOWN_STATUSES

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# The calendar's week, a day at a time, as the page asks for it.
CALENDAR_WEEK: dict[str, Any] = {
    "bounds": [NOW + timedelta(days=n) for n in range(8)],
    "statuses": SHOWN_STATUSES,
    "later_parts": SETTLEABLE,
}


# Either post index that holds status and due time, on PostgreSQL.
STATUS_AND_DUE = "ix_post_(channel_)?queue"
WINDOWS = [
    ListQuery(
        "calendar counts",
        lambda s: calendar_counts(s, **CALENDAR_WEEK),
        "post",
        "ix_post_queue",
        STATUS_AND_DUE,
    ),
    ListQuery(
        "calendar cells",
        lambda s: calendar_cells(s, **CALENDAR_WEEK, cap=CELL_CAP, channels=["linkedin", "x-en"]),
        "post",
        "ix_post_channel_queue",
        STATUS_AND_DUE,
    ),
    ListQuery(
        "feed posts",
        lambda s: fed_posts(s, start=NOW - PAST, end=NOW + AHEAD),
        "post",
        "ix_post_queue",
        STATUS_AND_DUE,
    ),
    ListQuery(
        "feed moves",
        lambda s: draft_moves(s, start=NOW - PAST, end=NOW + AHEAD),
        "audit_log",
        # By draft: its own index, or 0023's (action, draft, id), which SQLite picks.
        "ix_audit_log_(action|draft_id)",
        "ix_audit_log_draft_id",
    ),
    ListQuery(
        "prune candidates",
        lambda s: s.connection().execute(
            candidates(NOW, DraftStatus.DONE, (NOW - PAST, 42)).limit(500)
        ),
        "draft",
        "ix_draft_status_changed",
        "ix_draft_status_changed",
    ),
    ListQuery(
        "prune's finished drafts",
        lambda s: s.connection().execute(finished([1, 2, 3], NOW)),
        "post",
        "ux_post_key",
        "ux_post_key",
    ),
]


@pytest.mark.parametrize("query", WINDOWS, ids=[query.name for query in WINDOWS])
def test_every_window_is_read_from_its_index(database: Database, query: ListQuery) -> None:
    plan = plan_of(database, query)
    shown = "\n".join(plan)
    index = query.sqlite_index if database.is_sqlite else query.postgres_index
    assert re.search(rf"\b{index}\b", shown), shown
    assert whole_reads(plan, sqlite=database.is_sqlite) == [], shown


def whole_reads(plan: list[str], *, sqlite: bool) -> list[str]:
    """The plan's lines that read a table, or one of its indexes, from end to end (SQLite's
    ``SCAN audit_log USING INDEX ...`` reads the whole index; its ``SCAN ranked`` reads the
    rows a subquery made, no table)."""
    tables = "|".join(SQLModel.metadata.tables)
    whole = rf"^SCAN ({tables})\b" if sqlite else r"Seq Scan on "
    return [line for line in plan if re.search(whole, line)]
