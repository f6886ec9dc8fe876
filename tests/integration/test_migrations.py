"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import drafts.models  # noqa: F401  (registers the tables)
from drafts.storage import Database, head_revision


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, SQLModel.metadata) == []


def test_init_twice_is_harmless(database: Database) -> None:
    assert database.migrate() == head_revision()
    database.check_schema()
