"""Errors as the API answers them: ``{"error": {"field": …, "message": …}}`` with the status
that says what kind they are, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from drafts.errors import (
    ConfigError,
    DraftError,
    NotFoundError,
    ReviewError,
    ScheduleError,
    StorageError,
    StorageUnavailable,
    TidingsError,
)
from drafts.keyset import CursorError
from drafts.messages import Problem, Problems
from drafts.review import StaleReview
from drafts.validation import explain

log = logging.getLogger("tidings.api")

# The most specific class first: a StaleReview is a ReviewError, a CursorError a TidingsError.
STATUSES: tuple[tuple[type[TidingsError], int], ...] = (
    (StaleReview, 409),
    (CursorError, 400),
    (NotFoundError, 404),
    (DraftError, 422),
    (ScheduleError, 422),
    (ReviewError, 409),
    (StorageUnavailable, 503),
    (StorageError, 500),
    (ConfigError, 500),
)


class ErrorDetail(BaseModel):
    field: str | None = Field(description="The field at fault, as the request named it.")
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


# Every answer a route may give besides its own, in the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "A query the API cannot read (a cursor it did not make)"),
        (401, "No token, or a wrong, revoked or expired one"),
        (403, "The token's scopes or its user's role do not allow it"),
        (404, "No such draft or post"),
        (409, "The draft's state does not allow it, or it changed since it was read"),
        (422, "A field is missing or wrong"),
    )
}


class Refused(Exception):
    """A request the API refuses before any service function runs (no token, a scope)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def body(message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"field": field, "message": message}}


def field_of(error: TidingsError) -> str | None:
    """The field a problem is at: the first one's, for several."""
    made = error.message
    if isinstance(made, Problems) and made.items and isinstance(made.items[0], Problem):
        return made.items[0].field or None
    if isinstance(made, Problem):
        return made.field or None
    return None


def install(api: FastAPI) -> None:
    """Every error handler the API needs."""

    @api.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(body(error.message, error.field), error.status, headers=headers)

    @api.exception_handler(TidingsError)
    async def tidings_error(_: Request, error: TidingsError) -> JSONResponse:
        status = next((code for kind, code in STATUSES if isinstance(error, kind)), 400)
        if status >= 500:
            log.error("api: %s", error)
        return JSONResponse(body(str(error), field_of(error)), status)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = [
            str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(where) or None
        return JSONResponse(body(str(explain(first)), field), 422)

    @api.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(body(str(error.detail)), error.status_code)

    @api.exception_handler(Exception)
    async def bug(_: Request, error: Exception) -> JSONResponse:
        log.exception("api: a bug answered 500")
        return JSONResponse(body("internal error: the server log has the details"), 500)
