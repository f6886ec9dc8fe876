"""Error pages: a refusal a user can act on is one clear line with the status that says why;
anything else is a bug, logged, and shown as a plain page without a traceback.

Titles, the web layer's own messages and a service's refusal (``TidingsError``, its message as
the service made it: ``sentences``) are shown in the viewer's language.

    NotFoundError → 404    StaleReview → 409    ReviewError (role or workflow) → 403
    other TidingsError → 400
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafts.errors import NotFoundError, ReviewError, TidingsError
from drafts.review import StaleReview
from tidings.web.pages import Pages
from tidings.web.sentences import teller
from tidings.web.translations import N_

log = logging.getLogger("tidings.web")

TITLES = {
    400: N_("This request cannot be carried out"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Changed in the meantime"),
    413: N_("Too large"),
    500: N_("Something went wrong"),
}
UNTITLED = N_("Error")
HTTP_MESSAGES = {
    404: N_("There is no page here."),
    405: N_("This page does not take that request."),
}
INTERNAL_ERROR = N_("Tidings hit an internal error; it has been logged.")


def status_for(error: TidingsError) -> int:
    """The HTTP status that says why an action was refused."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, StaleReview):
        return 409
    if isinstance(error, ReviewError):
        return 403
    return 400


def error_page(pages: Pages, request: Request, status: int, message: str) -> Response:
    """The error page for ``status``, its title translated; ``message`` is shown as given."""
    title = pages.gettext(request)(TITLES.get(status, UNTITLED))
    return pages.render(request, "error.html", status=status, title=title, message=message)


def error_app(pages: Pages, status: int, message: str) -> ASGIApp:
    """An ASGI app that answers every request with this error page (for middleware);
    ``message`` is an English source string (marked with ``N_``), translated per request."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_page(pages, request, status, pages.gettext(request)(message))
        await response(scope, receive, send)

    return answer


def error_handlers(pages: Pages) -> dict[Any, Any]:
    """Starlette exception handlers for user errors and HTTP errors (bugs: ``InternalErrors``)."""

    async def user_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, TidingsError)
        return error_page(
            pages,
            request,
            status_for(error),
            teller(request, pages.gettext(request))(error.message),
        )

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        known = HTTP_MESSAGES.get(error.status_code)
        text = pages.gettext(request)(known) if known is not None else str(error.detail)
        response = error_page(pages, request, error.status_code, text)
        response.headers.update(error.headers or {})
        return response

    return {TidingsError: user_error, HTTPException: http_error}


class InternalErrors:
    """Answers a bug with the 500 page, logged, and keeps the connection.

    Starlette's own handler for ``Exception`` answers and then raises the error again for the
    server, and uvicorn closes the connection of a request that raised. An error after the
    response began (half a page is out) is left to the server, which can only cut it short.
    """

    def __init__(self, app: ASGIApp, *, pages: Pages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started:
                raise
            request = Request(scope)
            log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
            message = self.pages.gettext(request)(INTERNAL_ERROR)
            await error_page(self.pages, request, 500, message)(scope, receive, send)
