"""Error pages: a refusal a user can act on is one clear line with the status that says why;
anything else is a bug, logged, and shown as a plain page without a traceback.

    NotFoundError → 404    ReviewError (role or workflow) → 403    other TidingsError → 400
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from drafts.errors import NotFoundError, ReviewError, TidingsError
from tidings.web.pages import Pages

log = logging.getLogger("tidings.web")

TITLES = {
    400: "This request cannot be carried out",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    500: "Something went wrong",
}
HTTP_MESSAGES = {404: "There is no page here.", 405: "This page does not take that request."}


def status_for(error: TidingsError) -> int:
    """The HTTP status that says why an action was refused."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ReviewError):
        return 403
    return 400


def error_page(pages: Pages, request: Request, status: int, message: str) -> Response:
    return pages.render(
        request, "error.html", status=status, title=TITLES.get(status, "Error"), message=message
    )


def error_app(pages: Pages, status: int, message: str) -> ASGIApp:
    """An ASGI app that answers every request with this error page (for middleware)."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_page(pages, Request(scope, receive), status, message)
        await response(scope, receive, send)

    return answer


def error_handlers(pages: Pages) -> dict[Any, Any]:
    """Starlette exception handlers for user errors, HTTP errors and bugs."""

    async def user_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, TidingsError)
        return error_page(pages, request, status_for(error), str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        text = HTTP_MESSAGES.get(error.status_code, str(error.detail))
        response = error_page(pages, request, error.status_code, text)
        response.headers.update(error.headers or {})
        return response

    async def bug(request: Request, error: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
        return error_page(pages, request, 500, "Tidings hit an internal error; it has been logged.")

    return {TidingsError: user_error, HTTPException: http_error, Exception: bug}
