"""On PostgreSQL a claim's candidates statement is planned once a connection, not once a claim
(planning it cost more than running it), and the plan so kept reads every table along an index
even when it was made on a young database, whose tables were never analysed."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from drafts.storage import Database
from tests.integration.test_list_plans import LISTS, a_claim, statement_of

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


def test_the_candidates_are_planned_once_for_the_claims_of_a_connection(
    postgres: Database,
) -> None:
    """Left to choose, PostgreSQL plans a prepared statement anew for each run at first, and
    went on doing so for the candidates at a million posts (6-8 ms a claim)."""
    for _ in range(CLAIMS):
        claim(postgres)
    with postgres.reading() as session:  # the same pooled connection: one thread, one at a time
        kept = session.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE :candidates"
            ),
            {"candidates": f"%{CANDIDATES}%"},
        ).all()
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
