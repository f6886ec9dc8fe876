"""Accounts: logging in with a user's argon2 password hash, logging out, and keeping
anonymous visitors out of every page but the login page (and the signed media links
platforms fetch, ``media``).

The session cookie (signed, HttpOnly, SameSite=Lax) holds the key of a session kept in the
database (``drafts.web_sessions``): every request loads the user through it, so logging out, a
new password, a new role or removing the user ends every copy of the cookie at once. Roles are
not trusted from the cookie; every action asks the service layer, which checks the role itself.

Passwords are checked with ``drafts.users.PASSWORDS``; a hash made with other parameters is
replaced on a successful login. Repeated failed logins are refused for a while
(``login_throttle``), with status 429 and a line saying for how long, and, for a locked name,
that an admin can unlock it. A login shows times in the timezone the user saved, if they saved
one (the preferences page saves it on their user for their notifications' dates too).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from drafts.errors import NotFoundError
from drafts.models import User
from drafts.storage import Database
from drafts.times import zone
from drafts.users import (
    CAPABILITIES,
    MAX_PASSWORD_LENGTH,
    PASSWORDS,
    Capability,
    Role,
    acting_user,
    find_user,
    replace_password_hash,
)
from drafts.web_sessions import end_session, open_session, session_user
from tidings.web.context import WebContext, off_loop
from tidings.web.login_throttle import LoginThrottle, Refusal
from tidings.web.pages import flash
from tidings.web.translations import N_, translations

log = logging.getLogger("tidings.web")

USER = "user"  # the user's id: only to choose the language of a page shown before the login check
KEY = "key"  # the session's key: the login check looks it up in the database
TIMEZONE = "timezone"
# The probes (web.health) and the calendar feed, whose token is its credential (web.calendar_feed).
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/readyz", "/metrics", "/calendar.ics"})
# /api/ answers to tokens, not to the login (tidings.api.auth).
PUBLIC_PREFIXES = ("/static/", "/media/", "/api/")
WRONG = N_("That name and password do not match an account that may log in here.")


@dataclass(frozen=True)
class Viewer:
    """The logged-in person, as loaded for this request."""

    id: int
    name: str
    role: str
    zone: ZoneInfo

    def may(self, capability: Capability) -> bool:
        """Whether the role allows ``capability`` (to decide what to offer; actions recheck)."""
        return capability in CAPABILITIES[Role(self.role)]

    @property
    def may_review(self) -> bool:
        return self.may(Capability.REVIEW)

    @property
    def user(self) -> User:
        """The viewer as an unsaved ``User`` (id, name, role), for the services' role checks."""
        return User(id=self.id, name=self.name, role=self.role)

    def acting(self, session: Session) -> User:
        """The viewer's user as stored now, to act as in ``session`` (``NotFoundError`` if
        they were removed since the page loaded)."""
        return acting_user(session, user_id=self.id, name=self.name)


def load_viewer(
    database: Database, session: MutableMapping[str, Any], default_zone: ZoneInfo
) -> Viewer | None:
    """The user whose session the cookie holds, or None when that session has ended."""
    key = session.get(KEY)
    if not isinstance(key, str):
        return None
    with database.reading() as db:
        user = session_user(db, key=key)
    if user is None or user.id is None:
        return None
    return Viewer(id=user.id, name=user.name, role=user.role, zone=_zone(session, default_zone))


def begin_session(database: Database, user_id: int, replacing: object = None) -> str:
    """The key of a new session for ``user_id``; the session ``replacing`` (the key this
    browser held before, if any) ends, so a new login leaves no second session behind."""
    with database.writing() as db:
        if isinstance(replacing, str):
            end_session(db, key=replacing)
        return open_session(db, user_id=user_id)


def saved_timezone(database: Database, user_id: int) -> str | None:
    """The timezone the user saved (the preferences page, ``tidings user set --timezone``),
    which a new session shows times in; None: the team's."""
    with database.reading() as db:
        user = db.get(User, user_id)
    return user.timezone if user is not None else None


def _end_session(database: Database, key: str) -> None:
    with database.writing() as db:
        end_session(db, key=key)


def _zone(session: MutableMapping[str, Any], default: ZoneInfo) -> ZoneInfo:
    name = session.get(TIMEZONE)
    if isinstance(name, str):
        try:
            return zone(name)
        except ValueError:
            session.pop(TIMEZONE, None)
    return default


@cache
def _decoy_hash() -> str:
    # Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
    return PASSWORDS.hash("no account has this password")


def authenticate(database: Database, name: str, password: str) -> int | None:
    """The user's id if ``password`` is theirs, else None.

    A hash made with other parameters than ``PASSWORDS`` is replaced by a new one.
    """
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        return None
    with database.reading() as db:
        try:
            user = find_user(db, name)
        except NotFoundError:
            user = None
    password_hash = user.password_hash if user is not None else None
    try:
        PASSWORDS.verify(password_hash or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.id is None or password_hash is None:
        return None
    stale = PASSWORDS.check_needs_rehash(password_hash)
    if stale and _rehash(database, user.id, password_hash, password) is None:
        return None  # a new password was set meanwhile, and this one is not it
    return user.id


def _rehash(database: Database, user_id: int, old_hash: str, password: str) -> str | None:
    """The user's hash once ``password`` is stored hashed with today's parameters in place of
    ``old_hash``. If another request changed the hash first (a login rehashing it too, or a new
    password), that one is returned if ``password`` matches it, else None."""
    new_hash = PASSWORDS.hash(password)
    with database.writing() as db:
        stored = replace_password_hash(db, user_id=user_id, old_hash=old_hash, new_hash=new_hash)
    if stored == new_hash:
        log.info("web login: rehashed the password of user %s", user_id)
        return new_hash
    if stored is None:
        return None
    try:
        PASSWORDS.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return stored


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def refusal_words(refusal: Refusal, ngettext: Callable[[str, str, int], str]) -> str:
    """The login page's line for a throttled attempt: a locked name has a way out that a held
    back address has not (an admin unlocks names)."""
    minutes = math.ceil(refusal.wait.total_seconds() / 60)
    if refusal.held == "name":
        line = ngettext(
            "Too many failed logins for this name; try again in %(minutes)s minute, or ask an "
            "admin to unlock it.",
            "Too many failed logins for this name; try again in %(minutes)s minutes, or ask an "
            "admin to unlock it.",
            minutes,
        )
    else:
        line = ngettext(
            "Too many failed logins; try again in %(minutes)s minute.",
            "Too many failed logins; try again in %(minutes)s minutes.",
            minutes,
        )
    return line % {"minutes": minutes}


def routes(web: WebContext) -> list[Route]:
    throttle = LoginThrottle(web.database)

    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if KEY in request.session:
            return RedirectResponse(target, status_code=303)
        return web.pages.render(request, "login.html", next=target, name="", error=None)

    async def login(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        address = request.client.host if request.client is not None else ""
        refusal = await off_loop(throttle.admit, name, address)
        if refusal is not None:
            log.warning("web login throttled (%s)", refusal.held)
            ngettext = translations(web.pages.language(request)).ngettext
            error = refusal_words(refusal, ngettext)
            response = web.pages.render(
                request, "login.html", status=429, next=target, name=name, error=error
            )
            response.headers["Retry-After"] = str(math.ceil(refusal.wait.total_seconds()))
            return response
        user_id = await off_loop(authenticate, web.database, name, password)
        if user_id is None:
            log.info("web login refused")  # not the name typed: it may be a password
            wrong = web.pages.gettext(request)(WRONG)
            return web.pages.render(
                request, "login.html", status=400, next=target, name=name, error=wrong
            )
        await off_loop(throttle.succeeded, name, address)
        key = await off_loop(begin_session, web.database, user_id, request.session.get(KEY))
        request.session.clear()
        request.session[USER], request.session[KEY] = user_id, key
        saved = await off_loop(saved_timezone, web.database, user_id)
        if saved is not None:
            request.session[TIMEZONE] = saved
        log.info("web login: %s", name)
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        _ = web.pages.gettext(request)  # the language of the user logging out
        key = request.session.get(KEY)
        if isinstance(key, str):
            await off_loop(_end_session, web.database, key)
        request.session.clear()
        flash(request, _("You have logged out."))
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


class LoginRequired:
    """Sends anonymous visitors to /login (303); puts the ``Viewer`` on ``request.state``."""

    def __init__(self, app: ASGIApp, *, database: Database, default_zone: ZoneInfo) -> None:
        self.app = app
        self.database = database
        self.default_zone = default_zone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        viewer = None
        if KEY in session:
            viewer = await off_loop(load_viewer, self.database, session, self.default_zone)
        if viewer is None:
            for key in (USER, KEY):
                session.pop(key, None)
            await RedirectResponse(_login_url(scope), status_code=303)(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _login_url(scope: Scope) -> str:
    if scope["method"] not in {"GET", "HEAD"}:
        return "/login"
    target = scope["path"]
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    return "/login" if target == "/" else "/login?next=" + quote(target, safe="")
