"""What the attempt step is handed and what it hands back: plain data, no SQL.

Claiming (``scheduler.claiming``) makes a ``Claim``; the attempt (``scheduler.publishing``)
turns it into a ``Result``; recording (``scheduler.recording``) writes the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drafts.chains import part_label
from drafts.lifecycle import PostStatus
from drafts.media import PostImage
from scheduler.platforms.base import ReplyTo
from scheduler.retry import Decision

# Publish-state keys the claim keeps for every platform. When the first attempt was claimed:
FIRST_ATTEMPT_AT = "first_attempt_at"
# When a create request last went out (or may have): stored before it goes, so a check after
# an unknown outcome looks for the post from then on, whatever the platform.
LAST_SENT_AT = "last_sent_at"


@dataclass(frozen=True)
class Claim:
    """A post this worker now holds, with its attempt already recorded as started."""

    post_id: int
    draft_id: int
    number: int
    channel: str
    platform: str
    language: str
    text: str
    idempotency_key: str
    state: Mapping[str, str]
    failures: int
    reconcile: bool
    due_at: datetime | None
    first_attempt_at: datetime | None
    last_sent_at: datetime | None = None
    images: tuple[PostImage, ...] = ()  # what the post sends, as approved
    part: int = 1  # of its chain (``parts + 1``: the first comment)
    parts: int = 1
    reply_to: ReplyTo | None = None  # the published parts it follows (None for the first)
    # How the post stood before the claim, for putting it back if no request is sent for it
    # (``scheduler.claiming.put_back``): its status and its publish state.
    status_before: str = PostStatus.SCHEDULED
    state_before: Mapping[str, str] = field(default_factory=dict)

    @property
    def part_label(self) -> str:
        """Which part of its chain this is, as logs and reasons say it; '' for a plain post."""
        return part_label(self.part, self.parts)


@dataclass(frozen=True)
class Result:
    """What one attempt came to, ready to be recorded."""

    claim: Claim
    decision: Decision
    finished_at: datetime
    duration_ms: int
    http_status: int | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    state: Mapping[str, str] = field(default_factory=dict)
