"""Platform adapters, one module each, found by the platform's name."""

from __future__ import annotations

from scheduler.platforms.base import Adapter
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.webhook import WebhookAdapter

ADAPTERS: dict[str, Adapter] = {
    "mastodon": MastodonAdapter(),
    "webhook": WebhookAdapter(),
}


def adapter_for(platform: str) -> Adapter | None:
    """The adapter that publishes to ``platform``, or None if none does yet."""
    return ADAPTERS.get(platform)
