"""The configuration in ``config.toml``: where the database is, how review works, the web
app's proxies, the channels, the news feeds read into review, the event hooks.

Found at ``--config PATH``, else ``$TIDINGS_CONFIG``, else ``./config.toml``.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from drafts.channels import Channel, EnvName
from drafts.errors import ConfigError, DraftError, NotFoundError
from drafts.hook_events import HOOK_EVENTS
from drafts.messages import N_, Problem, Problems, Said, said
from drafts.text_files import load_toml, utf8_text
from drafts.times import zone
from drafts.validation import describe


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneralSettings(_Section):
    timezone: str = "UTC"
    database: str = "sqlite:///tidings.db"
    templates: str | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("database")
    @classmethod
    def _database_supported(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value


class ReviewSettings(_Section):
    required_approvals: int = Field(default=1, ge=1, le=10)
    allow_self_approval: bool = False


class SchedulerSettings(_Section):
    """``[scheduler]``. A daemon reports in every ``heartbeat_seconds``, renewing the leases of
    the posts it is sending; one silent for ``missed_beats`` beats is dead, and its posts are
    taken over (at once, by a daemon on the same host, when its process has ended).
    ``lease_seconds`` is what config files said before heartbeats: still read, so that those
    files keep working, and no longer used (``tidings run`` says so)."""

    concurrency: int = Field(default=16, ge=1, le=1024)
    max_attempts: int = Field(default=5, ge=1, le=50)
    heartbeat_seconds: float = Field(default=2, ge=0.1, le=60)
    missed_beats: int = Field(default=3, ge=2, le=20)
    lease_seconds: float | None = None
    request_timeout: float = Field(default=30, gt=0, le=600)  # seconds to wait for a platform


class WebSettings(_Section):
    """``tidings web``. ``trusted_proxies``: the addresses and networks of the reverse proxies
    whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed; none by default, as any
    client could otherwise send them (and escape the login throttle's count per address).
    ``public_url``: where people and platforms reach the web app (``https://tidings.example.org``);
    connecting an account sends the platform back to ``public_url`` + ``/channels/<id>/callback``."""

    trusted_proxies: tuple[str, ...] = ()
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _web_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(
                "give the address people open the web app at, like https://tidings.example.org"
            )
        if parts.query or parts.fragment:
            raise ValueError("give an address without ?query or #fragment")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                # As uvicorn reads them: a network with no host bits set, else one address.
                ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
                ) from None
        return value


class ApiSettings(_Section):
    """``[api]``: the HTTP API (``/api/v1``). ``requests_per_minute``: how many requests a
    token may make in any minute, counted by each ``tidings web`` process."""

    requests_per_minute: int = Field(default=120, ge=1, le=100_000)


class OAuthApp(_Section):
    """``[oauth.<platform>]``: the environment variables holding the app's OAuth client id and,
    for a confidential client, its secret (LinkedIn, X, Facebook, Threads; Mastodon registers
    its own app on each instance)."""

    client_id_env: EnvName
    client_secret_env: EnvName | None = None


OAUTH_PLATFORMS = ("linkedin", "x", "facebook", "threads")
OAuthPlatform = Literal["linkedin", "x", "facebook", "threads"]


class MediaSettings(_Section):
    """``[media]``. ``require_alt``: an image without alt text in a post's language keeps the
    draft from review. ``public_url``: where ``tidings web`` serves approved images under signed
    links (``https://tidings.example.org/media``); Threads fetches images from there."""

    require_alt: bool = True
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(
                "give the address where `tidings web` serves /media, like https://tidings.example.org/media"
            )
        if parts.query or parts.fragment:
            raise ValueError("give an address without ?query or #fragment")
        return value.rstrip("/")


class NotificationSettings(_Section):
    """``[notifications]``: how the daemon tells people about events (PRODUCT.md
    "Notifications"). E-mail goes through ``smtp_url`` (``smtp://host:port``, upgraded with
    STARTTLS when the server offers it or ``?starttls=require`` demands it; ``smtps://`` for
    implicit TLS; ``user@`` to log in with the password in ``smtp_password_env``), from
    ``from``. ``chat_webhook_env`` names the variable holding a Slack, Mattermost or Teams
    incoming webhook, shaped as ``chat_format`` says."""

    model_config = ConfigDict(populate_by_name=True)

    smtp_url: str | None = None
    smtp_password_env: EnvName | None = None
    sender: str = Field(default="Tidings <tidings@localhost>", alias="from")
    chat_webhook_env: EnvName | None = None
    chat_format: Literal["slack", "mattermost", "teams"] = "slack"

    @field_validator("smtp_url")
    @classmethod
    def _mail_server(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("use smtp://HOST:PORT or smtps://HOST:PORT (user@ to log in)")
        try:
            parts.port  # noqa: B018 - read for its ValueError on a port out of range
        except ValueError:
            raise ValueError("the port is not a number from 1 to 65535") from None
        if not parts.hostname:
            raise ValueError("give the mail server's host, like smtp://mail.example.org:587")
        if parts.password is not None:
            raise ValueError("holds a password: give it in smtp_password_env instead")
        if parts.query not in {"", "starttls=require"}:
            raise ValueError("the only option is ?starttls=require")
        return value

    @field_validator("sender")
    @classmethod
    def _one_address(cls, value: str) -> str:
        _name, address = parseaddr(value)
        if "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError("give one address, like 'Tidings <tidings@example.org>'")
        return value


class FeedSettings(_Section):
    """``[[feeds]]``: an RSS or Atom feed the daemon reads every ``interval`` minutes, each new
    item a draft in review rendered through ``template`` (its fields ``title``, ``link``,
    ``summary``, ``published``) for ``channels`` in ``languages``. ``author``: the user the
    drafts are written by; by default the daemon, under its own name."""

    url: str = Field(max_length=2000)  # news_feed.url
    template: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    channels: tuple[str, ...] = Field(min_length=1)
    languages: tuple[str, ...] = Field(min_length=1)
    interval: int = Field(default=15, ge=1, le=7 * 24 * 60)  # minutes between reads
    author: str | None = None

    @field_validator("url")
    @classmethod
    def _feed_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("give the feed's address, like https://example.org/news.rss")
        return value


class HookSettings(_Section):
    """``[[hooks]]``: an address the daemon POSTs each event to, as JSON signed with the secret
    in the variable ``secret_env`` names (PRODUCT.md "HTTP API and event hooks"). ``events``:
    the types it takes (``drafts.hook_events``); every one when not given."""

    url: str = Field(max_length=2000)  # notification_delivery.hook_url
    secret_env: EnvName
    events: tuple[str, ...] | None = None

    @field_validator("url")
    @classmethod
    def _hook_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("give the hook's address, like https://intranet.example.org/tidings")
        if parts.username is not None or parts.password is not None:
            raise ValueError("holds a user or password: events are signed with secret_env instead")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in value or ():
            if name not in HOOK_EVENTS:
                raise ValueError(f"{name!r} is not an event: use {', '.join(HOOK_EVENTS)}")
        return value


class Config(_Section):
    """The whole configuration file, validated."""

    tidings: GeneralSettings = GeneralSettings()
    review: ReviewSettings = ReviewSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    api: ApiSettings = ApiSettings()
    media: MediaSettings = MediaSettings()
    notifications: NotificationSettings = NotificationSettings()
    oauth: dict[OAuthPlatform, OAuthApp] = {}
    channels: tuple[Channel, ...] = ()
    feeds: tuple[FeedSettings, ...] = ()
    hooks: tuple[HookSettings, ...] = ()
    path: Path = Path("config.toml")

    @model_validator(mode="after")
    def _channel_ids_unique(self) -> Config:
        seen: set[str] = set()
        for channel in self.channels:
            if channel.id in seen:
                raise ValueError(f"channel id {channel.id!r} is declared twice")
            seen.add(channel.id)
        return self

    @model_validator(mode="after")
    def _hook_urls_unique(self) -> Config:
        urls = [hook.url for hook in self.hooks]
        for url in urls:
            if urls.count(url) > 1:
                raise ValueError(f"hook url {url!r} is declared twice")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tidings.timezone)

    @property
    def database_url(self) -> str:
        """The database URL, with a relative SQLite path read from the config file's folder."""
        url = self.tidings.database
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            relative = url.removeprefix(prefix)
            if relative != ":memory:":
                return prefix + str((self.path.parent / relative).resolve())
        return url

    @property
    def template_folders(self) -> tuple[Path, ...]:
        folder = self.tidings.templates
        return ((self.path.parent / folder).resolve(),) if folder else ()

    def channel(self, channel_id: str) -> Channel:
        for channel in self.channels:
            if channel.id == channel_id:
                return channel
        raise NotFoundError(self.unknown_channel(channel_id))

    def unknown_channel(self, channel_id: str) -> Said:
        """Why ``channel_id`` names no channel: with the nearest id, else the ids there are."""
        known = [c.id for c in self.channels]
        close = difflib.get_close_matches(channel_id, known, n=1)
        if close:
            guess = N_("unknown channel %(channel)s (did you mean %(close)s?)")
            return said(guess, channel=repr(channel_id), close=close[0])
        if not known:
            return said(
                N_("unknown channel %(channel)s (no channel is configured)"),
                channel=repr(channel_id),
            )
        listed = N_("unknown channel %(channel)s (channels: %(known)s)")
        return said(listed, channel=repr(channel_id), known=", ".join(known))


def config_path(explicit: str | None) -> Path:
    """Where the configuration lives: ``--config``, else ``$TIDINGS_CONFIG``, else ``./config.toml``."""
    return Path(explicit or os.environ.get("TIDINGS_CONFIG") or "config.toml")


def load_config(path: Path) -> Config:
    """Read and validate the configuration file at ``path``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no configuration file here (run `tidings init`)") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    return parse_config(utf8_text(data, str(path), ConfigError), path)


def parse_config(text: str, path: Path) -> Config:
    return _validate(load_toml(text, str(path), ConfigError), path)


def _validate(data: Mapping[str, Any], path: Path) -> Config:
    if "path" in data:
        raise ConfigError(f"{path}: path: unknown key (misspelled?)")
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as error:
        raise ConfigError(describe(error, str(path), data)) from None
    _check_feeds(config)
    return config


def _check_feeds(config: Config) -> None:
    """Each feed's channels, template and languages exist, and the template is written in
    each language: every problem named at its ``feeds[N].key``, in one ConfigError."""
    if not config.feeds:
        return
    from drafts.rendering import TemplateLibrary  # Jinja and Babel: only with feeds to check

    library = TemplateLibrary.default(config.template_folders)
    known = {channel.id for channel in config.channels}
    found: list[Problem] = []
    for number, feed in enumerate(config.feeds):
        at = f"feeds[{number}]"
        found += [
            Problem(f"{at}.channels", f"unknown channel {channel_id!r}")
            for channel_id in feed.channels
            if channel_id not in known
        ]
        try:
            written_in = library.languages(feed.template)
        except DraftError as error:
            found.append(Problem(f"{at}.template", str(error)))
            continue
        for language in feed.languages:
            if language not in written_in:
                missing = f"template {feed.template!r} has no {language!r} version"
                found.append(Problem(f"{at}.languages", f"{missing} ({', '.join(written_in)})"))
    if found:
        raise ConfigError(Problems(str(config.path), tuple(found)))
