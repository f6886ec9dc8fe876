"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.schema import CreateIndex
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


def test_the_partial_indexes_hold_the_rows_their_migrations_made_them_for(
    database: Database,
) -> None:
    """The models give each partial index its condition for the database opened (not for
    every dialect: naming one imports it), and it is the condition the migration wrote: on
    SQLite each index's statement is the one the models would write, on PostgreSQL the
    server's reading of both is the same."""
    partial = {
        index.name: index
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options[database.engine.dialect.name]["where"] is not None
    }
    assert sorted(partial) == [
        "ix_attempt_unpublished",
        "ix_post_author_changed",
        "ix_post_channel_changed",
        "ix_post_status_attempt_at",
        "ix_post_status_changed",
    ]
    with database.engine.connect() as connection:
        for name, index in partial.items():
            model = str(CreateIndex(index).compile(dialect=database.engine.dialect))
            if database.is_sqlite:
                stored = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": name}
                ).scalar_one()
                assert " ".join(stored.split()) == " ".join(model.split()), name
                continue
            migrated = connection.execute(
                text("SELECT pg_get_indexdef(CAST(:name AS regclass))"), {"name": name}
            ).scalar_one()
            connection.execute(text(model.replace(name, "probe", 1)))
            probe = connection.execute(text("SELECT pg_get_indexdef('probe'::regclass)")).scalar()
            assert probe == migrated.replace(name, "probe", 1), name
            connection.execute(text("DROP INDEX probe"))
