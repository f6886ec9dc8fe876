"""The API tokens page (``/tokens``, linked from Preferences): the viewer's tokens for the HTTP
API (``drafts.api_tokens``) with their scopes, when each was made, expires and was last used;
a form that makes one, shown once; and revoking one, after asking. An admin chooses whose
tokens (``?user=``) and manages anyone's. A refusal is one line beside its field, in the
viewer's language; nothing is made until every field is right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.api_tokens import (
    ALL_SCOPES,
    NO_TOKEN,
    Scope,
    new_token,
    parse_scopes,
    revoke_token,
    tokens_of,
)
from drafts.errors import NotFoundError, ReviewError, TidingsError
from drafts.messages import problem, said
from drafts.models import ApiToken, User
from drafts.storage import Database
from drafts.times import parse_time, utcnow
from drafts.users import Capability, find_user, list_users, require
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash
from tidings.web.sentences import field_problems, teller
from tidings.web.translations import N_

NOT_A_DATE = N_("%(typed)s is not a date like 2027-06-30")
IN_THE_PAST = N_("%(typed)s is in the past")
REVOKED = N_("Token %(name)s of %(user)s revoked.")
# Each scope as its box on the form says it.
SCOPE_WORDS: dict[Scope, str] = {
    Scope.READ: N_("read: read drafts, posts and channels"),
    Scope.DRAFTS_WRITE: N_("drafts:write: write, submit, schedule and cancel drafts"),
    Scope.REVIEW: N_("review: approve drafts and ask for changes"),
    Scope.ADMIN: N_("admin: mark posts published, retry them, and all of the above"),
}


@dataclass(frozen=True)
class Typed:
    """The form as sent: shown again as typed when it is refused."""

    name: str
    scopes: tuple[str, ...]
    expires: str

    @classmethod
    def read(cls, form: FormData) -> Typed:
        return cls(
            name=str(form.get("name", "")).strip(),
            scopes=tuple(map(str, form.getlist("scopes"))),
            expires=str(form.get("expires", "")).strip(),
        )


@dataclass(frozen=True)
class Listing:
    owner: str
    tokens: tuple[ApiToken, ...]
    users: tuple[str, ...]  # whose tokens the viewer may manage (an admin: everyone)


def owner_of(session: Session, me: User, name: str | None) -> User:
    """The user whose tokens are shown: the viewer, or (for an admin) the one named."""
    if not name or name == me.name:
        return me
    require(me, Capability.MANAGE_USERS)
    return find_user(session, name)


def load(database: Database, viewer: Viewer, name: str | None) -> Listing:
    with database.reading() as session:
        me = viewer.acting(session)
        owner = owner_of(session, me, name)
        admin = viewer.may(Capability.MANAGE_USERS)
        users = tuple(u.name for u in list_users(session)) if admin else (me.name,)
        return Listing(owner.name, tuple(tokens_of(session, owner)), users)


def expiry(text: str, viewer: Viewer, now: datetime) -> datetime | None:
    """The expiry typed (a day, in the viewer's timezone), or None when left empty."""
    if not text:
        return None
    try:
        at = parse_time(text, viewer.zone, now)
    except ValueError:
        raise ReviewError(problem("expires", NOT_A_DATE, typed=text)) from None
    if at <= now:
        raise ReviewError(problem("expires", IN_THE_PAST, typed=text))
    return at


def make(database: Database, viewer: Viewer, owner: str, typed: Typed) -> str:
    """The new token (shown once); a ``TidingsError`` naming the field otherwise."""
    scopes = parse_scopes(typed.scopes)
    expires_at = expiry(typed.expires, viewer, utcnow())
    with database.writing() as session:
        actor = viewer.acting(session)
        return new_token(
            session,
            user_name=owner,
            name=typed.name,
            scopes=scopes,
            actor=actor,
            expires_at=expires_at,
        )


def revoke(database: Database, viewer: Viewer, owner: str, name: str) -> None:
    with database.writing() as session:
        revoke_token(session, user_name=owner, name=name, actor=viewer.acting(session))


def routes(web: WebContext) -> list[Route]:
    async def page(
        request: Request,
        owner: str | None,
        *,
        status: int = 200,
        problems: dict[str, tuple[str, ...]] | None = None,
        typed: Typed | None = None,
        made: str | None = None,
        made_name: str | None = None,
    ) -> Response:
        listing = await off_loop(load, web.database, request.state.viewer, owner)
        return web.pages.render(
            request,
            "tokens.html",
            status=status,
            listing=listing,
            scopes=[(str(scope), SCOPE_WORDS[scope]) for scope in ALL_SCOPES],
            problems=problems or {},
            typed=typed or Typed(name="", scopes=(str(Scope.READ),), expires=""),
            made=made,
            made_name=made_name,
        )

    async def tokens(request: Request) -> Response:
        return await page(request, request.query_params.get("user"))

    async def create(request: Request) -> Response:
        form = await request.form()
        owner = str(form.get("user", "")) or request.state.viewer.name
        typed = Typed.read(form)
        try:
            made = await off_loop(make, web.database, request.state.viewer, owner, typed)
        except TidingsError as refused:
            gettext = web.pages.gettext(request)
            problems = dict(field_problems(refused, teller(request, gettext)))
            return await page(request, owner, status=400, problems=problems, typed=typed)
        return await page(request, owner, made=made, made_name=typed.name)  # the form empty

    async def ask(request: Request) -> Response:
        owner = request.query_params.get("user") or request.state.viewer.name
        name = request.query_params.get("name", "")
        listing = await off_loop(load, web.database, request.state.viewer, owner)
        if name not in {token.name for token in listing.tokens}:
            raise NotFoundError(said(NO_TOKEN, name=name, user=listing.owner))
        return web.pages.render(request, "token_revoke.html", owner=listing.owner, name=name)

    async def remove(request: Request) -> Response:
        form = await request.form()
        owner = str(form.get("user", "")) or request.state.viewer.name
        name = str(form.get("name", ""))
        await off_loop(revoke, web.database, request.state.viewer, owner, name)
        flash(request, web.pages.gettext(request)(REVOKED) % {"name": name, "user": owner})
        return RedirectResponse(f"/tokens?{urlencode({'user': owner})}", status_code=303)

    return [
        Route("/tokens", tokens, methods=["GET"]),
        Route("/tokens", create, methods=["POST"]),
        Route("/tokens/revoke", ask, methods=["GET"]),
        Route("/tokens/revoke", remove, methods=["POST"]),
    ]
