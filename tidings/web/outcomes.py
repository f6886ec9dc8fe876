"""Outcomes: what happened to one post (every attempt, in plain words), and what a person does
about a post the daemon could not settle.

``GET /posts/{id}`` shows the post, its draft and channel, its status and reason, its images
as its platform gets them (with the platform's id of each one uploaded), every attempt, and,
for a part of a thread or a first comment, every part of its chain with its status and
address (a part that needs a person is a reply to the part before it). A
post that needs attention (or failed) carries a banner saying what to check and two forms:
mark it published with its address, or retry it. Both go through ``drafts.attention``,
which checks the role and the status. ``GET /attention`` lists every such post, newest first,
``PAGE_SIZE`` a page (``?after=`` the last one's last post: ``tidings.web.paging``).
The post and the list are read by the service (``drafts.attempts.post_record``,
``drafts.attention.attention_list``); this module tells them in words.

What the page says in Python (attempt summaries, history, flashes, the address check) is in
the viewer's language, and so are refusals from ``drafts.attention`` (``sentences``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.attempts import post_record
from drafts.attention import (
    SETTLEABLE,
    AttentionList,
    attention_list,
    mark_published,
    retry_post,
)
from drafts.config import Config
from drafts.errors import NotFoundError, TidingsError
from drafts.keyset import CursorError
from drafts.lifecycle import PostStatus
from drafts.media import PostImage
from drafts.media_limits import image_profile
from drafts.messages import QUEUED_AGAIN
from drafts.models import Attempt, AuditEntry, Post
from drafts.post_media import images_by_post
from drafts.queueing import chain_key, chains_of
from drafts.storage import Database
from drafts.times import show, utcnow
from drafts.users import Capability
from scheduler.platforms.uploads import remote_media_id
from tidings.web import paging
from tidings.web.auth import Viewer
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.media import image_url
from tidings.web.pages import flash
from tidings.web.sentences import error_line
from tidings.web.vocabulary import ACTION_WORDS, translated

PAGE_SIZE = 50  # posts a page of the attention list
Gettext = Callable[[str], str]


def web_address(url: str | None) -> str | None:
    """``url`` if it is a web address to link to (never a ``javascript:`` one)."""
    return url if url is not None and url.startswith(("https://", "http://")) else None


@dataclass(frozen=True)
class AttemptView:
    """One attempt, told in plain words."""

    number: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    summary: str
    http_status: str | None
    duration: str | None
    remote_link: str | None
    remote_id: str | None
    error: str | None


@dataclass(frozen=True)
class SentImage:
    """One image as the post sends it (the version its platform takes), and the platform's id
    for it once uploaded: None before, and where the image goes out within the post's own
    request (Telegram, a webhook, a single Facebook photo)."""

    number: int
    name: str  # the file the draft named, if it named one
    sha256: str
    content_type: str
    width: int
    height: int
    bytes: int
    alt: str
    remote_id: str | None

    @property
    def url(self) -> str:
        return image_url(self.sha256)

    @property
    def kind(self) -> str:
        """``JPEG``, ``PNG``: the format, as people name it."""
        return self.content_type.removeprefix("image/").upper()


def sent_images(images: Sequence[PostImage], state: Mapping[str, str]) -> tuple[SentImage, ...]:
    """``images`` in order, each with the platform's id its post's publish ``state`` keeps."""
    return tuple(
        SentImage(
            number=number,
            name=each.name,
            sha256=each.image.sha256,
            content_type=each.image.content_type,
            width=each.image.width,
            height=each.image.height,
            bytes=each.image.bytes,
            alt=each.alt,
            remote_id=remote_media_id(state, each.image.sha256),
        )
        for number, each in enumerate(images, start=1)
    )


@dataclass(frozen=True)
class PostView:
    post: Post
    draft_title: str
    draft_status: str
    channel_zone: ZoneInfo
    channel_configured: bool
    attempts: tuple[AttemptView, ...]
    history: tuple[AuditEntry, ...]
    images: tuple[SentImage, ...] = ()
    alt_shown: bool = True  # False where the platform shows no alt text (Telegram)
    # Every part of the post's thread and its first comment, this post among them; the post
    # alone for a plain post.
    chain: tuple[Post, ...] = ()

    @property
    def chained(self) -> bool:
        """Whether the post is one of several parts (a thread, or a post and its comment)."""
        return len(self.chain) > 1

    @property
    def settleable(self) -> bool:
        return self.post.status in SETTLEABLE

    @property
    def remote_link(self) -> str | None:
        return web_address(self.post.remote_url)

    @property
    def last_attempt(self) -> AttemptView | None:
        return self.attempts[-1] if self.attempts else None


def http_words(code: int | None) -> str | None:
    """``503 Service Unavailable``; the number alone when it is not a standard one."""
    if code is None:
        return None
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def duration_words(milliseconds: int | None, gettext: Gettext) -> str | None:
    if milliseconds is None:
        return None
    if milliseconds < 1000:
        return gettext("%(milliseconds)s ms") % {"milliseconds": milliseconds}
    return gettext("%(seconds)s s") % {"seconds": f"{milliseconds / 1000:.1f}"}


def attempt_summary(
    attempt: Attempt, post: Post, is_last: bool, zone: ZoneInfo, gettext: Gettext
) -> str:
    """What one attempt came to, as a person would say it (in ``gettext``'s language)."""
    outcome = attempt.outcome
    if outcome is None:
        return gettext("in progress: sent, waiting for the platform's answer")
    if outcome == "published":
        return gettext("published")
    if outcome == "failed":
        return gettext("failed; it will not be tried again by itself")
    retry_due = post.status == PostStatus.RETRYING and post.attempt_at is not None
    when = {"when": show(post.attempt_at, zone) if post.attempt_at is not None else ""}
    if outcome == "retry":
        if not is_last:
            return gettext("did not go through; was tried again (see the next attempt)")
        if retry_due:
            return gettext("did not go through; will try again at %(when)s") % when
        return gettext("did not go through; was to be tried again")
    if outcome == "unknown":
        if not is_last:
            return gettext(
                "no clear answer: it may or may not have been posted; was tried again "
                "(see the next attempt)"
            )
        if retry_due:
            return (
                gettext(
                    "no clear answer: it may or may not have been posted; Tidings asks the "
                    "platform at %(when)s before sending anything again"
                )
                % when
            )
        if post.status == PostStatus.NEEDS_ATTENTION:
            return gettext(
                "no clear answer: it may or may not have been posted, so a person must check"
            )
        return gettext("no clear answer: it may or may not have been posted")
    return outcome


def _attempt_view(
    attempt: Attempt, post: Post, is_last: bool, zone: ZoneInfo, gettext: Gettext
) -> AttemptView:
    return AttemptView(
        number=attempt.number,
        worker=attempt.worker,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        outcome=attempt.outcome,
        summary=attempt_summary(attempt, post, is_last, zone, gettext),
        http_status=http_words(attempt.http_status),
        duration=duration_words(attempt.duration_ms, gettext),
        remote_link=web_address(attempt.remote_url),
        remote_id=attempt.remote_id,
        error=attempt.error,
    )


def load_post(
    database: Database, config: Config, post_id: int, zone: ZoneInfo, gettext: Gettext
) -> PostView:
    """The post, its draft's title, its images, its attempts (first first, told in
    ``gettext``'s language) and its audit entries."""
    with database.reading() as session:
        record = post_record(session, post_id=post_id)
        images = images_by_post(session, [post_id]).get(post_id, [])
        chain = chains_of(session, [record.post])[chain_key(record.post)]
    post, attempts = record.post, record.attempts
    try:
        channel = config.channel(post.channel)
        channel_zone, configured = channel.zone(config.zone), True
        alt_shown = image_profile(channel).shows_alt
    except NotFoundError:
        channel_zone, configured, alt_shown = config.zone, False, True
    views = tuple(
        _attempt_view(attempt, post, number == len(attempts) - 1, zone, gettext)
        for number, attempt in enumerate(attempts)
    )
    return PostView(
        post=post,
        draft_title=record.draft_title,
        draft_status=record.draft_status,
        channel_zone=channel_zone,
        channel_configured=configured,
        attempts=views,
        history=record.history,
        images=sent_images(images, post.publish_state),
        alt_shown=alt_shown,
        chain=tuple(chain),
    )


def load_attention(database: Database, after: str | None) -> AttentionList:
    """A page of the posts that need attention or failed, the most recently changed first,
    after the place ``after`` names."""
    with database.reading() as session:
        return attention_list(session, limit=PAGE_SIZE, after=after)


def settle_published(
    database: Database, viewer: Viewer, post_id: int, url: str, remote_id: str
) -> Post:
    with database.writing() as session:
        actor = viewer.acting(session)
        return mark_published(
            session, post_id=post_id, url=url, actor=actor, now=utcnow(), remote_id=remote_id
        )


def settle_retry(database: Database, viewer: Viewer, post_id: int) -> Post:
    with database.writing() as session:
        actor = viewer.acting(session)
        return retry_post(session, post_id=post_id, actor=actor, now=utcnow())


def routes(web: WebContext) -> list[Route]:
    async def page(
        request: Request,
        *,
        error: str | None = None,
        status: int = 200,
        url: str = "",
        remote_id: str = "",
    ) -> Response:
        post_id: int = request.path_params["post_id"]
        viewer: Viewer = request.state.viewer
        _ = web.pages.gettext(request)
        view = await off_loop(load_post, web.database, web.config, post_id, viewer.zone, _)
        return web.pages.render(
            request,
            "outcomes.html",
            status=status,
            attention=None,
            view=view,
            error=error,
            url=url,
            remote_id=remote_id,
            may_settle=viewer.may(Capability.QUEUE),
            action_words=translated(ACTION_WORDS, _),
        )

    async def show_post(request: Request) -> Response:
        return await page(request)

    async def published(request: Request) -> Response:
        post_id: int = request.path_params["post_id"]
        form = await request.form()
        url = str(form.get("url", "")).strip()
        remote_id = str(form.get("remote_id", ""))
        _ = web.pages.gettext(request)
        viewer = request.state.viewer
        try:
            await off_loop(settle_published, web.database, viewer, post_id, url, remote_id)
        except TidingsError as error:
            line = error_line(error, request, _)
            return await page(
                request, error=line, status=status_for(error), url=url, remote_id=remote_id
            )
        flash(
            request, _("Post %(id)s is marked published at %(url)s.") % {"id": post_id, "url": url}
        )
        return RedirectResponse(f"/posts/{post_id}", status_code=303)

    async def retry(request: Request) -> Response:
        post_id: int = request.path_params["post_id"]
        _ = web.pages.gettext(request)
        try:
            await off_loop(settle_retry, web.database, request.state.viewer, post_id)
        except TidingsError as error:
            return await page(
                request, error=error_line(error, request, _), status=status_for(error)
            )
        flash(request, _(QUEUED_AGAIN) % {"id": post_id})
        return RedirectResponse(f"/posts/{post_id}", status_code=303)

    async def attention(request: Request) -> Response:
        try:
            listed = await off_loop(load_attention, web.database, paging.asked_after(request))
        except CursorError:
            return paging.to_first_page(request, web.pages.gettext(request))
        pager = paging.pager(request, listed.after)
        return web.pages.render(request, "outcomes.html", attention=listed, pager=pager)

    return [
        Route("/posts/{post_id:int}", show_post, methods=["GET"]),
        Route("/posts/{post_id:int}/mark-published", published, methods=["POST"]),
        Route("/posts/{post_id:int}/retry", retry, methods=["POST"]),
        Route("/attention", attention, methods=["GET"]),
    ]
