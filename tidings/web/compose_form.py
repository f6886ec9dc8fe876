"""The compose form: the form's values, and the draft file they make.

The web app writes the same draft file an author would write for ``tidings draft add`` (with
tomli-w) and reads it back with ``read_draft_file``, so every check and every message is the
CLI's. Form values are text; each template field's kind (``drafts.template_fields``: read from
how the template uses it) says how the text becomes a TOML value: a list (one item a line), a
date, a number, or a string. A value that does not parse is written as the string typed, for
the template to refuse by name.

Form names: ``kind`` (the kind and its template: ``compose_kinds``), ``title``, ``channel``
(repeated), ``language`` (repeated, with a template), ``field:NAME`` (the same for every
language), ``field:NAME:LANG`` (one language), ``text:LANG`` (free text),
``channel_text:CHANNEL:LANG`` (a channel's own text in one language, with a template or
without), ``part:LANG:N`` (free text: the Nth part of a language's thread, the first being
``text:LANG``; the draft file's list of parts), ``thread`` (``auto``: split a text too long for
a channel), ``first_comment:LANG`` (the first comment in one language), ``publish_at`` and ``expires_at`` (``datetime-local``, in the viewer's timezone),
``next_slot``, the Repeat control's (``repeat_form``: ``repeat_every``, ``repeat_ends``,
``repeat_count``, ``repeat_until``, ``repeat_rule``); ``template_shown``
and ``channels_shown``, what the form showed when it was sent; ``form_token``, the blank form's
own (``compose_once``); for each image (already stored: ``tidings.web.uploads``),
``image:N:sha256``, ``image:N:alt:LANG`` and ``image:N:channels`` (the draft file's, kept as
they were), N its place on the page. Images become ``[[media]]`` entries with ``sha256`` and
``alt``, in the order of N.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w

from drafts.draft_file import NEXT_SLOT
from drafts.errors import DraftError
from drafts.models import Draft
from drafts.template_fields import DATE, FieldKind, TemplateField, field_value
from drafts.times import localize
from tidings.web.compose_kinds import Choice, sent
from tidings.web.repeat_form import RepeatInput


@dataclass
class FieldInput:
    """What was typed for one field: a value for every language, and per-language ones."""

    shared: str = ""
    per_language: dict[str, str] = field(default_factory=dict)

    @property
    def differs(self) -> bool:
        return any(value.strip() for value in self.per_language.values())


@dataclass
class ImageInput:
    """One image of the form: a stored image, its alt text by language, and the channels that
    carry it (None: every channel)."""

    sha256: str
    alt: dict[str, str] = field(default_factory=dict)
    channels: list[str] | None = None


@dataclass
class ComposeForm:
    """The compose form's values, as typed (or as read from a stored draft)."""

    kind: str = "update"
    title: str = ""
    channels: list[str] = field(default_factory=list)
    template: str = ""
    template_shown: str = ""  # the template whose fields the form showed when it was sent
    channels_shown: list[str] | None = None  # the channels it showed them for (None: as chosen)
    token: str = ""  # the blank form's own, kept through every page of it
    languages: list[str] = field(default_factory=list)
    fields: dict[str, FieldInput] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    # Free text's parts after the first, by language (a thread where the platform has threads).
    parts: dict[str, list[str]] = field(default_factory=dict)
    thread: bool = False  # thread = "auto"
    comments: dict[str, str] = field(default_factory=dict)  # the first comment, by language
    channel_texts: dict[str, dict[str, str]] = field(default_factory=dict)  # by channel, language
    publish_at: str = ""
    next_slot: bool = False
    expires_at: str = ""
    repeat: RepeatInput = field(default_factory=RepeatInput)
    images: list[ImageInput] = field(default_factory=list)

    @classmethod
    def posted(cls, form: Mapping[str, Any], lists: Mapping[str, list[str]]) -> ComposeForm:
        """The form as sent: ``form`` holds each name's value, ``lists`` each name's values."""

        def one(name: str) -> str:
            value = form.get(name, "")
            return _newlines(value) if isinstance(value, str) else ""

        choice = sent(one("kind"))
        values = cls(
            kind=choice.kind,
            title=one("title"),
            channels=list(dict.fromkeys(lists.get("channel", []))),
            template=choice.template,
            template_shown=one("template_shown").strip(),
            channels_shown=one("channels_shown").split() if "channels_shown" in form else None,
            token=one("form_token").strip(),
            languages=list(dict.fromkeys(lists.get("language", []))),
            publish_at=one("publish_at").strip(),
            next_slot=bool(one("next_slot")),
            expires_at=one("expires_at").strip(),
            repeat=RepeatInput.posted(one),
            thread=one("thread") == "auto",
        )
        numbered: dict[str, dict[int, str]] = {}
        for name in form:
            prefix, _, rest = name.partition(":")
            if prefix == "field" and rest:
                field_name, _, language = rest.partition(":")
                typed = values.fields.setdefault(field_name, FieldInput())
                if language:
                    typed.per_language[language] = one(name)
                else:
                    typed.shared = one(name)
            elif prefix == "text" and rest:
                values.text[rest] = one(name)
            elif prefix == "channel_text" and ":" in rest:
                channel, _, language = rest.rpartition(":")
                values.channel_texts.setdefault(channel, {})[language] = one(name)
            elif prefix == "first_comment" and rest:
                values.comments[rest] = one(name)
            elif prefix == "part" and ":" in rest:
                language, _, number = rest.rpartition(":")
                if number.isdigit() and len(number) <= 3:
                    numbered.setdefault(language, {})[int(number)] = one(name)
        values.parts = {
            language: [found[number] for number in sorted(found)]
            for language, found in numbered.items()
        }
        values.images = _posted_images(
            {name: one(name) for name in form if name.startswith("image:")}
        )
        return values

    @classmethod
    def of_draft(
        cls, draft: Draft, zone: ZoneInfo, originals: Mapping[str, str] | None = None
    ) -> ComposeForm:
        """The form for editing ``draft``, from its stored columns and its draft file.

        ``originals`` gives the stored image of each file a ``[[media]]`` entry names (a draft
        added with ``tidings draft add``: the SHA-256 its posts' images came from), so the form
        names every image by SHA-256; an entry whose image no post sends is left out."""
        try:
            source = tomllib.loads(draft.source)
        except tomllib.TOMLDecodeError:
            source = {}
        fields: dict[str, FieldInput] = {}
        for name, value in dict(source.get("fields", {})).items():
            if isinstance(value, dict):
                per_language = {str(tag): _as_text(item) for tag, item in value.items()}
                fields[name] = FieldInput(per_language=per_language)
            else:
                fields[name] = FieldInput(shared=_as_text(value))
        text, parts = {}, {}
        for tag, body in dict(source.get("text", {})).items():
            pieces = [str(piece) for piece in body] if isinstance(body, list) else [str(body)]
            text[str(tag)], parts[str(tag)] = pieces[0] if pieces else "", pieces[1:]
        channel_texts = {
            str(channel): {str(tag): str(body) for tag, body in dict(texts).items()}
            for channel, texts in dict(source.get("channel_text", {})).items()
        }
        return cls(
            kind=draft.kind,
            title=draft.title,
            channels=list(draft.channels),
            template=draft.template or "",
            template_shown=draft.template or "",
            languages=list(draft.languages) if draft.template else [],
            fields=fields,
            text=text,
            parts={tag: pieces for tag, pieces in parts.items() if pieces},
            thread=source.get("thread") == "auto",
            comments=_comments(source.get("first_comment"), draft.languages),
            channel_texts=channel_texts,
            publish_at=local_input(draft.publish_at, zone),
            next_slot=draft.publish_next_slot,
            expires_at=local_input(draft.expires_at, zone),
            repeat=RepeatInput.of_rule(draft.repeat),
            images=_draft_images(source.get("media", []), originals or {}, draft.languages),
        )

    @property
    def choice(self) -> Choice:
        return Choice(self.kind, self.template)

    def unused_shared(self, fields: Sequence[TemplateField]) -> list[str]:
        """The template fields given a value for every language while each checked language
        has its own: the draft file would take theirs and drop it, so it is refused instead."""
        return [
            wanted.name
            for wanted in fields
            if (typed := self.fields.get(wanted.name)) is not None
            and typed.shared.strip()
            and self.languages
            and all(typed.per_language.get(tag, "").strip() for tag in self.languages)
        ]

    @property
    def both_times(self) -> bool:
        """A time and each channel's next free slot, both asked for: the draft file takes one."""
        return self.next_slot and bool(self.publish_at)


def local_input(instant: datetime | None, zone: ZoneInfo) -> str:
    """An instant as a ``datetime-local`` value in ``zone`` (seconds only when there are some)."""
    if instant is None:
        return ""
    local = instant.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


def draft_source(
    form: ComposeForm,
    fields: Sequence[TemplateField],
    text_languages: Iterable[str],
    zone: ZoneInfo,
) -> str:
    """The draft file the form stands for.

    With a template: its fields (only those it reads) for the checked languages. Without one:
    the text of every language in ``text_languages`` that has some. Either way, the own text of
    each chosen channel in the draft's languages. Times are read in ``zone``, the viewer's.
    """
    data: dict[str, Any] = {"kind": form.kind, "title": form.title.strip()}
    if form.template:
        data["template"] = form.template
    data["channels"] = list(form.channels)
    if form.template and form.languages:
        data["languages"] = list(form.languages)
    if form.next_slot:
        data["publish_at"] = NEXT_SLOT
    elif form.publish_at:
        data["publish_at"] = _wall_time(form.publish_at, zone, "publish_at")
    if (rule := form.repeat.rule_text()) is not None:
        data["repeat"] = rule
    if form.expires_at:
        data["expires_at"] = _wall_time(form.expires_at, zone, "expires_at")
    if form.template:
        values = {}
        for wanted in fields:
            typed = form.fields.get(wanted.name) or FieldInput()
            value = field_value(typed.shared, typed.per_language, wanted.kind, form.languages, zone)
            if value is not None:
                values[wanted.name] = value
        data["fields"] = values
        languages = list(form.languages)
    else:
        data["text"] = {
            language: _text(form, language)
            for language in text_languages
            if (body := form.text.get(language, "")).strip()
        }
        languages = list(data["text"])
    if form.thread:
        data["thread"] = "auto"
    if comments := {tag: body for tag in languages if (body := form.comments.get(tag, "")).strip()}:
        data["first_comment"] = comments
    if own := _channel_texts(form, languages):
        data["channel_text"] = own
    if form.images:
        data["media"] = [_media_entry(image, languages) for image in form.images]
    return tomli_w.dumps(data)


def _comments(comment: Any, languages: Sequence[str]) -> dict[str, str]:
    """A draft file's ``first_comment`` by language (one text for all: the same in each of
    ``languages``)."""
    if isinstance(comment, dict):
        return {str(tag): str(body) for tag, body in comment.items()}
    return dict.fromkeys(languages, comment) if isinstance(comment, str) else {}


def written_parts(form: ComposeForm, language: str) -> list[str]:
    """The parts after the first written in ``language`` (a part left empty is left out)."""
    return [part for part in form.parts.get(language, ()) if part.strip()]


def _text(form: ComposeForm, language: str) -> str | list[str]:
    """A language's text as the draft file gives it: the text, or the list of its parts when
    parts after the first were written."""
    first, more = form.text.get(language, ""), written_parts(form, language)
    return [first, *more] if more else first


def _channel_texts(form: ComposeForm, languages: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each chosen channel's own texts in ``languages``, as the draft file gives them: a text
    left empty is left out (the channel sends the draft's), and so is one of a channel or a
    language no longer chosen (the page keeps it, for choosing them back)."""
    found = {}
    for channel in form.channels:
        typed = form.channel_texts.get(channel, {})
        own = {tag: body for tag in languages if (body := typed.get(tag, "")).strip()}
        if own:
            found[channel] = own
    return found


def _media_entry(image: ImageInput, languages: Sequence[str]) -> dict[str, Any]:
    """One ``[[media]]`` entry: alt text for the draft's languages only (the draft file
    refuses others); a language left empty is left out, for ``require_alt`` to name."""
    entry: dict[str, Any] = {"sha256": image.sha256}
    alt = {tag: text.strip() for tag in languages if (text := image.alt.get(tag, "")).strip()}
    if alt:
        entry["alt"] = alt
    if image.channels:
        entry["channels"] = list(image.channels)
    return entry


def _posted_images(values: Mapping[str, str]) -> list[ImageInput]:
    """The form's images in the order of their numbers (a removed one leaves a gap)."""
    found: dict[int, ImageInput] = {}
    for name, value in values.items():
        parts = name.split(":", 3)  # image, N, what, and the language of an alt text
        if len(parts) < 3 or not parts[1].isdigit() or len(parts[1]) > 3:
            continue
        image = found.setdefault(int(parts[1]), ImageInput(sha256=""))
        what, language = parts[2], parts[3] if len(parts) == 4 else ""
        if what == "sha256":
            image.sha256 = value.strip()
        elif what == "alt" and language:
            image.alt[language] = value
        elif what == "channels" and value.split():
            image.channels = value.split()
    return [found[number] for number in sorted(found) if found[number].sha256]


def _draft_images(
    entries: Any, originals: Mapping[str, str], languages: Sequence[str]
) -> list[ImageInput]:
    """The ``[[media]]`` entries of a stored draft file, each named by its stored image, its
    alt text by language (one text for all: the same in each of ``languages``)."""
    images = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        sha256 = entry.get("sha256") or originals.get(str(entry.get("file", "")))
        if not isinstance(sha256, str) or not sha256:
            continue
        alt = entry.get("alt", "")
        by_language = (
            {str(tag): str(text) for tag, text in alt.items()}
            if isinstance(alt, dict)
            else dict.fromkeys(languages, str(alt))
        )
        channels = entry.get("channels")
        listed = [str(c) for c in channels] if isinstance(channels, list) else None
        images.append(ImageInput(sha256=sha256, alt=by_language, channels=listed))
    return images


def _wall_time(value: str, zone: ZoneInfo, key: str) -> str | datetime:
    """A ``datetime-local`` value as the draft file writes it: the time and the timezone's name,
    or (for a zone ``parse_time`` cannot name) the instant it is."""
    clock = value.replace("T", " ", 1)
    if "/" in zone.key or zone.key == "UTC":
        return f"{clock} {zone.key}"
    try:
        return localize(datetime.fromisoformat(value), zone)
    except ValueError as error:
        raise DraftError(f"{key}: {error}") from None


def field_kind(kind: FieldKind, typed: FieldInput | None) -> FieldKind:
    """How to show a field: a date field holding a time is shown as text, keeping the time."""
    if kind != "date" or typed is None:
        return kind
    values = [typed.shared, *typed.per_language.values()]
    if any(value.strip() and not DATE.match(value.strip()) for value in values):
        return "datetime"
    return kind


def _as_text(value: Any) -> str:
    """A value from a draft file as the form shows it."""
    if isinstance(value, list):
        return "\n".join(_as_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
