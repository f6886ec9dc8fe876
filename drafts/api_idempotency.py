"""``Idempotency-Key`` on the HTTP API's POSTs (``api_idempotency``): a token's key is claimed
by a row before its request runs, so that two requests with one key never both run; the row
then holds the answer, which the same request with the same key gets again for 24 hours.

A claim whose request never answered (its process ended) is let go after ``ABANDONED_AFTER``;
rows past their time are deleted when the next key is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from drafts.models import ApiIdempotency

KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)  # far longer than any request of the API runs
_table = ApiIdempotency.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Earlier:
    """What a key already held when a request came with it."""

    same_request: bool  # the same path and body as the one that claimed it
    status: int | None  # None: that request has not answered yet
    body: bytes


def claim(
    session: Session, *, token_id: int, key: str, request_hash: str, now: datetime
) -> Earlier | None:
    """Claim ``key`` for a request: None when this request has it (and runs), else what the
    key holds. A key claimed more than ``KEPT_FOR`` ago is free again."""
    forget_expired(session, now)
    # The dialect's own insert (for "on conflict do nothing"): a concurrent claim of the same
    # key waits for this one's transaction (PostgreSQL) or for the write lock (SQLite).
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    row = {"token_id": token_id, "key": key, "request_hash": request_hash, "created_at": now}
    statement = dialect.insert(_table).values(row).on_conflict_do_nothing()
    if session.connection().execute(statement.returning(_table.c.id)).first() is not None:
        return None
    held = session.exec(
        select(ApiIdempotency).where(ApiIdempotency.token_id == token_id, ApiIdempotency.key == key)
    ).one()
    return Earlier(
        same_request=held.request_hash == request_hash, status=held.status, body=held.body or b""
    )


def keep(session: Session, *, token_id: int, key: str, status: int, body: bytes) -> None:
    """Keep the answer of the request that claimed ``key``, for its replays."""
    session.execute(
        update(_table)
        .where(_table.c.token_id == token_id, _table.c.key == key)
        .values(status=status, body=body)
    )


def release(session: Session, *, token_id: int, key: str) -> None:
    """Let ``key`` go (its request failed on the server's side): the next request with it runs."""
    session.execute(delete(_table).where(_table.c.token_id == token_id, _table.c.key == key))


def forget_expired(session: Session, now: datetime) -> None:
    """Delete the keys past ``KEPT_FOR`` and the claims abandoned unanswered."""
    created = col(ApiIdempotency.created_at)
    session.execute(
        delete(_table).where(
            or_(
                created <= now - KEPT_FOR,
                (col(ApiIdempotency.status).is_(None)) & (created <= now - ABANDONED_AFTER),
            )
        )
    )
