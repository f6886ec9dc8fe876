"""Compose: authors write and edit drafts, preview every post, save them and submit them.

The form becomes a draft file (``compose_form``) that goes through ``read_draft_file`` and then
``add_draft`` or ``edit_draft``: the path ``tidings draft add`` takes, with its checks and its
messages. A refusal shows the form again with what was typed and the one-line reason; roles
are checked by the services (``drafts.users.require``), never from the page.

One form, several buttons (``action``): ``refresh`` shows what the chosen kind asks for (a
template's fields, or a text per language), ``preview`` renders every post without saving,
``save`` stores the draft, ``submit`` stores it and sends it to review. The kind, the
template, the channels and the fields may be chosen in any order: neither ``refresh`` nor
``preview`` needs a title, and the page's script asks ``/compose/content`` for the content and
images sections as soon as a kind, a channel or a language is chosen. The routes here decide
what happens; ``compose_page`` builds the page that shows it.

Whatever stores a draft answers with a redirect (post/redirect/get): a reload shows the draft,
and never sends the form again; a refusal that stored nothing shows the form as typed. A blank
form's token makes it one draft however often it is sent (``compose_once``). "Publish at" and
"each channel's next free slot" together are refused next to the field, as the command line
refuses ``--at`` with ``--next-slot``.

As the author types, htmx posts the form to ``/compose/preview``, which answers with the
previews alone (every post's card, its counts against its platform's limits, its problems):
the same composing as the Preview button, without a page load.

Images: the form is multipart, and every button takes the files chosen in it first
(``uploads``: cleaned and stored at once, or one line a bad file and nothing stored), so the page
works without a script; ``remove-image:N`` drops one. The page's script sends the form to
``/compose/images`` as soon as files are chosen or dropped, and swaps in the images section it
answers with. From then on the form names each image by its SHA-256 and the draft file it makes
has ``[[media]]`` entries (``compose_form``).

What the page says is in the viewer's language: its flashes and notes, the post cards, and
the services' refusals, told from the problems they were made with (``sentences``), each
beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from drafts.authoring import add_draft, draft_posts, edit_draft, get_draft
from drafts.composing import compose
from drafts.draft_file import DraftContent, read_draft_file
from drafts.errors import TidingsError
from drafts.learned_limits import learned_limits
from drafts.media_limits import learned_media_limits
from drafts.media_plan import StoredMedia
from drafts.messages import DRAFT_ADDED, DRAFT_ADDED_AND_SENT, EDIT_SAVED_AND_SENT
from drafts.models import Post
from drafts.post_media import images_by_post
from drafts.recurrence import occurrences
from drafts.rendering import TemplateLibrary
from drafts.review import submit
from drafts.review_comments import latest_comments
from drafts.template_fields import TemplateField
from drafts.times import utcnow
from drafts.users import Capability, require
from tidings.web.auth import Viewer
from tidings.web.compose_form import ComposeForm, draft_source
from tidings.web.compose_kinds import sent
from tidings.web.compose_once import FormTokens, new_token
from tidings.web.compose_page import (
    SHARED_UNUSED,
    SUBMITTABLE,
    ComposePages,
    PostTiming,
    Stored,
)
from tidings.web.context import WebContext, off_loop
from tidings.web.pages import flash, isolated
from tidings.web.post_cards import PostCard, channel_texts_of, post_card
from tidings.web.sentences import AT_FIELD, error_line, error_lines, teller
from tidings.web.translations import N_
from tidings.web.uploads import change_images, removed_image
from tidings.web.vocabulary import DRAFT_STATUS_WORDS

FILE_NAME = "form"  # how read_draft_file names the draft in its messages; not shown
ACTIONS = ("refresh", "preview", "save", "submit", "upload")
BOTH_TIMES = N_("Publish at: give a time, or tick “each channel's next free slot”, not both.")
# The live preview's title while none is typed: a title names the draft, no post shows it, and
# typing the text first is as good an order as any.
UNTITLED = "untitled"
NOT_SENT = "compose_not_sent"  # the session's note of why a saved draft was not sent to review
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Saved:
    """A draft just stored: what happened (``message``), and the one sentence that says it
    was stored and sent to review, if it is sent next (``sent``)."""

    draft_id: int
    status: str
    message: str
    sent: str


def check_writer(viewer: Viewer) -> None:
    """The service's own role check: a ``ReviewError`` (403) for a role that may not write."""
    require(viewer.user, Capability.WRITE)


def load_stored(web: WebContext, draft_id: int, gettext: Gettext) -> Stored:
    """The draft and its posts' cards with their images, in ``gettext``'s language, and what
    its reviewers said last."""
    with web.database.reading() as session:
        draft = get_draft(session, draft_id)
        posts = draft_posts(session, draft_id)
        images = images_by_post(session, [post.id for post in posts if post.id is not None])
        learned = learned_limits(session)
        media_limits = learned_media_limits(session)
        comments = latest_comments(session, draft_id=draft_id)
    own_texts = channel_texts_of(draft.source)
    series = occurrences(draft.repeat, draft.publish_at, web.config.zone) if draft.repeat else ()
    cards = tuple(
        post_card(
            post,
            web.config,
            learned,
            gettext=gettext,
            images=images.get(post.id or 0, ()),
            media_limits=media_limits,
            own_texts=own_texts,
            series=series,
        )
        for post in posts
    )
    originals = {
        image.name: image.original for sent in images.values() for image in sent if image.name
    }
    return Stored(draft, cards, originals, comments)


def read_content(
    web: WebContext,
    form: ComposeForm,
    fields: Sequence[TemplateField],
    text_languages: Sequence[str],
    zone: ZoneInfo,
) -> tuple[str, DraftContent]:
    """The form's draft file and its checked content; a ``DraftError`` keeps its problems as
    made, for the page to tell each in the viewer's words beside its field."""
    source = draft_source(form, fields, text_languages, zone)
    return source, read_draft_file(source, FILE_NAME, web.config, utcnow())


def preview_cards(
    web: WebContext,
    library: TemplateLibrary,
    content: DraftContent,
    gettext: Gettext,
    own_texts: frozenset[tuple[str, str]],
) -> tuple[PostCard, ...]:
    """Every post the content yields, as its card (in ``gettext``'s language) with the version
    of each image its platform gets, storing nothing but those versions (made once, kept:
    ``drafts.media_variants``)."""
    with web.database.writing() as session:
        learned = learned_limits(session)
        media_limits = learned_media_limits(session)
        rendered = compose(content, web.config, library, learned, StoredMedia(session))
    return tuple(
        post_card(
            Post(
                id=number,
                draft_id=0,
                author_id=0,
                channel=post.channel,
                platform=post.platform,
                language=post.language,
                text=post.text,
                length=post.length,
                length_limit=post.limit,
                status="preview",
                occurrence=post.occurrence,
                part=post.part,
                parts=post.parts,
            ),
            web.config,
            learned,
            gettext=gettext,
            images=post.images,
            media_limits=media_limits,
            own_texts=own_texts,
            series=content.occurrences,
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
            words = {"id": draft.id, "title": isolated(draft.title), "count": posts}
            message = gettext(DRAFT_ADDED) % words
            return Saved(draft.id, draft.status, message, gettext(DRAFT_ADDED_AND_SENT) % words)
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
    sent = gettext(EDIT_SAVED_AND_SENT) % {"id": draft_id}
    return Saved(draft_id, status, gettext(outcome.message) % words, sent)


def send_to_review(web: WebContext, viewer: Viewer, draft_id: int) -> None:
    with web.database.writing() as session:
        user = viewer.acting(session)
        submit(session, draft_id=draft_id, actor=user, config=web.config)


def routes(web: WebContext) -> list[Route]:
    library = TemplateLibrary.default(web.config.template_folders)
    pages = ComposePages(web, library)
    tokens = FormTokens()

    def posted(data: FormData) -> ComposeForm:
        """The form as sent, its template's languages following the channels chosen."""
        lists = {
            name: [value for value in data.getlist(name) if isinstance(value, str)]
            for name in ("channel", "language")
        }
        form = ComposeForm.posted(data, lists)
        pages.follow_choices(form)
        return form

    async def new_draft(request: Request) -> Response:
        """A blank form with a token of its own; ``?kind=`` chooses what it is (as the form
        sends it: ``hiring:hiring``)."""
        check_writer(request.state.viewer)
        form = ComposeForm(token=new_token())
        asked = sent(request.query_params.get("kind", ""))
        if asked.kind and (not asked.template or asked.template in library.kinds()):
            form.kind, form.template = asked.kind, asked.template
            pages.follow_choices(form)
        return await pages.render(request, form)

    async def edit_page(request: Request) -> Response:
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        _ = web.pages.gettext(request)
        stored = await off_loop(load_stored, web, request.path_params["draft_id"], _)
        form = ComposeForm.of_draft(stored.draft, viewer.zone, stored.originals)
        not_sent = request.session.pop(NOT_SENT, None)
        return await pages.render(
            request,
            form,
            stored=stored,
            cards=stored.cards,
            timing=stored.draft,
            not_sent=not_sent if isinstance(not_sent, str) else None,
        )

    async def compose_new(request: Request) -> Response:
        async with request.form() as data:  # closed after: it may hold uploaded files
            return await act(request, data, None)

    async def compose_edit(request: Request) -> Response:
        async with request.form() as data:
            return await act(request, data, request.path_params["draft_id"])

    async def act(request: Request, data: FormData, draft_id: int | None) -> Response:
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        form = posted(data)
        asked = str(data.get("action", "preview"))
        action = asked if asked in ACTIONS else "preview"
        _ = web.pages.gettext(request)
        stored = await off_loop(load_stored, web, draft_id, _) if draft_id is not None else None

        async def again(**shown: Any) -> Response:
            """The form as typed, over the stored draft's posts (if any) unless told otherwise."""
            if stored is not None:
                shown = {"cards": stored.cards, "timing": stored.draft, **shown}
            return await pages.render(request, form, stored=stored, **shown)

        refused = await change_images(web.database, form, data, teller(request, _))
        if refused:
            return await again(refused=refused, nothing_saved=True)
        if action in {"refresh", "upload"} or removed_image(asked) is not None:
            return await again()
        if form.template != form.template_shown:  # chosen, but its fields were not shown yet
            if form.template:
                fill_in = _("Fill in the fields of %(choice)s, then preview or save.")
                return await again(note=fill_in % {"choice": form.choice.label(_)})
            return await again(note=_("Fill in the text, then preview or save."))
        if form.both_times:
            both = {"publish_at": _(BOTH_TIMES)}
            return await again(field_errors=both, nothing_saved=action != "preview")
        if unused := pages.unused_shared(request, form):
            beside = {f"field-{name}": _(SHARED_UNUSED) for name in unused}
            return await again(field_errors=beside, nothing_saved=action != "preview")
        try:
            if action == "preview":
                source, cards, timing = await preview_of(form, viewer, _)
                return await again(cards=cards, timing=timing, previewed=True, source=source)
            languages = pages.text_languages(form)
            _source, content = read_content(web, form, pages.fields(form), languages, viewer.zone)
        except TidingsError as error:
            return await again(error=error, nothing_saved=action != "preview")
        async with tokens.sending(viewer.id, form.token if draft_id is None else "") as sending:
            try:
                target = draft_id if draft_id is not None else sending.draft_id
                saved = await off_loop(save, web, library, viewer, target, content, _)
            except TidingsError as error:
                return await again(error=error, nothing_saved=True)
            sending.draft_id = saved.draft_id
            return await after_saving(request, viewer, saved, action, _)

    async def after_saving(
        request: Request, viewer: Viewer, saved: Saved, action: str, _: Gettext
    ) -> Response:
        """Where a saved draft goes, with what happened: its edit page after "Save draft"
        (or a refused submit, with the reason), its draft page once in review."""
        if action == "save":
            flash(request, saved.message)
            return RedirectResponse(f"/drafts/{saved.draft_id}/edit", status_code=303)
        if saved.status not in SUBMITTABLE:  # sent before: the same form, once more
            flash(request, saved.message)
            return RedirectResponse(f"/drafts/{saved.draft_id}", status_code=303)
        try:
            await off_loop(send_to_review, web, viewer, saved.draft_id)
        except TidingsError as error:
            not_sent = _("It was not sent to review.")
            flash(request, f"{saved.message} {not_sent}")
            request.session[NOT_SENT] = error_line(error, request, _)  # as the viewer reads it
            return RedirectResponse(f"/drafts/{saved.draft_id}/edit", status_code=303)
        flash(request, saved.sent)
        return RedirectResponse(f"/drafts/{saved.draft_id}", status_code=303)

    async def content_sections(request: Request) -> Response:
        """The content and images sections for the form as it is (the page's script asks once
        a kind, a channel or a language is chosen), storing nothing."""
        check_writer(request.state.viewer)
        async with request.form() as data:
            form = posted(data)
        return await pages.sections(request, form)

    async def images_section(request: Request) -> Response:
        """The images section alone, after the files chosen or dropped were added (or one
        removed): what the page's script asks for instead of a page load."""
        check_writer(request.state.viewer)
        async with request.form() as data:
            form = posted(data)
            tell = teller(request, web.pages.gettext(request))
            refused = await change_images(web.database, form, data, tell)
        # 200 even for a refused file: the section says what was refused, and a browser logs
        # every 4xx answer to a script as an error in its console.
        return pages.images_section(request, await pages.images(form, refused))

    async def live_preview(request: Request) -> Response:
        """The previews alone, for the compose form as typed (htmx asks as the author types)."""
        viewer: Viewer = request.state.viewer
        check_writer(viewer)
        async with request.form() as data:
            form = posted(data)
        if not form.title.strip():
            form = replace(form, title=UNTITLED)
        _ = web.pages.gettext(request)
        if form.template != form.template_shown:
            return pages.preview(request, note=_("Fill in the template's fields to see its posts."))
        if form.both_times:
            return pages.preview(request, error_lines=[_(BOTH_TIMES)])
        if unused := pages.unused_shared(request, form):
            at_field = {"problem": _(SHARED_UNUSED)}
            lines = [_(AT_FIELD) % {**at_field, "field": label} for label in unused.values()]
            return pages.preview(request, error_lines=lines)
        try:
            _source, cards, timing = await preview_of(form, viewer, _)
        except TidingsError as error:
            return pages.preview(request, error_lines=error_lines(error, teller(request, _)))
        return pages.preview(request, cards=cards, timing=timing)

    async def preview_of(
        form: ComposeForm, viewer: Viewer, gettext: Gettext
    ) -> tuple[str, tuple[PostCard, ...], PostTiming]:
        """The form's draft file, its posts' cards and their timing, storing nothing."""
        languages = pages.text_languages(form)
        source, content = read_content(web, form, pages.fields(form), languages, viewer.zone)
        own_texts = channel_texts_of(source)
        cards = await off_loop(preview_cards, web, library, content, gettext, own_texts)
        return source, cards, PostTiming(content.publish_at, content.publish_next_slot)

    return [
        Route("/compose", new_draft, methods=["GET"]),
        Route("/compose", compose_new, methods=["POST"]),
        Route("/compose/preview", live_preview, methods=["POST"]),
        Route("/compose/images", images_section, methods=["POST"]),
        Route("/compose/content", content_sections, methods=["POST"]),
        Route("/drafts/{draft_id:int}/edit", edit_page, methods=["GET"]),
        Route("/drafts/{draft_id:int}/edit", compose_edit, methods=["POST"]),
    ]
