"""The users page, for admins: every user by name, ``PAGE_SIZE`` a page (``?after=`` the last
one's last name: ``tidings.web.paging``) (role, interface language, e-mail address, when added,
whether they have a password, whether failed logins have locked them out), and forms to add a
user, change a role, set an e-mail address, reset a password and unlock a locked user.

Every request, reading or writing, passes the service's own role check first
(``drafts.users.require``), so any other role gets the 403 page. The changes themselves are
the service's (``add_user``, ``change_role``, ``set_password``, ``unlock_user``, and
``drafts.notification_preferences`` for the address, checked as the preferences page and the
command line check it), which check the role again and write the audit log. A new password lifts
a lock too. A form that cannot be carried out shows the page again with one line naming the
field (a refused address beside its field, in the admin's language), and changes nothing. A new password or a new role ends every session of the
user's (the service does); an admin who changes their own keeps the session they are in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.errors import TidingsError
from drafts.keyset import CursorError, Page, paged
from drafts.login_failures import locked_until
from drafts.models import User
from drafts.notification_preferences import parse_email, set_contact
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import (
    Capability,
    Role,
    add_user,
    change_role,
    find_user,
    hash_password,
    list_users,
    parse_role,
    require,
    set_password,
    unlock_user,
)
from tidings.web import paging
from tidings.web.auth import KEY, Viewer, begin_session
from tidings.web.compose_page import SEE_FIELDS
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.pages import flash
from tidings.web.sentences import error_line, field_problems, teller
from tidings.web.translations import LANGUAGE_NAMES, N_
from tidings.web.vocabulary import ROLE_WORDS

DIFFERENT_PASSWORDS = N_("password: the two passwords typed differ")
PAGE_SIZE = 50  # users a page


@dataclass(frozen=True)
class UserRow:
    """One user as the page lists them (never their hash)."""

    name: str
    role: str
    language: str | None  # the interface language's tag; None: the browser's
    email: str | None  # where their notifications go; None: none
    created_at: datetime
    has_password: bool
    locked_until: datetime | None  # failed logins lock the name until then

    @property
    def language_name(self) -> str | None:
        """The interface language by its own name (한국어), as it names itself."""
        return LANGUAGE_NAMES.get(self.language or "")


def check_admin(viewer: Viewer) -> User:
    """The viewer as the acting user; a ``ReviewError`` (403) for a role that may not manage users."""
    actor = viewer.user
    require(actor, Capability.MANAGE_USERS)
    return actor


def load_rows(database: Database, after: str | None) -> Page[UserRow]:
    """A page of the users by name, after the place ``after`` names."""
    with database.reading() as session:
        users = paged(list_users(session, limit=PAGE_SIZE + 1, after=after), PAGE_SIZE, _name)
        locks = locked_until(session, names=[user.name for user in users.rows], now=utcnow())
    rows = [
        UserRow(
            name=user.name,
            role=user.role,
            language=user.language if user.language in LANGUAGE_NAMES else None,
            email=user.email,
            created_at=user.created_at,
            has_password=user.password_hash is not None,
            locked_until=locks.get(user.name),
        )
        for user in users.rows
    ]
    return Page(rows, users.after)


def _name(user: User) -> tuple[str]:
    return (user.name,)


def typed_twice(form: FormData) -> str | None:
    """The password typed in both fields, or None when the two differ."""
    password = str(form.get("password", ""))
    return password if password == str(form.get("password_again", "")) else None


def routes(web: WebContext) -> list[Route]:
    async def page(
        request: Request,
        *,
        status: int = 200,
        error: TidingsError | str | None = None,
        added: FormData | None = None,
        address: tuple[str, str, TidingsError] | None = None,
    ) -> Response:
        """The page; after a refusal, its one line (a service error told in the viewer's
        language, or a line of our own) and, when the add form was sent, that form as typed
        (never a password); ``address``: the user whose address was refused, the address as
        typed and why, said beside that user's address field."""
        problems: dict[str, tuple[str, ...]] = {}
        if address is not None:
            gettext = web.pages.gettext(request)
            problems = dict(field_problems(address[2], teller(request, gettext)))
            error, status = gettext(SEE_FIELDS), 400
        if isinstance(error, TidingsError):
            status = status_for(error)
            error = error_line(error, request, web.pages.gettext(request))
        after = paging.asked_after(request)  # a form sent from a later page shows that page
        try:
            rows = await off_loop(load_rows, web.database, after)
        except CursorError:
            return paging.to_first_page(request, web.pages.gettext(request), "/users")
        return web.pages.render(
            request,
            "users.html",
            status=status,
            users=rows.rows,
            pager=paging.pager(request, rows.after),
            on_page=paging.same_page(request, ""),
            roles=tuple(Role),
            error=error,
            typed_name=str(added.get("name", "")).strip() if added is not None else "",
            typed_role=str(added.get("role", "")) if added is not None else Role.AUTHOR,
            problems=problems,
            refused_address=address[:2] if address is not None else None,
        )

    async def users(request: Request) -> Response:
        check_admin(request.state.viewer)
        return await page(request)

    async def add(request: Request) -> Response:
        actor = check_admin(request.state.viewer)
        form = await request.form()
        name = str(form.get("name", "")).strip()
        _ = web.pages.gettext(request)
        password = typed_twice(form)
        if password is None:
            return await page(request, status=400, error=_(DIFFERENT_PASSWORDS), added=form)
        try:
            role = parse_role(str(form.get("role", "")))
            password_hash = await off_loop(hash_password, password)
            await off_loop(_add, web.database, name, role, password_hash, actor)
        except TidingsError as error:
            return await page(request, error=error, added=form)
        words = {"name": name, "role": _(ROLE_WORDS[role])}
        flash(request, _("Added %(name)s (%(role)s).") % words)
        return RedirectResponse("/users", status_code=303)

    async def change(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        actor = check_admin(viewer)
        form = await request.form()
        name = str(form.get("name", ""))
        try:
            role = parse_role(str(form.get("role", "")))
            await off_loop(_change_role, web.database, name, role, actor)
        except TidingsError as error:
            return await page(request, error=error)
        if name == viewer.name:
            await stay_logged_in(request, viewer)
        _ = web.pages.gettext(request)
        words = {"name": name, "role": _(ROLE_WORDS[role])}
        flash(request, _("%(name)s now has the role %(role)s.") % words)
        return RedirectResponse(paging.same_page(request, "/users"), status_code=303)

    async def set_email(request: Request) -> Response:
        actor = check_admin(request.state.viewer)
        form = await request.form()
        name = str(form.get("name", ""))
        typed = str(form.get("email", ""))
        try:
            email = parse_email(typed)
        except TidingsError as error:
            return await page(request, address=(name, typed, error))
        try:
            await off_loop(_set_email, web.database, name, email, actor)
        except TidingsError as error:
            return await page(request, error=error)
        _ = web.pages.gettext(request)
        if email is None:
            flash(request, _("%(name)s has no e-mail address now.") % {"name": name})
        else:
            words = {"name": name, "email": email}
            flash(request, _("Notifications for %(name)s now go to %(email)s.") % words)
        return RedirectResponse(paging.same_page(request, "/users"), status_code=303)

    async def reset(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        actor = check_admin(viewer)
        form = await request.form()
        name = str(form.get("name", ""))
        _ = web.pages.gettext(request)
        password = typed_twice(form)
        if password is None:
            return await page(request, status=400, error=_(DIFFERENT_PASSWORDS))
        try:
            password_hash = await off_loop(hash_password, password)
            await off_loop(_set_password, web.database, name, password_hash, actor)
        except TidingsError as error:
            return await page(request, error=error)
        if name == viewer.name:
            await stay_logged_in(request, viewer)
        flash(
            request,
            _("Saved a new password for %(name)s; sessions opened with the old one have ended.")
            % {"name": name},
        )
        return RedirectResponse(paging.same_page(request, "/users"), status_code=303)

    async def unlock(request: Request) -> Response:
        actor = check_admin(request.state.viewer)
        form = await request.form()
        name = str(form.get("name", ""))
        try:
            was_locked = await off_loop(_unlock, web.database, name, actor)
        except TidingsError as error:
            return await page(request, error=error)
        _ = web.pages.gettext(request)
        if was_locked:
            flash(request, _("Unlocked %(name)s: they can log in again.") % {"name": name})
        else:
            flash(request, _("%(name)s was not locked.") % {"name": name})
        return RedirectResponse(paging.same_page(request, "/users"), status_code=303)

    async def stay_logged_in(request: Request, viewer: Viewer) -> None:
        # The service ended every session of the viewer's; the one they act from goes on.
        request.session[KEY] = await off_loop(begin_session, web.database, viewer.id)

    return [
        Route("/users", users, methods=["GET"]),
        Route("/users", add, methods=["POST"]),
        Route("/users/role", change, methods=["POST"]),
        Route("/users/email", set_email, methods=["POST"]),
        Route("/users/password", reset, methods=["POST"]),
        Route("/users/unlock", unlock, methods=["POST"]),
    ]


def _add(database: Database, name: str, role: Role, password_hash: str, actor: User) -> None:
    with database.writing() as session:
        add_user(session, name=name, role=role, password_hash=password_hash, actor=actor)


def _change_role(database: Database, name: str, role: Role, actor: User) -> None:
    with database.writing() as session:
        change_role(session, name=name, role=role, actor=actor)


def _set_email(database: Database, name: str, email: str | None, actor: User) -> None:
    with database.writing() as session:
        kept = find_user(session, name).timezone  # the address changes, the zone stays
        set_contact(session, name=name, email=email, timezone=kept, actor=actor)


def _set_password(database: Database, name: str, password_hash: str, actor: User) -> None:
    with database.writing() as session:
        set_password(session, name=name, password_hash=password_hash, actor=actor)


def _unlock(database: Database, name: str, actor: User) -> bool:
    with database.writing() as session:
        return unlock_user(session, name=name, actor=actor, now=utcnow())
