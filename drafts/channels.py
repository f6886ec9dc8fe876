"""Channels: one account on one platform, as declared in ``config.toml``.

Each platform has its own model so that a misspelled or missing key is reported by name
(``channels[2] (x-en).author: field required``). Secrets are never written here: every
``*_env`` key names the environment variable that holds one. A channel connected from the web
app's Channels page needs none (its credential is in the vault, and wins over ``token_env``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from drafts.languages import check_language_tag
from drafts.slots import Slot, parse_slot
from drafts.times import zone

PLATFORMS = ("linkedin", "x", "mastodon", "bluesky", "facebook", "threads", "telegram", "webhook")

CHANNEL_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ChannelBase(BaseModel):
    """What every channel declares, whatever its platform."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Whether Tidings renews this platform's tokens itself (X's OAuth 2.0 tokens, Bluesky's
    # sessions) and keeps them in the vault, which opens only with TIDINGS_SECRET_KEY.
    keeps_tokens: ClassVar[bool] = False

    id: str = Field(pattern=CHANNEL_ID_PATTERN)
    platform: str
    languages: tuple[str, ...] = Field(min_length=1)
    slots: tuple[str, ...] = ()
    timezone: str | None = None
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    max_in_flight: int = Field(default=8, ge=1, le=256)  # requests at once to this channel

    @field_validator("base_url", mode="before")
    @classmethod
    def _base_url_without_credentials(cls, value: object) -> object:
        return refuse_credentials(value)

    @field_validator("languages")
    @classmethod
    def _languages_are_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            check_language_tag(tag)
        if len(set(value)) != len(value):
            raise ValueError("lists a language twice")
        return value

    @field_validator("slots")
    @classmethod
    def _slots_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for slot in value:
            parse_slot(slot)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    def takes(self, language: str) -> bool:
        """Whether this channel publishes posts in ``language``."""
        return language in self.languages

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The timezone this channel's slots and times are read in."""
        return zone(self.timezone) if self.timezone else default

    def parsed_slots(self) -> tuple[Slot, ...]:
        return tuple(parse_slot(slot) for slot in self.slots)

    @property
    def secret_variable(self) -> str | None:
        """The environment variable holding the secret the platform's API needs."""
        for key in ("token_env", "password_env", "secret_env"):
            value = getattr(self, key, None)
            if isinstance(value, str):
                return value
        return None


EnvName = Annotated[str, Field(pattern=ENV_NAME_PATTERN)]


def refuse_credentials(url: object) -> object:
    """``url`` unchanged, unless it carries ``user:password@``: httpx would send that as Basic
    auth on every request, unseen. Runs before the URL's pattern, whose error would quote it."""
    if isinstance(url, str) and "@" in urlsplit(url).netloc:
        raise ValueError(
            "holds a user name or password (user:password@): Tidings would send it to the "
            "platform; give credentials in the channel's *_env keys instead"
        )
    return url


class LinkedInChannel(ChannelBase):
    platform: Literal["linkedin"]
    author: str = Field(pattern=r"^urn:li:(organization|person):[A-Za-z0-9_-]+$")
    token_env: EnvName | None = None
    version: str = Field(default="202601", pattern=r"^\d{6}$")


class XChannel(ChannelBase):
    keeps_tokens: ClassVar[bool] = True
    platform: Literal["x"]
    token_env: EnvName | None = None
    refresh_token_env: EnvName | None = None
    client_id_env: EnvName | None = None
    client_secret_env: EnvName | None = None


class MastodonChannel(ChannelBase):
    platform: Literal["mastodon"]
    base_url: str = Field(pattern=r"^https?://[^\s]+$")
    token_env: EnvName | None = None
    max_characters: int = Field(default=500, ge=1)
    characters_reserved_per_url: int = Field(default=23, ge=0)
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"


class BlueskyChannel(ChannelBase):
    keeps_tokens: ClassVar[bool] = True
    platform: Literal["bluesky"]
    handle: str = Field(min_length=3)
    password_env: EnvName | None = None


class FacebookChannel(ChannelBase):
    platform: Literal["facebook"]
    page_id: str = Field(pattern=r"^\d+$")
    token_env: EnvName | None = None
    graph_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")


class ThreadsChannel(ChannelBase):
    platform: Literal["threads"]
    user_id: str = Field(min_length=1)
    token_env: EnvName | None = None


class TelegramChannel(ChannelBase):
    platform: Literal["telegram"]
    chat_id: str = Field(pattern=r"^(@[A-Za-z0-9_]{5,}|-?\d+)$")
    token_env: EnvName | None = None


class WebhookChannel(ChannelBase):
    platform: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s]+$")
    secret_env: EnvName | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _url_without_credentials(cls, value: object) -> object:
        return refuse_credentials(value)


Channel = Annotated[
    LinkedInChannel
    | XChannel
    | MastodonChannel
    | BlueskyChannel
    | FacebookChannel
    | ThreadsChannel
    | TelegramChannel
    | WebhookChannel,
    Field(discriminator="platform"),
]
