"""Connecting accounts, one module per platform, found by the platform's name.

``connector_for`` is where a channel meets its connector, checked once like ``adapter_for``;
webhooks have none (their secret stays in ``secret_env``).
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from drafts.channels import ChannelBase
from scheduler.connect.base import Connector

C = TypeVar("C", bound=ChannelBase)

# Each platform's module defines ``CONNECTOR``; imported when first needed.
_MODULES = {
    "linkedin": "scheduler.connect.linkedin",
    "x": "scheduler.connect.x",
    "mastodon": "scheduler.connect.mastodon",
    "bluesky": "scheduler.connect.bluesky",
    "facebook": "scheduler.connect.facebook",
    "threads": "scheduler.connect.threads",
    "telegram": "scheduler.connect.telegram",
}
CONNECTABLE = tuple(_MODULES)


def connector_for(channel: C) -> Connector[C]:
    """The connector for ``channel``'s platform; ``LookupError`` for a webhook."""
    name = _MODULES.get(channel.platform)
    if name is None:
        raise LookupError(f"{channel.platform} channels are not connected from the web app")
    connector: Connector[Any] = importlib.import_module(name).CONNECTOR
    if not isinstance(channel, connector.channel_type):
        raise TypeError(
            f"channel {channel.id} is a {type(channel).__name__}; the {channel.platform} "
            f"connector takes a {connector.channel_type.__name__}"
        )
    return connector
