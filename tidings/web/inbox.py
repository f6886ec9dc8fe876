"""The review inbox page: ``drafts.inbox``'s drafts waiting for review, ``PAGE_SIZE`` a page,
each page after the last one's last draft (``?after=``, ``tidings.web.paging``). The desk
(``desk``) shows the first of them; this page has them all."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.inbox import InboxPage, review_inbox
from drafts.keyset import CursorError
from drafts.storage import Database
from tidings.web import paging
from tidings.web.context import WebContext, off_loop

PAGE_SIZE = 50


def load_inbox(database: Database, after: str | None = None) -> InboxPage:
    """The drafts in review after the place ``after`` names, oldest first, a page of them."""
    with database.reading() as session:
        return review_inbox(session, after=after, size=PAGE_SIZE)


def routes(web: WebContext) -> list[Route]:
    async def inbox(request: Request) -> Response:
        try:
            page = await off_loop(load_inbox, web.database, paging.asked_after(request))
        except CursorError:
            return paging.to_first_page(request, web.pages.gettext(request))
        pager = paging.pager(request, page.after)
        return web.pages.render(request, "inbox.html", inbox=page, pager=pager)

    return [Route("/inbox", inbox, methods=["GET"])]
