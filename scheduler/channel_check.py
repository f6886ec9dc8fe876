"""Checking channels: can each one be reached, who does it post as, when does its token expire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlmodel import Session

from drafts.channels import ChannelBase
from drafts.errors import ConfigError, TidingsError
from drafts.learned_limits import remember_limits
from drafts.media_limits import remember_media_limits
from drafts.storage import Database
from scheduler.connections import credentials_for
from scheduler.credentials import scrub, vault_key_problem
from scheduler.platforms import adapter_for
from scheduler.vault import DatabaseVault

EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    platform: str
    reachable: bool
    posts_as: str | None = None
    token_expires_at: datetime | None = None
    problem: str | None = None
    text_limits: Mapping[str, int] | None = None
    media_limits: Mapping[str, Any] | None = None

    def warning(self, now: datetime) -> str | None:
        if self.token_expires_at is not None and self.token_expires_at - now < EXPIRY_WARNING:
            return "the token expires within 7 days: reconnect the account"
        return None


async def check_channels(
    channels: Sequence[ChannelBase], database: Database, now: datetime, timeout: float = 15.0
) -> list[ChannelHealth]:
    """Every channel's health, checked concurrently."""

    async def db(work: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with database.writing() as session:
                return work(session)

        return await asyncio.to_thread(run)

    vault = DatabaseVault(db)
    async with httpx.AsyncClient(timeout=timeout) as client:
        checked = await asyncio.gather(
            *(_check(channel, client, vault, now) for channel in channels)
        )
    for health in checked:
        if health.text_limits:
            await db(partial(remember_limits, channel=health.channel, limits=health.text_limits))
        if health.media_limits:
            await db(
                partial(remember_media_limits, channel=health.channel, limits=health.media_limits)
            )
    return list(checked)


async def _check(
    channel: ChannelBase, client: httpx.AsyncClient, vault: DatabaseVault, now: datetime
) -> ChannelHealth:
    try:
        credentials = await credentials_for(channel, vault)
        if problem := vault_key_problem([channel]):  # before any request, as tidings run says it
            raise ConfigError(problem)
        identity = await adapter_for(channel).identify(client, channel, credentials, now)
    except TidingsError as error:
        # A platform's refusal may quote the token.
        return ChannelHealth(
            channel.id, channel.platform, reachable=False, problem=scrub(str(error))
        )
    return ChannelHealth(
        channel=channel.id,
        platform=channel.platform,
        reachable=True,
        posts_as=identity.name,
        token_expires_at=identity.token_expires_at,
        text_limits=identity.text_limits,
        media_limits=identity.media_limits,
    )
