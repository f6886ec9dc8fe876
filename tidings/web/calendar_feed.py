"""The calendar feed over HTTP, and the viewer's feed link.

``GET /calendar.ics?token=…`` needs no login: the token is the credential a calendar program
holds (``drafts.feed_tokens``). A wrong, old or missing token is the same 404 as any page that
is not there, so the address tells nothing about which tokens exist. The feed is private to its
token and changes as posts move: it is never kept by a cache.

``POST /preferences/calendar-feed`` makes the viewer a new link, ending the old one, and shows
it once: only its hash is kept. The token never reaches a log: uvicorn's access log writes each
request's path with its query, so the feed's token is blotted out there (``HideFeedTokens``).
"""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.calendar_feed import calendar_ics
from drafts.config import Config
from drafts.feed_tokens import FEED_PATH, feed_url, feed_user, has_feed_token, new_feed_token
from drafts.storage import Database
from drafts.times import utcnow
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop

ACCESS_LOG = "uvicorn.access"
_TOKEN_IN_PATH = re.compile(r"(/calendar\.ics\?(?:[^\s#]*&)?token=)[^&#\s]*")
CALENDAR_TYPE = "text/calendar; charset=utf-8"
FEED_HEADERS = {
    "Cache-Control": "private, no-store",
    "Content-Disposition": 'inline; filename="tidings.ics"',
}


class HideFeedTokens(logging.Filter):
    """Blots out a feed token in a logged request line (uvicorn's access log passes the path
    with its query as an argument of the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1…", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def hide_feed_tokens(logger: logging.Logger) -> None:
    if not any(isinstance(f, HideFeedTokens) for f in logger.filters):
        logger.addFilter(HideFeedTokens())


def fed_calendar(database: Database, config: Config, token: str) -> bytes | None:
    """The calendar for ``token``, or None when it is no user's."""
    with database.reading() as session:
        if feed_user(session, token) is None:
            return None
        return calendar_ics(session, config=config, now=utcnow())


def renew_feed_token(database: Database, viewer: Viewer) -> str:
    with database.writing() as session:
        return new_feed_token(session, name=viewer.name, actor=viewer.acting(session))


def feed_link_made(database: Database, viewer: Viewer) -> bool:
    """Whether the viewer has a feed link (for the preferences page)."""
    with database.reading() as session:
        return has_feed_token(session, user_id=viewer.id)


def routes(web: WebContext) -> list[Route]:
    hide_feed_tokens(logging.getLogger(ACCESS_LOG))

    async def calendar(request: Request) -> Response:
        token = request.query_params.get("token", "")
        body = await off_loop(fed_calendar, web.database, web.config, token)
        if body is None:
            raise HTTPException(404)
        return Response(body, media_type=CALENDAR_TYPE, headers=FEED_HEADERS)

    async def renew(request: Request) -> Response:
        token = await off_loop(renew_feed_token, web.database, request.state.viewer)
        origin = str(request.base_url)
        link = feed_url(web.config, token, origin=origin)
        return web.pages.render(request, "calendar_feed.html", link=link)

    return [
        Route(FEED_PATH, calendar, methods=["GET"]),
        Route("/preferences/calendar-feed", renew, methods=["POST"]),
    ]
