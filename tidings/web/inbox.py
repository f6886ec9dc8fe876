"""The review inbox page: ``drafts.inbox``'s drafts waiting for review, ``PAGE_SIZE`` a page.
The desk (``desk``) shows the first of them; this page has them all."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.inbox import InboxPage, review_inbox
from drafts.storage import Database
from tidings.web.context import WebContext, off_loop

PAGE_SIZE = 50


def load_inbox(database: Database, page: int = 1) -> InboxPage:
    """Page ``page`` (from 1; clamped to the last) of the drafts in review, oldest first."""
    with database.reading() as session:
        return review_inbox(session, page=page, size=PAGE_SIZE)


def routes(web: WebContext) -> list[Route]:
    async def inbox(request: Request) -> Response:
        try:
            asked = int(request.query_params.get("page", "1"))
        except ValueError:
            asked = 1
        page = await off_loop(load_inbox, web.database, asked)
        return web.pages.render(request, "inbox.html", inbox=page)

    return [Route("/inbox", inbox, methods=["GET"])]
