"""The retry decision, as a table: outcome in, next status and time out."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from drafts.lifecycle import PostStatus
from scheduler.outcomes import Failed, Outcome, Published, RetryAt, RetryLater, Unknown
from scheduler.retry import AttemptOutcome, RetryPolicy, UnknownHandling, decide

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3)
RECONCILE, ASK = UnknownHandling.RECONCILE, UnknownHandling.ASK_A_PERSON


@pytest.mark.parametrize(
    ("outcome", "failures", "unknown", "attempt", "status"),
    [
        (Published("1"), 0, RECONCILE, AttemptOutcome.PUBLISHED, PostStatus.PUBLISHED),
        (
            RetryAt(NOW + timedelta(minutes=15), "429"),
            1,
            ASK,
            AttemptOutcome.RETRY,
            PostStatus.RETRYING,
        ),
        (RetryLater("503"), 1, ASK, AttemptOutcome.RETRY, PostStatus.RETRYING),
        (RetryLater("503"), 2, ASK, AttemptOutcome.RETRY, PostStatus.RETRYING),
        (RetryLater("503"), 3, ASK, AttemptOutcome.FAILED, PostStatus.FAILED),
        (Failed("401"), 1, RECONCILE, AttemptOutcome.FAILED, PostStatus.FAILED),
        (Unknown("read timeout"), 1, RECONCILE, AttemptOutcome.UNKNOWN, PostStatus.RETRYING),
        (Unknown("read timeout"), 3, RECONCILE, AttemptOutcome.UNKNOWN, PostStatus.NEEDS_ATTENTION),
        (Unknown("read timeout"), 1, ASK, AttemptOutcome.UNKNOWN, PostStatus.NEEDS_ATTENTION),
    ],
)
def test_decisions(
    outcome: Outcome,
    failures: int,
    unknown: UnknownHandling,
    attempt: AttemptOutcome,
    status: PostStatus,
) -> None:
    decision = decide(
        outcome, failures=failures, policy=POLICY, unknown=unknown, now=NOW, rng=random.Random(1)
    )
    assert (decision.attempt_outcome, decision.status) == (attempt, status)
    assert decision.reconcile == (
        status == PostStatus.RETRYING and attempt == AttemptOutcome.UNKNOWN
    )


def test_a_rate_limit_waits_exactly_until_the_reset_and_blocks_the_channel() -> None:
    reset = NOW + timedelta(minutes=15)
    decision = decide(
        RetryAt(reset, "429"), failures=1, policy=POLICY, unknown=ASK, now=NOW, rng=random.Random()
    )
    assert decision.retry_at == reset
    assert decision.window_until == reset


def test_a_reset_in_the_past_retries_now_not_earlier() -> None:
    decision = decide(
        RetryAt(NOW - timedelta(seconds=5), "429"),
        failures=1,
        policy=POLICY,
        unknown=ASK,
        now=NOW,
        rng=random.Random(),
    )
    assert decision.retry_at == NOW


@pytest.mark.parametrize("failures", [1, 2, 3, 4, 5, 12])
def test_backoff_grows_with_jitter_and_a_ceiling(failures: int) -> None:
    policy = RetryPolicy(max_attempts=20)
    delays = [policy.backoff(failures, random.Random(seed)) for seed in range(50)]
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (failures - 1))
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1  # jitter spreads retries out


def test_unknown_asking_a_person_explains_what_to_check() -> None:
    decision = decide(
        Unknown("no answer in time"),
        failures=1,
        policy=POLICY,
        unknown=ASK,
        now=NOW,
        rng=random.Random(),
    )
    assert "mark it published or retry it" in decision.reason
    assert decision.retry_at is None


def test_a_wait_for_one_post_does_not_hold_back_the_channel() -> None:
    later = NOW + timedelta(minutes=1)
    decision = decide(
        RetryAt(later, "not listed yet", channel_wide=False),
        failures=1,
        policy=POLICY,
        unknown=ASK,
        now=NOW,
        rng=random.Random(),
    )
    assert (decision.retry_at, decision.window_until) == (later, None)
