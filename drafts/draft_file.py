"""Draft files: the TOML an author writes, read into checked draft content.

Either free text per language::

    kind = "update"
    title = "City case study"
    channels = ["linkedin", "mastodon"]
    [text]
    en = "..."
    ko = "..."

or a template with fields, where any field may be a table of per-language values::

    template = "hiring"
    languages = ["ko", "en"]
    [fields]
    location = { en = "Seoul", ko = "서울" }

Either way, a channel may have a text of its own in some of its languages, which replaces the
text (or the template's) for that channel's post in that language: a shorter X post beside a
long LinkedIn one::

    [channel_text.x-en]
    en = "..."

A text may be a list of parts, a thread on the platforms that have threads (joined by a blank
line on the others); ``thread = "auto"`` splits a text too long for a channel into numbered
parts; ``first_comment`` (one text, or one per language) is published after the post, as a
comment or a reply::

    thread = "auto"
    first_comment = { en = "Apply by Friday: https://example.org/jobs", ko = "..." }
    [text]
    en = ["First part.", "Second part."]

Every problem a file has is reported at once, each with its field, in one line:
``hiring.toml: 2 problems: kind: 'tweetstorm' is not a kind: update, hiring, event or post;
channels: unknown channel 'linkdin' (did you mean linkedin?)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from drafts.config import Config
from drafts.errors import DraftError, NotFoundError, TidingsError
from drafts.languages import check_language_tag
from drafts.media import MAX_IMAGES, MediaRef
from drafts.messages import N_, Instant, Item, Problem, Problems, problem, reason_of, said
from drafts.recurrence import Occurrence, check_rule, occurrences
from drafts.text_files import load_toml
from drafts.times import end_of_day, in_calendar, localize, parse_time
from drafts.validation import one_line, problems

KINDS = ("update", "hiring", "event", "post")
NEXT_SLOT = "next-slot"
# Far above any post (Facebook's 63,206 characters is the longest limit), and low enough that
# checking, rendering and previewing a draft stays quick.
MAX_FILE_BYTES = 256 * 1024
MAX_TEXT_CHARACTERS = 50_000

TimeValue = str | datetime | date
T = TypeVar("T")


class MediaEntry(BaseModel):
    """One ``[[media]]`` entry as written: a file beside the draft, or a stored image."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(default=None, min_length=1, max_length=500)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    alt: str | dict[str, str] = ""
    channels: list[str] | None = Field(default=None, min_length=1)


class DraftFile(BaseModel):
    """The keys a draft file may hold, as written."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["update", "hiring", "event", "post"]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]*$")
    channels: list[str] = Field(min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    publish_at: TimeValue | None = None
    repeat: str | None = Field(default=None, min_length=1, max_length=500)
    expires_at: TimeValue | None = None
    fields: dict[str, Any] = {}
    text: dict[str, str | list[str]] = {}
    channel_text: dict[str, dict[str, str]] = {}
    media: list[MediaEntry] = Field(default=[], max_length=MAX_IMAGES)
    thread: Literal["auto"] | None = None
    first_comment: str | dict[str, str] | None = None

    @field_validator("languages")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        for tag in value or ():
            check_language_tag(tag)
        if value and len(set(value)) != len(value):
            raise ValueError(said(N_("lists a language twice")))
        return value

    @field_validator("text")
    @classmethod
    def _text_tags(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for tag, body in value.items():
            check_language_tag(tag)
            if isinstance(body, list) and not body:
                raise ValueError(said(N_("the %(language)s text lists no parts"), language=tag))
            if isinstance(body, list) and len(body) > 1:
                for number, piece in enumerate(body, start=1):
                    if not piece.strip():
                        empty = N_("part %(number)s of the %(language)s text is empty")
                        raise ValueError(said(empty, number=str(number), language=tag))
            pieces = body if isinstance(body, list) else [body]
            if any(not piece.strip() for piece in pieces):
                raise ValueError(said(N_("the %(language)s text is empty"), language=tag))
        return value

    @field_validator("first_comment")
    @classmethod
    def _comment_tags(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        comments = value if isinstance(value, dict) else {"": value or " "}
        if isinstance(value, dict) and not value:
            raise ValueError(said(N_('gives no text (like en = "...")')))
        for tag, body in comments.items():
            if tag:
                check_language_tag(tag)
            if not body.strip() and tag:
                empty = N_("the %(language)s comment is empty (leave it out for no comment)")
                raise ValueError(said(empty, language=tag))
            if not body.strip():
                raise ValueError(said(N_("is empty (leave it out for no comment)")))
        return value


@dataclass(frozen=True)
class VariantContent:
    """One language's content: free text, or the template fields resolved for that language,
    and the texts of the channels that have their own in this language (by channel id)."""

    language: str
    text: str | None  # a text given as parts: the parts joined by a blank line
    fields: Mapping[str, Any]
    channel_texts: Mapping[str, str] = field(default_factory=dict)
    parts: tuple[str, ...] = ()  # the text's parts, where it was given as a list of them
    comment: str | None = None  # the first comment in this language


@dataclass(frozen=True)
class DraftContent:
    """A checked draft file: every name resolved, every time aware."""

    kind: str
    title: str
    template: str | None
    channels: tuple[str, ...]
    languages: tuple[str, ...]
    publish_at: datetime | None
    publish_next_slot: bool
    expires_at: datetime | None
    variants: tuple[VariantContent, ...]
    source: str
    media: tuple[MediaRef, ...] = ()
    repeat: str | None = None  # the RRULE as checked; publish_at is its first occurrence
    occurrences: tuple[Occurrence, ...] = ()  # every occurrence of a repeating draft
    thread: bool = False  # thread = "auto": a text too long for a channel becomes a thread

    def series(self) -> tuple[Occurrence, ...]:
        """The occurrences the posts are composed for: the rule's, or the one of a draft that
        does not repeat (at publish_at, or unknown yet)."""
        return self.occurrences or (Occurrence(1, self.publish_at),)


def read_draft_file(source: str, name: str, config: Config, now: datetime) -> DraftContent:
    """Parse and check a draft file's text; ``name`` is how errors refer to it.

    A ``DraftError`` names every problem found: those of the keys as written, then those of
    what they name (channels, languages, times) wherever the keys they need were readable."""
    size = len(source.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        too_large = N_("%(size)s bytes; a draft file may hold at most %(limit)s (256 KiB)")
        sizes = {"size": f"{size:,}", "limit": f"{MAX_FILE_BYTES:,}"}
        raise DraftError(Problems(name, (said(too_large, **sizes),)))
    data = load_toml(source, name, DraftError)
    found: list[Item] = []
    refused: set[str] = set()
    try:
        parsed = DraftFile.model_validate(data)
    except ValidationError as error:
        found += problems(error, data)
        refused = {str(each["loc"][0]) for each in error.errors()}
        # The keys pydantic took, unvalidated again, so that what they name is checked too.
        readable = {key: value for key, value in data.items() if key not in refused}
        parsed = DraftFile.model_construct(**readable)
    content = _check(parsed, refused, source, config, now, found)
    if content is None:
        raise DraftError(one_line(name, found))
    return content


def _check(
    parsed: DraftFile,
    refused: set[str],
    source: str,
    config: Config,
    now: datetime,
    found: list[Item],
) -> DraftContent | None:
    """The checked content, or None with every problem added to ``found``; a check whose keys
    were ``refused`` as written is skipped."""

    def readable(*keys: str) -> bool:
        return refused.isdisjoint(keys)

    if readable("text", "fields", "channel_text", "first_comment"):
        written = {
            "text": parsed.text,
            "fields": parsed.fields,
            "channel_text": parsed.channel_text,
            "first_comment": parsed.first_comment,
        }
        _attempt(found, lambda: _check_lengths(written))
    languages = None
    if readable("template", "text", "languages", "fields"):
        languages = _attempt(found, lambda: _languages(parsed))
    if readable("channels"):
        found += _channel_problems(parsed.channels, languages, config)
    if readable("channels", "channel_text") and languages is not None:
        found += _channel_text_problems(parsed, languages, config)
    if readable("first_comment") and languages is not None:
        found += _comment_problems(parsed.first_comment, languages)
    publish = None
    if readable("publish_at"):
        repeats = parsed.repeat is not None and readable("repeat")
        publish = _attempt(
            found, lambda: _publish_at(parsed.publish_at, config.zone, now, repeats=repeats)
        )
    expires_at = None
    if readable("expires_at"):
        expires_at = _attempt(found, lambda: _expires_at(parsed.expires_at, config.zone))
    if expires_at is not None and expires_at <= now:
        found.append(problem("expires_at", N_("is already in the past")))
    elif publish and publish[0] and expires_at and publish[0] >= expires_at:
        found.append(problem("publish_at", N_("is not before expires_at")))
    series: tuple[Occurrence, ...] | None = ()
    rule = parsed.repeat
    if rule is not None and readable("repeat") and publish is not None:
        series = _attempt(found, lambda: _series(rule, publish, expires_at, config.zone, now))
    variants = None
    if languages is not None:
        variants = _attempt(
            found, lambda: tuple(_variant(parsed, language, languages) for language in languages)
        )
    media: tuple[MediaRef, ...] | None = ()
    if readable("media", "channels") and languages is not None:
        media = _attempt(found, lambda: _media(parsed, languages))
    if found or languages is None or publish is None or variants is None or media is None:
        return None
    assert series is not None
    return DraftContent(
        kind=parsed.kind,
        title=parsed.title.strip(),
        template=parsed.template,
        channels=tuple(parsed.channels),
        languages=languages,
        publish_at=publish[0],
        publish_next_slot=publish[1],
        expires_at=expires_at,
        variants=variants,
        source=source,
        media=media,
        repeat=check_rule(parsed.repeat) if parsed.repeat is not None else None,
        occurrences=series,
        thread=parsed.thread == "auto",
    )


def _series(
    rule: str,
    publish: tuple[datetime | None, bool],
    expires_at: datetime | None,
    tz: ZoneInfo,
    now: datetime,
) -> tuple[Occurrence, ...]:
    """The occurrences; a series whose first is past stands while one is still ahead (its
    edit, once some went out, keeps its publish_at), and is in the past once none is."""
    if publish[1]:
        raise DraftError(
            problem("repeat", N_("needs publish_at as a date and time, not next-slot"))
        )
    series = occurrences(check_rule(rule), publish[0], tz)
    last_at = series[-1].at
    if publish[0] is not None and last_at is not None and last_at <= now:
        first = Instant(publish[0], publish[0].astimezone(tz).strftime("%Y-%m-%d %H:%M"))
        raise DraftError(problem("publish_at", N_("%(when)s is in the past"), when=first))
    if expires_at is not None and last_at is not None and last_at >= expires_at:
        last = N_("its last occurrence (%(when)s) is not before expires_at")
        when = Instant(last_at, last_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
        raise DraftError(problem("repeat", last, when=when))
    return series


def _attempt(found: list[Item], check: Callable[[], T]) -> T | None:
    """What ``check`` returns, or None with the problems it raised added to ``found``."""
    try:
        return check()
    except TidingsError as error:
        made = error.message
        found.extend(made.items if isinstance(made, Problems) else (made,))
        return None


def _check_lengths(value: Any, key: str = "") -> None:
    """A DraftError naming the first text or field value longer than ``MAX_TEXT_CHARACTERS``."""
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARACTERS:
        too_long = N_("%(length)s characters; a text or field may hold at most %(limit)s")
        lengths = {"length": f"{len(value):,}", "limit": f"{MAX_TEXT_CHARACTERS:,}"}
        raise DraftError(problem(key, too_long, **lengths))
    if isinstance(value, dict):
        for name, item in value.items():
            _check_lengths(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_lengths(item, f"{key}[{index}]")


def _languages(parsed: DraftFile) -> tuple[str, ...]:
    if parsed.template and parsed.text:
        raise DraftError(
            problem("text", N_("give either a template with [fields] or [text], not both"))
        )
    if not parsed.template and not parsed.text:
        no_text = N_("missing: give [text] per language, or a template with [fields]")
        raise DraftError(problem("text", no_text))
    if parsed.template:
        if not parsed.languages:
            raise DraftError(
                problem("languages", N_('required with a template (like ["ko", "en"])'))
            )
        return tuple(parsed.languages)
    if parsed.fields:
        raise DraftError(problem("fields", N_("only a draft with a template takes [fields]")))
    written = tuple(parsed.text)
    if parsed.languages and set(parsed.languages) != set(written):
        missing = sorted(set(parsed.languages) - set(written))
        extra = sorted(set(written) - set(parsed.languages))
        if missing:
            listed = ", ".join(missing)
            raise DraftError(
                problem(
                    "text", N_("no text for %(languages)s (listed in languages)"), languages=listed
                )
            )
        raise DraftError(
            problem(f"text.{extra[0]}", N_("%(language)s is not in languages"), language=extra[0])
        )
    return tuple(parsed.languages or written)


def _channel_problems(
    channel_ids: list[str], languages: tuple[str, ...] | None, config: Config
) -> list[Problem]:
    """Each unknown channel, or else each channel that takes none of the draft's languages and
    each language no channel takes; the languages are left alone when they could not be read
    (None)."""
    if len(set(channel_ids)) != len(channel_ids):
        return [problem("channels", N_("lists a channel twice"))]
    channels, unknown = [], []
    for channel_id in channel_ids:
        try:
            channels.append(config.channel(channel_id))
        except NotFoundError:
            unknown.append(Problem("channels", config.unknown_channel(channel_id)))
    if unknown or languages is None:
        return unknown
    written_in = ", ".join(languages)
    found = [
        problem(
            "channels",
            N_("%(channel)s takes %(takes)s, but this draft is in %(languages)s"),
            channel=channel.id,
            takes=", ".join(channel.languages),
            languages=written_in,
        )
        for channel in channels
        if not any(channel.takes(language) for language in languages)
    ]
    takes = "; ".join(f"{c.id}: {', '.join(c.languages)}" for c in channels)
    found += [
        problem(
            "languages",
            N_("no targeted channel takes %(language)s (%(takes)s)"),
            language=language,
            takes=takes,
        )
        for language in languages
        if not any(channel.takes(language) for channel in channels)
    ]
    return found


def _channel_text_problems(
    parsed: DraftFile, languages: tuple[str, ...], config: Config
) -> list[Problem]:
    """Each ``[channel_text.<channel id>]`` text that no post would send: for a channel the
    draft does not target, or in a language the draft or the channel does not have; and each
    one left empty (the channel sends the draft's text without it)."""
    found = []
    for channel_id, texts in parsed.channel_text.items():
        key = f"channel_text.{channel_id}"
        if channel_id not in parsed.channels:
            not_targeted = N_("%(channel)s is not one of the draft's channels (%(channels)s)")
            channels = ", ".join(parsed.channels)
            found.append(problem(key, not_targeted, channel=channel_id, channels=channels))
            continue
        if not texts:
            found.append(problem(key, N_('gives no text (like en = "...")')))
        try:
            channel = config.channel(channel_id)
        except NotFoundError:
            continue  # said under channels
        for tag, body in texts.items():
            at = f"{key}.{tag}"
            if tag not in languages:
                not_written = N_("%(language)s is not one of the draft's languages (%(languages)s)")
                found.append(problem(at, not_written, language=tag, languages=", ".join(languages)))
            elif not channel.takes(tag):
                not_taken = N_("%(channel)s does not publish in %(language)s")
                found.append(problem(at, not_taken, channel=channel_id, language=tag))
            elif not body.strip():
                empty = N_("is empty (leave it out and %(channel)s sends the %(language)s text)")
                found.append(problem(at, empty, channel=channel_id, language=tag))
    return found


def _publish_at(
    value: TimeValue | None, tz: ZoneInfo, now: datetime, *, repeats: bool = False
) -> tuple[datetime | None, bool]:
    """The time and whether it is next-slot; a past time is refused, but for a series
    (``repeats``: ``_series`` refuses one whose every occurrence is past)."""
    if value is None:
        return None, False
    if value == NEXT_SLOT:
        return None, True
    if isinstance(value, datetime | str):
        instant = _instant(value, tz, now, "publish_at")
    else:
        raise DraftError(problem("publish_at", N_('give a date and a time, or "next-slot"')))
    if instant <= now and not repeats:
        when = Instant(instant, str(value).strip())
        raise DraftError(problem("publish_at", N_("%(when)s is in the past"), when=when))
    return instant, False


def _expires_at(value: TimeValue | None, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime | str):
        return _instant(value, tz, None, "expires_at")
    try:
        return end_of_day(value, tz)
    except ValueError as error:
        raise DraftError(Problem("expires_at", reason_of(error))) from None


def _instant(value: datetime | str, tz: ZoneInfo, now: datetime | None, key: str) -> datetime:
    try:
        if isinstance(value, datetime):
            return localize(value, tz) if value.tzinfo is None else in_calendar(value)
        if now is None and value.startswith("+"):
            raise ValueError(said(N_("give a date and time, not a relative time")))
        return parse_time(value, tz, now or datetime.now(tz))
    except ValueError as error:
        raise DraftError(Problem(key, reason_of(error))) from None


def _comment_problems(
    comment: str | dict[str, str] | None, languages: tuple[str, ...]
) -> list[Problem]:
    """Each language of a per-language first comment that the draft is not written in."""
    if not isinstance(comment, dict):
        return []
    return [
        problem(f"first_comment.{tag}", N_("%(language)s is not in languages"), language=tag)
        for tag in comment
        if tag not in languages
    ]


def _variant(parsed: DraftFile, language: str, languages: tuple[str, ...]) -> VariantContent:
    channel_texts = {
        channel_id: _tidy(texts[language])
        for channel_id, texts in parsed.channel_text.items()
        if language in texts
    }
    comment = parsed.first_comment
    if isinstance(comment, dict):
        comment = comment.get(language)
    if not parsed.template:
        written = parsed.text[language]
        parts = tuple(_tidy(part) for part in written) if isinstance(written, list) else ()
        return VariantContent(
            language=language,
            text="\n\n".join(parts) if parts else _tidy(str(written)),
            fields={},
            channel_texts=channel_texts,
            parts=parts if len(parts) > 1 else (),
            comment=_tidy(comment) if comment is not None else None,
        )
    return VariantContent(
        language=language,
        text=None,
        fields={
            name: _field_value(name, value, language, languages)
            for name, value in parsed.fields.items()
        },
        channel_texts=channel_texts,
        comment=_tidy(comment) if comment is not None else None,
    )


def _tidy(text: str) -> str:
    """A text as written, as posts send it: Unix line ends, no surrounding blank space."""
    return text.replace("\r\n", "\n").strip()


def _media(parsed: DraftFile, languages: tuple[str, ...]) -> tuple[MediaRef, ...]:
    # After another key was refused, ``parsed`` was constructed unvalidated: entries are tables.
    entries = [MediaEntry.model_validate(entry) for entry in parsed.media]
    return tuple(
        _media_ref(f"media[{index}]", entry, languages, tuple(parsed.channels))
        for index, entry in enumerate(entries)
    )


def _media_ref(
    key: str, entry: MediaEntry, languages: tuple[str, ...], channels: tuple[str, ...]
) -> MediaRef:
    if (entry.file is None) == (entry.sha256 is None):
        raise DraftError(
            f'{key}: give file = "photos/name.jpg" (beside the draft), not both or none'
        )
    if isinstance(entry.alt, str):
        alt = dict.fromkeys(languages, entry.alt.strip())
    else:
        for tag in entry.alt:
            if tag not in languages:
                raise DraftError(
                    f"{key}.alt.{tag}: {tag} is not one of the draft's languages "
                    f"({', '.join(languages)})"
                )
        alt = {tag: text.strip() for tag, text in entry.alt.items()}
    for channel in entry.channels or ():
        if channel not in channels:
            raise DraftError(
                f"{key}.channels: {channel} is not one of the draft's channels "
                f"({', '.join(channels)})"
            )
    return MediaRef(
        file=entry.file,
        sha256=entry.sha256,
        alt=alt,
        channels=tuple(entry.channels) if entry.channels else None,
    )


def _field_value(name: str, value: Any, language: str, languages: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return value
    for tag in value:
        if tag not in languages:
            raise DraftError(
                f"fields.{name}.{tag}: {tag} is not one of the draft's languages "
                f"({', '.join(languages)})"
            )
    if language not in value:
        raise DraftError(f"fields.{name}: no value for {language}")
    return value[language]
