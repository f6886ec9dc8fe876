"""Compose: authors write and edit drafts, preview every post, submit and schedule.

The form becomes a draft file (``compose_form``) that goes through ``read_draft_file`` and then
``add_draft`` or ``edit_draft``: the path ``tidings draft add`` takes, with its checks and its
messages. A refusal shows the form again with what was typed and the one-line reason; roles
are checked by the services (``drafts.users.require``), never from the page.

One form, several buttons (``action``): ``refresh`` shows the fields of the chosen template,
``preview`` renders every post without saving, ``save`` stores the draft, ``submit`` stores it
and sends it to review. An approved draft is scheduled from its edit page.

As the author types, htmx posts the form to ``/compose/preview``, which answers with the
previews alone (every post's card, its counts against its platform's limits, its problems):
the same composing as the Preview button, without a page load.

What the page says in Python (flashes, notes, the post cards' units) is in the viewer's
language; the services' refusals stay as made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.composing import compose
from drafts.draft_file import KINDS, DraftContent, read_draft_file
from drafts.errors import DraftError, NotFoundError, ScheduleError, TidingsError
from drafts.learned_limits import learned_limits
from drafts.lifecycle import DraftStatus
from drafts.messages import DRAFT_ADDED
from drafts.models import Draft, Post
from drafts.queueing import Scheduled, ScheduleRequest, schedule_draft
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.template_fields import FieldKind, TemplateField, template_fields
from drafts.times import parse_time, show, utcnow
from drafts.users import Capability, require
from tidings.web.auth import Viewer
from tidings.web.compose_form import ComposeForm, draft_source, field_kind, local_input
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.pages import flash, isolated
from tidings.web.post_cards import PostCard, post_card
from tidings.web.translations import N_
from tidings.web.vocabulary import DRAFT_STATUS_WORDS

FILE_NAME = "form"  # how read_draft_file names the draft in its messages; not shown
ACTIONS = ("refresh", "preview", "save", "submit")
SUBMITTABLE = frozenset({DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED})
SCHEDULABLE = frozenset({DraftStatus.APPROVED, DraftStatus.SCHEDULED})
REVIEWED = frozenset({DraftStatus.IN_REVIEW, DraftStatus.APPROVED, DraftStatus.SCHEDULED})
NEED_TIME = N_("at: give a time, or choose each channel's next free slot")
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class ChannelChoice:
    id: str
    platform: str
    languages: tuple[str, ...]
    checked: bool


@dataclass(frozen=True)
class FieldRow:
    """One template field as the form shows it."""

    name: str
    kind: FieldKind
    required: bool | None
    hint: str
    shared: str
    per_language: tuple[tuple[str, str], ...]
    differs: bool


@dataclass(frozen=True)
class PostTiming:
    """When the previewed posts would go out: what ``_post_card.html`` reads from a draft."""

    publish_at: datetime | None
    publish_next_slot: bool


@dataclass(frozen=True)
class Stored:
    """A stored draft and its posts as cards."""

    draft: Draft
    cards: tuple[PostCard, ...]

    @property
    def id(self) -> int:
        assert self.draft.id is not None
        return self.draft.id


@dataclass(frozen=True)
class Saved:
    draft_id: int
    status: str
    message: str


def check_writer(viewer: Viewer) -> None:
    """The service's own role check: a ``ReviewError`` (403) for a role that may not write."""
    require(viewer.user, Capability.WRITE)


def load_stored(web: WebContext, draft_id: int, gettext: Gettext) -> Stored:
    """The draft and its posts' cards, in ``gettext``'s language."""
    with web.database.reading() as session:
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
        learned = learned_limits(session)
    cards = tuple(post_card(post, web.config, learned, gettext=gettext) for post in posts)
    return Stored(draft, cards)


def read_content(
    web: WebContext,
    form: ComposeForm,
    fields: Sequence[TemplateField],
    text_languages: Sequence[str],
    zone: ZoneInfo,
) -> tuple[str, DraftContent]:
    """The form's draft file and its checked content; the messages are the CLI's, without the
    file name (the form has none)."""
    try:
        source = draft_source(form, fields, text_languages, zone)
        return source, read_draft_file(source, FILE_NAME, web.config, utcnow())
    except DraftError as error:
        raise DraftError(str(error).removeprefix(f"{FILE_NAME}: ")) from None


def preview_cards(
    web: WebContext, library: TemplateLibrary, content: DraftContent, gettext: Gettext
) -> tuple[PostCard, ...]:
    """Every post the content yields, as its card (in ``gettext``'s language), without storing
    anything."""
    with web.database.reading() as session:
        learned = learned_limits(session)
    rendered = compose(content, web.config, library, learned)
    return tuple(
        post_card(
            Post(
                id=number,
                draft_id=0,
                variant_id=0,
                channel=post.channel,
                platform=post.platform,
                language=post.language,
                text=post.text,
                length=post.length,
                length_limit=post.limit,
                status="preview",
            ),
            web.config,
            learned,
            gettext=gettext,
        )
        for number, post in enumerate(rendered, start=1)
    )


def save(
    web: WebContext,
    library: TemplateLibrary,
    viewer: Viewer,
    draft_id: int | None,
    content: DraftContent,
    gettext: Gettext,
) -> Saved:
    """Add the draft, or replace a stored draft's content; says what happened as the CLI does,
    in ``gettext``'s language."""
    with web.database.writing() as session:
        user = viewer.acting(session)
        if draft_id is None:
            draft = add_draft(
                session, content=content, author=user, config=web.config, library=library
            )
            assert draft.id is not None
            posts = len(draft_posts(session, draft.id))
            added = gettext(DRAFT_ADDED)
            message = added % {"id": draft.id, "title": isolated(draft.title), "count": posts}
            return Saved(draft.id, draft.status, message)
        outcome = edit_draft(
            session,
            draft_id=draft_id,
            content=content,
            editor=user,
            config=web.config,
            library=library,
        )
        status = outcome.draft.status
    words = {"id": draft_id, "status": gettext(DRAFT_STATUS_WORDS[status])}
    return Saved(draft_id, status, gettext(outcome.message) % words)


def send_to_review(web: WebContext, viewer: Viewer, draft_id: int) -> None:
    with web.database.writing() as session:
        user = viewer.acting(session)
        submit(session, draft_id=draft_id, actor=user, config=web.config)


def schedule_request(
    when: str, at: str, zone: ZoneInfo, now: datetime, gettext: Gettext
) -> ScheduleRequest:
    """The schedule form as a request: each channel's next slot, or a time in ``zone``; a
    missing time is refused in ``gettext``'s language."""
    if when == "next-slot":
        return ScheduleRequest(next_slot=True)
    if not at.strip():
        raise ScheduleError(gettext(NEED_TIME))
    try:
        return ScheduleRequest(at=parse_time(at, zone, now))
    except ValueError as error:
        raise ScheduleError(f"at: {error}") from None


def schedule(
    web: WebContext, viewer: Viewer, draft_id: int, request: ScheduleRequest, now: datetime
) -> Scheduled:
    with web.database.writing() as session:
        user = viewer.acting(session)
        return schedule_draft(
            session, draft_id=draft_id, request=request, actor=user, config=web.config, now=now
        )


def _ordered(*groups: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(item for group in groups for item in group))


class ComposePages:
    """Builds the compose page from a form, whatever happened to it."""

    def __init__(self, web: WebContext, library: TemplateLibrary) -> None:
        self.web = web
        self.library = library

    def all_languages(self) -> list[str]:
        return _ordered(*(channel.languages for channel in self.web.config.channels))

    def offered_languages(self, form: ComposeForm) -> list[str]:
        """The languages the chosen channels take, or every channel's before any is chosen."""
        chosen = [c.languages for c in self.web.config.channels if c.id in form.channels]
        return _ordered(*chosen) or self.all_languages()

    def text_languages(self, form: ComposeForm) -> list[str]:
        typed = [language for language, body in form.text.items() if body.strip()]
        return _ordered(self.offered_languages(form), typed)

    def template_languages(self, form: ComposeForm) -> tuple[list[str], list[str]]:
        """The languages offered for the template, and those checked."""
        try:
            exists_in = self.library.languages(form.template)
        except DraftError:
            exists_in = []
        offered = [tag for tag in self.offered_languages(form) if tag in exists_in] or exists_in
        offered = _ordered(offered, form.languages)
        checked = form.languages if form.template == form.template_shown else offered
        return offered, checked

    def fields(self, form: ComposeForm) -> tuple[TemplateField, ...]:
        return template_fields(self.library, form.template) if form.template else ()

    def render(
        self,
        request: Request,
        form: ComposeForm,
        *,
        stored: Stored | None = None,
        cards: tuple[PostCard, ...] = (),
        timing: PostTiming | Draft | None = None,
        previewed: bool = False,
        source: str | None = None,
        error: TidingsError | None = None,
        nothing_saved: bool = False,
        note: str | None = None,
        schedule_at: str = "",
        schedule_error: TidingsError | None = None,
    ) -> Response:
        config = self.web.config
        offered, checked = self.template_languages(form) if form.template else ([], [])
        if form.template:
            form.languages = checked
        rows = tuple(self._row(form, wanted, offered) for wanted in self.fields(form))
        channels = tuple(
            ChannelChoice(c.id, c.platform, c.languages, c.id in form.channels)
            for c in config.channels
        )
        text_languages = self.text_languages(form)
        failure = error or schedule_error
        status = DraftStatus(stored.draft.status) if stored is not None else None
        zone: ZoneInfo = request.state.viewer.zone
        if stored is not None and not schedule_at:
            schedule_at = local_input(stored.draft.publish_at, zone)
        return self.web.pages.render(
            request,
            "compose.html",
            status=status_for(failure) if failure is not None else 200,
            form=form,
            stored=stored,
            action_url=f"/drafts/{stored.id}/edit" if stored is not None else "/compose",
            kinds=KINDS,
            templates=self.library.kinds(),
            channels=channels,
            template_languages=[(tag, tag in checked) for tag in offered],
            field_rows=rows,
            text_languages=[(tag, form.text.get(tag, "")) for tag in text_languages],
            carried_text=[(tag, body) for tag, body in form.text.items() if body.strip()],
            cards=cards,
            draft=timing,
            previewed=previewed,
            source=source,
            error=str(error) if error is not None else None,
            nothing_saved=nothing_saved,
            note=note,
            may_submit=status is None or status in SUBMITTABLE,
            back_to_review=status in REVIEWED,
            may_schedule=status in SCHEDULABLE,
            schedule_at=schedule_at,
            schedule_error=str(schedule_error) if schedule_error is not None else None,
            zone=zone.key,
        )

    def preview(
        self,
        request: Request,
        *,
        cards: tuple[PostCard, ...] = (),
        timing: PostTiming | None = None,
        error: str | None = None,
        note: str | None = None,
    ) -> Response:
        """The live preview: the posts as typed, or why there are none yet."""
        return self.web.pages.render(
            request,
            "_live_preview.html",
            cards=cards,
            draft=timing,
            previewed=True,
            error=error,
            note=note,
        )

    def _row(self, form: ComposeForm, wanted: TemplateField, languages: list[str]) -> FieldRow:
        typed = form.fields.get(wanted.name)
        per_language = typed.per_language if typed is not None else {}
        return FieldRow(
            name=wanted.name,
            kind=field_kind(wanted.kind, typed),
            required=wanted.required,
            hint=wanted.hint,
            shared=typed.shared if typed is not None else "",
            per_language=tuple(
                (tag, per_language.get(tag, "")) for tag in _ordered(languages, list(per_language))
            ),
            differs=typed.differs if typed is not None else False,
        )


def _posted(data: FormData) -> ComposeForm:
    lists = {
        name: [value for value in data.getlist(name) if isinstance(value, str)]
        for name in ("channel", "language")
    }
    return ComposeForm.posted(data, lists)


def routes(web: WebContext) -> list[Route]:
    library = TemplateLibrary.default(web.config.template_folders)
    pages = ComposePages(web, library)

    async def new_draft(request: Request) -> Response:
        check_writer(request.state.viewer)
        form = ComposeForm()
        asked = request.query_params.get("template", "")
        if asked in library.kinds():
            form.template = form.template_shown = asked
            form.kind = asked if asked in KINDS else form.kind
        return pages.render(request, form)

    async def edit_page(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        _ = web.pages.gettext(request)
        stored = await off_loop(load_stored, web, request.path_params["draft_id"], _)
        form = ComposeForm.of_draft(stored.draft, viewer.zone)
        return pages.render(request, form, stored=stored, cards=stored.cards, timing=stored.draft)

    async def compose_new(request: Request) -> Response:
        return await act(request, None)

    async def compose_edit(request: Request) -> Response:
        return await act(request, request.path_params["draft_id"])

    async def act(request: Request, draft_id: int | None) -> Response:
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        data = await request.form()
        form = _posted(data)
        action = str(data.get("action", "preview"))
        action = action if action in ACTIONS else "preview"
        _ = web.pages.gettext(request)
        stored = await off_loop(load_stored, web, draft_id, _) if draft_id is not None else None

        def again(**shown: Any) -> Response:
            """The form as typed, over the stored draft's posts (if any) unless told otherwise."""
            if stored is not None:
                shown = {"cards": stored.cards, "timing": stored.draft, **shown}
            return pages.render(request, form, stored=stored, **shown)

        if action == "refresh":
            return again()
        if form.template != form.template_shown:  # chosen, but its fields were not shown yet
            if form.template:
                fill_in = _("Fill in the fields of template %(template)s, then preview or save.")
                return again(note=fill_in % {"template": form.template})
            return again(note=_("Fill in the text, then preview or save."))
        try:
            if action == "preview":
                source, cards, timing = await preview_of(form, viewer, _)
                return again(cards=cards, timing=timing, previewed=True, source=source)
            languages = pages.text_languages(form)
            _source, content = read_content(web, form, pages.fields(form), languages, viewer.zone)
            saved = await off_loop(save, web, library, viewer, draft_id, content, _)
        except TidingsError as error:
            return again(error=error, nothing_saved=action != "preview")
        if action == "save" or saved.status not in SUBMITTABLE:
            flash(request, saved.message)
            return RedirectResponse(f"/drafts/{saved.draft_id}/edit", status_code=303)
        try:
            await off_loop(send_to_review, web, viewer, saved.draft_id)
        except TidingsError as error:
            # The draft is saved: the page becomes its edit page, with the reason.
            stored = await off_loop(load_stored, web, saved.draft_id, _)
            not_sent = _("It was not sent to review.")
            return again(error=error, note=f"{saved.message} {not_sent}")
        sent = _("Sent to review.")
        flash(request, f"{saved.message} {sent}")
        return RedirectResponse(f"/drafts/{saved.draft_id}", status_code=303)

    async def live_preview(request: Request) -> Response:
        """The previews alone, for the compose form as typed (htmx asks as the author types)."""
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        form = _posted(await request.form())
        _ = web.pages.gettext(request)
        if form.template != form.template_shown:
            return pages.preview(request, note=_("Fill in the template's fields to see its posts."))
        try:
            _source, cards, timing = await preview_of(form, viewer, _)
        except TidingsError as error:
            return pages.preview(request, error=str(error))
        return pages.preview(request, cards=cards, timing=timing)

    async def preview_of(
        form: ComposeForm, viewer: Viewer, gettext: Gettext
    ) -> tuple[str, tuple[PostCard, ...], PostTiming]:
        """The form's draft file, its posts' cards and their timing, storing nothing."""
        languages = pages.text_languages(form)
        source, content = read_content(web, form, pages.fields(form), languages, viewer.zone)
        cards = await off_loop(preview_cards, web, library, content, gettext)
        return source, cards, PostTiming(content.publish_at, content.publish_next_slot)

    async def schedule_page(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        draft_id: int = request.path_params["draft_id"]
        data = await request.form()
        at = str(data.get("at", ""))
        now = utcnow()
        _ = web.pages.gettext(request)
        try:
            wanted = schedule_request(str(data.get("when", "at")), at, viewer.zone, now, _)
            scheduled = await off_loop(schedule, web, viewer, draft_id, wanted, now)
        except TidingsError as error:
            if isinstance(error, NotFoundError) or not viewer.may(Capability.WRITE):
                raise
            stored = await off_loop(load_stored, web, draft_id, _)
            form = ComposeForm.of_draft(stored.draft, viewer.zone)
            return pages.render(
                request,
                form,
                stored=stored,
                cards=stored.cards,
                timing=stored.draft,
                schedule_at=at,
                schedule_error=error,
            )
        earliest = scheduled.earliest
        if earliest is None:
            done = _("Draft %(id)s scheduled.") % {"id": draft_id}
        else:
            when = show(earliest, viewer.zone)
            done = _("Draft %(id)s scheduled from %(when)s.") % {"id": draft_id, "when": when}
        flash(request, done)
        return RedirectResponse(f"/drafts/{draft_id}", status_code=303)

    return [
        Route("/compose", new_draft, methods=["GET"]),
        Route("/compose", compose_new, methods=["POST"]),
        Route("/compose/preview", live_preview, methods=["POST"]),
        Route("/drafts/{draft_id:int}/edit", edit_page, methods=["GET"]),
        Route("/drafts/{draft_id:int}/edit", compose_edit, methods=["POST"]),
        Route("/drafts/{draft_id:int}/schedule", schedule_page, methods=["POST"]),
    ]
