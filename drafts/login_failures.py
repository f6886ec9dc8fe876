"""Failed logins, counted per name and per client address over a sliding window: after
``NAME_LIMIT`` failures for a name (or ``ADDRESS_LIMIT`` from an address) within ``WINDOW``,
further attempts are refused before any password is checked, until the oldest counted failure
leaves the window. A successful login forgets the name's failures (not the address's: one
right password does not excuse a run of guesses).

A locked name has two ways out before its time: an admin unlocks it (``forget_name``, through
``drafts.users.unlock_user``), or a new password is set for it (``drafts.users.set_password``).

The counts live in the database (``LoginFailures``), so several ``tidings web`` processes share
them, a restart forgets nothing, and the command line lifts a lock in every process at once. A
key's row is taken with ``FOR UPDATE`` (SQLite's ``BEGIN IMMEDIATE`` already queues writers), so
attempts sent side by side cannot all pass before the first failure is counted: an admitted
attempt counts as failed at once, until ``succeeded`` says otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete
from sqlmodel import Session, col, select

from drafts.models import LoginFailures

NAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)

Kind = Literal["name", "address"]
LIMITS: dict[Kind, int] = {"name": NAME_LIMIT, "address": ADDRESS_LIMIT}

failures_table = LoginFailures.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Refusal:
    """Why an attempt may not be checked now, and for how long: ``held`` says whether the name
    is locked (which an admin can lift) or the address is held back (which no unlock lifts)."""

    wait: timedelta
    held: Kind


def key_hash(kind: Kind, value: str) -> str:
    # A name is often guessable from its hash; the point is never to store a password typed
    # into the name field.
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def admit(session: Session, *, name: str, address: str, now: datetime) -> Refusal | None:
    """None if an attempt for ``name`` from ``address`` may be checked now (it is counted as a
    failure at once), else the ``Refusal`` (and nothing is counted)."""
    purge(session, now=now)
    keys: dict[Kind, LoginFailures] = {
        "name": _taken(session, key_hash("name", name), now),
        "address": _taken(session, key_hash("address", address), now),
    }
    waits = {kind: _wait(row, LIMITS[kind], now) for kind, row in keys.items()}
    if waits["address"] > timedelta(0):
        return Refusal(max(waits.values()), "address")
    if waits["name"] > timedelta(0):
        return Refusal(waits["name"], "name")
    for kind, row in keys.items():
        row.failed_at = [*_recent(row, now), now.isoformat()][-LIMITS[kind] :]
        row.last_failed_at = now
        session.add(row)
    return None


def succeeded(session: Session, *, name: str, address: str) -> None:
    """The admitted attempt succeeded: forget the name's failures, uncount the address's."""
    forget_name(session, name=name)
    row = session.get(LoginFailures, key_hash("address", address))
    if row is not None and row.failed_at:
        row.failed_at = row.failed_at[:-1]
        session.add(row)


def forget_name(session: Session, *, name: str) -> None:
    """Forget every failed login for ``name``: a lock on it is lifted."""
    session.execute(
        delete(LoginFailures).where(col(LoginFailures.key_hash) == key_hash("name", name))
    )


def locked_until(session: Session, *, names: Iterable[str], now: datetime) -> dict[str, datetime]:
    """Of ``names``, the ones locked at ``now``, with the time each lock ends (one query)."""
    by_hash = {key_hash("name", name): name for name in names}
    rows = session.exec(
        select(LoginFailures).where(col(LoginFailures.key_hash).in_(list(by_hash)))
    ).all()
    locked = {}
    for row in rows:
        wait = _wait(row, NAME_LIMIT, now)
        if wait > timedelta(0):
            locked[by_hash[row.key_hash]] = now + wait
    return locked


def purge(session: Session, *, now: datetime) -> None:
    """Forget the names and addresses whose last failure has left the window (they would
    otherwise be kept for ever)."""
    session.execute(delete(LoginFailures).where(col(LoginFailures.last_failed_at) <= now - WINDOW))


def _taken(session: Session, hashed: str, now: datetime) -> LoginFailures:
    """The key's row, made if there was none, locked until the transaction ends."""
    # Imported here: the PostgreSQL dialect loads psycopg, and drafts.users (every CLI
    # command) imports this module.
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    empty = {"key_hash": hashed, "failed_at": [], "last_failed_at": now}
    session.connection().execute(
        dialect.insert(failures_table).values(empty).on_conflict_do_nothing()
    )
    query = select(LoginFailures).where(LoginFailures.key_hash == hashed).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).one()


def _recent(row: LoginFailures, now: datetime) -> list[str]:
    """The row's failures still inside the window at ``now``, oldest first."""
    return [at for at in row.failed_at if datetime.fromisoformat(at) > now - WINDOW]


def _wait(row: LoginFailures, limit: int, now: datetime) -> timedelta:
    """How long until fewer than ``limit`` of the row's failures are inside the window."""
    recent = _recent(row, now)
    if len(recent) < limit:
        return timedelta(0)
    return datetime.fromisoformat(recent[len(recent) - limit]) + WINDOW - now
