"""Cancel, unschedule and publish now, from a draft's page, each asked first as the pages ask
before what cannot be taken back: ``GET /drafts/{id}/cancel`` (``unschedule``,
``publish-now``) says what will happen to which posts, with the button that does it; its POST
(with the CSRF token) does it through ``drafts.queueing`` and redirects to the draft's page,
which says what happened. A second POST (a reload, a double click, the back button) changes
nothing and says so; a refusal is shown on the asking page with the service's own words.

Publishing now is no way around the queue: the posts become due and the daemon sends them,
each once, as it sends every due post.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.authoring import draft_posts, get_draft
from drafts.errors import TidingsError
from drafts.lifecycle import DraftStatus, require_action
from drafts.models import Draft, Post
from drafts.queueing import all_due, cancel_draft, publish_now, unschedule_draft
from drafts.times import utcnow
from drafts.users import Capability, require
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.pages import flash
from tidings.web.sentences import teller
from tidings.web.translations import N_

ACTIONS = ("cancel", "unschedule", "publish-now")
DONE = {
    "cancel": N_("Draft %(id)s cancelled: its posts not yet published will not be."),
    "unschedule": N_(
        "Draft %(id)s unscheduled: it is approved again and none of its posts is due."
    ),
    "publish-now": N_("Draft %(id)s is due now: the daemon publishes each of its posts once."),
}
ALREADY = {
    "cancel": N_("Draft %(id)s was already cancelled; nothing changed."),
    "unschedule": N_("Draft %(id)s is not scheduled; nothing changed."),
    "publish-now": N_("Draft %(id)s is already due; nothing changed."),
}


def already(action: str, draft: Draft, posts: list[Post], now: datetime) -> bool:
    """Whether ``action`` was done already: doing it again would change nothing."""
    if action == "cancel":
        return draft.status == DraftStatus.CANCELLED
    if action == "unschedule":
        return draft.status == DraftStatus.APPROVED
    return all_due(draft, posts, now)


def asked(web: WebContext, viewer: Viewer, draft_id: int, action: str) -> tuple[Draft, list[Post]]:
    """The draft and its posts, for the page that asks; ``TidingsError`` (the services' words)
    when the viewer may not take ``action`` or the draft is past it."""
    require(viewer.user, Capability.QUEUE)
    with web.database.reading() as session:
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
    if not already(action, draft, posts, utcnow()):
        require_action(draft_id, draft.status, "schedule" if action == "publish-now" else action)
    return draft, posts


def carry_out(web: WebContext, viewer: Viewer, draft_id: int, action: str) -> bool:
    """Take ``action`` on the draft, as the viewer; False if it was done already (nothing
    changed)."""
    now = utcnow()
    with web.database.writing() as session:
        user = viewer.acting(session)
        require(user, Capability.QUEUE)
        draft = get_draft(session, draft_id)
        if action == "publish-now":
            made_due = publish_now(
                session, draft_id=draft_id, actor=user, config=web.config, now=now
            )
            return made_due is not None
        if already(action, draft, [], now):  # cancelled or unscheduled: the status says
            return False
        if action == "cancel":
            cancel_draft(session, draft_id=draft_id, actor=user)
        else:
            unschedule_draft(session, draft_id=draft_id, actor=user)
        return True


def routes(web: WebContext) -> list[Route]:
    def action_of(request: Request) -> tuple[int, str]:
        return request.path_params["draft_id"], request.url.path.rsplit("/", 1)[1]

    async def ask(request: Request, *, error: TidingsError | None = None) -> Response:
        draft_id, action = action_of(request)
        viewer: Viewer = request.state.viewer
        draft, posts = await off_loop(asked, web, viewer, draft_id, action)
        if error is None and already(action, draft, posts, utcnow()):
            return done(request, draft_id, ALREADY[action])
        return web.pages.render(
            request,
            "draft_confirm.html",
            status=status_for(error) if error is not None else 200,
            action=action,
            draft=draft,
            posts=posts,
            error=teller(request, web.pages.gettext(request))(error.message) if error else None,
        )

    async def act(request: Request) -> Response:
        draft_id, action = action_of(request)
        viewer: Viewer = request.state.viewer
        try:
            changed = await off_loop(carry_out, web, viewer, draft_id, action)
        except TidingsError as error:
            return await ask(request, error=error)
        return done(request, draft_id, (DONE if changed else ALREADY)[action])

    def done(request: Request, draft_id: int, message: str) -> Response:
        flash(request, web.pages.gettext(request)(message) % {"id": draft_id})
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    return [
        route
        for action in ACTIONS
        for route in (
            Route(f"/drafts/{{draft_id:int}}/{action}", ask, methods=["GET"]),
            Route(f"/drafts/{{draft_id:int}}/{action}", act, methods=["POST"]),
        )
    ]
