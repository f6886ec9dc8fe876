"""Platform adapters, one module each, found by the platform's name.

``adapter_for`` is the one place a channel meets its adapter: it checks the channel is of the
type the adapter takes, so the adapters never check it themselves. Every platform in
``drafts.channels.PLATFORMS`` has one (``tests/unit/test_platform_list.py`` checks it).
"""

from __future__ import annotations

from typing import Any, TypeVar

from drafts.channels import ChannelBase
from scheduler.platforms.base import Adapter
from scheduler.platforms.bluesky import BlueskyAdapter
from scheduler.platforms.facebook import FacebookAdapter
from scheduler.platforms.linkedin import LinkedInAdapter
from scheduler.platforms.mastodon import MastodonAdapter
from scheduler.platforms.telegram import TelegramAdapter
from scheduler.platforms.threads import ThreadsAdapter
from scheduler.platforms.webhook import WebhookAdapter
from scheduler.platforms.x import XAdapter

C = TypeVar("C", bound=ChannelBase)

ADAPTERS: dict[str, Adapter[Any]] = {
    adapter.platform: adapter
    for adapter in (
        LinkedInAdapter(),
        XAdapter(),
        MastodonAdapter(),
        BlueskyAdapter(),
        FacebookAdapter(),
        ThreadsAdapter(),
        TelegramAdapter(),
        WebhookAdapter(),
    )
}


def adapter_for(channel: C) -> Adapter[C]:
    """The adapter that publishes to ``channel``, which must be of the type it takes (config
    parsing makes every channel so: anything else is a bug, not a user's mistake)."""
    adapter = ADAPTERS[channel.platform]
    if not isinstance(channel, adapter.channel_type):
        raise TypeError(
            f"channel {channel.id} is a {type(channel).__name__}; the {channel.platform} "
            f"adapter takes a {adapter.channel_type.__name__}"
        )
    return adapter
