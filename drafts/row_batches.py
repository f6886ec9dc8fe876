"""A batch of rows as the source of one statement: the daemon's writes for a claim and for a
batch of results, whatever their size.

A statement is written once over a batch's columns (``RowBatch.c``). On PostgreSQL they are
the columns of ``json_to_recordset`` over one JSON parameter holding every row, so a batch of a
hundred rows is one statement, planned once, in one round trip. Run once per row, the server
parsed, planned and ran each of a hundred statements and psycopg's pipeline sent and read each;
as arrays, one per column, psycopg escaped each text element with a regular expression (a
post's publish state is JSON, full of quotes), where ``json.dumps`` writes the whole batch in C.
On SQLite, which runs in this process, they are bind parameters and the statement runs once per
row (``executemany``), as cheap there as one statement.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Column, Text, bindparam, cast, column, func
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class RowBatch:
    """Rows of the named, typed ``columns``, as one JSON parameter on PostgreSQL
    (``postgres``) or as one statement's bind parameters run once per row."""

    columns: tuple[tuple[str, TypeEngine[Any]], ...]
    postgres: bool

    @classmethod
    def of(cls, postgres: bool, *columns: Column[Any]) -> RowBatch:
        """A batch of rows of a table's ``columns``, each value keyed by its column's name."""
        return cls(tuple((each.name, each.type) for each in columns), postgres)

    @cached_property
    def c(self) -> Mapping[str, ColumnElement[Any]]:
        """Each column's value in the row a statement is at."""
        if not self.postgres:
            return {name: bindparam(f"batch_{name}", type_=kind) for name, kind in self.columns}
        rows = (
            func.json_to_recordset(cast(bindparam("batch", type_=Text()), JSON))
            .table_valued(*(column(name, kind) for name, kind in self.columns))
            .render_derived(name="batch", with_types=True)
        )
        return {name: rows.c[name] for name, _ in self.columns}

    def params(
        self, rows: Sequence[Mapping[str, Any]], **shared: Any
    ) -> list[dict[str, Any]] | dict[str, Any]:
        """The values to execute a statement over this batch with: on PostgreSQL the rows as
        one JSON document (an instant as ISO 8601), else one set of parameters per row;
        ``shared`` are the statement's other parameters, the same for every row."""
        if self.postgres:
            names = [name for name, _ in self.columns]
            batch = [{name: row[name] for name in names} for row in rows]
            return {**shared, "batch": json.dumps(batch, default=_instant)}
        return [
            {**shared, **{f"batch_{name}": row[name] for name, _ in self.columns}} for row in rows
        ]


def _instant(value: object) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} in a row batch")
    return value.isoformat()
