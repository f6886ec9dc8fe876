"""The HTTP API's tokens: made for a user (by themselves, or by an admin for anyone), shown
once, kept as their SHA-256, acting as their user within their scopes until revoked or expired.

A scope narrows what a token may do; the user's role still decides what the user may do, so a
reviewer's token with ``drafts:write`` still cannot write drafts, and an author's token with
``review`` still cannot approve.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from drafts.audit import record
from drafts.errors import NotFoundError, ReviewError
from drafts.messages import N_, problem, said
from drafts.models import ApiToken, User
from drafts.users import Capability, find_user, require

PREFIX = "tdg_"  # so that a token pasted where it should not be is recognisable
LONGEST_TOKEN = 100  # longer than any made here (47 characters): refused before hashing
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
USE_NOTED_EVERY = timedelta(minutes=1)


class Scope(StrEnum):
    READ = "read"  # every GET
    DRAFTS_WRITE = "drafts:write"  # create, edit, submit, schedule, cancel
    REVIEW = "review"  # approve, request changes
    ADMIN = "admin"  # mark published, retry, check channels; and everything the others allow


ALL_SCOPES = tuple(Scope)
NO_TOKEN = N_("api token %(name)s of %(user)s does not exist")
TAKEN = N_("%(user)s already has a token named %(name)s")
BAD_NAME = N_(
    "use up to 64 letters, digits, spaces, dots, dashes or underscores, "
    "starting with a letter or digit"
)


@dataclass(frozen=True)
class Caller:
    """Who a request acts as: the token's user, and what the token allows."""

    user: User
    token_id: int
    scopes: frozenset[Scope]
    note_use: bool = False  # its last use is a minute old or more: keep the new one


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(names: Iterable[str]) -> tuple[Scope, ...]:
    """The scopes named, each once, in their order; a ReviewError naming ``scopes`` otherwise."""
    found: list[Scope] = []
    for name in names:
        try:
            scope = Scope(name.strip())
        except ValueError:
            known = ", ".join(ALL_SCOPES)
            raise ReviewError(
                problem("scopes", N_("%(name)s is not one of %(known)s"), name=name, known=known)
            ) from None
        if scope not in found:
            found.append(scope)
    if not found:
        raise ReviewError(problem("scopes", N_("give at least one")))
    return tuple(found)


def new_token(
    session: Session,
    *,
    user_name: str,
    name: str,
    scopes: Iterable[Scope],
    actor: User,
    expires_at: datetime | None = None,
) -> str:
    """A new token for ``user_name`` (the actor, or anyone for an admin): returned once, kept
    as its hash."""
    user = find_user(session, user_name)
    if user.id != actor.id:
        require(actor, Capability.MANAGE_USERS)
    if not re.fullmatch(NAME_PATTERN, name):
        raise ReviewError(problem("name", BAD_NAME))
    taken = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    if session.exec(taken).first() is not None:
        raise ReviewError(problem("name", TAKEN, user=user.name, name=name))
    token = PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_hash=token_hash(token),
            scopes=[str(scope) for scope in scopes],
            expires_at=expires_at,
        )
    )
    record(session, actor=actor.name, action="api-token.create", detail=f"{user.name}: {name}")
    return token


def revoke_token(session: Session, *, user_name: str, name: str, actor: User) -> None:
    """Delete a token: the next request with it is refused."""
    user = find_user(session, user_name)
    if user.id != actor.id:
        require(actor, Capability.MANAGE_USERS)
    found = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    ).first()
    if found is None:
        raise NotFoundError(said(NO_TOKEN, name=name, user=user.name))
    session.delete(found)
    record(session, actor=actor.name, action="api-token.revoke", detail=f"{user.name}: {name}")


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """A user's tokens, newest first (their hashes are of no use to anyone)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(session.exec(query.order_by(col(ApiToken.id).desc())))


def caller(session: Session, token: str, now: datetime) -> Caller | None:
    """Who ``token`` acts as; None for a wrong, revoked or expired one."""
    if not token.startswith(PREFIX) or len(token) > LONGEST_TOKEN:
        return None
    found = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if found is None or (found.expires_at is not None and found.expires_at <= now):
        return None
    user = session.get(User, found.user_id)
    if user is None:
        return None
    assert found.id is not None
    stale = found.last_used_at is None or now - found.last_used_at >= USE_NOTED_EVERY
    return Caller(
        user=user, token_id=found.id, scopes=frozenset(map(Scope, found.scopes)), note_use=stale
    )


def note_use(session: Session, token_id: int, now: datetime) -> None:
    """Keep when a token was last used (to the minute: a write per request would queue every
    request behind the daemon's writes)."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now
