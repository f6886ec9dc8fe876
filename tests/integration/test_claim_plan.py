"""On PostgreSQL a claim's candidates statement is planned once a connection, not once a claim
(planning it cost more than running it), whatever channels are open and posts held; the plan
so kept reads every table along an index even when it was made on a young database, whose
tables were never analysed; and the daemon's question of when to wake, and the reads and writes
of each batch of results and claims, are one statement each too."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from drafts.completion import finish_drafts
from drafts.lifecycle import PostStatus
from drafts.post_media import images_by_post
from drafts.review import ApprovalCache, PostToSend, Standing
from drafts.storage import Database
from scheduler.claiming import claim_due
from scheduler.due import next_wake
from scheduler.vault import DatabaseVault
from tests.integration.test_list_plans import LISTS, NOW, a_claim, statement_of
from tests.integration.test_page_growth import add

CLAIMS = 9  # psycopg prepares a statement after its fifth run; PostgreSQL tries 5 custom plans
CANDIDATES = "AS candidate"  # the subquery the candidates statement is read from
[CLAIM] = [query for query in LISTS if query.call is a_claim]


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.is_sqlite:
        pytest.skip("SQLite keeps no plans between statements")
    return database


def claim(database: Database) -> None:
    with database.writing() as session:
        a_claim(session)


def kept_plans(session: Session, part: str) -> list[tuple[int, int]]:
    """The generic and custom plans made so far of each statement this connection prepared
    whose text holds ``part``."""
    found = session.execute(
        text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE :part"
        ),
        {"part": f"%{part}%"},
    )
    return [(generic, custom) for generic, custom in found]


def test_the_candidates_are_planned_once_for_the_claims_of_a_connection(
    postgres: Database,
) -> None:
    """Left to choose, PostgreSQL plans a prepared statement anew for each run at first, and
    went on doing so for the candidates at a million posts (6-8 ms a claim)."""
    for _ in range(CLAIMS):
        claim(postgres)
    with postgres.reading() as session:  # the same pooled connection: one thread, one at a time
        kept = kept_plans(session, CANDIDATES)
        mode = session.execute(text("SHOW plan_cache_mode")).scalar()
    assert len(kept) == 1, kept
    generic, custom = kept[0]
    assert custom == 0 and generic > 0, kept
    assert mode == "auto"  # for the claim's transaction only


def test_the_kept_plan_of_a_young_database_reads_its_tables_along_indexes(
    postgres: Database,
) -> None:
    """Planned on tables never analysed, the plan every later claim of the connection uses
    takes the due posts along ix_post_status_attempt_at and looks up their drafts, attempts
    and images by key: none of those tables is read whole, as it grows."""
    # Nothing is due: the claim ends with its candidates, the last SELECT it sends.
    plan = generic_plan(postgres, statement_of(postgres, CLAIM))
    shown = "\n".join(plan)
    assert "ix_post_status_attempt_at" in shown, shown
    for table in ("post", "draft", "attempt", "post_media"):
        assert not re.search(rf"Seq Scan on {table}\b", shown), shown


def generic_plan(database: Database, statement: tuple[str, dict[str, Any]]) -> list[str]:
    """The generic plan of the statement, prepared as psycopg prepares it (its parameters as
    ``$n``), explained for the values it ran with."""
    sql, values = statement
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", numbered, sql)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PREPARE candidates AS {prepared}")  # its parameters' types inferred
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        # The values written into the EXECUTE (a client-side cursor): the server could not
        # tell their types there.
        literal = psycopg.ClientCursor(raw.driver_connection)
        arguments = ", ".join(f"%({name})s" for name in names)
        literal.execute(
            f"EXPLAIN (COSTS OFF) EXECUTE candidates ({arguments})",
            {name: values[name] for name in names},
        )
        return [str(row[0]) for row in literal.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def test_claims_with_other_channels_open_and_other_posts_held_share_one_kept_plan(
    postgres: Database,
) -> None:
    """A daemon's claims differ in the channels still open (a channel at its limit of posts in
    flight is left out) and in the posts it holds (those it is sending). Written out as lists,
    each number of either made the candidates statement another text: a statement psycopg had
    not prepared yet, planned anew for its first runs (6-8 ms at a million posts). Passed as
    arrays, every claim runs the one statement, with the plan kept."""
    channels = ["linkedin", "x-en", "x-ko", "mastodon"]
    for run in range(CLAIMS * 2):
        with postgres.writing() as session:
            claim_due(
                session,
                worker="plan:1",
                now=NOW,
                lease=timedelta(minutes=5),
                capacity=dict.fromkeys(channels[: 1 + run % len(channels)], 5),
                limit=10,
                required_approvals=1,
                holding=list(range(1, 2 + run)),
                ended=["plan:2"] * (1 + run % 3),
            )
    with postgres.reading() as session:
        kept = kept_plans(session, CANDIDATES)
    assert len(kept) == 1, kept
    generic, custom = kept[0]
    assert custom == 0 and generic >= CLAIMS, kept


def test_the_next_wake_is_one_statement_whatever_the_posts_held(postgres: Database) -> None:
    """Each cycle of the daemon asks when something next becomes claimable, outside the posts
    it is sending: one prepared statement, whatever their number."""
    for run in range(CLAIMS):
        with postgres.reading() as session:
            next_wake(session, now=NOW, holding=list(range(1, 2 + run)))
    with postgres.reading() as session:
        assert len(kept_plans(session, "min(post.lease_until)")) == 1


def test_the_reads_and_writes_of_each_batch_are_one_statement_whatever_its_size(
    postgres: Database,
) -> None:
    """Besides its claim, each cycle of a busy daemon finishes the drafts of its results, checks
    the approvals of the drafts it has not seen (nearly every claim's), reads the claimed
    channels' tokens and the claimed posts' images, each for a list whose length changes from
    one cycle to the next. Written out as lists, each length made another statement text,
    parsed and planned anew: one prepared statement each, whatever the number."""
    vault = DatabaseVault(db=None)  # type: ignore[arg-type]  # read_along is given its session
    standing = Standing("0" * 64, 1, NOW)
    for run in range(CLAIMS):
        ids = list(range(1, 2 + run))
        with postgres.writing() as session:
            finish_drafts(session, ids, actor="plan:1", now=NOW)
            sent = [PostToSend(n, n, standing, "") for n in ids]
            ApprovalCache().approved(session, sent, required_approvals=1)
            vault.read_along(session, {n: f"channel-{n}" for n in ids})
            images_by_post(session, ids)
    with postgres.reading() as session:
        for part in ("UPDATE draft", "FROM review", "FROM credential", "JOIN media_blob"):
            assert len(kept_plans(session, part)) == 1, part


def test_the_next_wake_finds_the_posts_in_flight_along_an_index_once_most_are_published(
    postgres: Database,
) -> None:
    """The next wake asks for the first lease running out among the posts in flight. With their
    status a parameter, the kept (generic) plan expected a share of every post to be in flight
    and read the whole table for them: 72 ms a cycle at a million posts. Written out, the
    statistics say how few are."""
    add(postgres, 1, 3000, PostStatus.PUBLISHED, NOW - timedelta(days=1))  # then ANALYZE
    seen: list[tuple[str, Any]] = []

    def grab(*args: Any) -> None:
        if "min(post.lease_until)" in args[2]:
            seen.append((args[2], args[3]))

    event.listen(postgres.engine, "before_cursor_execute", grab)
    try:
        with postgres.reading() as session:
            next_wake(session, now=NOW)
    finally:
        event.remove(postgres.engine, "before_cursor_execute", grab)
    shown = "\n".join(generic_plan(postgres, seen[-1]))
    assert not re.search(r"Seq Scan on post\b", shown), shown
