"""Each user's calendar feed token: the credential of ``/calendar.ics?token=…``, a link a
calendar program fetches with no login.

The token is shown once, when it is made; only its SHA-256 is stored (``User.feed_token_hash``),
so a copy of the database opens no calendar. Making a new one replaces the hash, which ends the
old link at once. A user makes their own; an admin may make anyone's.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode

from sqlmodel import Session, select

from drafts.audit import record
from drafts.config import Config
from drafts.models import User
from drafts.users import Capability, find_user, require

FEED_PATH = "/calendar.ics"
# Longer than any token made here (43 characters): a longer one is refused before it is hashed.
LONGEST_TOKEN = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(session: Session, *, name: str, actor: User) -> str:
    """A new feed token for ``name`` (themselves, or anyone for an admin), in place of the one
    they had: the old link ends when this commits."""
    user = find_user(session, name)
    if user.id != actor.id:
        require(actor, Capability.MANAGE_USERS)
    token = secrets.token_urlsafe(32)
    renewed = user.feed_token_hash is not None
    user.feed_token_hash = token_hash(token)
    session.add(user)
    action = "user.feed-token-renew" if renewed else "user.feed-token"
    record(session, actor=actor.name, action=action, detail=name)
    return token


def has_feed_token(session: Session, *, user_id: int) -> bool:
    user = session.get(User, user_id)
    return user is not None and user.feed_token_hash is not None


def feed_user(session: Session, token: str) -> User | None:
    """The user whose feed ``token`` is, or None for a wrong, old or missing one."""
    if not token or len(token) > LONGEST_TOKEN:
        return None
    query = select(User).where(User.feed_token_hash == token_hash(token))
    return session.exec(query).first()


def feed_url(config: Config, token: str, *, origin: str = "") -> str:
    """The link to give a calendar program: on ``[web] public_url`` when it is set, else on
    ``origin`` (the address the page was asked at; empty: the path alone)."""
    base = config.web.public_url or origin.rstrip("/")
    return f"{base}{FEED_PATH}?{urlencode({'token': token})}"
