"""The compose page: a draft's form as typed, with the channels, languages and template fields
it offers, its images (each with a thumbnail and an alt text field per language), the posts'
cards, and what the author may do next (submit, schedule).

``ComposePages`` builds the page, and the live preview's answer, from a form whatever happened
to it (shown blank, refused, previewed, saved); the routes in ``compose`` decide what happens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from drafts.draft_file import KINDS
from drafts.errors import DraftError, TidingsError
from drafts.lifecycle import DraftStatus
from drafts.media import MAX_IMAGES, StoredImage
from drafts.media_store import stored_image
from drafts.models import Draft
from drafts.rendering import TemplateLibrary
from drafts.storage import Database
from drafts.template_fields import FieldKind, TemplateField, template_fields
from tidings.web.compose_form import ComposeForm, ImageInput, field_kind, local_input
from tidings.web.context import WebContext, off_loop
from tidings.web.error_pages import status_for
from tidings.web.media import image_url
from tidings.web.pages import UI_LANGUAGE
from tidings.web.post_cards import PostCard
from tidings.web.uploads import FILE_FIELD

SUBMITTABLE = frozenset({DraftStatus.DRAFT, DraftStatus.CHANGES_REQUESTED})
SCHEDULABLE = frozenset({DraftStatus.APPROVED, DraftStatus.SCHEDULED})
REVIEWED = frozenset({DraftStatus.IN_REVIEW, DraftStatus.APPROVED, DraftStatus.SCHEDULED})


@dataclass(frozen=True)
class ChannelChoice:
    """A channel the form offers, and whether it is chosen."""

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

    @property
    def id(self) -> int:
        assert self.draft.id is not None
        return self.draft.id


def _ordered(*groups: Sequence[str]) -> list[str]:
    """The items of every group, in order, each once."""
    return list(dict.fromkeys(item for group in groups for item in group))


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

    def alt_languages(self, form: ComposeForm) -> list[str]:
        """The languages an image's alt text is asked in: the draft's (the checked ones with a
        template, else those offered for text)."""
        if form.template:
            return self.template_languages(form)[1]
        return self.text_languages(form)

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

    def images_section(self, request: Request, images: Images) -> Response:
        """The images section alone, as the page's script asks for it after an upload."""
        return self.web.pages.render(
            request, "_compose_images.html", images=images, file_field=FILE_FIELD
        )

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
        schedule_at: str = "",
        schedule_error: TidingsError | None = None,
        refused: Sequence[str] = (),
    ) -> Response:
        config = self.web.config
        images = await self.images(form, refused)
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
            status=status_for(failure) if failure is not None else (400 if refused else 200),
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
            images=images,
            file_field=FILE_FIELD,
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
            hint=wanted.doc(UI_LANGUAGE).hint,
            shared=typed.shared if typed is not None else "",
            per_language=tuple(
                (tag, per_language.get(tag, "")) for tag in _ordered(languages, list(per_language))
            ),
            differs=typed.differs if typed is not None else False,
        )
