"""The compose page: a draft's form as typed, with the channels, the kinds and templates, the
languages and template fields it offers (each field by its label, each language by its name,
in the viewer's language), its images (each with a thumbnail and an alt text field per
language), the posts' cards, and what the author may do next (save, submit; an approved draft
is scheduled on its draft page).

``ComposePages`` builds the page, and the parts the page's script and htmx ask for (the
content and images sections, the live preview), from a form whatever happened to it (shown
blank, refused, previewed, saved); the routes in ``compose`` decide what happens.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from drafts.errors import DraftError, TidingsError
from drafts.lifecycle import DraftStatus
from drafts.media import MAX_IMAGES, StoredImage
from drafts.media_store import stored_image
from drafts.messages import Item, Message, Problem, Problems
from drafts.models import Draft
from drafts.rendering import TemplateLibrary
from drafts.review_comments import ReviewComment
from drafts.storage import Database
from drafts.template_fields import FieldKind, TemplateField, template_fields
from tidings.web.compose_form import ComposeForm, ImageInput, field_kind, written_parts
from tidings.web.compose_kinds import choices
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.language_names import language_name
from tidings.web.media import image_url
from tidings.web.post_cards import PostCard
from tidings.web.sentences import field_problems, teller
from tidings.web.translations import N_
from tidings.web.uploads import FILE_FIELD

SUBMITTABLE = frozenset({DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED})
REVIEWED = frozenset({DraftStatus.IN_REVIEW, DraftStatus.APPROVED, DraftStatus.SCHEDULED})
# The draft file's keys whose problems the page sets beside their field; any other problem
# is said above the form.
BESIDE_FIELDS = frozenset(
    {"title", "channels", "kind", "template", "languages", "fields", "text", "channel_text"}
    | {"publish_at", "repeat", "expires_at", "media"}
)
SEE_FIELDS = N_("Each problem is shown next to its field below.")
SHARED_UNUSED = N_(
    "each language below has its own value, so this one would not be used: "
    "clear it, or clear theirs"
)


@dataclass(frozen=True)
class ChannelChoice:
    """A channel the form offers, and whether it is chosen."""

    id: str
    platform: str
    languages: tuple[str, ...]
    checked: bool


@dataclass(frozen=True)
class ChannelText:
    """A channel's own text in one language, as the form offers it: sent instead of the
    draft's text (or its template's) for that channel's post in that language."""

    channel: str
    language: str
    text: str


@dataclass(frozen=True)
class FieldRow:
    """One template field as the form shows it: by its label, with its hint, in the viewer's
    language where the template has them."""

    name: str
    label: str
    kind: FieldKind
    required: bool | None
    hint: str
    shared: str
    per_language: tuple[tuple[str, str], ...]
    differs: bool


@dataclass(frozen=True)
class ImageRow:
    """One image as the form shows it: its number in the form's names, the stored image (None
    if the store has no such image), its alt text per language, and the channels carrying it."""

    number: int
    sha256: str
    stored: StoredImage | None
    alt: tuple[tuple[str, str], ...]
    channels: tuple[str, ...]

    @property
    def url(self) -> str:
        return image_url(self.sha256)


@dataclass(frozen=True)
class Images:
    """The form's images section: its rows, and what an upload was refused for."""

    rows: tuple[ImageRow, ...] = ()
    refused: tuple[str, ...] = ()

    @property
    def room(self) -> int:
        """How many more images the draft may take."""
        return MAX_IMAGES - len(self.rows)


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
    # The stored image of each file its draft file names (a draft added from the CLI).
    originals: Mapping[str, str] = field(default_factory=dict)
    # What the reviewers said in the latest review round, for the author editing it.
    comments: tuple[ReviewComment, ...] = ()

    @property
    def id(self) -> int:
        assert self.draft.id is not None
        return self.draft.id


def _ordered(*groups: Sequence[str]) -> list[str]:
    """The items of every group, in order, each once."""
    return list(dict.fromkeys(item for group in groups for item in group))


def _at_rows(message: Message, rows: Collection[str]) -> Message:
    """``message`` with each problem about a whole template field the form shows as a row
    (``fields.position``, a value the template needs; ``rows`` the fields' names) moved to that
    row's key (``field-position``), so the page says it beside the field, not under them all."""

    def moved(item: Item) -> Item:
        if isinstance(item, Problem):
            head, _, name = item.field.partition(".")
            if head == "fields" and name in rows:
                return Problem(f"field-{name}", item.said)
        return item

    if isinstance(message, Problems):
        return Problems(message.source, tuple(moved(item) for item in message.items))
    return moved(message) if isinstance(message, Problem) else message


def _described(database: Database, images: Sequence[ImageInput]) -> dict[str, StoredImage]:
    """The stored image of each of ``images`` the store has."""
    with database.reading() as session:
        found = {image.sha256: stored_image(session, image.sha256) for image in images}
    return {sha256: image for sha256, image in found.items() if image is not None}


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

    def template_languages(self, form: ComposeForm) -> list[str]:
        """The languages offered for the template: those it exists in that the chosen channels
        take (every one it exists in before a channel is chosen), and any checked."""
        try:
            exists_in = self.library.languages(form.template)
        except DraftError:
            exists_in = []
        offered = [tag for tag in self.offered_languages(form) if tag in exists_in] or exists_in
        return _ordered(offered, form.languages)

    def follow_choices(self, form: ComposeForm) -> None:
        """Checks every language offered for the form's template when the template or the
        channels changed since the form showed its languages: they are chosen in any order,
        and the languages follow."""
        if not form.template:
            return
        channels_changed = form.channels_shown not in (None, form.channels)
        if form.template != form.template_shown or channels_changed:
            form.languages = []
            form.languages = self.template_languages(form)

    def channel_texts(
        self, form: ComposeForm, languages: Sequence[str]
    ) -> dict[str, tuple[ChannelText, ...]]:
        """The channel texts offered in each of ``languages``: one for each chosen channel that
        publishes in it, where two or more do (one channel alone sends the draft's text as
        its own) or one already has a text of its own."""
        chosen = [c for c in self.web.config.channels if c.id in form.channels]
        offered = {}
        for tag in languages:
            rows = tuple(
                ChannelText(c.id, tag, form.channel_texts.get(c.id, {}).get(tag, ""))
                for c in chosen
                if c.takes(tag)
            )
            if len(rows) > 1 or any(row.text.strip() for row in rows):
                offered[tag] = rows
        return offered

    def fields(self, form: ComposeForm) -> tuple[TemplateField, ...]:
        return template_fields(self.library, form.template) if form.template else ()

    def unused_shared(self, request: Request, form: ComposeForm) -> dict[str, str]:
        """The label (in the viewer's language) of each template field, by name, whose value
        for every language would not be used: every checked language has its own."""
        language = self.web.pages.language(request)
        fields = {wanted.name: wanted for wanted in self.fields(form)}
        unused = form.unused_shared(list(fields.values()))
        return {name: fields[name].doc(language).label for name in unused}

    def alt_languages(self, form: ComposeForm) -> list[str]:
        """The languages an image's alt text is asked in: the draft's (the checked ones with a
        template, else those offered for text)."""
        return form.languages if form.template else self.text_languages(form)

    async def images(self, form: ComposeForm, refused: Sequence[str] = ()) -> Images:
        """The form's images section, each image described from the store."""
        stored = await off_loop(_described, self.web.database, form.images)
        languages = self.alt_languages(form)
        rows = tuple(
            ImageRow(
                number=number,
                sha256=image.sha256,
                stored=stored.get(image.sha256),
                alt=tuple(
                    (tag, image.alt.get(tag, ""))
                    for tag in _ordered(languages, [t for t, v in image.alt.items() if v.strip()])
                ),
                channels=tuple(image.channels or ()),
            )
            for number, image in enumerate(form.images)
        )
        return Images(rows, tuple(refused))

    def names(self, request: Request) -> Callable[[str], str]:
        """A language's name from its tag, in the viewer's language."""
        return partial(language_name, viewer_language=self.web.pages.language(request))

    def images_section(self, request: Request, images: Images) -> Response:
        """The images section alone, as the page's script asks for it after an upload."""
        return self.web.pages.render(
            request,
            "_compose_images.html",
            images=images,
            file_field=FILE_FIELD,
            language_name=self.names(request),
        )

    async def sections(self, request: Request, form: ComposeForm) -> Response:
        """The content and images sections for the form as it is now, as the page's script
        asks for them once a kind, a template, a channel or a language is chosen."""
        return self.web.pages.render(
            request,
            "_compose_sections.html",
            **self._content(request, form),
            images=await self.images(form),
            file_field=FILE_FIELD,
        )

    def _content(self, request: Request, form: ComposeForm) -> dict[str, Any]:
        """What the content section shows (``_compose_content.html``)."""
        gettext = self.web.pages.gettext(request)
        language = self.web.pages.language(request)
        offered = self.template_languages(form) if form.template else []
        fields = self.fields(form)  # each template file parsed once a page
        kinds = choices(self.library.kinds(), form.choice)
        written_in = form.languages if form.template else self.text_languages(form)
        channel_texts = self.channel_texts(form, written_in)
        return {
            "form": form,
            "with_template": [
                (choice.value, choice.label(gettext)) for choice in kinds.with_template
            ],
            "free_text": [(choice.value, choice.label(gettext)) for choice in kinds.free_text],
            "template_languages": [(tag, tag in form.languages) for tag in offered],
            "field_rows": tuple(self._row(form, wanted, offered, language) for wanted in fields),
            "text_languages": [(tag, form.text.get(tag, "")) for tag in self.text_languages(form)],
            # Each language's parts after the first, then room for one more.
            "more_parts": {tag: [*written_parts(form, tag), ""] for tag in form.text},
            "comment_languages": [(tag, form.comments.get(tag, "")) for tag in written_in],
            "channel_texts": channel_texts,
            "carried": self._carried(form, fields, offered, channel_texts),
            "language_name": self.names(request),
        }

    async def render(
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
        refused: Sequence[str] = (),
        field_errors: Mapping[str, str] | None = None,
        not_sent: str | None = None,
    ) -> Response:
        """The page; ``error``'s problems are told in the viewer's words, each beside its field
        where the page has one (``field_errors``: the page's own, by key), and ``not_sent``
        says why a draft just saved was not sent to review."""
        config = self.web.config
        images = await self.images(form, refused)
        channels = tuple(
            ChannelChoice(c.id, c.platform, c.languages, c.id in form.channels)
            for c in config.channels
        )
        gettext = self.web.pages.gettext(request)
        told: Mapping[str, tuple[str, ...]] = {}
        shown = BESIDE_FIELDS
        if error is not None:
            rows = {wanted.name for wanted in self.fields(form)}
            told = field_problems(
                TidingsError(_at_rows(error.message, rows)), teller(request, gettext)
            )
            shown = shown | {f"field-{name}" for name in rows}
        beside = {key: lines for key, lines in told.items() if key in shown}
        above = [line for key, lines in told.items() if key not in beside for line in lines]
        if beside:
            above.append(gettext(SEE_FIELDS))
        if not_sent:
            above.append(not_sent)
        beside |= {key: (line,) for key, line in (field_errors or {}).items()}
        refusal = 400 if refused or field_errors else 200
        answer = status_for(error) if error is not None else refusal
        status = DraftStatus(stored.draft.status) if stored is not None else None
        zone: ZoneInfo = request.state.viewer.zone
        return self.web.pages.render(
            request,
            "compose.html",
            status=answer,
            **self._content(request, form),
            stored=stored,
            action_url=f"/drafts/{stored.id}/edit" if stored is not None else "/compose",
            channels=channels,
            problems=beside,
            cards=cards,
            draft=timing,
            previewed=previewed,
            source=source,
            error_lines=above,
            nothing_saved=nothing_saved,
            note=note,
            may_submit=status is None or status in SUBMITTABLE,
            back_to_review=status in REVIEWED,
            zone=zone.key,
            config_zone=config.zone.key,
            images=images,
            file_field=FILE_FIELD,
        )

    def preview(
        self,
        request: Request,
        *,
        cards: tuple[PostCard, ...] = (),
        timing: PostTiming | None = None,
        error_lines: Sequence[str] = (),
        note: str | None = None,
    ) -> Response:
        """The live preview: the posts as typed, or why there are none yet (every problem, a
        line each)."""
        return self.web.pages.render(
            request,
            "_live_preview.html",
            cards=cards,
            draft=timing,
            previewed=True,
            error_lines=error_lines,
            note=note,
        )

    def _carried(
        self,
        form: ComposeForm,
        fields: Sequence[TemplateField],
        offered: Sequence[str],
        channel_texts: Mapping[str, Sequence[ChannelText]],
    ) -> list[tuple[str, str]]:
        """What was typed that the form does not show now, to send as hidden fields: the text
        of each language under a template, the fields of a template no longer chosen or not
        read by this one, a channel's own text in a language or of a channel no longer chosen.
        Choosing back shows them again."""
        typed = {f"text:{tag}": body for tag, body in form.text.items()}
        typed |= {
            f"part:{tag}:{number}": body
            for tag in form.parts
            for number, body in enumerate(written_parts(form, tag), start=2)
        }
        typed |= {f"first_comment:{tag}": body for tag, body in form.comments.items()}
        typed |= {
            f"channel_text:{channel}:{tag}": body
            for channel, texts in form.channel_texts.items()
            for tag, body in texts.items()
        }
        for name, value in form.fields.items():
            typed[f"field:{name}"] = value.shared
            typed |= {f"field:{name}:{tag}": each for tag, each in value.per_language.items()}
        if form.template:
            tags = ["", *(f":{tag}" for tag in offered)]
            shown = {f"field:{wanted.name}{tag}" for wanted in fields for tag in tags}
        else:
            shown = {f"text:{tag}" for tag in self.text_languages(form)}
            shown |= {
                f"part:{tag}:{number}"
                for tag in self.text_languages(form)
                for number in range(2, len(written_parts(form, tag)) + 2)
            }
        written_in = form.languages if form.template else self.text_languages(form)
        shown |= {f"first_comment:{tag}" for tag in written_in}
        shown |= {
            f"channel_text:{row.channel}:{row.language}"
            for rows in channel_texts.values()
            for row in rows
        }
        return [
            (name, value) for name, value in typed.items() if name not in shown and value.strip()
        ]

    def _row(
        self, form: ComposeForm, wanted: TemplateField, languages: list[str], viewer: str
    ) -> FieldRow:
        typed = form.fields.get(wanted.name)
        per_language = typed.per_language if typed is not None else {}
        doc = wanted.doc(viewer)
        return FieldRow(
            name=wanted.name,
            label=doc.label,
            kind=field_kind(wanted.kind, typed),
            required=wanted.required,
            hint=doc.hint,
            shared=typed.shared if typed is not None else "",
            per_language=tuple((tag, per_language.get(tag, "")) for tag in languages),
            differs=typed.differs if typed is not None else False,
        )
