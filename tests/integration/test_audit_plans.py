"""The audit log read by action (issue 16, migration 0023): the daemon's last clean stop is
found among the stops in ``ix_audit_log_action`` (action, draft, id), not by reading the log
back from its end past every entry people and daemons made since; and the inbox finds each
draft's submissions there by action and draft, not among every submission ever made (which an
index of (action, id) alone had SQLite read) nor among all of the draft's entries. Planned by
each database as in test_page_plans (SQLite's ``EXPLAIN QUERY PLAN``; PostgreSQL's ``EXPLAIN``
with whole-table reads priced high, after ``ANALYZE``). Without the index the last stop is
read by scanning the log backwards, and the submissions through the draft's entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from drafts.inbox import review_inbox
from drafts.models import AuditEntry
from drafts.review import SUBMIT_ACTION
from drafts.storage import Database
from scheduler.heartbeat import STOPPED, last_stop
from tests.integration.test_page_plans import (
    NOW,
    add_drafts,
    planning_statistics,
    reads,
    statements_of,
    whole,
)

DRAFTS = 200
ENTRIES = 3000  # most of them posts published and drafts edited, as a busy log is


def fill(database: Database) -> None:
    """Drafts (a few in review, each submitted once), a log of mostly other entries with a
    daemon's clean stop now and then; then the statistics PostgreSQL plans with."""
    with database.writing() as session:
        add_drafts(session, DRAFTS, lambda number: number % 40 == 0)
        connection = session.connection()
        entries = []
        for number in range(1, ENTRIES + 1):
            draft_id = 1 + number % DRAFTS
            action = (
                STOPPED
                if number % 500 == 0
                else SUBMIT_ACTION
                if number <= DRAFTS
                else "post.published"
                if number % 2
                else "draft.edit"
            )
            entries.append(
                {
                    "at": NOW - timedelta(minutes=ENTRIES - number),
                    "actor": "daemon" if action == STOPPED else "hana",
                    "action": action,
                    "draft_id": None if action == STOPPED else draft_id,
                    "detail": f"host:{number}" if action == STOPPED else "",
                }
            )
        connection.execute(insert(AuditEntry), entries)
    planning_statistics(database)


@pytest.fixture
def logged(database: Database) -> Database:
    fill(database)
    return database


def test_the_last_clean_stop_is_read_at_the_head_of_the_action_index(logged: Database) -> None:
    [(statement, parameters)] = statements_of(logged, last_stop)
    found = reads(logged, statement, parameters)
    assert found and all(index == "ix_audit_log_action" for _, index, _ in found), found
    assert all("action" in condition for _, _, condition in found), found
    with logged.reading() as session:
        stop = last_stop(session)
    assert stop is not None and stop.worker == f"host:{ENTRIES}"


def test_the_inbox_reads_the_submissions_without_reading_the_log_whole(
    logged: Database,
) -> None:
    statements = statements_of(logged, lambda s: review_inbox(s, after=None, size=50))
    found = [read for s, p in statements for read in reads(logged, s, p)]
    log = [r for r in found if r[0] == "audit_log"]
    assert log and whole(found, "audit_log") == [], found
    assert all(index == "ix_audit_log_action" for _, index, _ in log), log
    assert all("action" in condition and "draft_id" in condition for *_, condition in log), log
    with logged.reading() as session:
        page = review_inbox(session, after=None, size=50)
    assert sorted(entry.id for entry in page.entries) == list(range(40, DRAFTS + 1, 40))
