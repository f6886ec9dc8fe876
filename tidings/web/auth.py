"""Accounts: logging in with a user's argon2 password hash, logging out, and keeping
anonymous visitors out of every page but the login page.

The session cookie (signed, HttpOnly, SameSite=Lax) holds the user's id and a fingerprint of
their password hash: a new password ends every session opened with the old one. Roles are
not trusted from the cookie; every page loads the user afresh, and every action asks the
service layer, which checks the role itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from drafts.errors import NotFoundError
from drafts.models import User
from drafts.storage import Database
from drafts.timezones import zone
from drafts.users import CAPABILITIES, Capability, Role, find_user
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash

log = logging.getLogger("tidings.web")

USER = "user"
SEAL = "seal"
TIMEZONE = "timezone"
PUBLIC_PATHS = frozenset({"/login"})
PUBLIC_PREFIXES = ("/static/",)
MAX_PASSWORD_LENGTH = 4096
WRONG = "That name and password do not match an account that may log in here."


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


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


def load_viewer(
    database: Database, session: MutableMapping[str, Any], default_zone: ZoneInfo
) -> Viewer | None:
    """The session's user, or None when it names nobody who may still log in."""
    user_id, seal = session.get(USER), session.get(SEAL)
    if not isinstance(user_id, int) or not isinstance(seal, str):
        return None
    with database.reading() as db:
        user = db.get(User, user_id)
    if user is None or user.password_hash is None:
        return None
    if not hmac.compare_digest(seal, fingerprint(user.password_hash)):
        return None
    return Viewer(id=user_id, name=user.name, role=user.role, zone=_zone(session, default_zone))


def _zone(session: MutableMapping[str, Any], default: ZoneInfo) -> ZoneInfo:
    name = session.get(TIMEZONE)
    if isinstance(name, str):
        try:
            return zone(name)
        except ValueError:
            session.pop(TIMEZONE, None)
    return default


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    # Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
    return _hasher().hash("no account has this password")


def authenticate(database: Database, name: str, password: str) -> tuple[int, str] | None:
    """The user's id and session seal if ``password`` is theirs, else None."""
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        return None
    with database.reading() as db:
        try:
            user = find_user(db, name)
        except NotFoundError:
            user = None
    password_hash = user.password_hash if user is not None else None
    try:
        _hasher().verify(password_hash or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.id is None or password_hash is None:
        return None
    return user.id, fingerprint(password_hash)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def routes(web: WebContext) -> list[Route]:
    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if USER in request.session:
            return RedirectResponse(target, status_code=303)
        return web.pages.render(request, "login.html", next=target, name="", error=None)

    async def login(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        found = await off_loop(authenticate, web.database, name, password)
        if found is None:
            log.info("web login refused")  # not the name typed: it may be a password
            return web.pages.render(
                request, "login.html", status=400, next=target, name=name, error=WRONG
            )
        request.session.clear()
        request.session[USER], request.session[SEAL] = found
        log.info("web login: %s", name)
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        flash(request, "You have logged out.")
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
        if USER in session:
            viewer = await off_loop(load_viewer, self.database, session, self.default_zone)
        if viewer is None:
            for key in (USER, SEAL):
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
