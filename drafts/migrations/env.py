"""Alembic's entry point: migrations run on the connection that ``Database.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import drafts.models  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `tidings init`, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
