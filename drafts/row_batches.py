"""A batch of rows as the source of one statement: the daemon's writes for a claim and for a
batch of results, whatever their size; and a list of values as one parameter (``one_of``).

A statement is written once over a batch's columns (``RowBatch.c``): they are read from one JSON
parameter holding every row, so a batch of a hundred rows is one statement, compiled and run
once. On PostgreSQL they are the columns of ``json_to_recordset``: one statement planned once,
in one round trip, where run once per row the server parsed, planned and ran each of a hundred
statements and psycopg's pipeline sent and read each; as arrays, one per column, psycopg escaped
each text element with a regular expression (a post's publish state is JSON, full of quotes),
where ``json.dumps`` writes the whole batch in C. On SQLite they are ``json_extract`` over
``json_each``, each value already as SQLite stores it (the column type's own conversion, done
here): run once per row (``executemany``), SQLAlchemy built and converted each row's parameters
in Python, more than SQLite's own work (a claim of 100 posts among a million: 6.1 -> 5.4 ms).

    batch = RowBatch.of(postgres, table.c.id, table.c.key)
    statement = update(table).where(table.c.id == batch.c["id"]).values(
        key=batch.c["key"], changed_at=bindparam("now")
    )
    connection.execute(statement, batch.params(rows, now=now))

A batch's columns are a table's: each keeps its column's name and type. Build such statements
once per backend (with ``functools.cache``): only their values change from one batch to the
next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

_SQLITE = sqlite.dialect()


@dataclass(frozen=True)
class RowBatch:
    """Rows of the named, typed ``columns``, as one JSON parameter: read by
    ``json_to_recordset`` on PostgreSQL (``postgres``), by ``json_each`` on SQLite."""

    columns: tuple[tuple[str, TypeEngine[Any]], ...]
    postgres: bool
    name: str = "batch"  # its parameter's, and its rows' in the statement

    @classmethod
    def of(cls, postgres: bool, *columns: Column[Any], name: str = "batch") -> RowBatch:
        """A batch of rows of a table's ``columns``, each value keyed by its column's name;
        ``name`` tells apart two batches one statement reads."""
        return cls(tuple((each.name, each.type) for each in columns), postgres, name)

    @cached_property
    def c(self) -> Mapping[str, ColumnElement[Any]]:
        """Each column's value in the row a statement is at."""
        batch = bindparam(self.name, type_=Text())
        if self.postgres:
            rows = (
                func.json_to_recordset(cast(batch, JSON))
                .table_valued(*(column(name, kind) for name, kind in self.columns))
                .render_derived(name=self.name, with_types=True)
            )
            return {name: rows.c[name] for name, _ in self.columns}
        each = func.json_each(batch).table_valued("value").alias(self.name)
        return {
            name: func.json_extract(each.c.value, literal_column(f"'$.{name}'"), type_=kind)
            for name, kind in self.columns
        }

    @cached_property
    def _stored(self) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
        """Each column's name and the conversion to what SQLite stores (None: as it is)."""
        return tuple(
            (name, kind.dialect_impl(_SQLITE).bind_processor(_SQLITE))
            for name, kind in self.columns
        )

    def params(self, rows: Sequence[Mapping[str, Any]], **shared: Any) -> dict[str, Any]:
        """The values to execute a statement over this batch with: the rows as one JSON
        document (on PostgreSQL an instant as ISO 8601; on SQLite each value as stored);
        ``shared`` are the statement's other parameters, the same for every row."""
        if self.postgres:
            names = [name for name, _ in self.columns]
            batch = [{name: row[name] for name in names} for row in rows]
            return {**shared, self.name: json.dumps(batch, default=_instant)}
        stored = self._stored
        batch = [
            {name: row[name] if convert is None else convert(row[name]) for name, convert in stored}
            for row in rows
        ]
        return {**shared, self.name: json.dumps(batch)}


def one_of(
    column: ColumnElement[Any], name: str, kind: TypeEngine[Any], postgres: bool
) -> ColumnElement[bool]:
    """``column`` is one of the values of parameter ``name``: on PostgreSQL one array, so the
    statement is the same text whatever their number. Written out as a list, each number of
    values made another text: for the daemon's claims, each number of open channels (one at
    its limit of posts in flight is left out) and of posts the worker holds. psycopg had not
    prepared such a text, so PostgreSQL planned it anew for each of its first five runs (the
    claim's candidates: 6-8 ms at a million posts, against a kept plan's none), and 50
    channels made 150 parameters that SQLAlchemy and psycopg converted at every claim (0.3 ms
    of its processor time). On SQLite, which has no arrays and keeps no plans, a list."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(kind)))
    return column.in_(bindparam(name, expanding=True))


def _instant(value: object) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} in a row batch")
    return value.isoformat()
