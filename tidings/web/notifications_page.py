"""The notifications page, for admins: the latest deliveries newest first (the event in words,
to whom, status, tries, the last error, when sent), only the given-up ones with ``?failed=1``,
``PAGE_SIZE`` a page (``?after=`` the last one's last delivery: ``tidings.web.paging``),
and a button that puts a given-up one back in the outbox (``POST /notifications/retry``, CSRF as
every form), as ``tidings notifications`` and ``tidings notifications retry`` do.

Both check the role first (``Capability.NOTIFICATIONS``), so any other role gets the 403 page:
a delivery's last error and its recipients are the operators' business. A refused retry shows
the page again with its one line, and changes nothing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.errors import TidingsError
from drafts.keyset import CursorError, Page, paged
from drafts.notification_events import Event
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Capability, require
from scheduler.notifications.deliveries import DeliveryLine, recent_deliveries, retry_delivery
from tidings.web import paging
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.pages import flash
from tidings.web.preferences import EVENT_WORDS
from tidings.web.sentences import error_line
from tidings.web.translations import N_

PAGE_SIZE = 50  # deliveries a page
STATUS_WORDS = {"pending": N_("waiting to be sent"), "sent": N_("sent"), "failed": N_("given up")}
RETRIED = N_("Notification %(id)s is waiting to be sent again.")
PUBLISHED = N_("A post was published")  # told only to event hooks


def load(database: Database, failed_only: bool, after: str | None) -> Page[DeliveryLine]:
    """A page of the deliveries after the place ``after`` names, newest first."""
    with database.reading() as session:
        rows = recent_deliveries(session, failed_only=failed_only, limit=PAGE_SIZE + 1, after=after)
    return paged(rows, PAGE_SIZE, lambda line: (line.created_at, line.id))


def retry(database: Database, delivery_id: int) -> DeliveryLine:
    with database.writing() as session:
        return retry_delivery(session, delivery_id, now=utcnow())


def routes(web: WebContext) -> list[Route]:
    async def page(request: Request, *, error: TidingsError | None = None) -> Response:
        require(request.state.viewer.user, Capability.NOTIFICATIONS)
        failed_only = request.query_params.get("failed") == "1"
        try:
            deliveries = await off_loop(
                load, web.database, failed_only, paging.asked_after(request)
            )
        except CursorError:
            return paging.to_first_page(request, web.pages.gettext(request))
        gettext = web.pages.gettext(request)
        return web.pages.render(
            request,
            "notifications.html",
            status=status_for(error) if error is not None else 200,
            deliveries=deliveries.rows,
            pager=paging.pager(request, deliveries.after),
            failed_only=failed_only,
            event_words={event.value: words for event, words in EVENT_WORDS.items()}
            | {Event.POST_PUBLISHED.value: PUBLISHED},
            status_words=STATUS_WORDS,
            error=error_line(error, request, gettext) if error is not None else None,
        )

    async def notifications(request: Request) -> Response:
        return await page(request)

    async def retried(request: Request) -> Response:
        require(request.state.viewer.user, Capability.NOTIFICATIONS)
        form = await request.form()
        typed = str(form.get("id", ""))
        try:
            line = await off_loop(retry, web.database, int(typed) if typed.isdigit() else 0)
        except TidingsError as error:
            return await page(request, error=error)
        flash(request, web.pages.gettext(request)(RETRIED) % {"id": line.id})
        return RedirectResponse("/notifications?failed=1", status_code=303)

    return [
        Route("/notifications", notifications, methods=["GET"]),
        Route("/notifications/retry", retried, methods=["POST"]),
    ]
