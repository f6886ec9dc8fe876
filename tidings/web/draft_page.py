"""One draft's page (every post as its platform will show it) and what is done there: the review
decisions, submitting the draft, scheduling it (at a time or in each channel's next free slot),
skipping one occurrence of a repeating draft (``series_view`` shows its occurrences).
The page offers the viewer the actions they may take, and only those (``draft_actions``);
cancelling, unscheduling and publishing now ask first (``queue_actions``). Each action goes
through its service (``drafts.review``, ``drafts.queueing``), which checks the role and the
workflow; a refusal is shown on the page with the service's own words, never as a traceback.
Every action's POST redirects to the page (post/redirect/get); a repeated one changes nothing.

A post whose channel cannot send it when it is due (not connected, a token ending first, a
scope missing: ``drafts.credential_problems``) says so on its card, with the way to the
Channels page for admins. It is a warning: the draft can still be submitted and approved.

What the page says (flashes, history words, the post cards' units, credential problems, the
services' refusals) is in the viewer's language and timezone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.audit import history
from drafts.authoring import draft_posts, get_draft
from drafts.changes import Changes, PostChange, changes_since_review, changes_since_seen
from drafts.credential_problems import CredentialCheck
from drafts.errors import ScheduleError, TidingsError
from drafts.learned_limits import learned_limits
from drafts.lifecycle import DraftStatus, PostStatus
from drafts.media_limits import learned_media_limits
from drafts.messages import (
    APPROVAL_RECORDED,
    APPROVED_AND_SCHEDULED,
    SENT_BACK,
    Problem,
    problem,
    reason_of,
)
from drafts.models import AuditEntry, Draft
from drafts.post_media import images_by_post
from drafts.queueing import Scheduled, ScheduleRequest, schedule_draft, skip_occurrence
from drafts.recurrence import occurrences
from drafts.review import (
    NEED_COMMENT,
    Decision,
    StaleReview,
    approvals_of,
    approve,
    contributors,
    request_changes,
    submit,
)
from drafts.review_comments import ReviewComment, latest_comments
from drafts.times import parse_time, show, utcnow
from drafts.users import name_of
from scheduler.connections import connections
from tidings.web import queue_actions
from tidings.web.auth import Viewer
from tidings.web.compose_form import local_input
from tidings.web.context import WebContext, off_loop
from tidings.web.draft_actions import DraftActions, draft_actions, slotless_channels
from tidings.web.error_pages import status_for
from tidings.web.pages import UI_LANGUAGE, flash
from tidings.web.post_cards import PostCard, channel_texts_of, credential_line, post_card
from tidings.web.sentences import Teller, field_problems, teller
from tidings.web.series_view import SeriesView, series_view
from tidings.web.translations import N_
from tidings.web.vocabulary import ACTION_WORDS, translated

NEED_TIME = N_("give a time, or choose each channel's next free slot")
NOT_A_DAY = N_("%(value)s is not a date such as 2027-03-22")
SKIPPED = N_("Draft %(id)s: the occurrence on %(day)s is skipped; the rest of the series goes on.")
ALREADY_SKIPPED = N_(
    "Draft %(id)s: the occurrence on %(day)s was already skipped; nothing changed."
)
SUBMITTED = N_("Draft %(id)s sent to review.")
ALREADY_SUBMITTED = N_("Draft %(id)s is already in review; nothing changed.")
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class DraftView:
    draft: Draft
    author: str
    approvals: int
    required: int
    cards: tuple[PostCard, ...]
    history: tuple[AuditEntry, ...]
    changes: Changes | None
    # After a stale approval: what changed since the reviewer opened the page (None if unknown).
    since_opened: tuple[PostChange, ...] | None = None
    # What the reviewers said in the latest review round (a request for changes, approvals).
    comments: tuple[ReviewComment, ...] = ()
    actions: DraftActions = field(default_factory=DraftActions)
    # A repeating draft's rule in words and its occurrences, each with its posts' cards.
    series: SeriesView | None = None
    # Its channels without slots in config.toml: no next free slot is offered.
    slotless: tuple[str, ...] = ()

    @property
    def cards_by_post(self) -> dict[int, PostCard]:
        """Each post's card by the post's id: which post an entry of the history is of."""
        return {card.id: card for card in self.cards}


def load_draft(
    web: WebContext,
    draft_id: int,
    gettext: Gettext,
    viewer: Viewer,
    seen: str | None = None,
    language: str = UI_LANGUAGE,
) -> DraftView:
    """The draft, its posts as cards with their images and their channels' credential
    problems (in ``gettext``'s language, times in the viewer's zone), what the viewer may do
    with it, its approvals, its history, what
    its reviewers said last and what changed since the last review decision (NotFoundError if
    none); with ``seen``, also
    what changed since the draft had that content hash."""
    with web.database.reading() as session:
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
        images = images_by_post(session, [post.id for post in posts if post.id is not None])
        approvals = approvals_of(session, draft)
        learned = learned_limits(session)
        media_limits = learned_media_limits(session)
        author = name_of(session, draft.author_id)
        entries = history(session, draft_id=draft_id)
        changes = changes_since_review(session, draft, posts)
        since_opened = changes_since_seen(session, draft, posts, seen) if seen else None
        comments = latest_comments(session, draft_id=draft_id)
        wrote_it = viewer.name in contributors(session, draft)
        check = CredentialCheck(web.config, connections(session), os.environ, utcnow())
    own_texts = channel_texts_of(draft.source)
    zone = web.config.zone
    series = occurrences(draft.repeat, draft.publish_at, zone) if draft.repeat else ()
    cards = tuple(
        post_card(
            post,
            web.config,
            learned,
            gettext=gettext,
            images=images.get(post.id or 0, ()),
            media_limits=media_limits,
            credential_problem=credential_line(
                check.post_problem(post, draft), gettext, viewer.zone
            ),
            own_texts=own_texts,
            series=series,
        )
        for post in posts
    )
    now = utcnow()
    slotless = slotless_channels(posts, web.config)
    actions = draft_actions(
        viewer,
        draft,
        posts,
        wrote_it=wrote_it or draft.author_id == viewer.id,
        self_approval=web.config.review.allow_self_approval,
        now=now,
        slotless=slotless,
    )
    return DraftView(
        draft=draft,
        author=author,
        approvals=approvals,
        required=web.config.review.required_approvals,
        cards=cards,
        history=tuple(entries),
        changes=changes,
        since_opened=since_opened,
        comments=comments,
        actions=actions,
        slotless=slotless,
        series=series_view(
            draft,
            posts,
            cards,
            series,
            may_skip=actions.skip,
            zone=zone,
            now=now,
            language=language,
            gettext=gettext,
        ),
    )


def decide_approve(
    web: WebContext, viewer: Viewer, draft_id: int, comment: str, seen: str
) -> Decision:
    """Approve the content the page showed (its hash ``seen``), never anything newer."""
    with web.database.writing() as session:
        reviewer = viewer.acting(session)
        return approve(
            session,
            draft_id=draft_id,
            reviewer=reviewer,
            comment=comment,
            config=web.config,
            now=utcnow(),
            seen=seen,
        )


def decide_request_changes(web: WebContext, viewer: Viewer, draft_id: int, comment: str) -> Draft:
    with web.database.writing() as session:
        reviewer = viewer.acting(session)
        return request_changes(
            session, draft_id=draft_id, reviewer=reviewer, comment=comment, config=web.config
        )


def send_to_review(web: WebContext, viewer: Viewer, draft_id: int) -> bool:
    """Submit the draft; False, changing nothing, if it is in review already (a second press)."""
    with web.database.writing() as session:
        author = viewer.acting(session)
        if get_draft(session, draft_id).status == DraftStatus.IN_REVIEW:
            return False
        submit(session, draft_id=draft_id, actor=author, config=web.config)
        return True


def schedule_request(when: str, at: str, zone: ZoneInfo, now: datetime) -> ScheduleRequest:
    """The schedule form as a request: each channel's next free slot, or the time typed, read
    in the viewer's ``zone``."""
    if when == "next-slot":
        return ScheduleRequest(next_slot=True)
    if not at.strip():
        raise ScheduleError(problem("at", NEED_TIME))
    try:
        return ScheduleRequest(at=parse_time(at, zone, now))
    except ValueError as error:
        raise ScheduleError(Problem("at", reason_of(error))) from None


def schedule(
    web: WebContext, viewer: Viewer, draft_id: int, request: ScheduleRequest, now: datetime
) -> Scheduled:
    with web.database.writing() as session:
        user = viewer.acting(session)
        return schedule_draft(
            session, draft_id=draft_id, request=request, actor=user, config=web.config, now=now
        )


def skip_day(web: WebContext, viewer: Viewer, draft_id: int, on: str) -> bool:
    """Skip the occurrence of the draft on the day ``on`` names (``2027-03-22``, in the draft's
    zone); False, changing nothing, if every post of it was skipped already (a second press)."""
    try:
        day = date.fromisoformat(on.strip())
    except ValueError:
        raise ScheduleError(problem("on", NOT_A_DAY, value=repr(on))) from None
    with web.database.writing() as session:
        user = viewer.acting(session)
        draft = get_draft(session, draft_id)
        if draft.repeat is not None and draft.publish_at is not None:
            series = occurrences(draft.repeat, draft.publish_at, web.config.zone)
            numbers = {o.number for o in series if o.day(web.config.zone) == day}
            posts = [p for p in draft_posts(session, draft_id) if p.occurrence in numbers]
            if posts and all(post.status == PostStatus.SKIPPED for post in posts):
                return False
        skip_occurrence(session, draft_id=draft_id, day=day, actor=user, config=web.config)
        return True


def beside_the_field(error: TidingsError, tell: Teller) -> str:
    """A refusal of the schedule form, told under its time field: what is wrong with the time
    without the field's name, anything else as said."""
    return "; ".join(line for lines in field_problems(error, tell).values() for line in lines)


def scheduled_message(scheduled: Scheduled, viewer: Viewer, gettext: Gettext) -> str:
    """Where the draft was scheduled, in ``gettext``'s language and the viewer's zone."""
    draft_id, earliest = scheduled.draft.id, scheduled.earliest
    if earliest is None:
        return gettext("Draft %(id)s scheduled.") % {"id": draft_id}
    when = show(earliest, viewer.zone)
    return gettext("Draft %(id)s scheduled from %(when)s.") % {"id": draft_id, "when": when}


def approval_message(decision: Decision, viewer: Viewer, gettext: Gettext) -> str:
    """What an approval came to, in ``gettext``'s language."""
    draft_id = decision.draft.id
    if decision.approvals < decision.required:
        recorded = gettext(APPROVAL_RECORDED)
        counts = {"count": decision.approvals, "required": decision.required}
        return recorded % {**counts, "id": draft_id}
    if decision.scheduled_at is not None:
        when = show(decision.scheduled_at, viewer.zone)
        scheduled = gettext(APPROVED_AND_SCHEDULED)
        return scheduled % {"id": draft_id, "when": when}
    if decision.publish_at_passed:
        passed = gettext(
            "Draft %(id)s approved; its publish time has passed: schedule it on this page."
        )
        return passed % {"id": draft_id}
    return gettext("Draft %(id)s approved.") % {"id": draft_id}


def routes(web: WebContext) -> list[Route]:
    async def page(
        request: Request,
        *,
        error: TidingsError | None = None,
        comment: str = "",
        action: str = "",
        seen: str | None = None,
        schedule_at: str | None = None,
        schedule_error: TidingsError | None = None,
    ) -> Response:
        draft_id: int = request.path_params["draft_id"]
        _ = web.pages.gettext(request)
        viewer: Viewer = request.state.viewer
        language = web.pages.language(request)
        view = await off_loop(load_draft, web, draft_id, _, viewer, seen, language)
        refusal, tell = error or schedule_error, teller(request, _)
        if schedule_at is None:
            schedule_at = local_input(view.draft.publish_at, viewer.zone)
        return web.pages.render(
            request,
            "draft.html",
            status=status_for(refusal) if refusal is not None else 200,
            view=view,
            error=tell(error.message) if error is not None else None,
            comment=comment,
            action=action,
            action_words=translated(ACTION_WORDS, _),
            schedule_at=schedule_at,
            schedule_error=beside_the_field(schedule_error, tell) if schedule_error else None,
        )

    async def show_draft(request: Request) -> Response:
        return await page(request)

    async def approve_draft(request: Request) -> Response:
        draft_id: int = request.path_params["draft_id"]
        form = await request.form()
        comment, seen = str(form.get("comment", "")), str(form.get("seen", ""))
        viewer: Viewer = request.state.viewer
        try:
            decision = await off_loop(decide_approve, web, viewer, draft_id, comment, seen)
        except StaleReview as stale:
            return await page(request, error=stale, comment=comment, action="approve", seen=seen)
        except TidingsError as error:
            return await page(request, error=error, comment=comment, action="approve")
        flash(request, approval_message(decision, viewer, web.pages.gettext(request)))
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    async def send_back(request: Request) -> Response:
        draft_id: int = request.path_params["draft_id"]
        comment = str((await request.form()).get("comment", ""))
        viewer: Viewer = request.state.viewer
        _ = web.pages.gettext(request)
        if not comment.strip():
            refusal = TidingsError(problem("comment", NEED_COMMENT))  # the service's words
            return await page(request, error=refusal, comment=comment, action="request-changes")
        try:
            await off_loop(decide_request_changes, web, viewer, draft_id, comment)
        except TidingsError as error:
            return await page(request, error=error, comment=comment, action="request-changes")
        flash(request, _(SENT_BACK) % {"id": draft_id})
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    async def submit_draft(request: Request) -> Response:
        draft_id: int = request.path_params["draft_id"]
        viewer: Viewer = request.state.viewer
        try:
            sent = await off_loop(send_to_review, web, viewer, draft_id)
        except TidingsError as error:
            return await page(request, error=error)
        _ = web.pages.gettext(request)
        flash(request, _(SUBMITTED if sent else ALREADY_SUBMITTED) % {"id": draft_id})
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    async def skip(request: Request) -> Response:
        draft_id: int = request.path_params["draft_id"]
        on = str((await request.form()).get("on", ""))
        try:
            changed = await off_loop(skip_day, web, request.state.viewer, draft_id, on)
        except TidingsError as error:
            return await page(request, error=error)
        _ = web.pages.gettext(request)
        flash(request, _(SKIPPED if changed else ALREADY_SKIPPED) % {"id": draft_id, "day": on})
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    async def schedule_draft_page(request: Request) -> Response:
        draft_id: int = request.path_params["draft_id"]
        form = await request.form()
        when, at = str(form.get("when", "at")), str(form.get("at", ""))
        viewer: Viewer = request.state.viewer
        now = utcnow()
        try:
            wanted = schedule_request(when, at, viewer.zone, now)
            scheduled = await off_loop(schedule, web, viewer, draft_id, wanted, now)
        except TidingsError as error:
            return await page(request, schedule_at=at, schedule_error=error)
        flash(request, scheduled_message(scheduled, viewer, web.pages.gettext(request)))
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    return [
        Route("/drafts/{draft_id:int}", show_draft, methods=["GET"]),
        Route("/drafts/{draft_id:int}/approve", approve_draft, methods=["POST"]),
        Route("/drafts/{draft_id:int}/request-changes", send_back, methods=["POST"]),
        Route("/drafts/{draft_id:int}/submit", submit_draft, methods=["POST"]),
        Route("/drafts/{draft_id:int}/schedule", schedule_draft_page, methods=["POST"]),
        Route("/drafts/{draft_id:int}/skip", skip, methods=["POST"]),
        *queue_actions.routes(web),
    ]
