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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drafts.config import Config
from drafts.errors import DraftError, TidingsError
from drafts.languages import check_language_tag
from drafts.text_files import load_toml
from drafts.times import end_of_day, in_calendar, localize, parse_time
from drafts.validation import describe

KINDS = ("update", "hiring", "event", "post")
NEXT_SLOT = "next-slot"
# Far above any post (Facebook's 63,206 characters is the longest limit), and low enough that
# checking, rendering and previewing a draft stays quick.
MAX_FILE_BYTES = 256 * 1024
MAX_TEXT_CHARACTERS = 50_000

TimeValue = str | datetime | date


class DraftFile(BaseModel):
    """The keys a draft file may hold, as written."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["update", "hiring", "event", "post"]
    title: str = Field(min_length=1, max_length=200)
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]*$")
    channels: list[str] = Field(min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    publish_at: TimeValue | None = None
    expires_at: TimeValue | None = None
    fields: dict[str, Any] = {}
    text: dict[str, str] = {}

    @field_validator("languages")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        for tag in value or ():
            check_language_tag(tag)
        if value and len(set(value)) != len(value):
            raise ValueError("lists a language twice")
        return value

    @field_validator("text")
    @classmethod
    def _text_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for tag, body in value.items():
            check_language_tag(tag)
            if not body.strip():
                raise ValueError(f"the {tag} text is empty")
        return value


@dataclass(frozen=True)
class VariantContent:
    """One language's content: free text, or the template fields resolved for that language."""

    language: str
    text: str | None
    fields: Mapping[str, Any]


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


def read_draft_file(source: str, name: str, config: Config, now: datetime) -> DraftContent:
    """Parse and check a draft file's text; ``name`` is how errors refer to it."""
    size = len(source.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise DraftError(
            f"{name}: {size:,} bytes; a draft file may hold at most {MAX_FILE_BYTES:,} (256 KiB)"
        )
    data = load_toml(source, name, DraftError)
    try:
        parsed = DraftFile.model_validate(data)
    except ValidationError as error:
        raise DraftError(describe(error, name, data)) from None
    try:
        return _check(parsed, source, config, now)
    except TidingsError as error:
        raise DraftError(f"{name}: {error}") from None


def _check(parsed: DraftFile, source: str, config: Config, now: datetime) -> DraftContent:
    _check_lengths({"text": parsed.text, "fields": parsed.fields})
    languages = _languages(parsed)
    _check_channels(parsed.channels, languages, config)
    publish_at, next_slot = _publish_at(parsed.publish_at, config.zone, now)
    expires_at = _expires_at(parsed.expires_at, config.zone)
    if expires_at is not None and expires_at <= now:
        raise DraftError("expires_at: is already in the past")
    if publish_at and expires_at and publish_at >= expires_at:
        raise DraftError("publish_at: is not before expires_at")
    return DraftContent(
        kind=parsed.kind,
        title=parsed.title.strip(),
        template=parsed.template,
        channels=tuple(parsed.channels),
        languages=languages,
        publish_at=publish_at,
        publish_next_slot=next_slot,
        expires_at=expires_at,
        variants=tuple(_variant(parsed, language, languages) for language in languages),
        source=source,
    )


def _check_lengths(value: Any, key: str = "") -> None:
    """A DraftError naming the first text or field value longer than ``MAX_TEXT_CHARACTERS``."""
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARACTERS:
        raise DraftError(
            f"{key}: {len(value):,} characters; a text or field may hold at most "
            f"{MAX_TEXT_CHARACTERS:,}"
        )
    if isinstance(value, dict):
        for name, item in value.items():
            _check_lengths(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_lengths(item, f"{key}[{index}]")


def _languages(parsed: DraftFile) -> tuple[str, ...]:
    if parsed.template and parsed.text:
        raise DraftError("text: give either a template with [fields] or [text], not both")
    if not parsed.template and not parsed.text:
        raise DraftError("text: missing: give [text] per language, or a template with [fields]")
    if parsed.template:
        if not parsed.languages:
            raise DraftError('languages: required with a template (like ["ko", "en"])')
        return tuple(parsed.languages)
    if parsed.fields:
        raise DraftError("fields: only a draft with a template takes [fields]")
    written = tuple(parsed.text)
    if parsed.languages and set(parsed.languages) != set(written):
        missing = sorted(set(parsed.languages) - set(written))
        extra = sorted(set(written) - set(parsed.languages))
        if missing:
            raise DraftError(f"text: no text for {', '.join(missing)} (listed in languages)")
        raise DraftError(f"text.{extra[0]}: {extra[0]} is not in languages")
    return tuple(parsed.languages or written)


def _check_channels(channel_ids: list[str], languages: tuple[str, ...], config: Config) -> None:
    if len(set(channel_ids)) != len(channel_ids):
        raise DraftError("channels: lists a channel twice")
    channels = [config.channel(channel_id) for channel_id in channel_ids]
    for channel in channels:
        if not any(channel.takes(language) for language in languages):
            raise DraftError(
                f"channels: {channel.id} takes {', '.join(channel.languages)}, "
                f"but this draft is in {', '.join(languages)}"
            )
    for language in languages:
        if not any(channel.takes(language) for channel in channels):
            takes = "; ".join(f"{c.id} takes {', '.join(c.languages)}" for c in channels)
            raise DraftError(f"languages: no targeted channel takes {language} ({takes})")


def _publish_at(
    value: TimeValue | None, tz: ZoneInfo, now: datetime
) -> tuple[datetime | None, bool]:
    if value is None:
        return None, False
    if value == NEXT_SLOT:
        return None, True
    if isinstance(value, datetime | str):
        instant = _instant(value, tz, now, "publish_at")
    else:
        raise DraftError('publish_at: give a date and a time, or "next-slot"')
    if instant <= now:
        raise DraftError(f"publish_at: {str(value).strip()} is in the past")
    return instant, False


def _expires_at(value: TimeValue | None, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime | str):
        return _instant(value, tz, None, "expires_at")
    try:
        return end_of_day(value, tz)
    except ValueError as error:
        raise DraftError(f"expires_at: {error}") from None


def _instant(value: datetime | str, tz: ZoneInfo, now: datetime | None, key: str) -> datetime:
    try:
        if isinstance(value, datetime):
            return localize(value, tz) if value.tzinfo is None else in_calendar(value)
        if now is None and value.startswith("+"):
            raise ValueError("give a date and time, not a relative time")
        return parse_time(value, tz, now or datetime.now(tz))
    except ValueError as error:
        raise DraftError(f"{key}: {error}") from None


def _variant(parsed: DraftFile, language: str, languages: tuple[str, ...]) -> VariantContent:
    if not parsed.template:
        body = parsed.text[language].replace("\r\n", "\n").strip()
        return VariantContent(language=language, text=body, fields={})
    return VariantContent(
        language=language,
        text=None,
        fields={
            name: _field_value(name, value, language, languages)
            for name, value in parsed.fields.items()
        },
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
