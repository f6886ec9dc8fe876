"""Web sessions kept in the database, so that ending one ends every copy of its cookie.

Logging in opens a session: a random key goes into the browser's (signed) cookie and only the
key's SHA-256 is stored, so the table alone lets nobody in. A session lasts ``LIFETIME`` from
login whatever the activity: a copied cookie never works longer than that, and a request only
reads. Logging out ends the session; a new password, a new role and removing the user end all
of that user's sessions (the row's foreign key cascades on removal).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from drafts.models import User, WebSession
from drafts.times import utcnow

LIFETIME = timedelta(days=7)


def _hash(key: str) -> str:
    # The key is 256 random bits: a plain SHA-256 suffices, no salt or stretching needed.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def open_session(session: Session, *, user_id: int, now: datetime | None = None) -> str:
    """A new web session for ``user_id``, lasting ``LIFETIME``; returns the key for the cookie
    (never stored). Sessions already expired, anyone's, are deleted on the way."""
    now = now or utcnow()
    purge_expired(session, now=now)
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(key_hash=_hash(key), user_id=user_id, created_at=now, expires_at=now + LIFETIME)
    )
    return key


def session_user(session: Session, *, key: str, now: datetime | None = None) -> User | None:
    """The user whose unexpired session ``key`` opens, else None (one query)."""
    query = (
        select(User)
        .join(WebSession, col(WebSession.user_id) == col(User.id))
        .where(WebSession.key_hash == _hash(key), col(WebSession.expires_at) > (now or utcnow()))
    )
    return session.exec(query).first()


def end_session(session: Session, *, key: str) -> None:
    """Ends the session ``key`` opens (nothing if it is already gone)."""
    session.execute(delete(WebSession).where(col(WebSession.key_hash) == _hash(key)))


def end_user_sessions(session: Session, *, user_id: int) -> None:
    """Ends every session of ``user_id``, in every browser."""
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))


def purge_expired(session: Session, *, now: datetime | None = None) -> None:
    """Deletes the sessions that expired (they already open nothing)."""
    session.execute(delete(WebSession).where(col(WebSession.expires_at) <= (now or utcnow())))
