"""One attempt at one post: reconcile if the last outcome was unknown, send, decide what next."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime

import httpx

from drafts.channels import ChannelBase
from drafts.errors import ConfigError, TidingsError
from drafts.lifecycle import PostStatus
from scheduler.attempt_data import LAST_SENT_AT, Claim, Result
from scheduler.connections import credentials_for
from scheduler.credentials import scrub
from scheduler.outcomes import Failed, Published, RetryAt, RetryLater, Unknown
from scheduler.platforms import adapter_for
from scheduler.platforms.base import (
    Adapter,
    Attempted,
    C,
    JobImage,
    PostJob,
    SaveState,
    Vault,
)
from scheduler.retry import AttemptOutcome, Decision, RetryPolicy, UnknownHandling, decide


async def attempt(
    claim: Claim,
    *,
    channel: ChannelBase,
    client: httpx.AsyncClient,
    policy: RetryPolicy,
    now: Callable[[], datetime],
    rng: random.Random,
    vault: Vault,
    save_state: Callable[[int, Mapping[str, str]], Awaitable[None]],
    images: tuple[JobImage, ...] = (),
) -> Result:
    """Publish ``claim`` once, with ``images`` (its images as the adapter gets them), and
    return what to record; never raises for platform trouble."""
    started = time.perf_counter()
    adapter = adapter_for(channel)
    saved: dict[str, str] = {}

    async def save(state: Mapping[str, str]) -> None:
        saved.update(state)
        await save_state(claim.post_id, state)

    try:
        attempted, unknown, unsettled = await _run(
            adapter, claim, channel, client, now(), vault, save, images
        )
    except TidingsError as error:  # a stored token that does not decrypt, a missing key
        attempted, unknown = Attempted(Failed(str(error))), UnknownHandling.ASK_A_PERSON
        unsettled = claim.reconcile
    outcome = attempted.outcome
    failures = claim.failures + (0 if isinstance(outcome, Published) else 1)
    decision = decide(
        outcome, failures=failures, policy=policy, unknown=unknown, now=now(), rng=rng
    )
    # A post whose earlier send is still unsettled is checked again before any resend.
    keep_checking = unsettled and decision.status == PostStatus.RETRYING
    decision = replace(
        decision,
        reason=scrub(decision.reason),
        reconcile=decision.reconcile or keep_checking,
    )
    return Result(
        claim=claim,
        decision=decision,
        finished_at=now(),
        duration_ms=round((time.perf_counter() - started) * 1000),
        http_status=outcome.http_status,
        remote_id=outcome.remote_id if isinstance(outcome, Published) else None,
        remote_url=outcome.remote_url if isinstance(outcome, Published) else None,
        state={**saved, **attempted.state},
    )


async def _run(
    adapter: Adapter[C],
    claim: Claim,
    channel: C,
    client: httpx.AsyncClient,
    now: datetime,
    vault: Vault,
    save: SaveState,
    images: tuple[JobImage, ...],
) -> tuple[Attempted, UnknownHandling, bool]:
    """The attempt, how its platform handles unknown outcomes, and whether an earlier send is
    still unsettled (the platform's check could not yet tell whether it posted)."""
    if channel.platform != claim.platform:  # config.toml moved the channel to another platform
        reason = (
            f"channel {channel.id} publishes to {channel.platform} now, and this post was "
            f"written for {claim.platform}: nothing was sent"
        )
        return Attempted(Failed(reason)), UnknownHandling.ASK_A_PERSON, claim.reconcile
    if claim.part > 1 and claim.reply_to is None:  # marked published by hand, without its id
        reason = (
            f"{claim.part_label}: the part before it has no remote id (was it marked published "
            "without one?), so this part cannot reply to it: nothing was sent"
        )
        return Attempted(Failed(reason)), UnknownHandling.ASK_A_PERSON, claim.reconcile
    if len(images) != len(claim.images):  # never send a post without the images approved
        reason = "the post's images were not ready to upload: nothing was sent"
        return Attempted(RetryLater(reason)), adapter.unknown_handling, claim.reconcile
    try:
        credentials = await credentials_for(channel, vault)
    except ConfigError as error:  # not connected, or the vault key cannot open its token
        return Attempted(Failed(str(error))), adapter.unknown_handling, claim.reconcile
    job = PostJob(
        post_id=claim.post_id,
        text=claim.text,
        language=claim.language,
        idempotency_key=claim.idempotency_key,
        state=claim.state,
        first_attempt_at=claim.first_attempt_at,
        last_sent_at=claim.last_sent_at,
        images=images,
        reply_to=claim.reply_to,
    )
    if claim.reconcile:
        known = await adapter.reconcile(client, job, channel, credentials, now)
        if isinstance(known, Unknown):
            return Attempted(known), UnknownHandling.ASK_A_PERSON, True
        if known is not None:
            still_open = isinstance(known, RetryAt | RetryLater)
            return Attempted(known), adapter.unknown_handling, still_open
        await save({LAST_SENT_AT: now.isoformat()})  # sending anew: stored before it goes
    attempted = await adapter.publish(client, job, channel, credentials, now, save)
    return attempted, adapter.unknown_handling, False


def internal_error_result(claim: Claim, error: Exception, now: datetime) -> Result:
    """An attempt that broke inside Tidings: whether the request went out is unknown, so a
    person is asked rather than anything being sent again."""
    reason = (
        f"Tidings hit an internal error ({type(error).__name__}) during this attempt; "
        "the request may or may not have reached the platform: check the channel, then mark "
        "the post published or retry it, and please report the error"
    )
    decision = Decision(AttemptOutcome.UNKNOWN, PostStatus.NEEDS_ATTENTION, reason)
    return Result(claim=claim, decision=decision, finished_at=now, duration_ms=0)
