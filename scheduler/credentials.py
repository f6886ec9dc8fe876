"""Secrets come from the environment variables a channel names, and never go anywhere else."""

from __future__ import annotations

import os
from collections.abc import Iterable

from drafts.channels import ChannelBase, WebhookChannel


class MissingSecret(Exception):
    """The environment variable a channel names is not set."""


def secret_for(channel: ChannelBase) -> str:
    """The channel's secret (token, app password, signing key); webhooks may have none."""
    name = channel.secret_variable
    if name is None:
        return ""
    value = os.environ.get(name, "")
    if not value and not isinstance(channel, WebhookChannel):
        raise MissingSecret(f"the environment variable {name} (channel {channel.id}) is not set")
    return value


def known_secrets(channels: Iterable[ChannelBase]) -> list[str]:
    """Every secret value in use, for scrubbing text before it is logged or stored."""
    values = []
    for channel in channels:
        name = channel.secret_variable
        value = os.environ.get(name, "") if name else ""
        if len(value) >= 4:
            values.append(value)
    return values


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret replaced, in case a platform echoed one back."""
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    return text
