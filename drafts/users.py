"""Users, their roles and what each role may do."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from sqlmodel import Session, col, select

from drafts import keyset
from drafts.audit import record
from drafts.errors import NotFoundError, ReviewError, TidingsError
from drafts.login_failures import forget_name, locked_until
from drafts.messages import N_, Word, problem, said
from drafts.models import User
from drafts.web_sessions import end_user_sessions


class Role(StrEnum):
    AUTHOR = "author"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Capability(StrEnum):
    WRITE = N_("write drafts")
    REVIEW = N_("review drafts")
    QUEUE = N_("schedule or cancel drafts")
    MANAGE_USERS = N_("manage users")
    CHECK_CHANNELS = N_("check channels")  # each check is an authenticated call to every platform
    CONNECT_CHANNELS = N_("connect channels")  # stores the credential every post is sent with
    NOTIFICATIONS = N_("see and retry notifications")  # whom they went to, and their errors


CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.AUTHOR: frozenset({Capability.WRITE, Capability.QUEUE}),
    Role.REVIEWER: frozenset({Capability.REVIEW, Capability.QUEUE}),
    Role.ADMIN: frozenset(Capability),
}

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 4096  # the web login refuses longer ones before hashing
# What is wrong with a user's name, role or password, told beside the field that has it.
BAD_ROLE = N_("%(role)s is not one of %(roles)s")
UNKNOWN_USER = N_("unknown user %(name)s (add one with `tidings user add NAME --role ROLE`)")
GONE_USER = N_("unknown user %(name)s")
BAD_NAME = N_("%(name)s must be 1-64 letters, digits, '.', '_' or '-'")
TAKEN_NAME = N_("a user called %(name)s already exists")
SHORT_PASSWORD = N_("use at least %(count)s characters")
LONG_PASSWORD = N_("use at most %(count)s characters")
ONLY_ADMIN = N_("%(name)s is the only admin; keep at least one admin")

# The one hasher for new passwords (the CLI and the web): argon2id with the OWASP Password
# Storage Cheat Sheet's minimum (m=19 MiB, t=2, p=1), about 40 ms a hash on two cores; argon2-cffi
# has no profile with these figures. Hashes made with other parameters still verify, and a
# login rehashes them (``PASSWORDS.check_needs_rehash``).
# https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id
PASSWORDS = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


# Why a role may not act, with the role in the sentence (``an author``: the article is English).
NOT_ALLOWED: dict[Role, str] = {
    Role.AUTHOR: N_("%(name)s is an author and may not %(capability)s"),
    Role.REVIEWER: N_("%(name)s is a reviewer and may not %(capability)s"),
    Role.ADMIN: N_("%(name)s is an admin and may not %(capability)s"),
}


def require(user: User, capability: Capability) -> None:
    """Raise ``ReviewError`` unless ``user``'s role allows ``capability``."""
    role = Role(user.role)
    if capability not in CAPABILITIES[role]:
        words: dict[str, Word] = {"name": user.name, "capability": said(capability.value)}
        raise ReviewError(said(NOT_ALLOWED[role], **words))


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        roles = ", ".join(Role)
        raise TidingsError(problem("role", BAD_ROLE, role=repr(text), roles=roles)) from None


def find_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFoundError(said(UNKNOWN_USER, name=repr(name)))
    return user


def acting_user(session: Session, *, user_id: int, name: str) -> User:
    """The user a logged-in session acts as, read in this transaction; ``NotFoundError``
    naming ``name`` if they were removed since."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(said(GONE_USER, name=repr(name)))
    return user


def name_of(session: Session, user_id: int) -> str:
    """The user's name, or ``?`` for one removed since."""
    user = session.get(User, user_id)
    return user.name if user is not None else "?"


def chosen_language(session: Session, *, user_id: int) -> str | None:
    """The interface language the user chose, if any (one primary-key read)."""
    return session.exec(select(User.language).where(User.id == user_id)).first()


def set_language(session: Session, *, user_id: int, language: str) -> User:
    """Store ``language`` as the user's interface language."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    user.language = language
    session.add(user)
    return user


def list_users(
    session: Session, *, limit: int | None = None, after: str | None = None
) -> list[User]:
    """The users by name: every one, or ``limit`` of them from the place token ``after`` names
    (``drafts.keyset``: the last name shown; None: the first); ``CursorError`` for a token
    this list did not make."""
    query = select(User).order_by(col(User.name)).limit(limit)
    if after is not None:
        query = query.where(
            keyset.beyond((col(User.name),), keyset.place(after, str), descending=False)
        )
    return list(session.exec(query))


def add_user(
    session: Session,
    *,
    name: str,
    role: Role,
    password_hash: str | None,
    actor: User | None,
    email: str | None = None,
    timezone: str | None = None,
) -> User:
    """Add a user. Once an admin exists, only an admin may add users; until then anyone may.
    ``email`` and ``timezone`` are parsed already (``drafts.notification_preferences``)."""
    if not re.fullmatch(NAME_PATTERN, name):  # re.match lets "$" pass a final line break
        raise TidingsError(problem("name", BAD_NAME, name=repr(name)))
    if session.exec(select(User).where(User.name == name)).first():
        raise TidingsError(problem("name", TAKEN_NAME, name=repr(name)))
    admins = session.exec(select(User).where(User.role == Role.ADMIN)).first()
    if admins is not None:
        if actor is None:
            raise ReviewError("only an admin may add users: pass --as ADMIN")
        require(actor, Capability.MANAGE_USERS)
    user = User(name=name, role=role, password_hash=password_hash, email=email, timezone=timezone)
    session.add(user)
    session.flush()
    record(
        session, actor=actor.name if actor else name, action="user.add", detail=f"{name} ({role})"
    )
    return user


def hash_password(password: str) -> str:
    """The hash to store for ``password``; ``TidingsError`` when it is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise TidingsError(problem("password", SHORT_PASSWORD, count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise TidingsError(problem("password", LONG_PASSWORD, count=MAX_PASSWORD_LENGTH))
    return PASSWORDS.hash(password)


def replace_password_hash(
    session: Session, *, user_id: int, old_hash: str, new_hash: str
) -> str | None:
    """Store ``new_hash`` in place of ``old_hash`` (the same password, hashed anew); the hash
    the user has afterwards: ``new_hash``, or another set meanwhile, left as it is (None if the
    user has none, or is gone)."""
    user = session.get(User, user_id)
    if user is None:
        return None
    if user.password_hash == old_hash:
        user.password_hash = new_hash
        session.add(user)
    return user.password_hash


def change_role(session: Session, *, name: str, role: Role, actor: User) -> User:
    """Give ``name`` another role (admins only); the last admin keeps theirs. Their web sessions
    end: whoever holds one logs in again under the new role."""
    require(actor, Capability.MANAGE_USERS)
    user = find_user(session, name)
    if user.role == role:
        return user
    if user.role == Role.ADMIN and _admins(session) <= 1:
        raise TidingsError(problem("role", ONLY_ADMIN, name=name))
    before = user.role
    user.role = role
    session.add(user)
    assert user.id is not None
    end_user_sessions(session, user_id=user.id)
    record(session, actor=actor.name, action="user.role", detail=f"{name} ({before} → {role})")
    return user


def _admins(session: Session) -> int:
    # Locks the admin rows on PostgreSQL, so two admins demoting each other at once cannot
    # both pass; SQLite's BEGIN IMMEDIATE already serializes writers.
    admins = select(User.id).where(User.role == Role.ADMIN).with_for_update()
    return len(session.exec(admins).all())


def set_password(session: Session, *, name: str, password_hash: str, actor: User) -> User:
    """Replace ``name``'s password hash (admins only); every web session of theirs ends, and a
    lock after failed logins is lifted: the new password is meant to be used at once."""
    require(actor, Capability.MANAGE_USERS)
    user = find_user(session, name)
    user.password_hash = password_hash
    session.add(user)
    assert user.id is not None
    end_user_sessions(session, user_id=user.id)
    forget_name(session, name=name)
    record(session, actor=actor.name, action="user.password", detail=name)
    return user


def unlock_user(session: Session, *, name: str, actor: User, now: datetime) -> bool:
    """Lift the lock that failed logins put on ``name`` (admins only); whether there was one.
    Their password and sessions stay as they are."""
    require(actor, Capability.MANAGE_USERS)
    find_user(session, name)
    locked = bool(locked_until(session, names=[name], now=now))
    forget_name(session, name=name)
    if locked:
        record(session, actor=actor.name, action="user.unlock", detail=name)
    return locked
