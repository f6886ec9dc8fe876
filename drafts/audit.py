"""The audit log: every transition, with its actor and time.

An entry a person's action makes about a draft moves the draft (``Draft.moved_at``): the
desk lists each status's drafts the latest moved first. The daemon's entries (a batch of
attempts, a draft done) do not: what it does shows in the desk's groups of posts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Insert, String, bindparam, insert, literal, null
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from drafts.models import AuditEntry, Draft
from drafts.row_batches import RowBatch
from drafts.timestamps import AwareDateTime

DAEMON = "daemon"

_audit_table = AuditEntry.__table__  # type: ignore[attr-defined]


class Entry(NamedTuple):
    """One line of the log, before it knows its actor and time."""

    draft_id: int | None
    post_id: int | None
    action: str
    detail: str = ""


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    draft_id: int | None = None,
    post_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append one entry; it is committed with the change it describes. An entry about a draft
    moves the draft."""
    entry = AuditEntry(
        actor=actor, action=action, draft_id=draft_id, post_id=post_id, detail=detail
    )
    session.add(entry)
    # Set on the draft as loaded (the action loaded it), so it is written with the action's
    # own changes: an UPDATE here would flush the session first, at every entry (an import
    # that submits 2,000 drafts took 10% longer).
    draft = session.get(Draft, draft_id) if draft_id is not None else None
    if draft is not None:
        draft.moved_at = entry.at
    return entry


def record_batch(session: Session, entries: Sequence[Entry], *, actor: str, at: datetime) -> None:
    """Append ``entries`` in one statement, committed with the change they describe.

    The daemon's hot path records a batch of attempts at a time, and adding a draft (thousands
    in an import) its entry: one Core insert costs the same for one entry or a hundred, where
    ORM objects would cost one each and be looked through at every flush.
    """
    if not entries:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    rows = [entry._asdict() for entry in entries]
    connection.execute(_append(postgres), _entries(postgres).params(rows, at=at, actor=actor))


@cache
def _entries(postgres: bool) -> RowBatch:
    entry = _audit_table.c
    return RowBatch.of(postgres, entry.draft_id, entry.post_id, entry.action, entry.detail)


@cache
def _append(postgres: bool) -> Insert:
    """The entries of a batch, appended in one statement (``drafts.row_batches``)."""
    entry = _entries(postgres).c
    return _appended(entry, entry.values())


def appended_for_drafts(draft_id: ColumnElement[int], action: str) -> Insert:
    """An entry ``action`` for each draft a statement yields (``draft_id``, a column of a CTE
    the caller adds), by ``:actor`` at ``:at``: its entries written by that one statement,
    as ``drafts.completion`` writes those of the drafts it marks done."""
    names = ("draft_id", "post_id", "action", "detail")
    return _appended(names, (draft_id, null(), literal(action), literal("")))


def _appended(names: Iterable[str], values: Iterable[ColumnElement[Any]]) -> Insert:
    return insert(_audit_table).from_select(
        [*names, "at", "actor"],
        select_columns(
            *values, bindparam("at", type_=AwareDateTime), bindparam("actor", type_=String())
        ),
    )


def history(session: Session, *, draft_id: int) -> list[AuditEntry]:
    """A draft's entries, oldest first."""
    query = select(AuditEntry).where(AuditEntry.draft_id == draft_id).order_by(col(AuditEntry.id))
    return list(session.exec(query))
