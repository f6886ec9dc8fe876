"""The events of a post's end, recorded in the transaction that moves the post there: it failed
for good or needs a person (``Event.POST_FAILED``), or it was published (``Event.POST_PUBLISHED``,
for event hooks; one statement for a batch's worth).

Its key names the attempt the post ended with (``post:12:failed:3``), so recording the same end
again adds nothing, and a failure the daemon will retry is no event at all: a post retried twice
and then published tells nobody anything, and one retried twice and then failed tells once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from drafts.lifecycle import PostStatus
from drafts.notification_events import Event, record_event, record_events
from scheduler.attempt_data import Result

# The statuses a person has to hear about: nothing more will happen to the post without them.
TOLD = frozenset({PostStatus.FAILED, PostStatus.NEEDS_ATTENTION})


def record_post_end(
    session: Session,
    *,
    post_id: int,
    draft_id: int,
    channel: str,
    status: str,
    reason: str,
    attempt: int,
) -> None:
    """Record ``POST_FAILED`` if ``status`` is one a person must hear about; ``attempt`` is the
    number of the post's last attempt (0: it ended before any). ``reason`` is the post's reason
    line as stored, already scrubbed of secrets."""
    if status not in TOLD:
        return
    record_event(
        session,
        Event.POST_FAILED,
        f"post:{post_id}:{status}:{attempt}",
        draft_id=draft_id,
        post_id=post_id,
        channel_id=channel,
        facts={"channel": channel, "status": str(status), "reason": reason, "attempt": attempt},
    )


def record_published(session: Session, results: Iterable[Result]) -> None:
    """Record ``POST_PUBLISHED`` for each of ``results`` that published its post, in one
    statement; the key names the post (``post:12:published``), which is published once."""
    record_events(
        session,
        [
            {
                "key": f"post:{r.claim.post_id}:published",
                "event": Event.POST_PUBLISHED.value,
                "draft_id": r.claim.draft_id,
                "post_id": r.claim.post_id,
                "channel_id": r.claim.channel,
                "facts": {
                    "channel": r.claim.channel,
                    "url": r.remote_url,
                    "remote_id": r.remote_id,
                    "attempt": r.claim.number,
                },
            }
            for r in results
            if r.decision.status == PostStatus.PUBLISHED
        ],
    )
