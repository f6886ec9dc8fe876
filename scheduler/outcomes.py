"""What an attempt to publish came to, as data.

    Published       the platform created the post; its id and URL
    RetryAt         not created; safe to try again at ``at`` (a rate limit says when)
    RetryLater      not created; safe to try again after a backoff (the request never arrived,
                    or the platform answered 5xx before creating anything)
    Failed          not created and never will be by retrying: validation, auth, a retired API
    Unknown         the request may have reached the platform; retrying blindly could post twice

Adapters' response readers return these; ``scheduler.retry`` decides what happens next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Published:
    remote_id: str
    remote_url: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class RetryAt:
    at: datetime
    reason: str
    http_status: int | None = None
    # A rate limit holds the whole channel back; a wait that concerns one post does not.
    channel_wide: bool = True


@dataclass(frozen=True)
class RetryLater:
    reason: str
    http_status: int | None = None


@dataclass(frozen=True)
class Failed:
    reason: str
    http_status: int | None = None


@dataclass(frozen=True)
class Unknown:
    reason: str
    http_status: int | None = None
    details: dict[str, str] = field(default_factory=dict)


Outcome = Published | RetryAt | RetryLater | Failed | Unknown
NotPublished = RetryAt | RetryLater | Failed | Unknown
"""Every outcome but ``Published``: each says why in its ``reason``."""
