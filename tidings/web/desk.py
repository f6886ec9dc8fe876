"""The desk, everyone's home page: for those who review, the review inbox on top (the
longest-waiting ``INBOX_ON_DESK`` drafts, the rest on the inbox page); then the viewer's own
drafts by what happens next (``drafts.desk``), ``ON_DESK`` of each group, newest first.
``/?group=<name>`` pages through one group, ``PAGE_SIZE`` a page, each after the last one's
last draft (``?after=``, ``tidings.web.paging``).

One read transaction a page: the inbox's three queries (for reviewers) and the desk's nine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.desk import Desk, DeskGroup, Group, author_desk, desk_group
from drafts.inbox import InboxPage, review_inbox
from drafts.keyset import CursorError
from drafts.storage import Database
from drafts.times import utcnow
from tidings.web import paging
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop
from tidings.web.outcomes import web_address
from tidings.web.translations import N_
from tidings.web.vocabulary import translated

INBOX_ON_DESK = 10
ON_DESK = 10
PAGE_SIZE = 50

GROUP_WORDS: dict[str, str] = {
    Group.DRAFT: N_("Being written"),
    Group.CHANGES_REQUESTED: N_("Changes requested"),
    Group.IN_REVIEW: N_("In review"),
    Group.APPROVED: N_("Approved, not yet scheduled"),
    Group.SCHEDULED: N_("Scheduled"),
    Group.PUBLISHED: N_("Published in the last 7 days"),
    Group.ATTENTION: N_("Needing attention"),
}


@dataclass(frozen=True)
class DeskView:
    inbox: InboxPage | None  # None for those who do not review
    desk: Desk


def load_desk(database: Database, viewer: Viewer, now: datetime) -> DeskView:
    """The inbox's first drafts (for reviewers and admins) and the viewer's desk."""
    with database.reading() as session:
        inbox = review_inbox(session, after=None, size=INBOX_ON_DESK) if viewer.may_review else None
        desk = author_desk(session, author_id=viewer.id, now=now, limit=ON_DESK)
    return DeskView(inbox=inbox, desk=desk)


def load_group(
    database: Database, viewer: Viewer, group: Group, now: datetime, after: str | None
) -> DeskGroup:
    """A page of one group of the viewer's drafts, after the place ``after`` names."""
    with database.reading() as session:
        return desk_group(
            session, author_id=viewer.id, group=group, now=now, after=after, size=PAGE_SIZE
        )


def routes(web: WebContext) -> list[Route]:
    async def desk(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        words = translated(GROUP_WORDS, web.pages.gettext(request))
        asked = request.query_params.get("group", "")
        if asked in GROUP_WORDS:
            after = paging.asked_after(request)
            try:
                group = await off_loop(
                    load_group, web.database, viewer, Group(asked), utcnow(), after
                )
            except CursorError:
                return paging.to_first_page(request, web.pages.gettext(request))
            return web.pages.render(
                request,
                "desk.html",
                view=None,
                group=group,
                pager=paging.pager(request, group.after),
                words=words,
                link=web_address,
            )
        view = await off_loop(load_desk, web.database, viewer, utcnow())
        return web.pages.render(
            request, "desk.html", view=view, group=None, words=words, link=web_address
        )

    return [Route("/", desk, methods=["GET"])]
