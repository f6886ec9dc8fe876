"""The channels page: each configured channel's credential (connected from here, an environment
variable, or none: ``connect_status``) with what it last published and its last error, then its
configuration (platform, languages, slots, timezone) and its health, as ``tidings channels
check`` reports it; a vault key that channels need and the web's environment lacks is said
before any check (the daemon would refuse to start without it). Admins connect, reconnect and
disconnect channels here (``connect_page``).

The check calls every platform, so the plain page never runs it: ``GET /channels`` reads the
configuration and one small table (rate-limit windows) and shows "not checked yet";
``GET /channels?check=1`` runs ``scheduler.channel_check.check_channels``. Every logged-in role
(author, reviewer, admin) may look; only admins may check (others get the 403 page), and at
most once a minute per process: each check is an authenticated call to every platform, so a
check asked for sooner shows the last one's results and when the next may run.

Below the channels, the news feeds the daemon reads into review (``[[feeds]]``): each with when
it was last read and the problem that read had, if any (``scheduler.news_feeds``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.channels import ChannelBase
from drafts.config import Config
from drafts.rate_windows import open_windows
from drafts.storage import Database
from drafts.times import utcnow
from drafts.users import Capability, require
from scheduler.channel_check import ChannelHealth, check_channels
from scheduler.credentials import vault_key_problem
from scheduler.news_feeds import feed_states, url_hash
from scheduler.notifications.deliveries import failed_count
from tidings.web import connect_page
from tidings.web.connect_status import ConnectionView, Stored, connection_view, stored
from tidings.web.connect_words import Refusal
from tidings.web.context import WebContext, off_loop
from tidings.web.daemon_seen import daemon_seen
from tidings.web.sentences import Teller

CHECK_TIMEOUT = 10.0  # seconds per request to a platform: the page waits for the slowest
CHECK_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class HealthView:
    reachable: bool
    checked: bool  # False: nothing was sent (a webhook has nothing to ask), so not "reachable"
    posts_as: str | None
    token_expires_at: datetime | None
    problem: str | None
    warning: str | None


@dataclass(frozen=True)
class ChannelView:
    id: str
    platform: str
    languages: tuple[str, ...]
    slots: tuple[str, ...]
    zone: ZoneInfo
    zone_is_default: bool
    blocked_until: datetime | None  # a rate-limit window still running
    blocked_reason: str | None
    health: HealthView | None  # None: not checked on this request
    connection: ConnectionView
    variable: str | None  # the environment variable configured for its secret, if any
    callback_url: str | None  # where an OAuth platform sends the admin back (register it there)
    # Known without a check: the vault key this channel needs is missing where the web runs.
    key_problem: str | None = None


@dataclass(frozen=True)
class ChannelsPage:
    channels: tuple[ChannelView, ...]
    checked: bool
    checked_at: datetime
    next_check_at: datetime | None = None  # set when this showed an earlier check's results
    error: str | None = None  # why connecting a channel stopped, in one line

    @property
    def unreachable(self) -> int:
        return sum(1 for c in self.channels if c.health is not None and not c.health.reachable)

    @property
    def unchecked(self) -> int:
        """Channels the check could ask nothing (webhooks): neither reachable nor not."""
        return sum(1 for c in self.channels if c.health is not None and not c.health.checked)


@dataclass(frozen=True)
class FeedView:
    """A ``[[feeds]]`` entry as the daemon last read it (``checked_at`` None: not read yet)."""

    url: str
    template: str
    channels: tuple[str, ...]
    interval: int  # minutes
    checked_at: datetime | None
    problem: str | None


def news_feeds(config: Config, database: Database) -> tuple[FeedView, ...]:
    """The configured feeds, each with what its last read left."""
    if not config.feeds:
        return ()
    with database.reading() as session:
        states = {state.url_hash: state for state in feed_states(session)}
    views = []
    for feed in config.feeds:
        state = states.get(url_hash(feed.url))
        views.append(
            FeedView(
                url=feed.url,
                template=feed.template,
                channels=feed.channels,
                interval=feed.interval,
                checked_at=state.checked_at if state is not None else None,
                problem=state.problem if state is not None else None,
            )
        )
    return tuple(views)


def failed_notifications(database: Database) -> int:
    """How many notifications were given up: said beside the daemon, so none fails unseen."""
    with database.reading() as session:
        return failed_count(session)


def rate_windows(database: Database, now: datetime) -> dict[str, tuple[datetime, str | None]]:
    """Channels inside a rate-limit window now: until when, and why."""
    with database.reading() as session:
        return open_windows(session, now=now)


@dataclass(frozen=True)
class Words:
    """The page's language, for what is put into words in Python (how long until an expiry)."""

    language: str
    gettext: Callable[[str], str]


Health = dict[str, ChannelHealth]


@dataclass(frozen=True)
class Checked:
    """One check's results, when it ran, and, if they were reused, when the next may run."""

    health: Health
    at: datetime
    next_at: datetime | None


@dataclass
class CheckThrottle:
    """At most one channel check per ``interval`` in this process; requests in between get the
    last one's results. Checks take turns, so requests that arrive together make one."""

    interval: timedelta = CHECK_INTERVAL
    clock: Callable[[], datetime] = utcnow
    _last: tuple[Health, datetime] | None = field(default=None, init=False)
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def check(self, run: Callable[[], Awaitable[Health]]) -> Checked:
        async with self._turn:
            now = self.clock()
            if self._last is not None and now - self._last[1] < self.interval:
                health, at = self._last
                return Checked(health, at, at + self.interval)
            self._last = (await run(), now)
            return Checked(self._last[0], now, None)


def channels_page(
    config: Config,
    windows: Mapping[str, tuple[datetime, str | None]],
    checked: Checked | None,
    now: datetime,
    found: Stored,
    words: Words,
    error: str | None = None,
) -> ChannelsPage:
    health = checked.health if checked is not None else None

    def view(channel: ChannelBase) -> ChannelView:
        window = windows.get(channel.id)
        checked_health = health.get(channel.id) if health is not None else None
        key_problem = vault_key_problem([channel], stored=found.connections.keys())
        # A check that met the same problem said it in English: the page says it once, told.
        said_twice = (
            key_problem is not None
            and checked_health is not None
            and checked_health.problem == str(key_problem)
        )
        connection = connection_view(channel, found, now, words.gettext, words.language)
        return ChannelView(
            id=channel.id,
            platform=channel.platform,
            languages=channel.languages,
            slots=channel.slots,
            zone=channel.zone(config.zone),
            zone_is_default=channel.timezone is None,
            blocked_until=window[0] if window else None,
            blocked_reason=window[1] if window else None,
            health=_health_view(checked_health, connection, now, said_twice)
            if checked_health is not None
            else None,
            connection=connection,
            variable=channel.secret_variable,
            callback_url=connect_page.callback_url(config, channel),
            key_problem=Teller(words.gettext, UTC)(key_problem) if key_problem else None,
        )

    return ChannelsPage(
        channels=tuple(view(channel) for channel in config.channels),
        checked=checked is not None,
        checked_at=checked.at if checked is not None else now,
        next_check_at=checked.next_at if checked is not None else None,
        error=error,
    )


def _health_view(
    health: ChannelHealth, connection: ConnectionView, now: datetime, key_problem: bool
) -> HealthView:
    """``health`` for the page; ``key_problem``: its problem is the vault key's, said apart.
    A token's expiry the platform did not say is the connection's, as its card says it."""
    report = connection.report
    return HealthView(
        reachable=health.reachable,
        checked=health.unchecked is None,
        posts_as=health.posts_as,
        token_expires_at=health.token_expires_at
        or (report.expires_at if report.source == "connected" else None),
        problem=None if key_problem else health.problem,
        warning=health.warning(now),
    )


def routes(web: WebContext) -> list[Route]:
    throttle = CheckThrottle()

    async def run_check() -> Health:
        results = await check_channels(
            web.config, list(web.config.channels), web.database, utcnow(), timeout=CHECK_TIMEOUT
        )
        return {result.channel: result for result in results}

    async def show(
        request: Request, checked: Checked | None = None, refusal: Refusal | None = None
    ) -> Response:
        now = utcnow()
        windows = await off_loop(rate_windows, web.database, now)
        found = await off_loop(stored, web.database, [c.id for c in web.config.channels])
        gettext = web.pages.gettext(request)
        words = Words(web.pages.language(request), gettext)
        error = refusal.said(gettext) if refusal is not None else None
        page = channels_page(web.config, windows, checked, now, found, words, error)
        zone = request.state.viewer.zone
        daemon = await off_loop(daemon_seen, web.database, now, gettext, words.language, zone)
        undelivered = await off_loop(failed_notifications, web.database)
        feeds = await off_loop(news_feeds, web.config, web.database)
        status = 200 if refusal is None else 400
        return web.pages.render(
            request,
            "channels.html",
            status=status,
            page=page,
            daemon=daemon,
            feeds=feeds,
            undelivered=undelivered,
        )

    async def channels(request: Request) -> Response:
        checked: Checked | None = None
        if request.query_params.get("check") == "1":
            viewer = request.state.viewer
            require(viewer.user, Capability.CHECK_CHANNELS)
            checked = await throttle.check(run_check)
        return await show(request, checked)

    async def refused(request: Request, refusal: Refusal) -> Response:
        return await show(request, refusal=refusal)

    return [Route("/channels", channels, methods=["GET"]), *connect_page.routes(web, refused)]
