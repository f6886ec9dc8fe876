"""Platform adapters, one module each, found by the platform's name."""

from __future__ import annotations

from scheduler.platforms.base import Adapter
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.telegram import TelegramAdapter
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.platforms.webhook import WebhookAdapter
from scheduler.platforms.x import XAdapter

ADAPTERS: dict[str, Adapter] = {
    "mastodon": MastodonAdapter(),
    "webhook": WebhookAdapter(),
    "bluesky": BlueskyAdapter(),
    "x": XAdapter(),
    "telegram": TelegramAdapter(),
    "linkedin": LinkedInAdapter(),
    "facebook": FacebookAdapter(),
    "threads": ThreadsAdapter(),
}


def adapter_for(platform: str) -> Adapter | None:
    """The adapter that publishes to ``platform``, or None if none does yet."""
    return ADAPTERS.get(platform)
