"""The engine keeps checking an unsettled send: a retry decided by the platform's check (it
could not tell yet whether the earlier request posted) leads to another check, not a resend;
and the time of every send is stored before it goes, so a check looks from the right moment."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest

from drafts.channels import WebhookChannel
from drafts.lifecycle import PostStatus
from scheduler import platforms
from scheduler.attempt_data import LAST_SENT_AT, Claim, Result
from scheduler.claiming import _Candidate, _claim
from scheduler.outcomes import Outcome, Published, RetryLater
from scheduler.platforms.base import Attempted
from scheduler.publishing import attempt
from scheduler.retry import RetryPolicy, UnknownHandling
from tests.fakes import MemoryVault

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CHANNEL = WebhookChannel(
    id="hook", platform="webhook", languages=("en",), url="http://127.0.0.1:9/h"
)


class CheckingPlatform:
    """A platform whose check cannot tell yet; it records what the engine asked of it."""

    platform: ClassVar[str] = "webhook"
    unknown_handling: ClassVar[UnknownHandling] = UnknownHandling.RECONCILE
    channel_type = WebhookChannel

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def reconcile(self, *_: object) -> Outcome | None:
        self.calls.append("reconcile")
        return RetryLater("the platform does not list the earlier post yet")

    async def publish(self, *_: object) -> Attempted:
        self.calls.append("publish")
        return Attempted(Published("1"))


def claim(*, reconcile: bool) -> Claim:
    return Claim(
        post_id=1,
        draft_id=1,
        number=2,
        channel="hook",
        platform="webhook",
        language="en",
        text="t",
        idempotency_key="k",
        state={},
        failures=1,
        reconcile=reconcile,
        due_at=NOW,
        first_attempt_at=NOW,
    )


async def no_save(post_id: int, state: Mapping[str, str]) -> None:
    return None


async def attempted_on(
    fake: CheckingPlatform,
    claimed: Claim,
    monkeypatch: pytest.MonkeyPatch,
    save_state: Callable[[int, Mapping[str, str]], Awaitable[None]] = no_save,
) -> Result:
    """One attempt at ``claimed`` on the "hook" channel, with ``fake`` as the webhook adapter."""
    monkeypatch.setitem(platforms.ADAPTERS, "webhook", fake)
    async with httpx.AsyncClient() as client:
        return await attempt(
            claimed,
            channel=CHANNEL,
            client=client,
            policy=RetryPolicy(),
            now=lambda: NOW,
            rng=random.Random(1),
            vault=MemoryVault(),
            save_state=save_state,
        )


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_unsettled_check_stays_a_check(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = CheckingPlatform()
    result = await attempted_on(fake, claim(reconcile=True), monkeypatch)
    assert fake.calls == ["reconcile"]  # nothing was resent
    assert result.decision.status == PostStatus.RETRYING
    assert result.decision.reconcile  # the next attempt checks again first


class FindsNothing(CheckingPlatform):
    """A platform whose check finds no earlier post: sending anew is safe."""

    async def reconcile(self, *_: object) -> Outcome | None:
        self.calls.append("reconcile")
        return None


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_resend_after_a_check_is_timed_before_it_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FindsNothing()

    async def save(post_id: int, state: Mapping[str, str]) -> None:
        fake.calls.append(f"save {dict(state)}")

    result = await attempted_on(fake, claim(reconcile=True), monkeypatch, save_state=save)
    # A later check looks for the post from this send on: its time is stored before it goes.
    assert fake.calls == ["reconcile", f"save { {LAST_SENT_AT: NOW.isoformat()} }", "publish"]
    assert result.decision.status == PostStatus.PUBLISHED


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_post_written_for_another_platform_is_not_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = CheckingPlatform()
    written_for_x = replace(claim(reconcile=False), platform="x")
    # config.toml now makes "hook" a webhook
    result = await attempted_on(fake, written_for_x, monkeypatch)
    assert fake.calls == []
    assert result.decision.status == PostStatus.FAILED
    assert "publishes to webhook now" in result.decision.reason


def candidate(*, reconcile: bool, state: dict[str, Any]) -> _Candidate:
    return _Candidate(
        post_id=1,
        draft_id=1,
        channel="hook",
        platform="webhook",
        language="en",
        text="t",
        status=PostStatus.RETRYING,
        idempotency_key="k",
        lease_owner=None,
        publish_state=json.dumps(state),  # as the candidates statement reads it
        failures=1,
        reconcile=reconcile,
        due_at=NOW,
        expires_at=None,
        draft_status="scheduled",
        last_number=1,
        has_images=False,
        occurrence=1,
        part=1,
        parts=1,
        content_hash="0" * 64,
        review_round=1,
        created_at=NOW - timedelta(days=1),
    )


def test_a_claim_that_sends_at_once_stores_when_and_a_check_keeps_the_last_send() -> None:
    earlier = (NOW - timedelta(hours=2)).isoformat()
    sending = _claim(
        candidate(reconcile=False, state={LAST_SENT_AT: earlier}), 2, NOW, NOW.isoformat()
    )
    assert sending.state[LAST_SENT_AT] == NOW.isoformat()  # written with the claim, first
    checking = _claim(
        candidate(reconcile=True, state={LAST_SENT_AT: earlier}), 3, NOW, NOW.isoformat()
    )
    assert checking.state[LAST_SENT_AT] == earlier
    assert checking.last_sent_at == NOW - timedelta(hours=2)  # what the check looks from
