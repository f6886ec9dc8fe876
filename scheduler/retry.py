"""The retry decision: given what an attempt came to, what happens to the post next.

Pure and table-tested. Rate limits are waited out exactly (never earlier) and do not use up
attempts; errors where the request provably did not create anything back off exponentially
with jitter until ``max_attempts``; an unknown outcome is never retried blindly: the platform's
reconciliation runs first, or a person is asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from drafts.lifecycle import PostStatus
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown


class AttemptOutcome(StrEnum):
    """How one attempt ended, as ``tidings log`` shows it."""

    PUBLISHED = "published"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


class UnknownHandling(StrEnum):
    """What a platform offers when an attempt's outcome is unknown."""

    RECONCILE = "reconcile"  # it can tell whether the post exists, or resend idempotently
    ASK_A_PERSON = "ask_a_person"  # it cannot: a person must look


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=10)
    reconcile_delay: timedelta = timedelta(seconds=1)

    def backoff(self, failures: int, rng: random.Random) -> timedelta:
        """Exponential in the number of failures so far, with jitter between half and full."""
        ceiling = min(self.max_delay, self.base_delay * (1 << max(failures - 1, 0)))
        return ceiling * rng.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Decision:
    """The post's next status, when to try again (if ever), and why."""

    attempt_outcome: AttemptOutcome
    status: PostStatus
    reason: str
    retry_at: datetime | None = None
    reconcile: bool = False
    window_until: datetime | None = None  # the channel's rate-limit window, for every daemon


def decide(
    outcome: Outcome,
    *,
    failures: int,
    policy: RetryPolicy,
    unknown: UnknownHandling,
    now: datetime,
    rng: random.Random,
) -> Decision:
    """What follows ``outcome``; ``failures`` counts this attempt if it was an error."""
    match outcome:
        case Published():
            return Decision(AttemptOutcome.PUBLISHED, PostStatus.PUBLISHED, "published")
        case RetryAt(at=at, reason=reason, channel_wide=channel_wide):
            at = max(at, now)
            window = at if channel_wide else None
            return Decision(
                AttemptOutcome.RETRY, PostStatus.RETRYING, reason, retry_at=at, window_until=window
            )
        case RetryLater(reason=reason):
            if failures >= policy.max_attempts:
                gave_up = f"{reason}; gave up after {failures} attempts"
                return Decision(AttemptOutcome.FAILED, PostStatus.FAILED, gave_up)
            at = now + policy.backoff(failures, rng)
            return Decision(AttemptOutcome.RETRY, PostStatus.RETRYING, reason, retry_at=at)
        case Failed(reason=reason):
            return Decision(AttemptOutcome.FAILED, PostStatus.FAILED, reason)
        case Unknown(reason=reason):
            return _unknown(reason, failures, policy, unknown, now)
    raise AssertionError(f"unhandled outcome {outcome!r}")


def _unknown(
    reason: str, failures: int, policy: RetryPolicy, unknown: UnknownHandling, now: datetime
) -> Decision:
    if unknown is UnknownHandling.RECONCILE and failures < policy.max_attempts:
        return Decision(
            AttemptOutcome.UNKNOWN,
            PostStatus.RETRYING,
            f"{reason}; checking with the platform before anything is sent again",
            retry_at=now + policy.reconcile_delay,
            reconcile=True,
        )
    return Decision(
        AttemptOutcome.UNKNOWN,
        PostStatus.NEEDS_ATTENTION,
        f"{reason}; the post may or may not be live and the platform offers no way to tell, "
        "so it was not sent again: check the channel, then mark it published or retry it",
    )
