"""The viewer's preferences: the timezone times are shown in (kept in their session, and saved on
their user for the dates of their notifications), the language of the interface (``User.language``),
the e-mail address notifications go to, and which of the events their role receives they want.

Every page shows a due time in the viewer's timezone and in the channel's; the viewer's
defaults to ``[tidings] timezone``. The interface language defaults to the browser's
``Accept-Language`` (English or Korean), else English. A refused address is shown beside its
field, in the viewer's language; nothing is saved until every field is right.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.errors import TidingsError
from drafts.notification_events import Event
from drafts.notification_preferences import (
    parse_email,
    parse_events,
    receivable,
    received,
    set_contact,
    set_received,
)
from drafts.storage import Database
from drafts.times import zone
from drafts.users import Role, set_language
from tidings.web.auth import TIMEZONE, Viewer, safe_next
from tidings.web.calendar_feed import feed_link_made
from tidings.web.compose_page import SEE_FIELDS
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash
from tidings.web.sentences import error_line, field_problems, teller
from tidings.web.translations import LANGUAGE_NAMES, LANGUAGES, N_, parse_language, translations

# A zone asked for by name (``field`` is the form field or query parameter) that does not exist.
NOT_A_ZONE = N_("%(field)s: %(name)s is not an IANA timezone (like Asia/Seoul, Europe/Berlin)")
NOT_A_LANGUAGE = N_("language: %(text)s is not one of %(offered)s")
# Each event as its box on the form says it, from the viewer's side.
EVENT_WORDS: dict[Event, str] = {
    Event.REVIEW_REQUESTED: N_("A draft waits for my review"),
    Event.CHANGES_REQUESTED: N_("A reviewer asks for changes to my draft"),
    Event.APPROVED: N_("My draft is approved"),
    Event.POST_FAILED: N_("A post failed or needs attention"),
    Event.CREDENTIAL_EXPIRING: N_("A channel's credential expires within 7 days"),
    Event.CREDENTIAL_REFRESH_FAILED: N_("A channel's credential could not be renewed"),
}
# Sent with the event boxes: an unchecked box is sent as nothing, so a form without this field
# (an older page, a script that posts only a timezone) leaves the events as they are.
EVENTS_SHOWN = "events_shown"


@dataclass(frozen=True)
class Notices:
    """What the form shows of the viewer's notifications: their address and each event their
    role receives, with whether they receive it."""

    email: str
    events: tuple[tuple[str, str, bool], ...]  # (the event, its words, received)


@dataclass(frozen=True)
class Typed:
    """The form as sent: shown again as typed when it is refused."""

    zone: str
    language: str | None
    email: str | None  # None: the form had no address field
    events: frozenset[str] | None  # the boxes checked; None: the form had no boxes

    @classmethod
    def read(cls, form: FormData) -> Typed:
        asked = form.get("language")
        email = form.get("email")
        return cls(
            zone=str(form.get("timezone", "")).strip(),
            language=str(asked).strip() if asked is not None else None,
            email=str(email) if email is not None else None,
            events=frozenset(map(str, form.getlist("events"))) if EVENTS_SHOWN in form else None,
        )


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def load_notices(database: Database, viewer: Viewer) -> Notices:
    with database.reading() as session:
        user = viewer.acting(session)
        hears = received(user)
        return Notices(
            email=user.email or "",
            events=tuple(
                (event.value, EVENT_WORDS[event], event in hears)
                for event in receivable(Role(user.role))
            ),
        )


def save_preferences(
    database: Database,
    viewer: Viewer,
    *,
    zone_name: str,
    language: str | None,
    email: str | None,
    keep_email: bool,
    checked: Collection[Event] | None,
) -> None:
    """Store what the form chose in one transaction; ``keep_email`` and ``checked`` None: the
    form did not have them, and the address and the events stay as they are."""
    with database.writing() as session:
        user = viewer.acting(session)
        if language is not None:
            assert user.id is not None
            set_language(session, user_id=user.id, language=language)
        address = user.email if keep_email else email
        set_contact(session, name=user.name, email=address, timezone=zone_name, actor=user)
        if checked is not None:
            unchecked = set(receivable(Role(user.role))) - set(checked)
            set_received(session, name=user.name, on=checked, off=unchecked, actor=user)


def routes(web: WebContext) -> list[Route]:
    web.pages.use_database(web.database)  # where each viewer's chosen language is read

    async def form_page(
        request: Request,
        *,
        status: int = 200,
        error: str | None = None,
        problems: dict[str, tuple[str, ...]] | None = None,
        typed: Typed | None = None,
    ) -> Response:
        notices = await off_loop(load_notices, web.database, request.state.viewer)
        if typed is not None and typed.events is not None:
            events = tuple((e, words, e in typed.events) for e, words, _ in notices.events)
            notices = Notices(notices.email, events)
        email = typed.email if typed is not None and typed.email is not None else notices.email
        return web.pages.render(
            request,
            "preferences.html",
            status=status,
            zones=timezone_names(),
            error=error,
            problems=problems or {},
            chosen=typed.zone if typed is not None else None,
            languages=tuple(LANGUAGE_NAMES.items()),
            # None: the page's own language is shown as chosen
            chosen_language=typed.language if typed is not None else None,
            email=email,
            events=notices.events,
            events_shown=EVENTS_SHOWN,
            feed_link_made=await off_loop(feed_link_made, web.database, request.state.viewer),
        )

    async def preferences(request: Request) -> Response:
        return await form_page(request)

    async def save(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        form = await request.form()
        typed = Typed.read(form)
        gettext = web.pages.gettext(request)
        try:
            zone(typed.zone)
        except ValueError:
            words = {"field": "timezone", "name": repr(typed.zone)}
            error = gettext(NOT_A_ZONE) % words
            return await form_page(request, status=400, error=error, typed=typed)
        language: str | None = None
        if typed.language is not None:
            try:
                language = parse_language(typed.language)
            except TidingsError:
                offered = ", ".join(LANGUAGES)
                words = {"text": repr(typed.language), "offered": offered}
                error = gettext(NOT_A_LANGUAGE) % words
                return await form_page(request, status=400, error=error, typed=typed)
        try:
            email = parse_email(typed.email) if typed.email is not None else None
            role = Role(viewer.role)
            checked = parse_events(typed.events, role) if typed.events is not None else None
        except TidingsError as refused:
            problems = dict(field_problems(refused, teller(request, gettext)))
            error = (
                gettext(SEE_FIELDS)
                if "email" in problems
                else error_line(refused, request, gettext)
            )
            return await form_page(request, status=400, error=error, problems=problems, typed=typed)
        await off_loop(
            save_preferences,
            web.database,
            viewer,
            zone_name=typed.zone,
            language=language,
            email=email,
            keep_email=typed.email is None,
            checked=checked,
        )
        request.session[TIMEZONE] = typed.zone
        shown_in = language or web.pages.language(request)
        _ = translations(shown_in).gettext
        shown = {"zone": typed.zone, "language": LANGUAGE_NAMES[shown_in]}
        flash(request, _("Saved. Times are shown in %(zone)s, the pages in %(language)s.") % shown)
        return RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)

    return [
        Route("/preferences", preferences, methods=["GET"]),
        Route("/preferences", save, methods=["POST"]),
    ]
