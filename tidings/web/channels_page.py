"""The channels page: each configured channel (platform, languages, slots, timezone) and its
health, as ``tidings channels check`` reports it.

The check calls every platform, so the plain page never runs it: ``GET /channels`` reads the
configuration and one small table (rate-limit windows) and shows "not checked yet";
``GET /channels?check=1`` runs ``scheduler.channel_check.check_channels`` for this request.
Every logged-in role (author, reviewer, admin) may look.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drafts.channels import ChannelBase
from drafts.config import Config
from drafts.models import ChannelState
from drafts.storage import Database
from drafts.timestamps import utcnow
from scheduler.channel_check import ChannelHealth, check_channels
from tidings.web.context import WebContext, off_loop

CHECK_TIMEOUT = 10.0  # seconds per request to a platform: the page waits for the slowest


@dataclass(frozen=True)
class HealthView:
    reachable: bool
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


@dataclass(frozen=True)
class ChannelsPage:
    channels: tuple[ChannelView, ...]
    checked: bool
    checked_at: datetime

    @property
    def unreachable(self) -> int:
        return sum(1 for c in self.channels if c.health is not None and not c.health.reachable)


def rate_windows(database: Database, now: datetime) -> dict[str, tuple[datetime, str | None]]:
    """Channels inside a rate-limit window now: until when, and why."""
    with database.reading() as session:
        rows = session.exec(select(ChannelState).where(col(ChannelState.blocked_until) > now)).all()
    return {
        row.channel: (row.blocked_until, row.reason)
        for row in rows
        if row.blocked_until is not None
    }


def channels_page(
    config: Config,
    windows: Mapping[str, tuple[datetime, str | None]],
    health: Mapping[str, ChannelHealth] | None,
    now: datetime,
) -> ChannelsPage:
    def view(channel: ChannelBase) -> ChannelView:
        window = windows.get(channel.id)
        checked = health.get(channel.id) if health is not None else None
        return ChannelView(
            id=channel.id,
            platform=channel.platform,
            languages=channel.languages,
            slots=channel.slots,
            zone=channel.zone(config.zone),
            zone_is_default=channel.timezone is None,
            blocked_until=window[0] if window else None,
            blocked_reason=window[1] if window else None,
            health=_health_view(checked, now) if checked is not None else None,
        )

    return ChannelsPage(
        channels=tuple(view(channel) for channel in config.channels),
        checked=health is not None,
        checked_at=now,
    )


def _health_view(health: ChannelHealth, now: datetime) -> HealthView:
    return HealthView(
        reachable=health.reachable,
        posts_as=health.posts_as,
        token_expires_at=health.token_expires_at,
        problem=health.problem,
        warning=health.warning(now),
    )


def routes(web: WebContext) -> list[Route]:
    async def channels(request: Request) -> Response:
        now = utcnow()
        run_check = request.query_params.get("check") == "1"
        health: dict[str, ChannelHealth] | None = None
        if run_check:
            results = await check_channels(
                list(web.config.channels), web.database, now, timeout=CHECK_TIMEOUT
            )
            health = {result.channel: result for result in results}
        windows = await off_loop(rate_windows, web.database, now)
        page = channels_page(web.config, windows, health, now)
        return web.pages.render(request, "channels.html", page=page)

    return [Route("/channels", channels, methods=["GET"])]
