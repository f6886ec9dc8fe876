"""No NUL reaches a route: a query or a form holding one is refused with 400, naming the field.

PostgreSQL cannot store NUL in text, and no field of ours means one: refused here, before any
route reads the request, it cannot become a database error in a login, a comment or a user's
name. Other control characters are the services' to judge (a draft file refuses them by key).
A URL-encoded body, already read and capped by ``csrf``, is replayed to the app unchanged; a
multipart one's text fields are those ``csrf`` read (``TEXT_FIELDS``). Other bodies carry no
form (``csrf`` refuses them without a header).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.api.errors import body as api_error
from tidings.web.csrf import API_PREFIX, SAFE_METHODS, TEXT_FIELDS, is_form, read_body, replay
from tidings.web.error_pages import error_page
from tidings.web.pages import Pages
from tidings.web.translations import N_

HOLDS_NUL = N_("%(field)s: holds a NUL character")


class RefuseNul:
    """Answers 400 to a request whose query or form holds NUL in a name or value."""

    def __init__(self, app: ASGIApp, *, pages: Pages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] not in SAFE_METHODS and is_form(scope):
            body = await read_body(receive) or b""
            receive = replay(body, receive)
        field = (
            _field_with_nul(scope["query_string"])
            or _field_with_nul(body)
            or _named_with_nul(scope.get(TEXT_FIELDS, ()))
        )
        if field is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if request.url.path.startswith(API_PREFIX):  # the API's callers read JSON
            answer = api_error(HOLDS_NUL % {"field": field}, field)
            await JSONResponse(answer, 400)(scope, receive, send)
            return
        message = self.pages.gettext(request)(HOLDS_NUL) % {"field": field}
        await error_page(self.pages, request, 400, message)(scope, receive, send)


def _field_with_nul(encoded: bytes) -> str | None:
    """The name of the first field holding NUL (shown with it as ``\\x00``), if any."""
    if b"%00" not in encoded and b"\0" not in encoded:
        return None
    return _named_with_nul(parse_qsl(encoded.decode("utf-8", "replace"), keep_blank_values=True))


def _named_with_nul(pairs: Iterable[tuple[str, str]]) -> str | None:
    for name, value in pairs:
        if "\0" in name or "\0" in value:
            return name.replace("\0", "\\x00")
    return None
